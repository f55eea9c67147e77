-- A member has the message; once nobody is owed it, the message is forgotten.
-- KEYS[1] order   KEYS[2] entry   KEYS[3] to   KEYS[4] owed   (as in channel-record.lua)
-- ARGV[1] id   ARGV[2] member name key
-- Returns 1 if the member was owed it, else 0 (an unknown id or member changes nothing).
if redis.call('SREM', KEYS[4], ARGV[2]) == 0 then
  return 0
end
if redis.call('SCARD', KEYS[4]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
