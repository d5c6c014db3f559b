#include "actors/acl/acl_core.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace rookery::acl {

namespace {

constexpr std::string_view world_scheme = "world";
constexpr std::string_view anyone = "anyone";
constexpr std::string_view auth_scheme = "auth";
constexpr std::string_view digest_scheme = "digest";
constexpr std::string_view ip_scheme = "ip";
constexpr std::string_view super_scheme = "super";

bool is_world_anyone(std::string_view scheme, std::string_view value) {
  return scheme == world_scheme && value == anyone;
}
bool is_world_anyone(const id& who) { return is_world_anyone(who.scheme, who.value); }

std::string_view before_first_colon(std::string_view text) {
  return text.substr(0, text.find(':'));
}

// ---- digest ----

std::string sha1_base64(std::string_view text) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_size = 0;
  if (EVP_Digest(text.data(), text.size(), hash, &hash_size, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA-1 digest unavailable");
  }
  // EVP_EncodeBlock writes a trailing NUL after the 4-per-3 output.
  std::string encoded(4 * ((hash_size + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), hash,
                               static_cast<int>(hash_size));
  encoded.resize(static_cast<std::size_t>(length));
  return encoded;
}

// Java's String.split drops trailing empty parts, so ZooKeeper accepts "a:b:" (two parts) but
// rejects "a:" (one part); ":b" has an empty first part and is accepted.
bool valid_digest_id(std::string_view value) {
  std::size_t last = value.find_last_not_of(':');
  if (last == std::string_view::npos) return false;
  std::string_view kept = value.substr(0, last + 1);
  return std::count(kept.begin(), kept.end(), ':') == 1;
}

std::string redacted_digest(const std::string& value) {
  std::size_t colon = value.find(':');
  if (colon == std::string::npos) return value;
  return value.substr(0, colon) + ":x";
}

// ---- ip ----

struct address {
  std::array<unsigned char, 16> bytes{};
  std::size_t size = 0;  // 4 for IPv4, 16 for IPv6: the two never match each other
};

struct ip_pattern {
  address base;
  int bits = 0;
};

// Plain decimal only; Java's parseInt would also take a sign, which no real ACL uses.
std::optional<int> parse_decimal(std::string_view text, int max) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > max) return std::nullopt;
  }
  return value;
}

// Exactly four decimal parts; leading zeros are decimal, not octal, as in ZooKeeper.
std::optional<address> parse_v4(std::string_view text) {
  address parsed;
  parsed.size = 4;
  for (std::size_t i = 0; i < 4; ++i) {
    std::size_t dot = text.find('.');
    bool last = i == 3;
    if ((dot == std::string_view::npos) != last) return std::nullopt;
    auto octet = parse_decimal(text.substr(0, dot), 255);
    if (!octet) return std::nullopt;
    parsed.bytes[i] = static_cast<unsigned char>(*octet);
    if (!last) text.remove_prefix(dot + 1);
  }
  return parsed;
}

// ZooKeeper 3.9's IPv6 parser takes hex groups and one "::", with no embedded dotted quad and
// no zone suffix; inet_pton accepts the same apart from the dotted quad.
std::optional<address> parse_v6(std::string_view text) {
  if (text.find('.') != std::string_view::npos) return std::nullopt;
  address parsed;
  parsed.size = 16;
  if (inet_pton(AF_INET6, std::string(text).c_str(), parsed.bytes.data()) != 1) {
    return std::nullopt;
  }
  return parsed;
}

std::optional<address> parse_address(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  if (text.find('.') != std::string_view::npos) return parse_v4(text);
  return std::nullopt;
}

std::optional<ip_pattern> parse_ip_pattern(std::string_view text) {
  std::size_t slash = text.find('/');
  auto base = parse_address(text.substr(0, slash));
  if (!base) return std::nullopt;
  int max_bits = static_cast<int>(base->size * 8);
  if (slash == std::string_view::npos) return ip_pattern{*base, max_bits};
  auto bits = parse_decimal(text.substr(slash + 1), max_bits);
  if (!bits) return std::nullopt;
  return ip_pattern{*base, *bits};
}

bool same_prefix(const address& a, const address& b, int bits) {
  for (std::size_t i = 0; i < a.size; ++i) {
    int bits_in_byte = std::clamp(bits - static_cast<int>(i * 8), 0, 8);
    auto mask = static_cast<unsigned char>(0xff00 >> bits_in_byte);
    if (((a.bytes[i] ^ b.bytes[i]) & mask) != 0) return false;
  }
  return true;
}

bool ip_matches(std::string_view acl_value, std::string_view peer) {
  auto pattern = parse_ip_pattern(acl_value);
  auto remote = parse_address(peer);
  if (!pattern || !remote || remote->size != pattern->base.size) return false;
  return same_prefix(pattern->base, *remote, pattern->bits);
}

// ---- providers ----

// The schemes with a ZooKeeper authentication provider; "world", "super" and "auth" have none.
bool valid_provider_id(const id& acl_id) {
  if (acl_id.scheme == digest_scheme) return valid_digest_id(acl_id.value);
  if (acl_id.scheme == ip_scheme) return valid_ip_acl(acl_id.value);
  return false;
}

