#!/usr/bin/env bash
# How long one hostile request holds ctg listen's event loop, against the platform docs' Go
# receiver in the same run. For each request class below, a probe client sends signed deliveries
# back to back on its own keep-alive connection while the hostile request is sent and answered; the
# figure is the probe's worst answer time during that window (a loop held by the request shows as
# a probe answer that waited), with the hostile request's own answer time beside it. ctg listen runs
# with one event loop (--threads 1), its journal kept across the classes, verifying signatures.
# Needs: golang-go, python3 (Debian packages).
# Usage: bench/hostile.sh [path/to/ctg] [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
ctg=${1:-build/release/apps/ctg}
repeats=${2:-3}
shared=${CTG_SHARED:-../shared}
for tool in go python3; do
  command -v $tool >/dev/null || { echo "bench: needs $tool (apt-get install golang-go python3)" >&2; exit 2; }
done
if [ ! -x "$ctg" ]; then
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCTG_BUILD_TESTS=OFF >/dev/null
  cmake --build build/release -j "$(nproc)" >/dev/null
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

secret=whsec_bench_secret
go build -o "$work/go_receiver" "$shared/bench/go_receiver.go"
PORT=3201 "$work/go_receiver" >/dev/null 2>&1 & pids+=($!)
CONTIGUITY_WEBHOOK_SECRET=$secret "$ctg" listen --port 3301 --store "$work/events.db" --threads 1 -q \
  >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:3301/" && curl -s -o /dev/null "http://127.0.0.1:3201/" && break
  sleep 0.05
done

python3 - "$secret" "$repeats" <<'PY'
import hashlib, hmac, json, socket, statistics, sys, threading, time

secret, repeats = sys.argv[1].encode(), int(sys.argv[2])
counter = [0]

def signed(body: bytes, good=True) -> str:
    t = int(time.time())
    mac = hmac.new(secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest() if good else "0" * 64
    return f"t={t},v1={mac}"

def event(data) -> bytes:
    counter[0] += 1
    return json.dumps({"id": f"evt_hostile{counter[0]:08d}_{time.time_ns()}", "type": "text.incoming.sms",
                       "timestamp": int(time.time()), "api_version": "v2025.9.7", "data": data},
                      separators=(",", ":")).encode()

def request(body: bytes, signature: str) -> bytes:
    return (b"POST /contiguity/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Contiguity-Signature: " + signature.encode() + b"\r\nContent-Length: " + str(len(body)).encode() +
            b"\r\n\r\n" + body)

def read_answer(sock, buffer=b""):
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head, rest = buffer.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return int(head.split(b" ")[1]), rest[length:]

def many_keys(size, extra=""):
    parts, n = [], 0
    total = 2 + len(extra)
    while total < size - 16:
        part = f'"k{n:07d}":0'
        parts.append(part)
        total += len(part) + 1
        n += 1
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}"

def deep_array(size, depth=64):
    inner = ",".join(["0"] * ((size - 2 * depth) // 2))
    return "[" * depth + inner + "]" * depth

def classes():
    mib = 1_040_000
    keys = many_keys(mib).encode()
    yield "forged: 1 MiB object of many keys", keys, signed(keys, good=False)
    deep = deep_array(mib).encode()
    yield "forged: 1 MiB array nested 64 deep", deep, signed(deep, good=False)
    many = event(json.loads(many_keys(1_000_000, '"x":1e1'), parse_float=lambda s: 10.0))
    many = many.replace(b'"x":10.0', b'"x":1e1')
    yield "signed: 1 MiB event, 80k keys and 1e1", many, signed(many)
    big = event({"from": "+15555550123", "to": "+15555550100", "body": "x" * 1_000_000})
    yield "signed: 1 MiB event, one long text", big, signed(big)
    small = event({"from": "+15555550123", "to": "+15555550100", "body": "hello"})
    yield "signed: a normal event (baseline)", small, signed(small)

def measure(port, body, signature):
    stop = threading.Event()
    latencies = []
    def connect():
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(60)
        return sock
    probes = [connect()]
    def probing():
        while not stop.is_set():
            p = event({"from": "+15555550123", "to": "+15555550100", "body": "probe"})
            start = time.perf_counter()
            try:
                probes[0].sendall(request(p, signed(p)))
                read_answer(probes[0])
            except OSError:  # a server that held its loop past its own timeouts drops the probe
                probes[0].close()
                probes[0] = connect()
            latencies.append((time.perf_counter() - start) * 1000)
    thread = threading.Thread(target=probing)
    thread.start()
    time.sleep(0.2)
    baseline = len(latencies)
    attacker = socket.create_connection(("127.0.0.1", port))
    start = time.perf_counter()
    attacker.sendall(request(body, signature))
    status, _ = read_answer(attacker)
    own = (time.perf_counter() - start) * 1000
    time.sleep(0.05)
    stop.set()
    thread.join()
    attacker.close()
    probes[0].close()
    window = latencies[baseline:] or [0.0]
    return status, own, max(window)

print(f"{'request class':40} {'receiver':12} {'status':>6} {'own ms':>9} {'probe worst ms':>15}")
results, names = {}, []
for name, body, signature in classes():
    names.append(name)
    for receiver, port in (("ctg listen", 3301), ("go receiver", 3201)):
        runs = [measure(port, body, signature) for _ in range(repeats)]
        status = runs[-1][0]
        own = statistics.median(r[1] for r in runs)
        worst = statistics.median(r[2] for r in runs)
        results[(name, receiver)] = worst
        print(f"{name:40} {receiver:12} {status:>6} {own:>9.1f} {worst:>15.1f}")
print()
for name in names:
    ctg, go = results[(name, "ctg listen")], results[(name, "go receiver")]
    print(f"{name:40} probe worst: ctg {ctg:.1f} ms, go {go:.1f} ms, ratio ctg/go {ctg / max(go, 0.01):.2f}")
PY
