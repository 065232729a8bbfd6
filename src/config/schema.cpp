// The one table of config keys: each key's path, field, rule, consumer and meaning, in one row. To add a key: add the
// field (with its default) to config.h, then its row below; a plug-in's own parameters are rows in the plug-in's file
// (config/plugin_params.h), gathered here from the schedule and optimizer registries. docs/config.md is regenerated
// with `ssd-train --config-reference > docs/config.md`.
#include "ssd/config/schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>
#include <sstream>
#include <type_traits>
#include <variant>

#include "ssd/data/augment_steps/step.h"
#include "ssd/data/formats/registry.h"
#include "ssd/data/input_fit.h"
#include "ssd/loss/box_loss.h"
#include "ssd/loss/detection_loss.h"
#include "ssd/lr/schedule.h"
#include "ssd/model/registry.h"
#include "ssd/optim/registry.h"
#include "ssd/util/error.h"

namespace ssd::config {

std::string Location::str() const {
  if (line < 0) return origin;
  return origin + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Location Location::of(const std::string& origin, const YAML::Node& node) {
  Location where{origin};
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) {
    where.line = mark.line + 1;
    where.column = mark.column + 1;
  }
  return where;
}

namespace {

// A registry's names with "auto" first (a key whose default picks the entry that fits the rest of the config).
std::vector<std::string> with_auto(std::vector<std::string> names) {
  names.insert(names.begin(), "auto");
  return names;
}

[[noreturn]] void fail(const Location& where, const std::string& path, const std::string& message) {
  throw ConfigError(where.str() + ": " + path + ": " + message);
}

std::string a_or_an(const std::string& noun) {
  return (std::string("aeiou").find(noun.front()) != std::string::npos ? "an " : "a ") + noun;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "nothing";
  }
}

// ---- Conversion: one overload per field type; each names the expected type on failure. ----

template <typename T>
struct TypeName;
template <> struct TypeName<bool> { static constexpr const char* value = "boolean"; };
template <> struct TypeName<int64_t> { static constexpr const char* value = "integer"; };
template <> struct TypeName<double> { static constexpr const char* value = "number"; };
template <> struct TypeName<std::string> { static constexpr const char* value = "string"; };
template <> struct TypeName<std::vector<double>> { static constexpr const char* value = "list of numbers"; };
template <> struct TypeName<std::vector<std::string>> { static constexpr const char* value = "list of strings"; };
template <> struct TypeName<std::vector<std::vector<double>>> {
  static constexpr const char* value = "list of lists of numbers";
};

template <> struct TypeName<ImageSize> { static constexpr const char* value = "integer or [width, height]"; };
template <> struct TypeName<std::vector<ParamGroupRule>> {
  static constexpr const char* value = "list of {match, lr_mult, weight_decay_mult} mappings";
};

template <typename T>
T scalar_as(const YAML::Node& node, const Location& where, const std::string& path) {
  if (!node.IsScalar()) fail(where, path, "expected " + a_or_an(TypeName<T>::value) + ", got " + describe(node));
  try {
    if constexpr (std::is_same_v<T, double>) {
      const double v = node.as<double>();
      if (!std::isfinite(v)) throw YAML::Exception(node.Mark(), "not finite");
      return v;
    } else {
      return node.as<T>();
    }
  } catch (const YAML::Exception&) {
    fail(where, path, "expected " + a_or_an(TypeName<T>::value) + ", got " + describe(node));
  }
}

template <typename T>
T convert(const YAML::Node& node, const Location& where, const std::string& path) {
  if constexpr (std::is_same_v<T, std::vector<double>> || std::is_same_v<T, std::vector<std::string>>) {
    if (!node.IsSequence()) fail(where, path, "expected " + a_or_an(TypeName<T>::value) + ", got " + describe(node));
    T out;
    for (const auto& item : node)
      out.push_back(scalar_as<typename T::value_type>(item, Location::of(where.origin, item), path));
    return out;
  } else if constexpr (std::is_same_v<T, std::vector<std::vector<double>>>) {
    if (!node.IsSequence()) fail(where, path, "expected " + a_or_an(TypeName<T>::value) + ", got " + describe(node));
    T out;
    for (const auto& item : node)
      out.push_back(convert<std::vector<double>>(item, Location::of(where.origin, item), path));
    return out;
  } else if constexpr (std::is_same_v<T, std::vector<ParamGroupRule>>) {
    if (!node.IsSequence()) fail(where, path, "expected " + a_or_an(TypeName<T>::value) + ", got " + describe(node));
    T out;
    for (const auto& item : node) {
      const auto at = Location::of(where.origin, item);
      if (!item.IsMap()) fail(at, path, "each group is a mapping {match: REGEX, lr_mult: X, weight_decay_mult: Y}, got " + describe(item));
      ParamGroupRule rule;
      for (const auto& field : item) {
        const auto name = field.first.as<std::string>();
        const auto field_at = Location::of(where.origin, field.first);
        if (name == "match") rule.match = scalar_as<std::string>(field.second, field_at, path + ".match");
        else if (name == "lr_mult") rule.lr_mult = scalar_as<double>(field.second, field_at, path + ".lr_mult");
        else if (name == "weight_decay_mult") rule.weight_decay_mult = scalar_as<double>(field.second, field_at, path + ".weight_decay_mult");
        else fail(field_at, path, "unknown field '" + name + "' in a group (fields: match, lr_mult, weight_decay_mult)");
      }
      if (rule.match.empty()) fail(at, path, "a group needs match: REGEX");
      out.push_back(rule);
    }
    return out;
  } else if constexpr (std::is_same_v<T, ImageSize>) {
    if (node.IsScalar()) {
      const auto side = scalar_as<int64_t>(node, where, path);
      return ImageSize{side, side};
    }
    if (!node.IsSequence() || node.size() != 2)
      fail(where, path, "expected " + a_or_an(TypeName<T>::value) + ", got " + describe(node));
    return ImageSize{scalar_as<int64_t>(node[0], Location::of(where.origin, node[0]), path),
                     scalar_as<int64_t>(node[1], Location::of(where.origin, node[1]), path)};
  } else {
    return scalar_as<T>(node, where, path);
  }
}

// ---- Emission: shortest text that reads back to the same value. ----

std::string number_text(double v) {
  char buf[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s(buf);
  // Keep a number-looking float a float ("1" -> "1.0") so that the YAML says what the type is.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

void emit(YAML::Emitter& out, bool v) { out << (v ? "true" : "false"); }
void emit(YAML::Emitter& out, int64_t v) { out << std::to_string(v); }
void emit(YAML::Emitter& out, double v) { out << number_text(v); }
void emit(YAML::Emitter& out, const std::string& v) {
  // Quote what would read back as another type or be empty.
  const bool plain = !v.empty() && v.find_first_of(":#[]{},&*!|>'\"%@`") == std::string::npos &&
                     v.front() != ' ' && v.back() != ' ';
  if (plain) out << v;
  else out << YAML::DoubleQuoted << v;
}
void emit(YAML::Emitter& out, const ParamGroupRule& r) {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << "match" << YAML::Value;
  emit(out, r.match);
  out << YAML::Key << "lr_mult" << YAML::Value;
  emit(out, r.lr_mult);
  out << YAML::Key << "weight_decay_mult" << YAML::Value;
  emit(out, r.weight_decay_mult);
  out << YAML::EndMap;
}
// A square as the integer it was always written as, so every stored config reads and prints as before.
void emit(YAML::Emitter& out, const ImageSize& v) {
  if (v.square()) return emit(out, v.width);
  out << YAML::Flow << YAML::BeginSeq << std::to_string(v.width) << std::to_string(v.height) << YAML::EndSeq;
}
template <typename T>
void emit(YAML::Emitter& out, const std::vector<T>& v) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& item : v) emit(out, item);
  out << YAML::EndSeq;
}

// ---- Validators of this table (the generic ones are config/rules.h). ----

Rule<std::vector<std::vector<double>>> ratios_at_least_one() {
  return {"each ratio >= 1 (r adds r:1 and 1:r)", [](const std::vector<std::vector<double>>& v) {
            for (const auto& level : v)
              for (double r : level)
                if (r < 1) return false;
            return true;
          }};
}




Rule<ImageSize> sides_in_range(int64_t lo, int64_t hi) {
  return {"sides in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
          [lo, hi](const ImageSize& v) { return v.width >= lo && v.width <= hi && v.height >= lo && v.height <= hi; }};
}

Rule<std::vector<ParamGroupRule>> valid_group_rules() {
  return {"rules with a valid regex in match, lr_mult >= 0, weight_decay_mult >= 0", [](const std::vector<ParamGroupRule>& v) {
            for (const auto& r : v) {
              if (r.match.empty() || r.lr_mult < 0 || r.weight_decay_mult < 0) return false;
              try {
                std::regex re(r.match);
              } catch (const std::regex_error&) {
                return false;
              }
            }
            return true;
          }};
}

Rule<std::string> device_name() {
  return {"auto, cpu, cuda or cuda:N", [](const std::string& v) {
            if (v == "auto" || v == "cpu" || v == "cuda") return true;
            if (v.rfind("cuda:", 0) != 0 || v.size() == 5) return false;
            return std::all_of(v.begin() + 5, v.end(), [](char c) { return c >= '0' && c <= '9'; });
          }};
}

template <typename T, typename Access>
Key key(std::string path, Access access, Rule<T> rule, std::string consumer, std::string doc) {
  Key k;
  k.path = path;
  k.type = TypeName<T>::value;
  k.allowed = rule.allowed;
  k.doc = std::move(doc);
  k.consumer = std::move(consumer);
  k.read = [path, access, rule](Config& c, const YAML::Node& node, const Location& where) {
    T value = convert<T>(node, where, path);
    if (!rule.ok(value)) {
      YAML::Emitter shown;
      emit(shown, value);
      const auto why = rule.why ? rule.why(value) : std::string();
      fail(where, path, std::string("value ") + shown.c_str() + " is not allowed" + (why.empty() ? "" : ": " + why) + ": expected " +
                            rule.allowed);
    }
    access(c) = std::move(value);
  };
  k.write = [access](const Config& c, YAML::Emitter& out) { emit(out, access(const_cast<Config&>(c))); };
  return k;
}

// A plug-in's own key (config/plugin_params.h) as a row of the table: read, checked and printed as the others are.
Key plugin_row(const PluginKey& plugin, PluginParams& (*params_of)(Config&)) {
  Key k;
  k.path = plugin.path;
  k.allowed = plugin.allowed;
  k.doc = plugin.doc;
  k.consumer = plugin.consumer;
  k.type = std::visit([](const auto* field) { return std::string(TypeName<std::remove_cv_t<std::remove_pointer_t<decltype(field)>>>::value); },
                      plugin.value(PluginParams{}));
  k.read = [plugin, params_of](Config& c, const YAML::Node& node, const Location& where) {
    std::visit(
        [&](auto* field) {
          using T = std::remove_pointer_t<decltype(field)>;
          T value = convert<T>(node, where, plugin.path);
          if (!plugin.ok(static_cast<const T*>(&value))) {
            YAML::Emitter shown;
            emit(shown, value);
            fail(where, plugin.path, std::string("value ") + shown.c_str() + " is not allowed: expected " + plugin.allowed);
          }
          *field = std::move(value);
        },
        plugin.field(params_of(c)));
  };
  k.write = [plugin, params_of](const Config& c, YAML::Emitter& out) {
    const PluginParams& params = params_of(const_cast<Config&>(c));  // read only: the const overloads insert nothing
    std::visit([&](const auto* value) { emit(out, *value); }, plugin.value(params));
  };
  return k;
}

}  // namespace

