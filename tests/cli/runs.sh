#!/usr/bin/env bash
# ssd-runs on two tiny runs with different schedules: summary.json (over a resume), `ssd-runs list` (status, epochs, the
# differing keys), `ssd-runs compare` (the page parsed: its tables, its curve data, every embedded image decoded; the
# PNGs decoded), the page opened in headless Chromium (the charts drawn: canvases in the DOM, the runs' colours in a
# screenshot), a run that failed, and a folder that holds no run. Argument: the folder holding ssd-train & co.
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$here/tiny_setup.sh"
make_tiny "$bin" "$work" "solver: {optimizer: adamw, lr: 0.003}
train: {epochs: 3, batch_size: 4, log_period: 1, eval_period: 1}"

echo "== two runs: multistep (with a range test in its folder) and cosine"
"$bin/ssd-train" --config "$work/tiny.yaml" --range-test --set train.run_dir="$work/runs/multistep" --set range_test.iters=20 \
  > "$work/range.log" 2>&1 || { cat "$work/range.log"; fail "range test"; }
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/runs/multistep" > "$work/a.log" 2>&1 \
  || { cat "$work/a.log"; fail "training multistep"; }
# The cosine run in two sessions: 6 steps, then resumed to its end; its summary adds them up.
"$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/runs/cosine" --set schedule.name=cosine \
  --set train.max_iters=6 > "$work/b.log" 2>&1 || { cat "$work/b.log"; fail "training cosine"; }
"$bin/ssd-train" --resume "$work/runs/cosine" --set train.max_iters=0 > "$work/b2.log" 2>&1 \
  || { cat "$work/b2.log"; fail "resuming cosine"; }

/usr/bin/python3 - "$work/runs/cosine/summary.json" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1]))
assert s["status"] == "finished", s["status"]
assert s["command"][0].endswith("ssd-train") and "--resume" in s["command"], s["command"]
assert s["sessions"] == 2, s["sessions"]
assert s["version"] and s["machine"]["threads"] >= 1 and s["machine"]["device"] == "cpu", s
assert s["started"].endswith("Z") and s["ended"] >= s["started"], (s["started"], s["ended"])
assert s["iterations"] == s["total_iterations"] == 9 and s["epochs_done"] == 3 and s["epochs"] == 3, s
assert s["images"] == 36 and s["images_per_second"] > 0 and s["wall_seconds"] >= s["train_seconds"] > 0, s
assert 0 <= s["best"]["value"] <= 1 and 1 <= s["best"]["epoch"] <= 3, s["best"]
assert [c["class"] for c in s["best_class_ap"]] == ["circle", "square", "triangle", "star"], s["best_class_ap"]
assert set(s["last_validation"]) == {"val/mAP", "val/mAP07", "val/loss"}, s["last_validation"]
PY

echo "== ssd-runs list"
"$bin/ssd-runs" list "$work/runs" > "$work/list.txt" || { cat "$work/list.txt"; fail "ssd-runs list"; }
cat "$work/list.txt"
head -1 "$work/list.txt" | grep -q "run *status *epochs *best mAP *at epoch *wall time *img/s *schedule.name" \
  || fail "the table's header (with the differing key schedule.name)"
grep -q "^cosine *finished *3/3 .* cosine$" "$work/list.txt" || fail "the cosine run's row"
grep -q "^multistep *finished *3/3 .* multistep$" "$work/list.txt" || fail "the multistep run's row"
if grep -q "run_dir" "$work/list.txt"; then fail "train.run_dir listed as a difference"; fi

echo "== a run that died: marked running, its process gone"
cp -r "$work/runs/cosine" "$work/died"
/usr/bin/python3 - "$work/died/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["status"], s["pid"] = "running", 2 ** 22 + 12345  # beyond pid_max: no such process
json.dump(s, open(sys.argv[1], "w"))
PY
"$bin/ssd-runs" list "$work/died" | grep -q "^died *died " || fail "a dead running run is not listed as died"

echo "== a run that failed before its first step: summary.json says so, with the error"
if "$bin/ssd-train" --config "$work/tiny.yaml" --set train.run_dir="$work/bad/broken" \
     --set "data.train.roots=[$work/nowhere]" > "$work/bad.log" 2>&1; then fail "training on a missing data root succeeded"; fi
"$bin/ssd-runs" list "$work/bad" | grep -q "^broken *failed " || fail "the failed run is not listed as failed"
grep -q "nowhere" "$work/bad/broken/summary.json" || fail "summary.json does not hold the error"

echo "== ssd-runs compare"
"$bin/ssd-runs" compare "$work/runs/multistep" "$work/runs/cosine" --out "$work/page/compare.html" > "$work/compare.txt" \
  || { cat "$work/compare.txt"; fail "ssd-runs compare"; }
