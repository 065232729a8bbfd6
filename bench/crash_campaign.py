"""Crash campaign: ssd-train killed with SIGKILL at random moments, resumed after every kill, and checked.

A small deterministic run on generated shapes data (SSD-Lite MobileNetV2 x0.25 at 96 px, 48 training and 16
validation images, 6 epochs, one thread; validation, the report and a numbered checkpoint every epoch) is first
trained without interruption: the reference. Then each round trains the
same run from scratch, kills it --kills-per-round times and resumes it (`ssd-train --resume RUN_DIR`) after each
kill, and lets the last resume finish. The moments are drawn at random within a phase, the phases in turn:
  start-up     0 to 2.5 s after launch (libraries, data indexing, model build, resume loading)
  step         a random moment of training, after the first progress line
  checkpoint   the moment a checkpoint's temporary file (.<name>.tmp) appears, plus 0 to 30 ms
  evaluation   0 to 1 s after an epoch's last.pt is written, when its validation runs
  report       the moment the report folder changes, plus 0 to 30 ms (the report is written at each new best)
After every kill, every file in the run directory is checked: each checkpoint reads (ssd-eval --checkpoint F
--print-config checks its SHA-256 seal and its archive), each PNG ends with its IEND chunk, report.html ends with
</html>, metrics.csv and config.yaml are whole; a torn or unreadable file is a failure. Temporary files left by a
kill are expected and must be gone after the resume. At each round's end the final last.pt must hold exactly the
reference's weights and optimizer state (every tensor bit for bit, read with Debian's torch).

Usage: /usr/bin/python3 bench/crash_campaign.py [--rounds 10] [--kills-per-round 5] [--seed 1]
writes docs/benchmarks/crash_campaign.md and .json (--out).
Needs the normal build (bash scripts/build.sh). Takes about 5 minutes on 2 cores with the defaults. A round ends
when a launch finishes before its kill came, so more rounds than --rounds may run until the kills are all made.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import cpu_name  # noqa: E402

BUILD = os.path.join(ROOT, "build")
PHASES = ["start-up", "step", "checkpoint", "evaluation", "report"]


def campaign_settings(data, run_dir):
    return ["--config", os.path.join(ROOT, "configs/shapes.yaml"),
            "--set", f"data.train.roots=[{data}]", "--set", f"data.val.roots=[{data}]",
            "--set", "model.width_mult=0.25", "--set", "model.image_size=96",
            "--set", "train.epochs=6", "--set", "train.batch_size=8", "--set", "train.eval_period=1",
            "--set", "train.checkpoint_period=1", "--set", "train.log_period=5",
            "--set", "schedule.warmup.iters=10", "--set", "runtime.threads=1", "--set", "data.workers=2",
            "--set", f"train.run_dir={run_dir}"]


def tensors_of(checkpoint):
    """Every tensor of a checkpoint (model and optimizer state) by name."""
    module = torch.jit.load(checkpoint, map_location="cpu")
    out = {}
    for prefix, sub in [("model", getattr(module, "model", None)), ("optimizer", getattr(module, "optimizer", None))]:
        if sub is None:
            continue
        for name, t in list(sub.named_parameters()) + list(sub.named_buffers()):
            out[f"{prefix}.{name}"] = t.detach().clone()
    return out


def same_state(a, b):
    ta, tb = tensors_of(a), tensors_of(b)
    if ta.keys() != tb.keys():
        return False, f"different tensors: {sorted(set(ta) ^ set(tb))[:5]}"
    for k in ta:
        if not torch.equal(ta[k], tb[k]):
            return False, f"{k} differs"
    return True, f"{len(ta)} tensors equal"


def check_files(run_dir):
    """Returns the torn or unreadable files of a run directory (temporary files excluded)."""
    torn = []
    for folder, _, files in os.walk(run_dir):
        for f in files:
            path = os.path.join(folder, f)
            if f.startswith(".") and f.endswith(".tmp"):
                continue
            if f.endswith(".pt"):
                r = subprocess.run([os.path.join(BUILD, "ssd-eval"), "--checkpoint", path, "--print-config"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                if r.returncode != 0:
                    torn.append(f"{path}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
            elif f.endswith(".png"):
                with open(path, "rb") as fh:
                    data = fh.read()
                if not (data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")):
                    torn.append(f"{path}: not a whole PNG ({len(data)} bytes)")
            elif f.endswith(".html"):
                if not open(path, encoding="utf-8", errors="replace").read().rstrip().endswith("</html>"):
                    torn.append(f"{path}: not a whole page")
            elif f == "config.yaml":
                text = open(path).read()
                if not text.endswith("\n") or "train:" not in text:
                    torn.append(f"{path}: not a whole config")
            elif f == "metrics.csv":
                text = open(path).read()
                if text and not text.endswith("\n"):
                    torn.append(f"{path}: its last line is cut off (a resume leaves it out)")
    return torn


def temporaries(run_dir):
    return [os.path.join(d, f) for d, _, fs in os.walk(run_dir) for f in fs if f.startswith(".") and f.endswith(".tmp")]


def launch(args, log):
    return subprocess.Popen([os.path.join(BUILD, "ssd-train")] + args, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def log_text(path):
    try:
        return open(path, errors="replace").read()
    except OSError:
        return ""


def wait_for(proc, condition, timeout):
    """Polls every millisecond until condition() or the process ends; True when the condition came first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        if condition():
            return True
        time.sleep(0.001)
    return False


