// Logged-in sessions by folded nick: what makes nicks unique, and how WHISPER and /kick find
// their target. Its lock (rank Nicks) is a leaf.
#pragma once

#include <string>
#include <unordered_map>

#include "session.hpp"

namespace chat::detail {

class NickRegistry {
  public:
    // False if the key is taken.
    bool claim(const std::string& key, const SessionPtr& session);
    // Frees the key if `session` holds it.
    void release(const std::string& key, const Session* session);
    SessionPtr find(const std::string& key) const;
    void clear();

  private:
    mutable RankedMutex mutex_{LockRank::Nicks};
    std::unordered_map<std::string, SessionPtr> by_key_;
};

}  // namespace chat::detail
