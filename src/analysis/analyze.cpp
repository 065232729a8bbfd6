#include "ssd/analysis/analyze.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "ssd/analysis/box_shapes.h"
#include "ssd/analysis/prior_coverage.h"
#include "ssd/analysis/prior_fit.h"
#include "ssd/builder/data.h"
#include "ssd/builder/model.h"
#include "ssd/model/priors.h"
#include "ssd/util/error.h"
#include "ssd/util/percent.h"
#include "ssd/util/plot.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::analysis {

namespace {

constexpr uint64_t kSeed = 17;  // k-means++ seeding: the same data, the same proposal

// Bands of box side in input pixels for the coverage table.
const std::vector<double> kBands = {0, 16, 32, 64, 128, 1e9};

std::string band_name(size_t b) {
  if (b + 2 == kBands.size()) return fmt::format(">= {:g} px", kBands[b]);
  return b == 0 ? fmt::format("< {:g} px", kBands[1]) : fmt::format("{:g}-{:g} px", kBands[b], kBands[b + 1]);
}

std::string percent(double share) { return util::percent(share, 1); }

// The histogram of box sides per class over log-spaced bins (4 per octave), as CSV and as a chart with the default
// boxes' sizes marked.
void write_histogram(const BoxShapes& shapes, const model::PriorTable& table, const std::string& csv_path, const std::string& png_path) {
  std::vector<double> edges;
  const auto longer = static_cast<double>(std::max(shapes.input_size.width, shapes.input_size.height));
  for (double e = 1; e < 4.0 * longer; e *= std::pow(2.0, 0.25)) edges.push_back(e);
  const size_t bins = edges.size() - 1, classes = shapes.classes.size();
  std::vector<std::vector<int64_t>> counts(classes, std::vector<int64_t>(bins, 0));
  for (const auto& b : shapes.boxes) {
    const auto c = static_cast<size_t>(b.label - 1);
    const auto at = std::upper_bound(edges.begin(), edges.end(), b.side()) - edges.begin() - 1;
    if (c < classes && at >= 0 && static_cast<size_t>(at) < bins) ++counts[c][static_cast<size_t>(at)];
  }
  std::ostringstream csv;
  csv << "side_from,side_to";
  for (const auto& name : shapes.classes) csv << "," << name;
  csv << "\n";
  for (size_t k = 0; k < bins; ++k) {
    csv << fmt::format("{:.2f},{:.2f}", edges[k], edges[k + 1]);
    for (size_t c = 0; c < classes; ++c) csv << "," << counts[c][k];
    csv << "\n";
  }
  util::write_text_file(csv_path, csv.str());
  // The chart spans the bins that hold boxes (and one either side).
  size_t first = bins, last = 0;
  for (size_t k = 0; k < bins; ++k)
    for (size_t c = 0; c < classes; ++c)
      if (counts[c][k] > 0) first = std::min(first, k), last = std::max(last, k);
  first = first > 0 ? first - 1 : 0, last = std::min(last + 1, bins - 1);
  util::Panel panel;
  panel.title = "boxes per class by side; dashed: the default boxes' min sizes";
  panel.x_label = fmt::format("box side sqrt(w x h), pixels of the {} x {} input (log scale)", shapes.input_size.width,
                              shapes.input_size.height);
  panel.y_label = "boxes";
  panel.log_x = true;
  for (size_t c = 0; c < classes; ++c) {
    util::Series s{shapes.classes[c], {}, {}};
    for (size_t k = first; k <= last && first <= last; ++k) {
      // A step per bin: flat across it.
      s.x.push_back(edges[k]), s.y.push_back(static_cast<double>(counts[c][k]));
      s.x.push_back(edges[k + 1]), s.y.push_back(static_cast<double>(counts[c][k]));
    }
    panel.series.push_back(s);
  }
  panel.markers_x = table.min_sizes;
  util::save_chart(png_path, {panel}, 900, 360);
}

// The boxes of each feature map (level_for), and the share of them that the config's default boxes on that map leave
// unmatched: what each proposal's maps are weighed against.
struct MapShare {
  BoxShapes boxes;
  double unmatched_now = 0;
};

// One level's default boxes alone, from the table's lists as given.
at::Tensor level_priors(const model::PriorTable& table, const std::vector<model::FeatureSpec>& specs, size_t l, const config::ImageSize& size,
                        const std::vector<double>& mins, const std::vector<double>& maxs, const std::vector<std::vector<double>>& ratios) {
  auto one = table;
  one.min_sizes = {mins[l]}, one.max_sizes = {maxs[l]}, one.aspect_ratios = {ratios[l]}, one.steps = {table.steps[l]}, one.steps_y = {table.step_y(l)};
  return model::make_priors(one, size, {specs[l]});
}

std::vector<MapShare> map_shares(const BoxShapes& shapes, const model::PriorTable& table, const std::vector<model::FeatureSpec>& specs,
                                 const config::ImageSize& size, double threshold) {
  std::vector<MapShare> maps(specs.size());
  for (auto& m : maps) m.boxes.input_size = shapes.input_size;
  const auto steps = table.coarser_steps();
  for (const auto& b : shapes.boxes) maps[level_for(b.side(), steps, threshold)].boxes.boxes.push_back(b);
  for (size_t l = 0; l < maps.size(); ++l)
    maps[l].unmatched_now = unmatched_share(
        best_prior_iou(maps[l].boxes, level_priors(table, specs, l, size, table.min_sizes, table.max_sizes, table.aspect_ratios)), threshold);
  return maps;
}

// Each map of proposal p keeps the config's default boxes where they match more of the boxes fitted to it than the
// fitted ones do, or takes the fitted smallest square beside the config's (its second square at the config's min size,
// the config's ratios) where that matches more: a map bound by its stride can be served better by the config's sizes
// than by the boxes' own.
void settle_each_map(PriorProposal& p, const std::vector<MapShare>& maps, const model::PriorTable& table,
                     const std::vector<model::FeatureSpec>& specs, const config::ImageSize& size, double threshold) {
  for (size_t l = 0; l < specs.size(); ++l) {
    if (p.boxes_per_level[l] == 0) continue;
    const auto& here = maps[l].boxes;
    const double fitted_miss =
        unmatched_share(best_prior_iou(here, level_priors(table, specs, l, size, p.min_sizes, p.max_sizes, p.aspect_ratios)), threshold);
    // Both: the fitted smallest square, the second square at the config's min size, the config's ratios (more of
    // the small boxes without losing the ones the config's boxes matched).
    auto both_max = p.max_sizes;
    auto both_ratios = p.aspect_ratios;
    both_max[l] = std::round(table.min_sizes[l] * table.min_sizes[l] / p.min_sizes[l] * 10) / 10;
    both_ratios[l] = table.aspect_ratios[l];
    const double both_miss =
        p.min_sizes[l] < table.min_sizes[l]
            ? unmatched_share(best_prior_iou(here, level_priors(table, specs, l, size, p.min_sizes, both_max, both_ratios)), threshold)
            : 2.0;
    const double now_miss = maps[l].unmatched_now;
    if (now_miss <= fitted_miss && now_miss <= both_miss) {
      p.min_sizes[l] = std::round(table.min_sizes[l] * 10) / 10, p.max_sizes[l] = std::round(table.max_sizes[l] * 10) / 10;
      p.aspect_ratios[l] = table.aspect_ratios[l];
      p.kept[l] = true;
    } else if (both_miss < fitted_miss) {
      p.max_sizes[l] = both_max[l], p.aspect_ratios[l] = both_ratios[l];
    }
  }
}

}  // namespace

