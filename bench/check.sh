#!/usr/bin/env bash
# ctg check against testssl.sh on the same loopback HTTPS servers, alternating in one run: a full
# `ctg check URL --ca-file root.pem --json` per server, timed, against testssl.sh's run over the
# same server. Checks that ctg takes at most 1/20 of testssl.sh's time and that both tools give the
# same verdicts on expiry, hostname, chain, self-signed and protocol versions on every server.
#
# The servers: a private PKI made here with the openssl CLI (root CA -> intermediate CA -> leaves,
# EC P-256, SHA-256) served by one nginx on 127.0.0.1:3501-3507: good (full chain), missing
# intermediate, expired, not yet valid, wrong host (SAN other.example only), a self-signed leaf, and
# a good chain that also offers TLS 1.0 and 1.1 (SECLEVEL=0; checked with openssl s_client).
# nginx rather than `openssl s_server -www`: s_server answers only GET and never answers a POST,
# so a check that POSTs a sample event would be timed waiting on its own timeout.
#
# The timed testssl.sh run is `testssl.sh -p -S -n none --add-ca root.pem` (protocols, server
# defaults with the certificate, no DNS look-ups): the smallest run that covers every compared
# category, so the gated ratio is the one least flattering to ctg. CTG_TESTSSL_FULL=1 also times
# testssl.sh's default full run (everything but -E and -g; 75-90 s a server on a 2-core
# machine) on every server and prints that ratio too; its verdicts must match as well.
# Both tools trust the private root (ctg --ca-file, testssl.sh --add-ca); expired and not-yet-valid
# certificates are judged under "expiry", so testssl.sh's "chain of trust: failed (expired)" counts
# as chain ok (OpenSSL reports a date error only once the chain to a trusted root is built).
#
# Verdict words: expiry ok/expired/not-yet-valid; hostname ok/mismatch; chain ok/incomplete/
# untrusted; self-signed yes/no; protocols: the versions offered. Each row is also held against the
# verdict the server was built to give ("expected"); a difference there means the setup is wrong.
# Exit 0 when every row agrees and ctg/testssl.sh <= 0.05; 1 otherwise (the reasons are printed);
# 2 a tool is missing; 3 the PKI or the servers could not be set up.
# CTG_CHECK_SKIP=1: no ctg at all: the servers and testssl.sh's column only.
# CTG_CHECK_OUT=DIR keeps every JSON report and testssl.sh's text output in DIR.
#
# Needs: testssl.sh, openssl, nginx, python3 (Debian packages testssl.sh, openssl, nginx-light,
# python3). Debian installs testssl.sh as `testssl`; either name is used.
# Usage: bench/check.sh [path/to/ctg] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
ctg=${1:-build/release/apps/ctg}
rounds=${2:-1}
skip=${CTG_CHECK_SKIP:-0}
full=${CTG_TESTSSL_FULL:-0}
testssl=$(command -v testssl.sh || command -v testssl || true)
[ -n "$testssl" ] || { echo "bench: needs testssl.sh (apt-get install testssl.sh)" >&2; exit 2; }
for tool in openssl nginx python3; do
  command -v $tool >/dev/null || { echo "bench: needs $tool (apt-get install testssl.sh openssl nginx-light python3)" >&2; exit 2; }
done
if [ "$skip" != 1 ]; then
  if [ ! -x "$ctg" ]; then
    cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCTG_BUILD_TESTS=OFF >/dev/null
    cmake --build build/release -j "$(nproc)" >/dev/null
  fi
  "$ctg" check --help >/dev/null 2>&1 ||
    { echo "bench: $ctg has no check command (CTG_CHECK_SKIP=1 runs the testssl.sh side alone)" >&2; exit 2; }
