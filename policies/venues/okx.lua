-- okx — OKCoin/OKEx's "full account clawback": one rate on all net profit.
--
-- The rule (OKCoin/OKEx futures until about 2019; Huobi/BitVC's "system loss
-- allocation" was the same idea).  What the insurance fund could not cover
-- at the weekly settlement was taken back from the traders in profit, "in
-- equal percentage from all profited traders", on each user's entire
-- account: "margin call losses from all three contracts [are] merged and
-- clawbacks ... calculated according to each user's entire account profit",
-- and "only users who have a net profit across all three contracts for that
-- week will be subject to the clawback".  So
--
--   rate = uncovered loss / sum of the net profits of net-profitable accounts
--   each net-profitable account pays rate x its net profit
--
-- and nothing past 100% of profit: principal is never touched.  It is one
-- decision for the whole loss: run it as a joint crash event (resolve
-- --all-bankrupt --event ID --joint), where the haircut step is called once
-- for every bankrupt account's hole together.
--
-- Sources: https://support.okexcn.com/hc/en-us/articles/115001762991-Terms-of-Contract-Billing-
-- (full account clawback); https://support.okcoin.com/hc/en-us/articles/360054057832-What-is-the-insurance-fund-
-- (the fund before the clawback); https://vidyoda.com/6023.html (a
-- third-party reproduction of OKX's explanation, TV-OKX-2 in okx_test.lua:
-- B should gain $9, A has $1, the other $8 clawed back);
-- https://hacked.com/okex-activates-clawback-in-416-mil-btc-futures-trade-gone-bad/
-- (the 2018 event: about 1,200 BTC at about 17-18% of profits; the total
-- profit was not published, so that rate cannot be reproduced).
--
-- params (ctx.params; --with JSON / --params):
--   require_joint = false  (default) a lone deficit, or each deficit of a
--                  sequential event, gets its own rate over the profit
--                  left; true: refuse anything but a joint event's one
--                  decision, so the whole loss meets one rate.
--
-- Onto socloss (haircut step only; no deleverage: the bankrupt positions
-- pass to the fund at mark, step 3):
--   net profit      ctx.upnl_total where positive: the account's unrealized
--                   PnL over all its positions in every market (scope
--                   account), so a trader in profit in one contract and
--                   more in loss in another pays nothing
--   one rate        socloss.pro_rata(profit, min(shortfall, total profit)):
--                   floor(total x profit / sum) each, the odd atoms by
--                   largest remainder, ties to the lower account id
--   the cap         never more than its equity (a haircut never makes a
--                   bankruptcy); a share a cap cuts is not spread over the
--                   others (that would be a second rate): it stays bad debt
--   depositors      pay nothing (no profit)
--
-- What it cannot express:
--   - Realized profit of the week: OKEx counted realized + unrealized
--     profit since the weekly settlement; socloss keeps no per-period
--     realized PnL, so only the unrealized part is seen.
--   - The weekly settlement timing and locked profit: socloss resolves
--     when it is asked to.
--   - TV-OKEX-2018's 17-18%: the sum of profits was not published.
local sl = socloss

return {
  name = "okx",
  params = { require_joint = false },

  haircut = function(ctx)
    local rj = ctx.params.require_joint
    if type(rj) ~= "boolean" then
      error("require_joint must be true or false, not " .. tostring(rj))
    end
    if rj and ctx.deficit.accounts == nil then
      error("one clawback rate is for the whole event: resolve it as a joint event (--joint)")
    end
    local profit = sl.max(ctx.upnl_total, 0)
    local total = math.min(ctx.deficit.shortfall, sl.sum(profit))
    local pay = sl.min(sl.pro_rata(profit, total), sl.max(ctx.equity, 0))
    return sl.haircuts(pay)
  end,
}
