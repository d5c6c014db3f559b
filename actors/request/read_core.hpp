#pragma once
// Answers every request that does not change the tree: reads, sync, ping, watch requests,
// whoAmI, and the opcodes a client may not send. Pure: tree in, reply frames and watch
// registrations out.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/acl/acl_core.hpp"
#include "actors/watch/watch_core.hpp"
#include "storage/data_tree.hpp"

namespace rookery::request {

struct watch_registration {
  std::string path;
  watch::watch_kind kind;
};

// checkWatches/removeWatches: answered by whoever owns the watch registry.
struct watch_query {
  int32_t xid = 0;
  std::string path;
  watch::watcher_type type = watch::watcher_type::any;
  bool remove = false;
};

struct read_request {
  int32_t xid = 0;
  int32_t opcode = 0;
  std::string_view body;
  const acl::identities* who = nullptr;
  int64_t session = 0;
  int64_t last_zxid = 0;
};

struct read_output {
  std::string frames;  // events replayed by setWatches, then the reply
  std::vector<watch_registration> watches;
  std::optional<watch_query> query;  // set instead of a reply for check/removeWatches
  bool close_after = false;
};

// Server settings that change how reads are answered.
struct read_settings {
  // ZooKeeper's reconfigEnabled: off, reconfig is RECONFIGDISABLED; on, a standalone server
  // still cannot reconfigure and answers UNIMPLEMENTED.
  bool reconfig_enabled = false;
};

read_output serve_read(const storage::data_tree& tree, const read_request& request, const read_settings& settings);

// Whether ZooKeeper checks the caller's session before answering `opcode`: not for sasl
// (answered by the I/O layer), a disabled reconfig (refused first) or an invalid opcode.
bool checks_session(int32_t opcode, const read_settings& settings);

}  // namespace rookery::request
