#include "ssd/interop/onnx_export.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ssd/interop/torchvision_ssd.h"
#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

namespace fs = std::filesystem;

namespace ssd::interop {

namespace {

// The Python side: torchvision's model from the loader script, wrapped to take 0..255 pixels and give the head's raw
// outputs, exported, its shared initializers made separate, checked.
// argv: loader.py out.onnx height width mean0 mean1 mean2 std0 std1 std2
const char* kExportProgram = R"PY(
import sys

import onnx
import torch

loader, out, height, width = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
mean, std = [float(v) for v in sys.argv[5:8]], [float(v) for v in sys.argv[8:11]]
scope = {}
exec(open(loader).read(), scope)
model = scope["model"].eval()


class Raw(torch.nn.Module):
    """The network alone on 0..255 RGB pixels: normalisation, backbone, head; no decoding, no NMS."""

    def __init__(self, model):
        super().__init__()
        self.backbone, self.head = model.backbone, model.head
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, images):
        head = self.head(list(self.backbone((images - self.mean) / self.std).values()))
        return head["bbox_regression"], head["cls_logits"]


raw = Raw(model).eval()
batch = {0: "batch"}
torch.onnx.export(raw, torch.rand(1, 3, height, width) * 255, out, opset_version=10, input_names=["images"],
                  output_names=["loc", "conf"], dynamic_axes={"images": batch, "loc": batch, "conf": batch})
graph = onnx.load(out)
initializers = {i.name: i for i in graph.graph.initializer}
nodes = []
for node in graph.graph.node:
    if node.op_type == "Identity" and node.input[0] in initializers:
        copy = onnx.TensorProto()
        copy.CopyFrom(initializers[node.input[0]])
        copy.name = node.output[0]
        graph.graph.initializer.append(copy)
    else:
        nodes.append(node)
del graph.graph.node[:]
graph.graph.node.extend(nodes)
onnx.checker.check_model(graph)
onnx.save(graph, out)
print(f"ONNX graph: {len(nodes)} nodes, opset 10, checked by onnx.checker")
)PY";

// A command-line argument for sh -c, quoted.
std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string onnx_side_file(const std::string& onnx) { return fs::path(onnx).replace_extension(".json").string(); }

void export_onnx(model::SsdImpl& model, const config::Config& config, const std::string& out, const std::string& python) {
  // The side file's name must not be the output's, and a file of another extension would hide what it holds.
  if (fs::path(out).extension() != ".onnx") throw ConfigError("--out " + out + ": an ONNX file is named *.onnx (its side file: *.json)");
  check_torchvision_export(model);  // before anything is written
  if (config.tiling.infer)
    spdlog::warn("this model detects in slices (tiling.infer); the ONNX file is its network, and ssd-detect --onnx runs it on "
                 "whole images: slice the images yourself, or detect with the checkpoint");
  // The state dict and loader script of the torchvision export, in a folder of this process beside the output.
  const fs::path work =
      fs::path(out).parent_path() / ("." + fs::path(out).filename().string() + "." + std::to_string(::getpid()) + ".export");
  fs::remove_all(work);
  fs::create_directories(work);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{work};
  const std::string weights = (work / "weights.pth").string(), loader = (work / "loader.py").string(),
                    program = (work / "export.py").string(), log = (work / "export.log").string(),
                    partial = (work / "model.onnx").string();
  export_torchvision_ssd(model, weights);
  util::write_text_file(loader, torchvision_loader_script(model, config, weights));
  util::write_text_file(program, kExportProgram);

  const auto& mean = model.pixel_mean();
  const auto& spread = model.pixel_std();
  std::ostringstream command;
  command.precision(17);
  command << quoted(python) << " " << quoted(program) << " " << quoted(loader) << " " << quoted(partial) << " "
          << model.image_size().height << " " << model.image_size().width;
  for (const double v : mean) command << " " << v;
  for (const double v : spread) command << " " << v;
  command << " > " << quoted(log) << " 2>&1";
  const int rc = std::system(command.str().c_str());
  if (rc != -1 && WIFSIGNALED(rc)) throw std::runtime_error("ssd-export --format onnx: " + python + " was stopped by a signal");
  const int code = rc == -1 ? -1 : WEXITSTATUS(rc);
  if (code != 0 || !fs::exists(partial)) {
    std::string said = read_all(log);
    if (said.size() > 2000) said = "..." + said.substr(said.size() - 2000);
    if (said.find("KeyboardInterrupt") != std::string::npos) throw std::runtime_error("ssd-export --format onnx: interrupted");
    std::string hint;
    if (code == 127)
      hint = "\n(--python " + python + ": not found; give a Python with torch, torchvision and onnx)";
    else if (said.find("No module named") != std::string::npos)
      hint = "\n(the ONNX file is made by torch.onnx.export: give --python a Python with torch, torchvision and onnx; on Debian "
             "/usr/bin/python3 with python3-torch, python3-torchvision and python3-onnx)";
    throw DataError("ssd-export --format onnx: " + python + " could not make the ONNX file:\n" + said + hint);
  }

  // The side file: what the graph leaves out (decoding, NMS) and what it expects.
  const auto priors = model.priors().to(at::kCPU, at::kFloat).contiguous();
  nlohmann::json side;
  side["format"] = "ssd-trainer onnx 1";
  side["input"] = {{"name", "images"},
                   {"shape", {"N", 3, model.image_size().height, model.image_size().width}},
                   {"pixels", "RGB, float 0..255, the image stretched to the input size (the normalisation is in the graph)"}};
  side["outputs"] = {{"loc", "[N, P, 4] offsets against default_boxes (cx, cy, w, h): cx = p_cx + loc_x * v0 * p_w, cy likewise, "
                             "w = p_w * exp(min(loc_w * v1, log(1000 / 16))), h likewise; then the corners clipped to [0, 1]"},
                     {"conf", "[N, P, C] class logits, softmax over C; class 0 is the background"},
                     {"selection", "per class: scores above score_threshold (strictly), the top_k_per_class best, NMS at nms_iou; "
                                   "then the max_per_image best over all classes; boxes times the image's width and height"}};
  side["variances"] = {config.model.variances.at(0), config.model.variances.at(1)};
  side["classes"] = config.data.classes;
  side["postprocess"] = {{"score_threshold", config.postprocess.score_threshold},
                         {"nms_iou", config.postprocess.nms_iou},
                         {"top_k_per_class", config.postprocess.top_k_per_class},
                         {"max_per_image", config.postprocess.max_per_image}};
  nlohmann::json boxes = nlohmann::json::array();
  const float* p = priors.data_ptr<float>();
  for (int64_t i = 0; i < priors.size(0); ++i) boxes.push_back({p[4 * i], p[4 * i + 1], p[4 * i + 2], p[4 * i + 3]});
  side["default_boxes"] = std::move(boxes);  // cx, cy, w, h in [0, 1] of the input
  // The graph first, then its side file: a failure between them leaves a new graph without one, which ssd-detect
  // --onnx refuses, never a new graph beside an old side file.
  fs::remove(onnx_side_file(out));
  fs::rename(partial, out);  // the same folder: whole or not at all
  util::write_text_file(onnx_side_file(out), side.dump(1) + "\n");
  std::string said = read_all(log);  // torch.onnx's warnings, then the program's one line
  while (!said.empty() && said.back() == '\n') said.pop_back();
  spdlog::info("{}", said.substr(said.find_last_of('\n') == std::string::npos ? 0 : said.find_last_of('\n') + 1));
}

}  // namespace ssd::interop
