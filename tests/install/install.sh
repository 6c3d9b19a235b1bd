# `cmake --install BUILD --prefix P` puts the binary at P/bin/ctg, ctg-net (which runs the network
# commands) at P/libexec/ctg/ctg-net, and the completions in their conventional share folders; the
# installed binary runs without the source tree.
# Usage: install.sh BUILD_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
status=0
for f in bin/ctg libexec/ctg/ctg-net share/bash-completion/completions/ctg share/zsh/site-functions/_ctg \
         share/fish/vendor_completions.d/ctg.fish; do
  if [ -e "$prefix/$f" ]; then echo "ok: $f"; else echo "FAIL: $f not installed" >&2; status=1; fi
done
# The installed binary carries its fixtures and completions: run it from an empty folder.
cd "$prefix"
shown=$("$prefix/bin/ctg" fixtures show text.incoming.sms)
if grep -q '"type": "text.incoming.sms"' <<<"$shown"; then
  echo "ok: installed ctg shows an embedded fixture"
else
  echo "FAIL: installed ctg cannot show an embedded fixture" >&2; status=1
fi
if "$prefix/bin/ctg" completion bash | cmp -s - "$prefix/share/bash-completion/completions/ctg"; then
  echo "ok: ctg completion bash matches the installed file"
else
  echo "FAIL: ctg completion bash differs from the installed file" >&2; status=1
fi
# A network command goes through the installed hand-over: ctg listen starts, listens, and stops.
"$prefix/bin/ctg" listen --port 0 --no-store --ready-file "$prefix/ready" </dev/null >/dev/null 2>&1 &
listener=$!
for _ in $(seq 100); do [ -s "$prefix/ready" ] && break; sleep 0.05; done
if [ -s "$prefix/ready" ] && grep -q '^http://127.0.0.1:' "$prefix/ready"; then
  echo "ok: installed ctg listen runs (through libexec/ctg/ctg-net)"
else
  echo "FAIL: installed ctg listen did not become ready" >&2; status=1
fi
kill -INT "$listener" 2>/dev/null || true
wait "$listener" 2>/dev/null || true
exit $status
