-- Append one message to a recipient's mailbox, unless it is already there or the quota is full.
-- KEYS[1] stream (the mailbox: one entry per stored message, in the order stored)
-- KEYS[2] ids (hash: message id -> stream entry id, for dedup and removal by message id)
-- KEYS[3] meta (hash: seq = last place in line given, bytes = text bytes stored, refused = count, rseq)
-- KEYS[4] refused ids (sorted set: message id -> rseq, the latest refused ids, so a retry counts once)
-- ARGV[1] message id   ARGV[2] sender   ARGV[3] kind   ARGV[4] storedAtMs   ARGV[5] text
-- ARGV[6] text bytes   ARGV[7] max messages   ARGV[8] max bytes   ARGV[9] refused ids remembered
-- Returns 'stored', 'duplicate' or 'full'. Dedup, quota and the write are one atomic step, so two
-- servers (or a retry racing its original) can never store one id twice or overfill a mailbox.
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return 'duplicate'
end
local add = tonumber(ARGV[6])
local count = redis.call('HLEN', KEYS[2])
local bytes = tonumber(redis.call('HGET', KEYS[3], 'bytes') or '0')
if count + 1 > tonumber(ARGV[7]) or bytes + add > tonumber(ARGV[8]) then
  if redis.call('ZSCORE', KEYS[4], ARGV[1]) then
    return 'full'
  end
  redis.call('HINCRBY', KEYS[3], 'refused', 1)
  redis.call('ZADD', KEYS[4], redis.call('HINCRBY', KEYS[3], 'rseq', 1), ARGV[1])
  if redis.call('ZCARD', KEYS[4]) > tonumber(ARGV[9]) then
    redis.call('ZREMRANGEBYRANK', KEYS[4], 0, 0)
  end
  return 'full'
end
-- The place in line comes from a counter kept beside the stream (it survives the stream being
-- deleted when emptied), never from a server's clock. The entry id ('*') is Redis's own clock.
local seq = redis.call('HINCRBY', KEYS[3], 'seq', 1)
local entry = redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'sender', ARGV[2], 'kind', ARGV[3], 'at', ARGV[4], 'text', ARGV[5], 'seq', seq, 'bytes', add)
redis.call('HSET', KEYS[2], ARGV[1], entry)
redis.call('HINCRBY', KEYS[3], 'bytes', add)
return 'stored'
