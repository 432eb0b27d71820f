-- Worked examples for adl.lua (run: socloss test policies/adl_test.lua).
-- a: long 8 at 100, mark 90: 80 short (d = 80 over 8 lots, 10 a lot),
-- bankruptcy price 90 + 80 / 8 = 100.  Shorts at mark 90: s1 4 at 110 (pnl
-- 80), s2 3 at 100 (30), s3 2 at 95 (10).
local markets = { { "BTC", 100 } }
local accounts = { { "a", 0 }, { "s1", 1000 }, { "s2", 1000 }, { "s3", 1000 }, { "l1", 1000 } }
local positions = { { "a", "BTC", 8, 100 }, { "s1", "BTC", -4, 110 }, { "s2", "BTC", -3, 100 },
                    { "s3", "BTC", -2, 95 }, { "l1", "BTC", 1, 100 } }
local shock = { { type = "market", market = "BTC", mark = 90 } }

-- Binance's order (score "binance"; policies/venues/binance_test.lua has the
-- same two ledgers under binance.lua, which must agree).  1 USDT =
-- 1,000,000 atoms (the default unit); mark 100 USDT a lot.
-- Score = max(0, upnl) / max(1 USDT, wallet) x MM / (wallet + upnl).
--
-- Bracketed: brackets 1% of notional up to 1,000 USDT, 10% above.  The
-- bankrupt long a holds 22 lots entered at 110 with balance 0: equity
-- 22 x -10 = -220 USDT, d = 10 USDT a lot, bankruptcy price 110.
--   s1 short 5 at 150: upnl 250, wallet 1000, equity 1250, notional 500:
--      MM = 500 x 1% = 5; 250 / 1000 x 5 / 1250 = 0.25 x 0.004 = 0.001
--   s2 short 20 at 102: upnl 40, wallet 1000, equity 1040, notional 2000:
--      MM = 1000 x 1% + 1000 x 10% = 110; 0.04 x 110 / 1040 = 0.00423
-- s2 first: its 20 lots, then 2 of s1's 5.  A flat rate (MM proportional
-- to notional, the score before) ranks s1 first: 0.25 x 500 / 1250 = 0.1
-- against 0.04 x 2000 / 1040 = 0.077 (x the rate): s1's 5, then 17 of s2's.
-- l1 long 3 at 100 nets the market.
local USDT = 1000000
local bmarkets = { { "BTC", 100 * USDT } }
local bracketed_accounts = { { "a", 0 }, { "l1", 1000 * USDT }, { "s1", 1000 * USDT }, { "s2", 1000 * USDT } }
local bracketed_positions = { { "a", "BTC", 22, 110 * USDT }, { "l1", "BTC", 3, 100 * USDT },
                              { "s1", "BTC", -5, 150 * USDT }, { "s2", "BTC", -20, 102 * USDT } }