fi
work=$(mktemp -d)
pids=()
setup_done=0
cleanup() {
  # A failure while making the PKI or starting the servers: show what openssl or nginx said.
  [ "$setup_done" = 1 ] || [ ! -s "$work/setup.log" ] || tail -5 "$work/setup.log" >&2
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${CTG_CHECK_OUT:-}" ] && [ -d "$work/out" ]; then mkdir -p "$CTG_CHECK_OUT" && cp -r "$work/out/." "$CTG_CHECK_OUT/"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- PKI ------------------------------------------------------------------------------------------
pki=$work/pki
mkdir "$pki"
cat >"$pki/ca.cnf" <<'CNF'
[ca]
default_ca = ca_default
[ca_default]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_inter]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
CNF
(
  cd "$pki"
  : >index.txt
  export SAN=DNS:localhost
  key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
  now=$(date -u +%s)
  day() { date -u -d "@$((now + $1 * 86400))" +%Y%m%d%H%M%SZ; }
  key root
  openssl req -new -x509 -config ca.cnf -extensions v3_root -key root.key -subj "/CN=ctg bench root CA" \
    -days 3650 -sha256 -out root.pem
  key inter
  openssl req -new -config ca.cnf -key inter.key -subj "/CN=ctg bench intermediate CA" -out inter.csr
  openssl ca -batch -config ca.cnf -notext -rand_serial -cert root.pem -keyfile root.key -extensions v3_inter \
    -days 3650 -in inter.csr -out inter.pem
  leaf() {  # name CN SAN first-day last-day (days from now)
    key "$1"
    SAN=$3 openssl req -new -config ca.cnf -key "$1.key" -subj "/CN=$2" -out "$1.csr"
    SAN=$3 openssl ca -batch -config ca.cnf -notext -rand_serial -cert inter.pem -keyfile inter.key \
      -extensions v3_leaf -startdate "$(day "$4")" -enddate "$(day "$5")" -in "$1.csr" -out "$1.pem"
    cat "$1.pem" inter.pem >"$1-chain.pem"
  }
  leaf good localhost "DNS:localhost,IP:127.0.0.1" -1 90
  leaf expired localhost "DNS:localhost,IP:127.0.0.1" -120 -30
  leaf future localhost "DNS:localhost,IP:127.0.0.1" 30 120
  leaf wronghost other.example "DNS:other.example" -1 90
  key self
  SAN="DNS:localhost,IP:127.0.0.1" openssl req -new -x509 -config ca.cnf -extensions v3_leaf -key self.key \
    -subj "/CN=localhost" -days 90 -sha256 -out self.pem
) 2>>"$work/setup.log"

# --- servers: name port certificate-file key -----------------------------------------------------
servers=(
  "good 3501 good-chain.pem good.key"
  "missing-intermediate 3502 good.pem good.key"
  "expired 3503 expired-chain.pem expired.key"
  "not-yet-valid 3504 future-chain.pem future.key"
  "wrong-host 3505 wronghost-chain.pem wronghost.key"
  "self-signed 3506 self.pem self.key"
  "legacy-tls 3507 good-chain.pem good.key"
)
{
  echo "worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;"
  echo "events { worker_connections 256; }"
  echo "http { access_log off; client_body_temp_path $work/nginx-body;"
  for s in "${servers[@]}"; do
    read -r name port cert keyf <<<"$s"
    if [ "$name" = legacy-tls ]; then
      protocols="TLSv1 TLSv1.1 TLSv1.2 TLSv1.3"; ciphers="DEFAULT:@SECLEVEL=0"
    else
      protocols="TLSv1.2 TLSv1.3"; ciphers="DEFAULT"
    fi
    echo "  server { listen 127.0.0.1:$port ssl; ssl_certificate $pki/$cert; ssl_certificate_key $pki/$keyf;"
    echo "    ssl_protocols $protocols; ssl_ciphers $ciphers; location / { return 200 OK; } }"
  done
  echo "}"
} >"$work/nginx.conf"
nginx -e "$work/nginx.err" -c "$work/nginx.conf" >>"$work/setup.log" 2>&1 & nginx_pid=$!
pids+=("$nginx_pid")
# nginx writes its pid file once every port is bound (a busy port stops it before that).
for _ in $(seq 100); do [ -s "$work/nginx.pid" ] || ! kill -0 "$nginx_pid" 2>/dev/null && break; sleep 0.05; done
if [ ! -s "$work/nginx.pid" ] || ! kill -0 "$nginx_pid" 2>/dev/null; then
  echo "bench: nginx did not start (ports 3501-3507 busy?)" >&2
  cat "$work/nginx.err" >>"$work/setup.log" 2>/dev/null || true
  exit 3
fi
for s in "${servers[@]}"; do
  read -r name port _ <<<"$s"
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "bench: nginx does not listen on 127.0.0.1:$port" >&2; exit 3; }
done
# The legacy server must really accept TLS 1.0 and 1.1, and the good one refuse them.
accepts() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" "-$2" -cipher DEFAULT:@SECLEVEL=0 >/dev/null 2>&1; }
for v in tls1 tls1_1; do
  accepts 3507 $v || { echo "bench: legacy-tls server does not accept -$v (openssl s_client)" >&2; exit 3; }
  ! accepts 3501 $v || { echo "bench: good server accepts -$v" >&2; exit 3; }
done

setup_done=1

