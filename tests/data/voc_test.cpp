#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ssd/data/augment.h"
#include "ssd/data/dataset.h"
#include "ssd/data/loader.h"
#include "ssd/data/formats/folder.h"
#include "ssd/data/formats/registry.h"
#include "ssd/data/formats/voc.h"
#include "ssd/util/error.h"
#include "test_data.h"
#include "test_support.h"

namespace ssd::data {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kClasses = {"circle", "square"};

std::string xml(const std::string& objects, int w = 50, int h = 40) {
  return "<annotation><size><width>" + std::to_string(w) + "</width><height>" + std::to_string(h) +
         "</height><depth>3</depth></size>\n" + objects + "</annotation>\n";
}
std::string object(const std::string& name, int x1, int y1, int x2, int y2, int difficult = 0) {
  return "<object><name>" + name + "</name><difficult>" + std::to_string(difficult) + "</difficult><bndbox><xmin>" +
         std::to_string(x1) + "</xmin><ymin>" + std::to_string(y1) + "</ymin><xmax>" + std::to_string(x2) + "</xmax><ymax>" +
         std::to_string(y2) + "</ymax></bndbox></object>\n";
}

// A VOC root with one image per entry: id -> XML text (an empty image name means: no image file).
std::string make_voc(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& items,
                     const std::vector<std::string>& no_image = {}, const std::vector<std::string>& corrupt = {}) {
  for (const char* d : {"JPEGImages", "Annotations", "ImageSets/Main"}) fs::create_directories(dir + "/" + d);
  std::ofstream split(dir + "/ImageSets/Main/train.txt");
  for (const auto& [id, text] : items) {
    split << id << "\n";
    std::ofstream(dir + "/Annotations/" + id + ".xml") << text;
    if (std::find(no_image.begin(), no_image.end(), id) != no_image.end()) continue;
    if (std::find(corrupt.begin(), corrupt.end(), id) != corrupt.end()) {
      std::ofstream(dir + "/JPEGImages/" + id + ".jpg") << "this is not a JPEG";
      continue;
    }
    cv::imwrite(dir + "/JPEGImages/" + id + ".jpg", cv::Mat(40, 50, CV_8UC3, cv::Scalar(10, 20, 30)));
  }
  return dir;
}

TEST(VocXml, OneBasedBoxesBecomeContinuousZeroBased) {
  const auto dir = test::temp_dir("voc_xml");
  std::ofstream(dir + "/a.xml") << xml(object("square", 1, 1, 50, 40) + object("circle", 10, 5, 20, 15, 1));
  const auto a = read_voc_xml(dir + "/a.xml", "a.jpg", kClasses);
  ASSERT_EQ(a.objects.size(), 2u);
  // The whole 50x40 image, 1-based inclusive (1..50) -> (0, 0, 50, 40).
  EXPECT_EQ(a.objects[0].x1, 0);
  EXPECT_EQ(a.objects[0].x2, 50);
  EXPECT_EQ(a.objects[0].y2, 40);
  EXPECT_EQ(a.objects[0].label, 2);
  EXPECT_TRUE(a.objects[1].difficult);
  EXPECT_EQ(a.width, 50);
}

TEST(VocXml, BadInputNamesTheFileAndLine) {
  const auto dir = test::temp_dir("voc_bad");
  auto message = [&](const std::string& text) {
    std::ofstream(dir + "/b.xml") << text;
    return test::thrown_message<DataError>([&] { read_voc_xml(dir + "/b.xml", "b.jpg", kClasses); });
  };
  const std::string f = dir + "/b.xml";
  EXPECT_EQ(message("<annotation><object>").rfind(f + ":1: malformed XML: ", 0), 0u);
  EXPECT_EQ(message(xml(object("triangle", 1, 1, 5, 5))), f + ":2: unknown class 'triangle' (not in data.classes)");
  EXPECT_EQ(message(xml(object("circle", 6, 1, 5, 5))),
            f + ":2: degenerate box (xmin 6, ymin 1, xmax 5, ymax 5): expected xmin <= xmax and ymin <= ymax");
  EXPECT_EQ(message(xml(object("circle", -5, 1, 0, 5))), f + ":2: box lies outside the image: (xmin -5, ymin 1, xmax 0, ymax 5)");
  EXPECT_EQ(message(xml("<object><name>circle</name><bndbox><xmin>nan</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>")),
            f + ":2: <xmin> is not a number: 'nan'");
  EXPECT_EQ(test::thrown_message<DataError>([&] { read_voc_xml(dir + "/none.xml", "x", kClasses); }),
            dir + "/none.xml: annotation file not found");
}

// With a place to report to (as the data set gives), one bad object is left out and the image kept; boxes follow the
// devkit's 1-based inclusive rule (xmin == xmax is one pixel) and are clipped to the image with a note; an unreadable
// <difficult> is read as 0 with a note.
TEST(VocXml, ABadObjectIsLeftOutAndTheRestKept) {
  const auto dir = test::temp_dir("voc_objects");
  std::ofstream(dir + "/a.xml") << xml(object("circle", 5, 5, 5, 9) +                               // line 2: one pixel wide
                                       object("triangle", 1, 1, 5, 5) +                              // 3: unknown class
                                       object("square", 0, 0, 10, 10) +                              // 4: 0-based, clipped
                                       object("square", 45, 30, 60, 40) +                            // 5: past the edge: load()
                                       "<object><name>circle</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax>"
                                       "<ymax>2</ymax></bndbox><bndbox><xmin>3</xmin><ymin>3</ymin><xmax>4</xmax><ymax>4</ymax>"
                                       "</bndbox></object>\n" +                                        // 6: two boxes
                                       "<object><name>circle</name><difficult>Unspecified</difficult><bndbox><xmin>2</xmin>"
                                       "<ymin>2</ymin><xmax>8</xmax><ymax>8</ymax></bndbox></object>\n");  // 7
  std::vector<std::string> bad, fixed;
  DataIssues issues;
  issues.bad_file = [&](const std::string& f, const std::string& r) { bad.push_back("file " + f + ": " + r); };
  issues.bad_object = [&](const std::string& w, const std::string& r) { bad.push_back(w + ": " + r); };
  issues.fixed = [&](const std::string& w, const std::string& r) { fixed.push_back(w + ": " + r); };
  const auto a = read_voc_xml(dir + "/a.xml", "a.jpg", kClasses, &issues);
  const std::string f = dir + "/a.xml";
  ASSERT_EQ(a.objects.size(), 4u);
  EXPECT_EQ(a.objects[0].x1, 4);
  EXPECT_EQ(a.objects[0].x2, 5);
  EXPECT_EQ(a.objects[1].x1, 0);
  EXPECT_EQ(a.objects[1].y1, 0);
  EXPECT_FALSE(a.objects[3].difficult);
  EXPECT_EQ(bad, (std::vector<std::string>{f + ":3: unknown class 'triangle' (not in data.classes)",
                                           f + ":6: several <bndbox> in one <object>: which one is meant?"}));
  EXPECT_EQ(a.objects[2].x2, 60);  // <size> may be wrong: clipped to the decoded pixels (Dataset.ThePixelsDecideTheImageSize)
  EXPECT_EQ(fixed, (std::vector<std::string>{
                       f + ":4: clipped to the image: (xmin 0, ymin 0, xmax 10, ymax 10) starts before pixel 1 (VOC boxes are 1-based)",
                       f + ":7: <difficult> read as 0: 'Unspecified' is neither 0 nor 1"}));
}

// An XML entity bomb ("billion laughs") is not expanded: the reader takes no entities but XML's own five, so the
// object's name stays the reference it is, an unknown class.
TEST(VocXml, AnEntityBombIsNotExpanded) {
  const auto dir = test::temp_dir("voc_entities");
  std::string dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE annotation [<!ENTITY lol0 \"lol\">";
  for (int i = 1; i <= 12; ++i) {
    dtd += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) dtd += "&lol" + std::to_string(i - 1) + ";";
    dtd += "\">";
  }
  std::ofstream(dir + "/a.xml") << dtd << "]>\n" << xml(object("&lol12;", 1, 1, 5, 5) + object("circle", 1, 1, 5, 5));
  std::vector<std::string> bad;
  DataIssues issues;
  issues.bad_file = issues.bad_object = [&](const std::string& w, const std::string& r) { bad.push_back(w + ": " + r); };
  issues.fixed = [](const std::string&, const std::string&) {};
  const auto a = read_voc_xml(dir + "/a.xml", "a.jpg", kClasses, &issues);
  EXPECT_EQ(a.objects.size(), 1u);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_LT(bad[0].size(), 200u) << bad[0];
  EXPECT_NE(bad[0].find("unknown class"), std::string::npos) << bad[0];
}

// Numbers no image has (the fuzzer's find, fuzz/corpus/voc_xml/crash-huge-size.xml): a <size> of 5e118 gives way to
// the pixels with a note, a coordinate of 1e300 leaves its object out; neither is cast (undefined behaviour).
TEST(VocXml, NumbersBeyondAnyImageAreNamed) {
  const auto dir = test::temp_dir("voc_huge");
  std::ofstream(dir + "/a.xml") << "<annotation><size><width>64</width><height>5e118</height></size>\n" +
                                       object("circle", 1, 1, 5, 5) +
                                       "<object><name>circle</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>1e300</xmax>"
                                       "<ymax>9</ymax></bndbox></object>\n</annotation>\n";
  std::vector<std::string> bad, fixed;
  DataIssues issues;
  issues.bad_file = issues.bad_object = [&](const std::string& w, const std::string& r) { bad.push_back(w + ": " + r); };
  issues.fixed = [&](const std::string& w, const std::string& r) { fixed.push_back(w + ": " + r); };
  const auto a = read_voc_xml(dir + "/a.xml", "a.jpg", kClasses, &issues);
  EXPECT_EQ(a.width, 0);
  EXPECT_EQ(a.objects.size(), 1u);
  const std::string f = dir + "/a.xml";
  EXPECT_EQ(fixed, (std::vector<std::string>{f + ":1: <size> ignored: width 64, height 5e+118 is not the size of an image; the "
                                                  "decoded pixels decide"}));
  EXPECT_EQ(bad, (std::vector<std::string>{f + ":3: box lies outside any image: (xmin 1, ymin 1, xmax 1e+300, ymax 9)"}));
}

TEST(Dataset, SkipsAndCountsBadSamplesUnlessStrict) {
  const auto dir = make_voc(test::temp_dir("skips"),
                            {{"good", xml(object("circle", 2, 2, 20, 20))},
                             {"empty", xml("")},
                             {"badbox", xml(object("circle", 30, 2, 20, 20))},
                             {"badxml", "<annotation>"},
                             {"noimage", xml(object("square", 2, 2, 9, 9))},
                             {"corrupt", xml(object("square", 2, 2, 9, 9))}},
                            {"noimage"}, {"corrupt"});
  config::SplitConfig split{"voc", {dir}, {"train"}};
  DetectionDataset ds(test::dataset_options(split, kClasses));
  // good, empty (kept as background), badbox (its one object left out: kept as background), corrupt (found only when
  // decoded); badxml and noimage skipped.
  EXPECT_EQ(ds.size(), 4u);
  EXPECT_EQ(ds.report().skipped(), 2u);
  EXPECT_EQ(ds.report().skipped_objects(), 1u);
  EXPECT_EQ(ds.report().empty(), 2u);
  // The corrupt image is skipped by the loader, counted, and the batch goes on with the rest (no other image to
  // refill it with).
  LoaderOptions o;
  o.batch_size = 4;
  o.workers = 2;
  o.shuffle = false;
  o.drop_last = false;
  DataLoader loader(ds, o, [](const Sample& s, std::mt19937_64&) { return prepare_for_eval(s, {0, 0, 0}, {1, 1, 1}, 32, "stretch"); });
  loader.start_epoch(0);
  auto batch = loader.next();
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 3u);
  EXPECT_EQ(ds.report().skipped(), 3u);
  EXPECT_EQ(ds.report().summary(),
            "3 samples skipped (1 corrupt image, 1 image file not found, 1 malformed XML); 1 object skipped (1 degenerate box); "
            "2 image(s) without objects kept");

