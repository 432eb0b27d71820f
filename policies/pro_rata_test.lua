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
      -- Half of each profit in this crash (a lone deficit: profit0 is today's
      -- gross profit over all positions, charged zeros).  BTC 100 -> 80, ETH
      -- 10 -> 410.  a is 1000 + 25 x 80 - 2500 = 1500 short; the fund, empty,
      -- takes its 25 lots at mark: shortfall 1500.
      --   p: BTC profit 1000, ETH long 1 at 10: +400; profit0 1400, equity
      --      4000 + 1400 = 5400; cap min(1000, 5400, 1400 x 5000 / 10000 = 700) = 700
      --   q: profit 1000 = profit0, equity -900 + 1000 = 100; cap min(1000, 100, 500) = 100
      --   r: profit 500 = profit0, equity 5000; cap min(500, 5000, 250) = 250
      --   z: ETH short 1 at 10, -400, no profit: weight 0; d: a depositor, no position
      -- The caps add up to 1050 < 1500: each pays its cap (water-filling
      -- takes q at 100/1000, r at 250/500, p at 700/1000, each cap x W <=
      -- rest x w), 450 is bad debt.  Without event_cap: 933 / 100 / 467.
      name = "event_cap 5000 on a lone deficit: at most half of each profit",
      markets = { { "BTC", 100 }, { "ETH", 10 } },
      accounts = { { "a", -1000 }, { "d", 7000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 }, { "z", 1000 } },
      positions = { { "a", "BTC", 25, 100 }, { "p", "BTC", -10, 180 }, { "q", "BTC", -10, 180 },
                    { "r", "BTC", -5, 180 }, { "p", "ETH", 1, 10 }, { "z", "ETH", -1, 10 } },
      events = { { type = "market", market = "BTC", mark = 80 }, { type = "market", market = "ETH", mark = 410 } },
      account = "a", params = { event_cap = 5000 },
      expect = { fund_draw = 0, bad_debt = 450, haircuts = { { "p", 700 }, { "q", 100 }, { "r", 250 } },
                 takeovers = { { "BTC", 25, 80 } } },
    },
    {
      -- the same ledger without the event cap: the water-filling case above
      name = "event_cap absent: no such cap",
      markets = { { "BTC", 100 }, { "ETH", 10 } },
      accounts = { { "a", -1000 }, { "d", 7000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 }, { "z", 1000 } },
      positions = { { "a", "BTC", 25, 100 }, { "p", "BTC", -10, 180 }, { "q", "BTC", -10, 180 },
                    { "r", "BTC", -5, 180 }, { "p", "ETH", 1, 10 }, { "z", "ETH", -1, 10 } },
      events = { { type = "market", market = "BTC", mark = 80 }, { type = "market", market = "ETH", mark = 410 } },
      account = "a",
      expect = { bad_debt = 0, haircuts = { { "p", 933 }, { "q", 100 }, { "r", 467 } } },
    },
    {
      name = "an event_cap that is not basis points is the policy's error",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -1000 }, { "p", 4000 }, { "q", -900 }, { "r", 4500 } },
      positions = positions, events = shocked, account = "a", params = { event_cap = 10001 },
      expect = { status = "failed",
                 error = "event_cap must be an integer 0..10000 (basis points of profit0), not 10001" },
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
