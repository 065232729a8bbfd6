// read_bgr_image against cv::imread, the decoder it stands in for: the same pixels for JPEG and PNG, EXIF
// orientation applied the same way, and an empty result for a missing, empty or corrupt file; read_rgb_image as
// the same pixels with the channels in the other order.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "ssd/data/image_decode.h"
#include "test_data.h"

namespace ssd::data {
namespace {

cv::Mat gradient(int width, int height) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) m.at<cv::Vec3b>(y, x) = {uchar(3 * x), uchar(5 * y), uchar(x + y)};
  return m;
}

void write_bytes(const std::string& path, const std::vector<uchar>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(ImageDecode, ReadsJpegAndPngAsImreadDoes) {
  const auto dir = test::temp_dir("image_decode");
  for (const char* name : {"a.jpg", "a.png"}) {
    const auto path = dir + "/" + name;
    ASSERT_TRUE(cv::imwrite(path, gradient(40, 24)));
    const cv::Mat ours = read_bgr_image(path);
    EXPECT_EQ(ours.type(), CV_8UC3) << name;
    EXPECT_TRUE(same(ours, cv::imread(path, cv::IMREAD_COLOR))) << name;
    cv::Mat swapped;
    cv::cvtColor(ours, swapped, cv::COLOR_BGR2RGB);
    EXPECT_TRUE(same(read_rgb_image(path), swapped)) << name;
  }
  std::filesystem::remove_all(dir);
}

// A JPEG whose EXIF block says "rotate 90 degrees clockwise to display" (orientation 6): the stored 40 x 24
// image is shown 24 x 40. The block is written here byte by byte because OpenCV 4.6 cannot write EXIF.
TEST(ImageDecode, AppliesExifOrientationAsImreadDoes) {
  const auto dir = test::temp_dir("image_decode_exif");
  std::vector<uchar> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", gradient(40, 24), jpeg));
  const std::vector<uchar> tiff = {'I', 'I', 42, 0, 8, 0, 0, 0,  // little-endian TIFF header, first IFD at 8
                                   1, 0,                         // one entry
                                   0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,  // Orientation (SHORT, 1) = 6
                                   0, 0, 0, 0};                  // no next IFD
  std::vector<uchar> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const size_t length = app1.size() - 2;  // the segment length counts itself, not the marker
  app1[2] = static_cast<uchar>(length >> 8);
  app1[3] = static_cast<uchar>(length & 0xFF);
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());  // right after the SOI marker
  const auto path = dir + "/rotated.jpg";
  write_bytes(path, jpeg);

  const cv::Mat reference = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_EQ(reference.cols, 24);  // the fixture is right: OpenCV itself rotates it
  ASSERT_EQ(reference.rows, 40);
  EXPECT_TRUE(same(read_bgr_image(path), reference));
  std::filesystem::remove_all(dir);
}

TEST(ImageDecode, MissingEmptyOrCorruptFilesGiveAnEmptyImage) {
  const auto dir = test::temp_dir("image_decode_bad");
  EXPECT_TRUE(read_bgr_image(dir + "/missing.jpg").empty());
  write_bytes(dir + "/empty.jpg", {});
  EXPECT_TRUE(read_bgr_image(dir + "/empty.jpg").empty());
  write_bytes(dir + "/corrupt.jpg", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  EXPECT_TRUE(read_bgr_image(dir + "/corrupt.jpg").empty());
  EXPECT_TRUE(read_bgr_image(dir).empty());  // a folder
  EXPECT_TRUE(read_rgb_image(dir + "/corrupt.jpg").empty());
  std::filesystem::remove_all(dir);
}

// Only the formats the tools read are decoded, told by their first bytes: a file that another of OpenCV's decoders
// would take (a DICOM marker at byte 128 once crashed OpenCV's DICOM reader under the fuzzer,
// fuzz/corpus/image_decode/crash-gdcm-dicm) is refused, and an image declaring more than 2^30 pixels is refused before its pixels are allocated.
TEST(ImageDecode, OnlyTheToolsFormatsAreDecodedWithinOpenCvsPixelLimit) {
  const auto dir = test::temp_dir("image_decode_formats");
  for (const char* ext : {".jpg", ".png", ".bmp", ".tif", ".webp"}) {
    cv::imwrite(dir + "/a" + ext, gradient(9, 7));
    EXPECT_EQ(read_bgr_image(dir + "/a" + ext).size(), cv::Size(9, 7)) << ext;
  }
  std::vector<uchar> dicom(132, 0);
  dicom[0] = 0xFF, dicom[1] = 0xD8, dicom[2] = 0x0C;  // not quite a JPEG
  dicom[128] = 'D', dicom[129] = 'I', dicom[130] = 'C', dicom[131] = 'M';
  write_bytes(dir + "/dicom.jpg", dicom);
  EXPECT_TRUE(read_bgr_image(dir + "/dicom.jpg").empty());
  // A BMP header declaring 40000 x 40000 pixels (1.6e9, over 2^30) over a few bytes of data.
  std::vector<uchar> bmp;
  cv::imencode(".bmp", gradient(4, 3), bmp);
  const uint32_t side = 40000;
  for (size_t at : {18u, 22u})  // width and height, little-endian
    for (size_t i = 0; i < 4; ++i) bmp[at + i] = static_cast<uchar>(side >> (8 * i));
  write_bytes(dir + "/huge.bmp", bmp);
  EXPECT_TRUE(read_bgr_image(dir + "/huge.bmp").empty());
  std::filesystem::remove_all(dir);
}

// Bytes from elsewhere (ssd-serve's bodies) say why they gave no image: not an image format, corrupt data, or more
// pixels than OpenCV's limit (a 4xx each, told apart).
TEST(ImageDecode, BytesInMemoryDecodeAsTheFileWouldOrSayWhyNot) {
  std::vector<uchar> png;
  cv::imencode(".png", gradient(9, 7), png);
  DecodeFailure failure = DecodeFailure::kCorrupt;
  const cv::Mat image = decode_bgr_image(png.data(), png.size(), &failure);
  EXPECT_EQ(failure, DecodeFailure::kNone);
  EXPECT_EQ(cv::norm(image, gradient(9, 7), cv::NORM_INF), 0.0);
  const std::string text = "GIF89a not one of ours";
  EXPECT_TRUE(decode_bgr_image(reinterpret_cast<const uchar*>(text.data()), text.size(), &failure).empty());
  EXPECT_EQ(failure, DecodeFailure::kUnknownFormat);
  std::vector<uchar> cut(png.begin(), png.begin() + 40);  // a PNG signature and header, no image data
  EXPECT_TRUE(decode_bgr_image(cut.data(), cut.size(), &failure).empty());
  EXPECT_EQ(failure, DecodeFailure::kCorrupt);
  std::vector<uchar> bmp;
  cv::imencode(".bmp", gradient(4, 3), bmp);
  for (size_t at : {18u, 22u})
    for (size_t i = 0; i < 4; ++i) bmp[at + i] = static_cast<uchar>(40000u >> (8 * i));
  EXPECT_TRUE(decode_bgr_image(bmp.data(), bmp.size(), &failure).empty());
  EXPECT_EQ(failure, DecodeFailure::kTooLarge);
}

}  // namespace
}  // namespace ssd::data
