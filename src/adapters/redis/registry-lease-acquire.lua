-- Take the registry's writer lease if nobody holds it, and record this store as its last taker.
-- KEYS[1] lease   KEYS[2] last taker   ARGV[1] token   ARGV[2] lease length (ms)
-- Returns {1} when taken, {0, ms left on the holder's lease} when someone else holds it.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[1])
  return {1}
end
return {0, redis.call('PTTL', KEYS[1])}
