--[[
  Cancel a job: a queued one leaves the queue at once; a claimed one is flagged so its owner
  relay interrupts it on the GPU (the owner learns it by pub/sub or at its next lease renewal).

  Input:
    KEYS[1] job hash   KEYS[2] priority lane   KEYS[3] normal lane   KEYS[4] per-user queued counts
    ARGV[1] now (ms)
  Output:
     1 cancelled (was queued)   2 cancel requested (running)   0 already finished   -1 no such job
]]
local cur = redis.call('HMGET', KEYS[1], 'state', 'id', 'qm', 'userId')
if not cur[1] then return -1 end
if cur[1] == 'done' or cur[1] == 'failed' or cur[1] == 'cancelled' then return 0 end
if cur[1] == 'queued' then
  redis.call('ZREM', KEYS[2], cur[2])
  if cur[3] then redis.call('ZREM', KEYS[3], cur[3]) end
  if redis.call('HINCRBY', KEYS[4], cur[4], -1) <= 0 then redis.call('HDEL', KEYS[4], cur[4]) end
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finishedAt', ARGV[1], 'pos', '')
  return 1
end
redis.call('HSET', KEYS[1], 'cancelRequested', ARGV[1])
return 2
