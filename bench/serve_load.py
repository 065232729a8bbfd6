"""ssd-serve under load, beside torchvision's model of the same architecture behind Python's threading HTTP server
(bench/reference_serve.py), on the loopback address of this machine: throughput and p50 / p99 latency at 1, 8 and 32
concurrent clients (wrk, each client posting one JPEG again and again), errors, and the servers' resident memory;
then ssd-serve alone for a few minutes at 8 clients, its memory sampled every second.

    /usr/bin/python3 bench/serve_load.py [--seconds 20] [--soak 180] [--models mobilenet_v3_large,vgg16]

The models are SSD-Lite MobileNetV3-Large at 320 px and SSD300-VGG16, four classes, with the weights of one training
step on generated images (trained here, in bench/.serve_load/): random-looking scores, so every class passes the 0.01
score threshold and post-processing does its most work on both sides. Needs wrk (`bash scripts/setup.sh --bench`).
Writes docs/benchmarks/serve.md.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HERE, MODEL_NAMES, ROOT, cpu_name, jpeg_data_set, write_page  # noqa: E402

WORK = os.path.join(HERE, ".serve_load")
CLASSES = ["circle", "square", "triangle", "star"]
SIZES = {"mobilenet_v3_large": 320, "vgg16": 300, "mobilenet_v2": 320}
PRIORS = {"mobilenet_v3_large": "scales", "vgg16": "ssd300", "mobilenet_v2": "scales"}


def checkpoint(build, backbone, data):
    """A checkpoint of the model after one training step (a run directory's last.pt)."""
    run = os.path.join(WORK, f"run_{backbone}")
    if os.path.exists(os.path.join(run, "last.pt")):
        return os.path.join(run, "last.pt")
    config = os.path.join(WORK, f"{backbone}.yaml")
    with open(config, "w") as f:
        f.write(f"""data:
  classes: [{", ".join(CLASSES)}]
  train: {{format: voc, roots: [{data}], splits: [train]}}
model: {{backbone: {backbone}, image_size: {SIZES[backbone]}, pretrained_backbone: "", priors: {{preset: {PRIORS[backbone]}}}}}
train: {{run_dir: {run}, epochs: 1, batch_size: 2, max_iters: 1}}
""")
    subprocess.run([os.path.join(build, "ssd-train"), "--config", config], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return os.path.join(run, "last.pt")


class Server:
    """A server process on a free port of 127.0.0.1; its resident memory sampled every 0.5 s while it runs."""

    def __init__(self, cmd, port_pattern):
        self.log = open(os.path.join(WORK, "server.log"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 300
        while True:
            self.log.seek(0)
            m = re.search(port_pattern, self.log.read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None or time.time() > deadline:
                self.log.seek(0)
                raise SystemExit(f"{' '.join(cmd)} did not start:\n{self.log.read()}")
            time.sleep(0.2)
        self.samples = []  # (seconds since start, MiB)
        self.start = time.time()
        self.running = True
        self.sampler = threading.Thread(target=self.sample, daemon=True)
        self.sampler.start()

    def rss_mib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
        return 0.0

    def sample(self):
        while self.running and self.proc.poll() is None:
            self.samples.append((time.time() - self.start, self.rss_mib()))
            time.sleep(0.5)

    def stop(self):
        self.running = False
        self.proc.terminate()
        code = self.proc.wait(timeout=120)
        self.log.close()
        return code


def seconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def load(port, clients, duration, image):
    """wrk against the server: requests per second, p50 and p99 latency in seconds, errors (non-2xx answers and
    socket errors: connect, read, write, timeout)."""
    cmd = ["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{duration}s", "--timeout", "120s", "--latency",
           "-s", os.path.join(HERE, "serve_post.lua"), f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env={**os.environ, "SSD_BENCH_IMAGE": image, "SSD_BENCH_PATH": "/detect"}).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return {"clients": clients, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p50": seconds(latency["50"]), "p99": seconds(latency["99"]), "errors": errors}


def warm(port, image):
    subprocess.run(["wrk", "-t", "1", "-c", "1", "-d", "3s", "--timeout", "60s", "-s", os.path.join(HERE, "serve_post.lua"),
                    f"http://127.0.0.1:{port}"], check=True, capture_output=True,
                   env={**os.environ, "SSD_BENCH_IMAGE": image, "SSD_BENCH_PATH": "/detect"})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=int, default=20, help="wrk's duration per load level")
    ap.add_argument("--clients", default="1,8,32")
    ap.add_argument("--soak", type=int, default=180, help="seconds of ssd-serve alone at 8 clients, memory sampled (0: none)")
    ap.add_argument("--models", default="mobilenet_v3_large,vgg16")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks", "serve.md"))
    a = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: bash scripts/setup.sh --bench installs it")
    os.makedirs(WORK, exist_ok=True)
    data = jpeg_data_set(a.build, os.path.join(WORK, "jpeg"), images=8, size=500)
    image = os.path.join(data, "JPEGImages", sorted(os.listdir(os.path.join(data, "JPEGImages")))[0])
    threads = os.cpu_count()
    clients = [int(c) for c in a.clients.split(",")]
    results = []
    for backbone in a.models.split(","):
        ckpt = checkpoint(a.build, backbone, data)
        sides = {
            "cpp": (["env", f"OMP_NUM_THREADS={threads}", os.path.join(a.build, "ssd-serve"), "--checkpoint", ckpt, "--port", "0",
                     "--threads", str(threads)], r"on http://127\.0\.0\.1:(\d+)"),
            "py": (["/usr/bin/python3", os.path.join(HERE, "reference_serve.py"), "--backbone", backbone, "--image-size",
                    str(SIZES[backbone]), "--classes", str(len(CLASSES) + 1), "--threads", str(threads)], r"serving on (\d+)"),
        }
        for side, (cmd, pattern) in sides.items():
            server = Server(cmd, pattern)
            warm(server.port, image)
            idle_mib = server.rss_mib()
            for c in clients:
                r = load(server.port, c, a.seconds, image)
                r.update({"model": backbone, "side": side, "peak_mib": max(m for _, m in server.samples), "idle_mib": idle_mib})
                results.append(r)
                print(f"{backbone} {side} {c} clients: {r['rps']:.2f} req/s, p50 {r['p50']:.3f} s, p99 {r['p99']:.3f} s, "
                      f"{r['errors']} errors, peak {r['peak_mib']:.0f} MiB", file=sys.stderr)
            code = server.stop()
            if side == "cpp" and code != 0:
                raise SystemExit(f"ssd-serve exited {code} on SIGTERM")
    soak = None
    if a.soak > 0:
        backbone = a.models.split(",")[0]
        server = Server(["env", f"OMP_NUM_THREADS={threads}", os.path.join(a.build, "ssd-serve"), "--checkpoint",
                         checkpoint(a.build, backbone, data), "--port", "0", "--threads", str(threads)], r"on http://127\.0\.0\.1:(\d+)")
        warm(server.port, image)
        begin = time.time() - server.start
        r = load(server.port, 8, a.soak, image)
        server.stop()
        during = [(t, m) for t, m in server.samples if t >= begin]
        end = during[-1][0]
        soak = {"model": backbone, "seconds": a.soak, "requests": r["requests"], "errors": r["errors"], "rps": r["rps"],
                "first_minute_max_mib": max(m for t, m in during if t <= begin + 60),
                "last_minute_max_mib": max(m for t, m in during if t >= end - 60),
                "min_mib": min(m for _, m in during), "max_mib": max(m for _, m in during)}
        print(f"soak: {soak}", file=sys.stderr)

    lines = [
        "# ssd-serve under load",
        "",
        f"Machine: {cpu_name()}, {threads} cores; both servers use all of them (intra-op threads), the load generator "
        "(wrk, on the same machine) shares them. Written by `/usr/bin/python3 bench/serve_load.py` "
        f"(--seconds {a.seconds} per level).",
        "",
        "Each client posts the same 500 x 500 JPEG to `/detect` again and again and waits for the answer (closed loop). "
        "ssd-serve batches concurrent requests into one forward pass (`--max-batch 8`, `--max-wait-ms 2`, the defaults); "
        "the reference is torchvision's model of the same architecture behind Python's `ThreadingHTTPServer` "
        "(bench/reference_serve.py): one forward pass at a time, no batching, as a quick Python service is written. "
        "Weights after one training step on generated images: every class passes the 0.01 score threshold, so "
        "post-processing keeps 200 candidates per class on both sides (a trained model has less to sort out).",
        "",
        "| model | clients | ssd-serve req/s | p50 s | p99 s | errors | peak MiB | Python req/s | p50 s | p99 s | errors | peak MiB | throughput ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    figures = []
    for backbone in a.models.split(","):
        for c in clients:
            cpp = next(r for r in results if r["model"] == backbone and r["side"] == "cpp" and r["clients"] == c)
            py = next(r for r in results if r["model"] == backbone and r["side"] == "py" and r["clients"] == c)
            ratio = cpp["rps"] / py["rps"] if py["rps"] > 0 else float("inf")
            lines.append(f"| {MODEL_NAMES[backbone]} | {c} | {cpp['rps']:.2f} | {cpp['p50']:.3f} | {cpp['p99']:.3f} | {cpp['errors']} | "
                         f"{cpp['peak_mib']:.0f} | {py['rps']:.2f} | {py['p50']:.3f} | {py['p99']:.3f} | {py['errors']} | "
                         f"{py['peak_mib']:.0f} | {ratio:.2f}x |")
            figures.append({"model": backbone, "clients": c, "cpp": cpp, "py": py, "ratio": ratio})
    if soak:
        lines += ["", f"## Memory over {soak['seconds']} s of load", "",
                  f"ssd-serve with {MODEL_NAMES[soak['model']]} at 8 clients for {soak['seconds']} s: {soak['requests']} requests, "
                  f"{soak['errors']} errors, {soak['rps']:.2f} req/s. Resident memory sampled every 0.5 s: highest "
                  f"{soak['first_minute_max_mib']:.0f} MiB in the first minute, {soak['last_minute_max_mib']:.0f} MiB in the last "
                  f"(range {soak['min_mib']:.0f} to {soak['max_mib']:.0f} MiB)."]
    lines += ["", "Rerun one level by hand: `ssd-serve --checkpoint bench/.serve_load/run_vgg16/last.pt --port 8080`, then "
              "`SSD_BENCH_IMAGE=photo.jpg wrk -t 2 -c 8 -d 20s --latency -s bench/serve_post.lua http://127.0.0.1:8080`.", ""]
    write_page(a.out, lines, {"results": figures, "soak": soak})


if __name__ == "__main__":
    main()
