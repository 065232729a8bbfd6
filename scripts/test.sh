#!/usr/bin/env bash
# The test command: installs what is missing, builds, checks the golden references against Debian's
# python3-torch/torchvision, and runs every test through CTest. .ci/run calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh

echo "== golden references (scripts/make_goldens.py) =="
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
/usr/bin/python3 scripts/make_goldens.py --out "$fresh" >/dev/null
for f in tests/golden/*.json; do
  if ! cmp -s "$f" "$fresh/$(basename "$f")"; then
    echo "golden file $f differs from what the reference produces now: run /usr/bin/python3 scripts/make_goldens.py" >&2
    exit 1
  fi
done
echo "goldens match the reference"

echo "== tests =="
cd build
ctest --output-on-failure --timeout 900
