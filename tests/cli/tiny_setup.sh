# Sourced by the CLI tests: the shared set-up of a tiny run.
# make_tiny BIN WORK [EXTRA_YAML]: a 12 + 4 image shapes data set in WORK/shapes and WORK/tiny.yaml (a very small
# SSD-Lite on it, run directory WORK/run), with EXTRA_YAML lines appended.
make_tiny() {
  local bin=$1 work=$2 extra=${3:-}
  "$bin/ssd-shapes" --out "$work/shapes" --train 12 --val 4 --size 96 --max-size 40 --max-objects 3 --seed 3
  cat > "$work/tiny.yaml" <<YAML
data:
  classes: [circle, square, triangle, star]
  train: {format: voc, roots: [$work/shapes], splits: [train]}
  val: {format: voc, roots: [$work/shapes], splits: [val]}
  workers: 2
model: {backbone: mobilenet_v2, width_mult: 0.25, image_size: 96, priors: {preset: scales}}
runtime: {threads: 1}
$extra
YAML
}
fail() { echo "FAIL: $*" >&2; exit 1; }
