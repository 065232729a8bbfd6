#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ssd/config/load.h"
#include "ssd/util/error.h"
#include "test_support.h"

namespace ssd::config {
namespace {

using test::thrown_message;

TEST(Config, EmptyTextGivesDefaults) {
  const Config c = load_config_text("", "empty.yaml");
  EXPECT_EQ(c.model.backbone, "vgg16");
  EXPECT_EQ(c.model.image_size, 300);
  EXPECT_EQ(c.data.classes.size(), 20u);
  EXPECT_DOUBLE_EQ(c.postprocess.nms_iou, 0.45);
}

TEST(Config, ReadsNestedValues) {
  const Config c = load_config_text(
      "model:\n  backbone: mobilenet_v2\n  image_size: 320\n  priors:\n    aspect_ratios: [[2], [2, 3]]\n"
      "data:\n  classes: [circle, square]\n",
      "x.yaml");
  EXPECT_EQ(c.model.backbone, "mobilenet_v2");
  EXPECT_EQ(c.model.image_size, 320);
  ASSERT_EQ(c.model.priors.aspect_ratios.size(), 2u);
  EXPECT_EQ(c.model.priors.aspect_ratios[1], (std::vector<double>{2, 3}));
  EXPECT_EQ(c.data.classes, (std::vector<std::string>{"circle", "square"}));
}

TEST(Config, UnknownKeyNamesFileLineKeyAndSuggestion) {
  const std::string msg = thrown_message<ConfigError>(
      [] { load_config_text("model:\n  image_size: 300\n  backbon: vgg16\n", "cfg.yaml"); });
  EXPECT_EQ(msg,
            "cfg.yaml:3:3: model.backbon: unknown key (did you mean 'model.backbone'?); every key is listed in "
            "docs/config.md");
}

TEST(Config, UnknownSectionSuggestsSection) {
  const std::string msg = thrown_message<ConfigError>([] { load_config_text("modle:\n  image_size: 300\n", "c.yaml"); });
  EXPECT_NE(msg.find("c.yaml:1:1: modle: unknown key (did you mean 'model'?)"), std::string::npos) << msg;
}

TEST(Config, WrongTypeNamesPathAndExpectedType) {
  const std::string msg = thrown_message<ConfigError>([] { load_config_text("model:\n  image_size: big\n", "c.yaml"); });
  EXPECT_EQ(msg, "c.yaml:2:15: model.image_size: expected an integer, got 'big'");
  const std::string list_msg =
      thrown_message<ConfigError>([] { load_config_text("model:\n  variances: 0.1\n", "c.yaml"); });
  EXPECT_EQ(list_msg, "c.yaml:2:14: model.variances: expected a list of numbers, got '0.1'");
}

TEST(Config, OutOfRangeNamesAllowedValues) {
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("postprocess:\n  nms_iou: 1.5\n", "c.yaml"); }),
            "c.yaml:2:12: postprocess.nms_iou: value 1.5 is not allowed: expected in [0, 1]");
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("model:\n  priors:\n    preset: ssd600\n", "c.yaml"); }),
            "c.yaml:3:13: model.priors.preset: value ssd600 is not allowed: expected one of auto, ssd300, ssd512, torchvision, scales");
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("runtime:\n  device: gpu\n", "c.yaml"); }),
            "c.yaml:2:11: runtime.device: value gpu is not allowed: expected auto, cpu, cuda or cuda:N");
}

TEST(Config, SyntaxErrorNamesLine) {
  const std::string msg = thrown_message<ConfigError>([] { load_config_text("model:\n  image_size: [300\n", "c.yaml"); });
  EXPECT_EQ(msg.rfind("c.yaml:", 0), 0u) << msg;
  EXPECT_NE(msg.find("YAML syntax error"), std::string::npos) << msg;
}

