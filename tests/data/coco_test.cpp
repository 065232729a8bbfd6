// The COCO reader: category mapping by name, boxes, crowd regions, background images, bad entries skipped and
// counted with their JSON path; and a training run on COCO-format data.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ssd/data/formats/coco.h"
#include "ssd/data/dataset.h"
#include "ssd/engine/trainer.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::data {
namespace {

namespace fs = std::filesystem;

// A COCO root with annotations/instances_<split>.json; images are not needed by the reader tests.
std::string write_coco(const std::string& dir, const nlohmann::json& j, const std::string& split = "val") {
  fs::create_directories(dir + "/annotations");
  fs::create_directories(dir + "/" + split);
  std::ofstream(dir + "/annotations/instances_" + split + ".json") << j.dump();
  return dir;
}

nlohmann::json small_file() {
  return {{"images", {{{"id", 7}, {"file_name", "a.jpg"}, {"width", 100}, {"height", 80}},
                      {{"id", 9}, {"file_name", "b.jpg"}, {"width", 50}, {"height", 50}},
                      {{"id", 11}, {"file_name", "c.jpg"}, {"width", 50}, {"height", 50}}}},
          {"categories", {{{"id", 18}, {"name", "dog"}}, {{"id", 1}, {"name", "person"}}}},
          {"annotations", {{{"id", 1}, {"image_id", 7}, {"category_id", 18}, {"bbox", {10, 20, 30, 40}}, {"area", 900.0}, {"iscrowd", 0}},
                           {{"id", 2}, {"image_id", 7}, {"category_id", 1}, {"bbox", {0, 0, 100, 80}}, {"iscrowd", 1}},
                           {{"id", 3}, {"image_id", 11}, {"category_id", 1}, {"bbox", {5, 5, 0, 10}}}}}};
}

TEST(Coco, ReadsBoxesLabelsByNameCrowdAndBackgroundImages) {
  const auto root = write_coco(test::temp_dir("coco_read"), small_file());
  std::vector<std::string> bad;
  const auto [json, images] = coco_paths(root, "val");
  const auto annotations =
      read_coco_instances(json, images, {"person", "cat", "dog"}, [&](const std::string& f, const std::string& why) { bad.push_back(f + ": " + why); })
          .images;
  ASSERT_EQ(annotations.size(), 2u);  // image 11 skipped: its only box is degenerate
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("annotations[2] (id 3): degenerate bbox"), std::string::npos) << bad[0];
  const auto& a = annotations[0];
  EXPECT_EQ(a.id, "7");  // COCO's own image id
  EXPECT_EQ(a.image_path, images + "/a.jpg");
  ASSERT_EQ(a.objects.size(), 2u);
  EXPECT_EQ(a.objects[0].label, 3);  // "dog" is the third name of data.classes, whatever its COCO id
  EXPECT_FLOAT_EQ(a.objects[0].x1, 10);
  EXPECT_FLOAT_EQ(a.objects[0].x2, 40);
  EXPECT_FLOAT_EQ(a.objects[0].y2, 60);
  EXPECT_FLOAT_EQ(a.objects[0].area, 900);
  EXPECT_TRUE(a.objects[1].crowd);
  EXPECT_TRUE(annotations[1].objects.empty());  // image 9 has no annotations: a background image
}

TEST(Coco, TrainingLeavesCrowdOutEvaluationKeepsIt) {
  const auto root = write_coco(test::temp_dir("coco_split"), small_file());
  config::SplitConfig split{"coco", {root}, {"val"}};
  auto train_options = test::dataset_options(split, {"person", "cat", "dog"});
  train_options.require_images = false;
  auto val_options = train_options;
  val_options.keep_difficult = true, val_options.role = "val";
  DetectionDataset train(train_options), val(val_options);
  EXPECT_EQ(train.annotation(0).objects.size(), 1u);
  EXPECT_EQ(val.annotation(0).objects.size(), 2u);
  EXPECT_EQ(train.report().skipped(), 1u);  // image 11, its box degenerate
  EXPECT_EQ(count_split_images(split, 0.1, 1, "train"), 3u);
}

