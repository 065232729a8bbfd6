#include "ssd/data/shapes.h"

#include <tinyxml2.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::data {

std::vector<std::string> shapes_classes(int count) {
  std::vector<std::string> all = {"circle", "square", "triangle", "star", "diamond", "cross",
                                  "hexagon", "ring", "pentagon", "arrow", "crescent", "heart"};
  if (count != 4 && count != 12) throw ConfigError("--classes: 4 or 12, got " + std::to_string(count));
  all.resize(static_cast<size_t>(count));
  return all;
}

namespace {

struct Placed {
  int label;  // index into shapes_classes()
  cv::Rect box;
};

cv::Mat background(int width, int height, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  cv::Mat img(height, width, CV_32FC3);
  // A colour gradient, a sinusoidal texture of random frequency and orientation, and Gaussian noise.
  const cv::Vec3f a(u(rng) * 255, u(rng) * 255, u(rng) * 255), b(u(rng) * 255, u(rng) * 255, u(rng) * 255);
  const double freq = 0.02 + u(rng) * 0.2, angle = u(rng) * M_PI, amp = 10 + u(rng) * 40;
  const double ca = std::cos(angle), sa = std::sin(angle);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const float t = static_cast<float>(x + y) / static_cast<float>(width + height);
      const float wave = static_cast<float>(amp * std::sin(freq * (ca * x + sa * y)));
      img.at<cv::Vec3f>(y, x) = a * (1 - t) + b * t + cv::Vec3f(wave, wave, wave);
    }
  cv::Mat noise(height, width, CV_32FC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(6 + u(rng) * 12));
  img += noise;
  cv::Mat out;
  img.convertTo(out, CV_8UC3);
  return out;
}

// A polygon given in unit coordinates, stretched to touch every side of r.
void fill_unit_polygon(cv::Mat& img, const std::vector<cv::Point2f>& pts, const cv::Rect& r, const cv::Scalar& color) {
  float x0 = 1e9f, x1 = -1e9f, y0 = 1e9f, y1 = -1e9f;
  for (const auto& p : pts) x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  std::vector<cv::Point> poly;
  for (const auto& p : pts)
    poly.emplace_back(static_cast<int>(std::lround(r.x + (p.x - x0) / (x1 - x0) * (r.width - 1))),
                      static_cast<int>(std::lround(r.y + (p.y - y0) / (y1 - y0) * (r.height - 1))));
  cv::fillPoly(img, std::vector<std::vector<cv::Point>>{poly}, color, cv::LINE_AA);
}

// The regular n-gon with its first corner at the top.
std::vector<cv::Point2f> regular(int n) {
  std::vector<cv::Point2f> pts;
  for (int i = 0; i < n; ++i) {
    const double a = -M_PI / 2 + 2 * M_PI * i / n;
    pts.emplace_back(static_cast<float>(std::cos(a)), static_cast<float>(std::sin(a)));
  }
  return pts;
}

// The eight shapes of the twelve-class set beyond the first four, each touching its box on all four sides.
void draw_more(cv::Mat& img, int label, const cv::Rect& r, const cv::Scalar& color) {
  const cv::Point c(r.x + r.width / 2, r.y + r.height / 2);
  switch (label) {
    case 4: fill_unit_polygon(img, {{0, -1}, {1, 0}, {0, 1}, {-1, 0}}, r, color); break;  // diamond
    case 5:  // cross
      fill_unit_polygon(img, {{-1, -0.33f}, {-0.33f, -0.33f}, {-0.33f, -1}, {0.33f, -1}, {0.33f, -0.33f}, {1, -0.33f}, {1, 0.33f},
                              {0.33f, 0.33f}, {0.33f, 1}, {-0.33f, 1}, {-0.33f, 0.33f}, {-1, 0.33f}}, r, color);
      break;
    case 6: fill_unit_polygon(img, regular(6), r, color); break;  // hexagon
    case 7:  // ring: a thick circle outline touching the box
      cv::ellipse(img, c, cv::Size(std::max(1, r.width / 2 - std::max(1, r.width / 8)), std::max(1, r.height / 2 - std::max(1, r.height / 8))),
                  0, 0, 360, color, std::max(2, std::min(r.width, r.height) / 4), cv::LINE_AA);
      break;
    case 8: fill_unit_polygon(img, regular(5), r, color); break;  // pentagon
    case 9: fill_unit_polygon(img, {{-1, -0.35f}, {0.2f, -0.35f}, {0.2f, -1}, {1, 0}, {0.2f, 1}, {0.2f, 0.35f}, {-1, 0.35f}}, r, color); break;
    case 10: {  // crescent: a disc with a disc cut out of its right side
      std::vector<cv::Point2f> pts;
      for (int i = 0; i <= 24; ++i) {
        const double a = M_PI / 2 + M_PI * i / 24;  // the outer half circle, left side
        pts.emplace_back(static_cast<float>(std::cos(a)), static_cast<float>(-std::sin(a)));
      }
      for (int i = 0; i <= 24; ++i) {
        const double a = M_PI / 2 - M_PI * i / 24;  // the inner arc from the bottom back to the top, bulging left
        pts.emplace_back(static_cast<float>(-0.45 * std::cos(a)), static_cast<float>(std::sin(a)));
      }
      fill_unit_polygon(img, pts, r, color);
      break;
    }
    default: {  // heart
      std::vector<cv::Point2f> pts;
      for (int i = 0; i < 48; ++i) {
        const double t = 2 * M_PI * i / 48;
        pts.emplace_back(static_cast<float>(16 * std::pow(std::sin(t), 3)),
                         static_cast<float>(-(13 * std::cos(t) - 5 * std::cos(2 * t) - 2 * std::cos(3 * t) - std::cos(4 * t))));
      }
      fill_unit_polygon(img, pts, r, color);
    }
  }
}

