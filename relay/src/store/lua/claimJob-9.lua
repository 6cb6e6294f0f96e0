--[[
  Claim the next job for this relay: priority lane first, then the fair normal lane; jobs of a
  user already at the running cap are skipped (not refused), among a bounded number of jobs
  looked at. The backend is the least busy one with a free slot, so per-backend concurrency holds
  across every relay sharing this Redis.

  Input:
    KEYS[1] priority lane (zset: seq → id)   KEYS[2] normal lane (zset: round → "<turn>:<seq>:<id>")
    KEYS[3] per-user queued counts           KEYS[4] per-user running counts
    KEYS[5] last dispatched round            KEYS[6] active leases (zset: deadline → id)
    KEYS[7] per-backend running counts       KEYS[8] per-user wait so far (see addJob)
    KEYS[9] jobs dispatched so far (counter)
    ARGV[1] key prefix   ARGV[2] owner (relay id)   ARGV[3] now (ms)   ARGV[4] lease (ms)
    ARGV[5] max running per user (0 = no cap)   ARGV[6..] backend name, capacity pairs
  Output:
    {job id, backend name, HGETALL of the claimed job}, or nil when no backend has a free slot or
    nothing can run (the record comes back with the claim: the runner needs no second read)
]]
--- @include "laneMember"
local best, bestFree = nil, 0
for i = 6, #ARGV, 2 do
  local free = tonumber(ARGV[i + 1]) - tonumber(redis.call('HGET', KEYS[7], ARGV[i]) or '0')
  if free > bestFree then best, bestFree = ARGV[i], free end
end
if not best then return nil end

local maxRunning = tonumber(ARGV[5])
-- The claim looks at most this many queued jobs (both lanes together), so it never walks the
-- whole queue: skipped jobs belong to users at their running cap, and fair rounds put at most one
-- job per user per round ahead of the others, so an eligible job lies within the first rounds.
-- When every job looked at is skipped, nothing is claimed until a running job ends.
local budget = 1000
local skip = {}
local function pick(lane, jobIdOf)
  local start = 0
  while budget > 0 do
    local members = redis.call('ZRANGE', KEYS[lane], start, start + math.min(budget, 100) - 1)
    if #members == 0 then return nil end
    for _, member in ipairs(members) do
      budget = budget - 1
      local id = jobIdOf(member)
      local user = redis.call('HGET', ARGV[1] .. 'job:' .. id, 'userId')
      if not user then
        redis.call('ZREM', KEYS[lane], member) -- index entry without a job: drop it
        start = start - 1
      elseif not skip[user] then
        if maxRunning <= 0 then return id, member, user end
        local running = tonumber(redis.call('HGET', KEYS[4], user) or '0')
        if running < maxRunning then return id, member, user end
        skip[user] = true
      end
    end
    start = start + #members
  end
  return nil
end

local lane = 1
local id, member, user = pick(1, priorityLaneJobId)
if not id then
  lane = 2
  id, member, user = pick(2, normalLaneJobId)
end
if not id then return nil end

local jobKey = ARGV[1] .. 'job:' .. id
redis.call('ZREM', KEYS[lane], member)
if lane == 2 then
  local round = tonumber(redis.call('HGET', jobKey, 'round') or '0')
  if round > tonumber(redis.call('GET', KEYS[5]) or '0') then redis.call('SET', KEYS[5], round) end
end
-- The user's wait so far: this job's estimate (the jobs ahead when it was queued) becomes the jobs
-- actually dispatched since.
local est = redis.call('HMGET', jobKey, 'ahead', 'dq')
local dispatched = tonumber(redis.call('GET', KEYS[9]) or '0')
if est[1] and est[2] then
  redis.call('HINCRBY', KEYS[8], user, dispatched - tonumber(est[2]) - tonumber(est[1]))
end
redis.call('INCR', KEYS[9])
if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then redis.call('HDEL', KEYS[3], user) end
redis.call('HINCRBY', KEYS[4], user, 1)
redis.call('HINCRBY', KEYS[7], best, 1)
redis.call('HSET', jobKey, 'state', 'submitting', 'owner', ARGV[2], 'backend', best, 'claimedAt', ARGV[3], 'pos', '')
redis.call('ZADD', KEYS[6], tonumber(ARGV[3]) + tonumber(ARGV[4]), id)
return {id, best, redis.call('HGETALL', jobKey)}
