// What people look at: the confusion matrix (hand-worked), best F1 thresholds, the report's files, and
// detections JSON with COCO's own ids.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <torch/torch.h>

#include "ssd/eval/coco_eval.h"
#include "ssd/eval/confusion_matrix.h"
#include "ssd/eval/detections_json.h"
#include "ssd/eval/evaluator.h"
#include "ssd/eval/report.h"
#include "ssd/util/error.h"
#include "ssd/util/plot.h"
#include "test_data.h"
#include "test_support.h"
#include "eval/ground_truth.h"

namespace ssd::eval {
namespace {

namespace fs = std::filesystem;

using test::box;
using test::image;
Detection det(const std::string& id, int64_t label, float score, float x1, float y1, float x2, float y2) {
  return {id, label, score, x1, y1, x2, y2};
}

// Classes 1 = dog, 2 = cat; index 2 of the matrix is background.
TEST(ConfusionMatrix, HandWorkedCells) {
  const std::vector<data::Annotation> gt = {
      image("a", {box(0, 0, 10, 10, 1), box(20, 0, 30, 10, 2), box(40, 0, 50, 10, 1, /*difficult=*/true)}),
      image("b", {box(0, 0, 10, 10, 2)})};
  const std::vector<Detection> dets = {
      det("a", 1, 0.9f, 0, 0, 10, 10),    // dog on the dog: [dog][dog]
      det("a", 1, 0.8f, 0, 0, 10, 9),     // a second dog on it, the object already paired: [background][dog]
      det("a", 1, 0.8f, 20, 0, 30, 10),   // dog on the cat: [cat][dog]
      det("a", 2, 0.7f, 40, 0, 50, 10),   // on the difficult dog: counts nowhere
      det("a", 2, 0.6f, 60, 60, 70, 70),  // on nothing: [background][cat]
      det("b", 2, 0.1f, 0, 0, 10, 10),    // below the score threshold: the cat of b is missed, [cat][background]
      det("z", 1, 0.9f, 0, 0, 10, 10)};   // an image without ground truth: [background][dog]
  const auto m = confusion_matrix(gt, dets, 2, 0.5, 0.25);
  const std::vector<std::vector<int64_t>> expected = {{1, 0, 0}, {1, 0, 1}, {2, 1, 0}};
  EXPECT_EQ(m.counts, expected);
}

TEST(ConfusionMatrix, PairsTheHighestIouFirstNotTheHighestScore) {
  // The first detection overlaps object 1 by 0.6 and object 2 by 0.9; pairing by IoU gives it object 2, so the
  // second detection (only on object 2) is unpaired and object 1 is missed.
  const std::vector<data::Annotation> gt = {image("a", {box(0, 0, 10, 10, 1), box(2, 0, 12, 10, 2)})};
  const std::vector<Detection> dets = {det("a", 1, 0.9f, 1.5f, 0, 11.5f, 10), det("a", 1, 0.8f, 4, 0, 14, 10)};
  const auto m = confusion_matrix(gt, dets, 2, 0.5, 0.0);
  EXPECT_EQ(m.counts[1][0], 1);  // object 2 (cat) predicted dog
  EXPECT_EQ(m.counts[2][0], 1);  // the second detection: background
  EXPECT_EQ(m.counts[0][2], 1);  // object 1 missed
}

TEST(Report, BestF1IsTheHighestHarmonicMeanAlongTheCurve) {
  // Precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1: F1 2/3, 1/2, 4/5 -> best 0.8 at the third score.
  const PrCurve curve{{0.9, 0.8, 0.7}, {0.5, 0.5, 1.0}, {1.0, 0.5, 2.0 / 3.0}, {1, 1, 2}, {0.9, 0.9, 1.7}};
  const auto [f1, threshold] = best_f1(curve);
  EXPECT_NEAR(f1, 0.8, 1e-12);
  EXPECT_DOUBLE_EQ(threshold, 0.7);
  EXPECT_TRUE(std::isnan(best_f1(PrCurve{}).second));
}

TEST(Report, WritesEveryFileAndOneSelfContainedPage) {
  const auto dir = test::temp_dir("report");
  const std::vector<data::Annotation> gt = {image("a", {box(0, 0, 40, 40, 1), box(50, 50, 90, 90, 2)}), image("b", {box(10, 10, 60, 60, 1)})};
  const std::vector<Detection> dets = {det("a", 1, 0.9f, 1, 1, 40, 40), det("a", 2, 0.4f, 50, 50, 80, 90), det("b", 2, 0.3f, 10, 10, 60, 60)};
  ReportOptions options;
  options.title = "unit <test>";
  options.config_yaml = "data: {classes: [dog, \"cat & co\"]}";
  const AllMetrics metrics{evaluate_voc(gt, dets, 2, true), evaluate_voc(gt, dets, 2, false), evaluate_coco(gt, dets, 2)};
  const auto html_path = write_report(dir, gt, dets, {"dog", "cat & co"}, metrics, options);
  for (const char* f : {"report.html", "per_class.csv", "pr_curves.png", "f1_confidence.png", "confusion_matrix.png", "confusion_matrix.csv",
                        "confusion_matrix_normalized.png", "confusion_matrix_normalized.csv"})
    EXPECT_GT(fs::file_size(fs::path(dir) / f), 0u) << f;
  std::stringstream html;
  html << std::ifstream(html_path).rdbuf();
  const std::string page = html.str();
  size_t images = 0;
  for (size_t at = 0; (at = page.find("src=\"data:image/png;base64,iVBOR", at)) != std::string::npos; ++at) ++images;
  EXPECT_EQ(images, 4u);  // PR curves, F1, confusion matrix twice, embedded (iVBOR: the PNG signature in base64)
  EXPECT_NE(page.find("unit &lt;test&gt;"), std::string::npos);
  EXPECT_NE(page.find("cat &amp; co"), std::string::npos);
  EXPECT_NE(page.find("VOC07 11-point AP@0.5"), std::string::npos);
  EXPECT_NE(page.find("COCO AP@[.5:.95]"), std::string::npos);
  std::ifstream csv(fs::path(dir) / "per_class.csv");
  std::string header, dog, cat, all;
  std::getline(csv, header), std::getline(csv, dog), std::getline(csv, cat), std::getline(csv, all);
  EXPECT_EQ(header, "class,gt_objects,detections,ap_voc07,ap_voc,ap_coco,ap50_coco,best_f1,best_f1_score,score_threshold,"
                    "true_positives,false_positives,missed,precision,recall,f1,mean_iou");
  // dog: one detection, a true positive (IoU 39 x 39 / 40 x 40 = 0.950625) of two objects. VOC07: 6 of 11 recall
  // points at precision 1; all-point: 0.5; COCO: 51 of 101 recall points at every IoU threshold up to 0.95; best F1
  // 2/3 at score 0.9. The report's threshold is the best mean F1's: 0.399 (cat: its 0.4 detection a true positive, its
  // 0.3 one a false positive, so F1 1 for thresholds from 0.3 to under 0.4; dog 2/3 under 0.9): there, dog has 1 true
  // positive and 1 object missed.
  EXPECT_EQ(dog, "\"dog\",2,1,0.545455,0.500000,0.504950,0.504950,0.666667,0.900000,0.399000,1,0,1,1.000000,0.500000,0.666667,0.950625");
  // cat at 0.399: its true positive (IoU 30 x 40 / 40 x 40 = 0.75) alone; all: 2 true positives, 0 false, 1 missed.
  EXPECT_EQ(cat.substr(cat.rfind(",0.399000,")), ",0.399000,1,0,0,1.000000,1.000000,1.000000,0.750000");
  EXPECT_EQ(all.substr(0, 8), "all,3,3,");
  const auto at = all.rfind(",0.399000,");
  EXPECT_EQ(all.substr(at, all.rfind(',') - at), ",0.399000,2,0,1,1.000000,0.666667,0.800000");
  EXPECT_NEAR(std::stod(all.substr(all.rfind(',') + 1)), (0.950625 + 0.75) / 2, 1e-6);
  std::ifstream matrix(fs::path(dir) / "confusion_matrix.csv");
  std::string first;
  std::getline(matrix, first);
  EXPECT_EQ(first, "true\\predicted,\"dog\",\"cat & co\",background");
  // The normalised matrix: each row's shares. dog: of its 2 objects, one found as dog, the other (in b) taken by the cat
  // detection there (the matrix pairs across classes).
  std::ifstream normalized(fs::path(dir) / "confusion_matrix_normalized.csv");
  std::string line;
  std::getline(normalized, line), std::getline(normalized, line);
  EXPECT_EQ(line, "\"dog\",0.500000,0.500000,0.000000");
}

TEST(DetectionsJson, CocoIdsAreWrittenAndReadBack) {
  const auto dir = test::temp_dir("dets_coco_ids");
  const std::vector<Detection> dets = {det("000000000139", 1, 0.5f, 1, 2, 11, 22), det("street", 2, 0.25f, 0, 0, 5, 5)};
  CocoIds ids;
  ids.category_of_label = {{1, 18}, {2, 1}};
  write_detections_json(dir + "/d.json", dets, {"dog", "person"}, &ids);
  nlohmann::json j;
  std::ifstream(dir + "/d.json") >> j;
  EXPECT_EQ(j[0]["image_id"], 139);  // COCO's file names are zero-padded ids
  EXPECT_EQ(j[0]["category_id"], 18);
  EXPECT_EQ(j[1]["image_id"], "street");  // not a number: the stem stays
  EXPECT_EQ(j[1]["category_id"], 1);
  for (auto& e : j) e.erase("category_name");  // as pycocotools-style tools write it: ids only
  std::ofstream(dir + "/ids_only.json") << j.dump();
  const std::map<int64_t, int64_t> labels{{18, 1}, {1, 2}};
  const auto back = read_detections_json(dir + "/ids_only.json", {"dog", "person"}, &labels);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].image_id, "139");
  EXPECT_EQ(back[0].label, 1);
  EXPECT_EQ(back[1].label, 2);
  EXPECT_FLOAT_EQ(back[0].x2, 11);
}