void draw(cv::Mat& img, int label, const cv::Rect& r, const cv::Scalar& color) {
  if (label >= 4) return draw_more(img, label, r, color);
  const cv::Point c(r.x + r.width / 2, r.y + r.height / 2);
  switch (label) {
    case 0: cv::ellipse(img, c, cv::Size(r.width / 2, r.height / 2), 0, 0, 360, color, cv::FILLED, cv::LINE_AA); break;
    case 1: cv::rectangle(img, r, color, cv::FILLED); break;
    case 2: {
      std::vector<cv::Point> p = {{r.x + r.width / 2, r.y}, {r.x, r.y + r.height - 1}, {r.x + r.width - 1, r.y + r.height - 1}};
      cv::fillConvexPoly(img, p, color, cv::LINE_AA);
      break;
    }
    default: {  // five-pointed star touching its box at the top, sides and bottom
      std::vector<cv::Point2f> pts;
      for (int i = 0; i < 10; ++i) {
        const double radius = (i % 2 == 0) ? 1.0 : 0.42;
        const double ang = -M_PI / 2 + i * M_PI / 5;
        pts.emplace_back(static_cast<float>(std::cos(ang) * radius), static_cast<float>(std::sin(ang) * radius));
      }
      float x0 = 1e9f, x1 = -1e9f, y0 = 1e9f, y1 = -1e9f;
      for (auto& p : pts) x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
      std::vector<cv::Point> poly;
      for (auto& p : pts)
        poly.emplace_back(static_cast<int>(std::lround(r.x + (p.x - x0) / (x1 - x0) * (r.width - 1))),
                          static_cast<int>(std::lround(r.y + (p.y - y0) / (y1 - y0) * (r.height - 1))));
      cv::fillPoly(img, std::vector<std::vector<cv::Point>>{poly}, color, cv::LINE_AA);
    }
  }
}

double overlap(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  return inter / std::min(a.area(), b.area());
}

void write_xml(const std::string& path, const std::string& filename, int width, int height, const std::vector<Placed>& objects,
               const std::vector<std::string>& names) {
  tinyxml2::XMLPrinter p;
  p.OpenElement("annotation");
  p.OpenElement("filename");
  p.PushText(filename.c_str());
  p.CloseElement();
  p.OpenElement("size");
  p.OpenElement("width");
  p.PushText(width);
  p.CloseElement();
  p.OpenElement("height");
  p.PushText(height);
  p.CloseElement();
  p.OpenElement("depth");
  p.PushText(3);
  p.CloseElement();
  p.CloseElement();
  for (const auto& o : objects) {
    p.OpenElement("object");
    p.OpenElement("name");
    p.PushText(names[o.label].c_str());
    p.CloseElement();
    p.OpenElement("difficult");
    p.PushText(0);
    p.CloseElement();
    p.OpenElement("bndbox");
    // VOC: 1-based inclusive pixels. The shape covers pixels x .. x + w - 1.
    const int v[4] = {o.box.x + 1, o.box.y + 1, o.box.x + o.box.width, o.box.y + o.box.height};
    const char* keys[4] = {"xmin", "ymin", "xmax", "ymax"};
    for (int i = 0; i < 4; ++i) {
      p.OpenElement(keys[i]);
      p.PushText(v[i]);
      p.CloseElement();
    }
    p.CloseElement();
    p.CloseElement();
  }
  p.CloseElement();
  std::ofstream out(path);
  if (!out) throw DataError(path + ": cannot write");
  out << p.CStr();
}

