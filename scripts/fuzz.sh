#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with AddressSanitizer and UndefinedBehaviorSanitizer) into
# ./build-sanitize and runs each for SECONDS (default 30) on its checked-in seed corpus, fuzz/corpus/<target>/.
# Inputs the fuzzer finds new coverage with are kept in build-sanitize/corpus/<target>/ (so longer runs build on
# shorter ones); a failing input is written to build-sanitize/findings/ and ends the script with an error.
#   bash scripts/fuzz.sh            30 s per target (CI)
#   bash scripts/fuzz.sh 3600       an hour per target
#   bash scripts/fuzz.sh 600 coco_json voc_xml   only these targets
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
case "$seconds" in
  ''|*[!0-9]*) echo "fuzz.sh: the first argument is the seconds per target, got '$seconds'" >&2; exit 2 ;;
esac
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(voc_xml coco_json yolo_labels yolo_data_yaml config_yaml detections_json state_dict image_decode)

bash scripts/sanitize.sh --configure-only
cmake --build build-sanitize --parallel "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")

# detect_leaks=0: LibTorch and OpenMP keep allocations for the process's life, which LeakSanitizer would report.
# allocator_may_return_null: an allocation too large to make fails as it would without the sanitizer (LibTorch then
# throws), rather than ending the run.
export ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1
mkdir -p build-sanitize/findings
summary=()
failed=0
for t in "${targets[@]}"; do
  mkdir -p "build-sanitize/corpus/$t"
  log="build-sanitize/findings/$t.log"
  # -rss_limit_mb: an input that makes a reader use memory without bound is a finding; -timeout: so is a hang.
  # -malloc_limit_mb is raised past it: a file may declare a size that a library allocates before it finds the data
  # missing (OpenCV up to 2^30 pixels, LibTorch's zip records), which costs address space, not memory.
  if ./build-sanitize/fuzz/fuzz_"$t" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1048576 -timeout=20 -print_final_stats=1 \
       -artifact_prefix="build-sanitize/findings/$t-" "build-sanitize/corpus/$t" "fuzz/corpus/$t" > "$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
    tail -n 40 "$log"
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*' || echo "?")
  summary+=("$(printf '%-16s %-6s %10s runs  coverage %s' "$t" "$status" "$runs" "$cov")")
done
printf '%s\n' "fuzzing, ${seconds} s per target:" "${summary[@]}"
exit $failed
