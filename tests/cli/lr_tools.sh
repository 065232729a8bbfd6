#!/usr/bin/env bash
# The LR tools through the executables: --plot-lr (PNG and CSV), --range-test with --write-config, ssd-tune, and a
# plateau + early-stopping run. Argument: the folder holding ssd-train & co.
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/tiny_setup.sh"
make_tiny "$bin" "$work" "solver: {optimizer: adamw, lr: 0.003}
schedule: {name: cosine, warmup: {iters: 2}}
train: {run_dir: $work/run, epochs: 3, batch_size: 4, log_period: 1}
range_test: {iters: 30, lr_min: 1.0e-6, lr_max: 1.0}"

echo "== --plot-lr: CSV from the config and the split file (12 images / batch 4 = 3 iterations per epoch)"
"$bin/ssd-train" --config "$work/tiny.yaml" --plot-lr "$work/lr.csv" > "$work/plot.log"
grep -q "schedule over 9 iterations = 3 epochs of 3 iterations" "$work/plot.log" || { cat "$work/plot.log"; fail "run length"; }
/usr/bin/python3 - "$work/lr.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 9, len(rows)
for r in rows:  # linear warm-up from 0.001 over 2 iterations on a cosine over 9 iterations
    t = int(r["iteration"])
    f = 0.001 + 0.999 * t / 2 if t < 2 else 1.0
    want = 0.003 * (1 + math.cos(math.pi * t / 9)) / 2 * f
    assert abs(float(r["lr"]) - want) < 1e-9, (t, r["lr"], want)
PY
"$bin/ssd-train" --config "$work/tiny.yaml" --plot-lr "$work/lr.png" > /dev/null
[ -s "$work/lr.png" ] || fail "no preview PNG"
"$bin/ssd-train" --config "$work/tiny.yaml" --set "data.train.roots=[$work/none]" --plot-lr "$work/x.png" --iters-per-epoch 50 \
  > "$work/preview.log" || fail "--iters-per-epoch without data"
grep -q "150 iterations" "$work/preview.log" || fail "--iters-per-epoch: no 150 iterations"  # a file, not "| grep -q" (SIGPIPE)

echo "== --range-test --write-config"
"$bin/ssd-train" --config "$work/tiny.yaml" --range-test --write-config "$work/tuned.yaml" > "$work/find.log" 2>&1 \
  || { cat "$work/find.log"; fail "--range-test"; }
grep -q "recommended: " "$work/find.log" || fail "no recommendation"
for f in lr_find.csv lr_find.png; do [ -s "$work/run/$f" ] || fail "missing $f"; done
"$bin/ssd-train" --config "$work/tuned.yaml" --print-config > "$work/tuned_print.yaml" || fail "written config does not load"
grep -q "lr: " "$work/tuned_print.yaml" || fail "written config has no lr"
# lr_finder.* is another name of range_test.* (and --find-lr of --range-test).
"$bin/ssd-train" --config "$work/tiny.yaml" --set lr_finder.iters=25 --print-config > "$work/alias.yaml" 2> "$work/alias.log" \
  || { cat "$work/alias.log"; fail "lr_finder.* alias"; }
grep -A3 "^range_test:" "$work/alias.yaml" | grep -q "iters: 25" || fail "lr_finder.iters did not set range_test.iters"

echo "== --range-test --race: the picks raced on the tiny data (always, so that it races whatever the rules say)"
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/race" --range-test --race --set range_test.race=always \
  --set range_test.race_epochs=2 --write-config "$work/raced.yaml" > "$work/race.log" 2>&1 || { cat "$work/race.log"; fail "--race"; }
