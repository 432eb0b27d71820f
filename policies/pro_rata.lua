-- pro_rata — capped pro-rata on profit (docs/design.md, "Reference policies").
--
-- Every account in profit pays in proportion to its weight, never more
-- than its cap = min(profit, equity); where a cap binds, the rest is shared
-- among the others in the same proportion (water-filling).  Exact to the
-- atom: shares are floored, then the leftover atoms go one each to the
-- largest remainders, ties to the lower account id.  When all caps together
-- are short of the shortfall, everyone pays its cap and the rest is bad debt.
--
-- params:
--   scope  = "market"   profit = the sum of an account's positive upnl in the
--                       bankrupt account's markets (default)
--          | "account"  profit = the account's total upnl, if positive
--   weight = "profit"   in proportion to profit (default)
--          | "size"     to the lots of its profitable positions (scope "market")
--          | "notional" to |size x mark| of its profitable positions (scope "market")
local sl = socloss

-- Sums f(market) over the bankrupt account's markets, one column each.
local function over_markets(ctx, f)
  local total = nil
  for _, m in ipairs(ctx.deficit.markets) do
    local col = f(m)
    total = total and sl.add(total, col) or col
  end
  return total or sl.column(ctx.n, 0)
end

return {
  name = "pro_rata",
  params = { scope = "market", weight = "profit" },

  haircut = function(ctx)
    local p = ctx.params
    local profit
    if p.scope == "market" then
      profit = over_markets(ctx, function(m) return sl.max(ctx.upnl[m.market], 0) end)
    elseif p.scope == "account" then
      if p.weight ~= "profit" then
        error("weight '" .. tostring(p.weight) .. "' needs scope 'market'")
      end
      profit = sl.max(ctx.upnl_total, 0)
    else
      error("scope must be 'market' or 'account', not '" .. tostring(p.scope) .. "'")
    end
    local weight
    if p.weight == "profit" then
      weight = profit
    elseif p.weight == "size" then  -- lots of the profitable positions
      weight = over_markets(ctx, function(m) return sl.select(ctx.upnl[m.market], sl.abs(ctx.size[m.market])) end)
    elseif p.weight == "notional" then  -- |size x mark| of the profitable positions
      weight = over_markets(ctx, function(m)
        return sl.select(ctx.upnl[m.market], sl.mul(sl.abs(ctx.size[m.market]), m.mark))
      end)
    else
      error("weight must be 'profit', 'size' or 'notional', not '" .. tostring(p.weight) .. "'")
    end
    local cap = sl.max(sl.min(profit, ctx.equity), 0)
    return sl.haircuts(sl.waterfill(weight, cap, ctx.deficit.shortfall))
  end,
}
