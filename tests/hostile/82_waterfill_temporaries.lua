-- expect: exceeded its memory budget
-- waterfill's work arrays are temporaries of the helper: its three columns
-- of 2,500,000 take 60 MB of the 64 MiB budget, its work arrays 10 MB and more
return {name = "waterfill_temps", haircut = function(ctx)
  local n = 2500000
  socloss.waterfill(socloss.column(n, 1), socloss.column(n, 1000000), n - 1)  -- no cap binds
  error("waterfill's temporaries were not counted")
end}
