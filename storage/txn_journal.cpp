#include "storage/txn_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "storage/durable_dirs.hpp"
#include "storage/journal_format.hpp"
#include "storage/storage_error.hpp"

namespace rookery::storage {
namespace {

namespace fs = std::filesystem;
namespace format = journal_format;

constexpr std::string_view name_prefix = "log.";

void sync_or_fail(int fd, const std::string& what) {
  if (::fsync(fd) != 0) throw_errno(errno, "fsync " + what);
}

void write_all(int fd, const char* data, std::size_t size, int64_t offset, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    // pwrite of a regular file writes something or says why not; 0 would loop forever.
    if (n <= 0) throw_errno(n < 0 ? errno : EIO, "write " + what);
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
}

std::string read_whole(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno(errno, "open " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    throw_errno(error, "stat " + path);
  }
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::pread(fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = n < 0 ? errno : EIO;
      ::close(fd);
      throw_errno(error, "read " + path);
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return bytes;
}

// "log." followed by 16 hex digits; anything else in the directory is not ours.
bool parse_segment_name(const std::string& name, int64_t& first_zxid) {
  if (name.size() != name_prefix.size() + 16 || name.compare(0, name_prefix.size(), name_prefix) != 0) return false;
  uint64_t value = 0;
  for (char c : name.substr(name_prefix.size())) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return false;
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  first_zxid = static_cast<int64_t>(value);
  return true;
}

[[noreturn]] void corrupt(const std::string& what) { throw storage_error(storage_error::kind::corrupt, what); }

std::string damaged_record(const std::string& path, const format::scan_result& scan) {
  char where[96];
  std::snprintf(where, sizeof where, ": damaged record at offset %zu, after zxid 0x%" PRIx64, scan.valid_end,
                static_cast<uint64_t>(scan.last_zxid));
  return path + where;
}

}  // namespace

txn_journal::txn_journal(journal_options options) : options_(std::move(options)) {
  create_directories_durably(options_.directory);
  directory_fd_ = ::open(options_.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd_ < 0) throw_errno(errno, "open " + options_.directory);
  try {
    for (const auto& entry : fs::directory_iterator(options_.directory)) {
      int64_t first_zxid = 0;
      if (entry.is_regular_file() && parse_segment_name(entry.path().filename().string(), first_zxid))
        segments_.push_back({first_zxid, entry.path().string()});
    }
    std::sort(segments_.begin(), segments_.end(),
              [](const segment& a, const segment& b) { return a.first_zxid < b.first_zxid; });
    recover_newest();
  } catch (...) {
    if (active_fd_ >= 0) ::close(active_fd_);
    ::close(directory_fd_);
    throw;
  }
}

txn_journal::~txn_journal() {
  if (active_fd_ >= 0) ::close(active_fd_);
  if (directory_fd_ >= 0) ::close(directory_fd_);
}

void txn_journal::remove_newest() {
  const std::string& path = segments_.back().path;
  if (::unlink(path.c_str()) != 0) throw_errno(errno, "remove " + path);
  sync_or_fail(directory_fd_, options_.directory);
  segments_.pop_back();
}

int64_t txn_journal::last_zxid_in(const segment& s) const {
  auto scan = format::scan_records(read_whole(s.path), [](int64_t, std::string_view) {});
  return scan.last_zxid != 0 ? scan.last_zxid : s.first_zxid - 1;
}

void txn_journal::recover_newest() {
  while (!segments_.empty()) {
    const segment& newest = segments_.back();
    const std::string bytes = read_whole(newest.path);
    auto first_zxid = format::read_segment_header(bytes);
    if (!first_zxid) {
      // Nothing but zeros: created, but its header never reached the disk, so no record in
      // it was acknowledged. Anything else there is damage, not an interrupted creation.
      if (bytes.find_first_not_of('\0') != std::string::npos) corrupt(newest.path + ": bad header");
      remove_newest();
      continue;
    }
    if (*first_zxid != newest.first_zxid) corrupt(newest.path + " says it starts at another zxid");
    auto scan = format::scan_records(bytes, [](int64_t, std::string_view) {});
    if (scan.end == format::scan_end::damaged) corrupt(damaged_record(newest.path, scan));
    // A segment whose creation failed was removed, but a crash can undo a removal: it comes
    // back empty, named for a zxid the segment before it may since have taken. Taken as
    // newest it would put last_zxid back and have acknowledged zxids issued again.
    if (scan.last_zxid == 0 && segments_.size() > 1 &&
        last_zxid_in(segments_[segments_.size() - 2]) >= newest.first_zxid) {
      remove_newest();
      continue;
    }
    active_fd_ = ::open(newest.path.c_str(), O_RDWR | O_CLOEXEC);
    if (active_fd_ < 0) throw_errno(errno, "open " + newest.path);
    allocated_ = static_cast<int64_t>(bytes.size());
    write_offset_ = static_cast<int64_t>(scan.valid_end);
    // Everything past the valid records goes, zero fill included: a crash may have left
    // parts of an unacknowledged batch behind a header that reads as zeros, and a later
    // record of the same length would make the scan walk into them.
    if (scan.end == format::scan_end::torn) torn_bytes_cut_ = allocated_ - write_offset_;
    if (allocated_ > write_offset_) {
      cut_back_after_failed_write();
      if (unusable_) throw_errno(EIO, "cut the unused tail of " + newest.path);
    }
    last_zxid_ = scan.last_zxid != 0 ? scan.last_zxid : newest.first_zxid - 1;
    return;
  }
}

std::string txn_journal::segment_path(int64_t first_zxid) const {
  char name[32];
  std::snprintf(name, sizeof name, "log.%016" PRIx64, static_cast<uint64_t>(first_zxid));
  return (fs::path(options_.directory) / name).string();
}

void txn_journal::start_segment(int64_t first_zxid) {
  std::string path = segment_path(first_zxid);
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(errno, "create " + path);
  int previous_fd = active_fd_;
  int64_t previous_offset = write_offset_, previous_allocated = allocated_;
  active_fd_ = fd;
  write_offset_ = 0;
  allocated_ = 0;
  try {
    scratch_.clear();
    format::append_segment_header(scratch_, first_zxid);
    ensure_room(static_cast<int64_t>(scratch_.size()));
    write_all(fd, scratch_.data(), scratch_.size(), 0, path);
    sync_or_fail(fd, path);
    // The new name must be durable before anything acknowledged depends on it.
    sync_or_fail(directory_fd_, options_.directory);
  } catch (...) {
    ::close(fd);
    // Its zxid goes into the previous segment next time; if the removal failed or might not
    // last (the directory sync failed), stop writing: a stale log.X that outlives it would
    // hide the records of X onwards from replay, which skips a segment the next one follows.
    if (::unlink(path.c_str()) != 0 ? errno != ENOENT : ::fsync(directory_fd_) != 0) unusable_ = true;
    active_fd_ = previous_fd;
    write_offset_ = previous_offset;
    allocated_ = previous_allocated;
    throw;
  }
  if (previous_fd >= 0) ::close(previous_fd);
  write_offset_ = static_cast<int64_t>(format::segment_header_bytes);
  segments_.push_back({first_zxid, std::move(path)});
}

void txn_journal::ensure_room(int64_t end) {
  if (end <= allocated_) return;
  int64_t target = std::max(end, allocated_ + options_.preallocate_bytes);
  if (int rc = ::posix_fallocate(active_fd_, allocated_, target - allocated_); rc != 0) {
    // A partly granted request may have grown the file; what it holds past allocated_ is
    // zeros either way, but give the space back.
    (void)::ftruncate(active_fd_, allocated_);
    throw_errno(rc, "allocate " + std::to_string(target - allocated_) + " bytes of log in " + options_.directory);
  }
  // The new size is metadata: sync it now so each append needs only fdatasync.
  sync_or_fail(active_fd_, "log segment in " + options_.directory);
  allocated_ = target;
}

void txn_journal::cut_back_after_failed_write() {
  // Whatever landed past write_offset_ must never be read as records: the sequencer reuses
  // those zxids for other transactions. Cutting the file also drops the zero fill, so the
  // next append allocates again.
  if (::ftruncate(active_fd_, write_offset_) == 0 && ::fsync(active_fd_) == 0) {
    allocated_ = write_offset_;
    return;
  }
  unusable_ = true;
}

void txn_journal::append(const std::vector<log_record>& batch) {
  if (batch.empty()) return;
  if (unusable_)
    throw storage_error(storage_error::kind::io, "the log in " + options_.directory +
                                                     " could not undo a failed write or segment creation; writes resume after a restart");
  int64_t previous = last_zxid_;
  for (const auto& record : batch) {
    // A zero length marks the end of a segment's records.
    if (record.bytes.empty()) throw std::invalid_argument("log append: empty record for zxid " + std::to_string(record.zxid));
    if (record.zxid <= previous)
      throw std::invalid_argument("log append: zxid " + std::to_string(record.zxid) + " does not follow " +
                                  std::to_string(previous));
    previous = record.zxid;
  }
  scratch_.clear();
  for (const auto& record : batch) format::append_record(scratch_, record.zxid, record.bytes);
  const auto size = static_cast<int64_t>(scratch_.size());

  const bool active_has_records = write_offset_ > static_cast<int64_t>(format::segment_header_bytes);
  if (active_fd_ < 0 || (active_has_records && write_offset_ + size > options_.segment_bytes)) {
    std::vector<char> records;
    records.swap(scratch_);
    start_segment(batch.front().zxid);
    scratch_.swap(records);
  }
  ensure_room(write_offset_ + size);
  try {
    write_all(active_fd_, scratch_.data(), scratch_.size(), write_offset_, "log in " + options_.directory);
    if (::fdatasync(active_fd_) != 0) throw_errno(errno, "fdatasync log in " + options_.directory);
  } catch (...) {
    cut_back_after_failed_write();
    throw;
  }
  write_offset_ += size;
  last_zxid_ = batch.back().zxid;
}

void txn_journal::for_each_after(int64_t zxid, const std::function<void(int64_t, std::string_view)>& fn) const {
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    // A segment ends before the next one starts.
    if (i + 1 < segments_.size() && segments_[i + 1].first_zxid - 1 <= zxid) continue;
    const std::string bytes = read_whole(segments_[i].path);
    if (format::read_segment_header(bytes) != segments_[i].first_zxid) corrupt(segments_[i].path + ": bad header");
    auto scan = format::scan_records(bytes, [&](int64_t record_zxid, std::string_view payload) {
      if (record_zxid > zxid) fn(record_zxid, payload);
    });
    // The newest segment's torn tail was cut at open, so any bad record here is damage.
    if (scan.end != format::scan_end::clean) corrupt(damaged_record(segments_[i].path, scan));
  }
}

void txn_journal::drop_through(int64_t zxid) {
  // One at a time, so a failed removal leaves segments_ naming exactly the files still there.
  while (segments_.size() > 1 && segments_[1].first_zxid - 1 <= zxid) {
    // A segment that comes back after a crash is harmless: replay skips what the image holds.
    if (::unlink(segments_.front().path.c_str()) != 0 && errno != ENOENT) throw_errno(errno, "remove " + segments_.front().path);
    segments_.erase(segments_.begin());
  }
}

}  // namespace rookery::storage
