#include "actors/request/capnp_identities.hpp"

#include <string_view>

namespace rookery::request {
namespace {

// Text::Reader needs the NUL after the last char, which std::string keeps; the explicit
// size keeps any NUL inside the text.
capnp::Text::Reader text_of(const std::string& text) { return {text.data(), text.size()}; }

std::string_view view_of(capnp::Text::Reader text) { return {text.cStr(), text.size()}; }

}  // namespace

void write_identities(capnp::List<schema::Identity>::Builder out, const acl::identities& who) {
  for (unsigned i = 0; i < who.size(); ++i) {
    out[i].setScheme(text_of(who[i].scheme));
    out[i].setId(text_of(who[i].value));
  }
}

acl::identities read_identities(capnp::List<schema::Identity>::Reader in) {
  acl::identities who;
  who.reserve(in.size());
  for (auto identity : in) who.push_back(acl::id{std::string(view_of(identity.getScheme())), std::string(view_of(identity.getId()))});
  return who;
}

bool same_identities(const acl::identities& who, capnp::List<schema::Identity>::Reader in) {
  if (who.size() != in.size()) return false;
  for (unsigned i = 0; i < who.size(); ++i)
    if (who[i].scheme != view_of(in[i].getScheme()) || who[i].value != view_of(in[i].getId())) return false;
  return true;
}

}  // namespace rookery::request
