#include "ssd/model/registry.h"

#include "ssd/model/mobilenet_v2.h"
#include "ssd/model/mobilenet_v3.h"
#include "ssd/model/vgg16.h"

namespace ssd::model {

const util::Registry<BackboneEntry>& backbone_registry() {
  static const util::Registry<BackboneEntry> registry(
      "backbone", "model.backbone",
      {
          {"vgg16", "VGG16-reduced with L2Norm and the SSD extra layers (SSD300 at 300 px, SSD512 at 512 px); width set by model.width_mult",
           [](const BackboneOptions& o) { return std::make_shared<Vgg16Backbone>(o); }, vgg16_imagenet_weights(),
           vgg16_torchvision_detector()},
          {"mobilenet_v2", "MobileNetV2 with SSD-Lite extra blocks; width set by model.width_mult",
           [](const BackboneOptions& o) { return std::make_shared<MobileNetV2Backbone>(o); }, mobilenet_v2_imagenet_weights(),
           mobilenet_v2_torchvision_detector()},
          {"mobilenet_v3_large", "MobileNetV3-Large with SSD-Lite extra blocks and the reduced tail: torchvision's ssdlite320_mobilenet_v3_large (from scratch, and its COCO checkpoint); width set by model.width_mult",
           [](const BackboneOptions& o) { return std::make_shared<MobileNetV3LargeBackbone>(o, /*reduced_tail=*/true); },
           mobilenet_v3_large_imagenet_weights(/*reduced_tail=*/true), mobilenet_v3_large_torchvision_detector()},
          {"mobilenet_v3_large_full_tail", "MobileNetV3-Large with SSD-Lite extra blocks and the full tail, which the ImageNet file mobilenet_v3_large-8738ca79.pth fits; width set by model.width_mult",
           [](const BackboneOptions& o) { return std::make_shared<MobileNetV3LargeBackbone>(o, /*reduced_tail=*/false); },
           mobilenet_v3_large_imagenet_weights(/*reduced_tail=*/false), mobilenet_v3_large_torchvision_detector()},
      });
  return registry;
}

const util::Registry<util::Plugin<HeadFactory>>& head_registry() {
  static const util::Registry<util::Plugin<HeadFactory>> registry(
      "head", "model.head",
      {
          {"ssd", "3x3 convolutions per source layer (the SSD paper)",
           [](const HeadOptions& o) { return std::make_shared<SsdHead>(o); }},
          {"ssdlite", "depthwise-separable convolutions per source layer (MobileNetV2 paper, SSD-Lite)",
           [](const HeadOptions& o) { return std::make_shared<SsdLiteHead>(o); }},
      });
  return registry;
}

}  // namespace ssd::model
