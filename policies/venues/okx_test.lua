-- okx.lua's cases (socloss test policies/venues/okx_test.lua), as joint
-- crash events (event = {id, mode = "joint"}: every account bankrupt then,
-- one haircut decision for all their holes) unless a case says otherwise.
-- Units: 1 USD = 1,000,000 atoms; 1 lot = 1 contract; prices in atoms per lot.
local USD = 1000000
local joint = { id = "week", mode = "joint" }

-- TV-OKX-2 (https://vidyoda.com/6023.html, a reproduction of OKX's
-- explanation): A and B each deposit $1; price $1 a contract; A is 10x long
-- 10 contracts, B 10x short 10; the index falls to $0.10.  B "should gain
-- $9" but A has only $1: B realizes $1 and the remaining $8 is covered by
-- the fund or clawed back from the profitable.
-- Here: mark 0.10 USD = 100,000 atoms.  A: 1 + 10 x (0.10 - 1) = -8 USD;
-- B: 1 + 9 = 10 USD, net profit 9.  The empty fund takes A's 10 lots at
-- mark; 8 USD to claw back from 9 of profit: rate 8/9, B pays
-- 8/9 x 9,000,000 = 8,000,000 atoms and keeps 10 - 8 = 2 USD: its $1
-- deposit and the $1 it realizes.
local tv2_markets = { { "BTC", 100000 } }
local tv2_accounts = { { "A", USD }, { "B", USD } }
local tv2_positions = { { "A", "BTC", 10, USD }, { "B", "BTC", -10, USD } }

-- The one-rate illustration (derived): a "full account clawback" over two
-- contracts.  Marks BTC 1000, ETH 100 USD.
--   a1 long 1 BTC at 1020, balance 0: -20;  a2 long 1 ETH at 110, balance 0: -10
--   p1 short 1 BTC at 1070 (+70), long 1 ETH at 110 (-10): net profit 60
--   p2 short 1 BTC at 1030: +30;  p3 short 1 ETH at 110: +10
--   p4 long 1 BTC at 990 (+10), short 1 ETH at 80 (-20): net -10, pays nothing
--      though in profit in BTC (a clawback per contract would charge it)
-- Uncovered 20 + 10 = 30 USD over net profits 60 + 30 + 10 = 100: one rate,
-- 30%: p1 18, p2 9, p3 3 USD, credited to the holes 20 and 10 in proportion.
local two_markets = { { "BTC", 1000 * USD }, { "ETH", 100 * USD } }
local two_accounts = { { "a1", 0 }, { "a2", 0 }, { "p1", 100 * USD }, { "p2", 100 * USD }, { "p3", 100 * USD },
                       { "p4", 100 * USD } }
local two_positions = {
  { "a1", "BTC", 1, 1020 * USD }, { "a2", "ETH", 1, 110 * USD },
  { "p1", "BTC", -1, 1070 * USD }, { "p1", "ETH", 1, 110 * USD }, { "p2", "BTC", -1, 1030 * USD },
  { "p3", "ETH", -1, 110 * USD }, { "p4", "BTC", 1, 990 * USD }, { "p4", "ETH", -1, 80 * USD },
}

