#pragma once
// What the tree hands to the others: items for the watch manager (which delivers them to
// session actors in order) and session changes for the session tracker.
#include <string>
#include <variant>

#include "actors/request/apply_core.hpp"
#include "actors/request/client_messages.hpp"
#include "actors/request/read_core.hpp"

namespace rookery::request {

struct reply_item {
  connection_id connection;
  std::string frames;
  bool close_after = false;
};
struct watch_item {
  connection_id connection;
  watch_registration registration;
};
struct trigger_item {
  trigger fired;
  int64_t zxid;
};
struct query_item {
  connection_id connection;
  watch_query query;
  int64_t zxid;
};
struct forget_item {
  connection_id connection;
};
using outbox_item = std::variant<reply_item, watch_item, trigger_item, query_item, forget_item>;

struct session_change {
  bool opened = false;  // else closed
  int64_t session = 0;
  int32_t timeout_ms = 0;
};

}  // namespace rookery::request
