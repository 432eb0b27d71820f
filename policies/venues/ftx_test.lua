-- ftx.lua's cases (socloss test policies/venues/ftx_test.lua).  All
-- derived: FTX published no worked example of this step after bankruptcy
-- (TV-FTX-2 is a close before it: see ftx.lua's header).
-- Units: 1 USD = 1,000,000 atoms; 1 lot = 1 contract; prices in atoms per lot.
local USD = 1000000

-- The ledger: mark 100 USD.  The bankrupt a is long 30 lots entered at 110
-- with balance 0: equity 30 x -10 = -300 USD, d = 300 over 30 lots, 10 USD
-- a lot, ZP 110.  At share 6667 a lot moves 10 x 0.6667 = 6.667 USD
-- (6,667,000 atoms, exact: 300,000,000 x 6667 / (30 x 10000) per lot).
-- Eleven shorts at 100 (no upnl), each with 1,000 USD: h01 10, h02 8, h03 6,
-- h04 5, h05 4, h06 3, h07 2, h08 2, h09 1, h10 1, h11 1 lots; l long 13
-- nets the market.  The top 10 by size (h09, h10, h11 tie at 1: the lower
-- ids first, h11 left out) hold 42 >= 30 lots.  30 in proportion to size
-- over 42: floors 7, 5, 4, 3, 2, 2, 1, 1, 0, 0 (25); remainders 30 x size
-- mod 42: 6, 30, 12, 24, 36, 6, 18, 18, 30, 30; the 5 odd lots to h05 (36),
-- h02, h09, h10 (30, lower ids first), h04 (24): 7, 6, 4, 4, 3, 2, 1, 1, 1, 1.
-- Transfers 6,667,000 a lot: 30 lots move 200,010,000; the hole left,
-- 300,000,000 - 200,010,000 = 99,990,000, is the fund's (it holds 100 USD).
local markets = { { "BTC", 100 * USD } }
local accounts = { { "a", 0 }, { "l", 1000 * USD } }
local positions = { { "a", "BTC", 30, 110 * USD }, { "l", "BTC", 13, 100 * USD } }
for i, q in ipairs({ 10, 8, 6, 5, 4, 3, 2, 2, 1, 1, 1 }) do
  local id = string.format("h%02d", i)
  accounts[#accounts + 1] = { id, 1000 * USD }
  positions[#positions + 1] = { id, "BTC", -q, 100 * USD }
end
local fund = { { type = "fund", amount = 100 * USD } }
local ZP = 110 * USD
local LOT = 6667000

return {
  policy = "ftx.lua",
  cases = {
    {
      name = "derived: the top 10 opposing positions pro rata to size, at 2/3 ZP + 1/3 mark; the fund pays the third",
      markets = markets, accounts = accounts, positions = positions, events = fund, account = "a",
      expect = { fund_draw = 99990000, bad_debt = 0, charged = 200010000, takeovers = {},
                 deleveraged = { { "h01", "BTC", 7, ZP }, { "h02", "BTC", 6, ZP }, { "h03", "BTC", 4, ZP },
                                 { "h04", "BTC", 4, ZP }, { "h05", "BTC", 3, ZP }, { "h06", "BTC", 2, ZP },
                                 { "h07", "BTC", 1, ZP }, { "h08", "BTC", 1, ZP }, { "h09", "BTC", 1, ZP },
                                 { "h10", "BTC", 1, ZP } },
                 transfers = { 7 * LOT, 6 * LOT, 4 * LOT, 4 * LOT, 3 * LOT, 2 * LOT, LOT, LOT, LOT, LOT } },
    },
    {
      -- top 3: h01, h02, h03 hold 24 < 30, so more are taken: h04 (29),
      -- h05 (33).  30 over 33 by size 10, 8, 6, 5, 4: floors 9, 7, 5, 4, 3
      -- (28); remainders 30 x size mod 33: 3, 9, 15, 18, 21: the 2 odd
      -- lots to h05 and h04: 9, 7, 5, 5, 4.
      name = "derived: more than the top N while their total is short (top = 3 takes 5)",
      markets = markets, accounts = accounts, positions = positions, events = fund, account = "a",
      params = { top = 3 },
      expect = { fund_draw = 99990000, bad_debt = 0,
                 deleveraged = { { "h01", "BTC", 9, ZP }, { "h02", "BTC", 7, ZP }, { "h03", "BTC", 5, ZP },
                                 { "h04", "BTC", 5, ZP }, { "h05", "BTC", 4, ZP } },
                 transfers = { 9 * LOT, 7 * LOT, 5 * LOT, 5 * LOT, 4 * LOT } },
    },
    {
      -- share 10000: a close at ZP moves 10 USD a lot, all 300 USD: the
      -- fund pays nothing.
      name = "derived: share 10000 closes at the bankruptcy price",
      markets = markets, accounts = accounts, positions = positions, events = fund, account = "a",
      params = { share = 10000 },
      expect = { fund_draw = 0, bad_debt = 0, charged = 300 * USD,
                 transfers = { 70 * USD, 60 * USD, 40 * USD, 40 * USD, 30 * USD, 20 * USD, 10 * USD, 10 * USD,
                               10 * USD, 10 * USD } },
    },
    {
      -- a long 10 at 110, mark 100, balance 0: d = 100 USD, 10 a lot,
      -- 6.667 at share 6667.  big short 8 with equity 20 USD bears
      -- floor(20,000,000 x 10 x 10000 / (100,000,000 x 6667)) = 2 lots
      -- (3 would cost 20,001,000); mid 6 and small 4 have 1,000 USD.  top 2
      -- (big, mid) can take 2 + 6 = 8 < 10: small is taken too.
      -- waterfill(size 8, 6, 4; caps 2, 6, 4; 10): big's cap binds (2 x 18
      -- <= 10 x 8), the 8 left over mid and small 6 : 4: floors 4, 3,
      -- remainders 8, 2: mid 5, small 3.  Transfers 2, 5 and 3 x 6,667,000
      -- = 66,670,000 of the 100,000,000; no fund: 33,330,000 bad debt.
      name = "derived: a holder closes only what it bears; the rest goes to the others in proportion",
      markets = markets,
      accounts = { { "a", 0 }, { "big", 20 * USD }, { "l", 1000 * USD }, { "mid", 1000 * USD },
                   { "small", 1000 * USD } },
      positions = { { "a", "BTC", 10, 110 * USD }, { "big", "BTC", -8, 100 * USD }, { "l", "BTC", 8, 100 * USD },
                    { "mid", "BTC", -6, 100 * USD }, { "small", "BTC", -4, 100 * USD } },
      account = "a", params = { top = 2 },
      expect = { fund_draw = 0, bad_debt = 33330000, takeovers = {},
                 deleveraged = { { "big", "BTC", 2, ZP }, { "mid", "BTC", 5, ZP }, { "small", "BTC", 3, ZP } },
                 transfers = { 2 * LOT, 5 * LOT, 3 * LOT } },
    },
    {
      -- two markets: a long 10 BTC at 110 (mark 100) and 10 ETH at 55 (mark
      -- 50), balance 0: equity -150, split by notional 1000 : 500 into d =
      -- 100 (BTC, 10 a lot) and 50 (ETH, 5 a lot).  g and h are short 10 in
      -- each at the marks; g has 1,000 USD, h 40.  BTC first: h bears
      -- floor(40,000,000 x 10 x 10000 / (100,000,000 x 6667)) = 5 lots;
      -- waterfill(10, 10; caps 10, 5; 10) gives g 5, h 5 (the tie in size to
      -- the lower id, g, first); h's 5 cost ceil(100,000,000 x 5 x 6667 /
      -- 100000) = 33,335,000, leaving 6,665,000, which bears
      -- floor(6,665,000 x 10 x 10000 / (50,000,000 x 6667)) = 1 ETH lot (its
      -- whole equity would have borne 11): g 9, h 1.  Transfers: BTC
      -- 33,335,000 each; ETH g 30,001,500, h 3,333,500.  Moved 100,005,000 of
      -- 150,000,000; no fund: 49,995,000 bad debt.
      name = "derived: a holder in two markets bears both closes together",
      markets = { { "BTC", 100 * USD }, { "ETH", 50 * USD } },
      accounts = { { "a", 0 }, { "g", 1000 * USD }, { "h", 40 * USD }, { "l", 1000 * USD } },
      positions = { { "a", "BTC", 10, 110 * USD }, { "a", "ETH", 10, 55 * USD },
                    { "g", "BTC", -10, 100 * USD }, { "g", "ETH", -10, 50 * USD },
                    { "h", "BTC", -10, 100 * USD }, { "h", "ETH", -10, 50 * USD },
                    { "l", "BTC", 10, 100 * USD }, { "l", "ETH", 10, 50 * USD } },
      account = "a",
      expect = { fund_draw = 0, bad_debt = 49995000, charged = 100005000, takeovers = {},
                 deleveraged = { { "g", "BTC", 5, 110 * USD }, { "h", "BTC", 5, 110 * USD },
                                 { "g", "ETH", 9, 55 * USD }, { "h", "ETH", 1, 55 * USD } },
                 transfers = { 33335000, 33335000, 30001500, 3333500 } },
    },
    {
      name = "a top of 0 is refused",
      markets = markets, accounts = accounts, positions = positions, account = "a", params = { top = 0 },
      expect = { status = "failed", error = "top must be an integer >= 1, not 0" },
    },
    {
      name = "a share over 10000 is refused",
      markets = markets, accounts = accounts, positions = positions, account = "a", params = { share = 10001 },
      expect = { status = "failed",
                 error = "share must be an integer 0..10000 (basis points of the bankruptcy transfer), not 10001" },
    },
  },
}
