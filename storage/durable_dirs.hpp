#pragma once
// Directories whose entries survive a power cut: a new entry is durable only once the
// directory holding it is synced.
#include <filesystem>
#include <string>

namespace rookery::storage {

// Throws storage_error when the directory cannot be opened or synced.
void sync_directory(const std::string& path);

// Creates `directory` and its missing parents, syncing each new entry into its parent.
void create_directories_durably(const std::filesystem::path& directory);

}  // namespace rookery::storage