  auto strict = test::dataset_options(split, kClasses);
  strict.strict = true;
  EXPECT_THROW(DetectionDataset{strict}, DataError);
}

// Corrupt images met by the loader never shrink a training batch: each is replaced by the next good image of the
// epoch's order, the same way on every run (exact resume), and counted once however many epochs meet it.
TEST(Dataset, ABadImageNeverShrinksATrainingBatch) {
  const auto root = test::make_shapes(test::temp_dir("refill"), 14, 2);
  const DetectionDataset ds(test::dataset_options({"voc", {root}, {"train"}}, shapes_classes()));
  std::set<size_t> corrupt;
  for (size_t i : {1, 6, 7}) {
    std::ofstream(ds.annotation(i).image_path, std::ios::trunc) << "not a JPEG";
    corrupt.insert(i);
  }
  LoaderOptions o;
  o.batch_size = 4;
  o.workers = 2;
  o.seed = 3;
  auto prepare = [](const Sample& s, std::mt19937_64&) { return prepare_for_eval(s, {0, 0, 0}, {1, 1, 1}, 32, "stretch"); };
  auto epochs = [&](int64_t first_batch) {
    DataLoader loader(ds, o, prepare);
    std::vector<std::vector<size_t>> batches;
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
      loader.start_epoch(epoch, epoch == 1 ? first_batch : 0);
      while (auto batch = loader.next()) {
        EXPECT_EQ(batch->size(), 4u) << "epoch " << epoch << " batch " << batch->index_in_epoch;
        for (size_t index : batch->indices) EXPECT_FALSE(corrupt.count(index)) << index;
        batches.push_back(batch->indices);
      }
    }
    return batches;
  };
  const auto first = epochs(0);
  EXPECT_EQ(first.size(), 6u);  // 14 images / 4, the last partial batch dropped, over 2 epochs
  EXPECT_EQ(epochs(0), first);
  // A resume inside the second epoch (its batch 1 on) gets the same batches, replacements included.
  const auto resumed = epochs(1);
  std::vector<std::vector<size_t>> expected(first.begin(), first.begin() + 3);  // epoch 0
  expected.insert(expected.end(), first.begin() + 4, first.end());                // epoch 1 from its batch 1
  EXPECT_EQ(resumed, expected);
  EXPECT_EQ(ds.report().skipped(), 3u);
  EXPECT_EQ(ds.report().summary(), "3 samples skipped (3 corrupt image)");
}

