-- Take `count` off a recipient's refused count (never below 0), leaving any refused since it was read.
-- KEYS[1] meta (as in mailbox-append.lua)   ARGV[1] count
-- Returns the count left.
local refused = tonumber(redis.call('HGET', KEYS[1], 'refused') or '0')
local left = refused - math.max(0, tonumber(ARGV[1]))
if left <= 0 then
  redis.call('HDEL', KEYS[1], 'refused')
  return 0
end
redis.call('HSET', KEYS[1], 'refused', left)
return left
