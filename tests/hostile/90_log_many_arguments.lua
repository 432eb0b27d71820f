-- decides: haircut p 1
-- log: 1 2 3 4 5 6 7 8 9 10
-- log: [log truncated: this call's 4096 bytes are spent]
-- 100,000 arguments in one call: formatted up to the budget, then left.
return {name = "log_args", haircut = function(ctx)
  local t = {}
  for i = 1, 100000 do t[i] = i end
  socloss.log(table.unpack(t))
  return {{account = "p", amount = 1}}
end}
