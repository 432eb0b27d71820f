-- Worked examples for adl.lua (run: socloss test policies/adl_test.lua).
-- a: long 8 at 100, mark 90: 80 short, bankruptcy price 90 + 80 / 8 = 100.
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
      -- the fund's 50 leaves 30: ceil(30 / |90 - 100|) = 3 lots; the fund
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
      -- 201 short over two markets of notional 900 each: 101 / 100, prices
      -- 90 + trunc(101 / 10) = 100 and 45 + 100 / 20 = 50; 1 atom of dust.
      name = "two markets: bankruptcy prices by notional",
      markets = { { "BTC", 100 }, { "ETH", 50 } },
      accounts = { { "a", -1 }, { "b", 1000 }, { "c", 1000 } },
      positions = { { "a", "BTC", 10, 100 }, { "a", "ETH", 20, 50 }, { "b", "BTC", -10, 100 }, { "c", "ETH", -20, 50 } },
      events = { { type = "market", market = "BTC", mark = 90 }, { type = "market", market = "ETH", mark = 45 } },
      account = "a", params = { fund_first = false },
      expect = { bad_debt = 1, deleveraged = { { "b", "BTC", 10, 100 }, { "c", "ETH", 20, 50 } } },
    },
    {
      name = "an unknown score is the policy's error",
      markets = markets, accounts = accounts, positions = positions, events = shock, account = "a",
      params = { score = "vibes" },
      expect = { status = "failed", error = "score must be 'bitmex', 'binance', 'hyperliquid' or 'pnl', not 'vibes'" },
    },
  },
}