namespace {

// data.*, augment.*, model.*, loss.*: what is learned from what.
std::vector<Key> input_keys() {
  // clang-format off
  std::vector<Key> keys = {
    key<std::vector<std::string>>("data.classes", [](Config& c) -> auto& { return c.data.classes; }, nonempty_unique_names(),
        "builder::model (num_classes = size + 1), builder::dataset_options", "Object class names without background; the model predicts size + 1 classes."),
    key<std::string>("data.train.format", [](Config& c) -> auto& { return c.data.train.format; }, one_of(data::format_registry().names()),
        "data::format_registry", "Layout of the training data (ssd-train --list-formats): voc (VOCdevkit), folder (images/ + annotations/), coco (annotations/instances_<split>.json + <split>/) or yolo (data.yaml + images/ + labels/)."),
    key<std::vector<std::string>>("data.train.roots", [](Config& c) -> auto& { return c.data.train.roots; }, any<std::vector<std::string>>(),
        "builder::dataset_options (data::DetectionDataset)", "Training data roots; several are concatenated (VOC2007 + VOC2012)."),
    key<std::vector<std::string>>("data.train.splits", [](Config& c) -> auto& { return c.data.train.splits; }, nonempty_unique_names(),
        "builder::dataset_options (data::DetectionDataset)", "Split per root (one name applies to all): ImageSets/Main/<split>.txt, folder splits, COCO instances_<split>.json, or data.yaml's <split> key."),
    key<std::string>("data.val.format", [](Config& c) -> auto& { return c.data.val.format; }, one_of(data::format_registry().names()),
        "data::format_registry", "Layout of the validation data."),
    key<std::vector<std::string>>("data.val.roots", [](Config& c) -> auto& { return c.data.val.roots; }, any<std::vector<std::string>>(),
        "builder::dataset_options (data::DetectionDataset)", "Validation data roots; empty = no validation during training."),
    key<std::vector<std::string>>("data.val.splits", [](Config& c) -> auto& { return c.data.val.splits; }, nonempty_unique_names(),
        "builder::dataset_options (data::DetectionDataset)", "Split per validation root."),
    key<bool>("data.train_difficult", [](Config& c) -> auto& { return c.data.train_difficult; }, any<bool>(),
        "builder::dataset_options (data::DetectionDataset)", "Train on VOC difficult objects too (evaluation keeps them, marked, as the devkit does)."),
    key<bool>("data.strict", [](Config& c) -> auto& { return c.data.strict; }, any<bool>(),
        "builder::dataset_options, data::DataLoader", "Stop at the first bad sample instead of skipping and counting it."),
    key<int64_t>("data.workers", [](Config& c) -> auto& { return c.data.workers; }, in_range<int64_t>(0, 256),
        "builder::train_loader, builder::eval_options", "Loader threads that read, decode and augment; 0 = every core."),
    key<double>("data.val_fraction", [](Config& c) -> auto& { return c.data.val_fraction; }, in_range(0.0, 0.9),
        "builder::dataset_options (data::DetectionDataset)", "Folder layout without split files: share of images in the seeded val split."),
    key<double>("augment.photometric_prob", [](Config& c) -> auto& { return c.augment.photometric_prob; }, in_range(0.0, 1.0),
        "data::TrainAugmentation", "Probability of each photometric distortion (brightness, contrast, saturation, hue, channel swap)."),
    key<double>("augment.expand_prob", [](Config& c) -> auto& { return c.augment.expand_prob; }, in_range(0.0, 1.0),
        "data::TrainAugmentation", "Probability of zoom-out onto a mean-filled canvas."),
    key<double>("augment.expand_max_ratio", [](Config& c) -> auto& { return c.augment.expand_max_ratio; }, in_range(1.0, 16.0),
        "data::TrainAugmentation", "Largest canvas side as a multiple of the image side."),
    key<double>("augment.crop_prob", [](Config& c) -> auto& { return c.augment.crop_prob; }, in_range(0.0, 1.0),
        "data::TrainAugmentation", "Probability of the IoU-constrained random crop."),
    key<std::vector<double>>("augment.crop_min_ious", [](Config& c) -> auto& { return c.augment.crop_min_ious; }, unit_interval_list(),
        "data::TrainAugmentation", "Minimum IoU of the crop with some object, drawn uniformly; 0 = any crop."),
    key<double>("augment.flip_prob", [](Config& c) -> auto& { return c.augment.flip_prob; }, in_range(0.0, 1.0),
        "data::TrainAugmentation", "Probability of a horizontal flip."),
    key<std::vector<std::string>>("augment.pipeline", [](Config& c) -> auto& { return c.augment.pipeline; },
        distinct_names_of(data::augment_steps::step_registry().names()), "data::make_train_augmentation",
        "Augmentation steps in the order they run (--list-augmentations), each with its keys augment.<step>.*; [] = the SSD paper's, "
        "with the *_prob keys above."),
    key<bool>("tiling.train", [](Config& c) -> auto& { return c.tiling.train; }, any<bool>(),
        "builder::train_loader, analysis::analyze_data", "Train on tiles of model.image_size pixels cut from each image at tiling.scale "
        "instead of the whole image resized (small objects in large images); augment.* then applies to the tile."),
    key<bool>("tiling.infer", [](Config& c) -> auto& { return c.tiling.infer; }, any<bool>(),
        "builder::eval_options, detect::detect_files", "Sliced inference in validation, ssd-eval and ssd-detect: "
        "a grid of tiles over each image at tiling.scale, each run at model.image_size, the detections mapped back and merged."),
    key<double>("tiling.scale", [](Config& c) -> auto& { return c.tiling.scale; }, in_range(0.05, 8.0),
        "builder::train_loader, eval::plan_slices, analysis::analyze_data", "Images are tiled at this scale: a tile covers model.image_size / scale source pixels (1 = native "
        "resolution)."),
    key<double>("tiling.empty_share", [](Config& c) -> auto& { return c.tiling.empty_share; }, in_range(0.0, 1.0),
        "builder::train_loader (data::sample_tile)", "Share of training tiles drawn to hold no object (the rest are drawn around an "
        "object chosen at random; such a tile keeps nothing when the object is larger than a tile by more than 1 / min_visible "
        "in area)."),
    key<double>("tiling.min_visible", [](Config& c) -> auto& { return c.tiling.min_visible; }, in_range(0.01, 1.0),
        "builder::train_loader, eval::predict (data::tile_objects)", "A box cut by a tile's edge is kept, clipped, when at least this share of its area lies in the "
        "tile; dropped otherwise."),
    key<double>("tiling.overlap", [](Config& c) -> auto& { return c.tiling.overlap; }, in_range(0.0, 0.9),
        "eval::plan_slices (data::tile_grid)", "Sliced inference: the least share of a tile's side that neighbouring tiles share (an object up to "
        "this much of a tile lies whole in some tile)."),
    key<std::string>("tiling.merge", [](Config& c) -> auto& { return c.tiling.merge; }, one_of({"nms", "wbf"}),
        "eval::merge_views", "Sliced inference: how the tiles' detections become one list per image: nms (per class, the best "
        "of overlapping boxes kept) or wbf (per class, overlapping boxes fused into their score-weighted mean)."),
    key<double>("tiling.merge_threshold", [](Config& c) -> auto& { return c.tiling.merge_threshold; }, in_range(0.05, 1.0),
        "eval::merge_views", "Sliced inference: two boxes of one class are the same object when their intersection covers "
        "more than this share of the smaller box (a box cut by a tile's edge lies inside the whole one); 1 = no merging."),
    key<bool>("tiling.whole_image", [](Config& c) -> auto& { return c.tiling.whole_image; }, any<bool>(),
        "eval::plan_slices", "Sliced inference: the whole image resized to model.image_size is run too and merged with the "
        "tiles (objects larger than a tile)."),
    key<std::string>("model.backbone", [](Config& c) -> auto& { return c.model.backbone; }, one_of(model::backbone_registry().names()),
        "model::build_ssd", "Backbone from the registry (ssd-train --list-backbones)."),
    key<std::string>("model.head", [](Config& c) -> auto& { return c.model.head; }, one_of(with_auto(model::head_registry().names())),
        "model::build_ssd", "Prediction head from the registry (--list-heads); auto = the backbone's usual head."),
    key<ImageSize>("model.image_size", [](Config& c) -> auto& { return c.model.image_size; }, sides_in_range(32, 4096),
        "model::build_ssd", "Input size in pixels: a side for a square (300, 512) or [width, height], for example [960, 544] for "
        "16:9 images; default boxes stay square in pixels (vgg16: a shorter side of at least 300; the SSD512 layout from 512)."),
    key<std::string>("model.resize", [](Config& c) -> auto& { return c.model.resize; }, one_of(data::resize_policies()),
        "data::fit_to_input (training, evaluation, detection)", "How an image becomes the input: stretch (each side to the input's, "
        "the SSD paper's), letterbox (the longer side fits, the rest padded with the pixel mean: no distortion, nothing lost) or "
        "smallest_side (the shorter side fits, the rest cut, centred)."),
    key<double>("model.width_mult", [](Config& c) -> auto& { return c.model.width_mult; }, in_range(0.05, 4.0),
        "model::build_ssd", "Channel multiplier of the backbone, its extra layers and SSD-Lite heads (1.0 = the paper's model)."),
    key<std::string>("model.pretrained_backbone", [](Config& c) -> auto& { return c.model.pretrained_backbone; }, any<std::string>(),
        "interop::load_initial_weights", "torchvision ImageNet weights file for the backbone (vgg16-397923af.pth, vgg16_features-amdegroot-88682ab5.pth, mobilenet_v2-b0353104.pth); loaded at the start of a new run, fc6/fc7 subsampled; empty = from scratch."),
    key<std::string>("model.init_from", [](Config& c) -> auto& { return c.model.init_from; }, any<std::string>(),
        "interop::load_initial_weights", "Whole-detector weights to start from: a torchvision ssd300_vgg16 state dict (ssd300_vgg16_coco-b556d3b4.pth) or an ssd-export file; loaded at the start of a new run instead of pretrained_backbone; heads of another class count are re-initialised; empty = none."),
    key<std::vector<double>>("model.variances", [](Config& c) -> auto& { return c.model.variances; }, all_positive(2),
        "model::build_ssd (Ssd::box_coder)", "Box-coding variances (centre, size)."),
    key<double>("model.iou_threshold", [](Config& c) -> auto& { return c.model.iou_threshold; }, in_range(0.0, 1.0),
        "model::build_ssd (Ssd::assign_targets)", "A default box is a positive when its IoU with a ground-truth box is at least this."),
    key<std::vector<double>>("model.pixel_mean", [](Config& c) -> auto& { return c.model.pixel_mean; }, numbers(3),
        "model::build_ssd (Ssd::pixel_mean)", "RGB mean subtracted from 0..255 pixels."),
    key<std::vector<double>>("model.pixel_std", [](Config& c) -> auto& { return c.model.pixel_std; }, all_positive(3),
        "model::build_ssd (Ssd::pixel_std)", "RGB divisor applied after the mean."),
    key<std::string>("model.priors.preset", [](Config& c) -> auto& { return c.model.priors.preset; },
        one_of({"auto", "ssd300", "ssd512", "torchvision", "scales"}),
        "model::resolve_priors", "Default-box table: auto (the backbone's own), the paper's ssd300 / ssd512, torchvision (its ssd300_vgg16's, scales 0.07..1.05), or scales (s_min..s_max)."),
    key<std::vector<double>>("model.priors.min_sizes", [](Config& c) -> auto& { return c.model.priors.min_sizes; }, all_positive(),
        "model::resolve_priors", "Square box side per feature map in input pixels; empty = from the preset."),
    key<std::vector<double>>("model.priors.max_sizes", [](Config& c) -> auto& { return c.model.priors.max_sizes; }, all_positive(),
        "model::resolve_priors", "Gives the second square box sqrt(min * max) per feature map; empty = from the preset."),
    key<std::vector<std::vector<double>>>("model.priors.aspect_ratios", [](Config& c) -> auto& { return c.model.priors.aspect_ratios; },
        ratios_at_least_one(),
        "model::resolve_priors", "Extra aspect ratios per feature map, e.g. [[2], [2, 3], ...]; empty = from the preset."),
    key<std::vector<double>>("model.priors.steps", [](Config& c) -> auto& { return c.model.priors.steps; }, all_positive(),
        "model::resolve_priors", "Centre spacing per feature map in input pixels, the same along x and y; empty = the preset's (a paper table's at "
        "a square input), else the input's width and height over the map's, per axis."),
    key<double>("model.priors.s_min", [](Config& c) -> auto& { return c.model.priors.s_min; }, in_range(0.0, 1.0),
        "model::resolve_priors", "Smallest scale (fraction of the input's shorter side) for preset scales."),
    key<double>("model.priors.s_max", [](Config& c) -> auto& { return c.model.priors.s_max; }, in_range(0.0, 1.0),
        "model::resolve_priors", "Largest scale for preset scales."),
    key<double>("model.priors.offset", [](Config& c) -> auto& { return c.model.priors.offset; }, in_range(0.0, 1.0),
        "model::make_priors", "Box centre within its cell, in units of the step."),
    key<bool>("model.priors.clip", [](Config& c) -> auto& { return c.model.priors.clip; }, any<bool>(),
        "model::make_priors", "Clip default-box widths and heights to the image (centres stay on the grid)."),
    key<std::string>("loss.name", [](Config& c) -> auto& { return c.loss.name; }, one_of(loss::loss_registry().names()),
        "loss::make_loss", "Loss from the registry (--list-losses)."),
    key<double>("loss.neg_pos_ratio", [](Config& c) -> auto& { return c.loss.neg_pos_ratio; }, positive(),
        "loss::MultiboxLoss", "Hard negative mining: negatives kept per positive."),
    key<double>("loss.loc_weight", [](Config& c) -> auto& { return c.loss.loc_weight; }, at_least(0.0),
        "loss::make_loss", "Weight of the localisation term."),
    key<double>("loss.focal_alpha", [](Config& c) -> auto& { return c.loss.focal_alpha; }, in_range(0.0, 1.0),
        "loss::FocalLoss, loss::SigmoidFocalLoss", "Focal losses: weight of foreground classes (background gets 1 - alpha)."),
    key<double>("loss.focal_gamma", [](Config& c) -> auto& { return c.loss.focal_gamma; }, at_least(0.0),
        "loss::FocalLoss, loss::SigmoidFocalLoss", "Focal losses: focusing exponent."),
    key<std::string>("loss.box", [](Config& c) -> auto& { return c.loss.box; }, one_of(loss::box_loss_registry().names()),
        "loss::box_loss_sum", "Box-regression term from the registry (--list-box-losses): smooth_l1 or l1 on the coded offsets, "
        "or iou, giou, diou, ciou on the decoded boxes (formulas in include/ssd/loss/box_loss.h)."),
    key<double>("loss.smooth_l1_beta", [](Config& c) -> auto& { return c.loss.smooth_l1_beta; }, positive(),
        "loss::box_loss_sum", "loss.box smooth_l1: where the quadratic part ends (1 = the SSD paper's)."),
    key<double>("loss.label_smoothing", [](Config& c) -> auto& { return c.loss.label_smoothing; }, in_range(0.0, 0.99),
        "loss::MultiboxLoss", "Multibox's cross-entropy against targets smoothed by this much (0 = none; the other losses take none)."),
  };
  // clang-format on
  // Each augmentation step's own keys (data/augment_steps/<family>.cpp), right after augment.pipeline.
  std::vector<Key> steps;
  for (const auto& entry : data::augment_steps::step_registry().entries())
    for (const auto& k : entry.keys) {
      steps.push_back(plugin_row(k, [](Config& c) -> PluginParams& { return c.augment.params; }));
      steps.back().unused = [name = entry.name](const Config& c) -> std::string {
        const auto& p = c.augment.pipeline;
        if (std::find(p.begin(), p.end(), name) != p.end()) return "";
        return name + " is not in augment.pipeline" + (p.empty() ? " (empty: the SSD paper's augmentation, with the augment.*_prob keys)" : "");
      };
    }
  // The paper's augmentation's keys, which a pipeline replaces.
  for (auto& k : keys)
    if (k.path.rfind("augment.", 0) == 0 && k.path != "augment.pipeline" && k.consumer == "data::TrainAugmentation")
      k.unused = [](const Config& c) -> std::string { return c.augment.pipeline.empty() ? "" : "augment.pipeline is set, and replaces the SSD paper's augmentation"; };
  const auto after = std::find_if(keys.begin(), keys.end(), [](const Key& k) { return k.path == "augment.pipeline"; }) + 1;
  keys.insert(after, steps.begin(), steps.end());
  return keys;
}

// solver.*: the optimizer's shared keys, then each optimizer's own (optim/optimizers/<name>.cpp), then the groups.
std::vector<Key> solver_keys() {
  // clang-format off
  std::vector<Key> keys = {
    key<std::string>("solver.optimizer", [](Config& c) -> auto& { return c.solver.optimizer; },
        one_of(optim::optimizer_registry().names()), "optim::optimizer_registry",
        "Optimizer from the registry (ssd-train --list-optimizers)."),
    key<double>("solver.lr", [](Config& c) -> auto& { return c.solver.lr; }, positive(),
        "optim::make_optimizer, builder::lr_controller", "LR0, the base learning rate (assumes the loss normalised by the positives)."),
    key<double>("solver.momentum", [](Config& c) -> auto& { return c.solver.momentum; }, in_range(0.0, 1.0),
        "optim/optimizers: sgd, rmsprop", "SGD / RMSprop momentum."),
    key<bool>("solver.nesterov", [](Config& c) -> auto& { return c.solver.nesterov; }, any<bool>(),
        "optim/optimizers: sgd", "SGD Nesterov momentum."),
    key<double>("solver.weight_decay", [](Config& c) -> auto& { return c.solver.weight_decay; }, at_least(0.0),
        "optim::make_optimizer", "Weight decay (L2; decoupled for AdamW)."),
    key<std::vector<double>>("solver.betas", [](Config& c) -> auto& { return c.solver.betas; }, unit_interval_list(2),
        "optim/optimizers: adam, adamw, adamax", "Adam / AdamW betas."),
    key<double>("solver.eps", [](Config& c) -> auto& { return c.solver.eps; }, positive(),
        "optim/optimizers: adam, adamw, rmsprop, adagrad, adamax", "Adam / AdamW / RMSprop / Adagrad epsilon."),
    key<double>("solver.clip_grad_norm", [](Config& c) -> auto& { return c.solver.clip_grad_norm; }, at_least(0.0),
        "engine::train_step", "Clip the global gradient L2 norm to this; 0 = off."),
  };
  // clang-format on
  for (const auto& entry : optim::optimizer_registry().entries())
    for (const auto& k : entry.keys) {
      keys.push_back(plugin_row(k, [](Config& c) -> PluginParams& { return c.solver.params; }));
      keys.back().unused = [name = entry.name](const Config& c) -> std::string {
        return c.solver.optimizer == name ? "" : "solver.optimizer is " + c.solver.optimizer + ", not " + name;
      };
    }
  keys.push_back(
    key<std::vector<ParamGroupRule>>("solver.groups", [](Config& c) -> auto& { return c.solver.groups; }, valid_group_rules(),
        "optim::make_param_groups", "Parameter groups by name regex, first match wins: [{match: 'bias$', lr_mult: 2, weight_decay_mult: 0}]."));
  return keys;
}

// schedule.*: the shape of the LR, then each schedule's own keys (lr/schedules/<name>.cpp).
std::vector<Key> schedule_keys() {
  // clang-format off
  std::vector<Key> keys = {
    key<std::string>("schedule.name", [](Config& c) -> auto& { return c.schedule.name; }, one_of(lr::schedule_registry().names()),
        "lr::make_schedule", "Schedule from the registry (--list-schedules); docs/schedules.md has every formula."),
    key<std::string>("schedule.unit", [](Config& c) -> auto& { return c.schedule.unit; }, one_of({"iterations", "epochs"}),
        "lr::make_schedule", "Unit of the durations under schedule.* (warm-up has its own iters / epochs): iterations, or epochs x the loader length."),
    key<std::string>("schedule.interval", [](Config& c) -> auto& { return c.schedule.interval; }, one_of({"iteration", "epoch"}),
        "lr::make_schedule", "iteration: the formula runs at every step; epoch: at floor(t / iterations per epoch), with durations in epochs."),
    key<double>("schedule.total", [](Config& c) -> auto& { return c.schedule.total; }, at_least(0.0),
        "lr::make_schedule", "T of linear, polynomial, cosine, one_cycle (schedule.unit); 0 = the whole run (minus a prefix warm-up)."),
    key<std::string>("schedule.warmup.method", [](Config& c) -> auto& { return c.schedule.warmup.method; }, one_of({"linear", "constant", "exponential"}),
        "lr::make_schedule", "Warm-up factor for t < W: linear f0 + (1 - f0) t / W, constant f0, exponential f0 ** (1 - t / W)."),
    key<int64_t>("schedule.warmup.iters", [](Config& c) -> auto& { return c.schedule.warmup.iters; }, at_least<int64_t>(0),
        "lr::make_schedule", "Warm-up length W in iterations; 0 = none."),
    key<double>("schedule.warmup.epochs", [](Config& c) -> auto& { return c.schedule.warmup.epochs; }, at_least(0.0),
        "lr::make_schedule", "Warm-up length in epochs; > 0 replaces warmup.iters."),
    key<double>("schedule.warmup.start_factor", [](Config& c) -> auto& { return c.schedule.warmup.start_factor; }, in_range(0.0, 1.0),
        "lr::make_schedule", "Warm-up factor f0 at iteration 0."),
    key<bool>("schedule.warmup.prefix", [](Config& c) -> auto& { return c.schedule.warmup.prefix; }, any<bool>(),
        "lr::make_schedule", "false: lr = main(t) x factor(t); true: main(0) x factor(t), then main(t - W), the run is W + T (timm)."),
    key<double>("schedule.warmup.momentum", [](Config& c) -> auto& { return c.schedule.warmup.momentum; }, in_range(0.0, 1.0),
        "lr::make_schedule, lr::LrController", "> 0: momentum / beta1 warms linearly from this to its value over the warm-up (Ultralytics 0.8); 0 = off."),
    key<double>("schedule.warmup.bias_lr", [](Config& c) -> auto& { return c.schedule.warmup.bias_lr; }, at_least(0.0),
        "lr::make_schedule, lr::LrController", "> 0: bias LRs fall linearly from this to their scheduled value over the warm-up (Ultralytics 0.1); 0 = off."),
  };
  // clang-format on
  for (const auto& entry : lr::schedule_registry().entries())
    for (const auto& k : entry.keys) {
      keys.push_back(plugin_row(k, [](Config& c) -> PluginParams& { return c.schedule.params; }));
      // sequential reads the keys of the schedules it lists, plateau those of the schedule it runs over: under either,
      // any schedule's may be read.
      keys.back().unused = [name = entry.name](const Config& c) -> std::string {
        const auto& s = c.schedule.name;
        return s == name || s == "sequential" || s == "plateau" ? "" : "schedule.name is " + s + ", not " + name;
      };
    }
  return keys;
}

// train.*, early_stop.*, non_finite.*, range_test.*, postprocess.*, runtime.*: how the run goes.
std::vector<Key> run_keys() {
  // clang-format off
  std::vector<Key> keys = {
    key<std::string>("train.run_dir", [](Config& c) -> auto& { return c.train.run_dir; }, any<std::string>(),
        "engine::Trainer", "Run directory: checkpoints, train.log, metrics.csv, plots, config.yaml."),
    key<int64_t>("train.epochs", [](Config& c) -> auto& { return c.train.epochs; }, in_range<int64_t>(1, 10'000'000),
        "engine::Trainer (its RunPlan)", "Passes over the training data (at most 10^7, so that epochs x iterations per epoch is counted exactly)."),
    key<int64_t>("train.batch_size", [](Config& c) -> auto& { return c.train.batch_size; }, at_least<int64_t>(1),
        "builder::train_loader, engine::EvaluationHook", "Images per iteration."),
    key<int64_t>("train.log_period", [](Config& c) -> auto& { return c.train.log_period; }, at_least<int64_t>(1),
        "engine::ProgressHook, engine::MetricsLogHook", "Iterations between progress lines and metrics.csv rows."),
    key<int64_t>("train.eval_period", [](Config& c) -> auto& { return c.train.eval_period; }, at_least<int64_t>(0),
        "engine::EvaluationHook", "Epochs between validation mAP evaluations; 0 = only after the last epoch."),
    key<int64_t>("train.checkpoint_period", [](Config& c) -> auto& { return c.train.checkpoint_period; }, at_least<int64_t>(0),
        "engine::PeriodicCheckpointHook", "Epochs between numbered checkpoints (last.pt is written every epoch); 0 = none."),
    key<int64_t>("train.max_iters", [](Config& c) -> auto& { return c.train.max_iters; }, at_least<int64_t>(0),
        "engine::Trainer (its RunPlan)", "Stop after this many iterations in total; 0 = all epochs."),
    key<int64_t>("train.stop_epoch", [](Config& c) -> auto& { return c.train.stop_epoch; }, at_least<int64_t>(0),
        "engine::Trainer (its RunPlan)", "Stop at the end of this epoch, the schedules still planned over train.epochs (a part of the "
        "planned run, as the tuner's rungs and the range test's race with race_rungs continue train it; --resume with a later stop_epoch "
        "goes on); 0 = all epochs."),
    key<std::string>("train.lr_scaling", [](Config& c) -> auto& { return c.train.lr_scaling; }, one_of({"none", "linear", "sqrt"}),
        "lr::scaled_base_lr", "Scale LR0 with the global batch B: linear LR0 x B / reference_batch, sqrt LR0 x sqrt(B / reference_batch)."),
    key<int64_t>("train.reference_batch", [](Config& c) -> auto& { return c.train.reference_batch; }, at_least<int64_t>(1),
        "lr::scaled_base_lr", "The batch size LR0 was chosen for."),
    key<bool>("train.amp", [](Config& c) -> auto& { return c.train.amp; }, any<bool>(),
        "runtime::MixedPrecision", "Automatic mixed precision: forward in train.amp_dtype under autocast, loss in float32, "
        "float16 gradients scaled against underflow; weights stay float32."),
    key<std::string>("train.amp_dtype", [](Config& c) -> auto& { return c.train.amp_dtype; }, one_of({"auto", "float16", "bfloat16"}),
        "runtime::resolve_amp_dtype", "auto (float16 on CUDA, bfloat16 on CPU), float16 (CUDA only) or bfloat16."),
    key<int64_t>("early_stop.patience", [](Config& c) -> auto& { return c.early_stop.patience; }, at_least<int64_t>(0),
        "engine::EarlyStopping", "Evaluations without improvement before training stops; 0 = off."),
    key<std::string>("early_stop.monitor", [](Config& c) -> auto& { return c.early_stop.monitor; }, one_of({"val/loss", "val/mAP"}),
        "engine::EarlyStopping", "Validation metric to watch."),
    key<std::string>("early_stop.mode", [](Config& c) -> auto& { return c.early_stop.mode; }, one_of({"auto", "min", "max"}),
        "engine::EarlyStopping", "auto = max for val/mAP, min for val/loss."),
    key<double>("early_stop.min_delta", [](Config& c) -> auto& { return c.early_stop.min_delta; }, at_least(0.0),
        "engine::EarlyStopping", "Smallest change that counts as an improvement."),
    key<std::vector<double>>("early_stop.baseline", [](Config& c) -> auto& { return c.early_stop.baseline; }, at_most_one(),
        "engine::EarlyStopping", "[] = none; [x] = the metric must beat x within the first patience evaluations."),
    key<bool>("early_stop.restore_best_weights", [](Config& c) -> auto& { return c.early_stop.restore_best_weights; }, any<bool>(),
        "engine::EarlyStopHook", "At an early stop, load the weights of the best validation of early_stop.monitor and write them to final.pt (last.pt keeps the last ones)."),
    key<std::string>("non_finite.action", [](Config& c) -> auto& { return c.non_finite.action; }, one_of({"stop", "skip"}),
        "engine::NonFiniteLossHook", "A step whose loss is NaN or infinite: stop (the run ends and names the last good checkpoint) "
        "or skip (the step changes nothing and is counted; see restore_after)."),
    key<int64_t>("non_finite.restore_after", [](Config& c) -> auto& { return c.non_finite.restore_after; }, at_least<int64_t>(1),
        "engine::NonFiniteLossHook", "skip: after this many non-finite steps in a row, restore the weights and optimizer state of the "
        "last epoch's end (what last.pt holds; the run's start before an epoch has ended; kept in memory) and multiply the LR by lr_factor."),
    key<double>("non_finite.lr_factor", [](Config& c) -> auto& { return c.non_finite.lr_factor; }, in_range(1e-6, 1.0),
        "engine::NonFiniteLossHook", "skip: the factor on the LR at each restore (kept for the rest of the run, resumes included)."),
    key<int64_t>("non_finite.max_restores", [](Config& c) -> auto& { return c.non_finite.max_restores; }, at_least<int64_t>(1),
        "engine::NonFiniteLossHook", "skip: the run stops, as with action stop, when it would restore more often than this."),
    key<double>("range_test.lr_min", [](Config& c) -> auto& { return c.range_test.lr_min; }, positive(),
        "range_test::Sweep", "Range test: first LR."),
    key<double>("range_test.lr_max", [](Config& c) -> auto& { return c.range_test.lr_max; }, positive(),
        "range_test::Sweep", "Range test: last LR."),
    key<int64_t>("range_test.iters", [](Config& c) -> auto& { return c.range_test.iters; }, at_least<int64_t>(20),
        "range_test::Sweep", "Range test: number of LRs, one training step each."),
    key<std::string>("range_test.sweep", [](Config& c) -> auto& { return c.range_test.sweep; }, one_of({"exp", "linear"}),
        "range_test::Sweep", "Range test: geometric or linear spacing of the LRs."),
    key<double>("range_test.beta", [](Config& c) -> auto& { return c.range_test.beta; }, in_range(0.0, 0.999),
        "range_test::Sweep", "Range test: smoothing of the loss (moving average with bias correction)."),
    key<double>("range_test.diverge_factor", [](Config& c) -> auto& { return c.range_test.diverge_factor; }, positive(),
        "range_test::Sweep", "Range test: stop when the smoothed loss exceeds this times its minimum."),
    key<std::string>("range_test.race", [](Config& c) -> auto& { return c.range_test.race; }, one_of({"never", "disagree", "always"}),
        "tune::race_lr", "Range test: race the rules' picks (and midpoints between far-apart ones) in short trainings on the "
        "config's data, successive halving on range_test.race_monitor, and recommend the winner: never, disagree (when the picks differ by more "
        "than 3x; ssd-train --race) or always."),
    key<double>("range_test.race_epochs", [](Config& c) -> auto& { return c.range_test.race_epochs; }, at_least(0.0),
        "tune::race_lr", "Range test race: the last rung's training budget in epochs (the finalists train this long); 0 = a "
        "quarter of train.epochs."),
    key<double>("range_test.race_minutes", [](Config& c) -> auto& { return c.range_test.race_minutes; }, at_least(0.0),
        "tune::race_lr", "Range test race: its budget in minutes of training instead of race_epochs: the largest race that fits, at "
        "the pace the range test measured (seconds per step; each rung's validation comes on top); 0 = race_epochs decides."),
    key<double>("range_test.race_eta", [](Config& c) -> auto& { return c.range_test.race_eta; }, in_range(1.5, 10.0),
        "tune::race_lr", "Range test race: each rung keeps the better 1 / race_eta of the candidates and trains them race_eta "
        "times longer."),
    key<std::string>("range_test.race_rungs", [](Config& c) -> auto& { return c.range_test.race_rungs; },
        one_of({"restart", "continue"}), "tune::race_lr",
        "Range test race: restart: each rung trains every candidate from scratch with its whole schedule (warm-up, decays) in "
        "the rung's epochs, so that a candidate is judged after its LR has come down, as at the end of the real run; "
        "continue: a rung trains the first part of the planned run (train.epochs) and the next goes on from its checkpoint "
        "(cheaper, but judged at the peak LR, which favours the lower candidates)."),
    key<std::string>("range_test.race_monitor", [](Config& c) -> auto& { return c.range_test.race_monitor; },
        one_of({"val/loss", "val/mAP"}), "tune::race_lr",
        "Range test race: what ranks the candidates at each rung. val/loss: after the race's few epochs every candidate's mAP is "
        "still near zero, and the loss already separates them; val/mAP: the metric itself, for long races."),
    key<double>("postprocess.score_threshold", [](Config& c) -> auto& { return c.postprocess.score_threshold; }, in_range(0.0, 1.0),
        "model::postprocess", "Class scores below this are dropped before NMS."),
    key<double>("postprocess.nms_iou", [](Config& c) -> auto& { return c.postprocess.nms_iou; }, in_range(0.0, 1.0),
        "model::postprocess", "Per-class NMS suppresses a box whose IoU with a better one exceeds this."),
    key<int64_t>("postprocess.top_k_per_class", [](Config& c) -> auto& { return c.postprocess.top_k_per_class; }, at_least<int64_t>(1),
        "model::postprocess", "Highest-scoring candidates per class kept before NMS."),
    key<int64_t>("postprocess.max_per_image", [](Config& c) -> auto& { return c.postprocess.max_per_image; }, at_least<int64_t>(1),
        "model::postprocess", "Detections kept per image after NMS."),
    key<std::string>("runtime.device", [](Config& c) -> auto& { return c.runtime.device; }, device_name(),
        "runtime::resolve_device", "auto (CUDA when available), cpu, cuda or cuda:N."),
    key<int64_t>("runtime.threads", [](Config& c) -> auto& { return c.runtime.threads; }, in_range<int64_t>(0, 1024),
        "runtime::configure_threads", "Intra-op CPU threads; 0 = all cores."),
    key<int64_t>("runtime.seed", [](Config& c) -> auto& { return c.runtime.seed; }, at_least<int64_t>(0),
        "runtime::seed_everything", "Seed of every random number generator."),
    key<std::string>("runtime.allocator", [](Config& c) -> auto& { return c.runtime.allocator; }, one_of({"huge_pages", "keep", "glibc"}),
        "runtime::use_cpu_allocator", "CPU memory: huge_pages (tensors of 4 MiB and more on transparent huge pages, "
        "reused for the next tensors they can hold, never more mapped than the most ever in use plus 32 MiB), keep (freed memory "
        "kept in glibc's heap: no faults, higher peak memory) or glibc (its defaults); see docs/benchmarks/speed.md."),
    key<std::string>("runtime.memory_format", [](Config& c) -> auto& { return c.runtime.memory_format; },
        one_of({"auto", "channels_last", "contiguous"}),
        "runtime::resolve_memory_format", "Tensor layout of the convolutions: auto (channels_last on CPU; on CUDA channels_last "
        "with train.amp, else contiguous), channels_last or contiguous."),
    key<bool>("runtime.cudnn_benchmark", [](Config& c) -> auto& { return c.runtime.cudnn_benchmark; }, any<bool>(),
        "runtime::apply_runtime", "CUDA: time cuDNN's convolution algorithms once per input shape and keep the fastest."),
    key<std::string>("distributed.backend", [](Config& c) -> auto& { return c.distributed.backend; }, one_of({"auto", "gloo", "nccl"}),
        "distributed::connect", "Collectives of a run launched as several processes (ssd-train --nproc, torchrun, Slurm): auto "
        "(nccl on CUDA, gloo on CPU and on CUDA in a build without NCCL), gloo or nccl. One process ignores it."),
    key<double>("distributed.timeout_s", [](Config& c) -> auto& { return c.distributed.timeout_s; }, in_range(1.0, 604800.0),
        "distributed::connect", "Seconds a process waits at a collective before it fails, naming the operation: a peer that "
        "hung. A peer that dies fails the others at once."),
    key<double>("distributed.rendezvous_timeout_s", [](Config& c) -> auto& { return c.distributed.rendezvous_timeout_s; },
        in_range(1.0, 604800.0), "distributed::connect", "Seconds the processes have to meet at MASTER_ADDR:MASTER_PORT at the "
        "start (they may start minutes apart on a cluster); past it the rendezvous fails, naming the address."),
    key<double>("distributed.bucket_mb", [](Config& c) -> auto& { return c.distributed.bucket_mb; }, in_range(0.0, 4096.0),
        "distributed::GradientBuckets", "Gradients are summed across processes in flat buckets of about this many MiB, one "
        "all-reduce each; 0 = one per parameter."),
    key<bool>("distributed.overlap", [](Config& c) -> auto& { return c.distributed.overlap; }, any<bool>(),
        "distributed::GradientBuckets", "Start each bucket's all-reduce from gradient hooks as soon as backward has filled it, "
        "overlapping communication with the rest of the backward pass (bench/distributed.py measures it); false = all "
        "buckets after backward."),
  };
  // clang-format on
  return keys;
}

}  // namespace

Schema::Schema() {
  // The order of the sections is the order of docs/config.md and of --print-config.
  for (auto&& section : {input_keys(), solver_keys(), schedule_keys(), run_keys()})
    keys_.insert(keys_.end(), section.begin(), section.end());
}

const Schema& Schema::instance() {
  static const Schema schema;
  return schema;
}

const Key* Schema::find(const std::string& path) const {
  for (const auto& k : keys_)
    if (k.path == path) return &k;
  return nullptr;
}

bool Schema::is_section(const std::string& path) const {
  const std::string prefix = path + ".";
  return std::any_of(keys_.begin(), keys_.end(), [&](const Key& k) { return k.path.rfind(prefix, 0) == 0; });
}

std::vector<std::string> Schema::all_paths() const {
  std::vector<std::string> paths;
  std::set<std::string> sections;
  for (const auto& k : keys_) {
    paths.push_back(k.path);
    for (size_t dot = k.path.find('.'); dot != std::string::npos; dot = k.path.find('.', dot + 1))
      sections.insert(k.path.substr(0, dot));
  }
  paths.insert(paths.end(), sections.begin(), sections.end());
  return paths;
}

}  // namespace ssd::config
