#pragma once
// ZooKeeper ACLs and authentication (wire protocol doc §11, §6.7, §6.8, §6.16, §6.23), as pure
// functions over a node's ACL list and a connection's identities. Behaviour follows the
// ZooKeeper 3.9 server with its two built-in providers, "digest" and "ip"; no SASL or x509.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace rookery::acl {

enum perm : int32_t { read = 1, write = 2, create = 4, remove = 8, admin = 16, all = 31 };

struct id {
  std::string scheme;
  std::string value;
};

inline bool operator==(const id& a, const id& b) {
  return a.scheme == b.scheme && a.value == b.value;
}
inline bool operator!=(const id& a, const id& b) { return !(a == b); }
inline bool operator<(const id& a, const id& b) {
  return std::tie(a.scheme, a.value) < std::tie(b.scheme, b.value);
}

// Perms are stored unvalidated: ZooKeeper accepts any int, including 0.
struct entry {
  int32_t perms = 0;
  id who;
};

inline bool operator==(const entry& a, const entry& b) {
  return a.perms == b.perms && a.who == b.who;
}
inline bool operator!=(const entry& a, const entry& b) { return !(a == b); }
inline bool operator<(const entry& a, const entry& b) {
  return std::tie(a.perms, a.who) < std::tie(b.perms, b.who);
}

using list = std::vector<entry>;

// What a connection has authenticated as, in the order added. The connection adds ("ip", peer)
// at accept and skips ids it already holds, as ZooKeeper's addAuthInfo does. IPv4 peers must be
// given in dotted-quad form (not "::ffff:a.b.c.d"), or no IPv4 ACL can match them.
using identities = std::vector<id>;

const list& open_acl_unsafe();  // [{31, world:anyone}]
const list& read_acl_unsafe();  // [{1, world:anyone}]

// "user:BASE64(SHA1(user:password))", where user is the text before the first ':' (the whole
// input when there is none). Throws std::runtime_error only if OpenSSL cannot hash.
std::string digest_of(std::string_view user_colon_password);

// An AuthPacket: the ids to add to the connection, or nullopt for AUTHFAILED. "digest" always
// succeeds and yields ("super", "") before the digest id when the digest equals super_digest
// (empty disables that); "ip" re-adds ("ip", peer_address); any other scheme fails.
std::optional<identities> authenticate(std::string_view scheme, std::string_view auth,
                                       std::string_view peer_address,
                                       std::string_view super_digest);

// A connection's identities after an auth adds `added`; ones it holds already are skipped,
// as ZooKeeper's ServerCnxn.addAuthInfo does.
identities with_added(const identities& have, identities added);

// True when `who` holds any bit of perm_mask on a node with node_acl (doc §11.3).
bool allowed(const list& node_acl, int32_t perm_mask, const identities& who);
// The parts of allowed(), for an ACL read in place (from a message) rather than as a list:
// an empty ACL or a super identity allows everything, else any entry that allows.
bool bypasses_acls(const identities& who);
bool entry_allows(int32_t entry_perms, std::string_view scheme, std::string_view value, int32_t perm_mask,
                  const identities& who);

// Validates and expands an ACL from create or setACL; nullopt means INVALIDACL (doc §11.4).
// Like ZooKeeper, duplicates are removed from the request before "auth" expansion, so an
// expansion may repeat an entry listed explicitly.
std::optional<list> fix_up(const list& requested, const identities& who);

// The ACL getACL returns: digest ids become "user:x" unless the caller has ADMIN (doc §6.7).
// The caller still checks READ or ADMIN itself.
list redact_for_reader(const list& node_acl, const identities& who);

// whoAmI's (scheme, user) pairs, one per identity, in the connection's order (doc §6.23).
std::vector<std::pair<std::string, std::string>> who_am_i(const identities& who);

// An "ip" ACL id: an IPv4 or IPv6 address with an optional "/bits" prefix length.
bool valid_ip_acl(std::string_view id);

}  // namespace rookery::acl