# --- runs -----------------------------------------------------------------------------------------
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
run_ctg() {  # name port round
  local out=$work/out/$1.r$3.ctg.json rc=0 t0
  t0=$(date +%s%N)
  "$ctg" check "https://127.0.0.1:$2/" --ca-file "$pki/root.pem" --json >"$out" 2>"$out.err" || rc=$?
  echo "$1 $3 ctg $(ms_since "$t0") $rc" >>"$work/times"
}
run_testssl() {  # name port round kind(quick|full)
  local out=$work/out/$1.r$3.$4.json t0 opts=(-p -S -n none)
  if [ "$4" = full ]; then opts=(); fi
  t0=$(date +%s%N)
  "$testssl" --quiet --warnings off --color 0 --add-ca "$pki/root.pem" --jsonfile-pretty "$out" \
    "${opts[@]}" "https://127.0.0.1:$2/" >"$out.txt" 2>&1 || true
  echo "$1 $3 testssl_$4 $(ms_since "$t0") 0" >>"$work/times"
}
mkdir "$work/out"
: >"$work/times"
for r in $(seq "$rounds"); do
  i=0
  for s in "${servers[@]}"; do
    read -r name port _ <<<"$s"
    printf '%-22s round %s ...' "$name" "$r" >&2
    # Who goes first alternates from server to server and from round to round.
    if [ $(((i + r) % 2)) = 1 ] || [ "$skip" = 1 ]; then
      [ "$skip" = 1 ] || run_ctg "$name" "$port" "$r"
      run_testssl "$name" "$port" "$r" quick
      [ "$full" != 1 ] || run_testssl "$name" "$port" "$r" full
    else
      [ "$full" != 1 ] || run_testssl "$name" "$port" "$r" full
      run_testssl "$name" "$port" "$r" quick
      run_ctg "$name" "$port" "$r"
    fi
    echo " done" >&2
    i=$((i + 1))
  done
done

# --- verdicts, table, ratio -----------------------------------------------------------------------
python3 - "$work" "$rounds" "$skip" "$full" "${servers[@]}" <<'PY'
import datetime, json, os, re, statistics, sys
work, rounds, skip, full = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "1"
names = [s.split()[0] for s in sys.argv[5:]]
CATS = ["expiry", "hostname", "chain", "self-signed", "protocols"]
ok = {"expiry": "ok", "hostname": "ok", "chain": "ok", "self-signed": "no", "protocols": "TLS1.2,TLS1.3"}
expected = {n: dict(ok) for n in names}
expected["missing-intermediate"]["chain"] = "incomplete"
expected["expired"]["expiry"] = "expired"
expected["not-yet-valid"]["expiry"] = "not-yet-valid"
expected["wrong-host"]["hostname"] = "mismatch"
expected["self-signed"].update({"chain": "untrusted", "self-signed": "yes"})
expected["legacy-tls"]["protocols"] = "TLS1.0,TLS1.1,TLS1.2,TLS1.3"
ORDER = ["SSLv2", "SSLv3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"]

def testssl_verdicts(path):
    try:
        doc = json.load(open(path))
    except (OSError, ValueError) as e:
        return {c: "error" for c in CATS}, f"no JSON ({e})", {}
    f = {}
    for section in doc.get("scanResult", []):
        for key, items in section.items():
            if isinstance(items, list):
                for it in items:
                    f.setdefault(it.get("id"), it.get("finding", ""))
    v, now = {}, datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    when = lambda s: datetime.datetime.strptime(s.strip(), "%Y-%m-%d %H:%M") if s and s[:1].isdigit() else None
    chain = f.get("cert_chain_of_trust", "")
    not_before, not_after = when(f.get("cert_notBefore")), when(f.get("cert_notAfter"))
    if "expired" in f.get("cert_expirationStatus", "") or (not_after and not_after < now):
        v["expiry"] = "expired"
    elif "not yet valid" in chain or (not_before and not_before > now):
        v["expiry"] = "not-yet-valid"
    elif "cert_expirationStatus" in f:
        v["expiry"] = "ok"
    trust = f.get("cert_trust", "")
    if trust.startswith("Ok"):
        v["hostname"] = "ok"
    elif "does not match" in trust:
        v["hostname"] = "mismatch"
    if chain.startswith("passed") or re.search(r"\((expired|not yet valid)\)", chain):
        v["chain"] = "ok"
    elif "chain incomplete" in chain:
        v["chain"] = "incomplete"
    elif chain:
        v["chain"] = "untrusted"
    if chain:
        v["self-signed"] = "yes" if "self signed" in chain and "CA in chain" not in chain else "no"
    offered = [name for tid, name in [("SSLv2", "SSLv2"), ("SSLv3", "SSLv3"), ("TLS1", "TLS1.0"),
                                      ("TLS1_1", "TLS1.1"), ("TLS1_2", "TLS1.2"), ("TLS1_3", "TLS1.3")]
               if f.get(tid, "").startswith("offered")]
    if any(t in f for t in ("TLS1", "TLS1_2")):
        v["protocols"] = ",".join(offered) or "none"
    problem = f.get("scanProblem", "")
    return {c: v.get(c, "?") for c in CATS}, problem, {}

