#include "cluster_scripts.hpp"

namespace chat::cluster {
namespace {

// What every script may use: the keys, and one change of a room in the room's order.
// change(room, kind, token, time, a, b, cap, new_epoch, history) returns nil when it does not
// apply (a leave or a message of someone not in the room, a join of someone already in it),
// otherwise epoch, ord and seq. US (\31) separates fields; names and text never hold it.
const char* const kPrelude = R"LUA(
local US = '\31'
local function rk(room, what) return 'nc:room:{' .. room .. '}:' .. what end
local function nk(node, what) return 'nc:node:{' .. node .. '}:' .. what end
local function change(room, node, kind, token, time, a, b, cap, new_epoch)
  local meta = rk(room, 'meta')
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    if kind ~= 'E' then return nil end
    epoch = new_epoch
    redis.call('DEL', rk(room, 'log'), rk(room, 'members'), rk(room, 'board'))
    redis.call('HSET', meta, 'epoch', epoch, 'ord', 0, 'seq', 0)
  end
  local members = rk(room, 'members')
  local member = redis.call('HEXISTS', members, a) == 1
  if (kind == 'E') == member then return nil end
  local ord = redis.call('HINCRBY', meta, 'ord', 1)
  local seq = 0
  if kind == 'S' then seq = redis.call('HINCRBY', meta, 'seq', 1) end
  if kind == 'E' then
    redis.call('HSET', members, a, ord)
    redis.call('SADD', 'nc:rooms', room)
    redis.call('SADD', nk(node, 'members'), room .. US .. a)
  elseif kind == 'X' then
    redis.call('HDEL', members, a)
    redis.call('HDEL', rk(room, 'board'), a)
    redis.call('SREM', nk(node, 'members'), room .. US .. a)
    if redis.call('HLEN', members) == 0 then redis.call('SREM', 'nc:rooms', room) end
  elseif kind == 'M' then
    local old = redis.call('HGET', rk(room, 'board'), a)
    local first = ord
    if old then first = string.match(old, '^(%d+)') end
    redis.call('HSET', rk(room, 'board'), a, first .. ' ' .. b)
  end
  local event = ord .. US .. seq .. US .. kind .. US .. token .. US .. time .. US .. a .. US .. b
  redis.call('XADD', rk(room, 'log'), 'MAXLEN', '~', cap, ord .. '-0', 'e', event)
  redis.call('PUBLISH', 'nc:room:{' .. room .. '}', epoch .. US .. event)
  return {epoch, ord, seq}
end
-- The room's messages with seq > after, newest first, at most max: read back from the end of
-- the stream a batch at a time.
local function recent(room, after, max)
  local out = {}
  local from = '+'
  while #out < max do
    local batch = redis.call('XREVRANGE', rk(room, 'log'), from, '-', 'COUNT', 200)
    if #batch == 0 then break end
    for _, entry in ipairs(batch) do
      local e = entry[2][2]
      local seq, kind = string.match(e, '^%d+' .. US .. '(%d+)' .. US .. '(%a)')
      if kind == 'S' then
        if tonumber(seq) <= after then return out end
        out[#out + 1] = e
        if #out >= max then return out end
      end
    end
    from = '(' .. batch[#batch][1]
  end
  return out
end
-- Every membership of a node that is gone: its sessions leave their rooms (in order, like any
-- leave), its nicks are freed.
local function reap(dead, time, cap)
  local n = 0
  for _, m in ipairs(redis.call('SMEMBERS', nk(dead, 'members'))) do
    local room, nick = string.match(m, '^(.*)' .. US .. '(.*)$')
    if change(room, dead, 'X', '', time, nick, 'D', cap, '1') then n = n + 1 end
  end
  for _, key in ipairs(redis.call('SMEMBERS', nk(dead, 'nicks'))) do
    local v = redis.call('GET', 'nc:nick:{' .. key .. '}')
    if v and string.sub(v, 1, #dead + 1) == dead .. US then
      redis.call('DEL', 'nc:nick:{' .. key .. '}')
    end
  end
  redis.call('DEL', nk(dead, 'members'), nk(dead, 'nicks'))
  redis.call('HDEL', 'nc:nodes', dead)
  return n
end
)LUA";

// ARGV: room node kind token time a b cap new_epoch snapshot(0/1) resume_epoch after_seq
// max_replay history nick_key. Returns {'ok', epoch, ord, seq, members, board, replay,
// snapshot_seq, history} or {'no', why}.
//
// A join (E) with a nick_key is refused ('nick') unless the nick is this node's (or nobody's:
// Redis lost it and the node claims it again). A joiner that Redis still has as a member is a
// membership left over from an earlier session of the same nick (a disconnect while Redis was
// away, a node taken for dead): it leaves first (an ordinary leave, in order), as only one
// session can hold the nick.
const char* const kChange = R"LUA(
local room, node, kind, nick = ARGV[1], ARGV[2], ARGV[3], ARGV[6]
if kind == 'E' and ARGV[15] ~= '' then
  local holder = redis.call('GET', 'nc:nick:{' .. ARGV[15] .. '}')
  if holder and holder ~= node .. US .. nick then return {'no', 'nick'} end
  if redis.call('HEXISTS', rk(room, 'members'), nick) == 1 then
    for _, other in ipairs(redis.call('HKEYS', 'nc:nodes')) do
      redis.call('SREM', nk(other, 'members'), room .. US .. nick)
    end
    change(room, node, 'X', '', ARGV[5], nick, 'D', ARGV[8], ARGV[9])
  end
end
local done = change(room, node, kind, ARGV[4], ARGV[5], nick, ARGV[7], ARGV[8], ARGV[9])
if not done then return {'no', 'state'} end
local out = {'ok', done[1], tostring(done[2]), tostring(done[3])}
local history = tonumber(ARGV[14])
local latest = tonumber(redis.call('HGET', rk(room, 'meta'), 'seq'))
out[5] = {}
out[6] = {}
out[7] = {}
out[8] = '0'
out[9] = {}
if ARGV[10] == '1' then
  out[5] = redis.call('HGETALL', rk(room, 'members'))
  out[6] = redis.call('HGETALL', rk(room, 'board'))
  out[8] = tostring(latest)
  out[9] = recent(room, latest - history, history)
end
local max = tonumber(ARGV[13])
if kind == 'E' and max > 0 then
  local after = 0
  if ARGV[11] == done[1] then after = tonumber(ARGV[12]) end
  if after < latest - history then after = latest - history end
  out[7] = recent(room, after, max)
end
return out
)LUA";

// ARGV: node sessions now_ms alive_ttl_ms nick_ttl_s time_us cap. Returns {existed, nodes
// (flat: name, "sessions ms"), rooms, reaped}.
const char* const kHeartbeat = R"LUA(
local node = ARGV[1]
local existed = redis.call('EXISTS', nk(node, 'alive'))
redis.call('SET', nk(node, 'alive'), ARGV[3], 'PX', ARGV[4])
redis.call('HSET', 'nc:nodes', node, ARGV[2] .. ' ' .. ARGV[3])
for _, key in ipairs(redis.call('SMEMBERS', nk(node, 'nicks'))) do
  redis.call('EXPIRE', 'nc:nick:{' .. key .. '}', ARGV[5])
end
local reaped = 0
for _, other in ipairs(redis.call('HKEYS', 'nc:nodes')) do
  if redis.call('EXISTS', nk(other, 'alive')) == 0 then reaped = reaped + reap(other, ARGV[6], ARGV[7]) end
end
redis.call('PUBLISH', 'nc:node:{' .. node .. '}', 'P')
return {existed, redis.call('HGETALL', 'nc:nodes'), redis.call('SCARD', 'nc:rooms'), reaped}
)LUA";

// ARGV: node key nick ttl_s. 1 if claimed (or already ours), 0 if someone holds it.
const char* const kClaimNick = R"LUA(
local k = 'nc:nick:{' .. ARGV[2] .. '}'
local mine = ARGV[1] .. US .. ARGV[3]
if redis.call('SET', k, mine, 'NX', 'EX', ARGV[4]) or redis.call('GET', k) == mine then
  redis.call('SADD', nk(ARGV[1], 'nicks'), ARGV[2])
  return 1
end
return 0
)LUA";

// ARGV: node key nick.
const char* const kReleaseNick = R"LUA(
local k = 'nc:nick:{' .. ARGV[2] .. '}'
if redis.call('GET', k) == ARGV[1] .. US .. ARGV[3] then redis.call('DEL', k) end
redis.call('SREM', nk(ARGV[1], 'nicks'), ARGV[2])
return 1
)LUA";

