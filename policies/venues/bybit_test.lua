-- bybit.lua's cases (socloss test policies/venues/bybit_test.lua).  All
-- derived: Bybit's numeric ranking could not be confirmed (see bybit.lua's
-- header); these check the rule as the policy reads Bybit's words.
-- Units: 1 USD = 1,000,000 atoms; 1 lot = 1 contract; prices in atoms per lot.
local USD = 1000000

-- Mark 100.  The bankrupt x is short 10 at 90 with balance 50: equity -50,
-- d = 50 over 10 lots (5 a lot), bankruptcy price 95.  Longs:
--   P1 4 at 50, balance 200: PnL% (100 - 50) / 50 = 1, equity 400,
--      leverage 400 / 400 = 1: ranking 1
--   P2 3 at 80, balance -30: PnL% 20 / 80 = 0.25, equity 30, leverage
--      300 / 30 = 10: ranking 2.5
--   Q  8 at 125, balance 300: PnL% -25 / 125 = -0.2, equity 100 (a loser)
-- s short 5 at 100 nets the market.  Profitable only: P2's 3 (it bears
-- 30 / 5 = 6), P1's 4: 7 lots, moving 15 and 20 USD; Q is not selected, so
-- the last 3 lots go to the (empty) fund at mark: 3 x 5 = 15 USD bad debt.
local markets = { { "BTCUSDT", 100 * USD } }
local accounts = { { "P1", 200 * USD }, { "P2", -30 * USD }, { "Q", 300 * USD }, { "s", 1000 * USD },
                   { "x", 50 * USD } }
local positions = { { "P1", "BTCUSDT", 4, 50 * USD }, { "P2", "BTCUSDT", 3, 80 * USD },
                    { "Q", "BTCUSDT", 8, 125 * USD }, { "s", "BTCUSDT", -5, 100 * USD },
                    { "x", "BTCUSDT", -10, 90 * USD } }

return {
  policy = "bybit.lua",
  cases = {
    {
      name = "derived: profitable opposite positions by PnL% x leverage; a loser is not selected",
      markets = markets, accounts = accounts, positions = positions, account = "x",
      expect = { fund_draw = 0, bad_debt = 15 * USD, takeovers = { { "BTCUSDT", -3, 100 * USD } },
                 deleveraged = { { "P2", "BTCUSDT", 3, 95 * USD }, { "P1", "BTCUSDT", 4, 95 * USD } },
                 transfers = { 15 * USD, 20 * USD } },
    },
    {
      -- profit_only = false: Q queues after the winners (-0.2 / 8 = -0.025)
      -- and closes the last 3 lots (it bears 100 / 5 = 20): no bad debt.
      name = "derived: with profit_only = false the loser closes the rest",
      markets = markets, accounts = accounts, positions = positions, account = "x",
      params = { profit_only = false },
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "P2", "BTCUSDT", 3, 95 * USD }, { "P1", "BTCUSDT", 4, 95 * USD },
                                 { "Q", "BTCUSDT", 3, 95 * USD } } },
    },
    {
      -- 20 USD in the fund: R = 30, ceil(30 x 10 / 50) = 6 lots: P2's 3, 3
      -- of P1's 4; the fund takes the other 4 at mark and pays 20.
      name = "derived: fund first",
      markets = markets, accounts = accounts, positions = positions, account = "x",
      events = { { type = "fund", amount = 20 * USD } },
      expect = { fund_draw = 20 * USD, bad_debt = 0, takeovers = { { "BTCUSDT", -4, 100 * USD } },
                 deleveraged = { { "P2", "BTCUSDT", 3, 95 * USD }, { "P1", "BTCUSDT", 3, 95 * USD } } },
    },
    {
      name = "a profit_only that is not a boolean is refused",
      markets = markets, accounts = accounts, positions = positions, account = "x", params = { profit_only = 1 },
      expect = { status = "failed", error = "profit_only must be true or false, not 1" },
    },
  },
}
