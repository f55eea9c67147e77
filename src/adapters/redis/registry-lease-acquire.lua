-- Take the registry's writer lease if nobody holds it.
-- KEYS[1] lease   ARGV[1] token   ARGV[2] lease length (ms)
-- Returns {1} when taken, {0, ms left on the holder's lease} when someone else holds it.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1}
end
return {0, redis.call('PTTL', KEYS[1])}
