// The generated shapes data set: the same seed gives the same set, and class weights make an imbalanced one.
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <sstream>

#include "ssd/data/formats/voc.h"
#include "ssd/data/image_decode.h"
#include "ssd/data/shapes.h"
#include "ssd/util/error.h"
#include "test_data.h"

namespace ssd::data {
namespace {

// Objects per class over both splits.
std::array<int64_t, 4> class_counts(const std::string& root) {
  std::array<int64_t, 4> counts{};
  for (const char* split : {"train", "val"})
    for (const auto& id : read_voc_split(root, split)) {
      const auto [image, xml] = voc_paths(root, id);
      for (const auto& o : read_voc_xml(xml, image, shapes_classes()).objects) ++counts.at(static_cast<size_t>(o.label - 1));
    }
  return counts;
}

std::string text_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ShapesOptions small(const std::string& root) {
  ShapesOptions o;
  o.root = root;
  o.train_images = 120, o.val_images = 30, o.image_size = 96, o.min_size = 8, o.max_size = 30, o.max_objects = 4;
  return o;
}

TEST(Shapes, TheSameSeedGivesTheSameSet) {
  const auto dir = test::temp_dir("shapes_seed");
  auto o = small(dir + "/a");
  o.train_images = 5, o.val_images = 2;
  generate_shapes(o);
  o.root = dir + "/b";
  generate_shapes(o);
  for (const char* id : {"000000", "000006"})
    EXPECT_EQ(text_of(dir + "/a/Annotations/" + id + ".xml"), text_of(dir + "/b/Annotations/" + id + ".xml")) << id;
}

TEST(Shapes, ClassWeightsMakeAnImbalancedSet) {
  const auto dir = test::temp_dir("shapes_weights");
  auto o = small(dir + "/equal");
  generate_shapes(o);
  const auto equal = class_counts(o.root);
  o.root = dir + "/imbalanced";
  o.class_weights = {8, 4, 2, 1};
  generate_shapes(o);
  const auto imbalanced = class_counts(o.root);
  const int64_t total = imbalanced[0] + imbalanced[1] + imbalanced[2] + imbalanced[3];
  // Shares 8/15, 4/15, 2/15, 1/15 of some 370 objects: each within a few standard deviations (at most about 10 objects).
  const double share[4] = {8 / 15.0, 4 / 15.0, 2 / 15.0, 1 / 15.0};
  for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(static_cast<double>(imbalanced[k]) / static_cast<double>(total), share[k], 0.07) << k;
  EXPECT_GT(imbalanced[0], 4 * imbalanced[3]);
  // Without weights the shares are equal (about a quarter each).
  const int64_t equal_total = equal[0] + equal[1] + equal[2] + equal[3];
  for (size_t k = 0; k < 4; ++k) EXPECT_NEAR(static_cast<double>(equal[k]) / static_cast<double>(equal_total), 0.25, 0.07) << k;
  o.class_weights = {1, 2};
  EXPECT_THROW(generate_shapes(o), ConfigError);
  o.class_weights = {1, 0, 1, 1};
  EXPECT_THROW(generate_shapes(o), ConfigError);
}

// Wide images of twelve classes (the small-objects-in-large-images set in miniature): the annotation and the image
// agree on the size, every class appears, and every box lies inside the image.
TEST(Shapes, WideImagesOfTwelveClasses) {
  const auto dir = test::temp_dir("shapes_wide");
  ShapesOptions o;
  o.root = dir + "/wide";
  o.train_images = 24, o.val_images = 0, o.width = 192, o.height = 108, o.classes = 12, o.min_size = 8, o.max_size = 30, o.max_objects = 12;
  generate_shapes(o);
  const auto classes = shapes_classes(12);
  ASSERT_EQ(classes.size(), 12u);
  std::array<int64_t, 12> seen{};
  for (const auto& id : read_voc_split(o.root, "train")) {
    const auto [image, xml] = voc_paths(o.root, id);
    const auto a = read_voc_xml(xml, image, classes);
    EXPECT_EQ(a.width, 192);
    EXPECT_EQ(a.height, 108);
    const auto pixels = read_rgb_image(image);
    EXPECT_EQ(pixels.cols, 192);
    EXPECT_EQ(pixels.rows, 108);
    for (const auto& obj : a.objects) {
      ++seen.at(static_cast<size_t>(obj.label - 1));
      EXPECT_GE(obj.x1, 0);
      EXPECT_GE(obj.y1, 0);
      EXPECT_LE(obj.x2, 192);
      EXPECT_LE(obj.y2, 108);
    }
  }
  for (size_t k = 0; k < 12; ++k) EXPECT_GT(seen[k], 0) << classes[k];
  o.classes = 5;
  EXPECT_THROW(generate_shapes(o), ConfigError);
  o.classes = 12, o.width = 0;
  EXPECT_THROW(generate_shapes(o), ConfigError);  // --width and --height come together
}

}  // namespace
}  // namespace ssd::data
