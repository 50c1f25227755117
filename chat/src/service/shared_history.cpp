#include "shared_history.hpp"

namespace chat::detail {

void SharedHistory::load(const std::string& room, HistoryPosition position,
                         const std::vector<StoredMessage>& messages) {
    if (messages.empty()) return copy_.reset(room, position);
    copy_.reset(room, {position.epoch, messages.front().seq});
    for (const StoredMessage& m : messages) copy_.append(room, position.epoch, m);
}

}  // namespace chat::detail