def ctg_verdicts(path):
    try:
        doc = json.load(open(path))
    except (OSError, ValueError) as e:
        return {c: "error" for c in CATS}, f"no JSON ({e})", {}
    checks = {c.get("id"): c for c in doc.get("checks", [])}
    sev = lambda i: checks.get(i, {}).get("severity", "")
    msg = lambda i: checks.get(i, {}).get("message", "") or ""
    v = {}
    if sev("validity") in ("pass", "info", "warn"):
        v["expiry"] = "ok"
    elif sev("validity") == "fail":
        v["expiry"] = "not-yet-valid" if re.search(r"not (yet )?valid (yet|until|before)|not yet valid|notBefore|starts",
                                                   msg("validity"), re.I) else "expired"
    if sev("hostname") == "pass":
        v["hostname"] = "ok"
    elif sev("hostname") in ("warn", "fail"):
        v["hostname"] = "mismatch"
    if sev("chain") in ("pass", "warn"):   # warn: trusted only through --ca-file, as testssl.sh --add-ca
        v["chain"] = "ok"
    elif sev("chain") == "fail":
        v["chain"] = "incomplete" if re.search(r"intermediate|incomplete", msg("chain"), re.I) else "untrusted"
    ss = next((i for i in ("self_signed", "self-signed", "selfsigned") if i in checks), None)
    if ss:
        v["self-signed"] = "yes" if sev(ss) in ("warn", "fail") else "no"
    elif "chain" in checks:
        v["self-signed"] = "yes" if re.search(r"self[- ]signed", msg("chain"), re.I) else "no"
    offered, seen, unprobed = [], False, {}
    for ids, name, bad in [(("ssl2", "sslv2"), "SSLv2", True), (("ssl3", "sslv3"), "SSLv3", True),
                           (("tls1_0",), "TLS1.0", True), (("tls1_1",), "TLS1.1", True),
                           (("tls1_2",), "TLS1.2", False), (("tls1_3",), "TLS1.3", False)]:
        if not any(i in checks for i in ids):
            unprobed[name] = "no check for it"
        for i in ids:
            if i in checks:
                seen = True
                # tls1_0/1_1 and ssl3: warn/fail when offered; tls1_2/1_3: pass when offered.
                if sev(i) == "skip" and "cannot offer" in msg(i):
                    unprobed[name] = msg(i)  # OpenSSL 3 has no SSLv3: compared where ctg can probe
                elif sev(i) == "skip":
                    offered.append(name + "=skipped")  # not probed: shows up as a disagreement
                elif (sev(i) in ("warn", "fail")) if bad else (sev(i) == "pass"):
                    offered.append(name)
    if seen:
        v["protocols"] = ",".join(offered) or "none"
    return {c: v.get(c, "?") for c in CATS}, "", unprobed

times, problems = {}, []
for line in open(os.path.join(work, "times")):
    name, r, tool, ms, rc = line.split()
    times.setdefault((name, tool), []).append(int(ms))
    if tool == "ctg" and rc not in ("0", "1"):
        err = open(os.path.join(work, "out", f"{name}.r{r}.ctg.json.err")).read().strip()
        problems.append(f"{name}: ctg check exited {rc} (not 0 or 1): {err[:300]}")

version = "?"
try:
    version = json.load(open(os.path.join(work, "out", f"{names[0]}.r1.quick.json"))).get("version", "?").split()[0]
except (OSError, ValueError):
    pass
print(f"testssl.sh {version}; timed: testssl.sh -p -S -n none --add-ca root.pem"
      + (" and the default full run" if full else "") + f"; ctg check --ca-file root.pem --json; {rounds} round(s)")
def without(protocols, names):
    if protocols in ("?", "error"):
        return protocols
    return ",".join(p for p in protocols.split(",") if p not in names) or "none"

