// ssd-shapes: writes the embedded default data set (synthetic shapes, VOC layout), deterministic by seed.
#include <spdlog/spdlog.h>

#include "cli/common.h"
#include "ssd/data/shapes.h"

int main(int argc, char** argv) {
  CLI::App app{"ssd-shapes: generate the synthetic shapes data set (circle, square, triangle, star) in VOC layout.\n\n"
               "Examples:\n  ssd-shapes --out data/generated/shapes      # then: ssd-train --config configs/shapes.yaml\n"
               "  ssd-shapes --out data/generated/large --width 1920 --height 1080 --classes 12 --min-size 8 --max-size 64 \\\n"
               "             --max-objects 30 --train 300 --val 100      # small objects in large images",
               "ssd-shapes"};
  ssd::data::ShapesOptions o;
  app.add_option("--out", o.root, "Output folder (VOCdevkit layout: JPEGImages/, Annotations/, ImageSets/Main/)")->required();
  app.add_option("--train", o.train_images, "Training images")->capture_default_str();
  app.add_option("--val", o.val_images, "Validation images")->capture_default_str();
  app.add_option("--size", o.image_size, "Image side in pixels")->capture_default_str();
  app.add_option("--width", o.width, "Image width in pixels, with --height, for non-square images (e.g. 1920 x 1080)");
  app.add_option("--height", o.height, "Image height in pixels, with --width");
  app.add_option("--classes", o.classes,
                 "4 (circle, square, triangle, star) or 12 (and diamond, cross, hexagon, ring, pentagon, arrow, crescent, heart)")
      ->capture_default_str();
  app.add_option("--min-size", o.min_size, "Smallest object side in pixels")->capture_default_str();
  app.add_option("--max-size", o.max_size, "Largest object side in pixels")->capture_default_str();
  app.add_option("--max-objects", o.max_objects, "Most objects per image")->capture_default_str();
  app.add_option("--class-weights", o.class_weights,
                 "Relative frequency of each class in order, e.g. 8,4,2,1 for an imbalanced set of four (default: equal)")
      ->delimiter(',');
  app.add_option("--seed", o.seed, "Random seed (same seed, same data set)")->capture_default_str();
  return ssd::cli::run_tool("ssd-shapes", app, argc, argv, [&] {
    const auto objects = ssd::data::generate_shapes(o);
    spdlog::info("wrote {} train + {} val images with {} objects to {}", o.train_images, o.val_images, objects, o.root);
    return 0;
  });
}
