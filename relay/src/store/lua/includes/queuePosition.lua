--[[
  A queued job's 1-based position in dispatch order (the priority lane, then the normal lane), in
  O(log n): its rank in its lane, after every priority job when it is in the normal lane.
  Arguments: the priority lane key, the normal lane key, the job's lane, id and normal-lane member.
  Returns nil when the job is not in the lane it names.
]]
local function queuePosition(priorityKey, normalKey, lane, id, member)
  if lane == 'priority' then
    local rank = redis.call('ZRANK', priorityKey, id)
    if rank then return rank + 1 end
    return nil
  end
  if not member then return nil end
  local rank = redis.call('ZRANK', normalKey, member)
  if rank then return redis.call('ZCARD', priorityKey) + rank + 1 end
  return nil
end
