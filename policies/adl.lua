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
--     "binance"     Binance's order: max(0, upnl) / max(unit, balance) x
--                   MM / equity (0 when equity <= 0), MM the position's
--                   maintenance margin by its notional brackets
--     "hyperliquid" (mark / entry, or entry / mark for shorts) x leverage
--     "pnl"         upnl in atoms
--   for "binance" only (as policies/venues/binance.lua reads them):
--   unit     = the atoms of one unit of the margin asset, Binance's wallet
--              floor "max(1, Wallet Balance)" (default 1000000: a ledger of
--              6 decimals; ctx does not carry the ledger's units)
--   brackets = the notional maintenance brackets, {{upto = ATOMS, rate =
--              BPS}, ..., {rate = BPS}} as socloss.brackets takes them, the
--              last open-ended, or a table of such lists by market id: MM =
--              brackets(|size x mark|), which is Binance's notional x
--              maintMarginRatio - cum exactly (cum is the sum of the lower
--              tiers' differences), floored to the atom.  Default: the
--              BTCUSDT table of binance.lua's header, in 6-decimal atoms.
-- Scores are IEEE doubles computed in one fixed order (deterministic on any
-- IEEE-754 machine); "pnl" ranks the exact integers.  An equity below 1
-- atom counts as 1 (but for "binance", where it makes the ratio 0).  They
-- are the host's socloss.adl_score (docs/helpers.md), one column operation
-- per market, no Lua loop over the candidates; any other score fails the
-- call ("score must be 'bitmex', ... not 'X'").
local sl = socloss

-- The maintenance brackets of market m: a list of tiers, or a table of
-- lists by market id.  The last tier must be open-ended, or the notional
-- above it would need no margin at all.
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

local function score(ctx, m, kind)
  local size = ctx.size[m.market]
  if kind == "binance" then
    local unit = ctx.params.unit
    local mm = sl.brackets(sl.abs(sl.mul(size, m.mark)), tiers_of(ctx.params.brackets, m.market))
    return sl.adl_score(kind, size, ctx.cost[m.market], ctx.upnl[m.market], ctx.equity, ctx.balance, m.mark,
                        unit, mm)
  end
  return sl.adl_score(kind, size, ctx.cost[m.market], ctx.upnl[m.market], ctx.equity, ctx.balance, m.mark)
end

return {
  name = "adl",
  params = {
    score = "bitmex", fund_first = true,
    unit = 1000000,
    -- Binance's BTCUSDT brackets in 6-decimal atoms (binance.lua says where from)
    brackets = { { upto = 50000000000, rate = 40 }, { upto = 250000000000, rate = 50 },
                 { upto = 1000000000000, rate = 100 }, { upto = 10000000000000, rate = 250 },
                 { upto = 20000000000000, rate = 500 }, { upto = 50000000000000, rate = 1000 },
                 { upto = 100000000000000, rate = 1250 }, { upto = 200000000000000, rate = 1500 },
                 { upto = 300000000000000, rate = 2500 }, { rate = 5000 } },
  },

  deleverage = function(ctx)
    local p = ctx.params
    -- per market, the lots to close: all, or with fund first the fewest
    -- whose transfers cover what the fund will not pay (docs/helpers.md)
    local lots = sl.lots_to_close(p.fund_first ~= false)
    local actions = nil
    for k, m in ipairs(ctx.deficit.markets) do
      local order = sl.order(score(ctx, m, p.score), "desc")
      -- against the other side: shorts against a long, longs against a short
      actions = sl.deleverage(m.market, order, sl.opposite(m.market), lots[k], actions)
    end
    return actions
  end,
}
