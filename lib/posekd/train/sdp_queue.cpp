#include "posekd/train/sdp_queue.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>

#include "posekd/core/error.h"
#include "posekd/io/h5.h"

namespace posekd::train {

namespace {

constexpr int kFields = AugParams::kFields;

std::vector<float> split_all(const std::vector<double>& values) {
  std::vector<float> out(values.size() * 3);
  for (size_t i = 0; i < values.size(); ++i) split_exact(values[i], &out[3 * i]);
  return out;
}

std::vector<double> join_all(const io::NamedArray& array) {
  std::vector<double> out(array.values.size() / 3);
  for (size_t i = 0; i < out.size(); ++i) out[i] = join_exact(&array.values[3 * i]);
  return out;
}

[[noreturn]] void malformed(const std::string& origin, const std::string& name, const std::string& what) {
  throw Error(fmt::format("{}:/extra/state/{}: {}", origin, name, what));
}

const io::NamedArray& expect_array(const std::map<std::string, const io::NamedArray*>& arrays, const std::string& name,
                                   const std::string& origin, const h5::Shape& shape) {
  const auto it = arrays.find(name);
  if (it == arrays.end()) malformed(origin, name, "missing (the SDP queue is incomplete)");
  const auto& a = *it->second;
  bool same = a.shape.size() == shape.size();
  for (size_t i = 0; same && i < shape.size(); ++i) same = shape[i] < 0 || a.shape[i] == shape[i];
  if (!same) malformed(origin, name, fmt::format("expected {}, found {}", h5::shape_text(shape), h5::shape_text(a.shape)));
  return a;
}

}  // namespace

void split_exact(double value, float* out) {
  const float a = float(value);
  const double r1 = value - double(a);
  const float b = float(r1);
  const float c = float(r1 - double(b));
  out[0] = a;
  out[1] = b;
  out[2] = c;
  if (join_exact(out) != value)
    throw Error(fmt::format("SDP queue: {:.17g} cannot be stored exactly as float32 parts", value));
}

double join_exact(const float* in) { return (double(in[2]) + double(in[1])) + double(in[0]); }

const QueuedBatch* SdpQueue::backup_for(int64_t step, int64_t distance) const {
  if (batches_.empty()) return nullptr;
  const int64_t wanted = step - distance;
  for (const auto& b : batches_)
    if (b.step == wanted) return &b;
  return &batches_.front();
}

void SdpQueue::push(QueuedBatch batch, int64_t distance) {
  if (!batches_.empty() && batch.step != batches_.back().step + 1)
    throw Error(fmt::format("SDP queue: step {} queued after step {}", batch.step, batches_.back().step));
  const int64_t next_step = batch.step + 1;
  batches_.push_back(std::move(batch));
  while (!batches_.empty() && batches_.front().step < next_step - distance) batches_.pop_front();
}

int64_t SdpQueue::bytes() const {
  int64_t total = 0;
  for (const auto& b : batches_)
    total += int64_t(b.indices.size() * sizeof(int64_t) + b.params.size() * sizeof(AugParams)) +
             int64_t(b.predictions.nbytes());
  return total;
}

std::vector<io::NamedArray> SdpQueue::to_arrays() const {
  std::vector<io::NamedArray> arrays;
  for (size_t n = 0; n < batches_.size(); ++n) {
    const auto& b = batches_[n];
    const std::string prefix = fmt::format("queue/{}/", n);
    const auto rows = int64_t(b.indices.size());
    arrays.push_back({prefix + "step", {3}, split_all({double(b.step)})});
    arrays.push_back({prefix + "indices", {rows, 3}, split_all(std::vector<double>(b.indices.begin(), b.indices.end()))});
    std::vector<double> aug(b.params.size() * kFields);
    for (size_t i = 0; i < b.params.size(); ++i) b.params[i].to_array(&aug[i * kFields]);
    arrays.push_back({prefix + "aug", {rows, kFields, 3}, split_all(aug)});
    const auto p = b.predictions.to(torch::kCPU, torch::kFloat).contiguous();
    h5::Shape shape(p.sizes().begin(), p.sizes().end());
    arrays.push_back({prefix + "predictions", shape,
                      std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel())});
  }
  return arrays;
}

SdpQueue SdpQueue::from_arrays(const std::vector<io::NamedArray>& arrays, const std::string& origin,
                               const torch::Device& device) {
  std::map<std::string, const io::NamedArray*> by_name;
  size_t count = 0;
  for (const auto& a : arrays) {
    by_name[a.name] = &a;
    size_t n = 0;
    char field[32] = {};
    if (std::sscanf(a.name.c_str(), "queue/%zu/%31s", &n, field) == 2) count = std::max(count, n + 1);
  }
  SdpQueue queue;
  for (size_t n = 0; n < count; ++n) {
    const std::string prefix = fmt::format("queue/{}/", n);
    QueuedBatch b;
    b.step = int64_t(join_all(expect_array(by_name, prefix + "step", origin, {3}))[0]);
    const auto& indices = expect_array(by_name, prefix + "indices", origin, {-1, 3});
    const auto rows = indices.shape[0];
    for (double i : join_all(indices)) b.indices.push_back(int64_t(i));
    const auto aug = join_all(expect_array(by_name, prefix + "aug", origin, {rows, kFields, 3}));
    for (int64_t i = 0; i < rows; ++i) b.params.push_back(AugParams::from_array(&aug[size_t(i) * kFields]));
    const auto& p = expect_array(by_name, prefix + "predictions", origin, {rows, -1, -1, -1});
    std::vector<int64_t> sizes(p.shape.begin(), p.shape.end());
    b.predictions = torch::from_blob(const_cast<float*>(p.values.data()), sizes, torch::kFloat)
                        .to(device, torch::kHalf, /*non_blocking=*/false, /*copy=*/true);
    if (!queue.batches_.empty() && b.step != queue.batches_.back().step + 1)
      malformed(origin, prefix + "step", fmt::format("expected {}, found {}", queue.batches_.back().step + 1, b.step));
    queue.batches_.push_back(std::move(b));
  }
  return queue;
}

}  // namespace posekd::train
