"""The client side of tests/cli/serve.sh: talks to a running ssd-serve over HTTP (the standard library only).

serve_client.py PORT IMAGES_DIR DETECT_JSON NOISE_PNG                        endpoints, bad requests, metrics
serve_client.py PORT IMAGES_DIR DETECT_JSON NOISE_PNG --in-flight-then-kill PID
    sends requests, waits until the server counts them in flight, sends SIGTERM, and checks that every one is answered.
DETECT_JSON is ssd-detect --json-out on IMAGES_DIR and NOISE_PNG (a 180 KB image) with --score-thresh 0.05.
"""
import gzip
import json
import os
import signal
import socket
import struct
import threading
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

port, images_dir, detect_json, noise = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
base = f"http://127.0.0.1:{port}"


def request(path, body=None, headers=None, method=None):
    """(status, parsed JSON or text) of one request; 4xx and 5xx are answers too. A raw body goes with urllib's default
    Content-Type, application/x-www-form-urlencoded, as curl --data-binary sends it."""
    req = urllib.request.Request(base + path, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text, kind = r.status, r.read().decode(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        status, text, kind = e.code, e.read().decode(), e.headers.get("Content-Type", "")
    return status, json.loads(text) if kind.startswith("application/json") else text


def multipart(files):
    """A multipart/form-data body of (field, filename, bytes) parts, and its Content-Type."""
    boundary = uuid.uuid4().hex
    body = b""
    for field, filename, data in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def same_detections(got, expected, what):
    """The server's detections equal ssd-detect's: the same count, and each matched by class, box and score."""
    assert len(got) == len(expected), f"{what}: {len(got)} detections, ssd-detect has {len(expected)}"
    left = list(expected)
    for g in got:
        match = next((e for e in left if e["category_id"] == g["category_id"] and e["image_id"] == g["image_id"]
                      and abs(e["score"] - g["score"]) < 1e-4 and max(abs(a - b) for a, b in zip(e["bbox"], g["bbox"])) < 1e-2), None)
        assert match is not None, f"{what}: {g} is not among ssd-detect's detections"
        left.remove(match)


images = sorted(images_dir.glob("*.jpg"))
assert len(images) == 16, images
reference = {}
for d in json.load(open(detect_json)):
    reference.setdefault(d["image_id"], []).append(d)


def detect_one(path):
    status, dets = request(f"/detect?score_threshold=0.05&image_id={path.stem}", path.read_bytes())
    assert status == 200, (status, dets)
    return path, dets


def in_flight_then_kill(pid):
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(detect_one, p) for p in images[:8]]
        # The server holds them for one batch (--max-wait-ms 5000, --max-batch 64): SIGTERM while all eight wait in its
        # queue together.
        deadline = time.time() + 30
        while True:
            _, health = request("/health")
            if health["queued_images"] == 8:
                break
            assert time.time() < deadline, health
            time.sleep(0.02)
        os.kill(pid, signal.SIGTERM)
        for f in futures:
            path, dets = f.result()
            same_detections(dets, reference.get(path.stem, []), f"{path.name} answered during shutdown")
    print("8 requests queued for one batch at SIGTERM, all answered")


if len(sys.argv) > 5 and sys.argv[5] == "--in-flight-then-kill":
    in_flight_then_kill(int(sys.argv[6]))
    sys.exit(0)

status, health = request("/health")
assert status == 200 and health["status"] == "ok" and health["classes"] == ["circle", "square", "triangle", "star"], health

# One at a time, then all at once from 8 clients (batched together): ssd-detect's detections every time. The noise
# PNG is 180 KB, sent form-urlencoded as curl --data-binary does.
for path in images + [noise]:
    _, dets = detect_one(path)
    same_detections(dets, reference.get(path.stem, []), path.name)
with ThreadPoolExecutor(8) as pool:
    for path, dets in pool.map(detect_one, images * 2):
        same_detections(dets, reference.get(path.stem, []), f"{path.name} (concurrent)")


def metric_values():
    """The metrics once every earlier request is counted: an answer is sent before its request is counted, so a
    reading right after it may come first (only this request in flight means none is pending)."""
    deadline = time.time() + 30
    while True:
        status, text = request("/metrics")
        assert status == 200
        values = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and not line.startswith("#")}
        if values["ssd_requests_in_flight"] == 1 or time.time() > deadline:
            return values
        time.sleep(0.01)


