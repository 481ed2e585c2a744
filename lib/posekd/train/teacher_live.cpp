// --teacher: a checkpoint run on the student's augmented samples under no-grad.
#include <fmt/format.h>
#include <torch/torch.h>

#include "posekd/codec/heatmap_decode.h"
#include "posekd/codec/regression.h"
#include "posekd/codec/simcc.h"
#include "posekd/core/error.h"
#include "posekd/data/transforms_augment.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/predict.h"
#include "posekd/train/teacher_sources.h"

namespace posekd::train {
namespace {

Affine2D affine_row(const at::Tensor& affines, int64_t b) {
  const at::Tensor row = affines[b].to(torch::kCPU, torch::kFloat64).contiguous();
  return Affine2D::from(row.data_ptr<double>());
}

class LiveTeacher : public Teacher {
 public:
  LiveTeacher(const TeacherOptions& options, const TeacherRequirements& needs, const torch::Device& device)
      : options_(options), needs_(needs), device_(device) {
    loaded_ = load_model(options.checkpoint, device);
    loaded_.model->eval();
    for (auto& p : loaded_.model->parameters()) p.set_requires_grad(false);
    const nn::ModelInfo& m = loaded_.model->info();
    info_.source = options.checkpoint;
    info_.model_spec = m.spec.str();
    info_.input = m.input;
    info_.heatmap = m.heatmap;
    info_.codec = loaded_.codec;
    info_.skeleton = loaded_.checkpoint.skeleton;
    check_outputs();
  }

  bool online() const override { return true; }
  const TeacherInfo& info() const override { return info_; }

  void check_training_set(const std::vector<Instance>&, const Skeleton& skeleton, const std::string&) override {
    check_skeleton(info_.skeleton, skeleton, info_.source, "/skeleton");
  }

  void configure_loader(LoaderOptions& options) override {
    student_ = options.targets;
    normalization_.mean = options.mean;
    normalization_.std = options.std;
    own_crop_ = student_.input_w != info_.input.width || student_.input_h != info_.input.height ||
                student_.geometry() != crop_geometry(info_.codec);
    if (!own_crop_) return;
    const std::vector<int> flip_index = info_.skeleton.flip_index();
    add_extra_targets(options, [this, flip_index](const ExtraTargetRequest& req) {
      const int w = info_.input.width, h = info_.input.height;
      const RenderedCrop crop =
          render_augmented(*req.image, *req.instance, *req.params, w, h, crop_geometry(info_.codec), flip_index);
      ExtraTarget image{kTeacherImagesExtra, {3, h, w}, std::vector<float>(size_t(3) * size_t(h) * size_t(w))};
      normalize_image(crop.image, normalization_, image.values.data());
      const auto a = crop.affine.to_float();
      ExtraTarget affine{kTeacherAffinesExtra, {2, 3}, std::vector<float>(a.begin(), a.end())};
      return std::vector<ExtraTarget>{std::move(image), std::move(affine)};
    });
  }

  TeacherBatch run(const Batch& batch, const torch::Device& device) override {
    torch::NoGradGuard no_grad;
    const at::Tensor images = own_crop_ ? batch.extra.at(kTeacherImagesExtra) : batch.images;
    nn::ModelOutputs out = loaded_.model->forward(images.to(device_));
    const int64_t B = batch.size();
    const at::Tensor teacher_affines =
        own_crop_ ? batch.extra.at(kTeacherAffinesExtra).to(torch::kCPU, torch::kFloat64) : batch.affines.to(torch::kCPU);
    TeacherBatch t;
    t.teacher_to_student = torch::empty({B, 2, 3}, torch::kFloat64);
    std::vector<CropFrame> teacher_frames, target_frames;
    for (int64_t b = 0; b < B; ++b) {
      const Affine2D student = affine_row(batch.affines, b), teacher = affine_row(teacher_affines, b);
      const auto m = student.after(teacher.inverse()).data();
      std::copy(m.begin(), m.end(), t.teacher_to_student.data_ptr<double>() + 6 * b);
      teacher_frames.push_back(CropFrame{teacher, info_.input.width, info_.input.height, info_.heatmap.width,
                                         info_.heatmap.height, crop_geometry(info_.codec)});
      target_frames.push_back(teacher_target_frame(student_, student, info_, needs_.resolution));
    }
    at::Tensor host_maps;
    if (!out.heatmaps.empty()) host_maps = out.final_heatmaps().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    if (needs_.heatmaps) t.heatmaps = student_maps(host_maps, teacher_frames, target_frames).to(device);
    t.joints = decode_joints(out, host_maps, teacher_frames, t.teacher_to_student).to(device);
    t.teacher_to_student = t.teacher_to_student.to(device);
    t.outputs = std::move(out);
    return t;
  }

