-- drift — Drift Protocol v2's socialized loss, as its code does it.
--
-- The rule.  A perp bankruptcy (book "perp", the default): the insurance
-- fund pays first; what is left is socialized through the market's
-- cumulative funding rate over EVERY open position of that market, longs
-- and shorts, winners and losers, pro rata to base size (not profit):
--   delta = ceil(loss x PRECISION / (|base long| + |base short|))
-- atoms per PRECISION lots, and each position pays floor(delta x |base| /
-- PRECISION) on its next funding settlement.  The ceil makes Drift collect
-- a few atoms more than the loss (TV-DRIFT-1: 100,000,010 for 100,000,000).
-- No open base at all: Drift refuses ("Cant resolve perp bankruptcy when
-- total base asset amount is 0").
-- A spot bankruptcy (book "spot"): a borrow the insurance fund cannot repay
-- is socialized to the token's depositors by cutting the deposit index:
--   delta = ceil(index x loss / total deposits)
-- and each depositor's token amount falls from d to floor(d x (index -
-- delta) / index), i.e. it pays ceil(d x delta / index) — again a few
-- atoms over the loss.  No deposits: delta 0, nothing socialized.
--
-- Sources (drift-labs/protocol-v2 at 0ae3e3b, 2026-04-01):
--   https://github.com/drift-labs/protocol-v2/blob/master/programs/drift/src/controller/liquidation.rs
--     (resolve_perp_bankruptcy, resolve_spot_bankruptcy)
--   https://github.com/drift-labs/protocol-v2/blob/master/programs/drift/src/math/liquidation.rs
--     (calculate_funding_rate_deltas_to_resolve_bankruptcy,
--     calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy;
--     their unit tests in math/liquidation/tests.rs are TV-DRIFT-1 and -2)
--   https://github.com/drift-labs/protocol-v2/blob/master/programs/drift/src/math/funding.rs
--     (a position's payment: |delta| x |base| / 1e6 / 1e3 / 1e3, truncated)
--
-- Mapping onto socloss.
--   * Steps 3-4 are Drift's insurance payment: the fund takes A's positions
--     at mark and pays what it can (ctx.fund.max_draw plays Drift's
--     per-market insurance cap); `haircut` socializes the shortfall left.
--   * Perp: the shortfall is split over A's markets by their deficits d
--     (socloss.pro_rata; in a joint event, whose markets carry no d, by the
--     notional of the candidates' open base there), and each market's part
--     over the candidates' |size| there, both sides.  Lots are Drift's base
--     units: with PRECISION = 1e9 (BASE_PRECISION) and lots of 1e-9 coin,
--     delta x 1000 is Drift's cumulative_funding_rate_delta exactly.
--   * The host takes no more than the shortfall (the haircuts may not add
--     up to more) and never more than an account's equity.  So the charges
--     are TRIMMED: socloss.waterfill(|size|, min(Drift's payment, equity),
--     part): pro rata to base size, exact to the atom (floors, then largest
--     remainders, ties to the lower id), never more than Drift would take
--     from that position.  TV-DRIFT-1: Drift's 63,636,370 + 36,363,640 =
--     100,000,010 becomes 63,636,364 + 36,363,636 = 100,000,000.  With
--     rounding = "drift" the policy returns Drift's own payments untrimmed:
--     the host then refuses them whenever the ceil over-collects, and its
--     message states Drift's total ("the haircuts add up to 100000010, more
--     than the shortfall 100000000") — a way to read Drift's figure.
--   * Spot: the depositors are the candidates with a positive balance, each
--     depositing its balance; the charges are waterfill(balance,
--     min(Drift's cut, balance, equity), shortfall).  The haircut is taken
--     out of an account's open profit first (the host's rule); the amount
--     is what Drift's index cut would take.
--   * socloss.log shows Drift's delta and total beside the trimmed figure.
--
-- params:
--   book          = "perp"   the perp socialization; "spot": the depositors
--   rounding      = "trimmed" | "drift" (above)
--   precision     = 1000000000  lots per unit of the perp funding index
--                  (Drift's BASE_PRECISION; lots of 1e-9 coin reproduce
--                  Drift's delta)
--   deposit_index = 10000000000  the spot deposit index (Drift's
--                  cumulative_deposit_interest, 1e10 = 1.0, no interest
--                  accrued): depositors' token amounts are their balances
--
-- What it cannot express.
--   * Drift's insurance vault keeps 1 unit (balance - 1 is all it pays) and
--     the perp fee pool pays before the socialization: the fund here is one
--     cash balance, paid down to 0; a fee pool is not modelled.
--   * Payments beyond a position's equity: Drift charges them and the
--     position may go bankrupt in turn; socloss never makes an account
--     bankrupt, so what the cap holds back falls to bad debt (it is not
--     passed on beyond Drift's payment of the others).
--   * Drift's over-collection itself (the few atoms its ceil adds): trimmed.
--   * The fund's own positions (taken over from bankrupt accounts) have base
--     in Drift's totals through the AMM; here only candidates are charged.
--   * Drift's pnl-pool cap on settling profits (first come, first served).
--   * A delta beyond int64 (loss x precision / base: Drift keeps it in
--     i128): the charges are then the exact pro-rata shares, capped by
--     equity only, and rounding "drift" fails saying so.
local sl = socloss

-- ceil(a x b / c), exact in 128 bits (a, b >= 0, c > 0)
local function ceil_muldiv(a, b, c)
  return -sl.muldiv(-a, b, c)
end

local function positive_int(p, key)
  local v = p[key]
  if math.type(v) ~= "integer" or v <= 0 then
    error(key .. " must be an integer > 0, not " .. tostring(v))
  end
  return v
end

-- the charges for one part of the loss: Drift's payments as caps, or as they are
local function charges(ctx, weight, drift, cap_left, part, rounding)
  if rounding == "drift" then return drift end
  return sl.waterfill(weight, sl.max(sl.min(drift, cap_left), 0), part)
end

local function perp(ctx, p, rounding)
  local markets = ctx.deficit.markets
  if #markets == 0 then
    error("drift: the bankrupt accounts hold no perp position: no market to socialize the loss over "
          .. "(book 'spot' charges the depositors)")
  end
  local K = positive_int(p, "precision")
  -- the shortfall's part per market: by the markets' deficits d (a joint
  -- event's markets have none: by the notional of the open base there)
  local w = {}
  for k, m in ipairs(markets) do
    w[k] = m.deficit or sl.sum(sl.mul(sl.abs(ctx.size[m.market]), m.mark))
  end
  local parts = sl.pro_rata(w, ctx.deficit.shortfall)
  local total = sl.column(ctx.n)
  local cap_left = ctx.equity
  for k, m in ipairs(markets) do
    local loss = parts[k]
    if loss > 0 then
      local base = sl.abs(ctx.size[m.market])
      local B = sl.sum(base)
      if B == 0 then
        error("drift: no open base in '" .. m.market .. "' to socialize " .. loss
              .. " atoms over (Drift: CantResolvePerpBankruptcy, total base asset amount 0)")
      end
      local ok, delta = pcall(ceil_muldiv, loss, K, B)
      local amounts
      if ok then
        local drift = sl.muldiv(base, delta, K)
        amounts = charges(ctx, base, drift, cap_left, loss, rounding)
        sl.log("drift", m.market .. ": loss", loss, "over base", B, "delta", delta, "atoms per", K,
               "lots; Drift charges", sl.sum(drift), "applied", sl.sum(amounts))
      elseif rounding == "drift" then
        error("drift: the delta " .. loss .. " x " .. K .. " / " .. B .. " does not fit int64: Drift's figures cannot be shown")
      else
        -- Drift's index (i128) holds more than int64: its payments are
        -- then the exact shares to within an atom, so only equity caps
        amounts = sl.waterfill(base, sl.max(cap_left, 0), loss)
        sl.log("drift", m.market .. ": loss", loss, "over base", B, "delta beyond int64; applied", sl.sum(amounts))
      end
      total = sl.add(total, amounts)
      cap_left = sl.sub(cap_left, amounts)
    end
  end
  return total
end

local function spot(ctx, p, rounding)
  local I = positive_int(p, "deposit_index")
  local loss = ctx.deficit.shortfall
  local deposit = sl.max(ctx.balance, 0)
  local D = sl.sum(deposit)
  if D == 0 then
    sl.log("drift spot: no deposits: delta 0, nothing socialized")
    return nil
  end
  -- the index cannot fall below 0: at most every deposit is lost (a delta
  -- beyond int64 is beyond the index too)
  local ok, delta = pcall(ceil_muldiv, I, loss, D)
  delta = ok and math.min(delta, I) or I
  local drift = sl.sub(deposit, sl.muldiv(deposit, I - delta, I))
  local amounts = charges(ctx, deposit, drift, sl.min(deposit, ctx.equity), loss, rounding)
  sl.log("drift spot: loss", loss, "over deposits", D, "index delta", delta, "of", I,
         "; Drift charges", sl.sum(drift), "applied", sl.sum(amounts))
  return amounts
end

return {
  name = "drift",
  params = { book = "perp", rounding = "trimmed", precision = 1000000000, deposit_index = 10000000000 },

  haircut = function(ctx)
    local p = ctx.params
    if p.rounding ~= "trimmed" and p.rounding ~= "drift" then
      error("rounding must be 'trimmed' or 'drift', not '" .. tostring(p.rounding) .. "'")
    end
    local amounts
    if p.book == "perp" then
      amounts = perp(ctx, p, p.rounding)
    elseif p.book == "spot" then
      amounts = spot(ctx, p, p.rounding)
    else
      error("book must be 'perp' or 'spot', not '" .. tostring(p.book) .. "'")
    end
    return amounts and sl.haircuts(amounts)
  end,
}
