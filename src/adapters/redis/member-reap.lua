-- Take over one instance whose lease ran out: only the first caller finds it still listed
-- (ZREM), so exactly one survivor gets its clients. The caller must itself be live.
-- KEYS[1] members  KEYS[2] homes  KEYS[3] the dead instance's hash
-- ARGV[1] caller id  ARGV[2] dead id
-- Returns -1 when the caller is fenced, 0 when the instance is alive or already taken over,
-- else {1, name keys now homed on the caller}.
-- uses lease.lua
local now = now_ms()
if not lease_live(KEYS[1], ARGV[1], now) then
  return -1
end
local ends = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not ends or tonumber(ends) >= now then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[3])
local homes = redis.call('HGETALL', KEYS[2])
local moved = {}
for i = 1, #homes, 2 do
  if homes[i + 1] == ARGV[2] then
    redis.call('HSET', KEYS[2], homes[i], ARGV[1])
    moved[#moved + 1] = homes[i]
  end
end
return {1, moved}
