-- Hold a name for the owner registering it, until its registration is confirmed (the claim
-- then makes the owner permanent) or the hold runs out: two instances registering one free
-- name for two owners at the same instant get one winner, before either sends a welcome.
-- KEYS[1] owners (hash)  KEYS[2] this name's hold (string with an expiry)
-- ARGV[1] name key  ARGV[2] owner  ARGV[3] hold time (ms)
-- Returns 1 when the owner has or now holds the name, 0 when another owner does.
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  if current == ARGV[2] then return 1 end
  return 0
end
local held = redis.call('GET', KEYS[2])
if held and held ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
