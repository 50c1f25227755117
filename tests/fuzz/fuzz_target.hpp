// What every fuzz target shares: its entry point, a check that fails loudly, and a reader that
// takes the input apart from the front (so a seed file is easy to write: see make_seeds.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace netchat_fuzz {

// A broken invariant. Under libFuzzer it aborts (the input is saved as a crash); in the replay
// test it throws, so the test names the corpus file.
[[noreturn]] void fail(const char* what, const char* file, int line);

// Bytes from the front of the input; past its end every read returns zeros.
class Input {
  public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return at_ >= size_; }
    std::size_t left() const { return size_ - at_; }
    std::uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
    std::uint32_t u32() { return u16() | (static_cast<std::uint32_t>(u16()) << 16); }
    std::uint64_t u64() { return u32() | (static_cast<std::uint64_t>(u32()) << 32); }
    std::span<const std::byte> bytes(std::size_t n) {
        n = std::min(n, left());
        const auto* p = reinterpret_cast<const std::byte*>(data_ + at_);
        at_ += n;
        return {p, n};
    }
    std::string string(std::size_t n) {
        const auto b = bytes(n);
        return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    }

  private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

}  // namespace netchat_fuzz

#define FUZZ_CHECK(cond)                                              \
    do {                                                              \
        if (!(cond)) ::netchat_fuzz::fail(#cond, __FILE__, __LINE__); \
    } while (0)

// NETCHAT_FUZZ_TARGET(name) { ...data, size... } is libFuzzer's entry point in a fuzzer build
// (NETCHAT_LIBFUZZER) and the function netchat_fuzz::name() that the replay test calls.
#define NETCHAT_FUZZ_TARGET(name)                          \
    namespace netchat_fuzz {                               \
    void name(const std::uint8_t* data, std::size_t size); \
    }                                                      \
    NETCHAT_FUZZ_ENTRY(name)                               \
    void netchat_fuzz::name(const std::uint8_t* data, std::size_t size)

#ifdef NETCHAT_LIBFUZZER
#define NETCHAT_FUZZ_ENTRY(name)                                                        \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
        netchat_fuzz::name(data, size);                                                 \
        return 0;                                                                       \
    }
#else
#define NETCHAT_FUZZ_ENTRY(name)
#endif
