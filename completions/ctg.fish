# fish completion for ctg
# Install: ctg completion fish > ~/.config/fish/completions/ctg.fish

set -l ctg_commands listen send-test check register webhooks login logout events sign verify fixtures completion help
set -l ctg_event_types text.incoming.sms text.incoming.mms text.delivery.confirmed text.delivery.failed \
    imessage.incoming numbers.substitution otp.reverse.verified email.incoming \
    identity.verification_session.started identity.verification_session.processing \
    identity.verification_session.verified identity.verification_session.failed \
    identity.verification_session.requires_input identity.verification_session.manually_approved \
    identity.verification_session.manually_denied identity.verification_report.generated \
    communications.incoming.sms communications.incoming.mms communications.incoming.imessage \
    communications.incoming.whatsapp communications.incoming.email text.incoming whatsapp.incoming \
    v1.sms v1.whatsapp v1.imessage

complete -c ctg -f

# Global options
complete -c ctg -l json -d 'Machine-readable output on stdout'
complete -c ctg -l no-color -d 'No colour'
complete -c ctg -s v -l verbose -d 'More detail on stderr'
complete -c ctg -s q -l quiet -d 'Only errors on stderr'
complete -c ctg -s h -l help -d 'Show help'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -l version -d 'Print the version'

# Commands
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a listen -d 'Receive webhooks locally'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a send-test -d 'Send signed sample events and judge the answers'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a check -d 'Check HTTPS as a webhook sender sees it'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a register -d 'Register a webhook endpoint after proving it works'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a webhooks -d 'List and delete registered webhook endpoints'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a login -d 'Store a Contiguity API token'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a logout -d 'Remove the stored Contiguity API token'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a events -d 'The journal of received deliveries'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a sign -d 'Sign a body as Contiguity does'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a verify -d 'Verify a delivery signature'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a fixtures -d 'Sample payloads for every event type'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a completion -d 'Print the shell completion script'
complete -c ctg -n "not __fish_seen_subcommand_from $ctg_commands" -a help -d 'Show help for a command'

# listen
complete -c ctg -n "__fish_seen_subcommand_from listen" -l host -x -d 'Address to listen on'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l port -x -d 'Port; 0 picks a free one'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l path -x -d 'Webhook path'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l secret-file -r -F -d 'File holding the webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l secret -x -d 'Webhook secret (visible to other processes)'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l tolerance -x -d 'Signature timestamp tolerance (s)'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l max-body -x -d 'Largest body accepted (bytes)'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l max-buffered -x -d 'Request bytes held in memory at most'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l read-timeout -x -d 'Seconds a request may take to arrive'
complete -c ctg -n "__fish_seen_subcommand_from listen events" -l store -r -F -d 'Journal file'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l no-store -d 'Keep no journal'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l tls -d 'Serve HTTPS'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l cert -r -F -d 'TLS certificate (PEM)'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l key -r -F -d 'TLS key (PEM)'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l ready-file -r -F -d 'Write the URL once listening'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l forward-to -x -d 'Forward to URL or GLOBS=URL'
complete -c ctg -n "__fish_seen_subcommand_from listen replay" -s H -l header -x -d 'Extra header: Name: value'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l events -x -a "$ctg_event_types" -d 'Only these types'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l print-body -d 'Show bodies'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l threads -x -d 'Event-loop threads'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l max-attempts -x -d 'Attempts before dead-lettering'
complete -c ctg -n "__fish_seen_subcommand_from listen replay" -l insecure -d 'Do not verify certificates'
complete -c ctg -n "__fish_seen_subcommand_from listen replay" -l ca-file -r -F -d 'Trust this CA bundle'
complete -c ctg -n "__fish_seen_subcommand_from listen" -l config -r -F -d 'Config file'

