#pragma once
#include <string_view>

namespace rookery::zk {

// PathUtils.validatePath: absolute, no empty, "." or ".." components, no trailing slash
// (except "/"), and none of the characters ZooKeeper forbids.
bool valid_path(std::string_view path);

}  // namespace rookery::zk
