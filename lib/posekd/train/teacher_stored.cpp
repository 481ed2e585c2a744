// --teacher-heatmaps: a pose-dump-heatmaps file as the teacher (DESIGN 3.3).
#include <fmt/format.h>
#include <torch/torch.h>

#include "posekd/core/error.h"
#include "posekd/io/heatmaps.h"
#include "posekd/train/model_checkpoint.h"
#include "posekd/train/teacher_records.h"
#include "posekd/train/teacher_sources.h"

namespace posekd::train {
namespace {

std::string attribute_or_empty(const io::HeatmapsLayout& layout, const std::string& name) {
  auto it = layout.attributes.find(name);
  return it == layout.attributes.end() ? std::string() : it->second;
}

std::string online_parts(const TeacherRequirements& needs) {
  std::vector<std::string> parts;
  if (needs.all_features || !needs.features.empty()) parts.push_back("features");
  if (needs.tokens) parts.push_back("tokens");
  if (needs.simcc) parts.push_back("SimCC vectors");
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  return s;
}

class StoredTeacher : public Teacher {
 public:
  StoredTeacher(const TeacherOptions& options, const TeacherRequirements& needs) : options_(options), needs_(needs) {
    if (needs.needs_online())
      throw UsageError(fmt::format(
          "{} distils the teacher's {}, which a stored heatmaps file cannot give under augmentation (they are not "
          "warp-invariant, DESIGN 3.3): use a live teacher, --teacher CKPT",
          needs.method, online_parts(needs)));
    reader_ = std::make_shared<io::HeatmapsReader>(options.heatmaps);
    const auto& layout = reader_->layout();
    const std::string& path = reader_->path();
    if (!reader_->complete())
      fail(path, "/done",
           fmt::format("expected a complete dump, found {} of {} samples written (finish it with pose-dump-heatmaps "
                       "--resume)",
                       reader_->done_count(), reader_->size()));
    if (attribute_or_empty(layout, "boxes") == "detections")
      fail(path, "/@boxes",
           "expected teacher maps on ground-truth boxes, found detections (their sample ids are positions in the "
           "detection file, not annotation ids)");
    const std::string decoding = attribute_or_empty(layout, "decoding");
    if (decoding.empty())
      fail(path, "/@decoding", "expected the dump's target convention (hrnet, unbiased or udp), found none");
    try {
      info_.codec = parse_heatmap_codec(decoding);
    } catch (const Error& e) {
      fail(path, "/@decoding", e.what());
    }
    if (layout.input_size[0] < 1 || layout.input_size[1] < 1 || layout.width < 2 || layout.height < 2)
      fail(path, "/@input_size",
           fmt::format("expected a crop and maps of at least 2x2 pixels, found input {}x{} and maps {}x{}",
                       layout.input_size[0], layout.input_size[1], layout.width, layout.height));
    info_.source = path;
    info_.model_spec = layout.model_spec;
    info_.input = {int(layout.input_size[1]), int(layout.input_size[0])};
    info_.heatmap = {int(layout.height), int(layout.width)};
    info_.skeleton = layout.skeleton;
  }

  bool online() const override { return false; }
  const TeacherInfo& info() const override { return info_; }

  void check_training_set(const std::vector<Instance>& instances, const Skeleton& skeleton,
                          const std::string& training_file) override {
    check_skeleton(info_.skeleton, skeleton, info_.source, "/skeleton");
    std::vector<int64_t> rows(instances.size()), missing;
    for (size_t i = 0; i < instances.size(); ++i) {
      rows[i] = reader_->index_of(instances[i].sample_id);
      if (rows[i] < 0) missing.push_back(instances[i].sample_id);
    }
    if (!missing.empty()) {
      std::string shown;
      for (size_t i = 0; i < missing.size() && i < 5; ++i) shown += (i ? ", " : "") + std::to_string(missing[i]);
      fail(info_.source, "/sample_id",
           fmt::format("expected every sample_id of {} ({} samples), found {} missing ({}{}): a dump of another "
                       "dataset?",
                       training_file, instances.size(), missing.size(), shown, missing.size() > 5 ? ", ..." : ""));
    }
    rows_ = std::move(rows);
    flip_index_ = skeleton.flip_index();
  }

