// Precompiled header: the heavy LibTorch and library headers that most translation units use.
// Parsing <torch/torch.h> costs about 30 s per translation unit on a 2-core machine; compiled once here.
#pragma once
#include <torch/torch.h>
#include <opencv2/core.hpp>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
