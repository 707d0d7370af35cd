-- ARGV: prefix, n, lease_ms, job id, max deliveries.  Returns {'job-changed'} or payloads:
-- whole hosts, until at least n links or no host is ready.
local now = now_ms()
reclaim(now)
if redis.call('HGET', job, 'id') ~= ARGV[4] then return {'job-changed'} end
local n, max_deliveries = tonumber(ARGV[2]), tonumber(ARGV[5])
local lease_until = now + tonumber(ARGV[3])
local out = {}
while #out < n do
  local h = redis.call('RPOP', ready)
  if not h then break end
  redis.call('SREM', ready_set, h)
  if not redis.call('HGET', held, h) then  -- free (a ready host always is)
    local ids = redis.call('LRANGE', pending(h), 0, -1)
    redis.call('DEL', pending(h))
    local count = 0
    for i = #ids, 1, -1 do  -- oldest first
      local id = ids[i]
      local payload = redis.call('HGET', links, id)
      if payload then  -- (an id acknowledged while pending has none)
        if redis.call('HINCRBY', deliveries, id, 1) > max_deliveries then
          redis.call('HDEL', links, id)
          redis.call('HDEL', deliveries, id)
          redis.call('HDEL', host_of, id)
          redis.call('SADD', given_up, id)
        else
          redis.call('ZADD', leased, lease_until, id)
          table.insert(out, payload)
          count = count + 1
        end
      end
    end
    if count > 0 then redis.call('HSET', held, h, count) end
  end
end
return out