// Mistakes a campaign of hostile configs found accepted silently or reported without their place.
TEST(Config, DuplicateKeysTabsPluginNamesAndHugeRunsAreNamed) {
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("model:\n  image_size: 300\n  image_size: 512\n", "c.yaml"); }),
            "c.yaml:3:3: model.image_size: given twice (first at line 2); merge the two into one");
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("model:\n  image_size: 300\ntrain:\n  epochs: 3\nmodel:\n  width_mult: 0.5\n", "c.yaml"); }),
            "c.yaml:5:1: model: given twice (first at line 1); merge the two into one");
  const std::string tab = thrown_message<ConfigError>([] { load_config_text("model:\n\timage_size: 300\n", "c.yaml"); });
  EXPECT_NE(tab.find("(line 2 is indented with a tab: YAML indents with spaces only)"), std::string::npos) << tab;
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("model:\n  backbone: resnet50\n", "c.yaml"); }),
            "c.yaml:2:13: model.backbone: value resnet50 is not allowed: expected one of vgg16, mobilenet_v2, mobilenet_v3_large, "
            "mobilenet_v3_large_full_tail");
  const std::string schedule = thrown_message<ConfigError>([] { load_config_text("schedule:\n  name: cosin\n", "c.yaml"); });
  EXPECT_EQ(schedule.rfind("c.yaml:2:9: schedule.name: value cosin is not allowed: expected one of constant,", 0), 0u) << schedule;
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("train:\n  epochs: 9223372036854775807\n", "c.yaml"); }),
            "c.yaml:2:11: train.epochs: value 9223372036854775807 is not allowed: expected in [1, 10000000]");
  EXPECT_EQ(load_config_text("model:\n  head: auto\nloss:\n  name: focal\n", "c.yaml").loss.name, "focal");
}

// YAML aliases that would expand exponentially (a "billion laughs" document) are never expanded: each value is read
// as the type its key takes, and the first element that is not one ends the load.
TEST(Config, AnAliasBombIsRefusedWithoutExpandingIt) {
  std::string bomb = "[&l0 lol";
  for (int i = 1; i <= 12; ++i) {
    bomb += ", &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += std::string(k ? ", " : "") + "*l" + std::to_string(i - 1);
    bomb += "]";
  }
  bomb += "]";
  const auto classes = thrown_message<ConfigError>([&] { load_config_text("data:\n  classes: " + bomb + "\n", "c.yaml"); });
  EXPECT_EQ(classes, "c.yaml:2:22: data.classes: expected a string, got a list");
  const auto ratios = thrown_message<ConfigError>([&] { load_config_text("model:\n  priors:\n    aspect_ratios: " + bomb + "\n", "c.yaml"); });
  EXPECT_EQ(ratios, "c.yaml:3:21: model.priors.aspect_ratios: expected a list of numbers, got 'lol'");
  const auto unknown = thrown_message<ConfigError>([&] { load_config_text("lol: " + bomb + "\n", "c.yaml"); });
  EXPECT_EQ(unknown.rfind("c.yaml:1:1: lol: unknown key", 0), 0u) << unknown;
}

TEST(Config, SetOverridesAnyKey) {
  const Config c = load_config_text("model:\n  image_size: 300\n", "c.yaml",
                                    {"model.image_size=512", "model.priors.steps=[8, 16]", "data.classes=[a, b, c]",
                                     "runtime.device=cpu"});
  EXPECT_EQ(c.model.image_size, 512);
  EXPECT_EQ(c.model.priors.steps, (std::vector<double>{8, 16}));
  EXPECT_EQ(c.data.classes.size(), 3u);
  EXPECT_EQ(c.runtime.device, "cpu");
}

TEST(Config, SetErrorsNameTheOverride) {
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("", "c.yaml", {"model.imagesize=512"}); }),
            "--set model.imagesize=512: model.imagesize: unknown key (did you mean 'model.image_size'?); every key is "
            "listed in docs/config.md");
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("", "c.yaml", {"model.image_size"}); }),
            "--set model.image_size: expected key=value, for example --set model.image_size=512");
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("", "c.yaml", {"model.image_size=3"}); }),
            "--set model.image_size=3: model.image_size: value 3 is not allowed: expected sides in [32, 4096]");
}

// model.image_size: an integer is a square and prints as one (every stored config reads and prints as before);
// [width, height] is any rectangle and prints as that list.
TEST(Config, ImageSizeIsASideOrWidthAndHeight) {
  const Config square = load_config_text("model:\n  image_size: 512\n", "c.yaml");
  EXPECT_EQ(square.model.image_size, config::ImageSize(512, 512));
  EXPECT_NE(to_yaml(square).find("  image_size: 512\n"), std::string::npos);
  const Config wide = load_config_text("model:\n  image_size: [960, 544]\n", "c.yaml");
  EXPECT_EQ(wide.model.image_size.width, 960);
  EXPECT_EQ(wide.model.image_size.height, 544);
  EXPECT_EQ(load_config_text(to_yaml(wide), "again.yaml").model.image_size, wide.model.image_size);
  EXPECT_EQ(load_config_text("", "c.yaml", {"model.image_size=[320, 192]"}).model.image_size, config::ImageSize(320, 192));
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("model:\n  image_size: [960, 544, 3]\n", "c.yaml"); }),
            "c.yaml:2:15: model.image_size: expected an integer or [width, height], got a list");
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config_text("model:\n  image_size: [960, 16]\n", "c.yaml"); }),
            "c.yaml:2:15: model.image_size: value [960, 16] is not allowed: expected sides in [32, 4096]");
}

