package redisstore

import "github.com/redis/go-redis/v9"

// The scripts run on the server so that each rule holds however machines interleave. Every key a
// script touches carries the pool's hash tag, so a pool's keys share one slot (a cluster runs them
// too). Members of a marks set are "<ends ms> <mark JSON>" scored by the observation (ms); a clear is
// "<observed ms> <host>".

// writeScript applies a batch of marks and clears.
// KEYS[1]: the pool's index (record key → when its last shared key expires); then per write
// KEYS[2i+2], KEYS[2i+3]: the record's marks set and its clear.
// ARGV[1]: now (ms); per write five ARGV: kind ('m' or 'c'), record key, observed (ms), ends (ms),
// and the member (a mark) or the host (a clear).
var writeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local function clearedAt(k)
  local c = redis.call('GET', k)
  if not c then return nil end
  return tonumber(string.match(c, '^%d+'))
end
-- PEXPIRETIME is Redis 7's; before it, the remaining life from now gives the same instant.
local function expiresAt(k)
  local at = redis.pcall('PEXPIRETIME', k)
  if type(at) == 'table' then
    local ttl = redis.call('PTTL', k)
    if ttl < 0 then return ttl end
    return now + ttl
  end
  return at
end
local function index(name, at)
  local cur = redis.call('ZSCORE', KEYS[1], name)
  if (not cur) or tonumber(cur) < at then redis.call('ZADD', KEYS[1], at, name) end
end
local n = 0
for i = 0, (#KEYS - 1) / 2 - 1 do
  local mk, ck = KEYS[2 + 2*i], KEYS[3 + 2*i]
  local a = 2 + 5*i
  local kind, name, obs, ends, val = ARGV[a], ARGV[a+1], tonumber(ARGV[a+2]), tonumber(ARGV[a+3]), ARGV[a+4]
  if kind == 'm' then
    local c = clearedAt(ck)
    -- A clear observed at or after the mark has already lifted it; a mark that has ended is no news.
    if ends > now and not (c and c >= obs) then
      for _, m in ipairs(redis.call('ZRANGE', mk, 0, -1)) do
        if tonumber(string.match(m, '^%d+')) <= now then redis.call('ZREM', mk, m) end
      end
      redis.call('ZADD', mk, obs, val)
      -- The key lives until its longest mark ends, the same instant on every machine: never shorter.
      local at = expiresAt(mk)
      if at < ends then redis.call('PEXPIREAT', mk, ends); at = ends end
      index(name, at)
      n = n + 1
    end
  else
    redis.call('ZREMRANGEBYSCORE', mk, '-inf', obs)
    local c = clearedAt(ck)
    if (not c) or c < obs then
      redis.call('SET', ck, ARGV[a+2] .. ' ' .. val, 'PXAT', ends)
      index(name, ends)
      n = n + 1
    end
  end
end
return n
`)

// readScript returns every record key of the pool with its clear, the keys' remaining lives and its
// marks: one round trip for the whole pool.
// KEYS[1]: the pool's index. ARGV[1]: the pool's key prefix, ARGV[2]: now (ms).
var readScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local out = {}
for _, name in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local mk, ck = ARGV[1] .. 'm:' .. name, ARGV[1] .. 'c:' .. name
  out[#out+1] = {name, redis.call('GET', ck) or '', redis.call('PTTL', mk), redis.call('PTTL', ck), redis.call('ZRANGE', mk, 0, -1)}
end
return out
`)

// acquireScript takes an account's refresh lease: a new fence from the counter, and the lease
// (SET NX PX) holding it. KEYS[1]: the lease, KEYS[2]: the fence counter, KEYS[3]: the generation.
// ARGV[1]: the lease's life (ms), ARGV[2]: the host. Returns {fence, 0, generation} when taken,
// {0, remaining ms, generation} when another holds it.
var acquireScript = redis.NewScript(`
local g = tonumber(redis.call('GET', KEYS[3]) or '0')
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, redis.call('PTTL', KEYS[1]), g} end
local f = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], f .. ' ' .. ARGV[2], 'NX', 'PX', ARGV[1])
return {f, 0, g}
`)

// checkScript reports the remaining life (ms) of the lease when it still holds fence ARGV[1], else 0.
// KEYS[1]: the lease.
var checkScript = redis.NewScript(`
local l = redis.call('GET', KEYS[1])
if (not l) or tonumber(string.match(l, '^%d+')) ~= tonumber(ARGV[1]) then return 0 end
return redis.call('PTTL', KEYS[1])
`)

// commitScript stores a new generation of an account's credential: only while the lease still holds
// fence ARGV[1] (0: no lease, a write-back) and the generation is still ARGV[2], the one the writer
// read. KEYS[1]: the lease, KEYS[2]: the generation, KEYS[3]: the sealed credential. ARGV[3]: the
// sealed credential, ARGV[4]: the writer's own generation. The new generation is above the stored
// one, the writer's and the server's clock in ms: a pool that lost its data (a flushed or replaced
// server) starts again above every generation a machine holds, so none keeps a used refresh token.
// Returns {new generation} or {-1, current generation} for a lost lease, {-2, current} for a moved one.
var commitScript = redis.NewScript(`
local g = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[1] ~= '0' then
  local l = redis.call('GET', KEYS[1])
  if (not l) or tonumber(string.match(l, '^%d+')) ~= tonumber(ARGV[1]) then return {-1, g} end
end
if g ~= tonumber(ARGV[2]) then return {-2, g} end
local t = redis.call('TIME')
local n = math.max(g + 1, tonumber(ARGV[4]) + 1, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('SET', KEYS[3], ARGV[3])
redis.call('SET', KEYS[2], string.format('%.0f', n))
return {n}
`)

// releaseScript drops the lease when it still holds fence ARGV[1]. KEYS[1]: the lease.
var releaseScript = redis.NewScript(`
local l = redis.call('GET', KEYS[1])
if l and tonumber(string.match(l, '^%d+')) == tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
`)
