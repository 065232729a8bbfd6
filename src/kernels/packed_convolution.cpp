#include "ssd/kernels/packed_convolution.h"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>

#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "ssd/kernels/conv2d.h"
#include "ssd/runtime/autocast_state.h"

#if SSD_WITH_ONEDNN
#include <ATen/native/ConvUtils.h>  // an ATen-internal header: only where the oneDNN path needs it
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace ssd::kernels {

bool packed_convolution_available() {
#if SSD_WITH_ONEDNN
  return true;
#else
  return false;
#endif
}

bool prefers_packed_convolution(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) {
  if (!packed_convolution_available() || !onednn_takes(input) || input.numel() == 0) return false;
  if (!weight.is_cpu() || weight.is_mkldnn() || weight.scalar_type() != at::kFloat || weight.dim() != 4) return false;
  if (bias.defined() && (!bias.is_cpu() || bias.scalar_type() != at::kFloat)) return false;
  const bool bias_grad = bias.defined() && bias.requires_grad();
  if (at::GradMode::is_enabled() && (input.requires_grad() || weight.requires_grad() || bias_grad)) return false;
  if (runtime::autocast_enabled(c10::kCPU)) return false;
  return input.is_contiguous(at::MemoryFormat::ChannelsLast);
}

#if SSD_WITH_ONEDNN

namespace {

using dnnl::memory;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// A detect or eval run sees one or two batch shapes (the last batch smaller); more means shapes that vary per call,
// where keeping every primitive would only grow.
constexpr size_t kMaxShapes = 8;

// The weights as oneDNN names them, over PyTorch's memory in its own strides (contiguous or channels-last): dims
// {O, I, kh, kw}, or {G, O/G, I/G, kh, kw} for grouped convolutions.
memory::desc user_weights(const at::Tensor& w, int64_t groups) {
  const auto s = w.strides();
  if (groups == 1) return memory::desc({w.size(0), w.size(1), w.size(2), w.size(3)}, memory::data_type::f32,
                                       {s[0], s[1], s[2], s[3]});
  return memory::desc({groups, w.size(0) / groups, w.size(1), w.size(2), w.size(3)}, memory::data_type::f32,
                      {s[0] * (w.size(0) / groups), s[0], s[1], s[2], s[3]});
}

}  // namespace

struct PackedConvolution::State {
  memory::dims stride, padding, dilation;  // dilation as oneDNN counts it: the gaps, d - 1
  int64_t groups;
  struct Shape {
    dnnl::convolution_forward primitive;
    memory weights;  // packed into the layout the primitive chose
    memory::desc src, dst, bias;
    std::vector<int64_t> output_sizes;
  };
  std::map<std::vector<int64_t>, Shape> shapes;  // by input sizes and whether there is a bias
  const void* weight_data = nullptr;
  int64_t weight_version = -1;
  std::vector<int64_t> weight_strides;
  int64_t packs = 0;
  std::mutex mutex;

  Shape build(const at::Tensor& input, const at::Tensor& weight, bool with_bias) {
    const auto f32 = memory::data_type::f32;
    const memory::dims aten_dilation{dilation[0] + 1, dilation[1] + 1};
    Shape s;
    s.output_sizes = at::native::conv_output_size(input.sizes(), weight.sizes(), padding, stride, aten_dilation);
    s.src = memory::desc(input.sizes().vec(), f32, memory::format_tag::nhwc);
    s.dst = memory::desc(s.output_sizes, f32, memory::format_tag::nhwc);
    const int64_t o = weight.size(0);
    s.bias = memory::desc({o}, f32, memory::format_tag::a);
    const auto user = user_weights(weight, groups);
    const auto any = memory::desc(user.dims(), f32, memory::format_tag::any);
    const auto kind = dnnl::prop_kind::forward_inference;
    const auto algorithm = dnnl::algorithm::convolution_direct;
    const auto desc = with_bias ? dnnl::convolution_forward::desc(kind, algorithm, s.src, any, s.bias, s.dst, stride,
                                                                   dilation, padding, padding)
                                : dnnl::convolution_forward::desc(kind, algorithm, s.src, any, s.dst, stride, dilation,
                                                                   padding, padding);
    const dnnl::convolution_forward::primitive_desc pd(desc, cpu_engine());
    s.primitive = dnnl::convolution_forward(pd);
    // The primitives of another input shape (a smaller last batch) mostly ask for the same blocked layout: one
    // packed copy serves them all instead of a copy of the layer's weights per shape.
    for (const auto& [key, other] : shapes) {
      if (other.weights.get_desc() == pd.weights_desc()) {
        s.weights = other.weights;
        return s;
      }
    }
    s.weights = memory(pd.weights_desc(), cpu_engine());
    memory from(user, cpu_engine(), weight.data_ptr());
    dnnl::stream stream(cpu_engine());
    dnnl::reorder(from, s.weights).execute(stream, from, s.weights);
    stream.wait();
    ++packs;
    return s;
  }
};

PackedConvolution::PackedConvolution(std::vector<int64_t> stride, std::vector<int64_t> padding,
                                     std::vector<int64_t> dilation, int64_t groups)
    : state_(std::make_unique<State>()) {
  for (auto& d : dilation) d -= 1;
  state_->stride = memory::dims(stride.begin(), stride.end());
  state_->padding = memory::dims(padding.begin(), padding.end());
  state_->dilation = memory::dims(dilation.begin(), dilation.end());
  state_->groups = groups;
}

at::Tensor PackedConvolution::run(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) {
  auto& s = *state_;
  const std::lock_guard<std::mutex> lock(s.mutex);
  const std::vector<int64_t> strides(weight.strides().begin(), weight.strides().end());
  if (weight.data_ptr() != s.weight_data || weight._version() != s.weight_version || strides != s.weight_strides) {
    s.shapes.clear();
    s.weight_data = weight.data_ptr(), s.weight_version = weight._version(), s.weight_strides = strides;
  }
  const bool with_bias = bias.defined();
  std::vector<int64_t> key(input.sizes().begin(), input.sizes().end());
  key.push_back(with_bias);
  auto it = s.shapes.find(key);
  if (it == s.shapes.end()) {
    if (s.shapes.size() >= kMaxShapes) s.shapes.clear();
    it = s.shapes.emplace(key, s.build(input, weight, with_bias)).first;
  }
  const auto& shape = it->second;
  auto output = at::empty(shape.output_sizes, input.options().memory_format(at::MemoryFormat::ChannelsLast));
  auto& engine = cpu_engine();
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(shape.src, engine, input.data_ptr())},
                                       {DNNL_ARG_WEIGHTS, shape.weights},
                                       {DNNL_ARG_DST, memory(shape.dst, engine, output.data_ptr())}};
  const auto bias_values = with_bias ? bias.contiguous() : at::Tensor();
  if (with_bias) args.emplace(DNNL_ARG_BIAS, memory(shape.bias, engine, bias_values.data_ptr()));
  dnnl::stream stream(engine);
  shape.primitive.execute(stream, args);
  stream.wait();
  return output;
}

int64_t PackedConvolution::packs() const { return state_->packs; }

int64_t PackedConvolution::weight_copies() const {
  auto& s = *state_;
  const std::lock_guard<std::mutex> lock(s.mutex);
  std::set<const void*> copies;
  for (const auto& entry : s.shapes) copies.insert(entry.second.weights.get_data_handle());
  return static_cast<int64_t>(copies.size());
}

#else  // no oneDNN headers: prefers_packed_convolution() is false and nothing constructs one.

struct PackedConvolution::State {};

PackedConvolution::PackedConvolution(std::vector<int64_t>, std::vector<int64_t>, std::vector<int64_t>, int64_t)
    : state_(std::make_unique<State>()) {}

at::Tensor PackedConvolution::run(const at::Tensor&, const at::Tensor&, const at::Tensor&) {
  throw std::logic_error("PackedConvolution::run: this build has no oneDNN headers (libdnnl-dev)");
}

int64_t PackedConvolution::packs() const { return 0; }

int64_t PackedConvolution::weight_copies() const { return 0; }

#endif

PackedConvolution::~PackedConvolution() = default;

}  // namespace ssd::kernels
