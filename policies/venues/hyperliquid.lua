-- hyperliquid — Hyperliquid's auto-deleveraging (ADL) by its sorting index.
--
-- The rule.  When an account's value (or an isolated position's) becomes
-- negative -- after the order book and the backstop liquidator vault (HLP)
-- -- "the users on the opposite side of the position are ranked by
-- unrealized pnl and leverage used ... The specific sorting index to
-- determine the affected users in profit is
--
--   (mark_price / entry_price) * (notional_position / account_value)
--
-- Those traders' positions are closed at the previous mark price against
-- the now underwater user."  Only accounts with open positions take part:
-- "a user who has no open positions will not socialize any losses".
--
-- Sources: https://hyperliquid.gitbook.io/hyperliquid-docs/trading/auto-deleveraging
-- (the index and the close price; an older copy said "previous oracle
-- price"); https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations
-- (book, backstop vault, then ADL).  Hyperliquid publishes no worked
-- example: hyperliquid_test.lua is derived, computed by hand.
--
-- params (ctx.params; --with JSON / --params):
--   fund_first = false  (default) every lot of the underwater position is
--                       closed against the queue (Hyperliquid has no
--                       insurance fund paying deficits before ADL; its
--                       backstop vault acts while the account still has
--                       value); true: only the fewest lots whose transfer
--                       covers what the fund will not pay (as bitmex.lua).
--
-- Onto socloss:
--   the index       socloss.adl_score("hyperliquid", ...): leverage =
--                   |size x mark| / equity (account value; below 1 atom
--                   counts as 1) times mark / entry for a long, and
--                   entry / mark for a short (entry = cost / size), so a
--                   profitable short ranks high as a profitable long does.
--                   The doc gives one expression, mark / entry, for both
--                   sides, which would rank profitable shorts low; its
--                   orientation for shorts is not published -- this is the
--                   reading that keeps "users in profit" first.
--   queue           socloss.order(..., "desc"), ties to the lower account id
--                   (no tie-break is published); socloss.deleverage, whole
--                   positions first, the last one partly; a holder closes
--                   only the lots its equity bears
--   the close price share 10000: the bankruptcy price.  Hyperliquid closes at
--                   the previous mark, which ctx does not hold.  ADL starts
--                   when the account's value turns negative, so the
--                   previous mark is one at which it was still >= 0: at or
--                   beyond its bankruptcy price, where a close moves at
--                   least the whole bankruptcy transfer.  socloss moves at
--                   most that (share <= 10000: a close never pays the
--                   bankrupt account more than its hole), so share 10000 is
--                   Hyperliquid's close with the excess over the
--                   bankruptcy price left out.
--   depositors      never: only holders of opposite positions are closed
--
-- What it cannot express:
--   - The previous mark itself, and so the excess of a close there over
--     the bankruptcy price (above).
--   - The backstop liquidator vault taking positions over before
--     bankruptcy, and the JELLY-style loss it absorbed: socloss starts at
--     bankruptcy; its fund takes what is left at mark (step 3).
--   - Isolated positions' own values: the account's equity stands for the
--     account value.
local sl = socloss

return {
  name = "hyperliquid",
  params = { fund_first = false },

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
      local index = sl.adl_score("hyperliquid", ctx.size[m.market], ctx.cost[m.market], ctx.upnl[m.market],
                                 ctx.equity, ctx.balance, m.mark)
      actions = sl.deleverage(m.market, sl.order(index, "desc"), sl.opposite(m.market), lots[k], actions)
    end
    return actions
  end,
}
