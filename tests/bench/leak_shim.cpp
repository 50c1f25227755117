// A leak planted in chat_server on purpose (LD_PRELOAD), to show that the soak catches one:
// with LEAK_SHIM=fd every 50th socket the server closes stays open; with LEAK_SHIM=memory
// every socket close leaks 128 bytes (touched, so it is resident). Only chat_server is touched:
// chat_bench, which loads the shim too (the server inherits its environment), is left alone.
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace {

enum class Leak { Unknown, None, Fd, Memory };

Leak what_to_leak() {
    static std::atomic<Leak> cached{Leak::Unknown};
    Leak leak = cached.load();
    if (leak != Leak::Unknown) return leak;
    leak = Leak::None;
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char* mode = std::getenv("LEAK_SHIM");
    if (n > 0 && mode) {
        exe[n] = '\0';
        const char* base = std::strrchr(exe, '/');
        if (base && std::strcmp(base + 1, "chat_server") == 0)
            leak = std::strcmp(mode, "fd") == 0       ? Leak::Fd
                   : std::strcmp(mode, "memory") == 0 ? Leak::Memory
                                                      : Leak::None;
    }
    cached = leak;
    return leak;
}

bool is_socket(int fd) {
    struct stat st;
    return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

extern "C" int close(int fd) {
    using CloseFn = int (*)(int);
    static const auto real_close = reinterpret_cast<CloseFn>(::dlsym(RTLD_NEXT, "close"));
    static std::atomic<unsigned> sockets_closed{0};
    const Leak leak = what_to_leak();
    if (leak != Leak::None && is_socket(fd)) {
        const unsigned n = sockets_closed.fetch_add(1);
        if (leak == Leak::Fd && n % 50 == 0) return 0;  // "closed", but still open
        if (leak == Leak::Memory) {
            // Chained from a global, so the compiler cannot drop an allocation nobody reads.
            static std::atomic<void*> chain{nullptr};
            void* lost = std::malloc(128);
            std::memset(lost, 0x5a, 128);
            *static_cast<void**>(lost) = chain.exchange(lost);
        }
    }
    return real_close(fd);
}
