--[[
  Add a job to the normal lane, idempotent on the job id, in O(log n).

  Fair share: the job gets a "round" one past the user's last assigned round, and never before the
  round being dispatched, so dispatch order (round, then turn) is round-robin across users: a
  user's n-th job waits behind every other user's earlier jobs, whether those are queued or already
  running, and a newcomer joins the round being served, ahead of the next rounds.
  Rotation: within a round, users are ordered by the least service so far, so arrival order stops
  deciding every round: a user new to the queue first, then the longest mean wait per job first,
  waits counted in jobs dispatched ahead (estimated at enqueue as the jobs ahead, corrected to the
  jobs actually dispatched meanwhile when claimed, see claimJob). Who went first in one round
  (a short wait) is behind in the next. The count starts again when a user has nothing queued or
  running.
  The position is never stored per job (it is the member's rank, see queuePosition); 'pos' here
  is the position the job is announced with, so announcePositions pushes only later changes.

  Input:
    KEYS[1] job hash                 KEYS[2] normal lane (zset: round → "<turn>:<seq>:<id>")
    KEYS[3] per-user queued counts   KEYS[4] per-user last assigned round
    KEYS[5] last dispatched round    KEYS[6] sequence counter
    KEYS[7] all-jobs index (zset)    KEYS[8] this user's jobs index (zset)
    KEYS[9] priority lane            KEYS[10] per-user running counts
    KEYS[11] per-user wait so far (jobs dispatched ahead, summed)   KEYS[12] per-user jobs counted in it
    KEYS[13] jobs dispatched so far (counter)
    ARGV[1] user id   ARGV[2] prompt hash   ARGV[3] max queued per user (0 = no cap)
    ARGV[4] now (ms)  ARGV[5] ComfyUI queue number ('' = use the sequence)   ARGV[6] job id
    ARGV[7..] field, value pairs for the job hash
  Output:
    {code, ComfyUI queue number, position} where code is
     1  created (number and position are the new job's, so the caller needs no re-read)
     0  already exists with the same prompt and user (idempotent retry)
    -1  exists with a different prompt or user
    -2  the user's queue is full
    (number and position are 0 unless created)
]]
--- @include "laneMember"
--- @include "queuePosition"
local existing = redis.call('HMGET', KEYS[1], 'promptHash', 'userId')
if existing[1] then
  if existing[1] == ARGV[2] and existing[2] == ARGV[1] then return {0, 0, 0} end
  return {-1, 0, 0}
end
local user = ARGV[1]
local queued = tonumber(redis.call('HGET', KEYS[3], user) or '0')
local maxQueued = tonumber(ARGV[3])
if maxQueued > 0 and queued >= maxQueued then return {-2, 0, 0} end

local seq = redis.call('INCR', KEYS[6])
local round = math.max(0, tonumber(redis.call('GET', KEYS[5]) or '0') - 1)
local last = redis.call('HGET', KEYS[4], user)
if last and tonumber(last) + 1 > round then round = tonumber(last) + 1 end

local waited = tonumber(redis.call('HGET', KEYS[11], user) or '0')
local counted = tonumber(redis.call('HGET', KEYS[12], user) or '0')
if queued == 0 and tonumber(redis.call('HGET', KEYS[10], user) or '0') <= 0 then
  waited, counted = 0, 0
end
-- Turn 0 for a user new to the queue; otherwise the longer the mean wait, the lower the turn.
local maxTurn = 999999999999
local turn = 0
if counted > 0 then
  turn = maxTurn - math.min(math.max(0, math.floor(waited * 100 / counted)), maxTurn - 1)
end

local member = normalLaneMember(turn, seq, ARGV[6])
redis.call('ZADD', KEYS[2], round, member)
local position = queuePosition(KEYS[9], KEYS[2], 'normal', ARGV[6], member)
local ahead = position - 1
redis.call('HSET', KEYS[11], user, waited + ahead)
redis.call('HSET', KEYS[12], user, counted + 1)
redis.call('HSET', KEYS[4], user, round)
redis.call('HINCRBY', KEYS[3], user, 1)
local number = ARGV[5]
if number == '' then number = tostring(seq) end
redis.call('HSET', KEYS[1], 'id', ARGV[6], 'userId', user, 'promptHash', ARGV[2], 'createdAt', ARGV[4],
  'seq', seq, 'round', round, 'qm', member, 'pos', position, 'ahead', ahead,
  'dq', redis.call('GET', KEYS[13]) or '0', 'number', number, 'state', 'queued',
  'lane', 'normal', unpack(ARGV, 7))
redis.call('ZADD', KEYS[7], ARGV[4], ARGV[6])
redis.call('ZADD', KEYS[8], ARGV[4], ARGV[6])
return {1, number, position}
