# The completion files load in real shells: bash (with bash-completion) offers the commands and
# the event types; zsh -n and fish --no-execute accept their files.
. "$(dirname "$0")/common.bash"

zsh -n "$SRC/completions/_ctg" && pass || fail "zsh -n rejects completions/_ctg"
fish --no-execute "$SRC/completions/ctg.fish" && pass || fail "fish --no-execute rejects completions/ctg.fish"

# Completes the words of a command line whose last word is being typed; prints COMPREPLY.
complete_bash() {
  bash --norc --noprofile -c '
    . /usr/share/bash-completion/bash_completion
    . "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _ctg ctg "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$SRC/completions/ctg.bash" "$@"
}
expect_offer() {  # expect_offer WORD -- COMMAND LINE WORDS...
  local want=$1; shift 2
  local offered
  offered=$(complete_bash "$@")  # captured first: grep -q closing the pipe early would trip pipefail
  if grep -qxF -- "$want" <<<"$offered"; then pass; else fail "bash: '$*<TAB>' does not offer $want"; fi
}
expect_not_offer() {
  local unwanted=$1; shift 2
  local offered
  offered=$(complete_bash "$@")
  if grep -qxF -- "$unwanted" <<<"$offered"; then fail "bash: '$*<TAB>' offers $unwanted"; else pass; fi
}

root_help=$("$CTG" --help)
for sub in $(help_subcommands <<<"$root_help"); do
  expect_offer "$sub" -- ctg ""
done
expect_offer verify -- ctg ve
expect_not_offer sign -- ctg ve
expect_offer list -- ctg fixtures ""
expect_offer show -- ctg fixtures ""
types=$("$CTG" fixtures list --json | grep -o '"type": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
for t in $types; do
  expect_offer "$t" -- ctg fixtures show ""
done
expect_offer text.incoming.sms -- ctg fixtures show text.inc
expect_not_offer email.incoming -- ctg fixtures show text.inc
expect_offer text.incoming.sms -- ctg --json fixtures show ""
expect_offer --set -- ctg fixtures show text.incoming.sms --s
expect_offer --curl -- ctg sign --c
expect_offer --signature -- ctg verify --sig
expect_offer fish -- ctg completion ""
expect_offer --forward-to -- ctg listen --forw
expect_offer text.incoming.sms -- ctg listen --events ""
expect_offer replay -- ctg events ""
expect_offer to-fixture -- ctg events ""
expect_offer --resign -- ctg events replay --re
expect_offer dead -- ctg events list --status ""
expect_not_offer --resign -- ctg events list --re
expect_offer --json -- ctg --j
expect_offer list -- ctg webhooks ""
expect_offer delete -- ctg webhooks ""
expect_offer --yes -- ctg webhooks delete --y
expect_not_offer --yes -- ctg webhooks list --y
expect_offer --token-file -- ctg webhooks list --api-base https://api.test --to
expect_offer text.incoming.sms -- ctg register --events text.inc
expect_offer --secret-out -- ctg register https://example.com/hooks --secret-o
n=$(complete_bash ctg sign --secret "" | wc -l)
[ "$n" -le 1 ] && pass || fail "bash offers words after --secret"
finish
