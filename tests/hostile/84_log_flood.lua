-- decides: haircut p 1
-- log: xxxxxxxxxx
-- log: [log truncated: this call's 4096 bytes are spent]
-- 100,000 entries of a kilobyte: the call keeps 4 KiB and marks the cut;
-- the rest is dropped as it comes (nothing grows, nothing fails) and the
-- decision is the policy's own.
return {name = "log_flood", haircut = function(ctx)
  local s = ("x"):rep(1000)
  for i = 1, 100000 do socloss.log(i, s) end
  return {{account = "p", amount = 1}}
end}
