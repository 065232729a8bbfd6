// Early stopping with Keras EarlyStopping semantics on scripted metric sequences.
#include <gtest/gtest.h>

#include "ssd/engine/early_stopping.h"
#include "ssd/util/error.h"

namespace ssd::engine {
namespace {

TEST(EarlyStopping, StopsAfterPatienceEvaluationsWithoutImprovement) {
  config::EarlyStopConfig c;
  c.patience = 3, c.monitor = "val/mAP", c.min_delta = 0.01;
  EarlyStopping stop(c);
  EXPECT_TRUE(stop.maximise());
  // 0.41 is not an improvement on 0.40 with min_delta 0.01 (0.41 - 0.01 > 0.40 is false).
  const std::vector<double> maps = {0.30, 0.40, 0.405, 0.41, 0.409};
  const std::vector<bool> expected = {false, false, false, false, true};
  for (size_t i = 0; i < maps.size(); ++i) {
    bool improved = false;
    EXPECT_EQ(stop.update({{"val/mAP", maps[i]}}, &improved), expected[i]) << i;
    if (i < 2) {
      EXPECT_TRUE(improved);
    } else if (i == 2) {
      EXPECT_FALSE(improved);  // +0.005 is below min_delta
    }
  }
  EXPECT_DOUBLE_EQ(stop.best(), 0.40);
  EXPECT_NE(stop.reason().find("val/mAP"), std::string::npos);
}

TEST(EarlyStopping, MinModeForLossAndBaseline) {
  config::EarlyStopConfig c;
  c.patience = 2, c.monitor = "val/loss", c.baseline = {1.0};
  EarlyStopping stop(c);
  EXPECT_FALSE(stop.maximise());
  EXPECT_FALSE(stop.update({{"val/loss", 1.5}}));  // a new best, but not below the baseline: wait still grows
  EXPECT_TRUE(stop.update({{"val/loss", 1.4}}));
  EarlyStopping again(c);
  EXPECT_FALSE(again.update({{"val/loss", 0.9}}));
  EXPECT_FALSE(again.update({{"val/loss", 0.95}}));
  EXPECT_TRUE(again.update({{"val/loss", 0.95}}));
}

TEST(EarlyStopping, StateRoundTripAndDisabledByDefault) {
  config::EarlyStopConfig c;
  EXPECT_FALSE(EarlyStopping(c).enabled());
  c.patience = 2;
  EarlyStopping a(c);
  a.update({{"val/mAP", 0.5}});
  a.update({{"val/mAP", 0.4}});
  EarlyStopping b(c);
  b.load_state(a.state());
  EXPECT_EQ(b.wait(), 1);
  EXPECT_DOUBLE_EQ(b.best(), 0.5);
  EXPECT_TRUE(b.update({{"val/mAP", 0.45}}));
  EXPECT_THROW(b.load_state("nonsense"), CheckpointError);
}

}  // namespace
}  // namespace ssd::engine
