-- Gives each wrk thread a distinct number (global thread_id), so scenarios that create ids never collide.
local threads = {}
thread_id = 0
setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
init = function()
  thread_id = tid
end
