#pragma once
// The durable transaction log: zxid -> the transaction bytes exactly as the leader encoded
// them, in append-only segment files (see journal_format.hpp), like ZooKeeper's and etcd's
// write-ahead logs. A batch is one write and one fdatasync into space allocated ahead of
// time, so committing it costs one device flush; an LMDB commit costs two (data, then the
// meta page), which is why the log is not kept in LMDB. The tree image stays in LMDB
// (snapshot_image); segments it covers are deleted.
//
// Not thread-safe: one owner (the log store actor) calls everything.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rookery::storage {

struct log_record {
  int64_t zxid;
  std::string_view bytes;
};

struct journal_options {
  std::string directory;
  // A new segment starts once the active one holds this much.
  int64_t segment_bytes = int64_t{64} << 20;
  // The active segment grows in steps of this size; a step the disk cannot give refuses
  // the write that needed it (and nothing of that write lands).
  int64_t preallocate_bytes = int64_t{16} << 20;
};

class txn_journal {
 public:
  // Opens the journal in options.directory (created if missing). A torn tail of the newest
  // segment (a write cut short by a crash, never acknowledged) is cut off. Throws
  // storage_error{corrupt} for damage anywhere else.
  explicit txn_journal(journal_options options);
  ~txn_journal();
  txn_journal(const txn_journal&) = delete;
  txn_journal& operator=(const txn_journal&) = delete;

  // Writes the batch and syncs it once: when this returns every record is on disk. zxids
  // must be strictly increasing and greater than last_zxid(), and records not empty, else
  // std::invalid_argument and nothing is written.
  // Throws storage_error{no_space} when the disk cannot give the room (nothing written) and
  // storage_error{io} when a write or sync fails (what was written is cut off again; if even
  // that fails, every later append is refused until the journal is reopened). An empty batch
  // is a no-op.
  void append(const std::vector<log_record>& batch);

  // Highest zxid appended; for an empty journal, the one before its newest segment's start
  // (segments are named by the zxid they start at), else 0.
  int64_t last_zxid() const noexcept { return last_zxid_; }

  // Calls fn for each record with zxid > `zxid`, ascending. The bytes are valid only during
  // the call.
  void for_each_after(int64_t zxid, const std::function<void(int64_t, std::string_view)>& fn) const;

  // Deletes the segments holding only records at or below `zxid` (the image covers them);
  // the newest segment always stays.
  void drop_through(int64_t zxid);

  std::size_t segment_count() const noexcept { return segments_.size(); }
  // Bytes cut off the newest segment when the journal was opened because a torn record ended
  // its valid records: the torn record and the zero fill after it (0: none was torn).
  int64_t torn_bytes_cut() const noexcept { return torn_bytes_cut_; }

 private:
  struct segment {
    int64_t first_zxid;
    std::string path;
  };

  void recover_newest();
  void remove_newest();
  int64_t last_zxid_in(const segment& s) const;
  void start_segment(int64_t first_zxid);
  void ensure_room(int64_t end);
  void cut_back_after_failed_write();
  std::string segment_path(int64_t first_zxid) const;

  journal_options options_;
  int directory_fd_ = -1;
  std::vector<segment> segments_;  // ascending by first zxid; the last one is active
  int active_fd_ = -1;
  int64_t write_offset_ = 0;  // end of the valid records of the active segment
  int64_t allocated_ = 0;     // size of the active segment's file
  int64_t last_zxid_ = 0;
  bool unusable_ = false;
  int64_t torn_bytes_cut_ = 0;
  std::vector<char> scratch_;  // the batch's records, reused between appends
};

}  // namespace rookery::storage
