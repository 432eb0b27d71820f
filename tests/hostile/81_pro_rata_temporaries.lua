-- expect: exceeded its memory budget
-- pro_rata's remainders and their sort are temporaries of the helper: with
-- 3,500,000 weights (28 MB, the result as much) they take another 56 MB,
-- which the 64 MiB budget must count
return {name = "pro_rata_temps", haircut = function(ctx)
  local n = 3500000
  socloss.pro_rata(socloss.column(n, 1), n - 1)  -- n - 1 atoms: every weight has a remainder
  error("pro_rata's temporaries were not counted")
end}
