#pragma once
// Stored teacher records read ahead in the order the loader will ask for them. One reader
// thread walks the epoch's sample order (the loader announces it at start_epoch) and fills a
// bounded cache; the loader's workers take records from it as they build batches. HDF5 serialises
// its calls even in the thread-safe build, so one reader is as fast as many and keeps the
// workers free for the warps. Memory: `capacity` records, whatever the file's size.
#include <array>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "posekd/io/heatmaps.h"

namespace posekd::train {

struct TeacherRecord {
  std::array<float, 6> crop{};  // the dump's image -> input affine, row-major
  std::vector<float> heatmaps;  // K*h*w
  std::vector<float> coords;    // K*3, image pixels
};

class TeacherRecordStream {
 public:
  // `row_of_index[i]`: the file row of the loader's instance i.
  TeacherRecordStream(std::shared_ptr<const io::HeatmapsReader> reader, std::vector<int64_t> row_of_index,
                      size_t capacity);
  ~TeacherRecordStream();
  TeacherRecordStream(const TeacherRecordStream&) = delete;
  TeacherRecordStream& operator=(const TeacherRecordStream&) = delete;

  // Restarts the read-ahead at order[first]; records of the previous order are dropped.
  void start(const std::vector<size_t>& order, size_t first);
  // The record of instance i. Waits for the reader when i lies ahead in the current order;
  // reads the row directly when it does not (a sample asked for outside the epoch's order).
  // Rethrows the reader's error. Thread-safe.
  TeacherRecord take(size_t index);

  TeacherRecord read(size_t index) const;
  size_t capacity() const { return capacity_; }
  // Records read ahead and not yet taken, at most capacity().
  size_t cached() const;

 private:
  void stop();
  void run();

  std::shared_ptr<const io::HeatmapsReader> reader_;
  std::vector<int64_t> row_of_index_;
  size_t capacity_;
  h5::Dataset crop_, coords_;

  mutable std::mutex mutex_;
  std::condition_variable room_cv_, ready_cv_;
  std::vector<size_t> order_;
  std::vector<int64_t> position_of_;  // instance -> position in order_, -1 when absent
  size_t next_ = 0;                   // next position the reader reads
  std::unordered_map<size_t, TeacherRecord> cache_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace posekd::train