// The summary groups by the kind of problem, not by the class name or size that follows it, and shows no raw control
// characters.
TEST(Dataset, TheSkipSummaryGroupsByKindAndCountsAFileOnce) {
  SkipReport report;
  report.skip("a.xml:3", "unknown class 'ci\nrcle' (not in data.classes)");
  report.skip("b.xml:9", "unknown class \"x\" (not in data.classes)");
  report.skip("a.xml:3", "unknown class 'ci\nrcle' (not in data.classes)");
  report.skip("c.jpg", "corrupt image (OpenCV cannot decode it)");
  EXPECT_EQ(report.skipped(), 3u);
  EXPECT_EQ(report.summary(), "3 samples skipped (1 corrupt image, 2 unknown class)");
}

// An annotation's <size> that disagrees with the decoded image: the pixels decide, boxes are clipped to them, and
// each fix is counted once however many epochs load the image.
TEST(Dataset, ThePixelsDecideTheImageSize) {
  const auto dir = make_voc(test::temp_dir("pixels"), {{"wide", xml(object("circle", 40, 1, 58, 10) + object("square", 53, 1, 58, 10), 60, 40)}});
  DetectionDataset ds(test::dataset_options({"voc", {dir}, {"train"}}, kClasses));
  for (int epoch = 0; epoch < 2; ++epoch) {
    const auto s = ds.load(0);
    EXPECT_EQ(s.annotation.width, 50);
    ASSERT_EQ(s.annotation.objects.size(), 1u);
    EXPECT_EQ(s.annotation.objects[0].x2, 50);
  }
  EXPECT_EQ(ds.report().summary(), "1 object skipped (1 box lies outside the image); 2 fixes (1 clipped to the image, 1 size taken from the pixels)");
  // A <size> smaller than the image: a box past it but inside the pixels is kept whole.
  const auto small = make_voc(test::temp_dir("pixels_small"), {{"narrow", xml(object("circle", 30, 1, 48, 10), 40, 40)}});
  DetectionDataset narrow(test::dataset_options({"voc", {small}, {"train"}}, kClasses));
  const auto s = narrow.load(0);
  ASSERT_EQ(s.annotation.objects.size(), 1u);
  EXPECT_EQ(s.annotation.objects[0].x2, 48);
  EXPECT_EQ(narrow.report().summary(), "1 fix (1 size taken from the pixels)");
}

