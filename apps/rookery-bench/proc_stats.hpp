#pragma once
// CPU time of this process and of another process (the server under test, from /proc).
#include <optional>
#include <sys/types.h>

namespace rookery::bench {

// utime + stime of this process, in seconds.
double self_cpu_seconds();
// utime + stime of process `pid` from /proc/PID/stat, in seconds (clock-tick resolution);
// nullopt if the process is gone or unreadable.
std::optional<double> process_cpu_seconds(pid_t pid);

}  // namespace rookery::bench
