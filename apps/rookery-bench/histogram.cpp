#include "apps/rookery-bench/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace rookery::bench {

namespace {
constexpr unsigned kSubBits = 7;                      // 128 buckets per power of two
constexpr uint64_t kExact = uint64_t{1} << (kSubBits + 1);  // values below 256 are exact
constexpr uint64_t kSub = uint64_t{1} << kSubBits;
constexpr std::size_t kBuckets = kExact + (64 - kSubBits - 1) * kSub;

unsigned msb(uint64_t v) { return 63u - static_cast<unsigned>(__builtin_clzll(v)); }
}  // namespace

histogram::histogram() : buckets_(kBuckets, 0) {}

std::size_t histogram::bucket_of(uint64_t value) {
  if (value < kExact) return static_cast<std::size_t>(value);
  unsigned shift = msb(value) - kSubBits;  // >= 1; value >> shift lies in [128, 255]
  return static_cast<std::size_t>(kExact + (shift - 1) * kSub + ((value >> shift) - kSub));
}

uint64_t histogram::bucket_low(std::size_t index) {
  if (index < kExact) return index;
  std::size_t rel = index - kExact;
  unsigned shift = static_cast<unsigned>(rel / kSub) + 1;
  return (kSub + rel % kSub) << shift;
}

uint64_t histogram::bucket_width(std::size_t index) {
  if (index < kExact) return 1;
  return uint64_t{1} << (static_cast<unsigned>((index - kExact) / kSub) + 1);
}

void histogram::record(uint64_t value) {
  ++buckets_[bucket_of(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void histogram::merge(const histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      uint64_t mid = bucket_low(i) + bucket_width(i) / 2;
      if (bucket_width(i) == 1) mid = bucket_low(i);
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace rookery::bench
