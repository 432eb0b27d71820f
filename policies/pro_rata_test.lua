-- Worked examples for pro_rata.lua, computed by hand (run: socloss test policies/pro_rata_test.lua).
-- Amounts in atoms; prices in atoms per lot.
local shocked = { { type = "market", market = "BTC", mark = 80 } }
local positions = { { "a", "BTC", 25, 100 }, { "p", "BTC", -10, 180 }, { "q", "BTC", -10, 180 }, { "r", "BTC", -5, 180 } }

return {
  policy = "pro_rata.lua",
  cases = {
    {
      -- a: 44 + 9 x (94 - 100) = -10.  b, c, d each 18 in profit: 10 / 3 =
      -- 3 each, the odd atom to the lowest id.
      name = "rounding dust goes to the lower id",
      markets = { { "BTC", 100 } },
      accounts = { { "a", 44 }, { "b", 1000 }, { "c", 1000 }, { "d", 1000 } },
      positions = { { "a", "BTC", 9, 100 }, { "b", "BTC", -3, 100 }, { "c", "BTC", -3, 100 }, { "d", "BTC", -3, 100 } },
      events = { { type = "market", market = "BTC", mark = 94 } },
      account = "a",
      expect = { fund_draw = 0, bad_debt = 0, haircuts = { { "b", 4 }, { "c", 3 }, { "d", 3 } },
                 takeovers = { { "BTC", 9, 94 } } },
    },
    {
      -- 1500 short; profits p 1000, q 1000, r 500; q's equity is 100: q pays
      -- 100, the rest 1400 splits 2:1, 933.33 / 466.67, the odd atom to r.
      name = "a cap that binds: water-filling",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -1000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 } },
      positions = positions, events = shocked, account = "a",
      expect = { bad_debt = 0, haircuts = { { "p", 933 }, { "q", 100 }, { "r", 467 } } },
    },
    {
      name = "a shortfall larger than all profit: everyone pays its cap",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -5000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 } },
      positions = positions, events = shocked, account = "a",
      expect = { bad_debt = 3900, haircuts = { { "p", 1000 }, { "q", 100 }, { "r", 500 } } },
    },
    {
      name = "nobody in profit: no haircut, all bad debt",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -300 }, { "b", 1000 } },
      positions = { { "a", "BTC", 10, 100 }, { "b", "BTC", -10, 100 } },
      account = "a",
      expect = { fund_draw = 0, bad_debt = 300, haircuts = {} },
    },
    {
      name = "the fund covers part",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -300 }, { "b", 1000 } },
      positions = { { "a", "BTC", 10, 100 }, { "b", "BTC", -10, 100 } },
      events = { { type = "fund", amount = 200 } },
      account = "a",
      expect = { fund_draw = 200, bad_debt = 100 },
    },
    {
      name = "the fund covers all: no haircut",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -1000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 } },
      positions = positions,
      events = { { type = "market", market = "BTC", mark = 80 }, { type = "fund", amount = 2000 } },
      account = "a",
      expect = { fund_draw = 1500, bad_debt = 0, haircuts = {} },
    },
    {
      -- weight "size": p and q hold 10 lots each, r 5: 1500 -> 600 / 600 /
      -- 300; q's cap 100 binds, 1400 splits 2:1 again.
      name = "weight by size of the profitable positions",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -1000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 } },
      positions = positions, events = shocked, account = "a", params = { weight = "size" },
      expect = { bad_debt = 0, haircuts = { { "p", 933 }, { "q", 100 }, { "r", 467 } } },
    },
    {
      name = "an unknown weight is the policy's error",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -1000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 } },
      positions = positions, events = shocked, account = "a", params = { weight = "height" },
      expect = { status = "failed", error = "weight must be 'profit', 'size' or 'notional', not 'height'" },
    },
  },
}
