--[[
  Claim the queue-position changes worth telling a user about, so exactly one relay announces
  each. Positions themselves are never stored (readers compute them, see readJob); 'pos' is the
  position each job was last announced with. A move is worth announcing when it changes the
  position by at least 1/ARGV[2] of the announced one, or when either is within the first ARGV[3]
  places: near the head every step is told, far back only visible jumps, so a job waiting behind
  n others is announced O(log n) times, not n (the ETA in each snapshot counts down between). The caller runs this at most a few times a second (coalesced), never per
  submit: it walks the queue, O(queue).

  Input:
    KEYS[1] priority lane   KEYS[2] normal lane
    ARGV[1] key prefix      ARGV[2] the share of the announced position a move must reach (2: half)
    ARGV[3] positions up to this one are announced at every change
  Output:
    {queue length, id, position, id, position, ...} for the jobs whose change is to be announced
]]
--- @include "laneMember"
local out = {0}
local pos = 0
local share = math.max(1, tonumber(ARGV[2]))
local exactUpTo = tonumber(ARGV[3])
local function walk(key, jobIdOf)
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    pos = pos + 1
    local id = jobIdOf(member)
    local jobKey = ARGV[1] .. 'job:' .. id
    local announced = tonumber(redis.call('HGET', jobKey, 'pos') or '')
    local worth = not announced or (announced ~= pos and (pos <= exactUpTo or announced <= exactUpTo
      or math.abs(announced - pos) >= math.ceil(announced / share)))
    if worth then
      redis.call('HSET', jobKey, 'pos', pos)
      out[#out + 1] = id
      out[#out + 1] = pos
    end
  end
end
walk(KEYS[1], priorityLaneJobId)
walk(KEYS[2], normalLaneJobId)
out[1] = pos
return out
