-- dydx — dYdX v4 (dYdX Chain) deleveraging, as its code does it.
--
-- The rule.  When the insurance fund cannot back the liquidation of an
-- account with negative net collateral, dYdX deleverages its WHOLE position
-- against accounts holding the opposite side of the same perpetual, at the
-- bankrupt account's bankruptcy price.  There is no ranking by profit or
-- leverage: the holders on the other side are walked from a pseudo-random
-- start, one after another (wrapping around), at most 500 of them; each
-- fills min(what is left, its whole position).  A holder whose own account
-- would fail dYdX's collateral check after the fill ("non-overlapping
-- bankruptcy prices") is skipped whole, and the walk goes on.  What no
-- holder takes stays with the bankrupt account (dYdX then gates
-- withdrawals).
--
-- Sources (read 2026-03, dydxprotocol/v4-chain at 84d4664):
--   https://github.com/dydxprotocol/v4-chain/blob/main/protocol/x/clob/keeper/deleveraging.go
--     (MaybeDeleverageSubaccount: "the full position size will get
--     deleveraged"; OffsetSubaccountPerpetualPosition: start at
--     pseudoRand.Intn(n), (i + offset) % n, i < min(n, 500), a failed fill
--     skipped)
--   https://github.com/dydxprotocol/v4-chain/blob/main/protocol/x/clob/keeper/liquidations.go
--     (GetBankruptcyPriceInQuoteQuantums: -DNNV - floor(TNC x |DMMR| / TMMR))
--   https://github.com/dydxprotocol/v4-chain/blob/main/protocol/x/subaccounts/lib/updates.go
--     and protocol/lib/margin/risk.go (the collateral check, below)
--   https://help.dydx.trade/en/articles/166973-contract-loss-mechanisms-on-dydx-chain
--   https://dydx-documentation-six.vercel.app/concepts/trading/contract-loss-mechanism
--     (the worked example TV-DYDX-1 of the test)
--
-- Mapping onto socloss.
--   * The bankruptcy price is the host's (step 1): A's deficit d of a market
--     over its |size| lots, each close moving exactly d x q / |size| atoms
--     from the holder to A (no atom lost at any lot size: dYdX's base
--     quantum, 1e-8 BTC, can be the lot).  dYdX apportions the account's
--     negative collateral over its positions by maintenance requirement,
--     the host by notional: the same whenever the markets share one
--     maintenance fraction.
--   * The insurance fund first: when the fund (its cash, capped by
--     ctx.fund.max_draw) covers the whole deficit, nothing is closed (the
--     liquidation would have gone through, the fund paying); otherwise every
--     position of A is deleveraged whole, market by market in market-id
--     order, and what no holder takes passes to the fund at mark (step 3),
--     which pays what it can; the rest is bad debt.
--   * The holders on the other side are taken in account-id order (dYdX's
--     list comes from its liquidation daemon); the walk starts at the
--     param `start` (no randomness in a policy) and visits at most
--     `max_iter` of them per market.
--   * The collateral check, per fill of q lots moving t atoms from holder H
--     (t counted as ceil(d x q / |size|), the most the host moves):
--     NC = H's equity (less what its earlier fills of this deficit moved),
--     IMR/MMR = H's initial/maintenance requirements over the deficit's
--     markets, ceil(|size| x mark x ppm / 10^6) per position; after the
--     fill NC' = NC - t, IMR', MMR'.  The fill passes when NC' >= IMR';
--     else when MMR' <= MMR, both MMR and MMR' > 0 and
--     NC' x MMR >= NC x MMR' (the ratio does not worsen); with MMR or MMR'
--     zero, only when both are and NC' > NC.  With the default 0 ppm it
--     is NC' >= 0: the host's own rule (a close never makes or deepens a
--     bankruptcy), which every fill that passes also keeps.
--   * The closes are built by socloss.deleverage (it checks again what each
--     holder bears); this file only picks the holders.
--
-- params:
--   start      = 0     the walk's start: an offset into the opposite-side
--                      holders of each market in account-id order (taken
--                      modulo their count); dYdX draws it at random
--   max_iter   = 500   holders visited at most per market
--                      (MaxDeleveragingSubaccountsToIterate)
--   imf_ppm    = 0     initial margin fraction, parts per million: one
--   mmf_ppm    = 0     integer for every market or a table by market id
--                      ({ ["BTC-USD"] = 200000 }); a market not in the
--                      table counts 0
--   fund_first = true  false: deleverage even when the fund could pay
--
-- What it cannot express.
--   * dYdX's split of the deficit over A's markets by maintenance
--     requirement when the markets' fractions differ (the host splits by
--     notional), and dYdX's rounding of each fill's quote toward +infinity,
--     recomputed fill by fill: the host floors each close and gives the
--     market's spare atoms by largest remainder (ties to the lower id), so
--     a holder may pay one atom less or more than under dYdX, never the
--     market's total.
--   * A holder's requirements in markets outside the deficit's (ctx holds
--     positions in the deficit's markets only): the check counts none.
--   * Deleveraging of accounts that are not bankrupt: final settlement at
--     the oracle price, and ProcessDeleveraging called on an account with
--     TNC >= 0 (socloss resolves negative equity only).
--   * A liquidation partly filled in the book before deleveraging, the
--     maximum liquidation spread and its fee to the fund, withdrawal gating.
local sl = socloss

local function int_param(p, key, lo)
  local v = p[key]
  if math.type(v) ~= "integer" or v < lo then
    error(key .. " must be an integer >= " .. lo .. ", not " .. tostring(v))
  end
  return v
end

-- A margin fraction of market m: one integer, or a table by market id.
local function ppm(p, key, market)
  local v = p[key]
  if type(v) == "table" then v = v[market] end
  if v == nil then return 0 end
  if math.type(v) ~= "integer" or v < 0 or v > 1000000 then
    error(key .. " must be an integer 0..1000000 (parts per million) or a table of them by market, not "
          .. tostring(v) .. (type(p[key]) == "table" and " for '" .. market .. "'" or ""))
  end
  return v
end

-- ceil(a x b / c) for a, b, c >= 0, exact in 128 bits
local function ceil_muldiv(a, b, c)
  return -sl.muldiv(-a, b, c)
end

return {
  name = "dydx",
  params = { start = 0, max_iter = 500, imf_ppm = 0, mmf_ppm = 0, fund_first = true },

  deleverage = function(ctx)
    local p = ctx.params
    local start = int_param(p, "start", 0)
    local max_iter = int_param(p, "max_iter", 1)
    if p.fund_first ~= true and p.fund_first ~= false then
      error("fund_first must be true or false, not " .. tostring(p.fund_first))
    end
    local markets = ctx.deficit.markets
    local imf, mmf = {}, {}
    for _, m in ipairs(markets) do
      imf[m.market], mmf[m.market] = ppm(p, "imf_ppm", m.market), ppm(p, "mmf_ppm", m.market)
    end

    -- the fund first: what it will pay, its cash capped per deficit
    local fund = math.max(ctx.fund.cash, 0)
    if ctx.fund.max_draw > 0 then fund = math.min(fund, ctx.fund.max_draw) end
    if p.fund_first and fund >= -ctx.deficit.equity then return nil end

    -- per holder touched: the atoms its fills moved and the lots closed per market
    local spent, closed = {}, {}
    local function lots(i, m)
      local c = closed[i]
      return math.abs(ctx.size[m.market][i]) - (c and c[m.market] or 0)
    end
    -- H's requirements over the deficit's markets, `less` lots fewer in market `in_m`
    local function reqs(i, in_m, less)
      local im, mm = 0, 0
      for _, m in ipairs(markets) do
        local notional = (lots(i, m) - (m.market == in_m and less or 0)) * m.mark
        im = im + ceil_muldiv(notional, imf[m.market], 1000000)
        mm = mm + ceil_muldiv(notional, mmf[m.market], 1000000)
      end
      return im, mm
    end
    -- dYdX's collateral check of a fill of q lots moving t atoms from holder i
    local function passes(i, m, q, t)
      local nc = ctx.equity[i] - (spent[i] or 0)
      local nc2 = nc - t
      local _, mmr = reqs(i, m.market, 0)
      local imr2, mmr2 = reqs(i, m.market, q)
      if nc2 >= imr2 then return true end
      if mmr2 > mmr then return false end
      if mmr2 == 0 or mmr == 0 then return mmr2 == 0 and mmr == 0 and nc2 > nc end
      -- NC' x MMR >= NC x MMR'  <=>  floor(NC' x MMR / MMR') >= NC (NC an integer)
      local ok, x = pcall(sl.muldiv, nc2, mmr, mmr2)
      if not ok then return nc2 > 0 end  -- beyond int64: its sign decides
      return x >= nc
    end

    local actions = nil
    for _, m in ipairs(markets) do
      local size, d = math.abs(m.size), m.deficit
      -- the other side: shorts against a long, longs against a short
      local avail = m.size > 0 and sl.max(sl.sub(0, ctx.size[m.market]), 0) or sl.max(ctx.size[m.market], 0)
      local k = sl.sum(sl.select(avail, 1, 0))
      -- the opposite holders first, in account-id order (a stable sort)
      local holders = sl.order(sl.select(avail, 0, 1))
      local left, picked, fill = size, {}, nil
      for j = 0, math.min(k, max_iter) - 1 do
        if left == 0 then break end
        local i = holders[(start % k + j) % k + 1]
        local q = math.min(left, avail[i])
        local t = ceil_muldiv(d, q, size)
        if passes(i, m, q, t) then
          fill = fill or sl.column(ctx.n)
          fill[i] = q
          picked[#picked + 1] = i
          spent[i] = (spent[i] or 0) + t
          closed[i] = closed[i] or {}
          closed[i][m.market] = (closed[i][m.market] or 0) + q
          left = left - q
        end
      end
      if #picked > 0 then actions = sl.deleverage(m.market, picked, fill, size - left, actions) end
    end
    return actions
  end,
}
