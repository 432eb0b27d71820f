-- expect: deleverage: more than 6 actions, more than there can be
-- an order naming candidate 2 ('p') 1,500,000 times, one lot each: a list of
-- 1,500,000 closes where 5 candidates in 1 market allow at most 6 actions
return {name = "flood", deleverage = function(ctx)
  local n = 1500000
  return socloss.deleverage("BTC", socloss.column(n, 2), socloss.column(ctx.n, 1), n)
end}
