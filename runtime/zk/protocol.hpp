#pragma once
// Numbers of Apache ZooKeeper's client protocol (ZooDefs.OpCode, KeeperException.Code).
#include <cstdint>

namespace rookery::zk {

namespace op {
constexpr int32_t notification = 0;
constexpr int32_t create = 1;
constexpr int32_t remove = 2;
constexpr int32_t exists = 3;
constexpr int32_t get_data = 4;
constexpr int32_t set_data = 5;
constexpr int32_t get_acl = 6;
constexpr int32_t set_acl = 7;
constexpr int32_t get_children = 8;
constexpr int32_t sync = 9;
constexpr int32_t ping = 11;
constexpr int32_t get_children2 = 12;
constexpr int32_t check = 13;
constexpr int32_t multi = 14;
constexpr int32_t create2 = 15;
constexpr int32_t reconfig = 16;
constexpr int32_t check_watches = 17;
constexpr int32_t remove_watches = 18;
constexpr int32_t create_container = 19;
constexpr int32_t delete_container = 20;
constexpr int32_t create_ttl = 21;
constexpr int32_t multi_read = 22;
constexpr int32_t auth = 100;
constexpr int32_t set_watches = 101;
constexpr int32_t sasl = 102;
constexpr int32_t get_ephemerals = 103;
constexpr int32_t get_all_children_number = 104;
constexpr int32_t set_watches2 = 105;
constexpr int32_t add_watch = 106;
constexpr int32_t who_am_i = 107;
constexpr int32_t create_session = -10;
constexpr int32_t close_session = -11;
constexpr int32_t error = -1;
}  // namespace op

namespace err {
constexpr int32_t ok = 0;
// Sent when the log cannot persist a write (disk or map full); the write is not applied.
constexpr int32_t system_error = -1;
constexpr int32_t runtime_inconsistency = -2;
constexpr int32_t marshalling_error = -5;
constexpr int32_t unimplemented = -6;
constexpr int32_t bad_arguments = -8;
constexpr int32_t no_node = -101;
constexpr int32_t no_auth = -102;
constexpr int32_t bad_version = -103;
constexpr int32_t no_children_for_ephemerals = -108;
constexpr int32_t node_exists = -110;
constexpr int32_t not_empty = -111;
constexpr int32_t session_expired = -112;
constexpr int32_t invalid_acl = -114;
constexpr int32_t auth_failed = -115;
constexpr int32_t no_watcher = -121;
constexpr int32_t reconfig_disabled = -123;
}  // namespace err

namespace xid {
constexpr int32_t notification = -1;
constexpr int32_t ping = -2;
constexpr int32_t auth = -4;
constexpr int32_t set_watches = -8;
}  // namespace xid

// Server-sent events always carry SyncConnected.
constexpr int32_t keeper_state_sync_connected = 3;

namespace create_flags {
constexpr int32_t persistent = 0;
constexpr int32_t ephemeral = 1;
constexpr int32_t persistent_sequential = 2;
constexpr int32_t ephemeral_sequential = 3;
constexpr int32_t container = 4;
constexpr int32_t persistent_with_ttl = 5;
constexpr int32_t persistent_sequential_with_ttl = 6;
}  // namespace create_flags

}  // namespace rookery::zk
