--[[
  Append one relay event to the all-users stream and the user's stream under the SAME id, so a
  client resumes with one id space whichever stream it reads (users: theirs; admin: all).

  Input:
    KEYS[1] all-users stream   KEYS[2] user stream
    ARGV[1] approx max length of the all stream   ARGV[2] of the user stream
    ARGV[3] user id   ARGV[4] event JSON (without its id)
  Output:
    the stream id
]]
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'u', ARGV[3], 'e', ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], id, 'e', ARGV[4])
return id
