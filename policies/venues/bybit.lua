-- bybit — Bybit's auto-deleveraging (ADL), as far as Bybit documents it.
--
-- The rule.  When a liquidation cannot be closed better than the bankruptcy
-- price and the insurance fund cannot cover the loss, Bybit "will
-- automatically deleverage an opposing position", "selecting the opposing
-- profitable positions based on the ADL ranking"; "the auto deleveraging
-- ranking is derived in order of highest profit and effective leverage
-- use"; the selected positions are closed "at the bankruptcy price of the
-- liquidated order".
--
-- THE FORMULA IS NOT CONFIRMED.  The research behind this policy could not
-- confirm Bybit's numeric ranking: Bybit's article states the ordering in
-- words, and the ranking column of its worked table (six shorts) was cut
-- off in every stored copy.  This policy ranks by PnL% x effective
-- leverage, the formula BitMEX publishes and many venues copy, which fits
-- Bybit's words ("highest profit and effective leverage"); it is an
-- assumption, not Bybit's published arithmetic, and its tests are derived.
--
-- Sources: https://help.bybit.com/hc/en-us/articles/900000031623-What-is-Auto-Deleveraging-ADL-
-- (the words, the truncated example); https://bybit.nl/nl-NL/help-center/article/Auto-Deleveraging-ADL
-- (2024: "opposing profitable positions", fund first).
--
-- params (ctx.params; --with JSON / --params):
--   fund_first  = true (default): ADL only the fewest lots whose transfer
--                 covers what the fund will not pay (as bitmex.lua); false:
--                 the whole position
--   profit_only = true (default): only opposite positions in profit
--                 (upnl > 0) are selected, as the 2024 text says; what they
--                 cannot cover falls to the fund and bad debt.  false: the
--                 losers queue after them too, by PnL% / leverage.
--
-- Onto socloss:
--   queue           socloss.adl_score("bitmex", ...): PnL% = upnl / |cost|,
--                   leverage = |size x mark| / equity; socloss.order(...,
--                   "desc"), ties to the lower account id
--   profitable only socloss.select(upnl, lots): a holder not in profit has
--                   nothing available
--   closes          socloss.deleverage at the bankruptcy price (share
--                   10000), whole positions first, the last one partly; a
--                   holder closes only the lots its equity bears
--
-- What it cannot express:
--   - Bybit's own ranking formula (above: unconfirmed).
--   - TV-BYBIT-1, the inverse contract's bankruptcy price rounded up to the
--     0.5 tick (7,735.372549 -> 7,735.50): socloss contracts are linear and
--     its transfers exact, never rounded to a tick.
--   - Fees (maker fee to the deleveraged, taker to the liquidated): socloss
--     charges none.
local sl = socloss

return {
  name = "bybit",
  params = { fund_first = true, profit_only = true },

  deleverage = function(ctx)
    local p = ctx.params
    for _, k in ipairs({ "fund_first", "profit_only" }) do
      if type(p[k]) ~= "boolean" then error(k .. " must be true or false, not " .. tostring(p[k])) end
    end
    -- per market, the lots to close: all, or with fund first the fewest
    -- whose transfers cover what the fund will not pay (docs/helpers.md)
    local lots = sl.lots_to_close(p.fund_first)
    local actions = nil
    for k, m in ipairs(ctx.deficit.markets) do
      local upnl = ctx.upnl[m.market]
      local available = sl.opposite(m.market)  -- shorts against a long, longs against a short
      if p.profit_only then available = sl.select(upnl, available) end
      local rank = sl.adl_score("bitmex", ctx.size[m.market], ctx.cost[m.market], upnl, ctx.equity, ctx.balance,
                                m.mark)
      actions = sl.deleverage(m.market, sl.order(rank, "desc"), available, lots[k], actions)
    end
    return actions
  end,
}