TEST(Dataset, MissingSplitAndRootAreNamed) {
  const auto dir = test::temp_dir("missing_split");
  config::SplitConfig split{"voc", {dir}, {"trainval"}};
  EXPECT_EQ(test::thrown_message<DataError>([&] { DetectionDataset{test::dataset_options(split, kClasses)}; }),
            dir + "/ImageSets/Main/trainval.txt: split file not found");
}

TEST(Dataset, FolderLayoutWithSeededSplit) {
  const auto dir = test::temp_dir("folder");
  fs::create_directories(dir + "/images");
  fs::create_directories(dir + "/annotations");
  for (int i = 0; i < 10; ++i) {
    std::ofstream(dir + "/annotations/" + std::to_string(i) + ".xml") << xml(object("circle", 2, 2, 20, 20));
    cv::imwrite(dir + "/images/" + std::to_string(i) + ".png", cv::Mat(40, 50, CV_8UC3, cv::Scalar(1, 2, 3)));
  }
  const auto train = folder_split_ids(dir, "train", 0.2, 7), val = folder_split_ids(dir, "val", 0.2, 7);
  EXPECT_EQ(train.size(), 8u);
  EXPECT_EQ(val.size(), 2u);
  for (const auto& v : val) EXPECT_EQ(std::count(train.begin(), train.end(), v), 0);
  EXPECT_EQ(folder_split_ids(dir, "val", 0.2, 7), val);  // same seed, same split
  auto folder = test::dataset_options({"folder", {dir}, {"train"}}, kClasses);
  folder.val_fraction = 0.2, folder.seed = 7;
  cv::imwrite(dir + "/images/extra.png", cv::Mat(40, 50, CV_8UC3, cv::Scalar(1, 2, 3)));  // no annotation: named
  std::unique_ptr<DetectionDataset> ds;
  const auto log = test::logged([&] { ds = std::make_unique<DetectionDataset>(folder); });
  EXPECT_EQ(ds->size(), 8u);
  EXPECT_EQ(ds->load(0).image.cols, 50);
  EXPECT_NE(log.find("1 image(s) have no annotations/<stem>.xml and are not used (such as extra.png)"), std::string::npos) << log;
}

