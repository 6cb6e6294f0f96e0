--[[
  Add a job that is finished from the start (done from ComfyUI's cache, or failed as ComfyUI would
  fail it before any GPU work): indexed like any job, never queued, never claimed, no slot counted.
  Idempotent on the job id, as addJob.

  Input:
    KEYS[1] job hash   KEYS[2] all-jobs index (zset)   KEYS[3] this user's jobs index (zset)
    KEYS[4] sequence counter
    ARGV[1] user id   ARGV[2] prompt hash   ARGV[3] now (ms)   ARGV[4] ComfyUI queue number ('' = use the sequence)
    ARGV[5] job id    ARGV[6] final state (done | failed)
    ARGV[7..] field, value pairs for the job hash
  Output:
     1  created
     0  already exists with the same prompt and user (idempotent retry)
    -1  exists with a different prompt or user
]]
local existing = redis.call('HMGET', KEYS[1], 'promptHash', 'userId')
if existing[1] then
  if existing[1] == ARGV[2] and existing[2] == ARGV[1] then return 0 end
  return -1
end
local number = ARGV[4]
if number == '' then number = tostring(redis.call('INCR', KEYS[4])) end
redis.call('HSET', KEYS[1], 'id', ARGV[5], 'userId', ARGV[1], 'promptHash', ARGV[2], 'createdAt', ARGV[3],
  'startedAt', ARGV[3], 'finishedAt', ARGV[3], 'number', number, 'state', ARGV[6], 'lane', 'normal', unpack(ARGV, 7))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
return 1
