-- pro_rata — capped pro-rata on profit (docs/design.md, "Reference policies").
--
-- Every account in profit pays in proportion to its weight, never more
-- than its cap = min(profit, equity) (and the event cap, below); where a
-- cap binds, the rest is shared among the others in the same proportion
-- (water-filling).  Exact to the atom: shares are floored, then the leftover
-- atoms go one each to the largest remainders, ties to the lower account
-- id.  When all caps together are short of the shortfall, everyone pays its
-- cap and the rest is bad debt.
--
-- params:
--   scope  = "market"   profit = the sum of an account's positive upnl in the
--                       bankrupt account's markets (default)
--          | "account"  profit = the account's total upnl, if positive
--   weight = "profit"   in proportion to profit (default)
--          | "size"     to the lots of its profitable positions (scope "market")
--          | "notional" to |size x mark| of its profitable positions (scope "market")
--   event_cap = BPS     (absent: no such cap) never more, over the whole crash
--                       event, than BPS / 10000 of the account's gross profit
--                       when the event began: the cap becomes
--                       min(profit, equity, floor(profit0 x BPS / 10000) - charged),
--                       profit0 and charged from ctx.event (on a lone deficit,
--                       today's gross profit and zeros).  5000 is "never more
--                       than half of one's profit in this crash".
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
    local cap = sl.min(profit, ctx.equity)
    if p.event_cap ~= nil then
      local bps = p.event_cap
      if math.type(bps) ~= "integer" or bps < 0 or bps > 10000 then
        error("event_cap must be an integer 0..10000 (basis points of profit0), not " .. tostring(bps))
      end
      local ev = ctx.event
      cap = sl.min(cap, sl.sub(sl.muldiv(ev.profit0, bps, 10000), ev.charged))
    end
    cap = sl.max(cap, 0)
    return sl.haircuts(sl.waterfill(weight, cap, ctx.deficit.shortfall))
  end,
}
