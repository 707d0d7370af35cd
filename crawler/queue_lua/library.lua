-- Shared by every script of the queue (crawler/queue.py prepends it to each one).
-- KEYS: the queue's keys in the order of crawler.queue.Keys.all(); ARGV[1]: the prefix of
-- the per-host pending lists; each script's own arguments follow.
local job, links, host_of, ready, ready_set, held, leased, deliveries, given_up = unpack(KEYS)

local function pending(h) return ARGV[1] .. h end

-- Milliseconds on the Redis server's clock: the one clock of every lease.
local function now_ms()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end

-- Offer host h to the takers (once); at the front when its links came back.
local function make_ready(h, front)
  if redis.call('SADD', ready_set, h) == 1 then
    if front then redis.call('RPUSH', ready, h) else redis.call('LPUSH', ready, h) end
  end
end

-- Take id out of leased. Returns its host (nil when it was not leased) and whether that
-- was the host's last leased link (its ownership ends).
local function unlease(id)
  if redis.call('ZREM', leased, id) == 0 then return nil, false end
  local h = redis.call('HGET', host_of, id)
  if redis.call('HINCRBY', held, h, -1) > 0 then return h, false end
  redis.call('HDEL', held, h)
  return h, true
end

-- Expired leases back to the front of their host's pending list (the worker holding them
-- is gone); a host with none leased left goes back to the front of ready.
local function reclaim(now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', leased, '-inf', now)) do
    local h, free = unlease(id)
    redis.call('RPUSH', pending(h), id)
    if free then make_ready(h, true) end
  end
end
