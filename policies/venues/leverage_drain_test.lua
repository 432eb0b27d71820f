-- leverage_drain.lua, derived cases computed by hand (run: socloss test
-- policies/venues/leverage_drain_test.lua).  No venue publishes an example.
--
-- Units: atoms and lots as they are.  In every case the bankrupt account a
-- bought 10 lots at 110 and the mark is 100: equity 0 + 10 x (100 - 110) =
-- -100, d = 100 over N = 10 lots (10 atoms a lot), bankruptcy price
-- 100 + 100 / 10 = 110.  A close of q lots moves 10 x q from the short
-- holder to a.  Shorts hold from 100 (upnl 0), so a short's equity is its
-- balance; leverage = lots x 100 / equity.  Its surplus e = equity - 10 x
-- lots (what a whole close leaves it); after keeping k of its lots its
-- leverage is 100 k / (e + 10 k).
local btc = { { "BTC", 100 } }
local function ledger(shorts)
  local accounts, positions, total = { { "a", 0 } }, { { "a", "BTC", 10, 110 } }, 10
  for _, s in ipairs(shorts) do
    accounts[#accounts + 1] = { s[1], s[3] }
    positions[#positions + 1] = { s[1], "BTC", -s[2], 100 }
    total = total - s[2]
  end
  accounts[#accounts + 1] = { "z", 100000 }                -- a long that nets the market
  if total ~= 0 then positions[#positions + 1] = { "z", "BTC", -total, 100 } end
  return { markets = btc, accounts = accounts, positions = positions, account = "a" }
end
local function case(name, base, params, expect)
  base.name, base.params, base.expect = name, params, expect
  return base
end
-- s1 10 lots at equity 400 (leverage 2.5, surplus 300), s2 10 at 1,100
-- (0.909, 1,000), s3 10 at 2,100 (0.476, 2,000)
local three = { { "s1", 10, 400 }, { "s2", 10, 1100 }, { "s3", 10, 2100 } }

return {
  policy = "leverage_drain.lua",
  cases = {
    case("derived: the most levered drained first, to a common leverage",
      -- The empty fund: Q = all 10 lots; the shorts keep 30 - 10 = 20, in
      -- proportion to surplus 300 : 1,000 : 2,000, capped at 10 each.  s3:
      -- 10 x 3,300 <= 20 x 2,000, its cap binds (keeps 10); 10 left over
      -- 300 : 1,000 = 2.31 and 7.69: floors 2 + 7, the odd lot to the larger
      -- remainder (10,000 mod 1,300 = 900 against 3,000 mod 1,300 = 400), s2.
      -- Kept 2, 8, 10: closed s1 8 (moves 80), s2 2 (20).  Leverage left:
      -- s1 200 / (400 - 80) = 0.625, s2 800 / (1,100 - 20) = 0.741, s3
      -- 1,000 / 2,100 = 0.476: the largest 0.741 (it was 2.5); the
      -- continuous level is 100 x (10/1,300) / (1 + 10 x 10/1,300) = 0.714.
      -- No other split of 10 lots does better: 9 + 1 leaves s2 at
      -- 900 / 1,090 = 0.826, 7 + 3 leaves s1 at 300 / 330 = 0.909.
      ledger(three), nil,
      { fund_draw = 0, bad_debt = 0, takeovers = {},
        deleveraged = { { "s1", "BTC", 8, 110 }, { "s2", "BTC", 2, 110 } }, transfers = { 80, 20 } }),
    case("derived: fund first, only the lots the fund cannot cover",
      -- 50 in the fund: R = 100 - 50 = 50, ceil(50 x 10 / 100) = 5 lots.
      -- Keep 25 of 30: s3 capped (10 x 3,300 <= 25 x 2,000), then s2 (10 x
      -- 1,300 <= 15 x 1,000), s1 keeps the last 5: s1 closes 5 (moves 50),
      -- its leverage 500 / 350 = 1.43 (from 2.5); the largest left.  The fund
      -- takes a's other 5 lots at mark (-50 for a) and pays those 50.
      (function() local l = ledger(three) l.events = { { type = "fund", amount = 50 } } return l end)(), nil,
      { fund_draw = 50, bad_debt = 0, takeovers = { { "BTC", 5, 100 } },
        deleveraged = { { "s1", "BTC", 5, 110 } }, transfers = { 50 } }),
    case("derived: a holder whose close would raise its leverage is left alone",
      -- s0, 10 lots at equity 90 (leverage 11.1), surplus 90 - 100 = -10:
      -- closing 1 lot takes its leverage to 900 / 80 = 11.25, so it is not
      -- drained (adl.lua would close the 9 lots it bears).  The others as in
      -- the first case: s1 8, s2 2.
      ledger({ { "s0", 10, 90 }, three[1], three[2], three[3] }), nil,
      { fund_draw = 0, bad_debt = 0, takeovers = {},
        deleveraged = { { "s1", "BTC", 8, 110 }, { "s2", "BTC", 2, 110 } }, transfers = { 80, 20 } }),
    case("derived: too few drainable lots: the rest to the fund, bad debt",
      -- s0 7 lots at 60 (surplus 60 - 70 < 0), s1 3 lots at 400 (surplus
      -- 370): only s1's 3 lots drain (moving 30); the fund, empty, takes a's
      -- other 7 at mark: -70 for a, bad debt 70.
      ledger({ { "s0", 7, 60 }, { "s1", 3, 400 } }), nil,
      { fund_draw = 0, bad_debt = 70, takeovers = { { "BTC", 7, 100 } },
        deleveraged = { { "s1", "BTC", 3, 110 } }, transfers = { 30 } }),
    case("derived: the integer optimum, not the largest remainders of the kept lots",
      -- s1 10 lots at 300 (surplus 200), s2 10 at 1,100 (1,000), s3 5 at 600
      -- (550).  Keep 15 of 25; no cap binds (s3: 5 x 1,750 > 15 x 550): the
      -- level theta = 15 / 1,750, floors of 200, 1,000, 550 x theta = 1.71,
      -- 8.57, 4.71: 1, 8, 4, two lots left.  The next ratios: s1 2/200 =
      -- 0.01, s2 9/1,000 = 0.009 (then 10/1,000 = 0.01), s3 5/550 = 0.00909:
      -- the two smallest are s2's and s3's: kept 1, 9, 5, closed s1 9 (90),
      -- s2 1 (10).  Leverage left: s1 100 / 210 = 0.476, s2 900 / 1,090 =
      -- 0.826, s3 500 / 600 = 0.833 (untouched): the largest 0.833.  The
      -- largest remainders of 15 x (200, 1,000, 550) / 1,750 (1,250, 1,000,
      -- 1,250) would keep 2, 8, 5 and leave s1 at 200 / 220 = 0.909.
      ledger({ { "s1", 10, 300 }, { "s2", 10, 1100 }, { "s3", 5, 600 } }), nil,
      { bad_debt = 0, deleveraged = { { "s1", "BTC", 9, 110 }, { "s2", "BTC", 1, 110 } }, transfers = { 90, 10 } }),
    case("derived: a tie: the lower id closes the odd lot",
      -- s1 and s2 alike, 10 lots at 400 (surplus 300).  50 in the fund: R =
      -- 50, Q = ceil(50 x 10 / 100) = 5, keep 15 of 20: 7.5 each, floors 7
      -- and 7, one lot left; the next ratios 8/300 tie: s2 keeps it, s1
      -- closes 3 (30), s2 2 (20).  The fund takes a's other 5 at mark, pays 50.
      (function() local l = ledger({ { "s1", 10, 400 }, { "s2", 10, 400 } })
         l.events = { { type = "fund", amount = 50 } } return l end)(), nil,
      { fund_draw = 50, bad_debt = 0, takeovers = { { "BTC", 5, 100 } },
        deleveraged = { { "s1", "BTC", 3, 110 }, { "s2", "BTC", 2, 110 } }, transfers = { 30, 20 } }),
    case("fund_first must be a boolean", ledger(three), { fund_first = 1 },
      { status = "failed", error = "fund_first must be true or false, not 1" }),
  },
}
