// churn: connections opening and closing all the time (connect, HELLO, JOIN, close) while
// the members of the same room chat; the members must still see an unbroken run of seq.
#pragma once

#include "chat_bench/options.hpp"
#include "chat_bench/report.hpp"
#include "chat_bench/room_run.hpp"

namespace chat_bench {

struct ChurnOptions {
    RoomOptions room;           // the chatters (members=50, senders=5, paced)
    std::size_t churners = 16;  // connections cycling at once
};

Report run_churn(const CommonOptions& common, const ChurnOptions& options);

}  // namespace chat_bench
