#pragma once
// One process's link to the other processes of a data-parallel run: the few collectives training needs, on torch's
// c10d process groups (Gloo on CPU, NCCL on CUDA; distributed/connect.h makes one). A process that runs alone has a
// Communicator too, on which every collective is the identity, so the trainer has one code path.
//
// Every call is a collective: all processes make the same calls in the same order, or they wait for each other until
// distributed.timeout_s. A collective that fails (a peer died: at once; a peer hung: after the timeout) throws
// std::runtime_error naming this rank and the operation.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace ssd::distributed {

class Communicator {
 public:
  /// The process group of c10d behind a Communicator (distributed/connect.cpp makes it).
  struct Group;

  /// A process alone.
  Communicator() = default;
  Communicator(std::shared_ptr<Group> group, int rank, int world_size, std::string backend, c10::Device device);

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool alone() const { return world_size_ == 1; }
  /// "gloo" or "nccl"; "" alone.
  const std::string& backend() const { return backend_; }
  /// Where the collectives' tensors live (CUDA for NCCL).
  c10::Device device() const { return device_; }

  /// Sums the tensors over every process, in place. `what` names the operation in errors ("gradients").
  void sum(std::vector<at::Tensor>& tensors, const std::string& what) const;
  /// Starts summing `tensor` over every process, in place, and returns at once; the returned function waits for the
  /// sum (and throws as sum() does). Sums started in the same order in every process.
  std::function<void()> start_sum(at::Tensor tensor, const std::string& what) const;
  /// The sum over every process of each number.
  std::vector<double> sum(const std::vector<double>& values, const std::string& what) const;
  /// True when `flag` is true in any process.
  bool any(bool flag, const std::string& what) const;
  /// Overwrites the tensors with rank 0's, in place.
  void broadcast(std::vector<at::Tensor>& tensors, const std::string& what) const;
  /// Rank 0's bytes, in every process (the others' `bytes` are ignored).
  std::string broadcast_bytes(const std::string& bytes, const std::string& what) const;
  /// Every process's bytes, in rank order (they may differ in length).
  std::vector<std::string> gather_bytes(const std::string& bytes, const std::string& what) const;
  /// Waits for every process; with Gloo, names the ranks that did not arrive within `timeout`.
  void barrier(const std::string& what, std::chrono::milliseconds timeout) const;

 private:
  [[noreturn]] void fail(const std::string& what, const std::string& reason) const;
  std::shared_ptr<Group> group_;
  int rank_ = 0, world_size_ = 1;
  std::string backend_;
  c10::Device device_{c10::kCPU};
};

}  // namespace ssd::distributed
