// The frame decoder fed the same stream whole, byte by byte, in 4-byte chunks and split at
// points drawn from the input (the split modes of hiredis' OSS-Fuzz reader fuzzer): every split
// must yield the same frames, the same errors and the same broken point. A frame that decodes
// must encode back to exactly its bytes.
#include <optional>
#include <vector>

#include "chat/frame_decoder.hpp"
#include "fuzz_target.hpp"

namespace {

using namespace chat;

struct Outcome {
    struct Frame {
        std::uint16_t size, type;
        ErrorCode error;
        AnyMessage message;
        bool operator==(const Frame& o) const {
            return size == o.size && type == o.type && error == o.error &&
                   (error != ErrorCode::None || message == o.message);
        }
    };
    std::vector<Frame> frames;
    std::optional<FrameHeader> broken;
    std::size_t buffered = 0;
    bool operator==(const Outcome& o) const {
        return frames == o.frames && broken.has_value() == o.broken.has_value() &&
               (!broken || (broken->size == o.broken->size && broken->type == o.broken->type)) &&
               buffered == o.buffered;
    }
};

// Feeds `stream` in chunks whose sizes `next_chunk` picks, draining frames after each chunk.
template <class NextChunk>
Outcome run(std::span<const std::byte> stream, std::size_t max_frame, NextChunk next_chunk) {
    FrameDecoder decoder(max_frame);
    Outcome out;
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min(std::max<std::size_t>(next_chunk(), 1), stream.size() - at);
        decoder.feed(stream.subspan(at, n));
        at += n;
        while (auto f = decoder.next())
            out.frames.push_back({f->header.size, f->header.type, f->error, std::move(f->message)});
    }
    out.broken = decoder.broken();
    out.buffered = decoder.buffered();
    return out;
}

void check_splits(std::span<const std::byte> stream, std::size_t max_frame) {
    const Outcome whole = run(stream, max_frame, [&] { return stream.size(); });
    FUZZ_CHECK(run(stream, max_frame, [] { return 1; }) == whole);
    FUZZ_CHECK(run(stream, max_frame, [] { return 4; }) == whole);
    // Split points drawn from the input itself (FNV-1a of it seeds a xorshift), so a crash
    // replays exactly.
    std::uint64_t state = 14695981039346656037ull;
    for (std::byte b : stream)
        state = (state ^ std::to_integer<std::uint64_t>(b)) * 1099511628211ull;
    for (int round = 0; round < 3; ++round) {
        const Outcome split = run(stream, max_frame, [&] {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            return static_cast<std::size_t>(state % 97);  // 0 is taken as 1
        });
        FUZZ_CHECK(split == whole);
    }

    // Frames follow each other from the start: each one that decodes re-encodes to its bytes.
    std::size_t at = 0;
    for (const auto& f : whole.frames) {
        FUZZ_CHECK(f.size >= kHeaderSize && f.size <= max_frame);
        if (f.error == ErrorCode::None) {
            FUZZ_CHECK(static_cast<std::uint16_t>(type_of(f.message)) == f.type);
            const Bytes again = encode(f.message);
            FUZZ_CHECK(again.size() == f.size);
            FUZZ_CHECK(std::equal(again.begin(), again.end(), stream.begin() + at));
        }
        at += f.size;
    }
    FUZZ_CHECK(at <= stream.size());
    if (!whole.broken) FUZZ_CHECK(at + whole.buffered == stream.size());
}

}  // namespace

NETCHAT_FUZZ_TARGET(frame_decoder) {
    const std::span stream(reinterpret_cast<const std::byte*>(data), size);
    check_splits(stream, kMaxFrame);
    check_splits(stream, 64);  // a server's --max-frame below the protocol's limit
}