// The class of a uniform draw x in [0, 1): equal shares, or shares by weight (one draw either way, so a data set made
// without weights is the same as before they existed).
int draw_label(double x, const std::vector<double>& weights, int classes) {
  if (weights.empty()) return static_cast<int>(x * classes) % classes;
  double total = 0;
  for (const double w : weights) total += w;
  double upto = 0;
  for (size_t k = 0; k + 1 < weights.size(); ++k)
    if (x * total < (upto += weights[k])) return static_cast<int>(k);
  return static_cast<int>(weights.size()) - 1;
}

}  // namespace

int64_t generate_shapes(const ShapesOptions& o) {
  const auto names = shapes_classes(o.classes);
  if ((o.width > 0) != (o.height > 0)) throw ConfigError("--width and --height: give both, or neither for --size");
  const int width = o.width > 0 ? o.width : o.image_size, height = o.height > 0 ? o.height : o.image_size;
  if (!o.class_weights.empty()) {
    if (o.class_weights.size() != names.size())
      throw ConfigError("--class-weights: " + std::to_string(o.class_weights.size()) + " weights for the " +
                        std::to_string(names.size()) + " classes");
    for (const double w : o.class_weights)
      if (!(w > 0)) throw ConfigError("--class-weights: every weight must be positive, got " + std::to_string(w));
  }
  const fs::path root(o.root);
  for (const char* d : {"JPEGImages", "Annotations", "ImageSets/Main"}) fs::create_directories(root / d);
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0, 1);
  int64_t total_objects = 0;
  std::ofstream train_list(root / "ImageSets/Main/train.txt"), val_list(root / "ImageSets/Main/val.txt");
  const int64_t n = o.train_images + o.val_images;
  for (int64_t i = 0; i < n; ++i) {
    char id[32];
    std::snprintf(id, sizeof(id), "%06lld", static_cast<long long>(i));
    cv::Mat img = background(width, height, rng);
    std::vector<Placed> placed;
    const int count = o.min_objects + static_cast<int>(u(rng) * (o.max_objects - o.min_objects + 1));
    for (int k = 0, tries = 0; k < count && tries < 100; ++tries) {
      // Sides uniform between min_size and max_size: small objects (the hard case) are present in every batch.
      const double side = o.min_size + u(rng) * (o.max_size - o.min_size);
      const double aspect = 0.75 + u(rng) * 0.5;
      const int w = std::max(o.min_size, static_cast<int>(side * aspect)), h = std::max(o.min_size, static_cast<int>(side / aspect));
      if (w >= width || h >= height) continue;
      const cv::Rect r(static_cast<int>(u(rng) * (width - w)), static_cast<int>(u(rng) * (height - h)), w, h);
      // Overlap is allowed, but no shape may hide more than 40% of another.
      bool ok = true;
      for (const auto& p : placed) ok = ok && overlap(p.box, r) < 0.4;
      if (!ok) continue;
      const int label = draw_label(u(rng), o.class_weights, o.classes);
      cv::Scalar color(u(rng) * 255, u(rng) * 255, u(rng) * 255);
      // Keep the shape visible against its background: push its colour away from the local mean.
      const cv::Scalar local = cv::mean(img(r));
      for (int ch = 0; ch < 3; ++ch)
        if (std::abs(color[ch] - local[ch]) < 60) color[ch] = local[ch] > 127 ? local[ch] - 90 - u(rng) * 30 : local[ch] + 90 + u(rng) * 30;
      draw(img, label, r, color);
      placed.push_back({label, r});
      ++k;
    }
    const std::string file = std::string(id) + ".jpg";
    if (!cv::imwrite((root / "JPEGImages" / file).string(), img, {cv::IMWRITE_JPEG_QUALITY, 92}))
      throw DataError((root / "JPEGImages" / file).string() + ": cannot write");
    write_xml((root / "Annotations" / (std::string(id) + ".xml")).string(), file, width, height, placed, names);
    (i < o.train_images ? train_list : val_list) << id << "\n";
    total_objects += static_cast<int64_t>(placed.size());
  }
  return total_objects;
}

}  // namespace ssd::data