def report_stamp(run_dir):
    folder = os.path.join(run_dir, "report")
    try:
        return sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in os.scandir(folder))
    except OSError:
        return None


def kill_in_phase(proc, phase, run_dir, console, rng):
    """Kills the process at a random moment of `phase`; returns True when it was killed before it ended."""
    if phase == "start-up":
        time.sleep(rng.uniform(0.0, 2.5))
    elif phase == "step":
        before = log_text(console).count(" iter ")
        if not wait_for(proc, lambda: log_text(console).count(" iter ") > before, 120):
            return False
        time.sleep(rng.uniform(0.0, 2.0))
    elif phase == "checkpoint":
        if not wait_for(proc, lambda: any(f.startswith(".") and f.endswith(".pt.tmp") for f in os.listdir(run_dir))
                        if os.path.isdir(run_dir) else False, 120):
            return False
        time.sleep(rng.uniform(0.0, 0.03))
    elif phase == "evaluation":
        # The epoch's last.pt is written, then the validation runs (its log line comes at its end): the kill falls
        # within the second after the checkpoint.
        tmp = lambda: os.path.isdir(run_dir) and ".last.pt.tmp" in os.listdir(run_dir)
        if not wait_for(proc, tmp, 120) or not wait_for(proc, lambda: not tmp(), 10):
            return False
        time.sleep(rng.uniform(0.0, 1.0))
    elif phase == "report":
        stamp = report_stamp(run_dir)
        if not wait_for(proc, lambda: report_stamp(run_dir) != stamp, 120):
            return False
        time.sleep(rng.uniform(0.0, 0.03))
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--kills-per-round", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default="", help="working folder (default: a temporary one, removed at the end)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks/crash_campaign.md"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = args.work or tempfile.mkdtemp(prefix="crash_campaign_")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "shapes")
    subprocess.run([os.path.join(BUILD, "ssd-shapes"), "--out", data, "--train", "48", "--val", "16", "--seed", "0"],
                   check=True, stdout=subprocess.DEVNULL)

    started = time.time()
    reference = os.path.join(work, "reference")
    with open(os.path.join(work, "reference.log"), "w") as log:
        t0 = time.monotonic()
        subprocess.run([os.path.join(BUILD, "ssd-train")] + campaign_settings(data, reference), stdout=log,
                       stderr=subprocess.STDOUT, check=True)
        reference_seconds = time.monotonic() - t0
    print(f"reference run: {reference_seconds:.1f} s", flush=True)

    target = args.rounds * args.kills_per_round
    kills, inside_writes, by_phase, torn, failed, diverged, left = 0, 0, {p: 0 for p in PHASES}, [], [], [], []
    rounds = []
    r = 0
    while kills < target and r < 3 * args.rounds:
        # One round: a run from scratch, killed up to --kills-per-round times and resumed after each kill, then
        # left to finish (a launch that ends before its kill came finishes the round).
        run_dir = os.path.join(work, f"round{r}")
        console = os.path.join(work, f"round{r}.log")
        shutil.rmtree(run_dir, ignore_errors=True)
        settings = campaign_settings(data, run_dir)
        round_kills = []
        with open(console, "w") as log:
            while True:
                resume = os.path.isdir(run_dir) and any(f.endswith(".pt") for f in os.listdir(run_dir))
                # A resume takes the config stored in the checkpoint.
                before = set(temporaries(run_dir))
                proc = launch(["--resume", run_dir] if resume else settings, log)
                phase = PHASES[kills % len(PHASES)]
                if kills < target and len(round_kills) < args.kills_per_round and kill_in_phase(proc, phase, run_dir, console, rng):
                    kills += 1
                    by_phase[phase] += 1
                    inside_writes += bool(set(temporaries(run_dir)) - before)  # a write this launch began
                    round_kills.append(phase)
                    torn += check_files(run_dir)
                    continue
                code = proc.wait()
                if code != 0:
                    failed.append(f"round {r}: {'a resume' if resume else 'a new run'} ended with exit {code} (see {console})")
                    break
                left += temporaries(run_dir)
                torn += check_files(run_dir)
                same, detail = same_state(os.path.join(reference, "last.pt"), os.path.join(run_dir, "last.pt"))
                if not same:
                    diverged.append(f"round {r}: {detail}")
                rounds.append({"round": r, "kills": round_kills, "final": detail})
                print(f"round {r}: kills {round_kills}; final state: {detail}", flush=True)
                break
        r += 1

    minutes = (time.time() - started) / 60
    result = {"machine": cpu_name(), "rounds": len(rounds) + len(failed), "kills": kills, "kills_by_phase": by_phase, "kills_inside_writes": inside_writes,
              "torn_or_unreadable_files": torn, "failed_resumes": failed, "diverged_resumes": diverged,
              "temporaries_left_after_resume": left, "reference_seconds": round(reference_seconds, 1),
              "minutes": round(minutes, 1), "seed": args.seed, "details": rounds}
    print(json.dumps({k: v for k, v in result.items() if k != "details"}, indent=1))
    write_page(args, result)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if not (torn or failed or diverged or left) else 1