  void configure_loader(LoaderOptions& options) override {
    if (rows_.empty()) throw Error("stored teacher: check_training_set must run before configure_loader");
    student_ = options.targets;
    const size_t capacity = options_.cache_samples > 0
                                ? size_t(options_.cache_samples)
                                : size_t(options.prefetch + options.workers + 1) * size_t(options.batch_size);
    stream_ = std::make_shared<TeacherRecordStream>(reader_, rows_, capacity);
    auto stream = stream_;
    add_epoch_order(options, [stream](int64_t, const std::vector<size_t>& order, size_t first) {
      stream->start(order, first);
    });
    add_extra_targets(options, [this, stream](const ExtraTargetRequest& req) { return targets(*stream, req); });
  }

  TeacherBatch run(const Batch& batch, const torch::Device& device) override {
    TeacherBatch t;
    if (needs_.heatmaps) t.heatmaps = batch.extra.at(kTeacherHeatmapsExtra).to(device);
    t.joints = batch.extra.at(kTeacherJointsExtra).to(device);
    t.teacher_to_student = torch::eye(3, torch::kFloat64).slice(0, 0, 2).expand({batch.size(), 2, 3}).contiguous();
    return t;
  }

 private:
  std::vector<ExtraTarget> targets(TeacherRecordStream& stream, const ExtraTargetRequest& req) const {
    const TeacherRecord record = stream.take(req.index);
    const int K = int(reader_->layout().joints);
    const CropFrame from{Affine2D::from(record.crop.data()), info_.input.width, info_.input.height,
                         info_.heatmap.width, info_.heatmap.height, crop_geometry(info_.codec)};
    const CropFrame to = teacher_target_frame(student_, req.frame.crop, info_, needs_.resolution);
    std::vector<ExtraTarget> out;
    if (needs_.heatmaps) {
      ExtraTarget maps{kTeacherHeatmapsExtra, {K, to.heatmap_h, to.heatmap_w}, {}};
      maps.values.resize(size_t(K) * size_t(to.heatmap_h) * size_t(to.heatmap_w));
      warp_heatmaps(record.heatmaps.data(), K, from, to, flip_index_, maps.values.data(), options_.warp);
      out.push_back(std::move(maps));
    }
    // /coords name true joints in the image; a flipped student crop swaps left and right.
    ExtraTarget joints{kTeacherJointsExtra, {K, 3}, std::vector<float>(size_t(K) * 3)};
    const bool flipped = req.frame.crop.determinant() < 0;
    for (int k = 0; k < K; ++k) {
      const int source = flipped ? flip_index_[size_t(k)] : k;
      const float* c = record.coords.data() + 3 * source;
      const Point2 p = req.frame.crop.apply({c[0], c[1]});
      joints.values[size_t(3 * k)] = float(p.x);
      joints.values[size_t(3 * k + 1)] = float(p.y);
      joints.values[size_t(3 * k + 2)] = c[2];
    }
    out.push_back(std::move(joints));
    return out;
  }

  TeacherOptions options_;
  TeacherRequirements needs_;
  TeacherInfo info_;
  std::shared_ptr<io::HeatmapsReader> reader_;
  std::vector<int64_t> rows_;
  std::vector<int> flip_index_;
  TargetOptions student_;
  std::shared_ptr<TeacherRecordStream> stream_;
};

}  // namespace

std::unique_ptr<Teacher> make_stored_teacher(const TeacherOptions& options, const TeacherRequirements& needs) {
  return std::make_unique<StoredTeacher>(options, needs);
}

}  // namespace posekd::train
