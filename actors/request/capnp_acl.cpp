#include "actors/request/capnp_acl.hpp"

#include <string_view>

#include "runtime/capnp/shared_message.hpp"

namespace rookery::request {

void write_identities(capnp::List<schema::Identity>::Builder out, const acl::identities& who) {
  for (unsigned i = 0; i < who.size(); ++i) {
    out[i].setScheme(as_text(who[i].scheme));
    out[i].setId(as_text(who[i].value));
  }
}

acl::identities read_identities(capnp::List<schema::Identity>::Reader in) {
  acl::identities who;
  who.reserve(in.size());
  for (auto identity : in) who.push_back(acl::id{std::string(as_view(identity.getScheme())), std::string(as_view(identity.getId()))});
  return who;
}

void write_acl(capnp::List<schema::Acl>::Builder out, const acl::list& acl) {
  for (unsigned i = 0; i < acl.size(); ++i) {
    out[i].setPerms(acl[i].perms);
    out[i].setScheme(as_text(acl[i].who.scheme));
    out[i].setId(as_text(acl[i].who.value));
  }
}

acl::list read_acl(capnp::List<schema::Acl>::Reader in) {
  acl::list acl;
  acl.reserve(in.size());
  for (auto entry : in)
    acl.push_back(acl::entry{entry.getPerms(), acl::id{std::string(as_view(entry.getScheme())), std::string(as_view(entry.getId()))}});
  return acl;
}

bool allowed(capnp::List<schema::Acl>::Reader acl, int32_t perm_mask, const acl::identities& who) {
  if (acl.size() == 0 || acl::bypasses_acls(who)) return true;
  for (auto entry : acl)
    if (acl::entry_allows(entry.getPerms(), as_view(entry.getScheme()), as_view(entry.getId()), perm_mask, who))
      return true;
  return false;
}

}  // namespace rookery::request