// ARGV: key payload. The holder's "node\x1fnick" after publishing to its node, or nil.
const char* const kToNick = R"LUA(
local v = redis.call('GET', 'nc:nick:{' .. ARGV[1] .. '}')
if not v then return false end
local node = string.match(v, '^(.-)' .. US)
redis.call('PUBLISH', 'nc:node:{' .. node .. '}', ARGV[2])
return v
)LUA";

// Flat: room, members, room, members...
const char* const kListRooms = R"LUA(
local out = {}
for _, room in ipairs(redis.call('SMEMBERS', 'nc:rooms')) do
  out[#out + 1] = room
  out[#out + 1] = redis.call('HLEN', rk(room, 'members'))
end
return out
)LUA";

// ARGV: room. {epoch, ord} or {} when the room has no history in Redis.
const char* const kPosition = R"LUA(
local meta = redis.call('HMGET', rk(ARGV[1], 'meta'), 'epoch', 'ord')
if not meta[1] then return {} end
return {meta[1], meta[2]}
)LUA";

// ARGV: node time_us cap. What a node leaving cleanly still holds, let go as a dead one's is.
const char* const kRetire = R"LUA(
redis.call('DEL', nk(ARGV[1], 'alive'))
return reap(ARGV[1], ARGV[2], ARGV[3])
)LUA";

}  // namespace

