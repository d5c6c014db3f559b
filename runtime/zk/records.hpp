#pragma once
// Jute records shared by several operations: Stat, ACL lists, reply headers, events.
#include <string>

#include "actors/acl/acl_core.hpp"
#include "runtime/jute/jute.hpp"
#include "storage/znode.hpp"

namespace rookery::zk {

void write_stat(jute::writer& out, const storage::stat& stat);
void write_acl_list(jute::writer& out, const acl::list& acl);
// nullopt for a null vector (count -1), which create and setACL answer with INVALIDACL.
std::optional<acl::list> read_acl_list(jute::reader& in);

struct auth_packet {
  std::string scheme;
  std::string auth;
};
// AuthPacket (§6.16): the leading type is ignored. Throws jute::decode_error.
auth_packet read_auth_packet(std::string_view body);

// Appends a whole reply frame holding only a header: errors and body-less successes.
void append_header_frame(std::string& out, int32_t xid, int64_t zxid, int32_t error);
// Starts a reply frame with its header; the caller writes the body, then end_frame.
std::size_t begin_reply(jute::writer& out, int32_t xid, int64_t zxid, int32_t error);
// A watch notification frame (xid -1, state SyncConnected).
std::string notification_frame(int32_t event_type, std::string_view path, int64_t zxid);

}  // namespace rookery::zk
