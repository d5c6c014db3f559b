#include "storage/tree_image.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include "runtime/capnp/shared_message.hpp"
#include "schema/image.capnp.h"

namespace rookery::storage {
namespace {

std::string to_bytes(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

std::string encode_node(const data_tree& tree, const znode& node) {
  capnp::MallocMessageBuilder message(static_cast<unsigned>(node.data.size() / sizeof(capnp::word)) + 64);
  auto record = message.initRoot<schema::NodeRecord>();
  record.setData(as_data(node.data));
  record.setDataIsNull(node.data_is_null);
  record.setCzxid(node.czxid);
  record.setMzxid(node.mzxid);
  record.setCtime(node.ctime);
  record.setMtime(node.mtime);
  record.setPzxid(node.pzxid);
  record.setVersion(node.version);
  record.setAversion(node.aversion);
  record.setChildCreations(node.child_creations);
  record.setOwner(node.owner);
  const auto& acl = tree.acl_of(node);
  auto out = record.initAcl(static_cast<unsigned>(acl.size()));
  for (unsigned i = 0; i < acl.size(); ++i) {
    out[i].setPerms(acl[i].perms);
    out[i].setScheme(as_text(acl[i].who.scheme));
    out[i].setId(as_text(acl[i].who.value));
  }
  return to_bytes(message);
}

std::string encode_session(const session_record& session) {
  capnp::MallocMessageBuilder message(16);
  auto record = message.initRoot<schema::SessionRecord>();
  record.setTimeoutMs(session.timeout_ms);
  record.setPassword(as_data(session.password));
  return to_bytes(message);
}

}  // namespace

image_batch take_image_batch(data_tree& tree, int64_t zxid) {
  auto dirty = tree.take_dirty();
  image_batch batch;
  batch.zxid = zxid;
  for (const auto& path : dirty.paths) {
    if (const znode* node = tree.find(path)) batch.upserted_nodes.emplace_back(path, encode_node(tree, *node));
    else batch.erased_nodes.push_back(path);
  }
  for (int64_t id : dirty.sessions) {
    if (const session_record* session = tree.find_session(id)) batch.upserted_sessions.emplace_back(id, encode_session(*session));
    else batch.erased_sessions.push_back(id);
  }
  return batch;
}

int64_t load_image(const snapshot_image& image, data_tree& tree) {
  tree.clear();
  image.for_each_session([&](int64_t id, std::string_view bytes) {
    // LMDB values are not 8-byte aligned; Cap'n Proto wants words.
    auto message = message_buffer::copy_of(bytes);
    message_reader<schema::SessionRecord> reader(*message);
    auto record = reader.root();
    tree.add_session(id, record.getTimeoutMs(), std::string(as_chars(record.getPassword())));
  });
  image.for_each_node([&](std::string_view path, std::string_view bytes) {
    auto message = message_buffer::copy_of(bytes);
    message_reader<schema::NodeRecord> reader(*message);
    auto record = reader.root();
    znode node;
    node.data = std::string(as_chars(record.getData()));
    node.data_is_null = record.getDataIsNull();
    node.czxid = record.getCzxid();
    node.mzxid = record.getMzxid();
    node.ctime = record.getCtime();
    node.mtime = record.getMtime();
    node.pzxid = record.getPzxid();
    node.version = record.getVersion();
    node.aversion = record.getAversion();
    node.child_creations = record.getChildCreations();
    node.owner = record.getOwner();
    acl::list acl;
    for (auto entry : record.getAcl())
      acl.push_back({entry.getPerms(), {std::string(as_view(entry.getScheme())), std::string(as_view(entry.getId()))}});
    tree.restore_node(std::string(path), std::move(node), acl);
  });
  tree.link_children();
  tree.take_dirty();
  return image.zxid();
}

}  // namespace rookery::storage
