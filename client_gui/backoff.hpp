// How long to wait before reconnect attempt n (1, 2, ...): doubling from `first` up to `most`,
// with up to a quarter more at random so clients of a restarted server do not return at once.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace client_gui {

struct Backoff {
    std::chrono::milliseconds first{500};
    std::chrono::milliseconds most{8000};

    std::chrono::milliseconds base(int attempt) const {
        auto d = first;
        for (int i = 1; i < attempt && d < most; ++i) d *= 2;
        return std::min(d, most);
    }
    template <class Rng>
    std::chrono::milliseconds delay(int attempt, Rng& rng) const {
        const auto b = base(attempt);
        std::uniform_int_distribution<long long> extra(0, b.count() / 4);
        return b + std::chrono::milliseconds(extra(rng));
    }
};

}  // namespace client_gui
