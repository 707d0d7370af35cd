-- ARGV: prefix, lease_ms, ids...  Extends leases still held (XX: never re-adds), and with
-- them the ownership of their hosts.
local now = now_ms()
local n = 0
for i = 3, #ARGV do
  n = n + redis.call('ZADD', leased, 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[i])
end
return n
