-- Worked examples for adl.lua (run: socloss test policies/adl_test.lua).
-- a: long 8 at 100, mark 90: 80 short (d = 80 over 8 lots, 10 a lot),
-- bankruptcy price 90 + 80 / 8 = 100.  Shorts at mark 90: s1 4 at 110 (pnl
-- 80), s2 3 at 100 (30), s3 2 at 95 (10).
local markets = { { "BTC", 100 } }
local accounts = { { "a", 0 }, { "s1", 1000 }, { "s2", 1000 }, { "s3", 1000 }, { "l1", 1000 } }
local positions = { { "a", "BTC", 8, 100 }, { "s1", "BTC", -4, 110 }, { "s2", "BTC", -3, 100 },
                    { "s3", "BTC", -2, 95 }, { "l1", "BTC", 1, 100 } }
local shock = { { type = "market", market = "BTC", mark = 90 } }

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
      name = "an unknown score is the policy's error",
      markets = markets, accounts = accounts, positions = positions, events = shock, account = "a",
      params = { score = "vibes" },
      expect = { status = "failed", error = "score must be 'bitmex', 'binance', 'hyperliquid' or 'pnl', not 'vibes'" },
    },
  },
}
