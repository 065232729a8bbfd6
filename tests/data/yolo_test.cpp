// The YOLO reader: data.yaml's names (list or map) and split entries, normalised rows to pixels with the image's
// own size, polygons, background images, bad rows skipped with their line, the size cache, and training on it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "ssd/data/dataset.h"
#include "ssd/data/formats/yolo.h"
#include "ssd/engine/trainer.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::data {
namespace {

namespace fs = std::filesystem;

void write_image(const std::string& path, int width, int height) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(cv::imwrite(path, cv::Mat(height, width, CV_8UC3, cv::Scalar(40, 90, 160))));
}

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// images/val/{a,b,c,d}.png with labels/val/*.txt; the names as an {index: name} map (what Ultralytics writes).
std::string small_yolo(const std::string& dir) {
  write_text(dir + "/data.yaml", "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: dog\n  1: person\n");
  write_image(dir + "/images/val/a.png", 200, 100);
  write_text(dir + "/labels/val/a.txt", "0 0.5 0.5 0.2 0.4\n\n1 0.1 0.1 0.2 0.2\n");
  write_image(dir + "/images/val/b.png", 50, 40);  // no label file: a background image
  write_image(dir + "/images/val/c.png", 100, 100);
  write_text(dir + "/labels/val/c.txt", "1 0.2 0.3 0.6 0.3 0.4 0.9\n");  // a polygon: (0.2,0.3) (0.6,0.3) (0.4,0.9)
  write_image(dir + "/images/val/d.png", 100, 100);
  write_text(dir + "/labels/val/d.txt", "0 0.5 0.5 0.2 0.2\n0 0.5 1.5 0.2 0.2\n");  // line 2 outside the image
  return dir;
}

TEST(Yolo, NormalisedRowsBecomePixelBoxesWithEachImagesSize) {
  const auto root = small_yolo(test::temp_dir("yolo_read"));
  std::vector<std::string> bad;
  const auto annotations =
      read_yolo_split(root, "val", {"person", "cat", "dog"}, [&](const std::string& f, const std::string& why) { bad.push_back(f + ": " + why); });
  ASSERT_EQ(annotations.size(), 3u);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("labels/val/d.txt: line 2: coordinates must be normalised"), std::string::npos) << bad[0];

  const auto& a = annotations[0];
  EXPECT_EQ(a.id, "a");
  EXPECT_EQ(a.width, 200);
  EXPECT_EQ(a.height, 100);
  ASSERT_EQ(a.objects.size(), 2u);
  EXPECT_EQ(a.objects[0].label, 3);  // YOLO class 0 is "dog", the third name of data.classes
  EXPECT_FLOAT_EQ(a.objects[0].x1, 80);
  EXPECT_FLOAT_EQ(a.objects[0].x2, 120);
  EXPECT_FLOAT_EQ(a.objects[0].y1, 30);
  EXPECT_FLOAT_EQ(a.objects[0].y2, 70);
  EXPECT_EQ(a.objects[1].label, 1);
  EXPECT_FLOAT_EQ(a.objects[1].x1, 0);
  EXPECT_FLOAT_EQ(a.objects[1].y2, 20);

  EXPECT_TRUE(annotations[1].objects.empty());  // b: background
  const auto& c = annotations[2];
  ASSERT_EQ(c.objects.size(), 1u);  // the polygon's bounding box
  EXPECT_FLOAT_EQ(c.objects[0].x1, 20);
  EXPECT_FLOAT_EQ(c.objects[0].x2, 60);
  EXPECT_FLOAT_EQ(c.objects[0].y1, 30);
  EXPECT_FLOAT_EQ(c.objects[0].y2, 90);
}

