#include "ssd/data/transforms.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <tuple>

namespace ssd::data {

void adjust_brightness(cv::Mat& image, float delta) { image += cv::Scalar::all(delta); }

void adjust_contrast(cv::Mat& image, float factor) { image *= factor; }

namespace {

// In place: RGB to HSV, the saturation and hue changed, back to RGB. OpenCV's float HSV keeps V in the input's units
// (H in degrees, S in 0..1), so any non-negative scale works.
void turn_in_hsv(cv::Mat& rgb, float saturation_factor, float hue_delta_degrees) {
  cv::cvtColor(rgb, rgb, cv::COLOR_RGB2HSV);
  // One pass over the pixels (split / merge and masked arithmetic were three times the passes).
  float* p = rgb.ptr<float>();
  const size_t n = rgb.total();
  for (size_t i = 0; i < n; ++i, p += 3) {
    float h = p[0] + hue_delta_degrees;
    h = h >= 360.f ? h - 360.f : (h < 0.f ? h + 360.f : h);  // wrap into [0, 360)
    p[0] = h;
    p[1] = std::min(p[1] * saturation_factor, 1.f);
  }
  cv::cvtColor(rgb, rgb, cv::COLOR_HSV2RGB);
}

}  // namespace

void adjust_saturation_and_hue(cv::Mat& image, float saturation_factor, float hue_delta_degrees) {
  CV_Assert(image.type() == CV_32FC3 && image.isContinuous());
  // In 0..1 as ssd.pytorch does it: the scaling changes only the rounding, and is kept so that the paper's
  // augmentation gives what it always gave.
  cv::Mat hsv;
  image.convertTo(hsv, CV_32FC3, 1.0 / 255.0);
  turn_in_hsv(hsv, saturation_factor, hue_delta_degrees);
  hsv.convertTo(image, CV_32FC3, 255.0);
}

void turn_saturation_and_hue(cv::Mat& image, float saturation_factor, float hue_delta_degrees) {
  CV_Assert(image.type() == CV_32FC3 && image.isContinuous());
  turn_in_hsv(image, saturation_factor, hue_delta_degrees);
}

void permute_channels(cv::Mat& image, const std::array<int, 3>& order) {
  std::vector<cv::Mat> ch, out(3);
  cv::split(image, ch);
  for (int c = 0; c < 3; ++c) out[c] = ch[order[c]];
  cv::merge(out, image);
}

Labeled expand(const Labeled& in, int width, int height, int left, int top, const cv::Scalar& fill) {
  Labeled out;
  out.image = cv::Mat(height, width, in.image.type(), fill);
  in.image.copyTo(out.image(cv::Rect(left, top, in.image.cols, in.image.rows)));
  out.objects = in.objects;
  for (auto& o : out.objects) {
    o.x1 += left, o.x2 += left;
    o.y1 += top, o.y2 += top;
  }
  return out;
}

Labeled crop(const Labeled& in, const cv::Rect& r) {
  Labeled out;
  out.image = in.image(r).clone();
  out.objects = crop_objects(in.objects, r);
  return out;
}

std::vector<Object> crop_objects(const std::vector<Object>& objects, const cv::Rect& r) {
  std::vector<Object> out;
  for (auto o : objects) {
    const float cx = (o.x1 + o.x2) / 2, cy = (o.y1 + o.y2) / 2;
    if (cx <= r.x || cx >= r.x + r.width || cy <= r.y || cy >= r.y + r.height) continue;
    o.x1 = std::max(o.x1, static_cast<float>(r.x)) - r.x;
    o.y1 = std::max(o.y1, static_cast<float>(r.y)) - r.y;
    o.x2 = std::min(o.x2, static_cast<float>(r.x + r.width)) - r.x;
    o.y2 = std::min(o.y2, static_cast<float>(r.y + r.height)) - r.y;
    out.push_back(o);
  }
  return out;
}

Labeled resample(const cv::Mat& image, std::vector<Object> objects, const Geometry& g, cv::Size size) {
  const double sx = static_cast<double>(g.view.width) / size.width, sy = static_cast<double>(g.view.height) / size.height;
  // Output pixel u samples view coordinate (u + 0.5) sx - 0.5 (cv::resize's convention); a flip mirrors it to
  // width - 1 - that; the view's origin on the canvas and the image's place on it turn that into image pixels.
  const double x0 = g.view.x - g.left, y0 = g.view.y - g.top;
  const double a = g.flip ? -sx : sx;
  const double b = g.flip ? g.view.width - 0.5 - 0.5 * sx + x0 : 0.5 * sx - 0.5 + x0;
  const cv::Matx23d to_source(a, 0, b, 0, sy, 0.5 * sy - 0.5 + y0);
  Labeled out;
  cv::warpAffine(image, out.image, to_source, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                 g.fill);
  const float w = static_cast<float>(g.view.width);
  const float kx = static_cast<float>(size.width / static_cast<double>(g.view.width));
  const float ky = static_cast<float>(size.height / static_cast<double>(g.view.height));
  for (auto& o : objects) {
    float x1 = o.x1, x2 = o.x2;
    if (g.flip) std::tie(x1, x2) = std::make_pair(w - x2, w - x1);
    o.x1 = x1 * kx, o.x2 = x2 * kx;
    o.y1 *= ky, o.y2 *= ky;
  }
  out.objects = std::move(objects);
  return out;
}

Labeled hflip(const Labeled& in) {
  Labeled out;
  cv::flip(in.image, out.image, 1);
  const float w = static_cast<float>(in.image.cols);
  out.objects = in.objects;
  for (auto& o : out.objects) {
    const float x1 = w - o.x2, x2 = w - o.x1;
    o.x1 = x1, o.x2 = x2;
  }
  return out;
}

Labeled resize(const Labeled& in, cv::Size size) {
  Labeled out;
  cv::resize(in.image, out.image, size, 0, 0, cv::INTER_LINEAR);
  const float sx = static_cast<float>(size.width) / in.image.cols, sy = static_cast<float>(size.height) / in.image.rows;
  out.objects = in.objects;
  for (auto& o : out.objects) {
    o.x1 *= sx, o.x2 *= sx;
    o.y1 *= sy, o.y2 *= sy;
  }
  return out;
}

at::Tensor to_normalized_tensor(const cv::Mat& image, const std::vector<double>& mean, const std::vector<double>& std) {
  // Written plane by plane with OpenCV straight into the tensor's memory: no ATen kernels here, because
  // this runs in loader threads, where ATen's OpenMP regions would oversubscribe the cores.
  auto out = at::empty({3, image.rows, image.cols}, at::kFloat);
  std::vector<cv::Mat> planes;
  for (int c = 0; c < 3; ++c) planes.emplace_back(image.rows, image.cols, CV_32FC1, out.data_ptr<float>() + c * image.rows * image.cols);
  cv::Mat f;
  image.convertTo(f, CV_32FC3);
  cv::split(f, planes);  // writes into the tensor: the planes share its memory
  for (int c = 0; c < 3; ++c) planes[c].convertTo(planes[c], CV_32FC1, 1.0 / std[c], -mean[c] / std[c]);
  return out;
}

std::pair<at::Tensor, at::Tensor> normalized_targets(const std::vector<Object>& objects, int width, int height) {
  auto boxes = at::empty({static_cast<int64_t>(objects.size()), 4}, at::kFloat);
  auto labels = at::empty({static_cast<int64_t>(objects.size())}, at::kLong);
  auto b = boxes.accessor<float, 2>();
  auto l = labels.accessor<int64_t, 1>();
  for (size_t i = 0; i < objects.size(); ++i) {
    b[i][0] = objects[i].x1 / width;
    b[i][1] = objects[i].y1 / height;
    b[i][2] = objects[i].x2 / width;
    b[i][3] = objects[i].y2 / height;
    l[i] = objects[i].label;
  }
  return {boxes, labels};
}

}  // namespace ssd::data
