#!/usr/bin/env bash
# Builds the project with clang, AddressSanitizer and UndefinedBehaviorSanitizer into ./build-sanitize (beside the
# normal ./build, which it leaves alone) and runs the unit tests there: any sanitizer report fails its test.
#   bash scripts/sanitize.sh                   build and run every test
#   bash scripts/sanitize.sh -R Checkpoint     only the tests matching a CTest regular expression
#   bash scripts/sanitize.sh --configure-only  (for scripts/fuzz.sh, which builds the fuzz targets in the same tree)
# The same tree holds the libFuzzer targets (SSD_BUILD_FUZZ), so one sanitizer build serves both scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang++ >/dev/null || { echo "clang++ not found: bash scripts/setup.sh --sanitize installs it" >&2; exit 1; }
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f build-sanitize/CMakeCache.txt ]; then
  cmake -S . -B build-sanitize "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
    -DSSD_BUILD_FUZZ=ON -DSSD_BUILD_TESTS=ON
fi
[ "${1:-}" = "--configure-only" ] && exit 0
# detect_leaks=0: LibTorch and OpenMP keep allocations for the process's life, which LeakSanitizer would report.
# Exported before the build, which runs the test binary to list its tests.
export ASAN_OPTIONS=detect_leaks=0:detect_odr_violation=0
export UBSAN_OPTIONS=print_stacktrace=1
start=$(date +%s)
cmake --build build-sanitize --parallel "$(nproc)" --target ssd_tests ssd_tools
built=$(date +%s)
(cd build-sanitize && ctest --output-on-failure --parallel "$(nproc)" "$@")
echo "sanitizer build $(( (built - start) / 60 )) min $(( (built - start) % 60 )) s, tests $(( ($(date +%s) - built) / 60 )) min $(( ($(date +%s) - built) % 60 )) s"