TEST(Config, CrossFieldValidation) {
  EXPECT_NE(thrown_message<ConfigError>([] { load_config_text("model:\n  priors:\n    s_min: 0.9\n    s_max: 0.5\n", "c.yaml"); })
                .find("model.priors.s_min"),
            std::string::npos);
}

TEST(Config, MissingFileIsAConfigError) {
  EXPECT_EQ(thrown_message<ConfigError>([] { load_config("/nonexistent/cfg.yaml"); }),
            "/nonexistent/cfg.yaml: cannot open config file");
}

TEST(Config, PrintedConfigLoadsBackToTheSameValues) {
  Config c = load_config_text("", "c.yaml",
                              {"model.width_mult=0.35", "model.priors.aspect_ratios=[[2], [2, 3.5]]",
                               "data.classes=[\"a b\", 'yes', '1']", "loss.focal_alpha=0.1"});
  const std::string yaml = to_yaml(c);
  const Config back = load_config_text(yaml, "printed.yaml");
  EXPECT_EQ(to_yaml(back), yaml);
  EXPECT_DOUBLE_EQ(back.model.width_mult, 0.35);
  EXPECT_EQ(back.data.classes, (std::vector<std::string>{"a b", "yes", "1"}));
  EXPECT_EQ(back.model.priors.aspect_ratios[1], (std::vector<double>{2, 3.5}));
}

TEST(Config, ReferenceDocIsInStepWithTheCode) {
  const std::string path = std::string(SSD_SOURCE_DIR) + "/docs/config.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), reference_markdown())
      << "docs/config.md is out of date: run ./build/ssd-train --config-reference > docs/config.md";
}

// A key set away from its default that the chosen plug-ins do not read is named with the reason; the defaults, and a
// key that is read, are not; a key the tuner's sequential schedule may read is not either.
TEST(Config, UnusedSettingsAreNamedWithTheReason) {
  EXPECT_TRUE(unused_settings(load_config_text("", "empty.yaml")).empty());
  const Config c = load_config_text("augment:\n  pipeline: [hflip]\n  hflip: {p: 0.3}\n  hue: {degrees: 30}\n  flip_prob: 0.2\n"
                                    "schedule:\n  name: multistep\n  cosine: {eta_min: 0.01}\n  multistep: {fractions: [0.5]}\n"
                                    "solver:\n  optimizer: sgd\n  lion_betas: [0.9, 0.95]\n",
                                    "c.yaml");
  const auto unused = unused_settings(c);
  ASSERT_EQ(unused.size(), 4u) << ::testing::PrintToString(unused);
  auto named = [&](const std::string& start) {
    return std::any_of(unused.begin(), unused.end(), [&](const std::string& line) { return line.rfind(start, 0) == 0; });
  };
  EXPECT_TRUE(named("augment.flip_prob: 0.2 has no effect: augment.pipeline is set"));
  EXPECT_TRUE(named("augment.hue.degrees: 30.0 has no effect: hue is not in augment.pipeline"));
  EXPECT_TRUE(named("schedule.cosine.eta_min: 0.01 has no effect: schedule.name is multistep, not cosine"));
  EXPECT_TRUE(named("solver.lion_betas: [0.9, 0.95] has no effect: solver.optimizer is sgd, not lion"));
  EXPECT_TRUE(unused_settings(load_config_text("schedule:\n  name: sequential\n  cosine: {eta_min: 0.01}\n", "s.yaml")).empty());
}

TEST(Config, ShippedConfigsLoad) {
  for (const char* name : {"voc_ssd300_vgg16.yaml", "voc_ssd512_vgg16.yaml", "voc_ssdlite_mobilenet_v2.yaml"}) {
    SCOPED_TRACE(name);
    EXPECT_NO_THROW(load_config(std::string(SSD_SOURCE_DIR) + "/configs/" + name));
  }
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SSD_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".yaml" || entry.path().stem().string().rfind("tune_", 0) == 0) continue;  // tune_*: a search space
    EXPECT_EQ(unused_settings(load_config(entry.path().string())), std::vector<std::string>{}) << entry.path();
  }
}

}  // namespace
}  // namespace ssd::config
