-- Worked examples for tiered.lua (run: socloss test policies/tiered_test.lua).
return {
  policy = "tiered.lua",
  cases = {
    {
      -- profits 800 (all at 10%) and 3000 (1000 at 10% + 2000 at 20%) weigh
      -- 80 and 500; 580 short: exactly 80 and 500.
      name = "brackets: a larger profit pays a higher rate",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -580 }, { "b", 10000 }, { "c", 10000 } },
      positions = { { "a", "BTC", 38, 100 }, { "b", "BTC", -8, 200 }, { "c", "BTC", -30, 200 } },
      account = "a",
      params = { tiers = { { upto = 1000, rate = 1000 }, { rate = 2000 } } },
      expect = { bad_debt = 0, haircuts = { { "b", 80 }, { "c", 500 } } },
    },
    {
      -- the same weights 80 : 500 scaled to 58: 8 and 50.
      name = "rates scale to meet the shortfall exactly",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -58 }, { "b", 10000 }, { "c", 10000 } },
      positions = { { "a", "BTC", 38, 100 }, { "b", "BTC", -8, 200 }, { "c", "BTC", -30, 200 } },
      account = "a",
      params = { tiers = { { upto = 1000, rate = 1000 }, { rate = 2000 } } },
      expect = { bad_debt = 0, haircuts = { { "b", 8 }, { "c", 50 } } },
    },
    {
      -- weights 80 and 500 but c's equity caps it at 100: c pays 100, b the
      -- rest up to its cap of 800... 580 - 100 = 480 from b.
      name = "a cap binds: the rest falls on the others",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -580 }, { "b", 10000 }, { "c", -2900 } },
      positions = { { "a", "BTC", 38, 100 }, { "b", "BTC", -8, 200 }, { "c", "BTC", -30, 200 } },
      account = "a",
      params = { tiers = { { upto = 1000, rate = 1000 }, { rate = 2000 } } },
      expect = { bad_debt = 0, haircuts = { { "b", 480 }, { "c", 100 } } },
    },
    {
      name = "a tier without a rate is refused by the helper",
      markets = { { "BTC", 100 } },
      accounts = { { "a", -580 }, { "b", 10000 }, { "c", 10000 } },
      positions = { { "a", "BTC", 38, 100 }, { "b", "BTC", -8, 200 }, { "c", "BTC", -30, 200 } },
      account = "a",
      params = { tiers = { { upto = 1000 } } },
      expect = { status = "failed", error = "rate must be an integer 0..10000 (basis points)" },
    },
  },
}