// Schemes without a provider never match, even against an identity of the same scheme.
bool provider_matches(std::string_view scheme, std::string_view value, std::string_view identity_value) {
  if (scheme == digest_scheme) return value == identity_value;
  if (scheme == ip_scheme) return ip_matches(value, identity_value);
  return false;
}

// "auth" expands only to identities a provider calls authenticated: digest yes, ip no (anyone
// at that address holds it), and super has no provider at all, so ZooKeeper skips it.
bool is_authenticated_scheme(std::string_view scheme) { return scheme == digest_scheme; }

bool entry_admits(std::string_view scheme, std::string_view value, const identities& who) {
  if (is_world_anyone(scheme, value)) return true;
  return std::any_of(who.begin(), who.end(), [&](const id& mine) {
    return mine.scheme == scheme && provider_matches(scheme, value, mine.value);
  });
}

identities digest_identities(std::string_view auth, std::string_view super_digest) {
  identities added;
  std::string digest = digest_of(auth);
  if (!super_digest.empty() && digest == super_digest) {
    added.push_back({std::string(super_scheme), ""});
  }
  added.push_back({std::string(digest_scheme), std::move(digest)});
  return added;
}

// First occurrence wins, so the request's order survives.
list without_duplicates(const list& requested) {
  list unique;
  for (const entry& e : requested) {
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(e);
  }
  return unique;
}

// Returns false when the caller has no authenticated identity to expand to.
bool expand_auth(int32_t perms, const identities& who, list& out) {
  bool expanded = false;
  for (const id& mine : who) {
    if (!is_authenticated_scheme(mine.scheme)) continue;
    out.push_back({perms, mine});
    expanded = true;
  }
  return expanded;
}

std::string user_of(const id& mine) {
  if (mine.scheme == digest_scheme) return std::string(before_first_colon(mine.value));
  if (mine.scheme == ip_scheme) return mine.value;
  return "";  // ZooKeeper reports "" for schemes without a provider, such as super
}

}  // namespace

const list& open_acl_unsafe() {
  static const list acl{{perm::all, {std::string(world_scheme), std::string(anyone)}}};
  return acl;
}

const list& read_acl_unsafe() {
  static const list acl{{perm::read, {std::string(world_scheme), std::string(anyone)}}};
  return acl;
}

std::string digest_of(std::string_view user_colon_password) {
  return std::string(before_first_colon(user_colon_password)) + ":" +
         sha1_base64(user_colon_password);
}

std::optional<identities> authenticate(std::string_view scheme, std::string_view auth,
                                       std::string_view peer_address,
                                       std::string_view super_digest) {
  if (scheme == digest_scheme) return digest_identities(auth, super_digest);
  if (scheme == ip_scheme) return identities{{std::string(ip_scheme), std::string(peer_address)}};
  return std::nullopt;
}

bool bypasses_acls(const identities& who) {
  return std::any_of(who.begin(), who.end(),
                     [](const id& mine) { return mine.scheme == super_scheme; });
}

bool entry_allows(int32_t entry_perms, std::string_view scheme, std::string_view value, int32_t perm_mask,
                  const identities& who) {
  return (entry_perms & perm_mask) != 0 && entry_admits(scheme, value, who);
}

bool allowed(const list& node_acl, int32_t perm_mask, const identities& who) {
  if (node_acl.empty() || bypasses_acls(who)) return true;
  return std::any_of(node_acl.begin(), node_acl.end(), [&](const entry& e) {
    return entry_allows(e.perms, e.who.scheme, e.who.value, perm_mask, who);
  });
}

std::optional<list> fix_up(const list& requested, const identities& who) {
  list unique = without_duplicates(requested);
  if (unique.empty()) return std::nullopt;
  list fixed;
  for (const entry& e : unique) {
    if (e.who.scheme == auth_scheme) {
      if (!expand_auth(e.perms, who, fixed)) return std::nullopt;
    } else if (is_world_anyone(e.who) || valid_provider_id(e.who)) {
      fixed.push_back(e);
    } else {
      return std::nullopt;
    }
  }
  return fixed;
}

list redact_for_reader(const list& node_acl, const identities& who) {
  if (allowed(node_acl, perm::admin, who)) return node_acl;
  list shown = node_acl;
  for (entry& e : shown) {
    if (e.who.scheme == digest_scheme) e.who.value = redacted_digest(e.who.value);
  }
  return shown;
}

std::vector<std::pair<std::string, std::string>> who_am_i(const identities& who) {
  std::vector<std::pair<std::string, std::string>> users;
  users.reserve(who.size());
  for (const id& mine : who) users.emplace_back(mine.scheme, user_of(mine));
  return users;
}

bool valid_ip_acl(std::string_view acl_id) { return parse_ip_pattern(acl_id).has_value(); }

identities with_added(const identities& have, identities added) {
  identities merged = have;
  for (auto& id : added)
    if (std::find(merged.begin(), merged.end(), id) == merged.end()) merged.push_back(std::move(id));
  return merged;
}

}  // namespace rookery::acl