// A JPEG cut short decodes without an error (libjpeg fills the rest grey): it is used, and the user is told.
TEST(Dataset, ATruncatedJpegIsUsedWithANote) {
  const auto dir = make_voc(test::temp_dir("truncated_jpeg"), {{"cut", xml(object("circle", 2, 2, 20, 20))}});
  cv::Mat noise(40, 50, CV_8UC3);
  cv::randu(noise, 0, 255);
  const std::string jpg = dir + "/JPEGImages/cut.jpg";
  cv::imwrite(jpg, noise);
  fs::resize_file(jpg, fs::file_size(jpg) * 7 / 10);
  DetectionDataset ds(test::dataset_options({"voc", {dir}, {"train"}}, kClasses));
  EXPECT_EQ(ds.load(0).image.cols, 50);
  EXPECT_EQ(ds.report().summary(), "1 fix (1 truncated JPEG)");
}

// Two VOC roots join (VOC2007 + VOC2012 trainval, the paper's 07+12): every image of both, in root order, each split
// named per root or once for all, and a mismatch between roots and splits named.
TEST(Dataset, TwoVocRootsJoin) {
  const auto dir = test::temp_dir("two_roots");
  const auto a = test::make_shapes(dir + "/a", 6, 2), b = test::make_shapes(dir + "/b", 4, 3);
  DetectionDataset joined(test::dataset_options({"voc", {a, b}, {"train"}}, shapes_classes()));
  const DetectionDataset only_a(test::dataset_options({"voc", {a}, {"train"}}, shapes_classes()));
  const DetectionDataset only_b(test::dataset_options({"voc", {b}, {"train"}}, shapes_classes()));
  ASSERT_EQ(joined.size(), only_a.size() + only_b.size());
  for (size_t i = 0; i < only_a.size(); ++i) EXPECT_EQ(joined.annotation(i).image_path, only_a.annotation(i).image_path);
  for (size_t i = 0; i < only_b.size(); ++i) EXPECT_EQ(joined.annotation(only_a.size() + i).image_path, only_b.annotation(i).image_path);
  EXPECT_EQ(joined.description(), "voc:" + a + "[train] + voc:" + b + "[train]");
  const DetectionDataset per_root(test::dataset_options({"voc", {a, b}, {"train", "val"}}, shapes_classes()));
  EXPECT_EQ(per_root.size(), only_a.size() + 3);  // b's val split: 3 images
  EXPECT_EQ(test::thrown_message<ConfigError>(
                [&] { DetectionDataset{test::dataset_options({"voc", {a, b}, {"train", "val", "test"}}, shapes_classes())}; }),
            "data.train.splits: has 3 entries for 2 roots; give one split per root, or one for all");
}

