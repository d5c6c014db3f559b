#include "actors/request/read_core.hpp"

#include <algorithm>

#include "runtime/jute/jute.hpp"
#include "runtime/zk/protocol.hpp"
#include "runtime/zk/records.hpp"

namespace rookery::request {
namespace {

namespace err = zk::err;
namespace op = zk::op;
using storage::znode;

// Context of one read: decodes from the request body, writes the reply frame.
struct read_call {
  const storage::data_tree& tree;
  const read_request& request;
  const read_settings& settings;
  read_output& output;
  jute::reader in;
  jute::writer out;

  read_call(const storage::data_tree& t, const read_request& r, const read_settings& s, read_output& o)
      : tree(t), request(r), settings(s), output(o), in(r.body), out(o.frames) {}

  const acl::identities& who() const { return *request.who; }

  // ZooKeeper's DataTree also indexes the root under "" and reads look their path up without
  // validating it, so "" reads as the root.
  const znode* find(std::string_view path) const { return tree.find(path.empty() ? "/" : path); }

  void header_only(int32_t error) { zk::append_header_frame(output.frames, request.xid, request.last_zxid, error); }

  template <class Body>
  void success(Body&& write_body) {
    auto start = zk::begin_reply(out, request.xid, request.last_zxid, err::ok);
    write_body();
    out.end_frame(start);
  }

  // Looks a node up and checks `perm`; answers the error itself when it fails.
  const znode* readable(std::string_view path, int32_t perm) {
    const znode* node = find(path);
    if (!node) {
      header_only(err::no_node);
      return nullptr;
    }
    if (!acl::allowed(tree.acl_of(*node), perm, who())) {
      header_only(err::no_auth);
      return nullptr;
    }
    return node;
  }

  void watch_if(bool wanted, std::string_view path, watch::watch_kind kind) {
    if (wanted) output.watches.push_back({std::string(path), kind});
  }
};

void exists(read_call& call) {
  auto path = call.in.read_path_view();
  bool watch = call.in.read_bool();
  if (path.find('\0') != std::string_view::npos) return call.header_only(err::bad_arguments);
  const znode* node = call.find(path);
  if (node && !acl::allowed(call.tree.acl_of(*node), acl::read, call.who())) return call.header_only(err::no_auth);
  // exists is the one read that watches a missing node: that is how creation is awaited.
  call.watch_if(watch, path, watch::watch_kind::standard_data);
  if (!node) return call.header_only(err::no_node);
  call.success([&] { zk::write_stat(call.out, node->to_stat()); });
}

void get_data(read_call& call) {
  auto path = call.in.read_path_view();
  bool watch = call.in.read_bool();
  const znode* node = call.readable(path, acl::read);
  if (!node) return;
  call.watch_if(watch, path, watch::watch_kind::standard_data);
  call.success([&] {
    if (node->data_is_null) call.out.write_null_buffer();
    else call.out.write_buffer(std::string_view(node->data));
    zk::write_stat(call.out, node->to_stat());
  });
}

void write_children(read_call& call, const znode& node) {
  call.out.write_int(node.num_children());
  if (node.children)
    for (auto name : *node.children) call.out.write_ustring(name);
}

void get_children(read_call& call) {
  auto path = call.in.read_path_view();
  bool watch = call.in.read_bool();
  const znode* node = call.readable(path, acl::read);
  if (!node) return;
  call.watch_if(watch, path, watch::watch_kind::standard_child);
  call.success([&] {
    write_children(call, *node);
    if (call.request.opcode == op::get_children2) zk::write_stat(call.out, node->to_stat());
  });
}

void get_acl(read_call& call) {
  auto path = call.in.read_path_view();
  const znode* node = call.readable(path, acl::read | acl::admin);
  if (!node) return;
  call.success([&] {
    zk::write_acl_list(call.out, acl::redact_for_reader(call.tree.acl_of(*node), call.who()));
    zk::write_stat(call.out, node->to_stat());
  });
}

void get_all_children_number(read_call& call) {
  auto path = call.in.read_path_view();
  if (!call.readable(path, acl::read)) return;
  // ZooKeeper counts the node keys that start with path + "/": for "" that is every node,
  // the root included.
  const int32_t count = path.empty() ? call.tree.descendant_count("/") + 1 : call.tree.descendant_count(path);
  call.success([&] { call.out.write_int(count); });
}

void get_ephemerals(read_call& call) {
  auto prefix = call.in.read_ustring_view();
  // §6.19: a blank prefix or "/" means all. ZooKeeper tests StringUtils.isBlank (any
  // whitespace, tabs included) and compares prefix.trim() with "/"; the match itself uses
  // the untrimmed prefix.
  auto blank = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); };
  std::string_view trimmed = prefix;
  while (!trimmed.empty() && static_cast<unsigned char>(trimmed.front()) <= ' ') trimmed.remove_prefix(1);
  while (!trimmed.empty() && static_cast<unsigned char>(trimmed.back()) <= ' ') trimmed.remove_suffix(1);
  bool all = std::all_of(prefix.begin(), prefix.end(), blank) || trimmed == "/";
  std::vector<std::string> paths;
  if (const auto* session = call.tree.find_session(call.request.session)) {
    for (const auto& path : session->ephemerals)
      if (all || path.compare(0, prefix.size(), prefix) == 0) paths.push_back(path);
  }
  call.success([&] { call.out.write_ustring_vector(paths); });
}

