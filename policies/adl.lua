-- adl — the auto-deleveraging queue (docs/design.md, "Reference policies").
--
-- Opposite-side holders in each of the bankrupt account's markets, ranked
-- by a score, highest first, ties to the lower account id; whole positions
-- are closed first and the last one partly, at the bankruptcy price.
--
-- params:
--   fund_first = true  (default, as BitMEX and Binance) closes the fewest
--                lots whose transfer covers what the fund cannot:
--                ceil(R / |mark - bankruptcy price|) lots, R = deficit - fund
--                cash, capped at the position; the fund pays the rest.
--              = false closes the whole position.
--   score, with leverage = |size x mark| / equity and PnL% = upnl / |cost|:
--     "bitmex"      PnL% x leverage (PnL% / leverage when losing), default
--     "binance"     max(0, upnl) / max(1, balance) x leverage
--     "hyperliquid" (mark / entry, or entry / mark for shorts) x leverage
--     "pnl"         upnl in atoms
-- Scores are IEEE doubles computed in one fixed order (deterministic on any
-- IEEE-754 machine); "pnl" ranks the exact integers.  An equity below 1
-- atom counts as 1.
local sl = socloss

local function score(ctx, m, kind)
  local size, cost, upnl = ctx.size[m.market], ctx.cost[m.market], ctx.upnl[m.market]
  if kind == "pnl" then return upnl end
  local equity, balance = ctx.equity, ctx.balance
  local s = sl.column(ctx.n, 0.0)
  for i = 1, ctx.n do
    local q = size[i]
    if q ~= 0 then
      local lev = math.abs(q * m.mark) / math.max(equity[i], 1)
      local v
      if kind == "bitmex" then
        local pct = upnl[i] / math.max(math.abs(cost[i]), 1)
        if pct > 0 then v = pct * lev else v = pct / lev end
      elseif kind == "binance" then
        v = math.max(0, upnl[i]) / math.max(1, balance[i]) * lev
      elseif kind == "hyperliquid" then
        local entry = cost[i] / q
        if q > 0 then v = m.mark / entry * lev else v = entry / m.mark * lev end
      else
        error("score must be 'bitmex', 'binance', 'hyperliquid' or 'pnl', not '" .. tostring(kind) .. "'")
      end
      s[i] = v
    end
  end
  return s
end

return {
  name = "adl",
  params = { score = "bitmex", fund_first = true },

  deleverage = function(ctx)
    local p = ctx.params
    local left = -ctx.deficit.equity - math.max(ctx.fund.cash, 0)
    local actions = nil
    for _, m in ipairs(ctx.deficit.markets) do
      local lots = math.abs(m.size)
      if p.fund_first ~= false then
        local gap = math.abs(m.mark - m.bankruptcy_price)
        if left <= 0 or gap == 0 then
          lots = 0
        else
          lots = math.min(lots, (left + gap - 1) // gap)
          left = left - lots * gap
        end
      end
      -- the other side: shorts against a long, longs against a short
      local available
      if m.size > 0 then
        available = sl.max(sl.sub(0, ctx.size[m.market]), 0)
      else
        available = sl.max(ctx.size[m.market], 0)
      end
      local order = sl.order(score(ctx, m, p.score), "desc")
      actions = sl.deleverage(m.market, order, available, lots, actions)
    end
    return actions
  end,
}
