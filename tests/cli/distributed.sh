#!/usr/bin/env bash
# Data-parallel training through the executables (docs/distributed.md): --nproc 2 against one process, resume across
# process counts and from a checkpoint only rank 0 sees, torchrun, a rank killed mid-run, and launch settings that
# cannot work. Argument: the folder holding ssd-train. Gloo over the loopback interface, one thread per rank.
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'pkill -KILL -f "$work/" 2>/dev/null || true; rm -rf "$work"' EXIT
source "$(dirname "$0")/tiny_setup.sh"
# A model without BatchNorm (its statistics are per process): a thin VGG16 SSD300. Augmentation is on (the defaults).
make_tiny "$bin" "$work" "solver: {lr: 0.002}
schedule: {warmup: {iters: 2}}
train: {epochs: 2, batch_size: 4, log_period: 1}"
sed -i 's/^model: .*/model: {backbone: vgg16, width_mult: 0.05, image_size: 300}/' "$work/tiny.yaml"

# Largest difference between two checkpoints' tensors (weights and optimizer state), as the norm of the difference
# relative to the tensor's norm; fails above TOLERANCE. The processes add their gradients in another order than one
# process does: float32 rounding (about 1e-7 per step, grown to about 1e-5 after the 6 steps here), not another result.
TOLERANCE=1e-4
same_weights() {
  /usr/bin/python3 - "$1" "$2" "$TOLERANCE" <<'PY'
import sys, torch
def tensors(path):
    m = torch.jit.load(path, map_location="cpu")
    out = {}
    for prefix in ("model", "optimizer"):
        sub = getattr(m, prefix, None)
        if sub is not None:
            for name, t in list(sub.named_parameters()) + list(sub.named_buffers()):
                out[prefix + "." + name] = t.detach()
    return out
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
assert a.keys() == b.keys(), sorted(set(a) ^ set(b))[:5]
worst, where = 0.0, ""
for k, x in a.items():
    if x.is_floating_point() and x.numel():
        d = ((x - b[k]).norm() / max(x.norm().item(), 1e-12)).item()
        if d > worst:
            worst, where = d, k
print(f"{len(a)} tensors, largest relative difference {worst:.3g} ({where})")
sys.exit(0 if worst <= float(sys.argv[3]) else 1)
PY
}
train() {  # train LOG ARGS...: ssd-train, its output in LOG, failing the test with the log when it fails
  local log=$1
  shift
  "$bin/ssd-train" "$@" > "$log" 2>&1 || { cat "$log"; fail "ssd-train $*"; }
}

echo "== one process and two processes train the same weights"
train "$work/one.log" --config "$work/tiny.yaml" --set train.run_dir="$work/one"
train "$work/two.log" --config "$work/tiny.yaml" --set train.run_dir="$work/two" --nproc 2
grep -q "distributed: 2 processes, 2 images of each batch per process" "$work/two.log" || { cat "$work/two.log"; fail "no distributed summary"; }
grep -q "rank 1" "$work/two.log" && { cat "$work/two.log"; fail "rank 1 printed more than warnings"; }
same_weights "$work/one/last.pt" "$work/two/last.pt" || fail "--nproc 2 trained other weights than one process"
[ -s "$work/two/best.pt" ] && [ -s "$work/two/report/report.html" ] || fail "--nproc 2 wrote no best.pt or report"
[ "$(grep -c '^val,' "$work/two/metrics.csv")" = 2 ] || fail "--nproc 2 did not validate after each epoch"
train "$work/overlap.log" --config "$work/tiny.yaml" --set train.run_dir="$work/overlap" --set distributed.overlap=true \
  --set distributed.bucket_mb=0.05 --nproc 2
grep -q "overlap true" "$work/overlap.log" || { cat "$work/overlap.log"; fail "no overlap in the summary"; }
same_weights "$work/one/last.pt" "$work/overlap/last.pt" || fail "--nproc 2 with distributed.overlap trained other weights"