def write_page(args, r):
    """The figures as a Markdown page (and its .json beside it), as the other bench pages."""
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(r, f, indent=1)
    count = lambda key: len(r[key])
    lines = [
        "# Crash campaign: kills and resumes",
        "",
        f"Written by `/usr/bin/python3 bench/crash_campaign.py --rounds {args.rounds} --kills-per-round {args.kills_per_round} "
        f"--seed {r['seed']}` on {r['machine']} ({r['minutes']} min). The script's docstring describes the run and the checks.",
        "",
        "`ssd-train` trains a small SSD-Lite on the shapes data (64 images, 6 epochs, validation, the report and a numbered "
        "checkpoint every epoch, one thread: deterministic) and is killed with SIGKILL at random moments of each phase, then "
        "resumed with `ssd-train --resume RUN_DIR`; each round's run is killed and resumed several times, then left to "
        f"finish. The same run without interruption takes {r['reference_seconds']} s.",
        "",
        f"{r['rounds']} rounds: each a run from scratch, killed and resumed up to {args.kills_per_round} times, then left to finish.",
        "",
        "| | count |",
        "|---|---|",
        f"| kills | {r['kills']} |",
    ]
    lines += [f"| ... during {phase} | {n} |" for phase, n in r["kills_by_phase"].items()]
    lines += [
        f"| ... that cut a file write short (its temporary file was left) | {r['kills_inside_writes']} |",
        f"| torn or unreadable files after a kill | {count('torn_or_unreadable_files')} |",
        f"| resumes that failed | {count('failed_resumes')} |",
        f"| finished runs whose weights or optimizer state differ from the uninterrupted run's | {count('diverged_resumes')} |",
        f"| temporary files left after a resume | {count('temporaries_left_after_resume')} |",
        "",
    ]
    for key in ["torn_or_unreadable_files", "failed_resumes", "diverged_resumes", "temporaries_left_after_resume"]:
        if r[key]:
            lines += [f"{key.replace('_', ' ')}:", ""] + [f"- {x}" for x in r[key]] + [""]
    lines += ["Rounds (kills in order, and the final state against the uninterrupted run's):", ""]
    lines += [f"- round {d['round']}: {', '.join(d['kills']) or 'no kill'}; {d['final']}" for d in r["details"]]
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
