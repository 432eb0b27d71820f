-- vertex.lua, derived cases (run: socloss test policies/venues/vertex_test.lua).
--
-- Vertex's repository has no test of socializeSubaccount; the cases apply
-- its formula, fundingPerShare = (loss / long open interest) / 2 (D-VERTEX-1:
-- 300 over 300 long lots, 0.5 a lot, 150 from each side), computed by hand.
-- Units: atoms and lots as they are (Vertex's x18 values scaled to atoms).
--
-- The ledger: a is short 100 lots from 100, the mark 103: upnl -300, balance
-- 0, equity -300; the fund, empty, takes its short at mark: shortfall 300.
-- Longs L1 200 and L2 100 from 100 (upnl +600, +300); S1 short 200 from 100
-- (upnl -600, balance 2,000).
local function ledger(a_balance, s1_balance)
  return {
    markets = { { "BTC", 100 } },
    accounts = { { "L1", 0 }, { "L2", 0 }, { "S1", s1_balance }, { "a", a_balance } },
    positions = { { "a", "BTC", -100, 100 }, { "L1", "BTC", 200, 100 }, { "L2", "BTC", 100, 100 },
                  { "S1", "BTC", -200, 100 } },
    events = { { type = "market", market = "BTC", mark = 103 } },
    account = "a",
  }
end
local function case(name, base, params, expect)
  base.name, base.params, base.expect = name, params, expect
  return base
end

return {
  policy = "vertex.lua",
  cases = {
    case("D-VERTEX-1: 300, half on the longs (0.5 a lot), half on the shorts",
      -- longs: 150 over 300 lots, 0.5 a lot as D-VERTEX-1's fundingPerShare
      -- = 300 / 300 / 2: L1 100, L2 50.  Shorts: the other 150 on S1's 200
      -- lots (Vertex would charge S1 0.5 x 200 = 100 and the 50 left to the
      -- liquidator holding a's short, which here is the fund: the header).
      ledger(0, 2000), nil,
      { fund_draw = 0, bad_debt = 0, takeovers = { { "BTC", -100, 103 } },
        haircuts = { { "L1", 100 }, { "L2", 50 }, { "S1", 150 } } }),
    case("derived: an odd atom goes to the longs' half",
      -- a's balance -1: equity -301, halves 151 and 150; 151 over 200 : 100
      -- = 100.67 and 50.33: floors 100 + 50, the odd atom to L1 (.67).
      ledger(-1, 2000), nil,
      { bad_debt = 0, haircuts = { { "L1", 101 }, { "L2", 50 }, { "S1", 150 } } }),
    case("derived: S1 cannot bear its half: the rest is bad debt (its side has no one else)",
      -- S1's balance 700: equity 100 < 150: it pays 100, 50 is bad debt.
      ledger(0, 700), nil,
      { bad_debt = 50, haircuts = { { "L1", 100 }, { "L2", 50 }, { "S1", 100 } } }),
    {
      -- a was the only long: the fund took it, no candidate is long: the
      -- longs' half (150) is not charged, the shorts pay theirs.
      name = "derived: no long among the candidates: the longs' half is bad debt",
      markets = { { "BTC", 100 } },
      accounts = { { "S1", 2000 }, { "S2", 2000 }, { "a", 0 } },
      positions = { { "a", "BTC", 100, 100 }, { "S1", "BTC", -60, 100 }, { "S2", "BTC", -40, 100 } },
      events = { { type = "market", market = "BTC", mark = 97 } },
      account = "a",
      expect = { bad_debt = 150, haircuts = { { "S1", 90 }, { "S2", 60 } } },
    },
    {
      -- spot: a's balance -90, no position; deposits 600 and 300: the
      -- deposit multiplier falls by 90 / 900, d1 pays 60 and d2 30.
      name = "derived: a negative spot balance: the depositors pay pro rata (book 'spot')",
      markets = {}, accounts = { { "a", -90 }, { "d1", 600 }, { "d2", 300 } }, positions = {},
      account = "a", params = { book = "spot" },
      expect = { bad_debt = 0, haircuts = { { "d1", 60 }, { "d2", 30 } } },
    },
    case("an unknown book is refused", ledger(0, 2000), { book = "lp" },
      { status = "failed", error = "book must be 'perp' or 'spot', not 'lp'" }),
  },
}