// A model's detections score the same from memory (ssd-eval --checkpoint, training's validation) as from the file
// ssd-detect writes of them (ssd-eval --dets, pycocotools): the same corners, area and score to the last bit.
TEST(DetectionsJson, AModelsDetectionsAreTheSameFromMemoryAndFromTheFile) {
  torch::manual_seed(3);
  const auto xy = torch::rand({300, 2}) * 0.6, wh = torch::rand({300, 2}) * 0.4;
  const auto boxes = torch::cat({xy, xy + wh}, 1), scores = torch::rand({300}), labels = torch::randint(1, 3, {300}, torch::kLong);
  const auto mine = to_pixel_detections("img", boxes, scores, labels, 500, 375);
  const auto dir = test::temp_dir("dets_round_trip");
  write_detections_json(dir + "/d.json", mine, {"dog", "cat"});
  const auto back = read_detections_json(dir + "/d.json", {"dog", "cat"});
  ASSERT_EQ(back.size(), mine.size());
  for (size_t i = 0; i < mine.size(); ++i) {
    EXPECT_EQ(back[i].x1, mine[i].x1);
    EXPECT_EQ(back[i].y1, mine[i].y1);
    EXPECT_EQ(back[i].x2, mine[i].x2);
    EXPECT_EQ(back[i].y2, mine[i].y2);
    EXPECT_EQ(back[i].area, mine[i].area);
    EXPECT_EQ(back[i].score, mine[i].score);
    EXPECT_EQ(back[i].label, mine[i].label);
    // The model's own corners, as drawn on the annotated images.
    EXPECT_EQ(mine[i].x2, static_cast<double>(boxes[static_cast<int64_t>(i)][2].item<float>() * 500.0f));
    EXPECT_EQ(mine[i].y2, static_cast<double>(boxes[static_cast<int64_t>(i)][3].item<float>() * 375.0f));
  }
  data::Annotation gt = image("img", {box(10, 10, 200, 150, 1), box(250, 100, 480, 370, 2), box(40, 200, 100, 260, 1)});
  const auto from_memory = evaluate_coco({gt}, mine, 2), from_file = evaluate_coco({gt}, back, 2);
  for (size_t k = 0; k < from_memory.stats.size(); ++k)  // equal to the bit, or both NaN (no small object here)
    EXPECT_TRUE(from_memory.stats[k] == from_file.stats[k] || (std::isnan(from_memory.stats[k]) && std::isnan(from_file.stats[k]))) << k;
  EXPECT_EQ(evaluate_voc({gt}, mine, 2, true).map, evaluate_voc({gt}, back, 2, true).map);
}

