-- vertex — Vertex's socialized loss, as its code does it.
--
-- The rule.  When a liquidated subaccount is finalized with negative
-- balances, the insurance fund covers them first.  What is left of a perp's
-- negative vQuote is socialized through the cumulative funding
-- (PerpEngine.socializeSubaccount): fundingPerShare = (-vQuote /
-- openInterest) / 2 with openInterest the LONG amount only,
-- cumulativeFundingLong += fps, cumulativeFundingShort -= fps: half of the
-- loss lands on the longs and half on the shorts, each pro rata to size
-- (LP positions included).  A negative spot balance left is written off by
-- lowering cumulativeDepositsMultiplierX18 (SpotEngine.socializeSubaccount):
-- the product's depositors pay pro rata.  Amounts are x18 fixed point
-- (truncated at 10^-18: no rounding to speak of).
--
-- Sources (vertex-protocol/vertex-contracts at e138181, 2025-05-14):
--   https://github.com/vertex-protocol/vertex-contracts/blob/main/core/contracts/PerpEngine.sol
--     (socializeSubaccount)
--   https://github.com/vertex-protocol/vertex-contracts/blob/main/core/contracts/SpotEngine.sol
--     (socializeSubaccount)
--   https://github.com/vertex-protocol/vertex-contracts/blob/main/core/contracts/ClearinghouseLiq.sol
--     (finalization: insurance first)
--   https://vertex-protocol.gitbook.io/docs/basics/liquidations-and-insurance-fund
--
-- Mapping onto socloss.
--   * Steps 3-4 are the insurance's part: the fund takes A's positions at
--     mark and pays what it can; `haircut` socializes the shortfall.
--   * Perp (book "perp", the default): the shortfall is split over A's
--     markets by their deficits d (socloss.pro_rata; a joint event's
--     markets carry no d: by the notional of the candidates' open base),
--     each market's part in two halves (the odd atom to the longs), and each
--     half over that side's candidates pro rata to |size|, as capped
--     pro-rata (socloss.waterfill, cap = equity: the host never makes an
--     account bankrupt, so what one cannot bear is spread over its side),
--     exact to the atom (floors, then largest remainders, ties to the lower
--     id).  A side with no candidate holder pays nothing: its half is bad
--     debt.
--   * Spot (book "spot"): the depositors are the candidates with a positive
--     balance; waterfill(balance, min(balance, equity), shortfall).
--
-- params:
--   book = "perp" | "spot"
--
-- What it cannot express.
--   * The positions A leaves: in Vertex the liquidator holds them and they
--     take their share of the funding; here the fund holds them and pays
--     none, so each side's half falls on the candidates of that side (when
--     the fund took a short of 100 lots and 200 more are short, those 200
--     pay the shorts' whole half, where Vertex charges them 2/3 of it).
--   * The liquidation order (orders cancelled, LPs burned, assets then
--     liabilities liquidated at oracle x (weight + 1) / 2), the 25% of the
--     liquidator's profit kept by the insurance fund, and the exclusion of
--     the last liquidation's fees from the insurance used.
--   * The spot and perp parts of one account's hole apart: socloss has one
--     settlement balance, so `book` says which rule takes the whole.
--   * A funding payment beyond a position's equity (Vertex charges it):
--     spread over its side here.
local sl = socloss

local function parts(ctx)
  local w = {}
  for k, m in ipairs(ctx.deficit.markets) do
    w[k] = m.deficit or sl.sum(sl.mul(sl.abs(ctx.size[m.market]), m.mark))
  end
  return sl.pro_rata(w, ctx.deficit.shortfall)
end

return {
  name = "vertex",
  params = { book = "perp" },

  haircut = function(ctx)
    local book = ctx.params.book
    if book ~= "perp" and book ~= "spot" then
      error("book must be 'perp' or 'spot', not '" .. tostring(book) .. "'")
    end
    if book == "spot" then
      local deposit = sl.max(ctx.balance, 0)
      return sl.haircuts(sl.waterfill(deposit, sl.max(sl.min(deposit, ctx.equity), 0), ctx.deficit.shortfall))
    end
    local total, cap = sl.column(ctx.n), ctx.equity
    local share = parts(ctx)
    for k, m in ipairs(ctx.deficit.markets) do
      local half = sl.pro_rata({ 1, 1 }, share[k])  -- longs, shorts: the odd atom to the longs
      local size = ctx.size[m.market]
      local sides = { { "longs", sl.max(size, 0) }, { "shorts", sl.max(sl.sub(0, size), 0) } }
      for s, side in ipairs(sides) do
        if half[s] > 0 and sl.sum(side[2]) == 0 then
          sl.log("vertex:", m.market, "has no", side[1], "among the candidates: their half,", half[s], "atoms, is not charged")
        elseif half[s] > 0 then
          local amounts = sl.waterfill(side[2], sl.max(cap, 0), half[s])
          total, cap = sl.add(total, amounts), sl.sub(cap, amounts)
        end
      end
    end
    return sl.haircuts(total)
  end,
}