TEST(Coco, BadFilesAreClearErrors) {
  const auto dir = test::temp_dir("coco_bad");
  fs::create_directories(dir + "/annotations");
  std::ofstream(dir + "/annotations/instances_val.json") << "{\"images\": [";
  auto message = test::thrown_message<DataError>([&] { read_coco_instances(dir + "/annotations/instances_val.json", dir, {"a"}, {}); });
  EXPECT_NE(message.find("instances_val.json: malformed JSON: line 1, column 13: "), std::string::npos) << message;
  const auto root = write_coco(dir + "/x", small_file());
  message = test::thrown_message<DataError>(
      [&] { read_coco_instances(coco_paths(root, "val").first, root, {"person"}, [](const std::string&, const std::string&) {}); });
  EXPECT_NE(message.find("categories[0]: category 'dog' (id 18) is not in data.classes"), std::string::npos) << message;
  config::SplitConfig strict_split{"coco", {root}, {"val"}};
  auto strict = test::dataset_options(strict_split, {"person", "dog"});
  strict.keep_difficult = true, strict.strict = true, strict.role = "val", strict.require_images = false;
  EXPECT_THROW(DetectionDataset{strict}, DataError);
}

// What exports in the wild hold: a category that is only the others' supercategory (Roboflow's id 0) is ignored; an
// image id given twice skips both images (whose are the boxes?); a string image id is named as such.
TEST(Coco, ExportsInTheWild) {
  auto j = small_file();
  j["categories"].push_back({{"id", 0}, {"name", "animals-and-people"}, {"supercategory", "none"}});
  j["images"].push_back({{"id", 9}, {"file_name", "b2.jpg"}, {"width", 50}, {"height", 50}});
  j["images"].push_back({{"id", "x13"}, {"file_name", "d.jpg"}, {"width", 50}, {"height", 50}});
  const auto root = write_coco(test::temp_dir("coco_wild"), j);
  std::vector<std::string> bad;
  const auto [json, images] = coco_paths(root, "val");
  const auto read = read_coco_instances(json, images, {"person", "dog"}, [&](const std::string&, const std::string& why) { bad.push_back(why); });
  EXPECT_FALSE(read.label_of_category.count(0));
  ASSERT_EQ(read.images.size(), 1u);  // 7 only: 9 is given twice, 11's only box is degenerate, "x13" is no id
  EXPECT_EQ(read.images[0].id, "7");
  ASSERT_EQ(bad.size(), 4u);
  EXPECT_EQ(bad[0], "images[3]: id 9 is given to two images (" + images + "/b.jpg and " + images + "/b2.jpg): both skipped");
  EXPECT_EQ(bad[1], "images[4]: id must be an integer (COCO's image ids are), got \"x13\"");
  // The data set counts each of them, though all are reported against the one JSON file.
  auto options = test::dataset_options({"coco", {root}, {"val"}}, {"person", "dog"});
  options.keep_difficult = true, options.role = "val", options.require_images = false;
  EXPECT_EQ(DetectionDataset(options).report().skipped(), 4u);
}

TEST(Coco, TrainsOnCocoFormatData) {
  // The tiny shapes set, re-written as a COCO file over the same images.
  const auto dir = test::temp_dir("coco_train");
  const auto shapes = test::make_shapes(dir, 12, 4);
  const auto classes = shapes_classes();
  nlohmann::json j{{"images", nlohmann::json::array()}, {"annotations", nlohmann::json::array()}, {"categories", nlohmann::json::array()}};
  for (size_t c = 0; c < classes.size(); ++c) j["categories"].push_back({{"id", 100 + c}, {"name", classes[c]}});
  auto voc_options = test::dataset_options({"voc", {shapes}, {"train"}}, classes);
  voc_options.keep_difficult = true;
  DetectionDataset voc(voc_options);
  int64_t next = 1;
  for (size_t i = 0; i < voc.size(); ++i) {
    const auto& a = voc.annotation(i);
    j["images"].push_back({{"id", 1000 + i}, {"file_name", fs::path(a.image_path).filename().string()}, {"width", a.width}, {"height", a.height}});
    for (const auto& o : a.objects)
      j["annotations"].push_back({{"id", next++}, {"image_id", 1000 + i}, {"category_id", 99 + o.label},
                                  {"bbox", {o.x1, o.y1, o.x2 - o.x1, o.y2 - o.y1}}, {"iscrowd", 0}});
  }
  const auto root = dir + "/coco";
  write_coco(root, j, "train");
  fs::remove(root + "/train");
  fs::create_directory_symlink(fs::absolute(shapes + "/JPEGImages"), root + "/train");
  auto c = test::tiny_config(shapes, dir + "/run");
  c.data.train = {"coco", {root}, {"train"}};
  c.data.val = {"coco", {root}, {"train"}};
  c.train.epochs = 1;
  const auto result = engine::Trainer(c, c10::Device(c10::kCPU)).run();
  EXPECT_EQ(result.position.iteration, 3);
  EXPECT_TRUE(result.last_validation.count("val/mAP"));
}

}  // namespace
}  // namespace ssd::data
