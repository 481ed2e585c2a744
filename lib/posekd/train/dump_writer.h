#pragma once
// The dump's writer thread: HDF5 writes (and float16 conversion) overlap the next batches'
// inference. At most `capacity` batches wait, so memory stays bounded whatever the dataset.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "posekd/io/heatmaps.h"

namespace posekd::train {

// One batch's rows [first, first + count) of the dump, in contiguous float32 arrays.
struct DumpBlock {
  int64_t first = 0, count = 0;
  std::vector<int64_t> sample_ids, image_ids;
  std::vector<float> crops, heatmaps, coords;
  std::map<std::string, std::vector<float>> extras;
};

class DumpWriterThread {
 public:
  DumpWriterThread(io::HeatmapsWriter& writer, size_t capacity = 2);
  ~DumpWriterThread();  // finishes what is queued
  DumpWriterThread(const DumpWriterThread&) = delete;
  DumpWriterThread& operator=(const DumpWriterThread&) = delete;

  // Waits while `capacity` blocks are queued; rethrows the writer's error, if any.
  void push(DumpBlock block);
  // Writes everything queued, stops the thread, rethrows the writer's error.
  void finish();

 private:
  void loop();
  io::HeatmapsWriter& writer_;
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<DumpBlock> queue_;
  bool closing_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace posekd::train