void sync(read_call& call) {
  // The reply repeats the request's path field byte for byte, so a null path comes back null.
  const std::size_t start = call.in.offset();
  call.in.read_ustring_view();
  const auto path_field = call.request.body.substr(start, call.in.offset() - start);
  call.success([&] { call.out.bytes() += path_field; });
}

void ping(read_call& call) { zk::append_header_frame(call.output.frames, zk::xid::ping, call.request.last_zxid, err::ok); }

void who_am_i(read_call& call) {
  auto infos = acl::who_am_i(call.who());
  call.success([&] {
    call.out.write_int(static_cast<int32_t>(infos.size()));
    for (const auto& [scheme, user] : infos) {
      call.out.write_ustring(scheme);
      call.out.write_ustring(user);
    }
  });
}

void add_watch(read_call& call) {
  auto path = call.in.read_ustring_view();
  auto kind = watch::add_watch_mode_from_int(call.in.read_int());
  if (!kind) return call.header_only(err::marshalling_error);
  call.watch_if(true, path, *kind);
  // Java clients decode an ErrorResponse body here, so the 4 zero bytes must be present.
  call.success([&] { call.out.write_int(err::ok); });
}

void watch_query(read_call& call) {
  auto path = call.in.read_ustring_view();
  auto type = watch::watcher_type_from_int(call.in.read_int());
  if (!type) return call.header_only(err::marshalling_error);
  call.output.query = request::watch_query{call.request.xid, std::string(path), *type,
                                           call.request.opcode == op::remove_watches};
}

// §10.4: re-register, or send the event the client missed while it was away instead.
void set_watches(read_call& call) {
  int64_t relative_zxid = call.in.read_long();
  auto data_paths = call.in.read_ustring_vector().value_or(std::vector<std::string>{});
  auto exist_paths = call.in.read_ustring_vector().value_or(std::vector<std::string>{});
  auto child_paths = call.in.read_ustring_vector().value_or(std::vector<std::string>{});
  std::vector<std::string> persistent_paths, recursive_paths;
  if (call.request.opcode == op::set_watches2) {
    persistent_paths = call.in.read_ustring_vector().value_or(std::vector<std::string>{});
    recursive_paths = call.in.read_ustring_vector().value_or(std::vector<std::string>{});
  }
  auto replay = [&](watch::event_type type, const std::string& path) {
    call.output.frames += zk::notification_frame(static_cast<int32_t>(type), path, -1);
  };
  for (const auto& path : data_paths) {
    const znode* node = call.find(path);
    if (!node) replay(watch::event_type::node_deleted, path);
    else if (node->mzxid > relative_zxid) replay(watch::event_type::node_data_changed, path);
    else call.watch_if(true, path, watch::watch_kind::standard_data);
  }
  for (const auto& path : exist_paths) {
    if (call.find(path)) replay(watch::event_type::node_created, path);
    else call.watch_if(true, path, watch::watch_kind::standard_data);
  }
  for (const auto& path : child_paths) {
    const znode* node = call.find(path);
    if (!node) replay(watch::event_type::node_deleted, path);
    else if (node->pzxid > relative_zxid) replay(watch::event_type::node_children_changed, path);
    else call.watch_if(true, path, watch::watch_kind::standard_child);
  }
  for (const auto& path : persistent_paths) call.watch_if(true, path, watch::watch_kind::persistent);
  for (const auto& path : recursive_paths) call.watch_if(true, path, watch::watch_kind::persistent_recursive);
  zk::append_header_frame(call.output.frames, zk::xid::set_watches, call.request.last_zxid, err::ok);
}

