-- ARGV: prefix, then id, host, payload for each link.
for i = 2, #ARGV, 3 do
  local id, h = ARGV[i], ARGV[i + 1]
  redis.call('HSET', links, id, ARGV[i + 2])
  redis.call('HSET', host_of, id, h)
  redis.call('LPUSH', pending(h), id)
  if not redis.call('HGET', held, h) then make_ready(h, false) end
end
return (#ARGV - 1) / 3
