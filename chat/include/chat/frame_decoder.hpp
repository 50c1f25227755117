// A protocol peer's reading side: splits a byte stream into frames and decodes each one. The
// frames and errors that come out do not depend on how the stream was chunked.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "chat/codec.hpp"

namespace chat {

struct DecodedFrame {
    FrameHeader header;
    ErrorCode error = ErrorCode::None;  // the body's decode error; the frame is still whole
    AnyMessage message;                 // valid when error is None
};

class FrameDecoder {
  public:
    explicit FrameDecoder(std::size_t max_frame = kMaxFrame) : max_frame_(max_frame) {}

    // Appends received bytes (ignored once the stream is broken).
    void feed(std::span<const std::byte> bytes);
    // The next whole frame, or nullopt when more bytes are needed or the stream is broken.
    std::optional<DecodedFrame> next();
    // The header whose size was outside 4..max_frame: the stream is out of step from there on
    // and nothing after it is decoded. Empty while the stream is sound.
    const std::optional<FrameHeader>& broken() const { return broken_; }
    // Bytes received and not yet part of a frame handed out.
    std::size_t buffered() const { return buffer_.size() - read_at_; }
    // Forgets everything: a new stream (a reconnect).
    void reset();

  private:
    std::size_t max_frame_;
    Bytes buffer_;
    std::size_t read_at_ = 0;
    std::optional<FrameHeader> broken_;
};

}  // namespace chat