echo "== 2 processes, then resumed with 1 (and the reverse), equal the uninterrupted run"
train "$work/a1.log" --config "$work/tiny.yaml" --set train.run_dir="$work/two_one" --set train.max_iters=3 --nproc 2
train "$work/a2.log" --resume "$work/two_one" --set train.max_iters=0
grep -q "resumed from .* at iteration 3" "$work/a2.log" || { cat "$work/a2.log"; fail "no resume at iteration 3"; }
same_weights "$work/one/last.pt" "$work/two_one/last.pt" || fail "2 processes resumed with 1 differ"
train "$work/b1.log" --config "$work/tiny.yaml" --set train.run_dir="$work/one_two" --set train.max_iters=3
train "$work/b2.log" --resume "$work/one_two" --set train.max_iters=0 --nproc 2
same_weights "$work/one/last.pt" "$work/one_two/last.pt" || fail "1 process resumed with 2 differ"

echo "== a resume that only rank 0 can read (machines without shared storage): rank 0 hands the checkpoint to the others"
# Two machines' view: the same command in two folders, the run directory in rank 0's alone.
mkdir -p "$work/m0" "$work/m1"
train "$work/c1.log" --config "$work/tiny.yaml" --set train.run_dir="$work/m0/run" --set train.max_iters=3 --nproc 2
port=$((20000 + RANDOM % 20000))
launch_rank() {  # launch_rank RANK --resume DIR ...: one rank by hand, in its machine's folder
  local rank=$1
  shift
  (cd "$work/m$rank" && RANK=$rank WORLD_SIZE=2 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    timeout 300 "$bin/ssd-train" "$@" > "$work/rank$rank.log" 2>&1)
}
launch_rank 1 --resume run --set train.max_iters=0 &
rank1=$!
launch_rank 0 --resume run --set train.max_iters=0 || { cat "$work/rank0.log" "$work/rank1.log"; fail "rank 0 of the resume"; }
wait "$rank1" || { cat "$work/rank1.log"; fail "rank 1 of the resume (it cannot see run/)"; }
grep -q "resumed from run/last.pt at iteration 3" "$work/rank0.log" || { cat "$work/rank0.log"; fail "no resume at iteration 3"; }
same_weights "$work/one/last.pt" "$work/m0/run/last.pt" || fail "the resume through rank 0 differs from the uninterrupted run"
port=$((port + 1))
launch_rank 1 --resume run &
rank1=$!
status=0
launch_rank 0 --resume nowhere || status=$?
[ "$status" = 5 ] || { cat "$work/rank0.log"; fail "rank 0 exited $status on a missing checkpoint, not 5"; }
status=0
wait "$rank1" || status=$?
[ "$status" = 5 ] && grep -q "rank 0 cannot resume: nowhere" "$work/rank1.log" || { cat "$work/rank1.log"; fail "rank 1 does not report rank 0's failure"; }

echo "== torchrun launches the ranks (static rendezvous: its agent hosts the store)"
if /usr/bin/python3 -c "import torch.distributed.run" 2> /dev/null; then
  /usr/bin/python3 -m torch.distributed.run --nnodes 1 --nproc_per_node 2 --master_addr 127.0.0.1 --master_port "$((20000 + RANDOM % 20000))" \
    --redirects 1 --tee 1 --no_python "$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/torchrun" > "$work/torchrun.log" 2>&1 \
    || { cat "$work/torchrun.log"; fail "torchrun"; }
  same_weights "$work/two/last.pt" "$work/torchrun/last.pt" || fail "torchrun trained other weights than --nproc 2"
else
  echo "(torch's Python package is not installed: torchrun case skipped)"
fi

# kill_rank_one LAUNCH_LOG RUN_DIR: waits for the run's first last.pt, kills the rank-1 process, and checks that every
# rank exits non-zero within the timeout, that the failure names rank 1, and that last.pt still loads.
kill_rank_one() {
  local log=$1 run=$2 launcher=$3
  for _ in $(seq 600); do [ -s "$run/last.pt" ] && break; sleep 0.1; done
  [ -s "$run/last.pt" ] || { cat "$log"; fail "no last.pt to keep"; }
  local victim=""
  for pid in $(pgrep -f "^$bin/ssd-train .*$run( |$)" || true); do
    grep -qz '^RANK=1$' "/proc/$pid/environ" 2> /dev/null && victim=$pid
  done
  [ -n "$victim" ] || { cat "$log"; fail "no rank-1 process found"; }
  local killed_at=$SECONDS
  kill -KILL "$victim"
  wait "$launcher" && { cat "$log"; fail "the launcher exited 0 after a rank was killed"; }
  [ $((SECONDS - killed_at)) -le 30 ] || fail "the ranks took $((SECONDS - killed_at)) s to stop (distributed.timeout_s 30)"
  pgrep -f "^$bin/ssd-train .*$run( |$)" > /dev/null && fail "a rank is still running"
  "$bin/ssd-eval" --checkpoint "$run/last.pt" --print-config > /dev/null 2>&1 || fail "last.pt does not load after the kill"
  return 0
}

