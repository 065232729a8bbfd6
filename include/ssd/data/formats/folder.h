#pragma once
// The folder layout, data format "folder": images/<stem>.jpg (or .png, .jpeg) beside annotations/<stem>.xml in VOC's
// XML, with optional splits/<split>.txt files; without them, a seeded split of all images into train and val
// (data.val_fraction), or all of them.
#include <cstdint>
#include <string>
#include <vector>

#include "ssd/data/formats/registry.h"

namespace ssd::data {

/// The ids of a folder-layout split: splits/<split>.txt when present; else all stems of annotations/,
/// sorted, shuffled with `seed`, the first val_fraction for "val", the rest for "train", or every one for "all".
std::vector<std::string> folder_split_ids(const std::string& root, const std::string& split, double val_fraction, uint64_t seed);

}  // namespace ssd::data