# send-test
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l event -x -a "$ctg_event_types" -d 'Event types to send'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l fixture -r -F -d 'JSON event file to send'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l from-event -x -d 'A delivery captured by ctg listen'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l store -r -F -d 'Journal file'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l set -x -d 'Override a field: PATH=VALUE'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l secret-file -r -F -d 'File holding the webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l secret -x -d 'Webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l no-sign -d 'Send unsigned'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l no-test-header -d 'Leave out X-Ctg-Test'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -s H -l header -x -d 'Extra header: Name: value'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l expect-status -x -d 'Statuses that pass'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l max-latency -x -d 'Slowest acceptable answer (ms)'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l timeout -x -d 'Give up after SECONDS'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l ca-file -r -F -d 'Trust this CA bundle'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l insecure -d 'Do not verify the certificate'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l suite -x -a conformance -d 'Run a named suite'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l junit -r -F -d 'JUnit XML report'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l count -x -d 'Requests in load mode'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l concurrency -x -d 'Connections in load mode'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l rate -x -d 'Requests per second'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l duration -x -d 'Send for this long'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l max-p99 -x -d 'p99 latency budget (ms)'
complete -c ctg -n "__fish_seen_subcommand_from send-test" -l max-error-rate -x -d 'Error-rate budget'

# check
complete -c ctg -n "__fish_seen_subcommand_from check" -l ca-file -r -F -d 'Trust this CA bundle'
complete -c ctg -n "__fish_seen_subcommand_from check" -l secret-file -r -F -d 'File holding the webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from check" -l secret -x -d 'Webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from check" -l max-latency -x -d 'Latency budget (ms)'
complete -c ctg -n "__fish_seen_subcommand_from check" -l timeout -x -d 'Give up on each step after SECONDS'
complete -c ctg -n "__fish_seen_subcommand_from check" -l grade -d 'Add a letter grade'
complete -c ctg -n "__fish_seen_subcommand_from check" -l junit -r -F -d 'JUnit XML report'
complete -c ctg -n "__fish_seen_subcommand_from check" -l fail-on -x -a 'fail warn' -d 'Exit 1 on fail or warn'

# register
complete -c ctg -n "__fish_seen_subcommand_from register" -l events -x -a "$ctg_event_types" -d 'Event types to receive'
complete -c ctg -n "__fish_seen_subcommand_from register" -l description -x -d 'Description shown in the Console'
complete -c ctg -n "__fish_seen_subcommand_from register" -l dry-run -d 'Show what would change; write nothing'
complete -c ctg -n "__fish_seen_subcommand_from register" -l force -d 'Register even when the preflight fails'
complete -c ctg -n "__fish_seen_subcommand_from register" -l secret-out -r -F -d 'Write the returned signing secret to FILE'
complete -c ctg -n "__fish_seen_subcommand_from register" -l show-secret -d 'Print the returned signing secret'
complete -c ctg -n "__fish_seen_subcommand_from register" -l secret-file -r -F -d 'File holding the webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from register" -l secret -x -d 'Webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from register" -l max-latency -x -d 'Preflight latency budget (ms)'

# webhooks
complete -c ctg -n "__fish_seen_subcommand_from webhooks; and not __fish_seen_subcommand_from list delete" -a list -d 'List the registered endpoints'
complete -c ctg -n "__fish_seen_subcommand_from webhooks; and not __fish_seen_subcommand_from list delete" -a delete -d 'Delete an endpoint by id or URL'
complete -c ctg -n "__fish_seen_subcommand_from webhooks; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Do not ask'

# Contiguity API options: register, webhooks list/delete
complete -c ctg -n "__fish_seen_subcommand_from register" -l api-base -x -d 'Contiguity API base URL'
complete -c ctg -n "__fish_seen_subcommand_from register" -l token-file -r -F -d 'File holding the API token'
complete -c ctg -n "__fish_seen_subcommand_from register" -l ca-file -r -F -d 'Trust this CA bundle'
complete -c ctg -n "__fish_seen_subcommand_from register" -l timeout -x -d 'Give up on each API answer after SECONDS'
complete -c ctg -n "__fish_seen_subcommand_from register" -l retries -x -d 'Retries on 429, 5xx and timeouts'
complete -c ctg -n "__fish_seen_subcommand_from webhooks; and __fish_seen_subcommand_from list delete" -l api-base -x -d 'Contiguity API base URL'
complete -c ctg -n "__fish_seen_subcommand_from webhooks; and __fish_seen_subcommand_from list delete" -l token-file -r -F -d 'File holding the API token'
complete -c ctg -n "__fish_seen_subcommand_from webhooks; and __fish_seen_subcommand_from list delete" -l ca-file -r -F -d 'Trust this CA bundle'
complete -c ctg -n "__fish_seen_subcommand_from webhooks; and __fish_seen_subcommand_from list delete" -l timeout -x -d 'Give up on each API answer after SECONDS'
complete -c ctg -n "__fish_seen_subcommand_from webhooks; and __fish_seen_subcommand_from list delete" -l retries -x -d 'Retries on 429, 5xx and timeouts'