// multiRead: each read runs on its own; a failure is reported in place, later reads go on.
void multi_read(read_call& call) {
  struct sub_read {
    int32_t type;
    std::string path;
  };
  std::vector<sub_read> reads;
  for (;;) {
    int32_t type = call.in.read_int();
    bool done = call.in.read_bool();
    call.in.read_int();
    if (done) break;
    if (type != op::get_data && type != op::get_children) return call.header_only(err::marshalling_error);
    std::string path = call.in.read_path();
    call.in.read_bool();  // multiRead never sets watches
    reads.push_back({type, std::move(path)});
  }
  call.success([&] {
    for (const auto& read : reads) {
      const znode* node = call.find(read.path);
      int32_t error = !node ? err::no_node
                      : !acl::allowed(call.tree.acl_of(*node), acl::read, call.who()) ? err::no_auth
                                                                                      : err::ok;
      if (error != err::ok) {
        call.out.write_int(op::error);
        call.out.write_bool(false);
        call.out.write_int(error);
        call.out.write_int(error);
        continue;
      }
      call.out.write_int(read.type);
      call.out.write_bool(false);
      call.out.write_int(err::ok);
      if (read.type == op::get_children) {
        write_children(call, *node);
      } else {
        if (node->data_is_null) call.out.write_null_buffer();
        else call.out.write_buffer(std::string_view(node->data));
        zk::write_stat(call.out, node->to_stat());
      }
    }
    call.out.write_int(op::error);
    call.out.write_bool(true);
    call.out.write_int(-1);
  });
}

void reconfig(read_call& call) {
  call.header_only(call.settings.reconfig_enabled ? err::unimplemented : err::reconfig_disabled);
}

void sasl(read_call& call) {
  auto start = zk::begin_reply(call.out, call.request.xid, 0, err::auth_failed);
  call.out.write_buffer(std::string_view());
  call.out.end_frame(start);
}

void unimplemented(read_call& call) {
  zk::append_header_frame(call.output.frames, call.request.xid, -1, err::unimplemented);
  call.output.close_after = true;
}

using handler = void (*)(read_call&);

handler handler_for(int32_t opcode) {
  switch (opcode) {
    case op::exists: return exists;
    case op::get_data: return get_data;
    case op::get_children:
    case op::get_children2: return get_children;
    case op::get_acl: return get_acl;
    case op::get_all_children_number: return get_all_children_number;
    case op::get_ephemerals: return get_ephemerals;
    case op::sync: return sync;
    case op::ping: return ping;
    case op::who_am_i: return who_am_i;
    case op::add_watch: return add_watch;
    case op::check_watches:
    case op::remove_watches: return watch_query;
    case op::set_watches:
    case op::set_watches2: return set_watches;
    case op::multi_read: return multi_read;
    case op::reconfig: return reconfig;
    case op::sasl: return sasl;
    default: return unimplemented;
  }
}

}  // namespace

bool checks_session(int32_t opcode, const read_settings& settings) {
  if (opcode == op::sasl || (opcode == op::reconfig && !settings.reconfig_enabled)) return false;
  return handler_for(opcode) != unimplemented;
}

read_output serve_read(const storage::data_tree& tree, const read_request& request, const read_settings& settings) {
  read_output output;
  read_call call(tree, request, settings, output);
  try {
    handler_for(request.opcode)(call);
  } catch (const jute::decode_error&) {
    output = read_output{};
    zk::append_header_frame(output.frames, request.xid, request.last_zxid, err::marshalling_error);
  }
  return output;
}

}  // namespace rookery::request
