#include "ssd/data/input_fit.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "ssd/util/check.h"

namespace ssd::data {

const std::vector<std::string>& resize_policies() {
  static const std::vector<std::string> policies = {"stretch", "letterbox", "smallest_side"};
  return policies;
}

InputPlacement place_in_input(cv::Size image, cv::Size input, const std::string& policy) {
  SSD_CHECK(image.width > 0 && image.height > 0, "place_in_input: empty image");
  InputPlacement p;
  const double fx = static_cast<double>(input.width) / image.width, fy = static_cast<double>(input.height) / image.height;
  if (policy == "stretch") {
    p.resized = input;
  } else {
    SSD_CHECK(policy == "letterbox" || policy == "smallest_side", "place_in_input: unknown policy ", policy);
    const double f = policy == "letterbox" ? std::min(fx, fy) : std::max(fx, fy);
    // The side that decides is the input's exactly; the other is rounded (at least a pixel).
    p.resized = cv::Size(std::max(1, static_cast<int>(std::lround(image.width * f))), std::max(1, static_cast<int>(std::lround(image.height * f))));
    if (f == fx) p.resized.width = input.width;
    if (f == fy) p.resized.height = input.height;
  }
  // The scale is the one the resize applies (its size over the image's), the offset centres it: padding (letterbox)
  // or cutting (smallest_side) split evenly, the odd pixel after.
  p.sx = static_cast<double>(p.resized.width) / image.width, p.sy = static_cast<double>(p.resized.height) / image.height;
  p.ox = (input.width - p.resized.width) / 2, p.oy = (input.height - p.resized.height) / 2;
  return p;
}

Labeled fit_to_input(const Labeled& in, cv::Size input, const std::string& policy, const cv::Scalar& fill) {
  if (policy == "stretch") return resize(in, input);
  const auto p = place_in_input(in.image.size(), input, policy);
  cv::Mat scaled = in.image;
  if (p.resized != in.image.size()) cv::resize(in.image, scaled, p.resized, 0, 0, cv::INTER_LINEAR);
  const auto ox = static_cast<int>(p.ox), oy = static_cast<int>(p.oy);
  Labeled out;
  if (policy == "letterbox") {
    out.image = cv::Mat(input, in.image.type(), fill);
    scaled.copyTo(out.image(cv::Rect(cv::Point(ox, oy), p.resized)));
  } else {
    out.image = scaled(cv::Rect(-ox, -oy, input.width, input.height)).clone();
  }
  out.objects = fit_objects(in.objects, in.image.size(), input, policy);
  return out;
}

std::vector<Object> fit_objects(std::vector<Object> objects, cv::Size image, cv::Size input, const std::string& policy) {
  const auto p = place_in_input(image, input, policy);
  // The factors resize() applies, in float as there.
  const auto sx = static_cast<float>(p.resized.width) / static_cast<float>(image.width);
  const auto sy = static_cast<float>(p.resized.height) / static_cast<float>(image.height);
  for (auto& o : objects) o.x1 *= sx, o.x2 *= sx, o.y1 *= sy, o.y2 *= sy;
  const auto ox = static_cast<int>(p.ox), oy = static_cast<int>(p.oy);
  if (policy == "smallest_side") return crop_objects(objects, cv::Rect(-ox, -oy, input.width, input.height));
  for (auto& o : objects) o.x1 += static_cast<float>(ox), o.x2 += static_cast<float>(ox), o.y1 += static_cast<float>(oy), o.y2 += static_cast<float>(oy);
  return objects;
}

at::Tensor input_boxes_to_image(const at::Tensor& boxes, cv::Size image, cv::Size input, const std::string& policy) {
  if (policy == "stretch") return boxes;
  const auto p = place_in_input(image, input, policy);
  // x in the image's [0, 1] = (x in the input's [0, 1] * input width - ox) / sx / image width.
  const auto scale = at::tensor({input.width / p.sx / image.width, input.height / p.sy / image.height, input.width / p.sx / image.width,
                                 input.height / p.sy / image.height},
                                at::kDouble);
  const auto shift = at::tensor({-p.ox / p.sx / image.width, -p.oy / p.sy / image.height, -p.ox / p.sx / image.width,
                                 -p.oy / p.sy / image.height},
                                at::kDouble);
  return (boxes.to(at::kCPU, at::kDouble) * scale + shift).clamp(0.0, 1.0).to(at::kFloat);
}

}  // namespace ssd::data
