// ssd-export: a checkpoint -> a state dict under torchvision's names, for Python tooling (ONNX, TensorRT, OpenCV DNN).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli/common.h"
#include "ssd/detect/detector.h"
#include "ssd/interop/onnx_export.h"
#include "ssd/interop/torchvision_ssd.h"
#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-export: write a trained SSD-VGG16 or SSD-Lite (MobileNetV3, MobileNetV2) as a state dict with torchvision's\n"
      "tensor names, which torchvision.models.detection's SSD loads with load_state_dict(torch.load(...)); beside it, a\n"
      "Python file that builds the matching torchvision model (class count, default boxes, input normalisation,\n"
      "post-processing; MobileNetV2's SSD-Lite assembled from torchvision's parts). Or, with --format onnx, the network\n"
      "as an ONNX file for OpenCV's DNN module (ssd-detect --onnx), ONNX Runtime or TensorRT.\n\n"
      "Examples:\n"
      "  ssd-export --checkpoint runs/voc_ssd300/best.pt --out ssd300_voc.pth     # also writes ssd300_voc.py\n"
      "  ssd-export --checkpoint runs/voc_ssd300 --out model.pth                  # a run folder: its best.pt\n"
      "  ssd-export --checkpoint runs/voc_ssd300 --format onnx --out ssd300.onnx  # then: ssd-detect --onnx ssd300.onnx ...\n\n"
      "Then in Python: exec(open('ssd300_voc.py').read()) gives `model`, torchvision's SSD with these weights.",
      "ssd-export"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_config_options(app, common, /*with_config_file=*/false);
  std::string checkpoint, out, format = "torchvision", python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  app.add_option("--checkpoint", checkpoint, "Checkpoint file or run directory (its best.pt if present, else last.pt)")->required();
  app.add_option("--out", out,
                 "File to write: the state dict (.pth; the loader script goes beside it as .py), or with --format onnx the ONNX "
                 "file (.onnx; its side file goes beside it as .json)");
  app.add_option("--format", format,
                 "torchvision: a state dict for torchvision's SSD; onnx: the network as ONNX (opset 10), made by torch.onnx.export "
                 "in --python, for OpenCV's DNN module (ssd-detect --onnx), ONNX Runtime or TensorRT")
      ->check(CLI::IsMember({"torchvision", "onnx"}))
      ->capture_default_str();
  app.add_option("--python", python, "--format onnx: a Python with torch, torchvision and onnx")->capture_default_str();

  return ssd::cli::run_tool("ssd-export", app, argc, argv, [&]() -> int {
    // Checked before the checkpoint loads (only --print-config writes nothing).
    if (out.empty() && !common.print_config) throw ssd::ConfigError("give --out FILE.pth, the state dict to write");
    auto loaded = ssd::detect::load_model(checkpoint, ssd::cli::all_overrides(common), c10::Device(c10::kCPU));
    if (ssd::cli::handle_print_config(common, loaded.config)) return 0;
    if (!fs::path(out).parent_path().empty()) fs::create_directories(fs::path(out).parent_path());
    if (format == "onnx") {
      ssd::interop::export_onnx(*loaded.model, loaded.config, out, python);
      spdlog::info("wrote {} and {} (default boxes, classes, post-processing); run it with ssd-detect --onnx {}", out,
                   ssd::interop::onnx_side_file(out), out);
      return 0;
    }
    ssd::interop::export_torchvision_ssd(*loaded.model, out);
    const auto script = fs::path(out).replace_extension(".py").string();
    ssd::util::write_text_file(script, ssd::interop::torchvision_loader_script(*loaded.model, loaded.config, out));
    spdlog::info("wrote {} ({} parameters under torchvision's names) and {}, which builds torchvision's SSD around it", out,
                 loaded.model->parameter_count(), script);
    return 0;
  });
}
