--[[
  The lanes' member encoding, in one place. The priority lane's members are bare job ids (scored
  by a sequence number). The normal lane's are "<turn, 12 digits>:<seq, 12 digits>:<job id>",
  scored by fair-share round: within a round, members sort by turn (lower first: the user who has
  waited longest so far, see addJob), then by submission order. So a job's position is its rank,
  ZRANK, in O(log n): no per-job position needs rewriting when the queue changes.
]]
local function normalLaneMember(turn, seq, id)
  return string.format('%012d', turn) .. ':' .. string.format('%012d', seq) .. ':' .. id
end

-- The job id of a normal lane member (the two 12-digit fields and their colons dropped).
local function normalLaneJobId(member)
  return string.sub(member, 27)
end

-- The job id of a priority lane member.
local function priorityLaneJobId(member)
  return member
end