# events
complete -c ctg -n "__fish_seen_subcommand_from events; and not __fish_seen_subcommand_from list show replay to-fixture" -a list -d 'List deliveries'
complete -c ctg -n "__fish_seen_subcommand_from events; and not __fish_seen_subcommand_from list show replay to-fixture" -a show -d 'Show one delivery'
complete -c ctg -n "__fish_seen_subcommand_from events; and not __fish_seen_subcommand_from list show replay to-fixture" -a replay -d 'Deliver journaled events again'
complete -c ctg -n "__fish_seen_subcommand_from events; and not __fish_seen_subcommand_from list show replay to-fixture" -a to-fixture -d 'Turn a delivery into a fixture'
complete -c ctg -n "__fish_seen_subcommand_from events; and __fish_seen_subcommand_from list replay" -l type -x -a "$ctg_event_types" -d 'Only these types'
complete -c ctg -n "__fish_seen_subcommand_from events; and __fish_seen_subcommand_from list replay" -l since -x -d 'Only since then'
complete -c ctg -n "__fish_seen_subcommand_from events; and __fish_seen_subcommand_from list replay" -l limit -x -d 'At most N'
complete -c ctg -n "__fish_seen_subcommand_from events; and __fish_seen_subcommand_from list" -l status -x -a "accepted rejected duplicate 2xx 4xx 5xx forward-failed dead" -d 'Filter by outcome'
complete -c ctg -n "__fish_seen_subcommand_from events; and __fish_seen_subcommand_from show" -l raw -d 'The request as received'
complete -c ctg -n "__fish_seen_subcommand_from events; and __fish_seen_subcommand_from replay" -l to -x -d 'Target URL'
complete -c ctg -n "__fish_seen_subcommand_from events; and __fish_seen_subcommand_from replay" -l resign -d 'Sign afresh'
complete -c ctg -n "__fish_seen_subcommand_from replay" -l secret-file -r -F -d 'File holding the webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from replay" -l secret -x -d 'Webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from events; and __fish_seen_subcommand_from to-fixture" -s o -l output -r -F -d 'Write to FILE'

# sign
complete -c ctg -n "__fish_seen_subcommand_from sign" -F
complete -c ctg -n "__fish_seen_subcommand_from sign verify" -l secret-file -r -F -d 'File holding the webhook secret'
complete -c ctg -n "__fish_seen_subcommand_from sign verify" -l secret -x -d 'Webhook secret (visible to other processes)'
complete -c ctg -n "__fish_seen_subcommand_from sign" -l timestamp -x -d 'Unix seconds to sign with'
complete -c ctg -n "__fish_seen_subcommand_from sign" -l curl -x -d 'Print a curl command that delivers to URL'

# verify
complete -c ctg -n "__fish_seen_subcommand_from verify" -F
complete -c ctg -n "__fish_seen_subcommand_from verify" -l signature -x -d 'The Contiguity-Signature header value'
complete -c ctg -n "__fish_seen_subcommand_from verify" -l request -r -F -d 'A captured HTTP request'
complete -c ctg -n "__fish_seen_subcommand_from verify" -l tolerance -x -d 'Seconds a timestamp may differ from now'
complete -c ctg -n "__fish_seen_subcommand_from verify" -l now -x -d 'Unix seconds to take as now'

# fixtures
complete -c ctg -n "__fish_seen_subcommand_from fixtures; and not __fish_seen_subcommand_from list show" -a list -d 'List the event types'
complete -c ctg -n "__fish_seen_subcommand_from fixtures; and not __fish_seen_subcommand_from list show" -a show -d 'Print a sample event'
complete -c ctg -n "__fish_seen_subcommand_from fixtures; and __fish_seen_subcommand_from show" -a "$ctg_event_types"
complete -c ctg -n "__fish_seen_subcommand_from fixtures; and __fish_seen_subcommand_from show" -l raw -d 'The fixture as shipped'
complete -c ctg -n "__fish_seen_subcommand_from fixtures; and __fish_seen_subcommand_from show" -l set -x -d 'Override a field: PATH=VALUE'

# completion, help
complete -c ctg -n "__fish_seen_subcommand_from completion" -a "bash zsh fish"
complete -c ctg -n "__fish_seen_subcommand_from help" -a "$ctg_commands"