// Each format is told by its own marker; voc is what none of them claims, also beside a VOC tree (a data.yaml or a
// COCO annotations file next to Annotations/).
TEST(Dataset, TheFormatOfARootIsToldByItsMarker) {
  const auto dir = test::temp_dir("detect_format");
  auto root = [&](const std::string& name, const std::vector<std::string>& folders, const std::vector<std::string>& files) {
    const auto r = dir + "/" + name;
    for (const auto& f : folders) fs::create_directories(r + "/" + f);
    for (const auto& f : files) std::ofstream(r + "/" + f) << "{}";
    return r;
  };
  EXPECT_EQ(detect_format(root("voc", {"Annotations", "ImageSets/Main"}, {}), "val"), "voc");
  EXPECT_EQ(detect_format(root("empty", {}, {}), "val"), "voc");
  EXPECT_EQ(detect_format(root("folder", {"annotations", "images"}, {}), "val"), "folder");
  EXPECT_EQ(detect_format(root("coco", {"annotations"}, {"annotations/instances_val.json"}), "val"), "coco");
  EXPECT_EQ(detect_format(root("yolo", {"images"}, {"data.yaml"}), "val"), "yolo");
  EXPECT_EQ(detect_format(root("yolo_and_voc", {"Annotations"}, {"data.yaml"}), "val"), "yolo");
  EXPECT_EQ(detect_format(root("coco_and_voc", {"Annotations", "annotations"}, {"annotations/instances_val.json"}), "val"), "coco");
}

