#pragma once
// A log-linear latency histogram in the spirit of HdrHistogram: values below 256 are exact, and
// above that each power of two is split into 128 buckets, so a reported percentile is within
// 0.4% (half a bucket) of the true sample. Fixed size (about 60 KB), cheap to record and merge.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rookery::bench {

class histogram {
 public:
  histogram();

  void record(uint64_t value);
  void merge(const histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value at quantile q (0 < q <= 1): the midpoint of the bucket holding the
  // ceil(q * count)-th smallest sample, clamped to [min, max]. 0 for an empty histogram.
  uint64_t percentile(double q) const;

 private:
  static std::size_t bucket_of(uint64_t value);
  static uint64_t bucket_low(std::size_t index);
  static uint64_t bucket_width(std::size_t index);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace rookery::bench
