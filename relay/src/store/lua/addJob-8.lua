--[[
  Add a job to the normal lane, idempotent on the job id.

  Fair share: the job gets a "round" = the user's ordinal among their queued jobs, counted from
  the round at the head of the queue, so dispatch order (round, then enqueue sequence) is
  round-robin across users: a user's n-th queued job waits behind every other user's earlier jobs.
  The round is fixed at enqueue, so a queued job's position only ever moves forward.

  Input:
    KEYS[1] job hash                 KEYS[2] normal lane (zset: round → "<seq>:<id>")
    KEYS[3] per-user queued counts   KEYS[4] per-user last assigned round
    KEYS[5] last dispatched round    KEYS[6] sequence counter
    KEYS[7] all-jobs index (zset)    KEYS[8] this user's jobs index (zset)
    ARGV[1] user id   ARGV[2] prompt hash   ARGV[3] max queued per user (0 = no cap)
    ARGV[4] now (ms)  ARGV[5] ComfyUI queue number ('' = use the sequence)   ARGV[6] job id
    ARGV[7..] field, value pairs for the job hash
  Output:
     1  created
     0  already exists with the same prompt and user (idempotent retry)
    -1  exists with a different prompt or user
    -2  the user's queue is full
]]
--- @include "laneMember"
local existing = redis.call('HMGET', KEYS[1], 'promptHash', 'userId')
if existing[1] then
  if existing[1] == ARGV[2] and existing[2] == ARGV[1] then return 0 end
  return -1
end
local queued = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
local maxQueued = tonumber(ARGV[3])
if maxQueued > 0 and queued >= maxQueued then return -2 end

local seq = redis.call('INCR', KEYS[6])
local round
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if head[2] then round = tonumber(head[2]) else round = tonumber(redis.call('GET', KEYS[5]) or '0') end
if queued > 0 then
  local last = tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0')
  if last + 1 > round then round = last + 1 end
end

local member = normalLaneMember(seq, ARGV[6])
redis.call('ZADD', KEYS[2], round, member)
redis.call('HSET', KEYS[4], ARGV[1], round)
redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
local number = ARGV[5]
if number == '' then number = tostring(seq) end
redis.call('HSET', KEYS[1], 'id', ARGV[6], 'userId', ARGV[1], 'promptHash', ARGV[2], 'createdAt', ARGV[4],
  'seq', seq, 'round', round, 'qm', member, 'number', number, 'state', 'queued', 'lane', 'normal', unpack(ARGV, 7))
redis.call('ZADD', KEYS[7], ARGV[4], ARGV[6])
redis.call('ZADD', KEYS[8], ARGV[4], ARGV[6])
return 1
