-- Make the caller the home of a client, if the caller is a live member (fencing: an instance
-- declared dead must not take clients back).
-- KEYS[1] members  KEYS[2] homes (hash name key -> instance id)   ARGV[1] id  ARGV[2] name key
-- uses lease.lua
if not lease_live(KEYS[1], ARGV[1], now_ms()) then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
