# find_package for every dependency, each with a message that says how to get it.
function(ssd_require pkg hint)
  if(NOT ${pkg}_FOUND)
    message(FATAL_ERROR "${pkg} not found. ${hint}")
  endif()
endfunction()

set(_debian_hint "On Debian run: sudo bash scripts/setup.sh")

# LibTorch: Debian's libtorch-dev, or an official (CUDA) LibTorch through -DCMAKE_PREFIX_PATH=/path/to/libtorch.
find_package(Torch QUIET)
ssd_require(Torch "${_debian_hint}, or pass -DCMAKE_PREFIX_PATH=<libtorch>")
# LibTorch's own CMake adds flags (for example -D_GLIBCXX_USE_CXX11_ABI) that every target must share. This file
# is include()d, so it already is the top-level scope (PARENT_SCOPE here set nothing: a pre-C++11-ABI LibTorch,
# such as older pip wheels' bundled one, would not have linked).
set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${TORCH_CXX_FLAGS}")

# The core library and ssd-bench (all that SSD_CORE_ONLY builds) need these three besides LibTorch.
find_package(spdlog QUIET)
ssd_require(spdlog "${_debian_hint} (libspdlog-dev)")
find_package(CLI11 QUIET)
ssd_require(CLI11 "${_debian_hint} (libcli11-dev)")
find_package(nlohmann_json QUIET)
ssd_require(nlohmann_json "${_debian_hint} (nlohmann-json3-dev)")
if(NOT SSD_CORE_ONLY)
  # dnn: ssd-detect --onnx runs an exported ONNX file on it.
  find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs dnn)
  ssd_require(OpenCV "${_debian_hint} (libopencv-dev)")
  find_package(yaml-cpp QUIET)
  ssd_require(yaml-cpp "${_debian_hint} (libyaml-cpp-dev)")
  find_package(tinyxml2 QUIET)
  ssd_require(tinyxml2 "${_debian_hint} (libtinyxml2-dev)")
  # simdjson reads detection files (hundreds of thousands of entries) fast; nlohmann-json everything else.
  find_package(simdjson QUIET)
  ssd_require(simdjson "${_debian_hint} (libsimdjson-dev)")
  # libcrypto's base64 encoder embeds the report's images in its HTML page.
  find_package(OpenSSL QUIET COMPONENTS Crypto)
  ssd_require(OpenSSL "${_debian_hint} (libssl-dev)")
  # ssd-serve's HTTP server (src/serve/detection_server.cpp).
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(HTTPLIB QUIET cpp-httplib)
  endif()
  ssd_require(HTTPLIB "${_debian_hint} (libcpp-httplib-dev)")
  # PLplot draws every chart a run writes (util/plot.h): its axes put ticks at round numbers, on linear or log scales,
  # with titles, and clip curves to the axes. Its cairo driver (plplot-driver-cairo) renders into memory.
  if(PkgConfig_FOUND)
    pkg_check_modules(PLPLOT QUIET plplot-c++ plplot)
  endif()
  ssd_require(PLPLOT "${_debian_hint} (libplplot-dev plplot-driver-cairo)")
endif()
# oneDNN's own API (Debian's libdnnl-dev: the library Debian's LibTorch runs its convolutions on) packs inference
# weights once (kernels/packed_convolution.h). Optional: an official LibTorch bundles its own oneDNN without headers,
# and without these the convolutions take ATen's path. Debian's oneDNN is built with an OpenCL GPU runtime and its
# CMake package stops the configuration (QUIET or not) where OpenCL's development files are missing, though only
# the CPU engine is used here: look for those first (ocl-icd-opencl-dev, which setup.sh installs), so that their
# absence leaves oneDNN out instead of failing the build.
find_package(OpenCL QUIET)
if(OpenCL_FOUND)
  find_package(dnnl CONFIG QUIET)
endif()
if(dnnl_FOUND)
  message(STATUS "oneDNN ${dnnl_VERSION}: inference convolutions on packed weights")
elseif(NOT OpenCL_FOUND)
  message(STATUS "OpenCL development files not found (ocl-icd-opencl-dev), which Debian's oneDNN CMake package "
                 "needs: inference convolutions take ATen's path")
else()
  message(STATUS "oneDNN headers not found (libdnnl-dev): inference convolutions take ATen's path")
endif()
if(SSD_BUILD_TESTS)
  find_package(GTest QUIET)
  ssd_require(GTest "${_debian_hint} (libgtest-dev)")
endif()

# Older yaml-cpp packages export the target without the namespace.
if(TARGET yaml-cpp::yaml-cpp AND NOT TARGET yaml-cpp)
  add_library(yaml-cpp ALIAS yaml-cpp::yaml-cpp)
endif()