TEST(Yolo, SizesAreCachedAndAChangedImageIsReadAgain) {
  const auto root = small_yolo(test::temp_dir("yolo_cache"));
  auto ignore = [](const std::string&, const std::string&) {};
  read_yolo_split(root, "val", {"person", "dog"}, ignore);
  const fs::path cache = fs::path(root) / ".ssd-cache" / "val.sizes.json";
  ASSERT_TRUE(fs::exists(cache));
  const auto j = nlohmann::json::parse(std::ifstream(cache));
  EXPECT_EQ(j["images"].size(), 4u);
  // The image changes size: its stamp no longer matches, so the new size is read (not the cached 200 x 100).
  write_image(root + "/images/val/a.png", 300, 150);
  fs::last_write_time(root + "/images/val/a.png", fs::last_write_time(root + "/images/val/a.png") + std::chrono::seconds(5));
  const auto again = read_yolo_split(root, "val", {"person", "dog"}, ignore);
  EXPECT_EQ(again[0].width, 300);
  EXPECT_FLOAT_EQ(again[0].objects[0].x1, 120);
}

TEST(Yolo, BadRowsNameTheirLineAndUnknownNamesAreAnError) {
  const auto root = test::temp_dir("yolo_bad");
  write_text(root + "/data.yaml", "names: [dog, person]\n");  // no split keys: images/<split>/ is the default
  for (const char* stem : {"a", "b", "c", "d", "e"}) write_image(root + "/images/val/" + std::string(stem) + ".jpg", 64, 64);
  write_text(root + "/labels/val/a.txt", "0 0.5 0.5 0.2\n");
  write_text(root + "/labels/val/b.txt", "0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n");
  write_text(root + "/labels/val/c.txt", "0 0.5 zero 0.2 0.2\n");
  write_text(root + "/labels/val/d.txt", "1 0.5 0.5 0 0.2\n");
  write_text(root + "/labels/val/e.txt", "1 0.5 nan 0.2 0.2\n");  // std::stod reads it; no box may come of it
  std::vector<std::string> bad;
  const auto annotations = read_yolo_split(root, "val", {"dog", "person"},
                                           [&](const std::string& f, const std::string& why) { bad.push_back(fs::path(f).filename().string() + ": " + why); });
  EXPECT_TRUE(annotations.empty());
  ASSERT_EQ(bad.size(), 5u);
  EXPECT_EQ(bad[0], "a.txt: line 1: expected 'class cx cy w h', got 4 values");
  EXPECT_EQ(bad[1], "b.txt: line 2: class 7 is not an index into data.yaml's 2 names");
  EXPECT_EQ(bad[2], "c.txt: line 1: 'zero' is not a number");
  EXPECT_EQ(bad[3], "d.txt: line 1: degenerate box (width or height 0)");
  EXPECT_EQ(bad[4], "e.txt: line 1: coordinates must be normalised to [0, 1]");
  auto ignore = [](const std::string&, const std::string&) {};
  auto message = test::thrown_message<DataError>([&] { read_yolo_split(root, "val", {"dog"}, ignore); });
  EXPECT_NE(message.find("data.yaml: class 'person' is not in data.classes"), std::string::npos) << message;
  message = test::thrown_message<DataError>([&] { read_yolo_split(root, "test", {"dog", "person"}, ignore); });
  EXPECT_NE(message.find("data.yaml: no 'test' key and no folder"), std::string::npos) << message;
  write_text(root + "/data.yaml", "nc: 3\nnames: [dog, person]\n");
  message = test::thrown_message<DataError>([&] { read_yolo_data_yaml(root); });
  EXPECT_NE(message.find("nc is 3 but names lists 2 classes"), std::string::npos) << message;
  // Values of the wrong shape, as the fuzzer found them (fuzz/corpus/yolo_data_yaml/crash-scalar-document): an error
  // that names the file, never an exception of the YAML library's own.
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"pat/now", "data.yaml: expected a mapping of keys"},
           {"nc: two\nnames: [dog, person]\n", "data.yaml:1: bad conversion"},
           {"names: [dog, person]\n? [a, b]\n: train\n", "data.yaml:2: bad conversion"}}) {
    write_text(root + "/data.yaml", text);
    message = test::thrown_message<DataError>([&] { read_yolo_data_yaml(root); });
    EXPECT_NE(message.find(expected), std::string::npos) << text << " -> " << message;
  }
}

