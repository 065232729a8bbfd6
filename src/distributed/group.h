#pragma once
// The c10d object behind a Communicator. LibTorch 1.x's process groups derive from c10d::ProcessGroup; from 2.0 the
// backends (ProcessGroupGloo, ProcessGroupNCCL) derive from c10d::Backend, with the same collective calls.
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/version.h>

#include "ssd/distributed/communicator.h"

namespace ssd::distributed {

#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

struct Communicator::Group {
  c10::intrusive_ptr<Collectives> collectives;
  c10::intrusive_ptr<c10d::Store> store;  ///< kept alive with the group (rank 0 may host it)
};

/// An error's message for a user: c10::Error's what() carries a C++ backtrace that says nothing to one.
inline std::string reason_of(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

}  // namespace ssd::distributed
