"""The Python side of bench/serve_load.py: torchvision's SSD of the same architecture behind the standard library's
threading HTTP server, as a quick Python service is written: POST /detect decodes the JPEG body
(torchvision.io.decode_jpeg), runs the model on it under a lock (one forward pass at a time: concurrent passes would
only share the same cores) and answers COCO-style JSON; no batching across requests. Prints "serving on PORT" when
ready.

reference_serve.py --backbone vgg16|mobilenet_v3_large|mobilenet_v2 --image-size N --classes C --threads T
"""
import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_speed import build  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backbone", default="vgg16")
    ap.add_argument("--image-size", type=int, default=300)
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    model = build(a.backbone, a.image_size, a.classes, 1.0).eval()
    model.score_thresh, model.nms_thresh, model.topk_candidates, model.detections_per_img = 0.01, 0.45, 200, 200
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as ssd-serve

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                image = torchvision.io.decode_jpeg(torch.frombuffer(bytearray(body), dtype=torch.uint8))
            except RuntimeError as e:
                return self.answer(422, {"error": str(e)})
            with lock, torch.no_grad():
                found = model([image.float() / 255])[0]
            out = [{"image_id": "image", "category_id": int(l), "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "score": float(s)}
                   for b, s, l in zip(found["boxes"].tolist(), found["scores"], found["labels"])]
            self.answer(200, out)

        def answer(self, status, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    # A listen queue as long as ssd-serve's (socketserver's default of 5 resets connections when 32 clients connect at
    # once): the comparison is of the servers, not of that default.
    ThreadingHTTPServer.request_queue_size = 4096
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"serving on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
