#pragma once
// One image and its objects. Pixel convention, stated once for the whole project:
//   boxes are xyxy in continuous 0-based image pixels: the top-left pixel covers [0, 1) x [0, 1), so a box
//   around the whole W x H image is (0, 0, W, H). VOC XML's 1-based inclusive (xmin, ymin, xmax, ymax)
//   becomes (xmin - 1, ymin - 1, xmax, ymax) on reading, which makes the continuous IoU equal to the
//   devkit's inclusive-pixel (+1) IoU.
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace ssd::data {

struct Object {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;  ///< continuous 0-based pixels
  int64_t label = 0;                     ///< 1-based index into the class list (0 is background)
  bool difficult = false;                ///< VOC "difficult": ignored by the VOC metrics (and by the COCO metric)
  bool crowd = false;                    ///< COCO "iscrowd": not trained on; a crowd region in the COCO metric
  double area = -1;                      ///< COCO's annotated area (segment area), as the file gives it; < 0 = the box's area
};

/// What an annotation file says about one image, without decoding the image.
struct Annotation {
  std::string id;          ///< the image's id (its file stem)
  std::string image_path;  ///< the image file
  int width = 0, height = 0;  ///< from the annotation's <size>, 0 when absent
  std::vector<Object> objects;
};

struct Sample {
  Annotation annotation;
  cv::Mat image;  ///< RGB, CV_8UC3, height x width
};

}  // namespace ssd::data
