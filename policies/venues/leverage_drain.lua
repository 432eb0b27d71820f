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
--     are proportional to the surplus, capped at each position: a capped
--     pro-rata, socloss.waterfill(e, n, sum(n) - Q).  Holders whose cap binds
--     are the least levered and keep everything; every other holder ends at
--     the same leverage.  A holder's surplus is counted in whole atoms,
--     e_i = E_i - ceil(d x n_i / N) (the most its whole close moves).
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
--   * The integer rounding: the lots kept are water-filled with
--     socloss.waterfill (floors, then the odd lots one each by largest
--     remainder, ties to the lower id), the continuous optimum rounded.  A
--     holder given a rounded-up lot may end above the common leverage by up
--     to one lot's worth, where another split of those few lots would have
--     stayed lower: the largest leverage left is optimal to within one lot
--     (the test's last case shows one).
local sl = socloss

return {
  name = "leverage_drain",
  params = { fund_first = true },

  deleverage = function(ctx)
    local p = ctx.params
    if p.fund_first ~= true and p.fund_first ~= false then
      error("fund_first must be true or false, not " .. tostring(p.fund_first))
    end
    local fund = math.max(ctx.fund.cash, 0)
    if ctx.fund.max_draw > 0 then fund = math.min(fund, ctx.fund.max_draw) end
    local left = -ctx.deficit.equity - fund
    local equity = ctx.equity
    local actions = nil
    for _, m in ipairs(ctx.deficit.markets) do
      local N, d = math.abs(m.size), m.deficit
      local Q = N
      if p.fund_first then
        if left <= 0 or d == 0 then
          Q = 0
        elseif left < d then
          Q = -sl.muldiv(-left, N, d)  -- ceil(left x N / d)
        end
        left = left - sl.muldiv(d, Q, N)
      end
      if Q > 0 then
        local n = m.size > 0 and sl.max(sl.sub(0, ctx.size[m.market]), 0) or sl.max(ctx.size[m.market], 0)
        -- the surplus: equity kept after a whole close, its transfer rounded up
        local surplus = sl.sub(equity, sl.sub(0, sl.muldiv(sl.sub(0, n), d, N)))
        local e = sl.select(n, sl.max(surplus, 0), 0)
        local drainable = sl.sum(sl.select(e, n, 0))
        local close
        if drainable <= Q then
          close = sl.select(e, n, 0)  -- every drainable lot
        else
          local keep = sl.waterfill(e, sl.select(e, n, 0), drainable - Q)
          close = sl.select(e, sl.sub(n, keep), 0)
        end
        local lots = sl.sum(close)
        sl.log("leverage_drain", m.market .. ":", lots, "of", Q, "lots closed over", drainable, "drainable")
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
