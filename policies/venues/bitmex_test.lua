-- bitmex.lua's cases (socloss test policies/venues/bitmex_test.lua).
-- Units: 1 USD = 1,000,000 atoms; 1 lot = 1 contract; prices in atoms per
-- lot (720 USD = 720000000).  A linear contract (see the header).
local USD = 1000000

-- TV-BITMEX-1 (https://www.bitmex.com/app/autoDeleveragingExamples): six
-- longs, (quantity, ranking): 1: (10, 3), 2: (10, 6), 3: (20, 1), 4: (30, 4),
-- 5: (20, 5), 6: (10, 2); a short of 20 is liquidated with bankruptcy price
-- 650 and the fund is empty.  BitMEX: account 2 closes all 10 at 650,
-- account 5 closes 10 of its 20 at 650 and keeps 10; the others nothing.
--
-- The ledger gives each long exactly its published ranking.  Mark 720, every
-- long entered at 360: PnL% = (720 - 360) / 360 = 1 exactly, so the ranking
-- is the leverage, notional / equity = q x 720 / equity; for ranking k the
-- equity is q x 720 / k, the balance that less the upnl q x 360:
--   1: 10 x 720 / 3 = 2400, balance 2400 - 3600 = -1200
--   2: 10 x 720 / 6 = 1200, balance -2400
--   3: 20 x 720 / 1 = 14400, balance 14400 - 7200 = 7200
--   4: 30 x 720 / 4 = 5400, balance 5400 - 10800 = -5400
--   5: 20 x 720 / 5 = 2880, balance 2880 - 7200 = -4320
--   6: 10 x 720 / 2 = 3600, balance 0
-- (every ratio is exact in doubles: 1 x 3.0, ...).  The bankrupt short x:
-- 20 lots entered at 600, balance 1000: equity 1000 - 20 x 120 = -1400, so
-- d = 1400 over 20 lots = 70 a lot and the bankruptcy price 720 - 70 = 650.
-- mm is short 80 at 720 so the market nets to zero (same side as x: not in
-- the queue).  Queue by ranking: 2 (6), 5 (5), 4 (4), 1 (3), 6 (2), 3 (1);
-- 20 lots: 2's 10, then 10 of 5's 20.  Each lot moves 70 USD: 2 bears
-- floor(1200 x 20 / 1400) = 17 lots, 5 bears 41.
local markets = { { "XBT", 720 * USD } }
local tv1_accounts = {
  { "acct-1", -1200 * USD }, { "acct-2", -2400 * USD }, { "acct-3", 7200 * USD }, { "acct-4", -5400 * USD },
  { "acct-5", -4320 * USD }, { "acct-6", 0 }, { "mm", 100000 * USD }, { "x", 1000 * USD },
}
local tv1_positions = {
  { "acct-1", "XBT", 10, 360 * USD }, { "acct-2", "XBT", 10, 360 * USD }, { "acct-3", "XBT", 20, 360 * USD },
  { "acct-4", "XBT", 30, 360 * USD }, { "acct-5", "XBT", 20, 360 * USD }, { "acct-6", "XBT", 10, 360 * USD },
  { "mm", "XBT", -80, 720 * USD }, { "x", "XBT", -20, 600 * USD },
}

return {
  policy = "bitmex.lua",
  cases = {
    {
      name = "TV-BITMEX-1: the queue 2, 5, ... and the partial last fill (5 closes 10 of 20) at 650",
      markets = markets, accounts = tv1_accounts, positions = tv1_positions, account = "x",
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "acct-2", "XBT", 10, 650 * USD }, { "acct-5", "XBT", 10, 650 * USD } } },
    },
    {
      -- derived (fund first): the same ledger with 700 USD in the fund (takeover
      -- sizes are the bankrupt side's lots, signed: x was short).
      -- R = 1400 - 700 = 700, ceil(700 x 20 / 1400) = 10 lots: account 2's
      -- 10 (moving 700); the fund takes x's other 10 lots at mark 720 and
      -- pays the 700 left.
      name = "derived: fund first, ADL only what the fund cannot pay",
      markets = markets, accounts = tv1_accounts, positions = tv1_positions, account = "x",
      events = { { type = "fund", amount = 700 * USD } },
      expect = { fund_draw = 700 * USD, bad_debt = 0, takeovers = { { "XBT", -10, 720 * USD } },
                 deleveraged = { { "acct-2", "XBT", 10, 650 * USD } } },
    },
    {
      -- derived (losers queue last, divided by leverage): mark 720, x as
      -- above; two longs entered at 800, each PnL% = -80 / 800 = -0.1.
      -- l1: equity 3600 (balance 3600 + 800), leverage 7200 / 3600 = 2,
      -- ranking -0.1 / 2 = -0.05; l2: equity 720 (balance 1520), leverage
      -- 10, ranking -0.01: l2 first (multiplying would have put it last).
      -- l2 bears floor(720 x 20 / 1400) = 10 lots, all of its 10.
      name = "derived: a losing position ranks by PnL% / leverage, the more levered first",
      markets = markets,
      accounts = { { "l1", 4400 * USD }, { "l2", 1520 * USD }, { "x", 1000 * USD } },
      positions = { { "l1", "XBT", 10, 800 * USD }, { "l2", "XBT", 10, 800 * USD }, { "x", "XBT", -20, 600 * USD } },
      account = "x",
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "l2", "XBT", 10, 650 * USD }, { "l1", "XBT", 10, 650 * USD } } },
    },
    {
      -- derived (a holder that cannot bear its whole close): h long 10 at
      -- 360 with equity 360 (balance 360 - 3600 = -3240): PnL% 1 x leverage
      -- 7200 / 360 = 20, first; g long 10 at 360, equity 3600: 2.  A lot
      -- costs 70: h bears floor(360 x 20 / 1400) = 5 (BitMEX would close its
      -- 10 and leave it at 360 - 700 < 0; socloss never makes a bankruptcy),
      -- g its 10.  The fund (empty) takes the last 5 at mark; 5 x 70 = 350
      -- USD is bad debt.
      name = "derived: the top holder closes only the lots its equity bears",
      markets = markets,
      accounts = { { "g", 0 }, { "h", -3240 * USD }, { "x", 1000 * USD } },
      positions = { { "g", "XBT", 10, 360 * USD }, { "h", "XBT", 10, 360 * USD }, { "x", "XBT", -20, 600 * USD } },
      account = "x",
      expect = { fund_draw = 0, bad_debt = 350 * USD, takeovers = { { "XBT", -5, 720 * USD } },
                 deleveraged = { { "h", "XBT", 5, 650 * USD }, { "g", "XBT", 10, 650 * USD } } },
    },
    {
      -- derived (nobody to close against): the only long, k, entered at
      -- 760 with balance 0, is itself at equity 20 x (720 - 760) = -800:
      -- it bears nothing.  The fund takes all 20 lots at mark; its 0 cash
      -- pays nothing: x's 1400 is bad debt.
      name = "derived: a queue of holders below zero closes nothing",
      markets = markets,
      accounts = { { "k", 0 }, { "x", 1000 * USD } },
      positions = { { "k", "XBT", 20, 760 * USD }, { "x", "XBT", -20, 600 * USD } },
      account = "x",
      expect = { fund_draw = 0, bad_debt = 1400 * USD, takeovers = { { "XBT", -20, 720 * USD } }, deleveraged = {} },
    },
    {
      name = "a fund_first that is not a boolean is refused",
      markets = markets, accounts = tv1_accounts, positions = tv1_positions, account = "x",
      params = { fund_first = "yes" },
      expect = { status = "failed", error = "raised an error in deleverage: bitmex.lua:65: fund_first must be true or false, not yes" },
    },
  },
}
