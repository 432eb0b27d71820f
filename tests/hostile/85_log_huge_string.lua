-- decides: haircut p 1
-- log: yyyyyyyyyy
-- log: [log truncated: this call's 4096 bytes are spent]
-- A string of 1 MiB and a column of 2^20 integers, logged 500 times: each
-- is read only as far as the budget shows it, so the call costs what the
-- loop costs, not 500 MiB of formatting.
return {name = "log_huge", haircut = function(ctx)
  local s, c = ("y"):rep(1 << 20), socloss.column(1 << 20, 7)
  for i = 1, 500 do socloss.log(s, c, s) end
  return {{account = "p", amount = 1}}
end}