values = metric_values()
assert values["ssd_images_total"] == 17 + 32, values
print(f"{len(images) + 1} images one by one and {2 * len(images)} from 8 concurrent clients: the detections of ssd-detect, "
      f"in {values['ssd_batch_size_count']:.0f} forward passes")

# A multipart file is named by its file name; /detect/batch answers for every part.
body, headers = multipart([("image", images[0].name, images[0].read_bytes())])
status, dets = request("/detect?score_threshold=0.05", body, headers)
assert status == 200, (status, dets)
same_detections(dets, reference.get(images[0].stem, []), "multipart /detect")
body, headers = multipart([(f"f{k}", p.name, p.read_bytes()) for k, p in enumerate(images[:3])])
status, dets = request("/detect/batch?score_threshold=0.05", body, headers)
assert status == 200, (status, dets)
same_detections(dets, [d for p in images[:3] for d in reference.get(p.stem, [])], "/detect/batch")
# Parts in the order sent (field names in reverse order), two of the same file name told apart.
body, headers = multipart([("z", "same.jpg", images[0].read_bytes()), ("a", "same.jpg", images[1].read_bytes())])
status, dets = request("/detect/batch?score_threshold=0.05", body, headers)
assert status == 200, (status, dets)
renamed = [dict(d, image_id=images[0].stem if d["image_id"] == "same" else images[1].stem if d["image_id"] == "same#1" else "?")
           for d in dets]
same_detections(renamed, reference.get(images[0].stem, []) + reference.get(images[1].stem, []), "/detect/batch, one file name twice")
status, dets = request("/detect?image_id=%ff%fe&score_threshold=0.05", images[0].read_bytes())
assert status == 200 and all(d["image_id"] == "\ufffd\ufffd" for d in dets), dets

# The query's settings apply.
status, dets = request("/detect?score_threshold=0.3&top_k=2", images[0].read_bytes())
assert status == 200 and len(dets) <= 2 and all(d["score"] > 0.3 for d in dets), dets
status, all_dets = request("/detect?score_threshold=0.0", images[0].read_bytes())
assert status == 200 and len(all_dets) >= len(dets), all_dets

# Every kind of bad request: its status and a JSON error naming the problem; the server serves on after each.
jpeg = images[0].read_bytes()
bmp_header = bytearray(b"BM" + bytes(52))
huge = bytearray(open(images[0], "rb").read())
import zlib  # noqa: E402  a PNG declaring 2000 x 2000 pixels (4e6, over --max-pixels 1e6) with valid chunks


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


big_png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2000, 2000, 8, 2, 0, 0, 0)) + \
    png_chunk(b"IDAT", zlib.compress(bytes(2001 * 10))) + png_chunk(b"IEND", b"")
body2, headers2 = multipart([("a", "a.jpg", jpeg), ("b", "b.jpg", jpeg)])
body5, headers5 = multipart([(f"f{k}", f"{k}.jpg", jpeg) for k in range(5)])
body_text, headers_text = multipart([("a", "a.txt", b"plain text")])
# Four copies of a 600 x 600 PNG: 1.44 million pixels together, over --max-pixels 1e6, each one under it.
mid_png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 600, 600, 8, 2, 0, 0, 0)) + \
    png_chunk(b"IDAT", zlib.compress(bytes(600 * (1 + 3 * 600)))) + png_chunk(b"IEND", b"")
