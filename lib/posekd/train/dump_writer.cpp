#include "posekd/train/dump_writer.h"

namespace posekd::train {

DumpWriterThread::DumpWriterThread(io::HeatmapsWriter& writer, size_t capacity)
    : writer_(writer), capacity_(capacity < 1 ? 1 : capacity), thread_([this] { loop(); }) {}

DumpWriterThread::~DumpWriterThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DumpWriterThread::push(DumpBlock block) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() < capacity_ || error_; });
  if (error_) std::rethrow_exception(error_);
  queue_.push_back(std::move(block));
  changed_.notify_all();
}

void DumpWriterThread::finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(error_);
}

void DumpWriterThread::loop() {
  for (;;) {
    DumpBlock block;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return !queue_.empty() || closing_ || error_; });
      if (queue_.empty() || error_) return;
      block = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      io::HeatmapBlock b;
      b.count = block.count;
      b.sample_ids = block.sample_ids.data();
      b.image_ids = block.image_ids.data();
      b.crops = block.crops.data();
      b.heatmaps = block.heatmaps.data();
      b.coords = block.coords.data();
      for (const auto& [path, values] : block.extras) b.extras[path] = values.data();
      writer_.write_block(block.first, b);
      writer_.mark_done(block.first, block.count);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
      queue_.clear();
    }
    changed_.notify_all();
  }
}

}  // namespace posekd::train
