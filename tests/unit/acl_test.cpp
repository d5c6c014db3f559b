#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "actors/acl/acl_core.hpp"

using namespace rookery::acl;

namespace Catch {
template <>
struct StringMaker<id> {
  static std::string convert(const id& value) { return value.scheme + ":" + value.value; }
};
template <>
struct StringMaker<entry> {
  static std::string convert(const entry& value) {
    return "{" + std::to_string(value.perms) + ", " + StringMaker<id>::convert(value.who) + "}";
  }
};
}  // namespace Catch

namespace {

// Expected digests were computed independently: printf '%s' 'user:pw' | openssl sha1 -binary | base64
const std::string user_pw = "user:2Om+GBbT2q/tS6pdvACZbbm7/1A=";
const std::string alice = "alice:0H3LR71td7bmv+FwKgVasiS36rc=";  // alice:pw1
const std::string bob = "bob:DzYBVPYoUPHuiOrAcsz6mJwnG9k=";      // bob:pw2
const std::string super_secret = "super:lK75jTNcA+U9vtVEw5vB51mj/w4=";  // super:secret

id world() { return {"world", "anyone"}; }
id digest(const std::string& value) { return {"digest", value}; }
id ip(const std::string& value) { return {"ip", value}; }
id super_id() { return {"super", ""}; }

std::string describe(const list& acl) {
  std::ostringstream out;
  out << "[";
  for (const entry& e : acl) out << Catch::StringMaker<entry>::convert(e) << " ";
  out << "]";
  return out.str();
}

}  // namespace

TEST_CASE("well-known ACL lists") {
  CHECK(open_acl_unsafe() == list{{31, world()}});
  CHECK(read_acl_unsafe() == list{{1, world()}});
  CHECK(perm::all == (perm::read | perm::write | perm::create | perm::remove | perm::admin));
}

TEST_CASE("id and entry compare by every field") {
  CHECK(id{"ip", "a"} == id{"ip", "a"});
  CHECK(id{"ip", "a"} != id{"ip", "b"});
  CHECK(id{"ip", "a"} != id{"digest", "a"});
  CHECK(id{"digest", "z"} < id{"ip", "a"});
  CHECK(id{"ip", "a"} < id{"ip", "b"});
  CHECK_FALSE(id{"ip", "a"} < id{"ip", "a"});

  CHECK(entry{1, ip("a")} == entry{1, ip("a")});
  CHECK(entry{1, ip("a")} != entry{2, ip("a")});
  CHECK(entry{1, ip("a")} != entry{1, ip("b")});
  CHECK(entry{1, ip("b")} < entry{2, ip("a")});
  CHECK(entry{1, ip("a")} < entry{1, ip("b")});

  list sorted{{2, ip("a")}, {1, ip("b")}, {1, ip("a")}};
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == list{{1, ip("a")}, {1, ip("b")}, {2, ip("a")}});
}

