#!/usr/bin/env bash
# ssd-serve as a client sees it: the endpoints against ssd-detect on the same images (one by one and concurrent), every
# kind of bad request answered with its 4xx while the server keeps serving, the metrics, the port taken, and SIGTERM
# with requests in flight. Argument: the folder holding ssd-train & co.
set -euo pipefail
bin=$1
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill -9 "$server" 2>/dev/null; rm -rf "$work"' EXIT
source "$(dirname "$0")/tiny_setup.sh"
make_tiny "$bin" "$work" "train: {run_dir: $work/run, epochs: 2, batch_size: 4, log_period: 1}"
"$bin/ssd-train" --config "$work/tiny.yaml" > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "ssd-train"; }
# A PNG of noise, 300 x 200 (180 KB: bodies over 8 KiB sent as curl --data-binary sends them, form-urlencoded).
mkdir -p "$work/extra"
/usr/bin/python3 - "$work/extra/noise.png" <<'PY'
import os, struct, sys, zlib
w, h = 300, 200
chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
rows = b"".join(b"\0" + os.urandom(3 * w) for _ in range(h))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                             + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
"$bin/ssd-detect" --checkpoint "$work/run" "$work/shapes/JPEGImages" "$work/extra" --json-out "$work/detect.json" --score-thresh 0.05 \
  > "$work/detect.log" 2>&1 || { cat "$work/detect.log"; fail "ssd-detect"; }

# start_server LOG ARGS...: starts ssd-serve on a free port, waits for its "serving" line, sets $server and $port.
start_server() {
  local log=$1
  shift
  "$bin/ssd-serve" --checkpoint "$work/run" --port 0 "$@" > "$log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    grep -q "serving" "$log" && break
    kill -0 "$server" 2>/dev/null || { cat "$log"; fail "ssd-serve exited before serving"; }
    sleep 0.1
  done
  port=$(grep -o "on http://127.0.0.1:[0-9]*" "$log" | grep -o "[0-9]*$") || { cat "$log"; fail "no 'serving on http://127.0.0.1:PORT' line"; }
}

echo "== endpoints, bad requests, metrics"
start_server "$work/serve.log" --max-body-mb 1 --max-images 4 --max-pixels 1000000
/usr/bin/python3 "$(dirname "$0")/serve_client.py" "$port" "$work/shapes/JPEGImages" "$work/detect.json" "$work/extra/noise.png" \
  || { cat "$work/serve.log"; fail "serve_client.py"; }

echo "== the port taken: a clear error, exit 3"
if "$bin/ssd-serve" --checkpoint "$work/run" --port "$port" > "$work/taken.log" 2>&1; then fail "a second server on a taken port started"; else rc=$?; fi
[ "$rc" -eq 3 ] || { cat "$work/taken.log"; fail "taken port: exit $rc, expected 3"; }
grep -q -- "--port $port: cannot listen there" "$work/taken.log" || { cat "$work/taken.log"; fail "taken port: no message naming it"; }

echo "== SIGTERM when idle: exit 0"
kill -TERM "$server"
wait "$server" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || { cat "$work/serve.log"; fail "ssd-serve exited $rc after SIGTERM"; }

echo "== SIGTERM with requests in flight (held for their batch): all answered, exit 0"
start_server "$work/serve2.log" --max-wait-ms 5000 --max-batch 64
/usr/bin/python3 "$(dirname "$0")/serve_client.py" "$port" "$work/shapes/JPEGImages" "$work/detect.json" "$work/extra/noise.png" --in-flight-then-kill "$server" \
  || { cat "$work/serve2.log"; fail "requests in flight at SIGTERM"; }
wait "$server" && rc=0 || rc=$?
server=""
[ "$rc" -eq 0 ] || { cat "$work/serve2.log"; fail "ssd-serve exited $rc after SIGTERM"; }
grep -q "SIGTERM: finishing the requests in flight" "$work/serve2.log" || fail "no shutdown line"
grep -q "stopped" "$work/serve2.log" || fail "no 'stopped' line"
echo "serve: all checks passed"
