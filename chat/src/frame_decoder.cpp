#include "chat/frame_decoder.hpp"

namespace chat {

void FrameDecoder::feed(std::span<const std::byte> bytes) {
    if (broken_) return;
    // Drop what was handed out before growing (amortised: only once it is most of the buffer).
    if (read_at_ > 0 && read_at_ >= buffer_.size() / 2) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_at_));
        read_at_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<DecodedFrame> FrameDecoder::next() {
    if (broken_ || buffered() < kHeaderSize) return std::nullopt;
    DecodedFrame frame;
    frame.header = read_header(buffer_.data() + read_at_);
    if (frame.header.size < kHeaderSize || frame.header.size > max_frame_) {
        broken_ = frame.header;
        buffer_.clear();
        read_at_ = 0;
        return std::nullopt;
    }
    if (buffered() < frame.header.size) return std::nullopt;
    const auto body =
        std::span(buffer_).subspan(read_at_ + kHeaderSize, frame.header.size - kHeaderSize);
    frame.error = decode(frame.header.type, body, frame.message);
    read_at_ += frame.header.size;
    if (read_at_ == buffer_.size()) buffer_.clear(), read_at_ = 0;
    return frame;
}

void FrameDecoder::reset() {
    buffer_.clear();
    buffer_.shrink_to_fit();
    read_at_ = 0;
    broken_.reset();
}

}  // namespace chat
