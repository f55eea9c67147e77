-- Extend the lease if this store still holds it.
-- KEYS[1] lease   ARGV[1] token   ARGV[2] lease length (ms)
-- Returns 1 when extended, 0 when the lease is gone or someone else's (this store is fenced).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
