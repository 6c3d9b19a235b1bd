#!/usr/bin/env bash
# Installs what ctg needs to build and test, from Debian packages only. As root it runs apt-get;
# otherwise it prints the exact command to run and stops.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libcli11-dev libcpp-httplib-dev libssl-dev nlohmann-json3-dev libfmt-dev doctest-dev libsqlite3-dev
  libmimalloc-dev
  bash-completion zsh fish openssl ca-certificates libxml2-utils
  # scripts/fuzz.sh: clang 16 (libstdc++ 12's std::expected needs it; clang 14 cannot compile
  # ctg), libFuzzer and the sanitizer runtimes, llvm-symbolizer for readable stacks; and
  # http_parser, the second oracle of the request_framing target (tests/fuzz/README.md)
  clang-16 libfuzzer-16-dev libclang-rt-16-dev llvm-16 libhttp-parser-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ctg setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  sudo -E apt-get update -q >&2
  sudo -E apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
else
  echo "ctg setup: these Debian packages are missing: ${missing[*]}" >&2
  echo "ctg setup: install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