DataAnalysis analyze_data(const config::Config& config, const std::string& out) {
  const auto dataset = builder::train_set(config);
  const auto model = builder::model(config);
  const config::ImageSize size = model->image_size();
  const auto shapes = collect_box_shapes(*dataset, size, config.tiling.train ? config.tiling.scale : 0.0, config.model.resize);
  if (shapes.boxes.empty()) throw DataError("data.train: no boxes to analyse in " + dataset->description());
  const double threshold = config.model.iou_threshold;
  DataAnalysis a;
  a.images = shapes.images, a.boxes = shapes.boxes.size();

  const auto& table = model->prior_table();
  const auto best_now = best_prior_iou(shapes, model->priors());
  a.unmatched_now = unmatched_share(best_now, threshold);

  // Proposals with 1, 2 and 3 centroids per feature map.
  std::vector<Shape> box_shapes;
  for (const auto& b : shapes.boxes)
    if (b.width() > 0 && b.height() > 0) box_shapes.push_back({b.width(), b.height()});
  std::vector<std::vector<double>> best_by_proposal;
  const auto& specs = model->feature_specs();
  const auto maps = map_shares(shapes, table, specs, size, threshold);
  for (size_t per_level = 1; per_level <= 3; ++per_level) {
    auto p = propose_priors(box_shapes, table, per_level, threshold, kSeed);
    settle_each_map(p, maps, table, specs, size, threshold);
    auto fitted = table;
    fitted.preset = "fitted";
    fitted.min_sizes = p.min_sizes, fitted.max_sizes = p.max_sizes, fitted.aspect_ratios = p.aspect_ratios;
    const auto priors = model::make_priors(fitted, size, model->feature_specs());
    best_by_proposal.push_back(best_prior_iou(shapes, priors));
    a.proposals.push_back({per_level, unmatched_share(best_by_proposal.back(), threshold), priors.size(0), proposal_yaml(p), p.boxes_per_level,
                           p.kept});
  }
  for (size_t i = 1; i < a.proposals.size(); ++i) {
    const auto &x = a.proposals[i], &y = a.proposals[a.chosen];
    if (x.unmatched < y.unmatched - 1e-12 || (std::abs(x.unmatched - y.unmatched) <= 1e-12 && x.default_boxes < y.default_boxes)) a.chosen = i;
  }

  // The report.
  auto& L = a.lines;
  const auto seen_as = config.tiling.train
                           ? fmt::format("in training tiles of {} x {} input pixels (tiling.scale {:g})", size.width, size.height,
                                         config.tiling.scale)
                           : fmt::format("{} to the model's input of {} x {} pixels",
                                         config.model.resize == "stretch" ? "resized" : config.model.resize == "letterbox" ? "letterboxed" : "cut (smallest_side)",
                                         size.width, size.height);
  L.push_back(fmt::format("{}: {} images, {} boxes, {}{}", dataset->description(), shapes.images, a.boxes, seen_as,
                          shapes.unreadable ? fmt::format(" ({} unreadable images left out)", shapes.unreadable) : ""));
  L.push_back("");
  L.push_back(fmt::format("  {:<16} {:>7} {:>26} {:>22} {:>10}", "class", "boxes", "side px (10% / 50% / 90%)", "w/h (10% / 50% / 90%)",
                          "unmatched"));
  for (size_t c = 0; c <= shapes.classes.size(); ++c) {
    std::vector<double> sides, aspects, best;
    for (size_t k = 0; k < shapes.boxes.size(); ++k) {
      const auto& b = shapes.boxes[k];
      if (c < shapes.classes.size() && static_cast<size_t>(b.label) != c + 1) continue;
      sides.push_back(b.side()), aspects.push_back(b.width() / std::max(b.height(), 1e-9)), best.push_back(best_now[k]);
    }
    const auto name = c < shapes.classes.size() ? shapes.classes[c] : std::string("all");
    L.push_back(fmt::format("  {:<16} {:>7} {:>26} {:>22} {:>10}", name, sides.size(),
                            fmt::format("{:.1f} / {:.1f} / {:.1f}", quantile(sides, 0.1), quantile(sides, 0.5), quantile(sides, 0.9)),
                            fmt::format("{:.2f} / {:.2f} / {:.2f}", quantile(aspects, 0.1), quantile(aspects, 0.5), quantile(aspects, 0.9)),
                            percent(unmatched_share(best, threshold))));
  }
  L.push_back("");
  L.push_back(fmt::format("default boxes now ({}; {} boxes, min sizes {:.1f} to {:.1f} px at strides {:.0f} to {:.0f} px): {} of the boxes "
                          "have no default box at IoU >= {:g} (model.iou_threshold)", table.preset, model->priors().size(0),
                          table.min_sizes.front(), table.min_sizes.back(), table.steps.front(), table.steps.back(),
                          percent(a.unmatched_now), threshold));
  std::string header = fmt::format("  {:<22} {:>9}", "unmatched by box side", "now");
  for (const auto& p : a.proposals) header += fmt::format(" {:>12}", fmt::format("fitted x{}", p.per_level));
  L.push_back(header);
  // Per band of box side: its boxes, and the share unmatched now and with each proposal.
  struct Band {
    size_t index = 0, boxes = 0;
    double now = 0;
    std::vector<double> fitted;
  };
  std::vector<Band> bands;
  for (size_t band = 0; band + 1 < kBands.size(); ++band) {
    std::vector<double> now;
    std::vector<std::vector<double>> fitted(a.proposals.size());
    for (size_t k = 0; k < shapes.boxes.size(); ++k) {
      const double s = shapes.boxes[k].side();
      if (s < kBands[band] || s >= kBands[band + 1]) continue;
      now.push_back(best_now[k]);
      for (size_t p = 0; p < a.proposals.size(); ++p) fitted[p].push_back(best_by_proposal[p][k]);
    }
    if (now.empty()) continue;
    Band b{band, now.size(), unmatched_share(now, threshold), {}};
    std::string row = fmt::format("  {:<15} {:>6} {:>9}", band_name(band), now.size(), percent(b.now));
    for (const auto& f : fitted) b.fitted.push_back(unmatched_share(f, threshold)), row += fmt::format(" {:>12}", percent(b.fitted.back()));
    L.push_back(row);
    bands.push_back(b);
  }
  std::string total = fmt::format("  {:<15} {:>6} {:>9}", "all", a.boxes, percent(a.unmatched_now));
  std::string count = fmt::format("  {:<22} {:>9}", "default boxes", model->priors().size(0));
  for (const auto& p : a.proposals) total += fmt::format(" {:>12}", percent(p.unmatched)), count += fmt::format(" {:>12}", p.default_boxes);
  L.push_back(total);
  L.push_back(count);
  L.push_back("");
  // What makes small boxes larger in the model's input.
  const std::string remedy = config.tiling.train
                                 ? fmt::format("a larger tiling.scale (now {:g}) makes small boxes larger.", config.tiling.scale)
                                 : "a larger input, or training and inference on tiles of the images at native resolution "
                                   "(tiling.train, tiling.infer), make small boxes larger.";
  a.improves = !a.proposals.empty() && a.proposals[a.chosen].unmatched < a.unmatched_now;
  if (!a.proposals.empty() && !a.improves) {
    L.push_back(fmt::format("No fitted set of default boxes matches more of the boxes than the config's (the best leaves {} unmatched): keep "
                            "them. At the first feature map's stride of {:.0f} input pixels a default box reaches IoU {:g} with a box "
                            "wherever it lies only from {:.1f} px up: {}", percent(a.proposals[a.chosen].unmatched), table.steps.front(),
                            threshold, smallest_matchable(table.steps.front(), threshold), remedy));
  } else if (!a.proposals.empty()) {
    const auto& p = a.proposals[a.chosen];
    L.push_back(fmt::format("proposed default boxes (k-means of the box shapes, {} per feature map, each box at the coarsest map whose stride lets it match; the strides stay the network's): {} "
                            "unmatched instead of {}. Paste into the config (a model trained with other default boxes needs training "
                            "anew):", p.per_level, percent(p.unmatched), percent(a.unmatched_now)));
    std::string empty, kept;
    for (size_t l = 0; l < p.boxes_per_level.size(); ++l) {
      const auto name = fmt::format("{} (stride {:.0f} px)", l + 1, table.steps[l]);
      if (p.boxes_per_level[l] == 0) empty += (empty.empty() ? "" : ", ") + name;
      else if (p.kept[l]) kept += (kept.empty() ? "" : ", ") + name;
    }
    if (!empty.empty()) L.push_back("  (no box needs feature maps " + empty + ": they keep the config's default boxes)");
    if (!kept.empty()) L.push_back("  (feature maps " + kept + " keep the config's default boxes: they match more of the boxes there)");
    std::istringstream yaml(p.yaml);
    for (std::string line; std::getline(yaml, line);) L.push_back("  " + line);
    std::string worse;
    for (const auto& b : bands)
      if (b.fitted[a.chosen] > b.now + 0.01)
        worse += fmt::format("{}{} ({} against {})", worse.empty() ? "" : ", ", band_name(b.index), percent(b.fitted[a.chosen]), percent(b.now));
    if (!worse.empty())
      L.push_back("It leaves more boxes unmatched than the config's default boxes in " + worse + ": fewer in all, but not there.");
    if (p.unmatched > 0.1) {
      const auto most = std::max_element(bands.begin(), bands.end(), [&](const Band& x, const Band& y) {
        return x.fitted[a.chosen] * static_cast<double>(x.boxes) < y.fitted[a.chosen] * static_cast<double>(y.boxes);
      });
      L.push_back(fmt::format("{} of the boxes stay unmatched with it, most of them {} ({:.0f} boxes). At the first feature map's stride of "
                              "{:.0f} input pixels a default box reaches IoU {:g} with a box wherever it lies only from {:.1f} px up: {}",
                              percent(p.unmatched), band_name(most->index), most->fitted[a.chosen] * static_cast<double>(most->boxes),
                              table.steps.front(), threshold, smallest_matchable(table.steps.front(), threshold), remedy));
    }
  }

  fs::create_directories(out);
  std::vector<std::pair<std::string, std::vector<double>>> extra{{"best_iou_now", best_now}};
  if (!a.proposals.empty()) extra.emplace_back("best_iou_fitted", best_by_proposal[a.chosen]);
  const auto path = [&](const std::string& name) { return (fs::path(out) / name).string(); };
  write_boxes_csv(path("boxes.csv"), shapes, *dataset, extra);
  write_histogram(shapes, table, path("box_sizes.csv"), path("box_sizes.png"));
  a.files = {path("boxes.csv"), path("box_sizes.csv"), path("box_sizes.png")};
  if (a.improves) {
    util::write_text_file(path("priors.yaml"), "# ssd-data analyze: default boxes fitted to " + dataset->description() + " (" +
                                                   percent(a.proposals[a.chosen].unmatched) + " of its boxes unmatched, " +
                                                   percent(a.unmatched_now) + " with the config's)\n" + a.proposals[a.chosen].yaml);
    a.files.push_back(path("priors.yaml"));
  }
  return a;
}

}  // namespace ssd::analysis
