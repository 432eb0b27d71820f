-- mango — Mango v4's socialized loss, as its code does it.
--
-- The rule.  Perp (book "perp", the default): a liquidator first takes over
-- the bankrupt account's negative PnL against its settle limits, then is
-- paid from the group insurance fund for taking more; ONLY WHEN THE
-- INSURANCE FUND IS EXHAUSTED is the rest socialized
-- (PerpMarket::socialize_loss): every base lot of the market's open
-- interest, long or short, pays loss / open_interest through the funding
-- indices (long_funding += s, short_funding -= s).  Open interest 0:
-- nothing is socialized (the code's comment: the loss would then fall on
-- "the last person to call settle_pnl").  Token (book "spot"): a token
-- borrow the insurance fund cannot cover lowers the token's deposit index
-- (new index = index - loss / sum of indexed deposits): every depositor
-- loses pro rata to its deposit.  Amounts are I80F48 fixed point (48
-- fractional bits): no rounding to speak of.
--
-- Sources (blockworks-foundation/mango-v4 at 1303a4a, 2024-09-04):
--   https://github.com/blockworks-foundation/mango-v4/blob/main/programs/mango-v4/src/state/perp_market.rs
--     (socialize_loss)
--   https://github.com/blockworks-foundation/mango-v4/blob/main/programs/mango-v4/src/instructions/perp_liq_negative_pnl_or_bankruptcy.rs
--     (insurance first; "don't socialize loss since insurance not exhausted")
--   https://github.com/blockworks-foundation/mango-v4/blob/main/programs/mango-v4/src/instructions/token_liq_bankruptcy.rs
--
-- Mapping onto socloss.
--   * Steps 3-4 are the insurance fund's part: the fund takes A's positions
--     at mark and pays the hole as far as its cash (and ctx.fund.max_draw)
--     goes.  "Exhausted" is the fund's cash after that draw: 0.  When a
--     per-deficit cap leaves cash in the fund, Mango would not socialize:
--     nothing is charged and the rest is bad debt (in Mango it stays with
--     the account until the fund runs dry).
--   * Perp: the shortfall is split over A's markets by their deficits d
--     (socloss.pro_rata; a joint event's markets carry no d: by the notional
--     of the candidates' open base there), and each market's part over the
--     candidates' |size| there, longs and shorts, as capped pro-rata
--     (socloss.waterfill, cap = equity: the host never makes an account
--     bankrupt, so what one cannot bear is spread over the others), exact to
--     the atom (floors, then largest remainders, ties to the lower id).
--     Open interest 0 among the candidates: that part is not charged (bad
--     debt), as Mango socializes nothing.
--   * Spot: the depositors are the candidates with a positive balance;
--     waterfill(balance, min(balance, equity), shortfall).
--
-- params:
--   book = "perp" | "spot"
--
-- What it cannot express.
--   * The liquidator's step before bankruptcy (settling negative PnL
--     against settle limits and health, max_for_health): the host's own
--     liquidation, outside socloss; Mango's unit-test tables
--     (test_liq_negative_pnl_or_bankruptcy, test_liq_perps_bankruptcy) are
--     about that step and are not reproduced.
--   * The insurance payment's liquidation fee: Mango pays the liquidator
--     ceil(liab x price x (1 + base_liquidation_fee)) insurance tokens for
--     each unit of loss it takes, so its fund covers loss / (1 + fee) per
--     token; the socloss fund pays the hole atom for atom.
--   * Several banks of one token (the deposit index applied to each).
--   * A funding payment beyond a position's equity (Mango charges it, the
--     account may turn negative): spread over the others here.
local sl = socloss

-- each market's part of the shortfall: by its deficit d (or, in a joint
-- event, by the notional of the candidates' open base there)
local function parts(ctx)
  local w = {}
  for k, m in ipairs(ctx.deficit.markets) do
    w[k] = m.deficit or sl.sum(sl.mul(sl.abs(ctx.size[m.market]), m.mark))
  end
  return sl.pro_rata(w, ctx.deficit.shortfall)
end

return {
  name = "mango",
  params = { book = "perp" },

  haircut = function(ctx)
    local book = ctx.params.book
    if book ~= "perp" and book ~= "spot" then
      error("book must be 'perp' or 'spot', not '" .. tostring(book) .. "'")
    end
    if ctx.fund.cash > 0 then
      sl.log("mango: the insurance fund is not exhausted (" .. ctx.fund.cash .. " left): nothing socialized")
      return nil
    end
    if book == "spot" then
      local deposit = sl.max(ctx.balance, 0)
      return sl.haircuts(sl.waterfill(deposit, sl.max(sl.min(deposit, ctx.equity), 0), ctx.deficit.shortfall))
    end
    local total, cap = sl.column(ctx.n), ctx.equity
    local share = parts(ctx)
    for k, m in ipairs(ctx.deficit.markets) do
      local lots = sl.abs(ctx.size[m.market])
      if share[k] > 0 and sl.sum(lots) == 0 then
        sl.log("mango:", m.market, "has no open interest: its", share[k], "atoms are not socialized")
      elseif share[k] > 0 then
        local amounts = sl.waterfill(lots, sl.max(cap, 0), share[k])
        total, cap = sl.add(total, amounts), sl.sub(cap, amounts)
      end
    end
    return sl.haircuts(total)
  end,
}
