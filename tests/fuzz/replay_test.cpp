// Every input kept in tests/fuzz/corpus/<target>/ (the seeds, and each input a fuzzer found a
// bug with) replayed through its target's checks: the fuzzers' regression tests, run in every
// build (and under ASan + UBSan in the asan preset).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz_target.hpp"

namespace netchat_fuzz {
void frame_decoder(const std::uint8_t*, std::size_t);
void encoder(const std::uint8_t*, std::size_t);
void service(const std::uint8_t*, std::size_t);
void client_session(const std::uint8_t*, std::size_t);
}  // namespace netchat_fuzz

namespace {

struct Target {
    const char* name;
    void (*run)(const std::uint8_t*, std::size_t);
};

class FuzzCorpus : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzCorpus, EveryKeptInputPassesTheChecks) {
    const std::filesystem::path dir = std::filesystem::path(NETCHAT_FUZZ_CORPUS) / GetParam().name;
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    std::size_t replayed = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream file(entry.path(), std::ios::binary);
        const std::vector<char> bytes{std::istreambuf_iterator<char>(file), {}};
        try {
            GetParam().run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        } catch (const std::exception& e) {
            ADD_FAILURE() << entry.path().filename() << ": " << e.what();
        }
        ++replayed;
    }
    EXPECT_GT(replayed, 0u) << "no corpus in " << dir;
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzCorpus,
                         ::testing::Values(Target{"frame_decoder", netchat_fuzz::frame_decoder},
                                           Target{"encoder", netchat_fuzz::encoder},
                                           Target{"service", netchat_fuzz::service},
                                           Target{"client_session", netchat_fuzz::client_session}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
