// A rung's cut: ranked by the first figure that separates the last trial kept from the first one cut beyond its noise
// (paired bootstrap replicates), the validation loss when the mAP does not, and deferred or marked when nothing does.
#include <gtest/gtest.h>

#include <cmath>

#include "ssd/tune/rung_cut.h"

namespace ssd::tune {
namespace {

constexpr int kReplicates = 20;

// Replicates of `value`: paired (the same offset for every trial in replicate r, so their order holds in every one),
// or swinging by +-spread with opposite signs for neighbouring `parity` (their order flips every other replicate).
std::vector<double> replicates(double value, double spread, bool paired, int parity) {
  std::vector<double> out;
  for (int r = 0; r < kReplicates; ++r)
    out.push_back(paired ? value + spread * std::sin(r) : value + spread * ((r + parity) % 2 == 0 ? 1 : -1));
  return out;
}

Trial trial(int64_t id, double map, bool map_paired, double loss, bool loss_paired) {
  Trial t;
  t.id = id;
  RungResult r;
  r.epochs = 1;
  r.measures["val/mAP"] = {map, replicates(map, 0.01, map_paired, static_cast<int>(id))};
  r.measures["val/loss"] = {loss, replicates(loss, 0.05, loss_paired, static_cast<int>(id))};
  t.results.push_back(r);
  return t;
}

const std::vector<size_t> kAll{0, 1, 2, 3};

// Early in a run: the mAPs (0.020 .. 0.017) differ by less than their noise, the losses (1.3 .. 1.0, lowest for
// trial 3) do not. The cut goes by the loss, and keeps trials 3 and 2, not the mAP's 0 and 1.
TEST(RungCut, FallsBackToTheLossWhenTheMapIsNoise) {
  const std::vector<Trial> trials{trial(0, 0.020, false, 1.3, true), trial(1, 0.019, false, 1.2, true), trial(2, 0.018, false, 1.1, true),
                                  trial(3, 0.017, false, 1.0, true)};
  SearchSpace space;  // monitor auto, confidence 0.9, undecided defer
  space.map_floor = 0;  // (the mAP's noise decides here, not its floor: below)
  const auto cut = decide_cut(trials, kAll, 1, 2, space, true);
  EXPECT_EQ(cut.signal, "val/loss");
  EXPECT_EQ(cut.keep, 2u);
  EXPECT_EQ(cut.order, (std::vector<size_t>{3, 2, 1, 0}));
  EXPECT_DOUBLE_EQ(cut.agreement, 1.0);
  EXPECT_TRUE(cut.above_noise);
  EXPECT_FALSE(cut.deferred);
  EXPECT_NE(cut.line.find("above the noise"), std::string::npos) << cut.line;
  EXPECT_NE(cut.line.find("val/mAP did not separate them"), std::string::npos) << cut.line;
  EXPECT_NE(cut.line.find("50%"), std::string::npos) << cut.line;  // trial 1 against trial 2: every other replicate
}

// An mAP that has not moved off zero does not rank, even where it differs beyond its noise on the validation images:
// the last trial kept at 0.03, under map_floor 0.05, so the loss decides.
TEST(RungCut, AnMapBelowItsFloorDoesNotRank) {
  const std::vector<Trial> trials{trial(0, 0.040, true, 1.3, true), trial(1, 0.030, true, 1.2, true), trial(2, 0.020, true, 1.1, true),
                                  trial(3, 0.010, true, 1.0, true)};
  SearchSpace space;
  const auto cut = decide_cut(trials, kAll, 1, 2, space, true);
  EXPECT_EQ(cut.signal, "val/loss");
  EXPECT_EQ(cut.order, (std::vector<size_t>{3, 2, 1, 0}));
  EXPECT_NE(cut.line.find("val/mAP has not moved yet (0.03 for the last trial kept, below map_floor 0.05)"), std::string::npos) << cut.line;
  space.map_floor = 0.02;
  EXPECT_EQ(decide_cut(trials, kAll, 1, 2, space, true).signal, "val/mAP");
  space.map_floor = 0.05, space.monitor = "val/mAP";  // a monitor named outright ranks whatever its level
  EXPECT_EQ(decide_cut(trials, kAll, 1, 2, space, true).signal, "val/mAP");
}

// Once the mAP has moved and separates the trials, it decides (the loss is not consulted).
TEST(RungCut, TheMapDecidesOnceItSeparatesTheTrials) {
  const std::vector<Trial> trials{trial(0, 0.40, true, 1.3, true), trial(1, 0.30, true, 1.2, true), trial(2, 0.20, true, 1.1, true),
                                  trial(3, 0.10, true, 1.0, true)};
  SearchSpace space;
  const auto cut = decide_cut(trials, kAll, 1, 2, space, true);
  EXPECT_EQ(cut.signal, "val/mAP");
  EXPECT_EQ(cut.order, kAll);
  EXPECT_TRUE(cut.above_noise);
  EXPECT_EQ(cut.line.find("did not separate"), std::string::npos) << cut.line;
}

// Neither figure separates them: defer (everyone goes on) or, with undecided cut, a cut marked as a guess.
TEST(RungCut, NoFigureSeparatesThemDeferOrCutMarked) {
  const std::vector<Trial> trials{trial(0, 0.020, false, 1.03, false), trial(1, 0.019, false, 1.02, false),
                                  trial(2, 0.018, false, 1.01, false), trial(3, 0.017, false, 1.00, false)};
  SearchSpace space;
  const auto deferred = decide_cut(trials, kAll, 1, 2, space, true);
  EXPECT_TRUE(deferred.deferred);
  EXPECT_EQ(deferred.keep, 4u);
  EXPECT_NE(deferred.line.find("no cut"), std::string::npos) << deferred.line;
  const auto not_allowed = decide_cut(trials, kAll, 1, 2, space, false);
  EXPECT_FALSE(not_allowed.deferred);
  EXPECT_EQ(not_allowed.keep, 2u);
  space.undecided = "cut";
  const auto guessed = decide_cut(trials, kAll, 1, 2, space, true);
  EXPECT_FALSE(guessed.deferred);
  EXPECT_FALSE(guessed.above_noise);
  EXPECT_EQ(guessed.signal, "val/loss");
  EXPECT_EQ(guessed.order, (std::vector<size_t>{3, 2, 1, 0}));
  EXPECT_NE(guessed.line.find("BELOW the noise"), std::string::npos) << guessed.line;
}

// With one monitor and no replicates (bootstrap 0, or a run that gave only its figure): ranked by it, noise unknown.
TEST(RungCut, WithoutReplicatesTheNoiseIsNotMeasured) {
  std::vector<Trial> trials;
  for (int64_t id = 0; id < 4; ++id) {
    Trial t;
    t.id = id;
    RungResult r;
    r.epochs = 1;
    r.measures["val/mAP"].value = 0.1 * static_cast<double>(id);  // a figure without its resamples
    t.results.push_back(r);
    trials.push_back(t);
  }
  SearchSpace space;
  space.monitor = "val/mAP";
  const auto cut = decide_cut(trials, kAll, 1, 2, space, true);
  EXPECT_EQ(cut.order, (std::vector<size_t>{3, 2, 1, 0}));
  EXPECT_EQ(cut.keep, 2u);
  EXPECT_TRUE(std::isnan(cut.agreement));
  EXPECT_NE(cut.line.find("not measured"), std::string::npos) << cut.line;
}

// A failed trial (no figure) below the boundary: nothing noisy about cutting it.
TEST(RungCut, AFailedTrialIsCutWithoutDoubt) {
  std::vector<Trial> trials{trial(0, 0.020, false, 1.3, false), trial(1, 0.019, false, 1.2, false)};
  trials[1].results[0] = {1, {}};
  trials[1].failure = "the loss is not finite";
  SearchSpace space;
  const auto cut = decide_cut(trials, {0, 1}, 1, 1, space, true);
  EXPECT_EQ(cut.order.front(), 0u);
  EXPECT_DOUBLE_EQ(cut.agreement, 1.0);
  EXPECT_TRUE(cut.above_noise);
}

// The config as given (baseline: search) goes on beside the trials kept until the reported figure, once it has moved,
// beats it beyond its noise: not by the loss (far ahead here), not by an mAP ahead within its noise or below its floor.
TEST(RungCut, TheConfigAsGivenIsCutOnlyByTheMapBeyondItsNoise) {
  auto given = trial(9, 0.30, false, 2.0, true);
  given.given = true;
  SearchSpace space;
  const auto close = decide_config_as_given(given, trial(2, 0.31, false, 1.0, true), 1, space);  // ahead in every other resample
  EXPECT_TRUE(close.goes_on);
  EXPECT_NE(close.line.find("goes on: not beaten by val/mAP beyond its noise (val/mAP 0.31 (trial 2) against 0.3, 50% of the resamples)"),
            std::string::npos) << close.line;
  const auto far = decide_config_as_given(given, trial(3, 0.40, true, 1.0, true), 1, space);
  EXPECT_FALSE(far.goes_on);
  EXPECT_NE(far.line.find("the config as given (trial 9) is cut: the worst kept beats it"), std::string::npos) << far.line;
  const auto early = decide_config_as_given(trial(9, 0.01, true, 2.0, true), trial(3, 0.04, true, 1.0, true), 1, space);
  EXPECT_TRUE(early.goes_on);
  EXPECT_NE(early.line.find("val/mAP has not moved yet"), std::string::npos) << early.line;
  given.failure = "the loss is not finite";
  EXPECT_FALSE(decide_config_as_given(given, trial(2, 0.31, false, 1.0, true), 1, space).goes_on);
}

}  // namespace
}  // namespace ssd::tune
