// Photometric steps: colour, blur, noise, contrast equalisation, gray and compression. They change pixels only; the
// boxes stay. Values are clipped to 0..255 after each step.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "ssd/data/augment_steps/step.h"

namespace ssd::data::augment_steps {

namespace {

using config::plugin_key;

constexpr const char* kConsumer = "data::augment_steps (photometric)";

// In place: no temporary image.
void clip_pixels(cv::Mat& image) {
  cv::max(image, 0.0, image);
  cv::min(image, 255.0, image);
}

void turn_hsv(cv::Mat& image, float saturation, float degrees) {
  cv::max(image, 0.0, image);  // HSV needs non-negative values
  turn_saturation_and_hue(image, saturation, degrees);
}


// One photometric step: its parameters P (with p) and what it does to the image.
template <typename P>
class PixelStep : public Step {
 public:
  using Apply = void (*)(cv::Mat& image, const P& params, std::mt19937_64& rng);
  PixelStep(const P& params, Apply apply) : Step(params.p), params_(params), apply_(apply) {}
  void apply(Labeled& s, std::mt19937_64& rng) const override {
    apply_(s.image, params_, rng);
    clip_pixels(s.image);
  }

 private:
  P params_;
  Apply apply_;
};

template <typename P>
StepEntry pixel_entry(const char* name, const char* description, typename PixelStep<P>::Apply apply, std::vector<config::PluginKey> own) {
  std::vector<config::PluginKey> keys{plugin_key(name, std::string("augment.") + name + ".p", &P::p, config::in_range(0.0, 1.0), kConsumer,
                                                 std::string(name) + ": probability.")};
  keys.insert(keys.end(), own.begin(), own.end());
  return {name, description,
          [name, apply](const config::PluginParams& params, const Context&) -> std::unique_ptr<Step> {
            return std::make_unique<PixelStep<P>>(params.get<P>(name), apply);
          },
          keys};
}

struct BrightnessParams {
  double p = 0.5;
  double delta = 32;
};
struct FactorParams {  // contrast, saturation
  double p = 0.5;
  std::vector<double> range = {0.5, 1.5};
};
struct HueParams {
  double p = 0.5;
  double degrees = 18;
};
struct PlainParams {  // channel_shuffle, to_gray
  double p = 0.1;
};
struct BlurParams {
  double p = 0.1;
  std::vector<double> sigma = {0.1, 2.0};
};
struct MotionBlurParams {
  double p = 0.1;
  std::vector<double> length = {3, 9};
};
struct NoiseParams {
  double p = 0.1;
  std::vector<double> std = {5, 20};
};
struct ClaheParams {
  double p = 0.1;
  double clip_limit = 2.0;
  int64_t grid = 8;
};
struct JpegParams {
  double p = 0.1;
  std::vector<double> quality = {30, 95};
};

std::vector<StepEntry> entries() {
  std::vector<StepEntry> out;
  out.push_back(pixel_entry<BrightnessParams>(
      "brightness", "adds a value drawn from [-delta, delta] to every channel",
      [](cv::Mat& image, const BrightnessParams& p, std::mt19937_64& rng) {
        adjust_brightness(image, static_cast<float>(uniform(rng, -p.delta, p.delta)));
      },
      {plugin_key("brightness", "augment.brightness.delta", &BrightnessParams::delta, config::in_range(0.0, 255.0), kConsumer,
                  "brightness: largest change, in 0..255 units.")}));
  out.push_back(pixel_entry<FactorParams>(
      "contrast", "multiplies every channel by a factor drawn from range",
      [](cv::Mat& image, const FactorParams& p, std::mt19937_64& rng) { adjust_contrast(image, static_cast<float>(draw(rng, p.range))); },
      {plugin_key("contrast", "augment.contrast.range", &FactorParams::range, config::interval_within(0.0, 10.0), kConsumer,
                  "contrast: the factor, drawn uniformly.")}));
  out.push_back(pixel_entry<FactorParams>(
      "saturation", "multiplies the HSV saturation by a factor drawn from range",
      [](cv::Mat& image, const FactorParams& p, std::mt19937_64& rng) { turn_hsv(image, static_cast<float>(draw(rng, p.range)), 0.f); },
      {plugin_key("saturation", "augment.saturation.range", &FactorParams::range, config::interval_within(0.0, 10.0), kConsumer,
                  "saturation: the factor, drawn uniformly.")}));
  out.push_back(pixel_entry<HueParams>(
      "hue", "turns the hue by an angle drawn from [-degrees, degrees]",
      [](cv::Mat& image, const HueParams& p, std::mt19937_64& rng) {
        turn_hsv(image, 1.f, static_cast<float>(uniform(rng, -p.degrees, p.degrees)));
      },
      {plugin_key("hue", "augment.hue.degrees", &HueParams::degrees, config::in_range(0.0, 180.0), kConsumer,
                  "hue: largest turn in degrees.")}));
  out.push_back(pixel_entry<PlainParams>(
      "channel_shuffle", "the RGB channels in a random order",
      [](cv::Mat& image, const PlainParams&, std::mt19937_64& rng) {
        std::array<int, 3> order = {0, 1, 2};
        std::shuffle(order.begin(), order.end(), rng);
        permute_channels(image, order);
      },
      {}));
  out.push_back(pixel_entry<BlurParams>(
      "gaussian_blur", "Gaussian blur with sigma drawn from sigma (the kernel 3 sigma each side)",
      [](cv::Mat& image, const BlurParams& p, std::mt19937_64& rng) {
        const double sigma = draw(rng, p.sigma);
        cv::GaussianBlur(image, image, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT_101);
      },
      {plugin_key("gaussian_blur", "augment.gaussian_blur.sigma", &BlurParams::sigma, config::interval_within(0.01, 50.0), kConsumer,
                  "gaussian_blur: sigma in pixels, drawn uniformly.")}));
  out.push_back(pixel_entry<MotionBlurParams>(
      "motion_blur", "a straight smear of a length drawn from length pixels at a random angle",
      [](cv::Mat& image, const MotionBlurParams& p, std::mt19937_64& rng) {
        const int length = std::max(1, static_cast<int>(std::lround(draw(rng, p.length))));
        const double angle = uniform(rng, 0, M_PI);
        const int side = length % 2 ? length : length + 1;
        cv::Mat kernel = cv::Mat::zeros(side, side, CV_32F);
        // A line through the kernel's centre element, (side - 1) / 2, so that the smear does not shift the image.
        const double c = (side - 1) / 2.0, dx = std::cos(angle) * (length - 1) / 2.0, dy = std::sin(angle) * (length - 1) / 2.0;
        cv::line(kernel, cv::Point(cvRound(c - dx), cvRound(c - dy)), cv::Point(cvRound(c + dx), cvRound(c + dy)), cv::Scalar(1.0), 1,
                 cv::LINE_8);
        kernel /= cv::sum(kernel)[0];
        cv::filter2D(image, image, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
      },
      {plugin_key("motion_blur", "augment.motion_blur.length", &MotionBlurParams::length, config::interval_within(1.0, 101.0), kConsumer,
                  "motion_blur: length of the smear in pixels, drawn uniformly.")}));
  out.push_back(pixel_entry<NoiseParams>(
      "gaussian_noise", "adds Gaussian noise of a standard deviation drawn from std (0..255 units) to every pixel",
      [](cv::Mat& image, const NoiseParams& p, std::mt19937_64& rng) {
        cv::Mat noise(image.size(), image.type());
        cv::RNG generator(rng());  // seeded from the sample's generator: reproducible
        const double sd = draw(rng, p.std);
        generator.fill(noise, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(sd));
        image += noise;
      },
      {plugin_key("gaussian_noise", "augment.gaussian_noise.std", &NoiseParams::std, config::interval_within(0.0, 255.0), kConsumer,
                  "gaussian_noise: standard deviation in 0..255 units, drawn uniformly.")}));
  out.push_back(pixel_entry<ClaheParams>(
      "clahe", "contrast-limited adaptive histogram equalisation of the lightness (CIE Lab L)",
      [](cv::Mat& image, const ClaheParams& p, std::mt19937_64&) {
        cv::Mat bytes, lab;
        image.convertTo(bytes, CV_8UC3);
        cv::cvtColor(bytes, lab, cv::COLOR_RGB2Lab);
        std::vector<cv::Mat> channels;
        cv::split(lab, channels);
        const auto grid = static_cast<int>(p.grid);
        cv::createCLAHE(p.clip_limit, cv::Size(grid, grid))->apply(channels[0], channels[0]);
        cv::merge(channels, lab);
        cv::cvtColor(lab, bytes, cv::COLOR_Lab2RGB);
        bytes.convertTo(image, CV_32FC3);
      },
      {plugin_key("clahe", "augment.clahe.clip_limit", &ClaheParams::clip_limit, config::in_range(0.1, 100.0), kConsumer,
                  "clahe: contrast limit of each tile's histogram."),
       plugin_key("clahe", "augment.clahe.grid", &ClaheParams::grid, config::in_range<int64_t>(1, 64), kConsumer,
                  "clahe: tiles per side.")}));
  out.push_back(pixel_entry<PlainParams>(
      "to_gray", "gray (ITU-R BT.601 luma) in all three channels",
      [](cv::Mat& image, const PlainParams&, std::mt19937_64&) {
        cv::Mat gray;
        cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
        cv::cvtColor(gray, image, cv::COLOR_GRAY2RGB);
      },
      {}));
  out.push_back(pixel_entry<JpegParams>(
      "jpeg", "JPEG compression at a quality drawn from quality, decoded back",
      [](cv::Mat& image, const JpegParams& p, std::mt19937_64& rng) {
        const int quality = static_cast<int>(std::lround(draw(rng, p.quality)));
        cv::Mat bytes;
        image.convertTo(bytes, CV_8UC3);                // saturates to 0..255
        cv::cvtColor(bytes, bytes, cv::COLOR_RGB2BGR);  // the codec's colour transform expects BGR
        std::vector<uchar> encoded;
        cv::imencode(".jpg", bytes, encoded, {cv::IMWRITE_JPEG_QUALITY, quality});
        bytes = cv::imdecode(encoded, cv::IMREAD_COLOR);
        cv::cvtColor(bytes, bytes, cv::COLOR_BGR2RGB);
        bytes.convertTo(image, CV_32FC3);
      },
      {plugin_key("jpeg", "augment.jpeg.quality", &JpegParams::quality, config::interval_within(1.0, 100.0), kConsumer,
                  "jpeg: quality 1..100, drawn uniformly.")}));
  return out;
}

}  // namespace

std::vector<StepEntry> photometric_steps() { return entries(); }

}  // namespace ssd::data::augment_steps
