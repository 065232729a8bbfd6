#!/usr/bin/env bash
# The main job on a fresh machine: installs, builds, and shows each shipped model config.
# (Training, evaluation and detection on the embedded shapes data set join this script with the
# end-to-end pipeline.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
for config in configs/voc_ssd300_vgg16.yaml configs/voc_ssd512_vgg16.yaml configs/voc_ssdlite_mobilenet_v2.yaml; do
  echo "== ssd-train --config $config --dry-run"
  ./build/ssd-train --config "$config" --dry-run
done
