-- adl — the auto-deleveraging queue (docs/design.md, "Reference policies").
--
-- Opposite-side holders in each of the bankrupt account's markets, ranked
-- by a score, highest first, ties to the lower account id; whole positions
-- are closed first and the last one partly, at the bankruptcy price.  A
-- holder closes only the lots its equity can bear (socloss.deleverage: a
-- close of q lots costs it d x q / |size|), and one already below zero
-- closes none, so a deleverage never makes or deepens a bankruptcy.
--
-- params:
--   fund_first = true  (default, as BitMEX and Binance) closes the fewest
--                lots whose exact transfer covers what the fund will not
--                pay: R = deficit - min(fund cash, max_draw when > 0), per
--                market ceil(R x |size| / d) lots, capped at the position,
--                R reduced by d x q / |size| (floored) as it goes; the fund
--                pays the rest.  Lots a holder cannot bear are not closed
--                elsewhere: what they would have covered falls to the fund,
--                the haircuts and bad debt.
--              = false closes the whole position.
--   score, with leverage = |size x mark| / equity and PnL% = upnl / |cost|:
--     "bitmex"      PnL% x leverage (PnL% / leverage when losing), default
--     "binance"     max(0, upnl) / max(1, balance) x leverage
--     "hyperliquid" (mark / entry, or entry / mark for shorts) x leverage
--     "pnl"         upnl in atoms
-- Scores are IEEE doubles computed in one fixed order (deterministic on any
-- IEEE-754 machine); "pnl" ranks the exact integers.  An equity below 1
-- atom counts as 1.  They are the host's socloss.adl_score (docs/helpers.md),
-- one column operation per market, no Lua loop over the candidates; any
-- other score fails the call ("score must be 'bitmex', ... not 'X'").
local sl = socloss

local function score(ctx, m, kind)
  return sl.adl_score(kind, ctx.size[m.market], ctx.cost[m.market], ctx.upnl[m.market], ctx.equity,
                      ctx.balance, m.mark)
end

return {
  name = "adl",
  params = { score = "bitmex", fund_first = true },

  deleverage = function(ctx)
    local p = ctx.params
    -- what the fund will pay: its cash, capped per deficit when a cap is set
    local fund = math.max(ctx.fund.cash, 0)
    if ctx.fund.max_draw > 0 then fund = math.min(fund, ctx.fund.max_draw) end
    local left = -ctx.deficit.equity - fund
    local actions = nil
    for _, m in ipairs(ctx.deficit.markets) do
      local size = math.abs(m.size)
      local lots = size
      if p.fund_first ~= false then
        if left <= 0 or m.deficit == 0 then
          lots = 0
        elseif left < m.deficit then
          -- ceil(left x |size| / d) = -floor(-left x |size| / d), exact in 128 bits
          lots = -sl.muldiv(-left, size, m.deficit)
        end
        left = left - sl.muldiv(m.deficit, lots, size)
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