body_pixels, headers_pixels = multipart([(f"p{k}", f"p{k}.png", mid_png) for k in range(4)])
cases = [
    ("empty body", "/detect", b"", {}, 415, "empty"),
    ("text body", "/detect", b"hello, server", {}, 415, "not a JPEG, PNG, BMP, TIFF or WebP image"),
    ("a text file part", "/detect/batch", body_text, headers_text, 415, "part 'a': not a JPEG"),
    ("a JPEG cut in its header", "/detect", jpeg[:100], {}, 422, "corrupt"),
    ("a BMP header alone", "/detect", bytes(bmp_header), {}, 422, "corrupt"),
    ("a PNG over --max-pixels", "/detect", big_png, {}, 422, "--max-pixels"),
    ("a body over --max-body-mb", "/detect", os.urandom(1536 * 1024), {}, 413, "--max-body-mb"),
    ("five images over --max-images", "/detect/batch", body5, headers5, 413, "--max-images"),
    ("two files to /detect", "/detect", body2, headers2, 400, "/detect/batch"),
    ("a raw body to /detect/batch", "/detect/batch", jpeg, {}, 415, "multipart"),
    ("score_threshold not a number", "/detect?score_threshold=high", jpeg, {}, 400, "score_threshold=high"),
    ("nms_iou out of range", "/detect?nms_iou=1.5", jpeg, {}, 400, "nms_iou=1.5"),
    ("top_k not whole", "/detect?top_k=2.5", jpeg, {}, 400, "top_k=2.5"),
    ("an unknown path", "/predict", jpeg, {}, 404, "/predict: no such endpoint"),
    ("a path that is no UTF-8", "/%ff", jpeg, {}, 404, "no such endpoint"),
    ("GET on /detect", "/detect", None, {}, 405, "takes POST"),
    ("a chunked body over --max-body-mb", "/detect", (os.urandom(64 * 1024) for _ in range(24)), {}, 413, "--max-body-mb"),
    ("a gzip body inflating past --max-body-mb", "/detect", gzip.compress(bytes(3 << 20)), {"Content-Encoding": "gzip"}, 413,
     "--max-body-mb"),
    ("/detect/batch over --max-pixels together", "/detect/batch", body_pixels, headers_pixels, 413, "--max-pixels"),
]
for what, path, body, headers, expected, words in cases:
    status, answer = request(path, body, headers, method="GET" if body is None else "POST")
    assert status == expected, f"{what}: {status} {answer}, expected {expected}"
    assert isinstance(answer, dict) and answer["status"] == expected and words in answer["error"], f"{what}: {answer}"
    _, dets = detect_one(images[1])  # still serving, and right
    same_detections(dets, reference.get(images[1].stem, []), f"after {what}")
print(f"{len(cases)} bad requests answered with their 4xx and a message; the server served on after each")

# A body is read before anything is checked, so none of it is taken for a request of its own on the same connection:
# a bad parameter with a body that reads as a request gets one answer, and the connection serves the next request.
def raw_exchange(data, seconds=2.0):
    """Sends bytes on one connection (from a thread: the server may stop reading) and returns what came back until
    the server closed the connection or went quiet, and whether it closed it."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(seconds)

        def send():
            try:
                sock.sendall(data)
            except OSError:
                pass  # the server closed the connection before taking all of it

        sender = threading.Thread(target=send)
        sender.start()
        received, closed = b"", False
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                received += chunk
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
        sender.join()
        return received, closed


smuggled = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
answer, _ = raw_exchange(b"POST /detect?score_threshold=x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(smuggled) + smuggled)
assert answer.count(b"HTTP/1.1 ") == 1 and answer.startswith(b"HTTP/1.1 400"), answer[:300]
# A chunked body ten times over --max-body-mb is read to its end and dropped: 413, and nothing of it is taken for a
# request (the request sent right behind it is answered as itself, or, pipelined in the same read, left unanswered:
# httplib waits on the socket for the next request).
chunk = os.urandom(1 << 20)
body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(10)) + b"0\r\n\r\n"
answer, _ = raw_exchange(b"POST /detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body + smuggled, 10.0)
responses = answer.count(b"HTTP/1.1 ")
assert answer.startswith(b"HTTP/1.1 413") and (responses == 1 or (responses == 2 and b"HTTP/1.1 200" in answer)), answer[:600]
_, dets = detect_one(images[1])
same_detections(dets, reference.get(images[1].stem, []), "after a body past the limit")
print("a body is never taken for a request: one answer to a bad parameter; a body over the limit read to its end")

# The metrics count what happened.
values = metric_values()
assert values['ssd_requests_total{endpoint="/detect",code="415"}'] == 2, values
assert values['ssd_requests_total{endpoint="/detect",code="422"}'] == 3, values
assert values['ssd_requests_total{endpoint="/detect",code="413"}'] == 4, values
assert values['ssd_requests_total{endpoint="/detect",code="405"}'] == 1, values
assert values['ssd_requests_total{endpoint="/detect/batch",code="413"}'] == 2, values
assert values['ssd_requests_total{endpoint="other",code="404"}'] == 2, values
assert values['ssd_request_errors_total{endpoint="/detect"}'] == 2 + 3 + 4 + 1 + 5, values
answered = values['ssd_requests_total{endpoint="/detect",code="200"}']
assert answered == 17 + 32 + 1 + 1 + 2 + len(cases) + 1, (answered, values)
assert values["ssd_images_total"] == answered + 3 + 2, values  # /detect/batch's images
assert values['ssd_request_duration_seconds_count{endpoint="/detect"}'] >= answered, values
assert any(k.startswith("ssd_model_info{") and 'backbone="mobilenet_v2"' in k for k in values), values
print("metrics: requests by status, errors, images, batches, latency, the model")