const std::string& script_text(Script script) {
    static const std::string texts[] = {
        std::string(kPrelude) + kChange,    std::string(kPrelude) + kHeartbeat,
        std::string(kPrelude) + kClaimNick, std::string(kPrelude) + kReleaseNick,
        std::string(kPrelude) + kToNick,    std::string(kPrelude) + kListRooms,
        std::string(kPrelude) + kPosition,  std::string(kPrelude) + kRetire,
    };
    return texts[static_cast<int>(script)];
}

void Scripts::load(RedisLink& link) {
    for (int i = 0; i < kScriptCount; ++i) {
        sha_[i].clear();
        link.call({"SCRIPT", "LOAD", script_text(static_cast<Script>(i))},
                  [this, i](RedisResult r) {
                      if (r.ok()) sha_[i] = r.value->str();
                  });
    }
}

void Scripts::run(RedisLink& link, Script script, std::vector<std::string> args,
                  ResultHandler done) {
    const int i = static_cast<int>(script);
    std::vector<std::string> call;
    call.reserve(args.size() + 3);
    if (sha_[i].empty()) {
        call = {"EVAL", script_text(script), "0"};
        call.insert(call.end(), args.begin(), args.end());
        return link.call(std::move(call), std::move(done));
    }
    call = {"EVALSHA", sha_[i], "0"};
    call.insert(call.end(), args.begin(), args.end());
    link.call(std::move(call), [this, &link, script, i, args = std::move(args),
                                done = std::move(done)](RedisResult r) mutable {
        if (r.value && r.value->is_error() && r.value->str().rfind("NOSCRIPT", 0) == 0) {
            sha_[i].clear();  // Redis lost it (restarted): EVAL now, SCRIPT LOAD at the next load
            return run(link, script, std::move(args), std::move(done));
        }
        done(std::move(r));
    });
}

}  // namespace chat::cluster
