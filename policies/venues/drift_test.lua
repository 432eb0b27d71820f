-- drift.lua against Drift v2's unit-test vectors (run: socloss test policies/venues/drift_test.lua).
--
-- Units, as Drift counts them: an atom is 10^-6 USDC (QUOTE_PRECISION) and a
-- lot 10^-9 of the coin (BASE_PRECISION = AMM_RESERVE_PRECISION), so Drift's
-- base amounts are lots as they are.  Prices: 1 atom a lot is $1,000 a
-- coin; the markets below move from 1 to 2 ($2,000).
--
-- The perp ledger of TV-DRIFT-1: the bankrupt account a is short 3 x 10^9
-- lots (3 coins) from 1, balance 2,900,000,000: at mark 2 its equity is
-- 2.9e9 - 3e9 = -100,000,000 (-$100, Drift's loss "-100 x QUOTE_PRECISION").
-- The fund, empty, takes a's short at mark; the shortfall is 100,000,000.
-- Open base: L long 7 x 10^9 (Drift's base_asset_amount_long), S short
-- 4 x 10^9 (base_asset_amount_short).
local perp_markets = { { "SOL", 1 } }
local function perp_ledger(s_balance)
  return {
    markets = perp_markets,
    accounts = { { "L", 0 }, { "S", s_balance }, { "a", 2900000000 } },
    positions = { { "a", "SOL", -3000000000, 1 }, { "L", "SOL", 7000000000, 1 }, { "S", "SOL", -4000000000, 1 } },
    events = { { type = "market", market = "SOL", mark = 2 } },
    account = "a",
  }
end
-- The spot ledger of TV-DRIFT-2: a borrowed 11 USDC it cannot repay (balance
-- -11,000,000, no position); deposits 120 USDC in all: d1 80 x 10^6, d2
-- 40 x 10^6; z deposits nothing.
local function spot_ledger(d1, d2)
  return {
    markets = {},
    accounts = { { "a", -11000000 }, { "d1", d1 }, { "d2", d2 }, { "z", 0 } },
    positions = {},
    account = "a",
  }
end
local function case(name, base, params, expect)
  base.name, base.params, base.expect = name, params, expect
  return base
end

return {
  policy = "drift.lua",
  cases = {
    case("TV-DRIFT-1: $100 over 7 long + 4 short coins, trimmed to the atom",
      -- Drift (math/liquidation/tests.rs, calculate_funding_rate_deltas_to_
      -- resolve_bankruptcy, total_base_asset_amount_not_zero): delta =
      -- ceil(100,000,000 x 10^9 / (7 x 10^9 + 4 x 10^9)) = ceil(9,090,909.09)
      -- = 9,090,910 atoms per coin; Drift's cumulative_funding_rate_delta
      -- = 9,090,910 x 1000 = 9,090,910,000.  Drift then charges
      -- floor(9,090,910 x 7) = 63,636,370 to L and 36,363,640 to S:
      -- 100,000,010, ten atoms over the loss.  Trimmed: 100,000,000 x 7 / 11
      -- = 63,636,363.6 and x 4 / 11 = 36,363,636.4; floors 63,636,363 +
      -- 36,363,636 leave 1 atom, to the larger remainder (.6): L 63,636,364,
      -- S 36,363,636 — each at most Drift's figure.
      perp_ledger(5000000000), nil,
      { fund_draw = 0, bad_debt = 0, takeovers = { { "SOL", -3000000000, 2 } },
        haircuts = { { "L", 63636364 }, { "S", 36363636 } } }),
    case("TV-DRIFT-1, rounding 'drift': Drift's own 100,000,010, which the host refuses",
      -- Drift's payments as they are: 63,636,370 + 36,363,640 = 100,000,010.
      perp_ledger(5000000000), { rounding = "drift" },
      { status = "failed", error = "haircut action 2: the haircuts add up to 100000010, more than the shortfall 100000000" }),
    case("derived: S's equity below its share; what it cannot bear is bad debt",
      -- S's balance 4,010,000,000: equity 4.01e9 - 4e9 = 10,000,000 < its
      -- share.  waterfill(7e9, 4e9; caps min(Drift, equity) = 63,636,370 and
      -- 10,000,000; 100,000,000): S's cap binds (10,000,000 x 11e9 <=
      -- 100,000,000 x 4e9), 90,000,000 left for L, capped at Drift's
      -- 63,636,370; 26,363,630 is bad debt.
      perp_ledger(4010000000), nil,
      { fund_draw = 0, bad_debt = 26363630, haircuts = { { "L", 63636370 }, { "S", 10000000 } } }),
    case("derived: the fund pays first (Drift's insurance payment), the rest socialized",
      -- the fund's 45,000,000 leaves 55,000,000: delta ceil(55e6 x 10^9 /
      -- 11e9) = 5,000,000 exactly, L 35,000,000, S 20,000,000 (Drift's
      -- figures, no ceil to trim).
      (function() local l = perp_ledger(5000000000)
         l.events[2] = { type = "fund", amount = 45000000 } return l end)(), nil,
      { fund_draw = 45000000, bad_debt = 0, haircuts = { { "L", 35000000 }, { "S", 20000000 } } }),
    {
      -- Derived, two markets: a is short 10 SOL and 10 ETH from 10; SOL goes
      -- to 30, ETH to 20: upnl -200 - 100, balance 200, equity -100.  The
      -- host splits the 100 by notional, 300 : 200: d = 60 in SOL, 40 in
      -- ETH, and so does the policy split the shortfall: 60 over SOL's open
      -- base (L1 long 10: delta ceil(60 x 10^9 / 10) = 6 x 10^9, L1 pays 60),
      -- 40 over ETH's (L2 6 and L3 4: delta 4 x 10^9, 24 and 16).
      name = "derived: two markets, each its share of the loss over its own base",
      markets = { { "ETH", 10 }, { "SOL", 10 } },
      accounts = { { "L1", 0 }, { "L2", 0 }, { "L3", 0 }, { "a", 200 } },
      positions = { { "a", "SOL", -10, 10 }, { "a", "ETH", -10, 10 }, { "L1", "SOL", 10, 10 },
                    { "L2", "ETH", 6, 10 }, { "L3", "ETH", 4, 10 } },
      events = { { type = "market", market = "SOL", mark = 30 }, { type = "market", market = "ETH", mark = 20 } },
      account = "a",
      expect = { fund_draw = 0, bad_debt = 0, takeovers = { { "ETH", -10, 20 }, { "SOL", -10, 30 } },
                 haircuts = { { "L1", 60 }, { "L2", 24 }, { "L3", 16 } } },
    },
    {
      -- The same with precision 9 x 10^18: the delta 60 x 9 x 10^18 / 10 is
      -- beyond int64, the charges the exact shares: the same 60, 24, 16.
      name = "derived: a delta beyond int64: the exact shares, capped by equity only",
      markets = { { "ETH", 10 }, { "SOL", 10 } },
      accounts = { { "L1", 0 }, { "L2", 0 }, { "L3", 0 }, { "a", 200 } },
      positions = { { "a", "SOL", -10, 10 }, { "a", "ETH", -10, 10 }, { "L1", "SOL", 10, 10 },
                    { "L2", "ETH", 6, 10 }, { "L3", "ETH", 4, 10 } },
      events = { { type = "market", market = "SOL", mark = 30 }, { type = "market", market = "ETH", mark = 20 } },
      account = "a", params = { precision = 9000000000000000000 },
      expect = { bad_debt = 0, haircuts = { { "L1", 60 }, { "L2", 24 }, { "L3", 16 } } },
    },
    case("TV-DRIFT-2: 11 USDC over 120 of deposits, trimmed",
      -- Drift (calculate_cumulative_deposit_interest_delta_to_resolve_
      -- bankruptcy, non_zero_total_deposits): delta = ceil(10^10 x
      -- 11,000,000 / 120,000,000) = ceil(916,666,666.7) = 916,666,667; the
      -- index falls to 9,083,333,333.  d1's 80,000,000 becomes
      -- floor(80e6 x 9,083,333,333 / 10^10) = 72,666,666 (Drift takes
      -- 7,333,334), d2's 40,000,000 becomes 36,333,333 (3,666,667):
      -- 11,000,001, one atom over.  Trimmed: 11e6 x 80/120 = 7,333,333.3 and
      -- x 40/120 = 3,666,666.7; floors leave 1 atom, to d2 (.7): 7,333,333
      -- and 3,666,667.
      spot_ledger(80000000, 40000000), { book = "spot" },
      { fund_draw = 0, bad_debt = 0, haircuts = { { "d1", 7333333 }, { "d2", 3666667 } } }),
    case("TV-DRIFT-2, rounding 'drift': Drift's 11,000,001, refused by the host",
      spot_ledger(80000000, 40000000), { book = "spot", rounding = "drift" },
      { status = "failed", error = "haircut action 2: the haircuts add up to 11000001, more than the shortfall 11000000" }),
    case("TV-DRIFT-2, one depositor of 120 USDC: Drift takes 11,000,001, the host 11,000,000",
      -- floor(120e6 x 9,083,333,333 / 10^10) = 108,999,999: Drift's cut is
      -- 11,000,001; trimmed to the shortfall.
      spot_ledger(120000000, 0), { book = "spot" },
      { bad_debt = 0, haircuts = { { "d1", 11000000 } } }),
    case("T-D3: no deposits, delta 0: nothing socialized, all bad debt",
      spot_ledger(0, 0), { book = "spot" },
      { fund_draw = 0, bad_debt = 11000000, haircuts = {} }),
    case("a hole without a perp position cannot be socialized over a market",
      spot_ledger(80000000, 40000000), nil,
      { status = "failed", error = "drift: the bankrupt accounts hold no perp position: no market to socialize the loss over (book 'spot' charges the depositors)" }),
    case("an unknown book is refused", perp_ledger(5000000000), { book = "options" },
      { status = "failed", error = "book must be 'perp' or 'spot', not 'options'" }),
    case("an unknown rounding is refused", perp_ledger(5000000000), { rounding = "up" },
      { status = "failed", error = "rounding must be 'trimmed' or 'drift', not 'up'" }),
    case("precision 0 is refused", perp_ledger(5000000000), { precision = 0 },
      { status = "failed", error = "precision must be an integer > 0, not 0" }),
  },
}