grep -q "LR race (successive halving on val/loss" "$work/race.log" || { cat "$work/race.log"; fail "no race table"; }
grep -q "recommended: race = " "$work/race.log" || fail "the recommendation is not the race's"
for f in lr_find.csv lr_find.png lr_race.csv lr_race.png lr_race/tuner.json; do [ -s "$work/race/$f" ] || fail "missing race/$f"; done
head -n 1 "$work/race/lr_find.csv" | grep -q "^lr,loss,smoothed,loc,conf,loc_smoothed,conf_smoothed$" || fail "no loc / conf curves in lr_find.csv"
grep -q "(race)" "$work/raced.yaml" || fail "the written config does not name the race"
# The same command again resumes the race: no candidate trains again.
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/race" --range-test --race --set range_test.race=always \
  --set range_test.race_epochs=2 > "$work/race2.log" 2>&1 || { cat "$work/race2.log"; fail "--race again"; }
grep -q "tuner: resuming" "$work/race2.log" || fail "the race did not resume"
grep -q "iter 1/" "$work/race2.log" && fail "a candidate trained again on resume"
"$bin/ssd-train" --config "$work/tiny.yaml" --race 2> "$work/race_alone.log" && fail "--race without --range-test was accepted"
# A race budgeted in minutes: planned at the range test's measured pace (too few minutes: the shortest race), and
# resumed with the rungs it began with.
for n in 1 2; do
  "$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/race_minutes" --range-test --race --set range_test.race=always \
    --set range_test.race_minutes=1e-06 > "$work/race_minutes_$n.log" 2>&1 || { cat "$work/race_minutes_$n.log"; fail "--race minutes ($n)"; }
done
grep -q "range_test.race_minutes 1e-06: the last rung .* minutes of training at the range test's " "$work/race_minutes_1.log" || { cat "$work/race_minutes_1.log"; fail "no minutes plan"; }
grep -q "holds no race of these" "$work/race_minutes_1.log" || fail "too few minutes not said"
grep -q "resumed with its rungs as planned when it began" "$work/race_minutes_2.log" || { cat "$work/race_minutes_2.log"; fail "minutes race not resumed"; }
grep -q "iter 1/" "$work/race_minutes_2.log" && fail "a candidate of the minutes race trained again on resume"

echo "== plateau and early stopping on validation loss"
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/plateau" --set schedule.name=plateau \
  --set schedule.plateau.patience=0 --set schedule.plateau.threshold=10 --set schedule.plateau.threshold_mode=abs \
  --set early_stop.patience=2 --set early_stop.monitor=val/loss --set early_stop.min_delta=10 --set train.epochs=6 \
  > "$work/plateau.log" 2>&1 || { cat "$work/plateau.log"; fail "plateau run"; }
grep -q "plateau: val/loss did not improve" "$work/plateau.log" || fail "no plateau reduction logged"
grep -q "early stop: val/loss" "$work/plateau.log" || fail "early stopping did not stop the run"
grep -q "validation after epoch 6" "$work/plateau.log" && fail "the run went on after the early stop"

echo "== ssd-tune"
cat > "$work/space.yaml" <<YAML
trials: 3
min_epochs: 1
max_epochs: 2
eta: 3
monitor: val/loss
space:
  solver.lr: loguniform(1.0e-4, 1.0e-2)
  schedule.name: choice([constant, cosine])
YAML
"$bin/ssd-tune" --config "$work/tiny.yaml" --space "$work/space.yaml" --out "$work/tune" > "$work/tune.log" 2>&1 \
  || { cat "$work/tune.log"; fail "ssd-tune"; }
for f in leaderboard.csv leaderboard.png best.yaml tuner.json; do [ -s "$work/tune/$f" ] || fail "missing tune/$f"; done
"$bin/ssd-train" --config "$work/tune/best.yaml" --print-config > /dev/null || fail "best.yaml does not load"
grep -q "the config as given (trial 0 of the search)" "$work/tune.log" || fail "the verdict did not judge the config as given, trial 0"
grep -q ",given," "$work/tune/leaderboard.csv" || fail "leaderboard.csv has no row for the config as given"
echo "lr_tools: all checks passed"
