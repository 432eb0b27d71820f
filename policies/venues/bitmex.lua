-- bitmex — BitMEX's auto-deleveraging (ADL) queue, fund first.
--
-- The rule.  When a liquidation cannot be filled before the mark reaches
-- the bankruptcy price and the insurance fund cannot pay, BitMEX closes
-- opposite-side positions in the same contract at the bankrupt order's
-- bankruptcy price, highest ranking first, each whole before the next, the
-- last one partly (it keeps the rest and is ranked again).  The ranking:
--
--   PnL%          = (MarkValue - AvgEntryValue) / |AvgEntryValue|
--   EffectiveLev  = |MarkValue| / (MarkValue - BankruptValue)
--   Ranking       = PnL% x EffectiveLev   when PnL% > 0
--                 = PnL% / EffectiveLev   otherwise (losers still queue, last)
--
-- Sources: https://www.bitmex.com/app/autoDeleveragingExamples (the worked
-- queue, tested as TV-BITMEX-1 in bitmex_test.lua);
-- https://support.bitmex.com/hc/en-gb/articles/18589621443357-What-is-Auto-Deleveraging
-- (the formula); https://blog.bitmex.com/the-bitmex-insurance-fund/ (fund
-- first: ADL only what the fund cannot pay).
--
-- params (ctx.params; --with JSON / --params):
--   fund_first = true   (default) closes only the fewest lots whose exact
--                       transfer covers what the fund will not pay,
--                       R = deficit - min(fund cash, max_draw when > 0):
--                       ceil(R x |size| / d) lots per market, R reduced by
--                       floor(d x lots / |size|) as it goes; the fund takes
--                       the rest at mark and pays for it;
--              = false  closes the bankrupt account's whole position.
--
-- Onto socloss:
--   queue           socloss.adl_score("bitmex", ...): PnL% = upnl / |cost|
--                   (the position's own values; for a short both are
--                   negative and the ratio is the same), leverage =
--                   |size x mark| / equity (equity below 1 atom counts as 1);
--                   socloss.order(..., "desc"), ties to the lower account id
--   closes          socloss.deleverage: whole positions first, the last one
--                   partly, at the bankruptcy price (share 10000: the holder
--                   moves d x q / |size| atoms exactly); a holder closes only
--                   the lots its equity bears, none when below zero
--   fund first      the lots above; the fund's draw is step 4's
--   depositors      never: only opposite-side holders have lots to close
--
-- What it cannot express:
--   - BitMEX's leverage divides by the distance to the position's own
--     bankruptcy value (isolated margin); socloss sees an account's equity
--     over all its positions (cross margin), so leverage here is
--     notional / equity.  For an account with one isolated-like position
--     the two agree.
--   - BitMEX's insurance fund is per contract; socloss has one fund, and
--     ctx.fund.cash is all of it.
--   - The 5-light indicator (20% buckets) is display only, not modelled;
--     ties have no published rule: here the lower account id first.
--   - Inverse contracts (XBTUSD, values in XBT): socloss prices are linear
--     atoms per lot; an inverse contract's PnL% and leverage are not those
--     of a linear one at the same prices.
--   - Cancelling the deleveraged trader's open orders: socloss has no book.
local sl = socloss

return {
  name = "bitmex",
  params = { fund_first = true },

  deleverage = function(ctx)
    local ff = ctx.params.fund_first
    if type(ff) ~= "boolean" then
      error("fund_first must be true or false, not " .. tostring(ff))
    end
    -- per market, the lots to close: all, or with fund first the fewest
    -- whose transfers cover what the fund will not pay (docs/helpers.md)
    local lots = sl.lots_to_close(ff)
    local actions = nil
    for k, m in ipairs(ctx.deficit.markets) do
      local queue = sl.order(sl.adl_score("bitmex", ctx.size[m.market], ctx.cost[m.market], ctx.upnl[m.market],
                                          ctx.equity, ctx.balance, m.mark), "desc")
      -- against the other side: shorts against a long, longs against a short
      actions = sl.deleverage(m.market, queue, sl.opposite(m.market), lots[k], actions)
    end
    return actions
  end,
}
