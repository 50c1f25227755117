#include "memory_history.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

namespace chat::detail {
namespace {

// A string's heap block: none within the small-string buffer (15 bytes in libstdc++), else
// the bytes and the terminator in a malloc chunk (8 bytes of header, 16-byte granules).
std::uint64_t heap_of(const std::string& s) {
    if (s.size() <= 15) return 0;
    return (s.size() + 1 + 8 + 15) / 16 * 16;
}

// Each deque slot is the struct itself (in 512-byte blocks); a room adds its map node, its
// deque's map and first block, and its entry in the by-size index.
constexpr std::uint64_t kRoomOverhead = 64 + 8 * 8 + 512 + 64;

// Epochs must differ between processes (a restart is a new epoch): the OS's entropy, and the
// clock in case a platform's random_device is deterministic (old MinGW's was).
std::mt19937_64 seeded_generator() {
    std::random_device device;
    const auto now =
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    std::seed_seq seed{device(),
                       device(),
                       device(),
                       device(),
                       static_cast<unsigned>(now),
                       static_cast<unsigned>(now >> 32)};
    return std::mt19937_64(seed);
}

}  // namespace

MemoryHistoryStore::MemoryHistoryStore(std::size_t per_room, std::uint64_t byte_limit)
    : per_room_(per_room), byte_limit_(byte_limit), random_(seeded_generator()) {}

std::uint64_t MemoryHistoryStore::footprint(const StoredMessage& msg) {
    return sizeof(StoredMessage) + heap_of(msg.from) + heap_of(msg.text);
}

std::uint64_t MemoryHistoryStore::footprint(const std::string& room_name) {
    return kRoomOverhead + sizeof(RoomHistory) + 2 * heap_of(room_name);  // map key and index
}

std::uint64_t MemoryHistoryStore::new_epoch() {
    std::uint64_t epoch = 0;
    while (epoch == 0) epoch = random_();
    return epoch;
}

MemoryHistoryStore::RoomHistory& MemoryHistoryStore::create(const std::string& room,
                                                            std::uint64_t epoch,
                                                            std::uint64_t next_seq) {
    const auto it = rooms_.try_emplace(room).first;
    it->second.position = HistoryPosition{epoch, next_seq};
    resize(it, footprint(room));
    return it->second;
}

HistoryPosition MemoryHistoryStore::open(const std::string& room) {
    const std::lock_guard lock(mutex_);
    if (const auto it = rooms_.find(room); it != rooms_.end()) return it->second.position;
    const HistoryPosition position = create(room, new_epoch(), 1).position;
    enforce_byte_limit();
    return position;
}

void MemoryHistoryStore::append(const std::string& room, std::uint64_t epoch, StoredMessage msg) {
    const std::lock_guard lock(mutex_);
    auto it = rooms_.find(room);
    if (it == rooms_.end() || it->second.position.epoch != epoch) {
        if (it != rooms_.end()) {  // a history this room's order no longer continues
            total_messages_ -= it->second.messages.size();
            it->second.messages.clear();
        }
        create(room, epoch, msg.seq);
        it = rooms_.find(room);
    }
    RoomHistory& h = it->second;
    if (!h.messages.empty() && msg.seq != h.messages.back().seq + 1) {
        // Never from an order that hands out seq with no gap; kept consecutive regardless.
        total_messages_ -= h.messages.size();
        h.messages.clear();
        resize(it, footprint(room));
    }
    h.position.next_seq = msg.seq + 1;
    if (per_room_ > 0) {
        const std::uint64_t cost = footprint(msg);
        h.messages.push_back(std::move(msg));
        ++total_messages_;
        resize(it, h.bytes + cost);
        while (h.messages.size() > per_room_) drop_oldest(it);
    }
    enforce_byte_limit();
}

void MemoryHistoryStore::drop_oldest(Rooms::iterator it) {
    RoomHistory& h = it->second;
    const std::uint64_t cost = footprint(h.messages.front());
    h.messages.pop_front();
    --total_messages_;
    resize(it, h.bytes - cost);
}

void MemoryHistoryStore::resize(Rooms::iterator it, std::uint64_t bytes) {
    RoomHistory& h = it->second;
    if (h.bytes) by_size_.erase({h.bytes, it->first});
    total_bytes_ = total_bytes_ - h.bytes + bytes;
    h.bytes = bytes;
    if (bytes) by_size_.emplace(bytes, it->first);
}

void MemoryHistoryStore::enforce_byte_limit() {
    while (total_bytes_ > byte_limit_ && !by_size_.empty()) {
        const auto it = rooms_.find(std::prev(by_size_.end())->second);
        if (!it->second.messages.empty()) {
            drop_oldest(it);
            ++evicted_;
        } else {  // nothing left but the room itself: forgotten, epoch and all
            resize(it, 0);
            rooms_.erase(it);
        }
    }
}

std::vector<StoredMessage> MemoryHistoryStore::read(const std::string& room, std::uint64_t epoch,
                                                    std::uint64_t after_seq,
                                                    std::uint64_t before_seq,
                                                    std::size_t max) const {
    const std::lock_guard lock(mutex_);
    const auto it = rooms_.find(room);
    if (it == rooms_.end() || it->second.position.epoch != epoch || max == 0) return {};
    const auto& messages = it->second.messages;
    if (messages.empty()) return {};
    const std::uint64_t first = messages.front().seq, end = messages.back().seq + 1;
    const std::uint64_t hi = std::min(before_seq, end);
    std::uint64_t lo = std::max(after_seq == UINT64_MAX ? after_seq : after_seq + 1, first);
    if (lo >= hi) return {};
    if (hi - lo > max) lo = hi - max;
    return std::vector<StoredMessage>(messages.begin() + static_cast<std::ptrdiff_t>(lo - first),
                                      messages.begin() + static_cast<std::ptrdiff_t>(hi - first));
}

void MemoryHistoryStore::reset(const std::string& room, HistoryPosition position) {
    const std::lock_guard lock(mutex_);
    if (const auto it = rooms_.find(room); it != rooms_.end()) {
        total_messages_ -= it->second.messages.size();
        it->second.messages.clear();
    }
    create(room, position.epoch, position.next_seq);
    enforce_byte_limit();
}

void MemoryHistoryStore::forget(const std::string& room) {
    const std::lock_guard lock(mutex_);
    const auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    total_messages_ -= it->second.messages.size();
    resize(it, 0);
    rooms_.erase(it);
}

HistoryUsage MemoryHistoryStore::usage(const std::string& room) const {
    const std::lock_guard lock(mutex_);
    const auto it = rooms_.find(room);
    if (it == rooms_.end()) return {};
    return HistoryUsage{it->second.messages.size(), it->second.bytes};
}

HistoryTotals MemoryHistoryStore::totals() const {
    const std::lock_guard lock(mutex_);
    return HistoryTotals{rooms_.size(), total_messages_, total_bytes_,
                         byte_limit_,   per_room_,       evicted_};
}

}  // namespace chat::detail
