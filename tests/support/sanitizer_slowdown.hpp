// How many times slower than an optimised build this test binary runs: the sanitizers'
// runtimes check every memory access (ASan about 2x) or every access and lock (TSan 5-15x,
// and each new thread maps shadow memory for its stack). A test that bounds a time a user
// would notice scales its bound by this, so the sanitizer builds check the same behaviour on
// a loaded machine; the optimised build keeps the tight bound.
#pragma once

namespace testing_support {

#if defined(__has_feature)
#define NETCHAT_HAS_FEATURE(x) __has_feature(x)
#else
#define NETCHAT_HAS_FEATURE(x) 0
#endif

#if defined(__SANITIZE_THREAD__) || NETCHAT_HAS_FEATURE(thread_sanitizer)
inline constexpr int kSanitizerSlowdown = 3;
#elif defined(__SANITIZE_ADDRESS__) || NETCHAT_HAS_FEATURE(address_sanitizer)
inline constexpr int kSanitizerSlowdown = 2;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif

#undef NETCHAT_HAS_FEATURE

}  // namespace testing_support
