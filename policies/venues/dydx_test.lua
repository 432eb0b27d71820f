-- dydx.lua against dYdX's own figures (run: socloss test policies/venues/dydx_test.lua).
--
-- Units, as dYdX counts them: an atom is one USDC quote quantum (10^-6 USDC)
-- and a BTC lot one base quantum (10^-8 BTC, BTC's atomic resolution -8), so
-- the oracle price $50,000 is 50,000 x 10^6 / 10^8 = 500 atoms a lot and
-- 0.1 BTC is 10,000,000 lots.  dYdX's net collateral NC = USDC + size x
-- oracle; here a position is imported at the oracle price (cost = size x
-- 500, upnl 0), so its balance is dYdX's NC: USDC + size x 500.
-- dYdX's "bankruptcy price in quote quantums" for closing a whole position
-- is its value at the oracle plus the transfer: |size| x 500 + d for a long
-- sold, -(|size| x 500 - d) for a short bought back, d = -NC.
-- The perpetual of dYdX's tests has a 20% initial and 10% maintenance
-- margin (liquidity tier 3): imf_ppm 200000, mmf_ppm 100000.
local margins = { imf_ppm = 200000, mmf_ppm = 100000 }
local btc = { { "BTC", 500 } }

-- Carl_Num0_1BTC_Short_49999USD: USDC 49,999 x 10^6, short 1 BTC:
-- balance 49,999e6 - 10^8 x 500 = -1,000,000 (NC -1 USDC).
local function carl_vs(dave_balance, dave_size)
  return {
    markets = btc,
    accounts = { { "carl", -1000000 }, { "dave", dave_balance } },
    positions = { { "carl", "BTC", -100000000, 500 }, { "dave", "BTC", dave_size, 500 } },
    account = "carl", params = margins,
  }
end
local function with(base, params)
  base.params = params
  return base
end
local function case(name, base, expect)
  base.name, base.expect = name, expect
  return base
end

return {
  policy = "dydx.lua",
  cases = {
    {
      -- TV-DYDX-1 (dYdX Chain docs, "contract loss mechanism"): A deposits
      -- $100 and is long 500 ABC at $1, B deposits $100 and is short 500 at
      -- $1; ABC jumps to $2.  Units: 1 lot = 1 ABC, 1 atom = 10^-6 USD.
      -- B's equity 100 - 500 x (2 - 1) = -$400, its bankruptcy price
      -- 2 - 400 / 500 = $1.2 (1,200,000 atoms a lot); A is closed there:
      -- the close moves 400 x 10^6 atoms from A to B, so A ends with
      -- 100 + 500 - 400 = $200, "+$100", and B at $0: no bad debt.
      name = "TV-DYDX-1: B's 500 short closed against A at $1.2",
      markets = { { "ABC", 1000000 } },
      accounts = { { "A", 100000000 }, { "B", 100000000 } },
      positions = { { "A", "ABC", 500, 1000000 }, { "B", "ABC", -500, 1000000 } },
      events = { { type = "market", market = "ABC", mark = 2000000 } },
      account = "B",
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "A", "ABC", 500, 1200000 } }, transfers = { 400000000 } },
    },
    case("v4 bankruptcy price, row g: 0.1 BTC long, USDC -5,100",
      -- TestGetBankruptcyPriceInQuoteQuantums, "fully closing long below
      -- bankruptcy": USDC -5,100 x 10^6, long 10,000,000 lots: balance
      -- -5,100e6 + 10^7 x 500 = -100,000,000 (NC -$100).  dYdX: selling
      -- the 0.1 BTC at 5,100,000,000 quantums = 10^7 x 500 + 100,000,000:
      -- the close moves d = 100,000,000; price shown 500 + 10^8 / 10^7 = 510
      -- ($51,000 a BTC).
      { markets = btc, accounts = { { "a", -100000000 }, { "h", 10000000000 } },
        positions = { { "a", "BTC", 10000000, 500 }, { "h", "BTC", -10000000, 500 } },
        account = "a", params = margins },
      { fund_draw = 0, bad_debt = 0, takeovers = {},
        deleveraged = { { "h", "BTC", 10000000, 510 } }, transfers = { 100000000 } }),
    case("v4 bankruptcy price, row h: 0.1 BTC short, USDC +4,900",
      -- "fully closing short below bankruptcy": USDC 4,900e6, short 10^7:
      -- balance 4,900e6 - 5,000e6 = -100,000,000.  dYdX: buying back at
      -- -4,900,000,000 = -(10^7 x 500 - 100,000,000); price 500 - 10 = 490.
      { markets = btc, accounts = { { "a", -100000000 }, { "h", 10000000000 } },
        positions = { { "a", "BTC", -10000000, 500 }, { "h", "BTC", 10000000, 500 } },
        account = "a", params = margins },
      { fund_draw = 0, bad_debt = 0, takeovers = {},
        deleveraged = { { "h", "BTC", 10000000, 490 } }, transfers = { 100000000 } }),
    case("T-Y6 TNC<0 vs well-collateralized: Dave takes 1 BTC, paid $49,999",
      -- TestProcessDeleveraging: Carl_..._49999USD against
      -- Dave_Num0_1BTC_Long_50000USD (USDC 50,000e6: balance 50,000e6 +
      -- 10^8 x 500 = 100,000e6).  dYdX: Dave's USDC 50,000e6 + 49,999e6.
      -- Here: 1 BTC at mark moves 5 x 10^10 and the transfer d = 1,000,000
      -- (0.01 atom a lot: the price shown stays 500): Dave ends with
      -- 100,000e6 - 1,000,000 = 99,999e6, the same USDC.
      carl_vs(100000000000, 100000000),
      { fund_draw = 0, bad_debt = 0, takeovers = {},
        deleveraged = { { "dave", "BTC", 100000000, 500 } }, transfers = { 1000000 } }),
    case("T-Y6 TNC<0 vs TNC>0: Dave (NC $4,999, under its margin) takes it",
      -- Dave_Num0_1BTC_Long_45001USD_Short: USDC -45,001e6, balance
      -- 4,999e6; IMR 20% of $50,000 = 10,000e6 > NC already.  After the
      -- fill NC' = 4,998e6 >= IMR' = 0 (no position left): it passes.
      -- dYdX: Dave's USDC -45,001e6 + 49,999e6 = 4,998e6.
      carl_vs(4999000000, 100000000),
      { fund_draw = 0, bad_debt = 0, takeovers = {},
        deleveraged = { { "dave", "BTC", 100000000, 500 } }, transfers = { 1000000 } }),
    case("T-Y6 TNC<0 vs TNC=0: non-overlapping bankruptcy prices, skipped",
      -- Dave_Num0_1BTC_Long_50000USD_Short: NC 0.  NC' = 0 - 1,000,000 <
      -- IMR' = 0, MMR' = 0 and MMR = 5,000e6: refused (dYdX:
      -- ErrFailedToUpdateSubaccounts).  Nobody takes Carl's 1 BTC: the fund
      -- takes it at mark, and the empty fund leaves Carl's $1 as bad debt
      -- (dYdX leaves Carl at NC -$1 and gates withdrawals).
      carl_vs(0, 100000000),
      { fund_draw = 0, bad_debt = 1000000, deleveraged = {}, takeovers = { { "BTC", -100000000, 500 } } }),
    case("T-Y6 TNC<0 vs TNC<0 (and its partial 0.1 BTC row): skipped",
      -- Dave_Num0_1BTC_Long_50001USD_Short: NC -1,000,000: a holder below
      -- zero takes nothing (dYdX: ErrFailedToUpdateSubaccounts, whole or
      -- 0.1 BTC).
      carl_vs(-1000000, 100000000),
      { fund_draw = 0, bad_debt = 1000000, deleveraged = {}, takeovers = { { "BTC", -100000000, 500 } } }),
    {
      -- T-Y6's rows whose liquidated account has TNC >= 0 (Carl_..._54999USD:
      -- NC 4,999e6) are dYdX's ProcessDeleveraging called directly; socloss
      -- resolves negative equity only.
      name = "T-Y6 TNC>0 vs well-collateralized: not bankrupt, refused",
      markets = btc, accounts = { { "carl", 4999000000 }, { "dave", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "dave", "BTC", 100000000, 500 } },
      account = "carl", params = margins,
      expect = { status = "refused", error = "account: 'carl' is not bankrupt (equity 4999000000)" },
    },
    {
      -- e2e TestPlacePerpetualLiquidation_Deleveraging, "unfilled, partial
      -- ADL (insufficient liquidity)": Carl_..._49999USD; dave0 =
      -- Dave_Num0_1BTC_Long_50000USD_Short (NC 0: skipped), dave1 =
      -- Dave_Num1_05BTC_Long_50000USD (USDC 50,000e6 + 5 x 10^7 x 500 =
      -- 75,000e6).  dave1 fills its 0.5 BTC: d x q / |size| = 1,000,000 x
      -- 5 x 10^7 / 10^8 = 500,000 atoms (dYdX: Carl's USDC falls by
      -- 24,999,500,000 = 25,000e6 - 500,000, dave1's rises by as much).  The
      -- other 0.5 BTC stays with Carl in dYdX; here the fund takes it at
      -- mark and its $0.5 is bad debt.
      name = "T-Y9 partial: the NC-0 holder skipped, 0.5 BTC filled, the rest to the fund",
      markets = btc,
      accounts = { { "carl", -1000000 }, { "dave0", 0 }, { "dave1", 75000000000 }, { "z", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "dave0", "BTC", 100000000, 500 },
                    { "dave1", "BTC", 50000000, 500 }, { "z", "BTC", -50000000, 500 } },
      account = "carl", params = margins,
      expect = { fund_draw = 0, bad_debt = 500000, takeovers = { { "BTC", -50000000, 500 } },
                 deleveraged = { { "dave1", "BTC", 50000000, 500 } }, transfers = { 500000 } },
    },
    {
      -- The 1e-8-lot case: d = 1,000,001 over 10^8 lots, 0.01000001 atom a
      -- lot, two holders of 0.5 BTC.  dYdX recomputes the quote per fill,
      -- rounded toward +infinity: dave0 first, -25,000e6 - floor(-1,000,001
      -- x 1/2) = -25,000e6 + 500,001 (dave0 pays 500,001), then Carl's NC is
      -- -500,000 over 0.5 BTC: dave1 pays 500,000.  The host: floor(1,000,001
      -- x 5 x 10^7 / 10^8) = 500,000 each, the market's floor(1,000,001) =
      -- 1,000,001 leaves one spare atom, remainders tied (0.5 and 0.5): to the
      -- lower id, dave0.  The same atoms, no bad debt; the price shown is the
      -- mark (0.01 atom a lot truncates to 0).
      name = "1e-8 BTC lots: 0.01000001 atom a lot, every atom moved (500,001 + 500,000)",
      markets = btc,
      accounts = { { "carl", -1000001 }, { "dave0", 100000000000 }, { "dave1", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "dave0", "BTC", 50000000, 500 },
                    { "dave1", "BTC", 50000000, 500 } },
      account = "carl", params = margins,
      expect = { fund_draw = 0, bad_debt = 0, takeovers = {},
                 deleveraged = { { "dave0", "BTC", 50000000, 500 }, { "dave1", "BTC", 50000000, 500 } },
                 transfers = { 500001, 500000 } },
    },
    {
      -- The same with start = 1: the walk begins at dave1.  dYdX would
      -- round dave1's fill up (500,001); the host's spare atom still goes
      -- by largest remainder, tied, to the lower id: dave0 pays 500,001,
      -- dave1 500,000 (the one-atom difference the header names).
      name = "1e-8 BTC lots, start 1: dave1 first; the spare atom still to the lower id",
      markets = btc,
      accounts = { { "carl", -1000001 }, { "dave0", 100000000000 }, { "dave1", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "dave0", "BTC", 50000000, 500 },
                    { "dave1", "BTC", 50000000, 500 } },
      account = "carl", params = { start = 1 },
      expect = { bad_debt = 0,
                 deleveraged = { { "dave1", "BTC", 50000000, 500 }, { "dave0", "BTC", 50000000, 500 } },
                 transfers = { 500000, 500001 } },
    },
    {
      -- Derived: the walk from start 2 over b, c, e (0.4 BTC each) wraps:
      -- e 4 x 10^7, b 4 x 10^7, then c the last 2 x 10^7; each 0.4 BTC moves
      -- 1,000,000 x 0.4 = 400,000, c's 0.2 BTC 200,000.
      name = "derived: start 2 wraps around (e, b, then c partly)",
      markets = btc,
      accounts = { { "b", 50000000000 }, { "c", 50000000000 }, { "carl", -1000000 }, { "e", 50000000000 },
                   { "s", 50000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "b", "BTC", 40000000, 500 },
                    { "c", "BTC", 40000000, 500 }, { "e", "BTC", 40000000, 500 }, { "s", "BTC", -20000000, 500 } },
      account = "carl", params = { start = 2 },
      expect = { bad_debt = 0, takeovers = {},
                 deleveraged = { { "e", "BTC", 40000000, 500 }, { "b", "BTC", 40000000, 500 }, { "c", "BTC", 20000000, 500 } },
                 transfers = { 400000, 400000, 200000 } },
    },
    {
      -- Derived: max_iter 2 stops the same walk after e and b: 8 x 10^7
      -- lots move 800,000; the fund takes the other 2 x 10^7 at mark, and
      -- their 200,000 is bad debt.
      name = "derived: max_iter 2 visits two holders, the rest to the fund",
      markets = btc,
      accounts = { { "b", 50000000000 }, { "c", 50000000000 }, { "carl", -1000000 }, { "e", 50000000000 },
                   { "s", 50000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "b", "BTC", 40000000, 500 },
                    { "c", "BTC", 40000000, 500 }, { "e", "BTC", 40000000, 500 }, { "s", "BTC", -20000000, 500 } },
      account = "carl", params = { start = 2, max_iter = 2 },
      expect = { bad_debt = 200000, takeovers = { { "BTC", -20000000, 500 } },
                 deleveraged = { { "e", "BTC", 40000000, 500 }, { "b", "BTC", 40000000, 500 } },
                 transfers = { 400000, 400000 } },
    },
    {
      -- Derived, dYdX's ratio check: Carl short 1 BTC at NC -3,000e6.  h1 is
      -- long 2 BTC at NC 5,000e6: IMR 20% x 2 x 50,000e6 = 20,000e6, MMR
      -- 10,000e6.  Its fill of 1 BTC moves 3,000e6: NC' = 2,000e6 < IMR' =
      -- 10,000e6, and NC' x MMR = 2,000e6 x 10,000e6 = 2 x 10^19 < NC x MMR'
      -- = 5,000e6 x 5,000e6 = 2.5 x 10^19: riskier, skipped (the host alone
      -- would allow it: 2,000e6 >= 0).  h2 (NC 50,000e6) takes the 1 BTC, at
      -- the price shown 500 - 3,000e6 / 10^8 = 470 ($47,000 a BTC).
      name = "derived: a fill that worsens NC/MMR is skipped (20%/10% margins)",
      markets = btc,
      accounts = { { "carl", -3000000000 }, { "h1", 5000000000 }, { "h2", 50000000000 }, { "s", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "h1", "BTC", 200000000, 500 },
                    { "h2", "BTC", 100000000, 500 }, { "s", "BTC", -200000000, 500 } },
      account = "carl", params = margins,
      expect = { bad_debt = 0, deleveraged = { { "h2", "BTC", 100000000, 470 } }, transfers = { 3000000000 } },
    },
    {
      -- Derived: the same h1 against a smaller hole, NC -1,000e6: its fill
      -- moves 1,000e6, NC' = 4,000e6 is still below IMR' = 10,000e6, but
      -- NC' x MMR = 4 x 10^19 >= NC x MMR' = 2.5 x 10^19: the ratio does not
      -- worsen, it passes, first in the walk.  Price 500 - 10 = 490.
      name = "derived: a fill under IMR that does not worsen NC/MMR passes",
      markets = btc,
      accounts = { { "carl", -1000000000 }, { "h1", 5000000000 }, { "h2", 50000000000 }, { "s", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "h1", "BTC", 200000000, 500 },
                    { "h2", "BTC", 100000000, 500 }, { "s", "BTC", -200000000, 500 } },
      account = "carl", params = margins,
      expect = { bad_debt = 0, deleveraged = { { "h1", "BTC", 100000000, 490 } }, transfers = { 1000000000 } },
    },
    {
      -- The same ledger with no margin fractions (the defaults): the check
      -- is NC' >= 0, so h1, first in the walk, takes 1 BTC of its 2.
      name = "derived: without margins h1 takes it (NC' = 2,000e6 >= 0)",
      markets = btc,
      accounts = { { "carl", -3000000000 }, { "h1", 5000000000 }, { "h2", 50000000000 }, { "s", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "h1", "BTC", 200000000, 500 },
                    { "h2", "BTC", 100000000, 500 }, { "s", "BTC", -200000000, 500 } },
      account = "carl",
      expect = { bad_debt = 0, deleveraged = { { "h1", "BTC", 100000000, 470 } }, transfers = { 3000000000 } },
    },
    {
      -- Derived, two markets: a long 10 BTC and 10 ETH from 110, marks 100,
      -- balance 100: equity -100, d = 50 in each (notional 1,000 : 1,000),
      -- 5 atoms a lot, price 105.  b, short 10 of each (equity 60), fills
      -- BTC (moves 50, NC 60 -> 10); in ETH, first in the walk again, its
      -- fill would move 50 more: NC' = 10 - 50 < 0, skipped; c takes ETH.
      name = "derived: two markets: a holder's first fill counts against its second",
      markets = { { "BTC", 110 }, { "ETH", 110 } },
      accounts = { { "a", 100 }, { "b", 60 }, { "c", 1000 }, { "z", 1000 } },
      positions = { { "a", "BTC", 10, 110 }, { "a", "ETH", 10, 110 }, { "b", "BTC", -10, 100 },
                    { "b", "ETH", -10, 100 }, { "c", "ETH", -10, 100 }, { "z", "ETH", 10, 110 } },
      events = { { type = "market", market = "BTC", mark = 100 }, { type = "market", market = "ETH", mark = 100 } },
      account = "a",
      expect = { bad_debt = 0, takeovers = {},
                 deleveraged = { { "b", "BTC", 10, 105 }, { "c", "ETH", 10, 105 } }, transfers = { 50, 50 } },
    },
    {
      -- The fund first: 2,000,000 in the fund covers Carl's 1,000,000, as
      -- the liquidation in the book would have: no deleveraging.
      name = "the fund covers the deficit: nothing deleveraged",
      markets = btc,
      accounts = { { "carl", -1000000 }, { "dave", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "dave", "BTC", 100000000, 500 } },
      events = { { type = "fund", amount = 2000000 } },
      account = "carl",
      expect = { fund_draw = 1000000, bad_debt = 0, deleveraged = {}, takeovers = { { "BTC", -100000000, 500 } } },
    },
    {
      -- fund_first false: deleveraged all the same; the fund is untouched.
      name = "fund_first false: deleveraged although the fund could pay",
      markets = btc,
      accounts = { { "carl", -1000000 }, { "dave", 100000000000 } },
      positions = { { "carl", "BTC", -100000000, 500 }, { "dave", "BTC", 100000000, 500 } },
      events = { { type = "fund", amount = 2000000 } },
      account = "carl", params = { fund_first = false },
      expect = { fund_draw = 0, bad_debt = 0, deleveraged = { { "dave", "BTC", 100000000, 500 } }, transfers = { 1000000 } },
    },
    case("a negative start is refused", with(carl_vs(100000000000, 100000000), { start = -1 }),
      { status = "failed", error = "start must be an integer >= 0, not -1" }),
    case("max_iter 0 is refused", with(carl_vs(100000000000, 100000000), { max_iter = 0 }),
      { status = "failed", error = "max_iter must be an integer >= 1, not 0" }),
    case("a margin fraction above 10^6 ppm is refused, naming its market",
      with(carl_vs(100000000000, 100000000), { imf_ppm = { BTC = 2000000 } }),
      { status = "failed",
        error = "imf_ppm must be an integer 0..1000000 (parts per million) or a table of them by market, not 2000000 for 'BTC'" }),
    case("fund_first must be a boolean", with(carl_vs(100000000000, 100000000), { fund_first = "yes" }),
      { status = "failed", error = "fund_first must be true or false, not yes" }),
  },
}
