#pragma once
// A caller's identities in the form txns and client requests carry them (schema Identity).
#include <capnp/list.h>

#include "actors/acl/acl_core.hpp"
#include "schema/txn.capnp.h"

namespace rookery::request {

// `out` comes from init...(who.size()).
void write_identities(capnp::List<schema::Identity>::Builder out, const acl::identities& who);
acl::identities read_identities(capnp::List<schema::Identity>::Reader in);

}  // namespace rookery::request