local two_brackets = { { upto = 1000 * USDT, rate = 100 }, { rate = 1000 } }
-- Under one unit: a flat 0.4% (MM = 0.4 USDT a lot).  a long 1 at 100.5,
-- balance 0: equity -0.5 USDT, d = 0.5, bankruptcy price 100.5.
--   p short 1 at 101: upnl 1, wallet 0.5 (under one USDT: counts as 1),
--     equity 1.5: 1 / 1 x 0.4 / 1.5 = 0.2667
--   q short 1 at 103: upnl 3, wallet 1, equity 4: 3 / 1 x 0.4 / 4 = 0.3
-- q first and alone closes a's lot.  The floor of one atom would count p's
-- wallet as 0.5: 1 / 0.5 x 0.4 / 1.5 = 0.5333, p first.
local floor_accounts = { { "a", 0 }, { "l1", 1000 * USDT }, { "p", USDT // 2 }, { "q", USDT } }
local floor_positions = { { "a", "BTC", 1, 100 * USDT + USDT // 2 }, { "l1", "BTC", 1, 100 * USDT },
                          { "p", "BTC", -1, 101 * USDT }, { "q", "BTC", -1, 103 * USDT } }
local flat = { { rate = 40 } }

return {
  policy = "adl.lua",
  cases = {
    {
      -- by pnl: s1 80, s2 30, s3 10; 8 lots: 4 + 3 + 1 (the last partly).
      name = "whole positions first, the last one partly",
      markets = markets, accounts = accounts, positions = positions, events = shock, account = "a",
      params = { fund_first = false, score = "pnl" },
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "s1", "BTC", 4, 100 }, { "s2", "BTC", 3, 100 }, { "s3", "BTC", 1, 100 } } },
    },
    {
      -- the fund's 50 leaves R = 30: ceil(30 x 8 / 80) = 3 lots; the fund
      -- takes the other 5 at mark and pays the remaining 50.
      name = "fund first: the fewest lots that cover what the fund cannot",
      markets = markets, accounts = accounts, positions = positions,
      events = { { type = "market", market = "BTC", mark = 90 }, { type = "fund", amount = 50 } },
      account = "a", params = { score = "pnl" },
      expect = { fund_draw = 50, bad_debt = 0, deleveraged = { { "s1", "BTC", 3, 100 } },
                 takeovers = { { "BTC", 5, 90 } } },
    },
    {
      -- equal scores: s2 and s3 both 30 in profit; the tie goes to s2.
      name = "a tie in score goes to the lower id",
      markets = markets,
      accounts = { { "a", 0 }, { "s2", 1000 }, { "s3", 1000 } },
      positions = { { "a", "BTC", 4, 100 }, { "s2", "BTC", -3, 100 }, { "s3", "BTC", -1, 120 } },
      events = { { type = "market", market = "BTC", mark = 90 } },
      account = "a", params = { fund_first = false, score = "pnl" },
      expect = { deleveraged = { { "s2", "BTC", 3, 100 }, { "s3", "BTC", 1, 100 } } },
    },
    {
      -- 201 short over two markets of notional 900 each: d = 101 / 100,
      -- prices shown 90 + trunc(101 / 10) = 100 and 45 + 100 / 20 = 50; the
      -- transfers are exact, 101 x 10 / 10 = 101 and 100 x 20 / 20 = 100, so
      -- no atom is lost: bad debt 0 (b and c each bear all their lots:
      -- floor(1100 x 10 / 101) = 108, floor(1100 x 20 / 100) = 220).
      name = "two markets: bankruptcy prices by notional",
      markets = { { "BTC", 100 }, { "ETH", 50 } },
      accounts = { { "a", -1 }, { "b", 1000 }, { "c", 1000 } },
      positions = { { "a", "BTC", 10, 100 }, { "a", "ETH", 20, 50 }, { "b", "BTC", -10, 100 }, { "c", "ETH", -20, 50 } },
      events = { { type = "market", market = "BTC", mark = 90 }, { type = "market", market = "ETH", mark = 45 } },
      account = "a", params = { fund_first = false },
      expect = { bad_debt = 0, deleveraged = { { "b", "BTC", 10, 100 }, { "c", "ETH", 20, 50 } } },
    },
    {
      -- s1 (pnl 80, first in the queue) is at equity -580 + 80 = -500: it
      -- bears no lot and is skipped.  s2 (equity 1000 + 30 = 1030) bears
      -- floor(1030 x 8 / 80) = 103 lots, takes its 3; s3 (1000 + 10) its 2.
      -- 5 lots at 100 move 5 x 10 = 50 (80 x 5 / 8 = 50 exactly); the fund
      -- takes the other 3 at mark 90: a realizes 3 x (90 - 100) = -30, and
      -- the empty fund leaves 30 of bad debt.
      name = "a holder already below zero is skipped",
      markets = markets,
      accounts = { { "a", 0 }, { "s1", -580 }, { "s2", 1000 }, { "s3", 1000 }, { "l1", 1000 } },
      positions = positions, events = shock, account = "a",
      params = { fund_first = false, score = "pnl" },
      expect = { fund_draw = 0, bad_debt = 30, takeovers = { { "BTC", 3, 90 } },
                 deleveraged = { { "s2", "BTC", 3, 100 }, { "s3", "BTC", 2, 100 } } },
    },
    {
      -- s1 is at equity -55 + 80 = 25: a lot costs it 80 / 8 = 10, so it
      -- bears floor(25 x 8 / 80) = 2 of its 4 lots (and ends at 25 - 20 = 5).
      -- s2 takes its 3, s3 its 2: 7 lots move 70; the fund takes the last
      -- lot at mark 90 (-10 for a), bad debt 10.
      name = "a holder closes only the lots it can bear",
      markets = markets,
      accounts = { { "a", 0 }, { "s1", -55 }, { "s2", 1000 }, { "s3", 1000 }, { "l1", 1000 } },
      positions = positions, events = shock, account = "a",
      params = { fund_first = false, score = "pnl" },
      expect = { fund_draw = 0, bad_debt = 10, takeovers = { { "BTC", 1, 90 } },
                 deleveraged = { { "s1", "BTC", 2, 100 }, { "s2", "BTC", 3, 100 }, { "s3", "BTC", 2, 100 } } },
    },
    {
      -- 50 in the fund but at most 20 a deficit: R = 80 - min(50, 20) = 60,
      -- ceil(60 x 8 / 80) = 6 lots: s1 its 4, s2 2 of its 3, moving 60; the
      -- fund takes the other 2 at mark (-20 for a) and pays those 20.
      name = "fund first, under the per-deficit draw cap",
      markets = markets, accounts = accounts, positions = positions,
      events = { { type = "market", market = "BTC", mark = 90 }, { type = "fund", amount = 50 } },
      fund_max_draw = 20, account = "a", params = { score = "pnl" },
      expect = { fund_draw = 20, bad_debt = 0, takeovers = { { "BTC", 2, 90 } },
                 deleveraged = { { "s1", "BTC", 4, 100 }, { "s2", "BTC", 2, 100 } } },
    },
    {
      -- a is 200 short over two markets of notional 900 each: d = 100 in
      -- each, 10 a lot in BTC (10 lots), 5 a lot in ETH (20 lots).  b, short
      -- in both (upnl 100 + 100, balance -50: equity 150), is b in both
      -- queues: in BTC it bears floor(150 x 10 / 100) = 15, closes its 10
      -- (cost 100); in ETH what is left of its equity, 50, bears
      -- floor(50 x 20 / 100) = 10 of its 20 lots (cost 50; b ends at 0).
      -- The fund takes the other 10 ETH at mark 45: -50 for a, bad debt 50.
      name = "a holder in two queues bears both closes together",
      markets = { { "BTC", 100 }, { "ETH", 50 } },
      accounts = { { "a", 0 }, { "b", -50 } },
      positions = { { "a", "BTC", 10, 100 }, { "a", "ETH", 20, 50 },
                    { "b", "BTC", -10, 100 }, { "b", "ETH", -20, 50 } },
      events = { { type = "market", market = "BTC", mark = 90 }, { type = "market", market = "ETH", mark = 45 } },
      account = "a", params = { fund_first = false, score = "pnl" },
      expect = { fund_draw = 0, bad_debt = 50, takeovers = { { "ETH", 10, 45 } },
                 deleveraged = { { "b", "BTC", 10, 100 }, { "b", "ETH", 10, 50 } } },
    },
    {
      name = "binance: notional brackets decide (s2's 10% tier ranks it above s1)",
      markets = bmarkets, accounts = bracketed_accounts, positions = bracketed_positions, account = "a",
      params = { score = "binance", brackets = two_brackets },
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "s2", "BTC", 20, 110 * USDT }, { "s1", "BTC", 2, 110 * USDT } } },
    },
    {
      name = "binance: the same ledger under a flat rate ranks s1 first",
      markets = bmarkets, accounts = bracketed_accounts, positions = bracketed_positions, account = "a",
      params = { score = "binance", brackets = { { rate = 100 } } },
      expect = { deleveraged = { { "s1", "BTC", 5, 110 * USDT }, { "s2", "BTC", 17, 110 * USDT } } },
    },
    {
      name = "binance: brackets by market id",
      markets = bmarkets, accounts = bracketed_accounts, positions = bracketed_positions, account = "a",
      params = { score = "binance", brackets = { BTC = two_brackets } },
      expect = { deleveraged = { { "s2", "BTC", 20, 110 * USDT }, { "s1", "BTC", 2, 110 * USDT } } },
    },
    {
      name = "binance: a wallet under one unit counts as one unit (q before p)",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { score = "binance", brackets = flat },
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "q", "BTC", 1, 100 * USDT + USDT // 2 } } },
    },
    {
      -- with a unit of one atom, Binance's floor is the old one: p first
      name = "binance: with unit = 1 atom the half-unit wallet ranks first",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { score = "binance", brackets = flat, unit = 1 },
      expect = { deleveraged = { { "p", "BTC", 1, 100 * USDT + USDT // 2 } } },
    },
    {
      name = "binance: brackets whose last tier has an upto are refused",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { score = "binance", brackets = { { upto = 1000, rate = 40 } } },
      expect = { status = "failed",
                 error = "brackets: the last tier must have no upto (the notional above it still needs margin)" },
    },
    {
      name = "binance: no brackets for the market is refused",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { score = "binance", brackets = { ETH = flat } },
      expect = { status = "failed",
                 error = "brackets must be a list of tiers {upto =, rate =} or a table of them by market, none for 'BTC'" },
    },
    {
      name = "binance: a unit of 0 is refused",
      markets = bmarkets, accounts = floor_accounts, positions = floor_positions, account = "a",
      params = { score = "binance", unit = 0 },
      expect = { status = "failed",
                 error = "adl_score: the wallet floor must be an integer >= 1 (the atoms of one unit of the asset)" },
    },
    {
      name = "an unknown score is the policy's error",
      markets = markets, accounts = accounts, positions = positions, events = shock, account = "a",
      params = { score = "vibes" },
      expect = { status = "failed", error = "score must be 'bitmex', 'binance', 'hyperliquid' or 'pnl', not 'vibes'" },
    },
  },
}
