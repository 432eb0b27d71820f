-- expect: exceeded its instruction budget in haircut: instruction budget exceeded
-- log: spin 1
-- log: [log truncated: this call's 4096 bytes are spent]
-- Logging without end: the entries past the budget cost nothing to drop,
-- so the loop runs into the instruction budget like any other; the
-- failure keeps what was logged before it.
return {name = "log_spin", haircut = function(ctx)
  local i = 0
  while true do i = i + 1 socloss.log("spin", i) end
end}
