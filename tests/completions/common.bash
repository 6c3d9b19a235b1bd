# Shared by the completion tests: the built binary and source tree come as $1 and $2.
set -euo pipefail
CTG=$1
SRC=$2
failures=0
checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }
finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$failures of $((checks + failures)) checks failed" >&2
    exit 1
  fi
  echo "all $checks checks passed"
}
# Subcommand names listed in a --help text's "Subcommands:" section.
help_subcommands() { awk '/^Subcommands:/{on=1;next} /^[^ ]/{on=0} on && NF {print $1}'; }
# Flags (-x, --long) listed in a --help text's "Options:" section.
help_flags() {
  awk '/^ *(Options|Flags):/{on=1;next} /^[^ ]/{on=0} on && /^  +-/{print $1}' | tr ',' '\n' |
    grep -E '^--?[a-zA-Z]' | sed 's/=.*//' || true
}
