#pragma once
// Identities and ACLs in the form txns and role messages carry them (schema Identity, Acl).
#include <capnp/list.h>

#include "actors/acl/acl_core.hpp"
#include "schema/txn.capnp.h"

namespace rookery::request {

// `out` comes from init...(who.size()).
void write_identities(capnp::List<schema::Identity>::Builder out, const acl::identities& who);
acl::identities read_identities(capnp::List<schema::Identity>::Reader in);

// `out` comes from init...(acl.size()).
void write_acl(capnp::List<schema::Acl>::Builder out, const acl::list& acl);
acl::list read_acl(capnp::List<schema::Acl>::Reader in);
// acl::allowed on an ACL in a message, without copying it out (events check one per receiver).
bool allowed(capnp::List<schema::Acl>::Reader acl, int32_t perm_mask, const acl::identities& who);

}  // namespace rookery::request
