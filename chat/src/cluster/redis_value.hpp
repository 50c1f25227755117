// A Redis reply as a value the link's callbacks may keep: hiredis frees its redisReply as soon
// as the callback returns. A failed call (timeout, connection lost, an error reply) is a
// RedisResult without a value, with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct redisReply;

namespace chat::cluster {

struct RedisValue {
    enum class Kind { Nil, String, Integer, Array, Status, Error };
    Kind kind = Kind::Nil;
    std::string text;  // String, Status, Error
    long long integer = 0;
    std::vector<RedisValue> elements;

    static RedisValue from(const redisReply& reply);
    bool is_nil() const { return kind == Kind::Nil; }
    bool is_error() const { return kind == Kind::Error; }
    // The integer of an Integer, or the number a String holds (0 when it holds none).
    long long as_integer() const;
    std::uint64_t as_u64() const;
    const std::string& str() const { return text; }
    std::size_t size() const { return elements.size(); }
    const RedisValue& operator[](std::size_t i) const { return elements.at(i); }
};

struct RedisResult {
    std::optional<RedisValue> value;  // empty: the call failed, `failure` says why
    std::string failure;

    bool ok() const { return value.has_value() && !value->is_error(); }
    // Why it did not succeed: the failure, or the error reply's text.
    std::string why() const { return value ? value->text : failure; }
};

}  // namespace chat::cluster
