#include "ssd/distributed/communicator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "group.h"

namespace ssd::distributed {

Communicator::Communicator(std::shared_ptr<Group> group, int rank, int world_size, std::string backend, c10::Device device)
    : group_(std::move(group)), rank_(rank), world_size_(world_size), backend_(std::move(backend)), device_(device) {}

namespace {

std::runtime_error failure(int rank, int world_size, const std::string& what, const std::string& reason) {
  return std::runtime_error("rank " + std::to_string(rank) + " of " + std::to_string(world_size) + ": " + what + " across processes failed: " +
                            reason + " (another process of the run died or stopped answering; its own log says why)");
}

}  // namespace

void Communicator::fail(const std::string& what, const std::string& reason) const { throw failure(rank_, world_size_, what, reason); }

// Runs one c10d collective and waits for it, turning its failure into one message.
#define SSD_COLLECTIVE(what, call)              \
  try {                                         \
    group_->collectives->call->wait();          \
  } catch (const std::exception& e) {           \
    fail(what, reason_of(e));                   \
  }

void Communicator::sum(std::vector<at::Tensor>& tensors, const std::string& what) const {
  if (alone() || tensors.empty()) return;
  // One tensor per call: c10d's allreduce takes a list for one tensor per device of the process, not a batch.
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t};
    SSD_COLLECTIVE(what, allreduce(one))
  }
}

std::function<void()> Communicator::start_sum(at::Tensor tensor, const std::string& what) const {
  if (alone()) return [] {};
  c10::intrusive_ptr<c10d::Work> work;
  try {
    std::vector<at::Tensor> one{std::move(tensor)};
    work = group_->collectives->allreduce(one);
  } catch (const std::exception& e) {
    fail(what, reason_of(e));
  }
  // By value: the wait may outlive this Communicator object (the group itself is kept alive by `group`).
  return [group = group_, work, what, rank = rank_, world_size = world_size_] {
    try {
      work->wait();
    } catch (const std::exception& e) {
      throw failure(rank, world_size, what, reason_of(e));
    }
  };
}

std::vector<double> Communicator::sum(const std::vector<double>& values, const std::string& what) const {
  if (alone() || values.empty()) return values;
  std::vector<at::Tensor> t{at::tensor(values, at::TensorOptions().dtype(at::kDouble)).to(device_)};
  sum(t, what);
  const auto host = t[0].to(at::kCPU).contiguous();
  return {host.data_ptr<double>(), host.data_ptr<double>() + host.numel()};
}

bool Communicator::any(bool flag, const std::string& what) const {
  if (alone()) return flag;
  return sum(std::vector<double>{flag ? 1.0 : 0.0}, what)[0] > 0;
}

void Communicator::broadcast(std::vector<at::Tensor>& tensors, const std::string& what) const {
  if (alone()) return;
  c10d::BroadcastOptions options;
  options.rootRank = 0;
  for (auto& t : tensors) {
    // c10d broadcasts into the tensor's own storage: a view or a non-contiguous tensor goes through a copy.
    std::vector<at::Tensor> one{t.is_contiguous() ? t : t.contiguous()};
    SSD_COLLECTIVE(what, broadcast(one, options))
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

std::string Communicator::broadcast_bytes(const std::string& bytes, const std::string& what) const {
  if (alone()) return bytes;
  std::vector<at::Tensor> size{at::full({1}, static_cast<int64_t>(bytes.size()), at::TensorOptions().dtype(at::kLong).device(device_))};
  broadcast(size, what);
  const int64_t n = size[0].to(at::kCPU).item<int64_t>();
  auto host = at::empty({n}, at::kByte);
  if (rank_ == 0) std::memcpy(host.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  std::vector<at::Tensor> data{host.to(device_)};
  broadcast(data, what);
  host = data[0].to(at::kCPU).contiguous();
  return {reinterpret_cast<const char*>(host.data_ptr<uint8_t>()), static_cast<size_t>(n)};
}

std::vector<std::string> Communicator::gather_bytes(const std::string& bytes, const std::string& what) const {
  if (alone()) return {bytes};
  const auto on = at::TensorOptions().device(device_);
  // Allgather needs one size: every process's bytes are padded to the longest.
  std::vector<at::Tensor> size_in{at::full({1}, static_cast<int64_t>(bytes.size()), on.dtype(at::kLong))};
  std::vector<std::vector<at::Tensor>> sizes_out(1);
  for (int r = 0; r < world_size_; ++r) sizes_out[0].push_back(at::empty({1}, on.dtype(at::kLong)));
  SSD_COLLECTIVE(what, allgather(sizes_out, size_in))
  std::vector<int64_t> sizes;
  for (const auto& s : sizes_out[0]) sizes.push_back(s.to(at::kCPU).item<int64_t>());
  const int64_t longest = std::max<int64_t>(1, *std::max_element(sizes.begin(), sizes.end()));
  auto padded = at::zeros({longest}, at::kByte);
  std::memcpy(padded.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  std::vector<at::Tensor> data_in{padded.to(device_)};
  std::vector<std::vector<at::Tensor>> data_out(1);
  for (int r = 0; r < world_size_; ++r) data_out[0].push_back(at::empty({longest}, on.dtype(at::kByte)));
  SSD_COLLECTIVE(what, allgather(data_out, data_in))
  std::vector<std::string> out;
  for (int r = 0; r < world_size_; ++r) {
    const auto host = data_out[0][r].to(at::kCPU).contiguous();
    out.emplace_back(reinterpret_cast<const char*>(host.data_ptr<uint8_t>()), static_cast<size_t>(sizes[r]));
  }
  return out;
}

void Communicator::barrier(const std::string& what, std::chrono::milliseconds timeout) const {
  if (alone()) return;
  try {
    if (backend_ == "gloo")
      group_->collectives->monitoredBarrier(c10d::BarrierOptions{{}, timeout}, /*waitAllRanks=*/true);
    else
      group_->collectives->barrier()->wait();
  } catch (const std::exception& e) {
    fail(what, reason_of(e));
  }
}

#undef SSD_COLLECTIVE

}  // namespace ssd::distributed
