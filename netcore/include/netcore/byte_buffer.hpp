// A growable byte buffer with a read offset (muduo's Buffer, minus the prepend area).
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

namespace netcore {

class ByteBuffer {
  public:
    std::size_t size() const { return data_.size() - read_; }
    bool empty() const { return size() == 0; }
    std::size_t capacity() const { return data_.capacity(); }

    const std::byte* data() const { return data_.data() + read_; }
    std::span<const std::byte> readable() const { return {data(), size()}; }

    void append(std::span<const std::byte> bytes) {
        if (bytes.empty()) return;
        compact_if_worth_it(bytes.size());
        data_.insert(data_.end(), bytes.begin(), bytes.end());
    }

    void consume(std::size_t n) {
        read_ += n;
        if (read_ >= data_.size()) clear();
    }

    void clear() {
        data_.clear();
        read_ = 0;
    }

    // Drops the storage of an empty buffer so idle sessions cost little memory.
    void release_if_empty() {
        if (empty()) std::vector<std::byte>().swap(data_), read_ = 0;
    }

    void swap(ByteBuffer& other) noexcept {
        data_.swap(other.data_);
        std::swap(read_, other.read_);
    }

  private:
    void compact_if_worth_it(std::size_t incoming) {
        // Slide unread bytes to the front when the consumed prefix is the bigger part.
        if (read_ > 0 && read_ >= size() && data_.size() + incoming > data_.capacity()) {
            std::memmove(data_.data(), data_.data() + read_, size());
            data_.resize(size());
            read_ = 0;
        }
    }

    std::vector<std::byte> data_;
    std::size_t read_ = 0;
};

}  // namespace netcore
