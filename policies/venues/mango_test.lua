-- mango.lua, derived cases (run: socloss test policies/venues/mango_test.lua).
--
-- Mango's own unit-test tables are about the liquidator's step before
-- bankruptcy (settle limits, health), which socloss does not model (the
-- policy's header); the cases here apply its socialize_loss formula,
-- loss / open_interest per base lot of either side (D-MANGO-1), computed by
-- hand.  Units: atoms are Mango's native quote units, lots its base lots.
--
-- The ledger: a is short 200 lots from 100, the mark 110: upnl -2,000,
-- balance 1,700, equity -300.  L1 long 400 from 100 (upnl +4,000, balance
-- 0); S1 short 200 from 100 (upnl -2,000, balance 3,000: equity 1,000).
-- The fund takes a's short at mark; the open interest left is the
-- candidates' 400 + 200 = 600 lots.
local function ledger(s1_balance, fund, max_draw)
  return {
    markets = { { "BTC", 100 } },
    accounts = { { "L1", 0 }, { "S1", s1_balance }, { "a", 1700 } },
    positions = { { "a", "BTC", -200, 100 }, { "L1", "BTC", 400, 100 }, { "S1", "BTC", -200, 100 } },
    events = { { type = "market", market = "BTC", mark = 110 }, fund and { type = "fund", amount = fund } or nil },
    fund_max_draw = max_draw,
    account = "a",
  }
end
local function case(name, base, params, expect)
  base.name, base.params, base.expect = name, params, expect
  return base
end

return {
  policy = "mango.lua",
  cases = {
    case("D-MANGO-1: 300 over 600 lots of open interest, 0.5 a lot, both sides",
      -- s = -300 / 600 = -0.5: long_funding += 0.5, short_funding -= 0.5, so
      -- every lot pays 0.5: L1 400 x 0.5 = 200, S1 200 x 0.5 = 100.
      ledger(3000), nil,
      { fund_draw = 0, bad_debt = 0, takeovers = { { "BTC", -200, 110 } },
        haircuts = { { "L1", 200 }, { "S1", 100 } } }),
    case("derived: the insurance fund exhausted first, then 180 socialized",
      -- the fund's 120 pays first and is exhausted (cash 0 after): 180 left,
      -- 180 / 600 = 0.3 a lot: L1 120, S1 60.
      ledger(3000, 120), nil,
      { fund_draw = 120, bad_debt = 0, haircuts = { { "L1", 120 }, { "S1", 60 } } }),
    case("derived: insurance not exhausted (a per-deficit cap): nothing socialized",
      -- 1,000 in the fund, at most 100 a deficit: it pays 100 and keeps 900,
      -- so Mango would not socialize ("don't socialize loss since insurance
      -- not exhausted"): the 200 left is bad debt here.
      ledger(3000, 1000, 100), nil,
      { fund_draw = 100, bad_debt = 200, haircuts = {} }),
    case("derived: a holder's equity below its share: the rest spread over the others",
      -- S1's balance 2,050: equity 50 < its 100.  waterfill(400, 200; caps
      -- 4,000, 50; 300): S1's cap binds (50 x 600 <= 300 x 200), L1 pays the
      -- other 250.
      ledger(2050), nil,
      { bad_debt = 0, haircuts = { { "L1", 250 }, { "S1", 50 } } }),
    {
      -- Token bankruptcy: a borrowed 90 it cannot repay (balance -90, no
      -- position); the deposit index falls by 90 / 900: d1 (600) pays 60,
      -- d2 (300) 30; n, with nothing deposited, nothing.
      name = "derived: token bankruptcy: the depositors pay pro rata (book 'spot')",
      markets = {}, accounts = { { "a", -90 }, { "d1", 600 }, { "d2", 300 }, { "n", 0 } }, positions = {},
      account = "a", params = { book = "spot" },
      expect = { fund_draw = 0, bad_debt = 0, haircuts = { { "d1", 60 }, { "d2", 30 } } },
    },
    case("an unknown book is refused", ledger(3000), { book = "token" },
      { status = "failed", error = "book must be 'perp' or 'spot', not 'token'" }),
  },
}
