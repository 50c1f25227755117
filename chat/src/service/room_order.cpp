#include "room_order.hpp"

#include <chrono>

namespace chat::detail {
namespace {
std::uint64_t now_us() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}
}  // namespace

Published LocalRoomOrder::publish(Room& room, RoomChange change, Session* origin) {
    const Lock lock = room.lock();
    if (room.retired()) return Published::RoomRetired;
    if (room.epoch() == 0) room.begin_history(history_.open(room.name()));  // its first change
    OrderedChange ordered{0, std::move(change)};
    if (auto* said = std::get_if<Said>(&ordered.change)) {
        ordered.seq = room.next_seq();
        said->time_us = now_us();
        history_.append(room.name(), room.epoch(),
                        StoredMessage{ordered.seq, said->time_us, said->from, said->text});
    }
    room.apply(ordered, origin);
    return Published::Done;
}

}  // namespace chat::detail
