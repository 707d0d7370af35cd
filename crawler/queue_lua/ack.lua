-- ARGV: prefix, ids.  Done: the result is in the catalog. A host whose last leased link
-- this was is no longer owned; ready again if links of it came back meanwhile.
for i = 2, #ARGV do
  local id = ARGV[i]
  local h, free = unlease(id)
  if free and redis.call('LLEN', pending(h)) > 0 then make_ready(h, false) end
  redis.call('HDEL', links, id)
  redis.call('HDEL', deliveries, id)
  redis.call('HDEL', host_of, id)
end
return #ARGV - 1
