#pragma once
// The messages roles exchange inside one rookeryd. Payloads are Cap'n Proto (schema/: client
// requests and connects, txns, image records, the tree's outbox, deliveries) shared between
// actors as immutable buffers; the sequencer's command stream and the log batches are
// envelopes of such shared messages; the other types here carry small local values (ids,
// zxids, figures for the four-letter words).
#include <caf/all.hpp>

#include <memory>
#include <string>
#include <vector>

#include "actors/request/outbox_messages.hpp"
#include "actors/request/pipeline_outputs.hpp"
#include "actors/request/tree_commands.hpp"
#include "actors/watch/outbox_router.hpp"
#include "runtime/admin/four_letter.hpp"
#include "storage/snapshot_image.hpp"

namespace rookery {

// Framer broker <-> session actor.
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using frames_atom = caf::atom_constant<caf::atom("frames")>;
using word_atom = caf::atom_constant<caf::atom("word")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using peer_gone_atom = caf::atom_constant<caf::atom("peergone")>;
// Session actor -> framer: it holds read frames (see held_frames): stop / restart reading.
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
// Framer -> session actor: replies pile up unread (true) or have drained (false).
using backlog_atom = caf::atom_constant<caf::atom("backlog")>;

// Session actor -> request sequencer -> tree.
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using request_atom = caf::atom_constant<caf::atom("request")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using bye_atom = caf::atom_constant<caf::atom("bye")>;
using commands_atom = caf::atom_constant<caf::atom("commands")>;

// Tree -> watch manager -> session actor.
using outbox_atom = caf::atom_constant<caf::atom("outbox")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;

// Sequencer <-> log store; tree -> snapshotter -> log store.
using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using durable_atom = caf::atom_constant<caf::atom("durable")>;
using log_failed_atom = caf::atom_constant<caf::atom("logfailed")>;
using image_atom = caf::atom_constant<caf::atom("image")>;
using covered_atom = caf::atom_constant<caf::atom("covered")>;

// Session tracker.
using opened_atom = caf::atom_constant<caf::atom("opened")>;
using rearm_atom = caf::atom_constant<caf::atom("rearm")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using claim_atom = caf::atom_constant<caf::atom("claim")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using touch_atom = caf::atom_constant<caf::atom("touch")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using kick_atom = caf::atom_constant<caf::atom("kick")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using reap_atom = caf::atom_constant<caf::atom("reap")>;

// Introspection for the four-letter words.
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using reset_atom = caf::atom_constant<caf::atom("reset")>;

// Session ids by expiry deadline, from the session tracker.
using expiry_buckets = std::map<int64_t, std::set<int64_t>>;

using shared_tree_commands = std::shared_ptr<const request::tree_commands>;
using shared_log_batch = std::shared_ptr<const std::vector<request::log_entry>>;
using shared_image_batch = std::shared_ptr<const storage::image_batch>;

}  // namespace rookery

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::request::request_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::request::connect_request_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::request::connect_result_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::shared_tree_commands)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::request::outbox_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::watch::deliveries_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::shared_log_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::shared_image_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::admin::connection_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::admin::watch_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::admin::listener_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rookery::expiry_buckets)
