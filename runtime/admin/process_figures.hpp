#pragma once
#include <string>

#include "runtime/admin/four_letter.hpp"

namespace rookery::admin {

// Fills the figures read from the operating system: descriptors, memory, data dir size.
void fill_process_figures(server_view& view, const std::string& data_dir, const std::string& log_dir);

}  // namespace rookery::admin
