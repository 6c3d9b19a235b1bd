# Every command, subcommand and flag that --help lists appears in each completion file, every
# event type appears in each, and `ctg completion SHELL` prints the installed file.
. "$(dirname "$0")/common.bash"

files=("$SRC/completions/ctg.bash" "$SRC/completions/_ctg" "$SRC/completions/ctg.fish")

# In fish, flags are written `-l name` / `-s x`; elsewhere literally.
appears() {
  local file=$1 flag=$2
  case $file in
    *.fish)
      if [[ $flag == --* ]]; then grep -qE -- "-l ${flag#--}( |$)" "$file"; else grep -qE -- "-s ${flag#-}( |$)" "$file"; fi ;;
    *) grep -qF -- "$flag" "$file" ;;
  esac
}

check_command() {  # $@: the command path, e.g. "fixtures show"
  local help flag sub
  help=$("$CTG" "$@" --help)
  for flag in $(help_flags <<<"$help"); do
    for f in "${files[@]}"; do
      if appears "$f" "$flag"; then pass; else fail "$(basename "$f") lacks flag $flag of 'ctg $*'"; fi
    done
  done
  for sub in $(help_subcommands <<<"$help"); do
    for f in "${files[@]}"; do
      if grep -qw -- "$sub" "$f"; then pass; else fail "$(basename "$f") lacks command '$* $sub'"; fi
    done
    check_command "$@" "$sub"
  done
}

root_help=$("$CTG" --help)
[ -n "$(help_subcommands <<<"$root_help")" ] && pass || fail "ctg --help lists no subcommands"
for flag in $(help_flags <<<"$root_help"); do
  for f in "${files[@]}"; do
    if appears "$f" "$flag"; then pass; else fail "$(basename "$f") lacks global flag $flag"; fi
  done
done
for sub in $(help_subcommands <<<"$root_help"); do
  for f in "${files[@]}"; do
    if grep -qw -- "$sub" "$f"; then pass; else fail "$(basename "$f") lacks command $sub"; fi
  done
  check_command "$sub"
done

types=$("$CTG" fixtures list --json | grep -o '"type": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
[ "$(wc -l <<<"$types")" -ge 16 ] && pass || fail "fixtures list --json gave too few types"
for t in $types; do
  for f in "${files[@]}"; do
    if grep -qF -- "$t" "$f"; then pass; else fail "$(basename "$f") lacks event type $t"; fi
  done
done

for shell in bash zsh fish; do
  case $shell in bash) f=ctg.bash ;; zsh) f=_ctg ;; fish) f=ctg.fish ;; esac
  if "$CTG" completion "$shell" | cmp -s - "$SRC/completions/$f"; then pass; else fail "ctg completion $shell differs from completions/$f"; fi
done
finish