return {
  policy = "okx.lua",
  cases = {
    {
      name = "TV-OKX-2: B should gain $9, A has $1: the other $8 clawed back from B (B realizes $1)",
      markets = tv2_markets, accounts = tv2_accounts, positions = tv2_positions, event = joint,
      expect = { resolved = 1, fund_draw = 0, bad_debt = 0, charged = 8 * USD,
                 haircuts = { { "B", 8 * USD } }, takeovers = { { "BTC", 10, 100000 } }, deleveraged = {} },
    },
    {
      -- TV-OKX-2 with 5 USD in the fund: it pays 5 of the 8 first; 3 left
      -- over B's 9: rate 1/3, B pays 3,000,000.
      name = "TV-OKX-2 with a fund of $5: the clawback takes only the $3 left",
      markets = tv2_markets, accounts = tv2_accounts, positions = tv2_positions, event = joint,
      events = { { type = "fund", amount = 5 * USD } },
      expect = { fund_draw = 5 * USD, bad_debt = 0, haircuts = { { "B", 3 * USD } } },
    },
    {
      name = "derived: one rate (30%) on every account's net profit over two contracts; net losers pay nothing",
      markets = two_markets, accounts = two_accounts, positions = two_positions, event = joint,
      expect = { resolved = 2, fund_draw = 0, bad_debt = 0, charged = 30 * USD,
                 haircuts = { { "p1", 18 * USD }, { "p2", 9 * USD }, { "p3", 3 * USD } },
                 takeovers = { { "BTC", 1, 1000 * USD }, { "ETH", 1, 100 * USD } } },
    },
    {
      -- the same as a sequential event: a1's 20 first, over 100 of profit:
      -- 20% (p1 12, p2 6, p3 2); a2's 10 then over what is left, 48 + 24 +
      -- 8 = 80: 12.5% (p1 6, p2 3, p3 1).  Two rates; the same totals here
      -- because each haircut comes out of the profit the next one sees.
      name = "derived: the same as a sequential event, two rates (20%, then 12.5%)",
      markets = two_markets, accounts = two_accounts, positions = two_positions, event = { id = "week" },
      expect = { resolved = 2, bad_debt = 0, charged = 30 * USD,
                 haircuts = { { "p1", 12 * USD }, { "p2", 6 * USD }, { "p3", 2 * USD },
                              { "p1", 6 * USD }, { "p2", 3 * USD }, { "p3", 1 * USD } } },
    },
    {
      -- A long 10 at 1 USD with balance -3: equity -3 - 9 = -12; B, short
      -- 10 at 1 with balance 1, has 9 of profit.  A rate over 100% would
      -- touch principal: B pays its 9 (rate 100%), 3 USD is bad debt.
      name = "derived: a loss beyond all net profit takes every profit, the rest is bad debt",
      markets = tv2_markets, accounts = { { "A", -3 * USD }, { "B", USD } }, positions = tv2_positions,
      event = joint,
      expect = { fund_draw = 0, bad_debt = 3 * USD, charged = 9 * USD, haircuts = { { "B", 9 * USD } } },
    },
    {
      -- B's balance -8.5 USD: profit 9, equity 0.5.  Its 8/9 share, 8 USD, is
      -- capped at its equity, 500,000 atoms; the one rate is kept (nobody
      -- else in profit, and nothing is spread): 7.5 USD is bad debt.
      name = "derived: a share past the account's equity is capped there, not spread",
      markets = tv2_markets, accounts = { { "A", USD }, { "B", -8500000 } }, positions = tv2_positions,
      event = joint,
      expect = { bad_debt = 7500000, haircuts = { { "B", 500000 } } },
    },
    {
      -- atoms: mark 1 -> three shorts of 1 lot entered at 2 (profit 1 each),
      -- a long 3 at 2 with balance 1: equity 1 - 3 = -2.  2 atoms over 3 of
      -- profit: floor(2/3) = 0 each, remainders equal: the two odd atoms to
      -- the lower ids.
      name = "derived: the odd atoms by largest remainder, ties to the lower id",
      markets = { { "BTC", 1 } }, accounts = { { "a", 1 }, { "x", 10 }, { "y", 10 }, { "z", 10 } },
      positions = { { "a", "BTC", 3, 2 }, { "x", "BTC", -1, 2 }, { "y", "BTC", -1, 2 }, { "z", "BTC", -1, 2 } },
      event = joint,
      expect = { bad_debt = 0, haircuts = { { "x", 1 }, { "y", 1 } } },
    },
    {
      name = "a lone deficit is refused when require_joint is set",
      markets = tv2_markets, accounts = tv2_accounts, positions = tv2_positions, account = "A",
      params = { require_joint = true },
      expect = { status = "failed",
                 error = "one clawback rate is for the whole event: resolve it as a joint event (--joint)" },
    },
    {
      -- (as a sequential event: a failed deficit's cause is in its result;
      -- a joint event's is journaled, its message only counts it)
      name = "a require_joint that is not a boolean is refused",
      markets = tv2_markets, accounts = tv2_accounts, positions = tv2_positions, event = { id = "week" },
      params = { require_joint = "yes" },
      expect = { status = "failed", error = "require_joint must be true or false, not yes" },
    },
    {
      name = "a joint event whose policy fails applies nothing",
      markets = tv2_markets, accounts = tv2_accounts, positions = tv2_positions, event = joint,
      params = { require_joint = "yes" },
      expect = { status = "failed", error = "1 of 1 bankrupt accounts were not resolved" },
    },
  },
}
