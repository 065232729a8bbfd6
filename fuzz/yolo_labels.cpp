// The YOLO reader (data/formats/yolo.h) with an arbitrary label file beside a real image, under a fixed data.yaml.
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

#include "fuzz_support.h"
#include "ssd/data/formats/yolo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string root = [] {
    const std::string r = ssd::fuzz::scratch_dir() + "/yolo";
    std::filesystem::create_directories(r + "/images/train");
    std::filesystem::create_directories(r + "/labels/train");
    cv::imwrite(r + "/images/train/a.png", cv::Mat(8, 12, CV_8UC3, cv::Scalar(1, 2, 3)));
    std::ofstream(r + "/data.yaml") << "path: .\ntrain: images/train\nnames: [circle, square]\n";
    return r;
  }();
  std::ofstream(root + "/labels/train/a.txt", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  const auto ignore = [](const std::string&, const std::string&) {};
  ssd::fuzz::expect_clean([&] { ssd::data::read_yolo_split(root, "train", {"circle", "square"}, ignore); });
  return 0;
}
