-- A clean stop: end the caller's lease now, so a survivor takes its clients over at once.
-- KEYS[1] members   ARGV[1] id
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', 0, ARGV[1])
end
return 1