TEST(Augmentation, ReproducibleForASeedAndBoxesStayInside) {
  const auto dir = test::temp_dir("augment");
  const auto root = test::make_shapes(dir, 4, 1, 96);
  DetectionDataset ds(test::dataset_options({"voc", {root}, {"train"}}, shapes_classes()));
  TrainAugmentation aug(config::AugmentConfig{}, {123.675, 116.28, 103.53}, {58.395, 57.12, 57.375}, 64, "stretch");
  for (size_t i = 0; i < ds.size(); ++i) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      std::mt19937_64 r1(seed), r2(seed);
      const auto a = aug(ds.load(i), r1), b = aug(ds.load(i), r2);
      EXPECT_TRUE(torch::equal(a.image, b.image));
      EXPECT_TRUE(torch::equal(a.boxes, b.boxes));
      EXPECT_EQ(a.image.sizes(), (std::vector<int64_t>{3, 64, 64}));
      if (a.boxes.numel()) {
        EXPECT_GE(a.boxes.min().item<float>(), 0.f);
        EXPECT_LE(a.boxes.max().item<float>(), 1.f);
        EXPECT_TRUE((a.boxes.select(1, 2) > a.boxes.select(1, 0)).all().item<bool>());
      }
    }
  }
}

TEST(Transforms, FlipAndExpandMoveBoxesWithTheImage) {
  Labeled l;
  l.image = cv::Mat(10, 20, CV_32FC3, cv::Scalar(0, 0, 0));
  l.image(cv::Rect(2, 3, 4, 5)).setTo(cv::Scalar(255, 255, 255));
  l.objects = {{2, 3, 6, 8, 1, false}};
  const auto f = hflip(l);
  EXPECT_EQ(f.objects[0].x1, 14);
  EXPECT_EQ(f.objects[0].x2, 18);
  EXPECT_EQ(f.image.at<cv::Vec3f>(3, 14)[0], 255.f);
  EXPECT_EQ(f.image.at<cv::Vec3f>(3, 13)[0], 0.f);
  const auto e = expand(l, 40, 30, 5, 7, cv::Scalar(9, 9, 9));
  EXPECT_EQ(e.objects[0].x1, 7);
  EXPECT_EQ(e.objects[0].y2, 15);
  EXPECT_EQ(e.image.at<cv::Vec3f>(10, 7)[0], 255.f);
  EXPECT_EQ(e.image.at<cv::Vec3f>(0, 0)[0], 9.f);
  const auto c = crop(l, cv::Rect(3, 0, 10, 10));  // centre (4, 5.5) inside: kept and clipped
  ASSERT_EQ(c.objects.size(), 1u);
  EXPECT_EQ(c.objects[0].x1, 0);
  EXPECT_EQ(c.objects[0].x2, 3);
  EXPECT_TRUE(crop(l, cv::Rect(10, 0, 10, 10)).objects.empty());
}

