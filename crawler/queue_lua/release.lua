-- ARGV: prefix, ids.  Give back links taken but not checked (shutdown); their hosts are
-- ready again once none of their links is leased.
local n = 0
for i = 2, #ARGV do
  local h, free = unlease(ARGV[i])
  if h then
    redis.call('RPUSH', pending(h), ARGV[i])
    if free then make_ready(h, true) end
    n = n + 1
  end
end
return n
