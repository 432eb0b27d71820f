-- binance.lua's cases (socloss test policies/venues/binance_test.lua).
-- Units: 1 USDT = 1,000,000 atoms (the default unit); 1 lot = 1 contract;
-- prices in atoms per lot.  Score = max(0, upnl) / max(1 USDT, wallet) x
-- MM / (wallet + upnl), highest first.
local USDT = 1000000

-- TV-BINANCE-1 (https://dev.binance.vision/t/how-to-caculating-leverage-pnl-quantile/17801):
-- Unrealized Profit 40.2, Wallet Balance 4.27, Margin Ratio 13.42%:
-- PnL% = 40.2 / max(1, 4.27) = 9.414520, Leverage PnL = 9.414520 x 0.1342 =
-- 1.263429 (posted: 9.41 and 1.26).  The quantile itself needs Binance's
-- user count, which is not public; here the figure decides a ranking.
--
-- Holder tv1 is that position: short 1 lot, wallet 4.27 USDT = 4,270,000,
-- upnl 40.2 USDT = 40,200,000 (entry 40.2 USDT above the mark), equity
-- 44,470,000.  Its margin ratio is 13.42% when MM = 0.1342 x 44,470,000 =
-- 5,967,874 atoms: at the default brackets' 0.4% a notional of
-- 5,967,874 / 0.004 = 1,491,968,500, so the mark is 1,491,968,500 atoms a
-- lot (1,491.9685 USDT) and MM = floor(1,491,968,500 x 40 / 10000) =
-- 5,967,874 exactly.  Score: 40,200,000 / 4,270,000 x 5,967,874 /
-- 44,470,000 = 9.414520 x 0.1342 = 1.263429.
-- Holder other: short 2 lots 50 USDT above the mark, upnl 100 USDT (more
-- than tv1's: by PnL it would go first), wallet 10 USDT, equity 110; MM =
-- 2 x 5,967,874 = 11,935,748; score 100 / 10 x 11.935748 / 110 = 1.085068.
-- So tv1 (1.263429) goes first, then other; "other" < "tv1" bytewise, so
-- the order is the scores', not the ids'.
-- The bankrupt a: long 2 lots entered 0.5 USDT above the mark, balance 0:
-- equity -1 USDT, d = 1,000,000 over 2 lots, bankruptcy price 1,491,968,500
-- + 500,000 = 1,492,468,500.  2 lots: tv1's 1, then 1 of other's 2.  l1
-- long 1 at the mark nets the market.
local MARK = 1491968500
local tv_markets = { { "BTCUSDT", MARK } }
local tv_accounts = { { "a", 0 }, { "l1", 1000 * USDT }, { "other", 10 * USDT }, { "tv1", 4270000 } }
local tv_positions = { { "a", "BTCUSDT", 2, MARK + USDT // 2 }, { "l1", "BTCUSDT", 1, MARK },
                       { "other", "BTCUSDT", -2, MARK + 50 * USDT }, { "tv1", "BTCUSDT", -1, MARK + 40200000 } }

-- The two ledgers of policies/adl_test.lua's "binance" cases (the same
-- arithmetic; adl.lua score=binance must agree with this policy on them).
-- Bracketed: 1% of notional up to 1,000 USDT, 10% above; mark 100 USDT; a
-- long 22 at 110 (d = 10 a lot, bankruptcy price 110).
--   s1 short 5 at 150: upnl 250, wallet 1000, equity 1250, MM = 500 x 1% = 5:
--      250 / 1000 x 5 / 1250 = 0.001
--   s2 short 20 at 102: upnl 40, wallet 1000, equity 1040, MM = 10 + 100 =
--      110: 40 / 1000 x 110 / 1040 = 0.00423
-- s2's 20 lots, then 2 of s1's.  (A flat rate: s1 0.25 x 500 / 1250 = 0.1 >
-- s2 0.04 x 2000 / 1040 = 0.077, times the rate: s1 first.)
local bmarkets = { { "BTC", 100 * USDT } }
local bracketed_accounts = { { "a", 0 }, { "l1", 1000 * USDT }, { "s1", 1000 * USDT }, { "s2", 1000 * USDT } }
local bracketed_positions = { { "a", "BTC", 22, 110 * USDT }, { "l1", "BTC", 3, 100 * USDT },
                              { "s1", "BTC", -5, 150 * USDT }, { "s2", "BTC", -20, 102 * USDT } }
local two_brackets = { { upto = 1000 * USDT, rate = 100 }, { rate = 1000 } }
-- Under one unit: flat 0.4% (MM 0.4 a lot); a long 1 at 100.5 (d = 0.5).
--   p short 1 at 101: upnl 1, wallet 0.5 (counts as 1), equity 1.5: 1 x 0.4 / 1.5 = 0.2667
--   q short 1 at 103: upnl 3, wallet 1, equity 4: 3 x 0.4 / 4 = 0.3
-- q first.  A floor of one atom: p = 1 / 0.5 x 0.4 / 1.5 = 0.5333, first.
local floor_accounts = { { "a", 0 }, { "l1", 1000 * USDT }, { "p", USDT // 2 }, { "q", USDT } }
local floor_positions = { { "a", "BTC", 1, 100 * USDT + USDT // 2 }, { "l1", "BTC", 1, 100 * USDT },
                          { "p", "BTC", -1, 101 * USDT }, { "q", "BTC", -1, 103 * USDT } }

return {
  policy = "binance.lua",
  cases = {
    {
      name = "TV-BINANCE-1: the published 1.263429 ranks tv1 above a holder of more PnL; closed in that order",
      markets = tv_markets, accounts = tv_accounts, positions = tv_positions, account = "a",
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "tv1", "BTCUSDT", 1, MARK + USDT // 2 }, { "other", "BTCUSDT", 1, MARK + USDT // 2 } } },
    },
    {
      -- derived (fund first): 0.5 USDT in the fund.  R = 1 - 0.5 = 0.5 USDT,
      -- ceil(500,000 x 2 / 1,000,000) = 1 lot: tv1's; the fund takes a's
      -- other lot at mark and pays the 0.5 left.
      name = "TV-BINANCE-1's ledger, fund first: only what the fund cannot pay",
      markets = tv_markets, accounts = tv_accounts, positions = tv_positions, account = "a",
      events = { { type = "fund", amount = USDT // 2 } },
      expect = { fund_draw = USDT // 2, bad_debt = 0, takeovers = { { "BTCUSDT", 1, MARK } },
                 deleveraged = { { "tv1", "BTCUSDT", 1, MARK + USDT // 2 } } },
    },
    {
      name = "derived: notional brackets decide (s2's 10% tier ranks it above s1), as adl.lua score=binance",
      markets = bmarkets, accounts = bracketed_accounts, positions = bracketed_positions, account = "a",
      params = { brackets = two_brackets },
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "s2", "BTC", 20, 110 * USDT }, { "s1", "BTC", 2, 110 * USDT } } },
    },
    {
      name = "derived: brackets by market id",
      markets = bmarkets, accounts = bracketed_accounts, positions = bracketed_positions, account = "a",
      params = { brackets = { BTC = two_brackets } },
      expect = { deleveraged = { { "s2", "BTC", 20, 110 * USDT }, { "s1", "BTC", 2, 110 * USDT } } },
    },
    {
      name = "derived: a wallet under one unit counts as one unit (q before p), as adl.lua score=binance",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { brackets = { { rate = 40 } } },
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {}, deleveraged = { { "q", "BTC", 1, 100 * USDT + USDT // 2 } } },
    },
    {
      -- derived: a ledger of 2 decimals says unit = 100.  p's wallet of
      -- 500,000 atoms is then 5,000 units, above the floor, and counts as
      -- it is: p = 1,000,000 / 500,000 x 400,000 / 1,500,000 = 0.5333 >
      -- q = 3,000,000 / 1,000,000 x 400,000 / 4,000,000 = 0.3: p first.
      name = "derived: the unit is a param (a 2-decimal ledger: the half-USDT wallet is no longer under it)",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { brackets = { { rate = 40 } }, unit = 100 },
      expect = { deleveraged = { { "p", "BTC", 1, 100 * USDT + USDT // 2 } } },
    },
    {
      name = "a unit of 0 is refused",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { unit = 0 },
      expect = { status = "failed",
                 error = "adl_score: the wallet floor must be an integer >= 1 (the atoms of one unit of the asset)" },
    },
    {
      name = "brackets whose last tier has an upto are refused",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { brackets = { { upto = 1000, rate = 40 } } },
      expect = { status = "failed",
                 error = "brackets: the last tier must have no upto (the notional above it still needs margin)" },
    },
    {
      name = "a rate over 10000 basis points is refused",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { brackets = { { rate = 20000 } } },
      expect = { status = "failed", error = "brackets: tier 1: rate must be an integer 0..10000 (basis points)" },
    },
    {
      name = "no brackets for the market is refused",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { brackets = { ETH = { { rate = 40 } } } },
      expect = { status = "failed",
                 error = "brackets must be a list of tiers {upto =, rate =} or a table of them by market, none for 'BTC'" },
    },
    {
      name = "a fund_first that is not a boolean is refused",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { fund_first = 1 },
      expect = { status = "failed", error = "fund_first must be true or false, not 1" },
    },
  },
}