// Under a file size limit (as on a full disk) writing a results file is an error naming it; the previous file stays
// and no temporary is left. In a child process: the limit is the process's.
TEST(DetectionsJson, AFullDiskIsAClearErrorAndKeepsThePreviousFile) {
  const auto dir = test::temp_dir("dets_full");
  const std::string path = dir + "/d.json";
  write_detections_json(path, {det("a", 1, 0.5f, 0, 0, 5, 5)}, {"dog"});
  std::ifstream in(path);
  const std::string before{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<Detection> many(20000, det("a", 1, 0.5f, 0, 0, 5, 5));
  const auto message =
      test::message_under_file_size_limit<DataError>(64 * 1024, [&] { write_detections_json(path, many, {"dog"}); });
  EXPECT_EQ(message.rfind(path + ": cannot write: File too large", 0), 0u) << message;
  std::ifstream again(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(again), std::istreambuf_iterator<char>()), before);
  EXPECT_FALSE(fs::exists(dir + "/.d.json.tmp"));
}

// Charts (training.png, the report's plots) are written whole or not at all: under a file size limit the write is an
// error naming the file, the previous chart stays a whole PNG and no temporary is left.
TEST(Charts, AFullDiskKeepsThePreviousChart) {
  const auto dir = test::temp_dir("chart_full");
  const std::string path = dir + "/training.png";
  util::Panel panel;
  panel.title = "loss";
  panel.series.push_back({"loss", {0, 1, 2, 3}, {4, 3, 2.5, 2}});
  util::save_chart(path, {panel}, 320, 200);
  std::ifstream in(path, std::ios::binary);
  const std::string before{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // 4 KiB: below a 2000 x 4000 chart's PNG.
  const auto message = test::message_under_file_size_limit<DataError>(
      4 * 1024, [&] { util::save_chart(path, {panel, panel, panel, panel}, 2000, 1000); });
  EXPECT_EQ(message.rfind(path + ": cannot write: File too large", 0), 0u) << message;
  std::ifstream again(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(again), std::istreambuf_iterator<char>()), before);
  EXPECT_FALSE(fs::exists(dir + "/.training.png.tmp"));
}

