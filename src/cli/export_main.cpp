// ssd-export: a checkpoint -> a state dict under torchvision's names, for Python tooling (ONNX, TensorRT, OpenCV DNN).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli/common.h"
#include "ssd/detect/detector.h"
#include "ssd/interop/torchvision_ssd.h"
#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  CLI::App app{
      "ssd-export: write a trained SSD-VGG16 or SSD-Lite MobileNetV3 as a state dict with torchvision's tensor names,\n"
      "which Python's torchvision.models.detection SSD loads with load_state_dict(torch.load(...)); beside it, a Python\n"
      "file that builds the matching torchvision model (class count, default boxes, input normalisation,\n"
      "post-processing). SSD-Lite MobileNetV2 has no torchvision counterpart.\n\n"
      "Examples:\n"
      "  ssd-export --checkpoint runs/voc_ssd300/best.pt --out ssd300_voc.pth     # also writes ssd300_voc.py\n"
      "  ssd-export --checkpoint runs/voc_ssd300 --out model.pth                  # a run folder: its best.pt\n\n"
      "Then in Python: exec(open('ssd300_voc.py').read()) gives `model`, torchvision's SSD with these weights.",
      "ssd-export"};
  ssd::cli::CommonOptions common;
  ssd::cli::add_config_options(app, common, /*with_config_file=*/false);
  std::string checkpoint, out;
  app.add_option("--checkpoint", checkpoint, "Checkpoint file or run directory (its best.pt if present, else last.pt)")->required();
  app.add_option("--out", out, "State-dict file to write (.pth); the loader script goes beside it with the extension .py");

  return ssd::cli::run_tool("ssd-export", app, argc, argv, [&]() -> int {
    // Checked before the checkpoint loads (only --print-config writes nothing).
    if (out.empty() && !common.print_config) throw ssd::ConfigError("give --out FILE.pth, the state dict to write");
    auto loaded = ssd::detect::load_model(checkpoint, ssd::cli::all_overrides(common), c10::Device(c10::kCPU));
    if (ssd::cli::handle_print_config(common, loaded.config)) return 0;
    if (!fs::path(out).parent_path().empty()) fs::create_directories(fs::path(out).parent_path());
    ssd::interop::export_torchvision_ssd(*loaded.model, out);
    const auto script = fs::path(out).replace_extension(".py").string();
    ssd::util::write_text_file(script, ssd::interop::torchvision_loader_script(*loaded.model, loaded.config.postprocess,
                                                                              loaded.config.data.classes, out));
    spdlog::info("wrote {} ({} parameters under torchvision's names) and {}, which builds torchvision's SSD around it", out,
                 loaded.model->parameter_count(), script);
    return 0;
  });
}
