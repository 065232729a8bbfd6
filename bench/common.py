"""Helpers shared by the bench/ drivers: the machine's name, building the C++ benchmark targets, running one side of
a comparison as its own process (its JSON line and its peak resident memory), the JPEG data set they time, and
writing a page with its figures."""
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# How the pages name the models (ssd-bench's --backbone).
MODEL_NAMES = {"vgg16": "SSD-VGG16", "mobilenet_v3_large": "SSD-Lite MobileNetV3-Large",
               "mobilenet_v2": "SSD-Lite MobileNetV2"}


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def build_targets(build, targets):
    """Configures the build with SSD_BUILD_BENCH (off in the normal build: the tests do not need these) and builds
    the targets; returns their paths."""
    subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DSSD_BUILD_BENCH=ON"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "--parallel", str(os.cpu_count()), "--target"] + targets, check=True,
                   stdout=subprocess.DEVNULL)
    return [os.path.join(build, t) for t in targets]


def run_json(cmd, whole_output=False, env=None):
    """Runs one side as its own process; returns (its last stdout line as JSON, or the whole output with
    whole_output, its peak resident MiB, seconds). env: variables added to this process's environment."""
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as err:  # a file, not a pipe: a full stderr pipe would block the child
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True,
                                env=None if env is None else {**os.environ, **env})
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # wait4, not wait: the child's own peak resident memory
        if status != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({status}):\n{err.read()}")
    return json.loads(out if whole_output else out.strip().splitlines()[-1]), usage.ru_maxrss / 1024.0, time.perf_counter() - start


def run_sides(bench, reference, args):
    """One case on both sides of bench/speed.py and bench/gpu_speed.py (ssd-bench, then reference_speed.py, same
    flags); stops the run if the two models' parameter counts differ. Returns (cpp, cpp_mib, py, py_mib)."""
    cpp, cpp_mib, _ = run_json([bench] + args)
    py, py_mib, _ = run_json(reference + args)
    if cpp["parameters"] != py["parameters"]:
        raise SystemExit(f"{cpp['model']}: {cpp['parameters']} parameters in C++, {py['parameters']} in torchvision")
    return cpp, cpp_mib, py, py_mib


def jpeg_data_set(build, folder, images=200, size=500):
    """A VOC-layout set of JPEG files of VOC's typical size (ssd-shapes' textured synthetic images, 500 x 500,
    quality as ssd-shapes writes them), made once per folder; returns the folder."""
    if not os.path.exists(os.path.join(folder, "ImageSets", "Main", "train.txt")):
        subprocess.run([os.path.join(build, "ssd-shapes"), "--out", folder, "--train", str(images), "--val", "0",
                        "--size", str(size), "--max-size", str(size // 2)], check=True, stdout=subprocess.DEVNULL)
    return folder


def write_page(out, lines, figures):
    """Writes a benchmark's Markdown page (lines) and, beside it with the suffix .json, its figures for
    bench/all.py."""
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.splitext(out)[0] + ".json", "w") as f:
        json.dump(figures, f, indent=1)
    print("wrote", out, file=sys.stderr)
