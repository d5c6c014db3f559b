#pragma once
// The tree's outbox as the watch manager receives it (schema/outbox.capnp): one message per
// tree step, whatever number of items it holds.
#include <vector>

#include "actors/request/pipeline_outputs.hpp"
#include "runtime/capnp/shared_message.hpp"
#include "schema/outbox.capnp.h"

namespace rookery::request {

using outbox_message = shared_message<schema::Outbox>;

// Large reply frames are moved out of `items` and referenced by the message, not copied.
outbox_message encode_outbox(std::vector<outbox_item>&& items);

}  // namespace rookery::request
