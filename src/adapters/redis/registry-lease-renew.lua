-- Extend the lease if this store still holds it, or take it back if it lapsed (Redis was
-- unreachable longer than the lease) and nobody took it since: no other store can have
-- written in between, so this store's view of the registry is still the truth.
-- KEYS[1] lease   KEYS[2] last taker   ARGV[1] token   ARGV[2] lease length (ms)
-- Returns 1 when extended; 0 when another store took the lease; -1 when no store ever took
-- it as far as Redis knows (it lost its data): either way this store is fenced for good.
local holder = redis.call('GET', KEYS[1])
local taker = redis.call('GET', KEYS[2])
if holder == ARGV[1] or (not holder and taker == ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if not taker then
  return -1
end
return 0
