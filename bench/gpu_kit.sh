#!/usr/bin/env bash
# The GPU suite (bench/gpu_speed.py) on a machine that has CUDA, PyTorch (with its bundled LibTorch), a C++ compiler,
# CMake and Ninja, but none of Debian's packages, such as a borrowed GPU server. Two steps:
#
#   bash bench/gpu_kit.sh fetch    on a Debian machine with its package mirror: downloads into .gpu-kit/debs the
#                                  packages the core build needs besides LibTorch (spdlog and fmt, CLI11,
#                                  nlohmann-json: about 1 MiB). The full build's OpenCV would bring hundreds of MiB
#                                  of dependencies; the core build (CMake option SSD_CORE_ONLY) needs none of them.
#   bash bench/gpu_kit.sh run [bench/gpu_speed.py flags]
#                                  on the GPU machine, with .gpu-kit copied beside the sources: unpacks the packages
#                                  into .gpu-kit/root, builds ssd-bench (SSD_CORE_ONLY) against PyTorch's LibTorch
#                                  into build-gpu/, and runs bench/gpu_speed.py with PyTorch's Python (PYTHON, default
#                                  python3) as the reference side. It writes docs/benchmarks/gpu.md and gpu.json.
set -euo pipefail
cd "$(dirname "$0")/.."
kit=.gpu-kit
PACKAGES=(libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libcli11-dev nlohmann-json3-dev)

case "${1:-}" in
  fetch)
    rm -rf "$kit/debs"
    mkdir -p "$kit/debs"
    (cd "$kit/debs" && apt-get download "${PACKAGES[@]}")
    du -sh "$kit/debs"
    ;;
  run)
    shift
    python=${PYTHON:-python3}
    root="$PWD/$kit/root"
    ls "$kit"/debs/*.deb >/dev/null 2>&1 || { echo "gpu_kit: no $kit/debs/*.deb: run 'bash bench/gpu_kit.sh fetch' on Debian first" >&2; exit 1; }
    rm -rf "$root"
    mkdir -p "$root"
    for deb in "$kit"/debs/*.deb; do
      if command -v dpkg-deb >/dev/null; then
        dpkg-deb -x "$deb" "$root"
      else  # a .deb is an ar archive; Debian 12's hold their files in data.tar.xz
        ar p "$deb" data.tar.xz | tar -xJ -C "$root"
      fi
    done
    torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
    # The unpacked spdlog and fmt are shared libraries: the programs find them here at run time.
    export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DSSD_CORE_ONLY=ON \
      "-DCMAKE_PREFIX_PATH=$torch_prefix;$root/usr"
    cmake --build build-gpu --parallel "$(nproc)"
    "$python" bench/gpu_speed.py --build build-gpu --python "$python" "$@"
    ;;
  *)
    echo "usage: bash bench/gpu_kit.sh fetch | run [bench/gpu_speed.py flags]" >&2
    exit 2
    ;;
esac
