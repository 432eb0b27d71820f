-- leverage_drain — ADL that lowers the largest leverage left, after
-- Campbell, Hey, Moallemi and Nutz, "Risk-Based Auto-Deleveraging"
-- (arXiv:2603.15963, March 2026).
--
-- The rule.  The paper shows that, for a single asset with isolated margin
-- and a risk-neutral exchange, the auto-deleveraging that minimizes the
-- exchange's expected loss from later shortfalls is the one that minimizes
-- the MAXIMUM leverage left: reduce the most levered holder first until it
-- is as levered as the next, then both together, and so on ("leverage
-- draining", a water-filling in leverage).  It is distribution-free, and
-- splitting an account or wash trading does not change what it is charged.
--
-- Source: https://arxiv.org/abs/2603.15963v1 (no venue publishes an
-- example: the test's cases are derived, computed by hand).
--
-- Mapping onto socloss, per market of the bankrupt account A (market-id
-- order), with N = A's |size|, d = its deficit there, p = the mark:
--   * Holder i of the other side has n_i lots and equity E_i (less what
--     its closes in A's earlier markets moved).  A close of q lots at A's
--     bankruptcy price costs it d x q / N, so after it its leverage is
--     (n_i - q) x p / (E_i - d x q / N).  Writing k = n_i - q for the lots it
--     keeps and e_i = E_i - d x n_i / N for the equity it would keep if
--     closed whole (its "surplus"), the leverage is k x p / (e_i + k x d / N):
--     it grows with k / e_i alone, the same way for every holder (d / N is
--     the market's).  So the lots kept that minimize the largest leverage
--     are the K = sum(n) - Q smallest of the ratios j / e_i, j = 1..n_i:
--     in the continuous problem a capped pro-rata of the surplus (holders
--     whose cap binds are the least levered and keep everything, every other
--     holder ends at the same leverage), in lots its floors plus the few
--     lots left, each to the smallest next ratio (kept_lots below).  A
--     holder's surplus is counted in whole atoms, e_i = E_i - ceil(d x n_i /
--     N) (the most its whole close moves).
--   * A holder with e_i <= 0 is not drained: a partial close RAISES its
--     leverage (its equity falls faster than its notional), so it is left
--     alone; when the others' lots do not reach Q, the rest passes to the
--     fund at mark (step 3), and what it cannot pay is bad debt.
--   * Q: with fund_first (default, as adl.lua) the fewest lots whose exact
--     transfer covers what the fund will not pay: R = deficit - min(fund
--     cash, max_draw when > 0), ceil(R x N / d) lots, at most N, market by
--     market until R is covered; with fund_first = false all N lots.
--   * The closes are built by socloss.deleverage (most lots first, ties to
--     the lower id), which checks again what each holder bears.
--
-- params:
--   fund_first = true   (above)
--
-- What it cannot express.
--   * Leverage is the holder's notional in A's market over its whole
--     equity (cross margin): the paper's isolated single-asset account;
--     its multi-asset result (water-filling in factor-adjusted leverage) is
--     not modelled, and a holder's positions outside the deficit's markets
--     do not count.
--   * Exactness of the integer split: the lots kept are the K smallest of
--     the ratios j / e_i (each holder's j-th kept lot, 1 <= j <= n_i), the
--     integer optimum: the water level and the floors are exact integers
--     (socloss.muldiv), but the few lots left after the floors (fewer than
--     the holders under the level) are given by comparing those ratios as
--     doubles (socloss.order): two ratios within one part in 2^53 of each
--     other may be taken in either order.  Equal ratios: the lower id
--     closes first (the higher id keeps the lot).  And the surplus in whole
--     atoms (its close's transfer rounded up) stands for the exact rational
--     one: leverages that differ by less than that atom may rank either way.
local sl = socloss

-- The K lots kept that minimize the largest leverage left: the K smallest
-- of the ratios j / e_i (1 <= j <= n_i) over the holders with a surplus
-- e_i > 0, as integers per holder.  First the water level of the
-- continuous problem (k_i = min(n_i, theta x e_i), sum K): the holders
-- whose cap binds at theta = rest / W, found again until none is added
-- (theta only rises as caps bind); then the floors, and the few lots left
-- (fewer than the holders under the level) to the smallest next ratios.
local function kept_lots(e, n, K)
  local capped = sl.column(#e)
  local rest, W
  repeat
    local before = sl.sum(capped)
    rest = K - sl.sum(sl.select(capped, n, 0))
    W = sl.sum(sl.select(capped, 0, e))
    -- n_i x W <= rest x e_i  <=>  floor(rest x e_i / W) >= n_i
    capped = sl.select(e, sl.select(sl.add(sl.sub(sl.muldiv(e, rest, W), n), 1), 1, capped), 0)
  until sl.sum(capped) == before
  local under = sl.select(e, sl.select(capped, 0, 1), 0)
  local floor = sl.select(capped, n, sl.min(n, sl.muldiv(e, rest, W)))
  local spare = K - sl.sum(floor)
  if spare == 0 then return floor end
  -- a level high enough to hold `spare` more lots: theta = (rest + t x mult)
  -- / W, t the holders under the level, doubled until it holds them
  local t, mult, top = sl.sum(under), 1, nil
  repeat
    if mult > (math.maxinteger - rest) // t then
      top = n  -- a level above every holder's lots (never reached in practice)
    else
      top = sl.select(capped, n, sl.min(n, sl.muldiv(e, rest + t * mult, W)))
    end
    mult = mult * 2
  until sl.sum(top) >= K
  -- the next ratios below that level, (floor_i + m) / e_i, one entry per
  -- lot, the higher ids first so that a tie keeps the higher id's lot (the
  -- lower id closes first, as in every queue)
  local room = sl.sub(top, floor)
  local holders = sl.order(sl.select(room, 0, 1))
  local keys, owner = {}, {}
  for j = sl.sum(sl.select(room, 1, 0)), 1, -1 do
    local i = holders[j]
    for m = 1, room[i] do
      keys[#keys + 1] = (floor[i] + m) / e[i]
      owner[#owner + 1] = i
    end
  end
  local kept = sl.add(floor, 0)
  local by = sl.order(keys)
  for r = 1, spare do
    local i = owner[by[r]]
    kept[i] = kept[i] + 1
  end
  return kept
end

return {
  name = "leverage_drain",
  params = { fund_first = true },

  deleverage = function(ctx)
    local p = ctx.params
    if p.fund_first ~= true and p.fund_first ~= false then
      error("fund_first must be true or false, not " .. tostring(p.fund_first))
    end
    -- per market, the lots Q to close: all, or with fund first the fewest
    -- whose transfers cover what the fund will not pay (docs/helpers.md)
    local lots_q = sl.lots_to_close(p.fund_first)
    local equity = ctx.equity
    local actions = nil
    for k, m in ipairs(ctx.deficit.markets) do
      local N, d, Q = math.abs(m.size), m.deficit, lots_q[k]
      if Q > 0 then
        local n = sl.opposite(m.market)  -- shorts against a long, longs against a short
        -- the surplus: equity kept after a whole close, its transfer rounded up
        local surplus = sl.sub(equity, sl.sub(0, sl.muldiv(sl.sub(0, n), d, N)))
        local e = sl.select(n, sl.max(surplus, 0), 0)
        local lots_e = sl.select(e, n, 0)  -- the drainable lots: holders with a surplus
        local drainable = sl.sum(lots_e)
        local close
        if drainable <= Q then
          close = lots_e  -- every drainable lot
        else
          close = sl.sub(lots_e, kept_lots(e, lots_e, drainable - Q))
        end
        local lots = sl.sum(close)
        if lots > 0 then
          actions = sl.deleverage(m.market, sl.order(close, "desc"), close, lots, actions)
          -- what these closes may move, for the next market's surpluses
          equity = sl.sub(equity, sl.sub(0, sl.muldiv(sl.sub(0, close), d, N)))
        end
      end
    end
    return actions
  end,
}
