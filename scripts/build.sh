#!/usr/bin/env bash
# Configures and builds the project (Release) into ./build. Extra arguments go to CMake,
# e.g. scripts/build.sh -DCMAKE_PREFIX_PATH=/opt/libtorch for an official (CUDA) LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@"
fi
# One compile job per core: a LibTorch translation unit takes about 1 GiB of memory and all of a core.
cmake --build build --parallel "$(nproc)"