grep -q "AP per class" "$work/compare.txt" || fail "no AP-per-class table printed"
/usr/bin/python3 - "$work/page" <<'PY'
import base64, json, re, sys
from html.parser import HTMLParser
import cv2, numpy as np
folder = sys.argv[1]
html = open(folder + "/compare.html", encoding="utf-8").read()

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.scripts, self.cells, self.external = [], [], [], []
        self.in_script, self.cell = False, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img": self.images.append(a["src"])
        if tag in ("script", "link", "img") and any(k in a for k in ("href", "src")) and not a.get("src", "data:").startswith("data:"):
            self.external.append(a)
        if tag == "script": self.in_script = True; self.scripts.append("")
        if tag == "td": self.cell = (a.get("class", ""), [])
    def handle_endtag(self, tag):
        if tag == "script": self.in_script = False
        if tag == "td" and self.cell: self.cells.append((self.cell[0], "".join(self.cell[1]))); self.cell = None
    def handle_data(self, data):
        if self.in_script: self.scripts[-1] += data
        if self.cell: self.cell[1].append(data)

page = Page()
page.feed(html)
assert not page.external, f"the page loads something from outside: {page.external}"
assert "uPlot" in page.scripts[0] and len(page.scripts[0]) > 40000, "the chart library is not inlined"
runs = json.loads(re.search(r"const RUNS = (.*?);\n", page.scripts[1], re.S).group(1))
assert [r["name"] for r in runs] == ["multistep", "cosine"], [r["name"] for r in runs]
for r in runs:
    assert len(r["train"]["it"]) == 9 and len(r["val"]["it"]) == 3, (r["name"], len(r["train"]["it"]), len(r["val"]["it"]))
    assert all(t is not None and t >= 0 for t in r["train"]["t"]), "a train row without its time"
    assert all(v > 0 for v in r["train"]["lr"]), "LR"
# The schedules differ, and the page says so: the differing key's row with the second run's value highlighted.
assert ("differs", "cosine") in page.cells, "schedule.name not highlighted as a difference"
assert any(c == "key" and v == "schedule.name" for c, v in page.cells), "no schedule.name row"
for heading in ("Config differences", "Curves", "AP per class", "Range tests and LR races", "How each run was made"):
    assert heading in html, heading
assert len(page.images) == 1, f"{len(page.images)} embedded images (the range test's expected)"
for src in page.images:
    assert src.startswith("data:image/png;base64,")
    image = cv2.imdecode(np.frombuffer(base64.b64decode(src.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[0] > 100 and image.shape[1] > 100, "an embedded image does not decode"
for name in ("compare_iterations.png", "compare_time.png"):
    image = cv2.imread(folder + "/" + name)
    assert image is not None and image.shape == (5 * 280, 900, 3), (name, None if image is None else image.shape)
    # The two runs' colours (BGR of tab10's first two) are drawn: the curves are there.
    for colour in ((180, 119, 31), (14, 127, 255)):
        assert (np.abs(image.astype(int) - colour).sum(axis=2) < 30).sum() > 500, (name, colour)
print("page, data and images check out")
PY

echo "== the page in headless Chromium"
if ! command -v chromium >/dev/null; then fail "chromium not found (scripts/setup.sh installs it)"; fi
chrome=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/chromium")
"${chrome[@]}" --virtual-time-budget=5000 --dump-dom "file://$work/page/compare.html" > "$work/dom.html" 2> "$work/chromium.log" \
  || { cat "$work/chromium.log"; fail "chromium --dump-dom"; }
canvases=$(grep -o "<canvas" "$work/dom.html" | wc -l)
[ "$canvases" -ge 6 ] || fail "the charts were not drawn: $canvases canvases in the page after its scripts ran"
"${chrome[@]}" --virtual-time-budget=5000 --window-size=1400,2400 --screenshot="$work/shot.png" "file://$work/page/compare.html" \
  2>> "$work/chromium.log" || { cat "$work/chromium.log"; fail "chromium --screenshot"; }
/usr/bin/python3 - "$work/shot.png" <<'PY'
import sys
import cv2, numpy as np
shot = cv2.imread(sys.argv[1])
assert shot is not None, "no screenshot"
# Each run's colour covers far more than its swatches in the tables (12 x 12 px each): its curves are drawn.
for colour in ((180, 119, 31), (14, 127, 255)):
    pixels = int((np.abs(shot.astype(int) - colour).sum(axis=2) < 40).sum())
    assert pixels > 3000, f"{pixels} pixels of colour {colour}: the chart area is blank"
print("screenshot: the charts are drawn")
PY

echo "== a folder without runs"
mkdir -p "$work/empty"
set +e
"$bin/ssd-runs" list "$work/empty" > /dev/null 2> "$work/err.txt"
code=$?
set -e
[ "$code" = 4 ] || fail "a folder without runs: exit $code, not 4"
grep -q "$work/empty: neither a run directory" "$work/err.txt" || fail "the error does not name the folder"
echo "ok"