TEST_CASE("digest_of hashes the whole input and keeps the user before the first colon") {
  struct row {
    std::string input;
    std::string expected;
  };
  const row rows[] = {
      {"user:pw", user_pw},  // observed on a live ZooKeeper
      {"alice:pw1", alice},
      {"nocolon", "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g="},
      {"", ":2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
      {":pw", ":krPDEYdCl854cFNT6IXnoMv+VVA="},
      {"a:b:c", "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0="},
  };
  for (const row& r : rows) {
    INFO("input: " << r.input);
    CHECK(digest_of(r.input) == r.expected);
  }
}

TEST_CASE("authenticate per scheme") {
  struct row {
    const char* name;
    std::string scheme;
    std::string auth;
    std::string super_digest;
    std::optional<identities> expected;
  };
  const std::string peer = "10.1.2.3";
  const row rows[] = {
      {"digest without super configured", "digest", "user:pw", "", identities{digest(user_pw)}},
      {"digest matching the super digest", "digest", "super:secret", super_secret,
       identities{super_id(), digest(super_secret)}},
      {"digest with a wrong super password", "digest", "super:guess", super_secret,
       identities{digest(digest_of("super:guess"))}},
      {"digest of another user with super configured", "digest", "user:pw", super_secret,
       identities{digest(user_pw)}},
      {"digest without a colon still succeeds", "digest", "nocolon", "",
       identities{digest("nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g=")}},
      {"ip ignores its data and re-adds the peer", "ip", "1.1.1.1", "", identities{ip(peer)}},
      {"world is not authenticatable", "world", "anyone", "", std::nullopt},
      {"super is not authenticatable", "super", "secret", super_secret, std::nullopt},
      {"auth is not authenticatable", "auth", "", "", std::nullopt},
      {"unknown scheme", "nosuch", "x", "", std::nullopt},
      {"sasl is not configured", "sasl", "x", "", std::nullopt},
      {"schemes are case-sensitive", "Digest", "user:pw", "", std::nullopt},
      {"empty scheme", "", "user:pw", "", std::nullopt},
  };
  for (const row& r : rows) {
    INFO(r.name);
    CHECK(authenticate(r.scheme, r.auth, peer, r.super_digest) == r.expected);
  }
}

TEST_CASE("allowed applies world, digest, super and the perm mask") {
  struct row {
    const char* name;
    list acl;
    int32_t mask;
    identities who;
    bool expected;
  };
  const identities nobody{};
  const identities as_alice{ip("127.0.0.1"), digest(alice)};
  const row rows[] = {
      {"empty ACL allows anything", {}, perm::admin, nobody, true},
      {"world:anyone", open_acl_unsafe(), perm::write, nobody, true},
      {"world:anyone without the bit", read_acl_unsafe(), perm::write, nobody, false},
      {"world:anyone read", read_acl_unsafe(), perm::read, nobody, true},
      {"world with perms 0", {{0, world()}}, perm::all, nobody, false},
      {"world other than anyone", {{31, {"world", "someone"}}}, perm::read, nobody, false},
      {"mask 0 never matches", open_acl_unsafe(), 0, nobody, false},
      {"digest exact match", {{perm::read, digest(alice)}}, perm::read, as_alice, true},
      {"digest other user", {{perm::read, digest(bob)}}, perm::read, as_alice, false},
      {"digest same user, other password", {{perm::read, {"digest", "alice:x"}}}, perm::read,
       as_alice, false},
      {"digest lacking the bit", {{perm::read, digest(alice)}}, perm::write, as_alice, false},
      {"any bit of the mask suffices", {{perm::read, digest(alice)}},
       perm::read | perm::admin, as_alice, true},
      {"scheme must match the identity's", {{31, ip(alice)}}, perm::read, {digest(alice)},
       false},
      {"later entry matches", {{31, digest(bob)}, {perm::create, digest(alice)}}, perm::create,
       as_alice, true},
      {"super bypasses a non-matching ACL", {{31, digest(bob)}}, perm::admin, {super_id()}, true},
      {"super bypasses perms 0", {{0, digest(bob)}}, perm::read, {digest(alice), super_id()},
       true},
      {"scheme without a provider never matches", {{31, {"sasl", "bob"}}}, perm::read,
       {{"sasl", "bob"}}, false},
      {"no identities", {{31, digest(alice)}}, perm::read, nobody, false},
  };
  for (const row& r : rows) {
    INFO(r.name);
    CHECK(allowed(r.acl, r.mask, r.who) == r.expected);
  }
}

TEST_CASE("allowed matches ip ACLs by address prefix") {
  struct row {
    std::string acl_id;
    std::string peer;
    bool expected;
  };
  const row rows[] = {
      {"127.0.0.1", "127.0.0.1", true},
      {"127.0.0.1", "127.0.0.2", false},
      {"10.0.0.0/8", "10.1.2.3", true},
      {"10.0.0.0/8", "11.1.2.3", false},
      {"10.255.255.255/8", "10.0.0.1", true},  // host bits of the ACL are ignored
      {"192.168.1.4/31", "192.168.1.5", true},
      {"192.168.1.4/31", "192.168.1.6", false},
      {"192.168.1.4/32", "192.168.1.5", false},
      {"128.0.0.0/1", "200.0.0.1", true},
      {"128.0.0.0/1", "127.255.255.255", false},
      {"0.0.0.0/0", "8.8.8.8", true},
      {"010.0.0.0/8", "10.0.0.1", true},  // decimal, not octal
      {"10.0.0.0/33", "10.0.0.1", false},
      {"10.0.0.0/", "10.0.0.1", false},
      {"10.0.0.0/8", "localhost", false},
      {"10.0.0.0/8", "", false},
      {"::1", "::1", true},
      {"::1", "0:0:0:0:0:0:0:1", true},  // Java's getHostAddress spelling
      {"::1", "::2", false},
      {"2001:db8::/32", "2001:db8:1::5", true},
      {"2001:db8::/32", "2001:db9::5", false},
      {"fe80::/10", "febf::1", true},
      {"fe80::/10", "fec0::1", false},
      {"2001:db8::1/127", "2001:db8::0", true},
      {"2001:db8::1/128", "2001:db8::0", false},
      {"::/0", "ffff::1", true},
      {"::1/129", "::1", false},
      // v4 never matches v6, even with a zero-length prefix.
      {"::/0", "127.0.0.1", false},
      {"0.0.0.0/0", "::1", false},
      {"::ffff:0:0/96", "10.0.0.1", false},
      {"0.0.0.0/0", "::ffff:10.0.0.1", false},
  };
  for (const row& r : rows) {
    INFO("ip:" << r.acl_id << " vs peer " << r.peer);
    CHECK(allowed({{perm::read, ip(r.acl_id)}}, perm::read, {ip(r.peer)}) == r.expected);
  }
}

TEST_CASE("valid_ip_acl accepts addresses with optional prefix lengths") {
  const char* valid[] = {
      "127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "1.2.3.4/32", "010.001.0.0", "255.255.255.255",
      "::",        "::1",        "::/0",      "::1/128",    "2001:db8::/32", "1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7::", "FE80::ABCD/10",
  };
  const char* invalid[] = {
      "",          "localhost",       "1.2.3",         "1.2.3.4.5",      "1.2.3.256",
      "1.2.3.",    "1..2.3",          "-1.2.3.4",      " 1.2.3.4",       "1.2.3.4/33",
      "1.2.3.4/",  "1.2.3.4/-1",      "1.2.3.4/a",     "1.2.3.4/8/8",    "/8",
      "::1/129",   "1:2:3:4:5:6:7:8:9", "::1::2",      "12345::",        "::ffff:1.2.3.4",
      "fe80::1%eth0", "[::1]",        "1:2:3:4:5:6:7", "::g",
  };
  for (const char* text : valid) {
    INFO(text);
    CHECK(valid_ip_acl(text));
  }
  for (const char* text : invalid) {
    INFO(text);
    CHECK_FALSE(valid_ip_acl(text));
  }
}

TEST_CASE("fix_up rejects every INVALIDACL case") {
  struct row {
    const char* name;
    list requested;
    identities who;
  };
  const identities as_alice{ip("127.0.0.1"), digest(alice)};
  const row rows[] = {
      {"empty list", {}, as_alice},
      {"world id other than anyone", {{31, {"world", "nobody"}}}, as_alice},
      {"world id is case-sensitive", {{31, {"world", "ANYONE"}}}, as_alice},
      {"auth with only an ip identity", {{31, {"auth", ""}}}, {ip("127.0.0.1")}},
      {"auth with no identities", {{31, {"auth", ""}}}, {}},
      {"auth with only super", {{31, {"auth", ""}}}, {super_id(), ip("127.0.0.1")}},
      {"unknown scheme", {{31, {"foo", "bar"}}}, as_alice},
      {"super is not an ACL scheme", {{31, super_id()}}, as_alice},
      {"digest without a colon", {{31, {"digest", "nocolon"}}}, as_alice},
      {"digest with three parts", {{31, {"digest", "a:b:c"}}}, as_alice},
      {"digest with an empty second part", {{31, {"digest", "a:"}}}, as_alice},
      {"digest of only colons", {{31, {"digest", "::"}}}, as_alice},
      {"empty digest", {{31, {"digest", ""}}}, as_alice},
      {"ip that is not an address", {{31, ip("example.com")}}, as_alice},
      {"ip prefix too long", {{31, ip("10.0.0.0/33")}}, as_alice},
      {"one bad entry among good ones", {{31, world()}, {31, {"foo", "bar"}}}, as_alice},
  };
  for (const row& r : rows) {
    auto fixed = fix_up(r.requested, r.who);
    INFO(r.name << (fixed ? ", got " + describe(*fixed) : ""));
    CHECK_FALSE(fixed.has_value());
  }
}

TEST_CASE("fix_up keeps valid ids, removes duplicates and expands auth") {
  struct row {
    const char* name;
    list requested;
    identities who;
    list expected;
  };
  const identities as_alice_and_bob{ip("127.0.0.1"), digest(alice), super_id(), digest(bob)};
  const row rows[] = {
      {"open ACL unchanged", open_acl_unsafe(), {}, open_acl_unsafe()},
      {"perms are not validated", {{0, world()}, {-1, ip("10.0.0.0/8")}, {1000, digest(bob)}}, {},
       {{0, world()}, {-1, ip("10.0.0.0/8")}, {1000, digest(bob)}}},
      {"duplicates removed, first order kept",
       {{31, ip("10.0.0.1")}, {1, digest(bob)}, {31, ip("10.0.0.1")}, {1, digest(bob)}}, {},
       {{31, ip("10.0.0.1")}, {1, digest(bob)}}},
      {"same id with other perms is not a duplicate", {{1, world()}, {2, world()}}, {},
       {{1, world()}, {2, world()}}},
      {"digest with an empty user", {{31, {"digest", ":b"}}}, {}, {{31, {"digest", ":b"}}}},
      {"digest with a trailing colon", {{31, {"digest", "a:b:"}}}, {}, {{31, {"digest", "a:b:"}}}},
      {"ip v6 prefix", {{31, ip("2001:db8::/32")}}, {}, {{31, ip("2001:db8::/32")}}},
      {"auth expands to every digest identity, skipping ip and super",
       {{5, {"auth", "ignored"}}}, as_alice_and_bob, {{5, digest(alice)}, {5, digest(bob)}}},
      {"auth expands in place", {{1, world()}, {31, {"auth", ""}}, {2, ip("10.0.0.1")}},
       {digest(alice)}, {{1, world()}, {31, digest(alice)}, {2, ip("10.0.0.1")}}},
      {"duplicate auth entries collapse before expansion",
       {{31, {"auth", ""}}, {31, {"auth", ""}}}, {digest(alice)}, {{31, digest(alice)}}},
      {"expansion may repeat an explicit entry, as in ZooKeeper",
       {{31, {"auth", ""}}, {31, digest(alice)}}, {digest(alice)},
       {{31, digest(alice)}, {31, digest(alice)}}},
  };
  for (const row& r : rows) {
    INFO(r.name);
    auto fixed = fix_up(r.requested, r.who);
    REQUIRE(fixed.has_value());
    CHECK(*fixed == r.expected);
  }
}

TEST_CASE("redact_for_reader hides digest hashes from callers without ADMIN") {
  const list acl{{perm::read, digest(alice)},
                 {perm::read, ip("10.0.0.0/8")},
                 {perm::read, world()},
                 {perm::admin, digest(bob)},
                 {perm::read, {"digest", "a:b:"}}};
  const list redacted{{perm::read, {"digest", "alice:x"}},
                      {perm::read, ip("10.0.0.0/8")},
                      {perm::read, world()},
                      {perm::admin, {"digest", "bob:x"}},
                      {perm::read, {"digest", "a:x"}}};
  struct row {
    const char* name;
    list acl;
    identities who;
    list expected;
  };
  const row rows[] = {
      {"reader without ADMIN", acl, {ip("10.1.1.1"), digest(alice)}, redacted},
      {"no identities", acl, {}, redacted},
      {"ADMIN through a digest entry", acl, {digest(bob)}, acl},
      {"super", acl, {super_id()}, acl},
      {"ADMIN through world:anyone", {{31, world()}, {1, digest(alice)}}, {},
       {{31, world()}, {1, digest(alice)}}},
      {"empty ACL", {}, {}, {}},
  };
  for (const row& r : rows) {
    INFO(r.name);
    CHECK(redact_for_reader(r.acl, r.who) == r.expected);
  }
}

TEST_CASE("who_am_i reports scheme and user per identity") {
  using pairs = std::vector<std::pair<std::string, std::string>>;
  struct row {
    const char* name;
    identities who;
    pairs expected;
  };
  const row rows[] = {
      {"fresh connection", {ip("127.0.0.1")}, pairs{{"ip", "127.0.0.1"}}},
      {"after digest auth", {ip("127.0.0.1"), digest(user_pw)},
       pairs{{"ip", "127.0.0.1"}, {"digest", "user"}}},
      {"super user", {super_id(), digest(super_secret)}, pairs{{"super", ""}, {"digest", "super"}}},
      {"digest of input without a colon", {digest(digest_of("nocolon"))},
       pairs{{"digest", "nocolon"}}},
      {"no identities", {}, pairs{}},
  };
  for (const row& r : rows) {
    INFO(r.name);
    CHECK(who_am_i(r.who) == r.expected);
  }
}

TEST_CASE("with_added skips identities the connection already holds") {
  identities have{{"ip", "127.0.0.1"}, {"digest", "user:x"}};
  auto merged = with_added(have, {{"digest", "user:x"}, {"super", ""}, {"super", ""}});
  CHECK(merged == identities{{"ip", "127.0.0.1"}, {"digest", "user:x"}, {"super", ""}});
}