// The training augmentation's geometry in one pass (resample) against its definition step by step: zoom-out
// canvas, crop, flip, resize. The same boxes; the same pixels up to the 1/32-pixel weights of the one pass and the
// output's edge rows (resize repeats the crop's edge, the one pass reads the pixel beyond it).
TEST(Transforms, ResampleEqualsExpandCropFlipResize) {
  Labeled l;
  l.image = cv::Mat(60, 80, CV_32FC3);
  cv::randu(l.image, 0, 255);
  cv::GaussianBlur(l.image, l.image, cv::Size(5, 5), 1.5);  // photographs are smooth at the pixel scale
  l.objects = {{12, 13, 36, 48, 1, false}, {50, 4, 79, 40, 2, false}};
  const cv::Scalar fill(123.5, 116.25, 103.5);
  const cv::Size canvas(170, 130);
  const int left = 43, top = 29;
  const auto whole = expand(l, canvas.width, canvas.height, left, top, fill);
  for (const cv::Size size : {cv::Size(48, 48), cv::Size(64, 36)})  // a square input and a non-square one
  for (const cv::Rect view : {cv::Rect(30, 20, 100, 80), cv::Rect(0, 0, 170, 130), cv::Rect(50, 35, 40, 30), cv::Rect(100, 60, 70, 70)}) {
    for (const bool flip : {false, true}) {
      Geometry g;
      g.left = left, g.top = top, g.view = view, g.flip = flip, g.fill = fill;
      const auto reference_crop = crop(whole, view);
      const auto reference = resize(flip ? hflip(reference_crop) : reference_crop, size);
      const auto fast = resample(l.image, crop_objects(whole.objects, view), g, size);
      ASSERT_EQ(fast.image.size(), reference.image.size());
      ASSERT_EQ(fast.image.size(), size);
      const cv::Rect inner(1, 1, size.width - 2, size.height - 2);
      cv::Mat diff;
      cv::absdiff(fast.image(inner), reference.image(inner), diff);
      EXPECT_LT(cv::mean(diff.reshape(1))[0], 0.5) << view << " flip " << flip << " size " << size;
      double worst = 0;
      cv::minMaxLoc(diff.reshape(1), nullptr, &worst);
      EXPECT_LT(worst, 6.0) << view << " flip " << flip << " size " << size;
      ASSERT_EQ(fast.objects.size(), reference.objects.size());
      for (size_t k = 0; k < fast.objects.size(); ++k) {
        EXPECT_NEAR(fast.objects[k].x1, reference.objects[k].x1, 1e-4);
        EXPECT_NEAR(fast.objects[k].x2, reference.objects[k].x2, 1e-4);
        EXPECT_NEAR(fast.objects[k].y1, reference.objects[k].y1, 1e-4);
        EXPECT_NEAR(fast.objects[k].y2, reference.objects[k].y2, 1e-4);
      }
    }
  }
}

// Saturation and hue against their definition written out with OpenCV's channel operations (S x factor clipped
// at 1, H + delta wrapped into [0, 360)), with a hue shift that wraps both ways; factor 1 and shift 0 change nothing.
TEST(Transforms, SaturationAndHueFollowTheirHsvDefinition) {
  cv::Mat image(16, 16, CV_32FC3);
  cv::randu(image, 0, 255);
  for (const float delta : {-15.f, 17.f}) {
    cv::Mat hsv;
    cv::cvtColor(image / 255.0, hsv, cv::COLOR_RGB2HSV);
    std::vector<cv::Mat> ch;
    cv::split(hsv, ch);
    ch[1] = cv::min(ch[1] * 1.3, 1.0);
    ch[0] += delta;
    cv::subtract(ch[0], 360.f, ch[0], ch[0] >= 360.f);
    cv::add(ch[0], 360.f, ch[0], ch[0] < 0.f);
    cv::merge(ch, hsv);
    cv::Mat expected;
    cv::cvtColor(hsv, expected, cv::COLOR_HSV2RGB);
    expected *= 255.0;
    cv::Mat adjusted = image.clone();
    adjust_saturation_and_hue(adjusted, 1.3f, delta);
    EXPECT_LT(cv::norm(adjusted, expected, cv::NORM_INF), 0.01) << delta;
    EXPECT_GT(cv::norm(adjusted, image, cv::NORM_INF), 10.0) << delta;  // the adjustment did something
  }
  cv::Mat same = image.clone();
  adjust_saturation_and_hue(same, 1.f, 0.f);
  EXPECT_LT(cv::norm(same, image, cv::NORM_INF), 0.01);
}

}  // namespace
}  // namespace ssd::data
