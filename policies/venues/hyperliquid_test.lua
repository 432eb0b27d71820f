-- hyperliquid.lua's cases (socloss test policies/venues/hyperliquid_test.lua).
-- All derived: Hyperliquid publishes the index, not a worked example.
-- Units: 1 USD = 1,000,000 atoms; 1 lot = 1 coin; prices in atoms per lot.
-- Index = (mark / entry) x notional / account value for a long (entry /
-- mark for a short: see the header), highest first.
local USD = 1000000

-- Mark 100.  The underwater x is short 10 at 90 with balance 50: equity
-- 50 - 10 x 10 = -50, d = 50 over 10 lots (5 a lot), bankruptcy price 95.
--   L1 long 4 at 80, balance 320: upnl 80, value 400: 100/80 x 400/400 = 1.25
--   L2 long 5 at 50, balance 0: upnl 250, value 250: 100/50 x 500/250 = 4
--   L3 long 6 at 100, balance 100: upnl 0, value 100: 100/100 x 600/100 = 6
-- (every double exact).  L3 first though it has no profit -- its leverage
-- is the highest (BitMEX's PnL% x leverage would put it last) -- then L2.
-- 10 lots: L3's 6 (bears 100 / 5 = 20), 4 of L2's 5; 5 a lot moved: 30 and
-- 20 USD.  s short 5 at 100 nets the market; dep, a depositor with no
-- position, is never touched.
local markets = { { "HYPE", 100 * USD } }
local accounts = { { "L1", 320 * USD }, { "L2", 0 }, { "L3", 100 * USD }, { "dep", 1000000 * USD },
                   { "s", 1000 * USD }, { "x", 50 * USD } }
local positions = { { "L1", "HYPE", 4, 80 * USD }, { "L2", "HYPE", 5, 50 * USD }, { "L3", "HYPE", 6, 100 * USD },
                    { "s", "HYPE", -5, 100 * USD }, { "x", "HYPE", -10, 90 * USD } }

return {
  policy = "hyperliquid.lua",
  cases = {
    {
      name = "derived: the index (mark / entry) x leverage puts the most levered long first; closed at the bankruptcy price",
      markets = markets, accounts = accounts, positions = positions, account = "x",
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "L3", "HYPE", 6, 95 * USD }, { "L2", "HYPE", 4, 95 * USD } },
                 transfers = { 30 * USD, 20 * USD } },
    },
    {
      -- the underwater x2 is long 10 at 110 with balance 50: -50, 5 a lot,
      -- bankruptcy price 105.  S1 short 4 at 200, balance 0: value 400,
      -- leverage 400/400 = 1, entry / mark = 2: index 2.  S2 short 6 at 100,
      -- balance 400: value 400, leverage 600/400 = 1.5, entry / mark = 1:
      -- index 1.5.  S1's 4, then S2's 6.  (Read literally, mark / entry
      -- would give S1 0.5 and S2 1.5: S2 first.)
      name = "derived: shorts ranked by entry / mark x leverage (the profitable short first)",
      markets = markets,
      accounts = { { "S1", 0 }, { "S2", 400 * USD }, { "x2", 50 * USD } },
      positions = { { "S1", "HYPE", -4, 200 * USD }, { "S2", "HYPE", -6, 100 * USD }, { "x2", "HYPE", 10, 110 * USD } },
      account = "x2",
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "S1", "HYPE", 4, 105 * USD }, { "S2", "HYPE", 6, 105 * USD } },
                 transfers = { 20 * USD, 30 * USD } },
    },
    {
      -- fund_first with 30 USD in the fund: R = 50 - 30 = 20, ceil(20 x 10 /
      -- 50) = 4 lots, all L3's (moving 20); the fund takes x's other 6 lots
      -- at mark and pays 30.
      name = "derived: fund_first closes only what the fund cannot pay",
      markets = markets, accounts = accounts, positions = positions, account = "x",
      events = { { type = "fund", amount = 30 * USD } }, params = { fund_first = true },
      expect = { fund_draw = 30 * USD, bad_debt = 0, takeovers = { { "HYPE", -6, 100 * USD } },
                 deleveraged = { { "L3", "HYPE", 4, 95 * USD } }, transfers = { 20 * USD } },
    },
    {
      name = "a fund_first that is not a boolean is refused",
      markets = markets, accounts = accounts, positions = positions, account = "x", params = { fund_first = "no" },
      expect = { status = "failed", error = "fund_first must be true or false, not no" },
    },
  },
}
