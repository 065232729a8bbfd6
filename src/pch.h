// Precompiled header of the full library, the tools and the tests: the core's (pch_core.h) and the heavy headers of
// the image and configuration libraries that most of their translation units use.
#pragma once
#include "pch_core.h"
#include <opencv2/core.hpp>
#include <yaml-cpp/yaml.h>
