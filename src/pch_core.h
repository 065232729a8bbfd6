// Precompiled header of the core library (CMakeLists.txt's ssd_core): LibTorch and spdlog, nothing of the image
// libraries, which the core does without. Parsing <torch/torch.h> costs about 30 s per translation unit on a 2-core
// machine; compiled once here.
#pragma once
#include <torch/torch.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
