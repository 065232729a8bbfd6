#pragma once
// Reads the files that Python's torch.save(model.state_dict(), f) writes, as they are distributed (torchvision's
// ImageNet and detection weights): the zip format of torch >= 1.6 and the legacy format before it.
//
// Why not torch::pickle_load: LibTorch 1.13's unpickler turns collections.OrderedDict into None, so every real
// state dict (an OrderedDict carrying _metadata) fails, and it cannot read the legacy format at all. This reader
// interprets the small part of the pickle protocol that torch.save uses for a state dict (containers, strings,
// numbers, OrderedDict, tensor rebuilding through persistent storage ids; and the type tags of LibTorch's own
// torch::pickle_save, so that ssd-export files read back); the zip container is read with
// LibTorch's own PyTorchStreamReader. Anything else in the pickle (an arbitrary Python object) is an error that
// names it.
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssd::interop {

/// Tensors in the file's order. Accepts a plain state dict, or a dict holding one under "state_dict", "model" or
/// "model_state_dict" (common training checkpoints). Throws DataError naming the file for anything it cannot read.
std::vector<std::pair<std::string, at::Tensor>> read_state_dict(const std::string& path);

}  // namespace ssd::interop
