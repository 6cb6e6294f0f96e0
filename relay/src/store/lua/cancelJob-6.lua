--[[
  Cancel a job: a queued one leaves the queue at once; a claimed one is flagged so its owner
  relay interrupts it on the GPU (the owner learns it by pub/sub or at its next lease renewal).
  With ARGV[2], only a job whose state is one of those (comma-separated) is touched, so a queue
  delete never interrupts a job that started meanwhile.

  Input:
    KEYS[1] job hash   KEYS[2] priority lane   KEYS[3] normal lane   KEYS[4] per-user queued counts
    KEYS[5] per-user wait so far   KEYS[6] per-user jobs counted in it (see addJob)
    ARGV[1] now (ms)   ARGV[2] the states to cancel in (optional; empty: any)
  Output: {code, state before}
     1 cancelled (was queued)   2 cancel requested (running)   0 already finished
     3 left alone (its state is not in ARGV[2])   -1 no such job
]]
local cur = redis.call('HMGET', KEYS[1], 'state', 'id', 'qm', 'userId', 'ahead')
local state = cur[1]
if not state then return {-1, ''} end
if state == 'done' or state == 'failed' or state == 'cancelled' then return {0, state} end
if ARGV[2] and ARGV[2] ~= '' then
  local allowed = false
  for s in string.gmatch(ARGV[2], '[^,]+') do
    if s == state then allowed = true end
  end
  if not allowed then return {3, state} end
end
if state == 'queued' then
  redis.call('ZREM', KEYS[2], cur[2])
  if cur[3] then redis.call('ZREM', KEYS[3], cur[3]) end
  if redis.call('HINCRBY', KEYS[4], cur[4], -1) <= 0 then redis.call('HDEL', KEYS[4], cur[4]) end
  if cur[5] then -- it waits no more: its estimated wait leaves its user's count
    redis.call('HINCRBY', KEYS[5], cur[4], 0 - tonumber(cur[5])) -- not -x: -0 is no integer to Redis
    redis.call('HINCRBY', KEYS[6], cur[4], -1)
  end
  redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finishedAt', ARGV[1], 'pos', '')
  return {1, state}
end
redis.call('HSET', KEYS[1], 'cancelRequested', ARGV[1])
return {2, state}
