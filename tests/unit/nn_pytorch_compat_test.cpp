// Checkpoints load into the equivalent PyTorch module by name (STYLE 9, DESIGN 3.4): weights
// exported from C++ are loaded with strict=True into PyTorch twins
// (nn_pytorch_reference.py, run by Debian's /usr/bin/python3 with its torch), whose outputs
// must equal the C++ ones.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "posekd/nn/model.h"
#include "posekd/nn/state_arrays.h"
#include "test_support.h"

using namespace posekd;

namespace {

// NumPy's .npy format 1.0: magic, header length, a Python dict literal padded to 64 bytes.
void write_npy(const std::string& path, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kFloat32).contiguous();
  std::string shape = "(";
  for (int64_t i = 0; i < c.dim(); ++i) shape += std::to_string(c.size(i)) + (c.dim() == 1 || i + 1 < c.dim() ? "," : "");
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = uint16_t(header.size());
  out.write(reinterpret_cast<const char*>(&len), 2);
  out << header;
  out.write(reinterpret_cast<const char*>(c.data_ptr<float>()), c.numel() * 4);
}

bool python_torch_available() {
  return std::system("/usr/bin/python3 -c 'import torch, numpy' > /dev/null 2>&1") == 0;
}

void export_model(const std::string& spec, const std::filesystem::path& folder) {
  std::filesystem::create_directories(folder / "params");
  auto file = [&](const std::string& name) { return (folder / name).string(); };
  auto model = nn::make_model(spec, 5);
  {
    // Train-mode forwards give the BatchNorm statistics non-trivial values.
    torch::NoGradGuard no_grad;
    model->forward(torch::randn({4, 3, model->info().input.height, model->info().input.width}));
  }
  model->eval();
  const auto arrays = nn::named_arrays(*model);
  for (const auto* group : {&arrays.params, &arrays.buffers})
    for (const auto& a : *group) write_npy(file("params/" + a.name + ".npy"), nn::to_tensor(a));
  std::ofstream(file("spec.txt")) << model->info().spec.str() << "\n";
  auto x = torch::randn({2, 3, model->info().input.height, model->info().input.width});
  write_npy(file("input.npy"), x);
  torch::NoGradGuard no_grad;
  const auto out = model->forward(x);
  if (out.heatmaps.size() == 1) write_npy(file("heatmaps.npy"), out.final_heatmaps());
  if (out.heatmaps.size() > 1) write_npy(file("heatmaps.npy"), torch::stack(out.heatmaps, 1));
  if (out.keypoint_tokens.defined()) write_npy(file("keypoint_tokens.npy"), out.keypoint_tokens);
  if (out.coords.defined()) {
    write_npy(file("coords.npy"), out.coords);
    write_npy(file("sigma.npy"), out.sigma);
    write_npy(file("score.npy"), out.score);
  }
}

}  // namespace

// One Python run for both models: importing torch there costs seconds.
TEST_CASE("pytorch: SimpleBaseline, regression head, hourglass and TokenPose load by name into PyTorch twins") {
  if (!python_torch_available()) {
    MESSAGE("skipped: /usr/bin/python3 has no torch (Debian's python3-torch)");
    return;
  }
  test::ScratchDir dir("nn-pytorch");
  export_model("resnet:depth=18,width=4,deconvs=2,deconv_channels=8,joints=3,input=64x32", dir.path() / "heatmap");
  // The regression head checks LibTorch's encoder against nn.TransformerEncoder run sequence-first.
  export_model(
      "resnet:depth=18,width=4,deconvs=1,deconv_channels=8,joints=3,input=64x64,head=regression,dim=16,layers=2,"
      "heads=2,patch=2x2",
      dir.path() / "regression");
  // The token teacher's layout: learned table, LibTorch's post-norm layers.
  export_model(
      "resnet:depth=18,width=4,deconvs=1,deconv_channels=8,joints=3,input=64x64,head=regression,dim=16,layers=2,"
      "heads=2,patch=2x2,pos=learnable,norm=post",
      dir.path() / "regression-learnable");
  // Two stacks: every stack's heatmaps and the remapping into the feature stream.
  export_model("hourglass:stacks=2,channels=8,depth=2,joints=3,input=32x32", dir.path() / "hourglass");
  // dim 8 <= (16·8/8)/2: TokenPose's heatmap MLP with its hidden layer.
  export_model("tokenpose:stem_width=4,dim=8,layers=1,heads=2,patch=4x2,joints=3,input=64x32", dir.path() / "tokenpose");
  std::string cmd = "/usr/bin/python3 " + test::source_dir() + "/tests/unit/nn_pytorch_reference.py";
  for (const char* model : {"heatmap", "regression", "regression-learnable", "hourglass", "tokenpose"})
    cmd += " " + dir.file(model);
  cmd += " 2>&1";
  std::string report;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  char buf[512];
  while (fgets(buf, sizeof buf, pipe)) report += buf;
  const int status = pclose(pipe);
  INFO(report);
  CHECK(status == 0);
}
