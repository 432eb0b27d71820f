-- tiered — progressive brackets on profit, like tax brackets (docs/design.md,
-- "Reference policies").
--
-- Each account's profit (its positive upnl in the bankrupt account's
-- markets) is cut into brackets; the part in a higher bracket weighs more:
-- weight = sum over brackets of (the profit in that bracket) x rate.  The
-- rates are then scaled together so that the charges add up to the
-- shortfall exactly, each capped at min(profit, equity), water-filling like
-- pro_rata when a cap binds; exact to the atom, ties to the lower id.
--
-- params:
--   tiers = { {upto = ATOMS, rate = BPS}, ..., {rate = BPS} }
--     rates in basis points (0..10000), each bracket up to `upto` atoms of
--     profit, the last one open-ended.  The default, in atoms of a 6-decimal
--     dollar: 10% up to 1,000, 20% up to 10,000, 35% up to 100,000, 50% above.
local sl = socloss

return {
  name = "tiered",
  params = {
    tiers = {
      { upto = 1000000000, rate = 1000 },
      { upto = 10000000000, rate = 2000 },
      { upto = 100000000000, rate = 3500 },
      { rate = 5000 },
    },
  },

  haircut = function(ctx)
    local profit = sl.column(ctx.n, 0)
    for _, m in ipairs(ctx.deficit.markets) do
      profit = sl.add(profit, sl.max(ctx.upnl[m.market], 0))
    end
    local weight = sl.brackets(profit, ctx.params.tiers)
    local cap = sl.max(sl.min(profit, ctx.equity), 0)
    return sl.haircuts(sl.waterfill(weight, cap, ctx.deficit.shortfall))
  end,
}
