#include "posekd/train/teacher_records.h"

#include <algorithm>

namespace posekd::train {

TeacherRecordStream::TeacherRecordStream(std::shared_ptr<const io::HeatmapsReader> reader,
                                         std::vector<int64_t> row_of_index, size_t capacity)
    : reader_(std::move(reader)),
      row_of_index_(std::move(row_of_index)),
      capacity_(std::max<size_t>(capacity, 1)),
      crop_(reader_->file().open_dataset("crop")),
      coords_(reader_->file().open_dataset("coords")),
      position_of_(row_of_index_.size(), -1) {}

TeacherRecordStream::~TeacherRecordStream() { stop(); }

TeacherRecord TeacherRecordStream::read(size_t index) const {
  const int64_t row = row_of_index_.at(index);
  const auto& layout = reader_->layout();
  TeacherRecord r;
  r.heatmaps.resize(size_t(layout.map_values()));
  reader_->read_heatmaps(row, r.heatmaps.data());
  crop_.read_rows(row, 1, r.crop.data());
  r.coords.resize(size_t(layout.joints * 3));
  coords_.read_rows(row, 1, r.coords.data());
  return r;
}

void TeacherRecordStream::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  room_cv_.notify_all();
  ready_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TeacherRecordStream::start(const std::vector<size_t>& order, size_t first) {
  stop();
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i : order_) position_of_[i] = -1;
  order_ = order;
  for (size_t p = 0; p < order_.size(); ++p) position_of_.at(order_[p]) = int64_t(p);
  next_ = std::min(first, order_.size());
  cache_.clear();
  error_ = nullptr;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void TeacherRecordStream::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_ && next_ < order_.size()) {
    room_cv_.wait(lock, [&] { return stopping_ || cache_.size() < capacity_; });
    if (stopping_) return;
    const size_t index = order_[next_];
    lock.unlock();
    try {
      TeacherRecord record = read(index);
      lock.lock();
      cache_.emplace(index, std::move(record));
      ++next_;
    } catch (...) {
      lock.lock();
      error_ = std::current_exception();
      ready_cv_.notify_all();
      return;
    }
    ready_cv_.notify_all();
  }
}

TeacherRecord TeacherRecordStream::take(size_t index) {
  std::unique_lock<std::mutex> lock(mutex_);
  const int64_t position = index < position_of_.size() ? position_of_[index] : -1;
  // Only a record the reader has yet to pass is worth waiting for.
  const bool ahead = position >= 0 && thread_.joinable() && (size_t(position) >= next_ || cache_.count(index));
  if (ahead) {
    ready_cv_.wait(lock, [&] { return error_ || stopping_ || cache_.count(index) > 0; });
    if (error_) std::rethrow_exception(error_);
    auto node = cache_.extract(index);
    if (node) {
      lock.unlock();
      room_cv_.notify_one();
      return std::move(node.mapped());
    }
  }
  lock.unlock();
  return read(index);
}

size_t TeacherRecordStream::cached() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cache_.size();
}

}  // namespace posekd::train
