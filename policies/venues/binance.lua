-- binance — Binance Futures' auto-deleveraging (ADL) queue, fund first.
--
-- The rule.  ADL is "the final step taken only when the Insurance Fund
-- cannot accept the bankrupt client's positions": opposite-side positions
-- in the same symbol are closed "at the bankruptcy price of the initial
-- liquidated order, no trading fee", highest ranking first.  The ranking,
-- as Binance's FAQ gives it (quoted on Binance's developer forum):
--
--   PnL%          = max(0, Unrealized Profit) / max(1, Wallet Balance)
--   Margin Ratio  = Maintenance Margin / (Wallet Balance + Unrealized Profit),
--                   0 when Wallet Balance + Unrealized Profit <= 0
--   Leverage PnL  = PnL% x Margin Ratio
--
-- where 1 is one unit of the margin asset (1 USDT) and the maintenance
-- margin is the position's notional through the symbol's notional brackets:
-- notional x maintMarginRatio - cum of its bracket, cum being the sum over
-- the lower brackets of floor x (rate - previous rate) -- the same number
-- as taxing each slice of notional at its own bracket's rate, which is
-- socloss.brackets.
--
-- Sources: https://www.binance.com/en/support/faq/360033525471 (the rule);
-- https://dev.binance.vision/t/how-to-caculating-leverage-pnl-quantile/17801
-- (the formula and a worked figure, TV-BINANCE-1 in binance_test.lua:
-- uPnL 40.2, wallet 4.27, margin ratio 13.42% give PnL% 9.41 and 1.26);
-- https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Notional-and-Leverage-Brackets
-- (the brackets: notionalFloor, notionalCap, maintMarginRatio, cum).
--
-- params (ctx.params; --with JSON / --params), money in atoms:
--   unit       = the atoms of one unit of the margin asset: the wallet floor
--                of PnL%.  Default 1000000 (a ledger of 6 decimals, 1 USDT =
--                1,000,000 atoms); ctx does not carry the ledger's units, so
--                a ledger of other decimals must say it.
--   brackets   = {{upto = ATOMS, rate = BPS}, ..., {rate = BPS}}: each
--                bracket's notionalCap (the last open-ended) and
--                maintMarginRatio in basis points; or a table of such lists
--                by market id.  Default: BTCUSDT's table as it stood in 2021
--                (0.4% to 50,000 USDT, 0.5% to 250,000, 1% to 1M, 2.5% to
--                10M, 5% to 20M, 10% to 50M, 12.5% to 100M, 15% to 200M,
--                25% to 300M, 50% above; a third-party copy,
--                https://gist.github.com/highfestiva/b71e76f51eed84d56c1be8ebbcc286b5,
--                whose cum column this rule reproduces), in 6-decimal atoms.
--                Binance publishes each symbol's current table
--                (GET /fapi/v1/leverageBracket): pass it.
--   fund_first = true (default): only the fewest lots whose exact transfer
--                covers what the fund will not pay (as bitmex.lua); false:
--                the bankrupt account's whole position.
--
-- Onto socloss:
--   MM              socloss.brackets(|size x mark|, tiers), floored to the atom
--   queue           socloss.adl_score("binance", ..., unit, MM): PnL% of the
--                   position's upnl in this market over the account's
--                   balance (its wallet), margin ratio MM over the account's
--                   equity (wallet + upnl), the product a double;
--                   socloss.order(..., "desc"), ties to the lower account id
--   closes          socloss.deleverage at the bankruptcy price (share 10000),
--                   whole positions first, the last one partly; a holder
--                   closes only the lots its equity bears
--   no fee          socloss charges none
--
-- What it cannot express:
--   - Cross margin's account-wide maintenance margin: ctx carries a
--     candidate's positions in the deficit's markets only, so MM is that
--     position's own, over the whole account's equity.  Hedge mode (a long
--     and a short in one symbol) does not exist in socloss.
--   - The published quantile (rank / total users, the 0-4 indicator) is
--     display only; Binance publishes no tie-break (here the lower id).
--   - Brackets per user (notionalCoef) and COIN-M's brackets by quantity:
--     pass the table that applies, in atoms of notional.
--   - The insurance fund per symbol: socloss has one fund.
local sl = socloss

-- market m's brackets: a list of tiers, or a table of lists by market id
local function tiers_of(brackets, m)
  local t = brackets
  if type(t) == "table" and t[1] == nil and t[m] ~= nil then t = t[m] end
  if type(t) ~= "table" or t[1] == nil then
    error("brackets must be a list of tiers {upto =, rate =} or a table of them by market, none for '" .. m .. "'")
  end
  if type(t[#t]) == "table" and t[#t].upto ~= nil then
    error("brackets: the last tier must have no upto (the notional above it still needs margin)")
  end
  return t
end

return {
  name = "binance",
  params = {
    fund_first = true,
    unit = 1000000,
    brackets = { { upto = 50000000000, rate = 40 }, { upto = 250000000000, rate = 50 },
                 { upto = 1000000000000, rate = 100 }, { upto = 10000000000000, rate = 250 },
                 { upto = 20000000000000, rate = 500 }, { upto = 50000000000000, rate = 1000 },
                 { upto = 100000000000000, rate = 1250 }, { upto = 200000000000000, rate = 1500 },
                 { upto = 300000000000000, rate = 2500 }, { rate = 5000 } },
  },

  deleverage = function(ctx)
    local p = ctx.params
    if type(p.fund_first) ~= "boolean" then
      error("fund_first must be true or false, not " .. tostring(p.fund_first))
    end
    -- per market, the lots to close: all, or with fund first the fewest
    -- whose transfers cover what the fund will not pay (docs/helpers.md)
    local lots = sl.lots_to_close(p.fund_first)
    local actions = nil
    for k, m in ipairs(ctx.deficit.markets) do
      local size = ctx.size[m.market]
      local mm = sl.brackets(sl.abs(sl.mul(size, m.mark)), tiers_of(p.brackets, m.market))
      local score = sl.adl_score("binance", size, ctx.cost[m.market], ctx.upnl[m.market], ctx.equity, ctx.balance,
                                 m.mark, p.unit, mm)
      -- against the other side: shorts against a long, longs against a short
      actions = sl.deleverage(m.market, sl.order(score, "desc"), sl.opposite(m.market), lots[k], actions)
    end
    return actions
  end,
}
