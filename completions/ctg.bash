# bash completion for ctg                                        -*- shell-script -*-
# Install: ctg completion bash > ~/.local/share/bash-completion/completions/ctg

_ctg_commands="listen send-test check register webhooks login logout events sign verify fixtures completion help"
_ctg_global_flags="--json --no-color -v --verbose -q --quiet -h --help"
# Options of the commands that use the Contiguity API (register, webhooks list/delete).
_ctg_api_flags="--api-base --token-file --ca-file --timeout --retries"
_ctg_event_types="text.incoming.sms text.incoming.mms text.delivery.confirmed text.delivery.failed
imessage.incoming numbers.substitution otp.reverse.verified email.incoming
identity.verification_session.started identity.verification_session.processing
identity.verification_session.verified identity.verification_session.failed
identity.verification_session.requires_input identity.verification_session.manually_approved
identity.verification_session.manually_denied identity.verification_report.generated
communications.incoming.sms communications.incoming.mms communications.incoming.imessage
communications.incoming.whatsapp communications.incoming.email text.incoming whatsapp.incoming
v1.sms v1.whatsapp v1.imessage"
# Options that take a value: the word after them is not a command.
_ctg_value_flags="--secret-file --secret --timestamp --curl --signature --request --tolerance --now --set
--host --port --path --max-body --max-buffered --read-timeout --store --cert --key --ready-file --forward-to -H --header --events
--max-attempts --ca-file --config --type --since --status --limit --to -o --output --event --fixture
--from-event --expect-status --max-latency --timeout --suite --junit --count --concurrency --rate --duration
--max-p99 --max-error-rate --description --secret-out --api-base --token-file --retries"

_ctg() {
  local cur prev words cword
  _init_completion -n = || return

  local cmd="" sub="" npos=0 i word
  for ((i = 1; i < cword; i++)); do
    word=${words[i]}
    if [[ " $_ctg_value_flags " == *" $word "* ]]; then
      ((i++))
      continue
    fi
    [[ $word == -* ]] && continue
    if [[ -z $cmd ]]; then
      cmd=$word
    elif [[ ($cmd == fixtures || $cmd == events || $cmd == webhooks) && -z $sub ]]; then
      sub=$word
    else
      ((npos++))
    fi
  done

  case $prev in
    --secret-file | --request | --store | --cert | --key | --ready-file | --ca-file | --config | -o | --output | \
      --fixture | --junit | --secret-out | --token-file)
      _filedir
      return
      ;;
    --events | --type | --event)
      COMPREPLY=($(compgen -W "$_ctg_event_types" -- "$cur"))
      return
      ;;
    --status)
      COMPREPLY=($(compgen -W "accepted rejected duplicate 2xx 4xx 5xx forward-failed dead" -- "$cur"))
      return
      ;;
    --suite)
      COMPREPLY=($(compgen -W "conformance" -- "$cur"))
      return
      ;;
    --secret | --timestamp | --curl | --signature | --tolerance | --now | --set | --host | --port | --path | \
      --max-body | --max-buffered | --read-timeout | --forward-to | -H | --header | --max-attempts | --since | --limit | --to | --from-event | \
      --expect-status | --max-latency | --timeout | --count | --concurrency | --rate | --duration | --max-p99 | \
      --max-error-rate | --description | --api-base | --retries)
      return
      ;;
  esac

  local flags=""
  case $cmd in
    "")
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_ctg_global_flags --version" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "$_ctg_commands" -- "$cur"))
      fi
      return
      ;;
    listen)
      flags="--host --port --path --secret-file --secret --tolerance --max-body --max-buffered --read-timeout --store --no-store --tls --cert --key
        --ready-file --forward-to -H --header --events --print-body --threads --max-attempts --insecure --ca-file --config"
      ;;
    send-test)
      flags="--event --fixture --from-event --store --set --secret-file --secret --no-sign --no-test-header -H --header
        --expect-status --max-latency --timeout --ca-file --insecure --suite --junit --count --concurrency --rate
        --duration --max-p99 --max-error-rate"
      ;;
    check)
      flags="--ca-file --secret-file --secret --max-latency --timeout --grade --junit --fail-on"
      ;;
    register)
      flags="--events --description --dry-run --force --secret-out --show-secret --secret-file --secret --max-latency
        $_ctg_api_flags"
      ;;
    webhooks)
      case $sub in
        "")
          [[ $cur != -* ]] && COMPREPLY=($(compgen -W "list delete" -- "$cur")) && return
          ;;
        list) flags="$_ctg_api_flags" ;;
        delete) flags="-y --yes $_ctg_api_flags" ;;
      esac
      ;;
    events)
      case $sub in
        "")
          [[ $cur != -* ]] && COMPREPLY=($(compgen -W "list show replay to-fixture" -- "$cur")) && return
          flags="--store"
          ;;
        list) flags="--store --type --since --status --limit" ;;
        show) flags="--store --raw" ;;
        replay) flags="--store --to --type --since --limit --resign --secret-file --secret -H --header --insecure --ca-file" ;;
        to-fixture) flags="--store -o --output" ;;
      esac
      ;;
    sign)
      flags="--secret-file --secret --timestamp --curl"
      ;;
    verify)
      flags="--signature --request --secret-file --secret --tolerance --now"
      ;;
    fixtures)
      case $sub in
        "")
          [[ $cur != -* ]] && COMPREPLY=($(compgen -W "list show" -- "$cur")) && return
          ;;
        show)
          flags="--raw --set"
          if [[ $cur != -* && $npos -eq 0 ]]; then
            COMPREPLY=($(compgen -W "$_ctg_event_types" -- "$cur"))
            return
          fi
          ;;
      esac
      ;;
    completion)
      [[ $cur != -* && $npos -eq 0 ]] && COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) && return
      ;;
    help)
      [[ $cur != -* ]] && COMPREPLY=($(compgen -W "$_ctg_commands" -- "$cur")) && return
      ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags $_ctg_global_flags" -- "$cur"))
  elif [[ $cmd == sign || $cmd == verify ]]; then
    _filedir
  fi
} &&
  complete -F _ctg ctg

# ex: filetype=sh
