#pragma once
// torchvision's SSD detectors as a file format. ssd300_vgg16: load its state dicts (model.init_from: the published COCO
// checkpoint ssd300_vgg16_coco-b556d3b4.pth, or anyone's fine-tuned one) and write ours under its names (ssd-export),
// so that Python's ssd300_vgg16(num_classes=N).load_state_dict(torch.load(f)) takes them. ssdlite320_mobilenet_v3_large
// (backbones mobilenet_v3_large and mobilenet_v3_large_full_tail, whose names below backbone. are torchvision's): load
// its state dicts (ssdlite320_mobilenet_v3_large_coco-a79551df.pth) and write ours; the head names map as below.
// SSD-Lite MobileNetV2, which torchvision has no builder for: written (and read) for the model that ssd-export's
// loader script assembles from torchvision's parts, with the C++ model's names below backbone.
//
// The two models are the same network with the same tensor shapes and output layout; only some names differ:
//   ours                                    torchvision
//   backbone.features.N, backbone.scale_weight, backbone.extra.K (K >= 1), backbone.extra.0.0 .. .6: the same
//   backbone.extra.0.7 .. .11 (pool5, fc6, relu, fc7, relu)  backbone.extra.0.7.0 .. .4 (its nested fc Sequential)
//   head.loc.N                              head.regression_head.module_list.N
//   head.conf.N                             head.classification_head.module_list.N
//   priors (a buffer)                       none: torchvision makes its default boxes at run time
// Both flatten a head's [B, A*D, H, W] map to [B, H*W*A, D] in the same order, so the raw outputs agree element
// by element. torchvision's default boxes are the model.priors.preset "torchvision" table for SSD300-VGG16 and the
// "scales" preset (s_min 0.2, s_max 0.95) for SSD-Lite; its input normalisation is interop::file_normalisation's.
#include <string>

#include "ssd/config/config.h"
#include "ssd/interop/load_report.h"
#include "ssd/model/ssd.h"

namespace ssd::interop {

/// Loads a torchvision SSD state dict into the model (a vgg16 backbone with the ssd head, or mobilenet_v3_large with the
/// ssdlite head). When the file
/// scores another number of classes than the model (fine-tuning COCO's 91 to VOC's 21, say), the classification
/// convolutions keep their initialisation and the report says so; everything else must fit: a shape mismatch is a
/// DataError naming the tensor and both shapes. Throws DataError for a file it cannot read, a file with no tensor
/// of this layout, or a model of another layout.
LoadReport load_torchvision_ssd(model::SsdImpl& model, const std::string& path);

/// Loads model.init_from, when set, and logs the report (a new run, not a resume: interop::load_initial_weights).
/// Warns when the model's default boxes are not the ones torchvision's model was trained with.
void load_init_from(model::SsdImpl& model, const config::ModelConfig& config);

/// Writes an SSD-VGG16's or an SSD-Lite's (MobileNetV3, MobileNetV2) weights under torchvision's names in the zip format of
/// torch.save (a plain dict, which load_state_dict accepts), atomically. Throws DataError for another model, a width
/// other than torchvision's, an input torchvision's model cannot take, or an unwritable path.
void export_torchvision_ssd(model::SsdImpl& model, const std::string& path);

/// What export_torchvision_ssd checks before it writes anything: DataError saying why torchvision's model cannot hold
/// this one.
void check_torchvision_export(const model::SsdImpl& model);

/// Python that builds the matching torchvision model around an exported file: SSD over SSDFeatureExtractorVGG; over
/// MobileNetV3's SSD-Lite extractor and SSDLiteHead (ssdlite320_mobilenet_v3_large's parts, this model's input size
/// and tail); or over mobilenet_v2's features with _extra_block and SSDLiteHead (assembled in the script, at
/// config.model.width_mult) — with this model's class count, default boxes (DefaultBoxGenerator), input
/// normalisation and the config's post-processing; the class names in a comment.
std::string torchvision_loader_script(const model::SsdImpl& model, const config::Config& config, const std::string& exported);

}  // namespace ssd::interop