echo "== SIGINT to --nproc: forwarded once, every rank stops after the same step, writes last.pt, exits 130"
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/stopped" --set train.epochs=400 --nproc 2 > "$work/stopped.log" 2>&1 &
launcher=$!
for _ in $(seq 600); do [ -s "$work/stopped/last.pt" ] && break; sleep 0.1; done
kill -INT "$launcher"
status=0
wait "$launcher" || status=$?
[ "$status" = 130 ] || { cat "$work/stopped.log"; fail "--nproc exited $status after SIGINT, not 130"; }
grep -q "interrupted at iteration .*: wrote .*/stopped/last.pt" "$work/stopped.log" || { cat "$work/stopped.log"; fail "no last.pt on SIGINT"; }
train "$work/stopped2.log" --resume "$work/stopped" --set train.epochs=2 --set train.max_iters=0

echo "== a rank killed mid-run under --nproc: every rank stops, the failure names the rank, last.pt stays good"
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/killed" --set train.epochs=400 --set distributed.timeout_s=30 \
  --nproc 2 > "$work/killed.log" 2>&1 &
kill_rank_one "$work/killed.log" "$work/killed" $!
grep -q "rank 1 failed (signal Killed)" "$work/killed.log" || { cat "$work/killed.log"; fail "the failure does not name rank 1"; }

if /usr/bin/python3 -c "import torch.distributed.run" 2> /dev/null; then
  echo "== the same under torchrun"
  /usr/bin/python3 -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 1 --tee 1 --no_python "$bin/ssd-train" \
    --config "$work/tiny.yaml" --set train.run_dir="$work/killed_tr" --set train.epochs=400 --set distributed.timeout_s=30 \
    > "$work/killed_tr.log" 2>&1 &
  kill_rank_one "$work/killed_tr.log" "$work/killed_tr" $!
  grep -q "rank *: 1 (local_rank: 1)" "$work/killed_tr.log" || { cat "$work/killed_tr.log"; fail "torchrun's failure does not name rank 1"; }
fi

echo "== launch settings that cannot work: a clear error before any training, no hang"
expect_error() {  # expect_error CODE PATTERN ENV... -- ARGS...: ssd-train fails with CODE and PATTERN within 60 s
  local code=$1 pattern=$2
  shift 2
  local env=()
  while [ "$1" != "--" ]; do env+=("$1"); shift; done
  shift
  local status=0
  env "${env[@]}" timeout 60 "$bin/ssd-train" "$@" > "$work/error.log" 2>&1 || status=$?
  [ "$status" = "$code" ] || { cat "$work/error.log"; fail "expected exit $code, got $status"; }
  grep -q -e "$pattern" "$work/error.log" || { cat "$work/error.log"; fail "no '$pattern' in the error"; }
  grep -q "iter 1/" "$work/error.log" && fail "it trained before failing"
  return 0
}
expect_error 3 "WORLD_SIZE is set but RANK is not" WORLD_SIZE=2 -- --config "$work/tiny.yaml" --set train.run_dir="$work/e1"
expect_error 3 "must split" PATH="$PATH" -- --config "$work/tiny.yaml" --set train.run_dir="$work/e2" --nproc 3
expect_error 1 "rank 1: cannot .* 10.255.255.1:29599" RANK=1 WORLD_SIZE=2 MASTER_ADDR=10.255.255.1 MASTER_PORT=29599 \
  -- --config "$work/tiny.yaml" --set train.run_dir="$work/e3" --set distributed.rendezvous_timeout_s=3
expect_error 3 "--nproc starts the processes itself" RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29599 \
  -- --config "$work/tiny.yaml" --set train.run_dir="$work/e4" --nproc 2

echo "distributed: all cases passed"
