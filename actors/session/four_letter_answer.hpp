#pragma once
// A four-letter word's answer: a fixed text, or the figures of the roles that hold them.
#include <caf/all.hpp>

#include <functional>
#include <string>

#include "actors/session/session_actor.hpp"

namespace rookery::session {

// Passes the rendered text to `reply`; an empty text when a role does not answer in time.
void answer_word(caf::stateful_actor<session_actor_state>* self, const std::string& word,
                 std::function<void(std::string)> reply);

}  // namespace rookery::session