rows, agree, total, uncompared = [], 0, 0, {}
for n in names:
    per_round, unprobed = {}, {}
    for tool in (["quick"] + (["full"] if full else []) + ([] if skip else ["ctg"])):
        got = []
        for r in range(1, rounds + 1):
            if tool == "ctg":
                got.append(ctg_verdicts(os.path.join(work, "out", f"{n}.r{r}.ctg.json")))
            else:
                got.append(testssl_verdicts(os.path.join(work, "out", f"{n}.r{r}.{tool}.json")))
        for g, note, left_out in got:
            unprobed.update(left_out)
            if note:
                problems.append(f"{n}: {'ctg' if tool == 'ctg' else 'testssl.sh ' + tool}: {note}")
        if any(g != got[0][0] for g, _, _ in got):
            problems.append(f"{n}: {tool} verdicts differ between rounds: {[g for g, _, _ in got]}")
        per_round[tool] = dict(got[0][0])
    # Versions ctg cannot probe on this machine are left out of both sides, and listed below.
    for tool, v in per_round.items():
        if tool == "quick":
            for version, why in unprobed.items():
                said = "offered" if version in v["protocols"].split(",") else "not offered"
                uncompared.setdefault((version, why), {}).setdefault(said, []).append(n)
        v["protocols"] = without(v["protocols"], unprobed)
    for c in CATS:
        t, e = per_round["quick"][c], expected[n][c]
        cv = "-" if skip else per_round["ctg"][c]
        same = None if skip else (cv == t)
        if not skip:
            total += 1
            agree += same
            if not same:
                problems.append(f"{n} / {c}: ctg says {cv}, testssl.sh says {t}")
        if t != e:
            problems.append(f"{n} / {c}: testssl.sh says {t}, the server was built to give {e} (setup?)")
        if full and per_round["full"][c] != t:
            problems.append(f"{n} / {c}: testssl.sh's full run says {per_round['full'][c]}, -p -S says {t}")
        rows.append((n, c, e, cv, t, "-" if same is None else ("yes" if same else "NO")))

w = [max(len(str(r[i])) for r in rows + [("server", "category", "expected", "ctg", "testssl.sh", "agree?")])
     for i in range(6)]
fmt = "  ".join(f"{{:<{x}}}" for x in w)
print()
print(fmt.format("server", "category", "expected", "ctg", "testssl.sh", "agree?").rstrip())
prev = None
for r in rows:
    print(fmt.format(*(r if r[0] != prev else ("",) + r[1:])).rstrip())
    prev = r[0]

for (version, why), said in sorted(uncompared.items()):
    print(f"not compared: {version} (ctg: {why}); testssl.sh: "
          + "; ".join(f"{k} on {len(v)} server(s)" for k, v in said.items()))

med = lambda n, tool: statistics.median(times[(n, tool)]) if (n, tool) in times else None
print(f"\nper-server time, median of {rounds} round(s), ms:")
hdr = ["server", "ctg", "testssl.sh -p -S"] + (["testssl.sh full"] if full else [])
print("  " + "  ".join(f"{h:>20}" if i else f"{h:<22}" for i, h in enumerate(hdr)))
for n in names:
    cells = [med(n, "ctg"), med(n, "testssl_quick")] + ([med(n, "testssl_full")] if full else [])
    print("  " + "  ".join([f"{n:<22}"] + [f"{'-' if c is None else f'{c:.0f}':>20}" for c in cells]))
tot = lambda tool: sum(sum(v) for (n, t), v in times.items() if t == tool)
quick, whole = tot("testssl_quick"), tot("testssl_full")
print(f"\ntotal testssl.sh -p -S time: {quick / 1000:.1f} s" + (f"; default full run: {whole / 1000:.1f} s" if full else ""))
if not skip:
    ctg = tot("ctg")
    ratio = ctg / quick
    print(f"total ctg check time: {ctg / 1000:.2f} s")
    print(f"ratio ctg/testssl.sh (-p -S): {ratio:.4f} (1/{quick / max(ctg, 1):.0f}; target <= 0.05)")
    if full:
        print(f"ratio ctg/testssl.sh (default full run): {ctg / whole:.4f} (1/{whole / max(ctg, 1):.0f})")
    print(f"agreement {agree}/{total}")
    if ratio > 0.05:
        problems.append(f"ctg took {ratio:.3f} of testssl.sh's time, more than 1/20")
if problems:
    print("\nFAILED:")
    for p in problems:
        print("  " + p)
    sys.exit(1)
print("\nall verdicts agree" if not skip else "\ntestssl.sh gives every verdict the servers were built to give")
PY