TEST(Yolo, ListFilesRoboflowPathsAndLabelPaths) {
  const auto root = test::temp_dir("yolo_lists");
  // Roboflow's export: train/images beside data.yaml, named "../train/images" in it.
  write_text(root + "/data.yaml", "train: ../train/images\nval: val.txt\nnames: [dog]\n");
  write_image(root + "/train/images/x.jpg", 32, 32);
  write_image(root + "/extra/images/y.jpg", 32, 32);
  write_text(root + "/val.txt", "extra/images/y.jpg\n");
  const auto yaml = read_yolo_data_yaml(root);
  const auto train = yolo_split_images(yaml, "train");
  ASSERT_EQ(train.size(), 1u);
  EXPECT_EQ(fs::path(train[0]).filename(), "x.jpg");
  const auto val = yolo_split_images(yaml, "val");
  ASSERT_EQ(val.size(), 1u);
  EXPECT_EQ(fs::path(val[0]), (fs::path(root) / "extra/images/y.jpg").lexically_normal());
  EXPECT_EQ(yolo_label_path("/d/images/train/images/q.jpeg"), "/d/images/train/labels/q.txt");  // the last "images"
}

// The shapes data set rewritten as YOLO: training and evaluation run on it like on VOC.
TEST(Yolo, TrainsAndEvaluatesThroughTheDataset) {
  const auto dir = test::temp_dir("yolo_train");
  const auto voc_root = test::make_shapes(dir);
  const auto voc = DetectionDataset(test::dataset_options({"voc", {voc_root}, {"train"}}, shapes_classes()));
  const auto yolo_root = dir + "/yolo";
  std::string names;
  for (const auto& n : shapes_classes()) names += (names.empty() ? "" : ", ") + n;
  write_text(yolo_root + "/data.yaml", "train: images/train\nval: images/train\nnames: [" + names + "]\n");
  fs::create_directories(yolo_root + "/images/train");
  fs::create_directories(yolo_root + "/labels/train");
  for (const auto& a : voc.annotations()) {
    const cv::Mat image = cv::imread(a.image_path);
    ASSERT_TRUE(cv::imwrite(yolo_root + "/images/train/" + a.id + ".png", image));
    std::ofstream rows(yolo_root + "/labels/train/" + a.id + ".txt");
    for (const auto& o : a.objects)
      rows << o.label - 1 << " " << (o.x1 + o.x2) / 2 / image.cols << " " << (o.y1 + o.y2) / 2 / image.rows << " "
           << (o.x2 - o.x1) / image.cols << " " << (o.y2 - o.y1) / image.rows << "\n";
  }
  const auto yolo = DetectionDataset(test::dataset_options({"yolo", {yolo_root}, {"train"}}, shapes_classes()));
  ASSERT_EQ(yolo.size(), voc.size());
  for (size_t i = 0; i < yolo.size(); ++i) {
    ASSERT_EQ(yolo.annotation(i).objects.size(), voc.annotation(i).objects.size());
    for (size_t k = 0; k < voc.annotation(i).objects.size(); ++k) {
      EXPECT_NEAR(yolo.annotation(i).objects[k].x1, voc.annotation(i).objects[k].x1, 1e-3);
      EXPECT_NEAR(yolo.annotation(i).objects[k].y2, voc.annotation(i).objects[k].y2, 1e-3);
      EXPECT_EQ(yolo.annotation(i).objects[k].label, voc.annotation(i).objects[k].label);
    }
  }
  EXPECT_EQ(count_split_images({"yolo", {yolo_root}, {"train"}}, 0.1, 1, "train"), voc.size());
  auto c = test::tiny_config(yolo_root, dir + "/run");
  c.data.train = {"yolo", {yolo_root}, {"train"}};
  c.data.val = {"yolo", {yolo_root}, {"val"}};
  c.train.epochs = 1;
  const auto result = engine::Trainer(c, c10::Device(c10::kCPU)).run();
  EXPECT_EQ(result.position.iteration, 3);
  EXPECT_TRUE(result.last_validation.count("val/mAP"));
  // The first validation is a new best: the run's report is written for it.
  EXPECT_TRUE(fs::exists(dir + "/run/report/report.html"));
}

}  // namespace
}  // namespace ssd::data
