#include "redis_value.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

namespace chat::cluster {

RedisValue RedisValue::from(const redisReply& reply) {
    RedisValue v;
    switch (reply.type) {
        case REDIS_REPLY_STRING:
            v.kind = Kind::String;
            v.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_STATUS:
            v.kind = Kind::Status;
            v.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ERROR:
            v.kind = Kind::Error;
            v.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_INTEGER:
            v.kind = Kind::Integer;
            v.integer = reply.integer;
            break;
        case REDIS_REPLY_ARRAY:
            v.kind = Kind::Array;
            v.elements.reserve(reply.elements);
            for (std::size_t i = 0; i < reply.elements; ++i)
                v.elements.push_back(from(*reply.element[i]));
            break;
        default:
            v.kind = Kind::Nil;
    }
    return v;
}

long long RedisValue::as_integer() const {
    if (kind == Kind::Integer) return integer;
    long long out = 0;
    std::from_chars(text.data(), text.data() + text.size(), out);
    return out;
}

std::uint64_t RedisValue::as_u64() const {
    if (kind == Kind::Integer) return static_cast<std::uint64_t>(integer);
    std::uint64_t out = 0;
    std::from_chars(text.data(), text.data() + text.size(), out);
    return out;
}

}  // namespace chat::cluster