 private:
  // Refuses, before training, a teacher without what the method distils.
  void check_outputs() {
    const nn::ModelInfo& m = loaded_.model->info();
    const std::string& path = info_.source;
    if (needs_.heatmaps && m.head != nn::HeadType::heatmap)
      fail(path, "/@model_spec",
           fmt::format("{} needs teacher heatmaps, found a {} head (pose-dump-heatmaps renders its joints as "
                       "Gaussians: use that file with --teacher-heatmaps)",
                       needs_.method, nn::head_name(m.head)));
    if (needs_.simcc && m.head != nn::HeadType::simcc)
      fail(path, "/@model_spec",
           fmt::format("{} needs a SimCC teacher, found a {} head", needs_.method, nn::head_name(m.head)));
    if (!needs_.tokens && needs_.features.empty() && !needs_.all_features) return;
    torch::NoGradGuard no_grad;
    const auto out = loaded_.model->forward(torch::zeros({1, 3, m.input.height, m.input.width}, torch::TensorOptions().device(device_)));
    if (needs_.tokens && !out.keypoint_tokens.defined())
      fail(path, "/@model_spec",
           fmt::format("{} needs keypoint and visual tokens, found a model without them ({}); a token-based teacher "
                       "is tokenpose",
                       needs_.method, m.spec.str()));
    std::string names;
    for (const auto& f : out.features) names += (names.empty() ? "" : ", ") + f.name;
    for (const auto& wanted : needs_.features) {
      bool found = false;
      for (const auto& f : out.features) found = found || f.name == wanted;
      if (!found)
        fail(path, "/@model_spec",
             fmt::format("{} needs teacher feature '{}', found only {}", needs_.method, wanted, names.empty() ? "none" : names));
    }
    if (needs_.all_features && out.features.empty())
      fail(path, "/@model_spec", fmt::format("{} needs teacher features, found none", needs_.method));
  }

  at::Tensor student_maps(const at::Tensor& maps, const std::vector<CropFrame>& from, const std::vector<CropFrame>& to) const {
    const int64_t B = int64_t(from.size());
    const int K = int(maps.size(1));
    bool same = true;
    for (size_t b = 0; b < from.size(); ++b) {
      const CropFrame &f = from[b], &t = to[b];
      same = same && f.heatmap_w == t.heatmap_w && f.heatmap_h == t.heatmap_h && f.input_w == t.input_w &&
             f.input_h == t.input_h && f.geometry == t.geometry && f.crop.approx_equal(t.crop, 1e-6);
    }
    if (same) return maps;
    at::Tensor out = torch::empty({B, K, to.front().heatmap_h, to.front().heatmap_w}, torch::kFloat32);
    const int64_t in_per = maps[0].numel(), out_per = out[0].numel();
    // Same samples, same flips: the composed warp never mirrors, so no flip pairs are needed.
    for (int64_t b = 0; b < B; ++b)
      warp_heatmaps(maps.data_ptr<float>() + b * in_per, K, from[size_t(b)], to[size_t(b)], {},
                    out.data_ptr<float>() + b * out_per, options_.warp);
    return out;
  }

  // The teacher checkpoint's own decoding, as pose-dump-heatmaps decodes (no flip test), in
  // student input pixels.
  at::Tensor decode_joints(const nn::ModelOutputs& out, const at::Tensor& host_maps, const std::vector<CropFrame>& frames,
                           const at::Tensor& teacher_to_student) const {
    const nn::ModelInfo& m = loaded_.model->info();
    const int K = m.joints;
    const int64_t B = int64_t(frames.size());
    at::Tensor joints = torch::empty({B, K, 3}, torch::kFloat32);
    HeatmapDecodeOptions decode;
    decode.decoder = default_decoder(info_.codec);
    decode.blur_kernel = default_blur_kernel(m.heatmap.width);
    at::Tensor sx, sy, coords, score;
    if (out.simcc_x.defined()) {
      sx = out.simcc_x.detach().to(torch::kCPU, torch::kFloat32).contiguous();
      sy = out.simcc_y.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    }
    if (out.coords.defined()) {
      coords = out.coords.detach().to(torch::kCPU, torch::kFloat32).contiguous();
      score = out.score.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    }
    for (int64_t b = 0; b < B; ++b) {
      std::vector<DecodedKeypoint> d;
      if (host_maps.defined()) {
        const int h = int(host_maps.size(2)), w = int(host_maps.size(3));
        d = decode_heatmaps(host_maps.data_ptr<float>() + b * K * h * w, K, h, w, decode);
        // heatmap -> teacher input pixels
        apply_affine(d, input_to_heatmap(m.input.width, m.input.height, w, h, frames[size_t(b)].geometry).inverse());
      } else if (sx.defined()) {
        const int bx = int(sx.size(2)), by = int(sy.size(2));
        d = decode_simcc(sx.data_ptr<float>() + b * K * bx, sy.data_ptr<float>() + b * K * by, K, bx, by,
                         m.spec.get_real("split"));
      } else {
        d = decode_regression(coords.data_ptr<float>() + b * K * 2, score.data_ptr<float>() + b * K, K, m.input.width,
                              m.input.height);
      }
      apply_affine(d, Affine2D::from(teacher_to_student.data_ptr<double>() + 6 * b));
      float* row = joints.data_ptr<float>() + b * K * 3;
      for (int k = 0; k < K; ++k) {
        row[3 * k] = float(d[size_t(k)].x);
        row[3 * k + 1] = float(d[size_t(k)].y);
        row[3 * k + 2] = float(d[size_t(k)].score);
      }
    }
    return joints;
  }

  TeacherOptions options_;
  TeacherRequirements needs_;
  torch::Device device_;
  LoadedModel loaded_;
  TeacherInfo info_;
  TargetOptions student_;
  LoaderOptions normalization_;  // only mean and std: the loader's image normalisation
  bool own_crop_ = false;
};

}  // namespace

std::unique_ptr<Teacher> make_live_teacher(const TeacherOptions& options, const TeacherRequirements& needs,
                                           const torch::Device& device) {
  return std::make_unique<LiveTeacher>(options, needs, device);
}

}  // namespace posekd::train
