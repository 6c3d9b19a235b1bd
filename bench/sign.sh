#!/usr/bin/env bash
# ctg sign of a 1 KiB body against `openssl dgst -sha256 -hmac` doing the same job, and the start-up
# time of `ctg --version`. Peers are measured in the same run, alternating in rounds; the script
# prints the median ratio. Needs hyperfine and python3 (Debian packages hyperfine, python3).
# Usage: bench/sign.sh [path/to/ctg] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
ctg=${1:-build/release/apps/ctg}
rounds=${2:-5}
if [ ! -x "$ctg" ]; then
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCTG_BUILD_TESTS=OFF >/dev/null
  cmake --build build/release -j "$(nproc)" >/dev/null
fi
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
secret=whsec_bench_secret
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 >"$work/body"
printf '1707321600.' | cat - "$work/body" >"$work/signed"   # what openssl must hash: t + "." + body
echo "$secret" >"$work/secret"

for i in $(seq "$rounds"); do
  hyperfine -N --warmup 20 --runs 200 --export-json "$work/sign-$i.json" \
    "$ctg sign $work/body --secret-file $work/secret --timestamp 1707321600" \
    "openssl dgst -sha256 -hmac $secret $work/signed" >/dev/null 2>&1
  hyperfine -N --warmup 20 --runs 300 --export-json "$work/version-$i.json" "$ctg --version" >/dev/null 2>&1
done

python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
ratios, ctg_ms, openssl_ms, version_ms = [], [], [], []
for i in range(1, rounds + 1):
    r = json.load(open(f"{work}/sign-{i}.json"))["results"]
    c, o = r[0]["median"], r[1]["median"]
    ctg_ms.append(c * 1e3); openssl_ms.append(o * 1e3); ratios.append(c / o)
    version_ms.append(json.load(open(f"{work}/version-{i}.json"))["results"][0]["median"] * 1e3)
print(f"ctg sign 1 KiB:      median {statistics.median(ctg_ms):.2f} ms")
print(f"openssl dgst 1 KiB:  median {statistics.median(openssl_ms):.2f} ms")
print(f"ratio ctg/openssl:   {statistics.median(ratios):.2f} (target <= 1.0; per round: "
      + ", ".join(f"{x:.2f}" for x in ratios) + ")")
print(f"ctg --version:       median {statistics.median(version_ms):.2f} ms (target < 5 ms)")
PY
