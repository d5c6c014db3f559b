#include "actors/request/capnp_identities.hpp"

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

}  // namespace rookery::request
