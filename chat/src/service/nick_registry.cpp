#include "nick_registry.hpp"

#include <mutex>

namespace chat::detail {

bool NickRegistry::claim(const std::string& key, const SessionPtr& session) {
    std::lock_guard lock(mutex_);
    return by_key_.emplace(key, session).second;
}

void NickRegistry::release(const std::string& key, const Session* session) {
    std::lock_guard lock(mutex_);
    const auto it = by_key_.find(key);
    if (it != by_key_.end() && it->second.get() == session) by_key_.erase(it);
}

SessionPtr NickRegistry::find(const std::string& key) const {
    std::lock_guard lock(mutex_);
    const auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : it->second;
}

void NickRegistry::clear() {
    std::lock_guard lock(mutex_);
    by_key_.clear();
}

}  // namespace chat::detail
