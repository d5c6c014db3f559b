#include "runtime/supervision/role_watch.hpp"

#include <unordered_map>

#include "actors/messages.hpp"

namespace rookery::supervision {
namespace {

struct watcher_state {
  std::unordered_map<caf::actor_addr, std::string> names;
  static inline const char* name = "role-watch";
};

caf::behavior watcher(caf::stateful_actor<watcher_state>* self, std::vector<watched_role> roles,
                      role_fault_handler on_fault) {
  for (auto& role : roles) {
    self->monitor(role.actor);
    self->state.names.emplace(role.actor.address(), std::move(role.name));
  }
  self->set_down_handler([=](const caf::down_msg& down) {
    auto& names = self->state.names;
    auto found = names.find(down.source);
    if (found == names.end()) return;
    std::string role = std::move(found->second);
    names.erase(found);
    if (!down.reason || down.reason == caf::exit_reason::user_shutdown) return;
    on_fault(role, self->system().render(down.reason));
  });
  return {
      // The roles still watched, by name.
      [=](stats_atom) {
        std::vector<std::string> watched;
        for (const auto& [address, name] : self->state.names) watched.push_back(name);
        return watched;
      },
  };
}

}  // namespace

caf::actor watch_roles(caf::actor_system& system, std::vector<watched_role> roles, role_fault_handler on_fault) {
  return system.spawn(watcher, std::move(roles), std::move(on_fault));
}

}  // namespace rookery::supervision
