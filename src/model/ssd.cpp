#include "ssd/model/ssd.h"

#include <algorithm>
#include <sstream>

#include <torch/nn/modules/batchnorm.h>

#include "ssd/model/registry.h"
#include "ssd/util/check.h"

namespace ssd::model {

SsdImpl::SsdImpl(std::shared_ptr<Backbone> backbone, std::shared_ptr<Head> head, PriorTable priors_table,
                 std::vector<FeatureSpec> specs, SsdOptions options)
    : backbone_(std::move(backbone)),
      head_(std::move(head)),
      prior_table_(std::move(priors_table)),
      specs_(std::move(specs)),
      options_(std::move(options)),
      coder_(options_.variances.at(0), options_.variances.at(1)) {
  register_module("backbone", backbone_);
  register_module("head", head_);
  priors_ = register_buffer("priors", make_priors(prior_table_, options_.image_size, specs_));
}

Targets SsdImpl::assign_targets(const std::vector<at::Tensor>& boxes, const std::vector<at::Tensor>& labels) const {
  return model::assign_targets(boxes, labels, priors_, coder_, options_.match_iou);
}

HeadOutput SsdImpl::forward(const at::Tensor& images) {
  const auto& size = options_.image_size;
  SSD_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == size.height && images.size(3) == size.width,
            "Ssd::forward: expected images of shape [B, 3, ", size.height, ", ", size.width, "], got ", images.sizes());
  return head_->forward(backbone_->forward(images.contiguous(memory_format_)));
}

void SsdImpl::set_memory_format(at::MemoryFormat format) {
  SSD_CHECK(format == at::MemoryFormat::Contiguous || format == at::MemoryFormat::ChannelsLast,
            "Ssd::set_memory_format: contiguous or channels_last, got ", format);
  memory_format_ = format;
  for (auto& p : parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(format));
}

int64_t SsdImpl::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::string SsdImpl::summary() const {
  std::ostringstream os;
  os << "model: SSD" << options_.image_size.str() << " " << backbone_name << " + " << head_name << " head, " << options_.num_classes
     << " classes (with background)\n";
  os << "default-box preset: " << prior_table_.preset << "\n";
  // A level's centre spacing: one number, or x and y where a non-square input makes them differ.
  std::vector<std::string> steps;
  size_t step_width = 7;
  for (size_t k = 0; k < specs_.size(); ++k) {
    char step[40];
    if (prior_table_.steps[k] == prior_table_.step_y(k)) std::snprintf(step, sizeof(step), "%.2f", prior_table_.steps[k]);
    else std::snprintf(step, sizeof(step), "%.1fx%.1f", prior_table_.steps[k], prior_table_.step_y(k));
    steps.push_back(step);
    step_width = std::max(step_width, steps.back().size());
  }
  const int sw = static_cast<int>(step_width);
  char header[160];
  std::snprintf(header, sizeof(header), "  level  map      channels  min px   max px   %-*s ratios     boxes\n", sw, "step");
  os << header;
  for (size_t k = 0; k < specs_.size(); ++k) {
    std::ostringstream ratios;
    for (size_t i = 0; i < prior_table_.aspect_ratios[k].size(); ++i) ratios << (i ? "," : "") << prior_table_.aspect_ratios[k][i];
    char line[200];
    std::snprintf(line, sizeof(line), "  %-6zu %3lldx%-4lld %-9lld %-8.2f %-8.2f %-*s %-10s %lld\n", k,
                  static_cast<long long>(specs_[k].width), static_cast<long long>(specs_[k].height),
                  static_cast<long long>(specs_[k].channels), prior_table_.min_sizes[k], prior_table_.max_sizes[k], sw,
                  steps[k].c_str(), ratios.str().c_str(), static_cast<long long>(specs_[k].cells() * prior_table_.anchors_per_cell(k)));
    os << line;
  }
  // These two lines are parsed by tests and scripts: keep the "name: N" form.
  os << "parameters: " << parameter_count() << "\n";
  os << "default boxes: " << priors_.size(0) << "\n";
  return os.str();
}

int64_t smallest_training_batch(const SsdImpl& model) {
  const auto& specs = model.feature_specs();
  const bool one_by_one = std::any_of(specs.begin(), specs.end(), [](const FeatureSpec& s) { return s.cells() == 1; });
  const auto modules = model.modules(/*include_self=*/false);
  const bool batch_norm = std::any_of(modules.begin(), modules.end(),
                                      [](const auto& m) { return m->template as<torch::nn::BatchNorm2dImpl>() != nullptr; });
  return one_by_one && batch_norm ? 2 : 1;
}

void require_training_batch(const SsdImpl& model, int64_t batch_size) {
  const int64_t smallest = smallest_training_batch(model);
  if (batch_size < smallest)
    throw ConfigError("train.batch_size: " + std::to_string(batch_size) + " is too small to train " + model.backbone_name +
                      " at model.image_size " + model.image_size().str() +
                      ": batch normalisation on its 1x1 feature map needs at least " + std::to_string(smallest) +
                      " images per batch");
}

Ssd build_ssd(const config::ModelConfig& c, int64_t num_classes) {
  const auto& backbone_entry = backbone_registry().get(c.backbone);
  auto backbone = backbone_entry.factory(BackboneOptions{c.image_size, c.width_mult});
  const auto specs = backbone->output_specs(c.image_size);
  for (size_t k = 0; k < specs.size(); ++k)
    if (specs[k].height < 1 || specs[k].width < 1)
      throw ConfigError("model.image_size: " + c.image_size.str() + " is too small for " + c.backbone + ": feature map " +
                        std::to_string(k) + " would be empty");
  auto table = resolve_priors(c.priors, backbone->default_priors(c.image_size), c.image_size, specs);
  const std::string head_name = c.head == "auto" ? backbone->default_head() : c.head;
  auto head = head_registry().get(head_name).factory(HeadOptions{specs, table.anchors_per_cell(), num_classes});
  Ssd model(backbone, head, table, specs, SsdOptions{c.image_size, num_classes, c.variances, c.iou_threshold, c.pixel_mean, c.pixel_std, c.resize});
  model->backbone_name = c.backbone;
  model->head_name = head_name;
  return model;
}

}  // namespace ssd::model
