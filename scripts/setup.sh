#!/usr/bin/env bash
# Installs every Debian package that the build, the tests and the demo need (chromium: the test that opens
# ssd-runs compare's page headless); with --bench also what bench/ needs
# (Google Benchmark for ssd-micro-bench, OpenCV's Python module for the Python data pipeline, wrk for the server's load test); with --sanitize what
# scripts/sanitize.sh and scripts/fuzz.sh need (clang and its libFuzzer).
# Idempotent: packages already present are skipped by apt-get. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl
  libtorch-dev libopenblas0-pthread libgloo-dev libdnnl-dev ocl-icd-opencl-dev
  libopencv-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev
  libtinyxml2-dev nlohmann-json3-dev libsimdjson-dev libssl-dev libcpp-httplib-dev
  libplplot-dev plplot-driver-cairo
  chromium
  python3-torch python3-torchvision python3-numpy python3-onnx
)
for option in "$@"; do
  case "$option" in
    --bench) PACKAGES+=(libbenchmark-dev python3-opencv wrk) ;;
    --sanitize) PACKAGES+=(clang libfuzzer-14-dev) ;;
    *) echo "setup: unknown option $option (--bench, --sanitize)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