TEST(DetectionsJson, BadEntriesNameTheFileAndTheEntry) {
  const auto dir = test::temp_dir("dets_bad");
  auto message_for = [&](const std::string& text) {
    std::ofstream(dir + "/d.json") << text;
    return test::thrown_message<DataError>([&] { read_detections_json(dir + "/d.json", {"dog"}); });
  };
  const std::string ok = R"({"image_id": "a", "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5})";
  EXPECT_NE(message_for("[" + ok + ",").find("d.json: malformed JSON"), std::string::npos);
  EXPECT_NE(message_for("{}").find("expected a JSON array"), std::string::npos);
  EXPECT_NE(message_for("[" + ok + R"(, {"image_id": "a", "category_id": 1, "bbox": [0, 0, 5], "score": 0.5}])")
                .find("d.json: entry [1]: bbox must be [x, y, w, h]"),
            std::string::npos);
  EXPECT_NE(message_for(R"([{"image_id": "a", "category_id": 1, "bbox": [0, 0, 5, 5]}])").find("entry [0]: no \"score\""),
            std::string::npos);
  // NaN is what Python's json.dump writes for a NaN score: named with its line and column.
  EXPECT_EQ(message_for("[" + ok + ",\n" + R"( {"image_id": "a", "category_id": 1, "bbox": [0, 0, 5, 5], "score": NaN}])"),
            dir + "/d.json: malformed JSON: line 2, column 69: NaN is not JSON (Python's json.dump writes it for a float that is "
                  "not finite: drop or fix that entry)");
  EXPECT_NE(message_for(R"([{"image_id": 1.5, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 1}])").find("image_id must be an integer"),
            std::string::npos);
  // A 1-based category_id outside 1..N says the file counts otherwise: an error, not a silent shift.
  EXPECT_NE(message_for(R"([{"image_id": "a", "category_id": 2, "bbox": [0, 0, 5, 5], "score": 1}])").find("category_id 2 outside 1..1"),
            std::string::npos);
  // A category name the evaluation does not know loses that detection only (one warning for all).
  std::ofstream(dir + "/d.json") << "[" + ok + R"(, {"image_id": "a", "category_name": "cat", "bbox": [0, 0, 5, 5], "score": 1}])";
  EXPECT_EQ(read_detections_json(dir + "/d.json", {"dog"}).size(), 1u);
  // A number no double holds: the file named, not a crash.
  EXPECT_NE(message_for(R"([{"image_id": "a", "category_id": 1, "bbox": [0, 0, 5, 1e999], "score": 1}])").find("d.json: malformed JSON"),
            std::string::npos);
  // Corners or an area that overflow a double: named, not an infinite box.
  EXPECT_NE(message_for(R"([{"image_id": "a", "category_id": 1, "bbox": [1.5e308, 0, 1.5e308, 5], "score": 1}])")
                .find("entry [0]: bbox beyond the range of a double"),
            std::string::npos);
  EXPECT_NE(message_for(R"([{"image_id": "a", "category_id": 1, "bbox": [0, 0, 1e200, 1e200], "score": 1}])")
                .find("entry [0]: bbox beyond the range of a double"),
            std::string::npos);
  const auto missing = test::thrown_message<DataError>([&] { read_detections_json(dir + "/none.json", {"dog"}); });
  EXPECT_NE(missing.find("none.json: detections file not found"), std::string::npos);
}

}  // namespace
}  // namespace ssd::eval
