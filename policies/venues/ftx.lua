-- ftx — FTX's backstop close against the largest opposing positions.
--
-- The rule (FTX, 2019-2022).  An account under its auto-close margin
-- fraction was closed first against Backstop Liquidity Providers (BLPs), in
-- proportion to their remaining capacity.  "If BLPs total capacity is
-- insufficient, the remaining size is closed against users with large
-- opposing positions (starting with the top 10 opposing positions, more if
-- their total is insufficient), in proportion to their position sizes.
-- Liquidated account closes at ZP [its zero price]. Other side closes at
-- 2/3 x ZP + 1/3 x MP [the mark]."  The insurance fund then pays what is
-- still lost; "clawbacks ... are still possible".
--
-- Sources: https://help.ftx.com/hc/en-us/articles/360027668712-Liquidations
-- and .../360027937831-Liquidations (the rule, quoted above);
-- https://help.ftx.com/hc/en-us/articles/360024479392-Backstop-Liquidity-Provider-Program
-- (BLPs, and the 1/3 of remaining equity paid to the backstop fund);
-- https://blog.ftx.com/blog/liquidation-flowchart/ (the stages).
-- FTX published no example of this step after bankruptcy: its tests are
-- derived (ftx_test.lua).  TV-FTX-2 (2 BTC at 10,000 with 1,000 of
-- collateral, closed against BLPs at about 9,646, a third of the 1.5% of
-- equity left to the backstop fund) is a close *before* bankruptcy, while
-- the account still has equity; socloss acts only on an account already
-- below zero, so TV-FTX-2 is not reproduced.
--
-- params (ctx.params; --with JSON / --params):
--   top   = 10    the number of largest opposing positions closed against
--                 first; more are taken, in order of size, while what the
--                 chosen can bear is short of the lots to close
--   share = 6667  basis points of the bankruptcy transfer the other side
--                 moves: 6667 is FTX's 2/3 x ZP + 1/3 x MP (a close at
--                 ZP moves all of it, one at mark none); 10000 closes at
--                 the bankruptcy price, 0 at mark
--
-- Onto socloss (deleverage step only):
--   largest first   socloss.order(lots held on the other side, "desc"), ties
--                   to the lower account id; the top `top`, and more while
--                   their capacity is short of the bankrupt account's lots
--   pro rata        socloss.waterfill(size, capacity, lots): in proportion to
--                   size, floors then the odd lots by largest remainder
--                   (ties to the lower id); a holder's capacity is its lots
--                   or what its equity bears at this share,
--                   floor(E x |size| x 10000 / (d x share)), whichever is
--                   less, and what a capped holder cannot take goes to the
--                   others in proportion (FTX says nothing of a holder that
--                   cannot pay: socloss never makes a bankruptcy)
--   the price       each close carries share: the holder moves share/10000
--                   of d x q / |size| (the host's exact transfer); the rest
--                   of the hole stays for the fund (step 4), then bad debt
--   every lot       the whole position is closed: FTX's backstop comes
--                   before its insurance fund (no fund first)
--   several markets a holder's closes in earlier markets are counted
--                   against its equity (ceil(d x q x share / (|size| x 10000))
--                   each) before its capacity in the next
--
-- What it cannot express:
--   - BLPs: they take the position on (a new position, by capacity per
--     minute and hour); a socloss close only reduces an opposite position
--     already held.  The fund's takeover at mark (step 3) is the nearest.
--   - Closing before bankruptcy (auto-close below the ACMF, partial
--     liquidations, TV-FTX-1 and TV-FTX-2): socloss starts at bankruptcy.
--   - The 1/3 of the transfer is not paid to a backstop fund here: it stays
--     in the bankrupt account's hole, which the insurance fund pays.
local sl = socloss

return {
  name = "ftx",
  params = { top = 10, share = 6667 },

  deleverage = function(ctx)
    local top, share = ctx.params.top, ctx.params.share
    if math.type(top) ~= "integer" or top < 1 then
      error("top must be an integer >= 1, not " .. tostring(top))
    end
    if math.type(share) ~= "integer" or share < 0 or share > 10000 then
      error("share must be an integer 0..10000 (basis points of the bankruptcy transfer), not " .. tostring(share))
    end
    local spent = {}     -- candidate index -> what its closes in earlier markets cost it
    local actions = {}
    for _, m in ipairs(ctx.deficit.markets) do
      local n = math.abs(m.size)
      if n > math.maxinteger // 10000 then error("a position of " .. n .. " lots is more than ftx.lua can weigh") end
      -- the other side: shorts against a long, longs against a short
      local held = m.size > 0 and sl.max(sl.sub(0, ctx.size[m.market]), 0) or sl.max(ctx.size[m.market], 0)
      local queue = sl.order(held, "desc")
      local weight, cap = sl.column(ctx.n), sl.column(ctx.n)
      local picked, room = {}, 0
      for k = 1, ctx.n do
        local i = queue[k]
        local q = held[i]
        if q == 0 or (#picked >= top and room >= n) then break end
        local e = ctx.equity[i] - (spent[i] or 0)
        local bear = q
        if e < 0 then
          bear = 0
        elseif m.deficit > 0 and share > 0 then
          -- floor(E x n x 10000 / (d x share)) = floor(floor(E x n x 10000 / d) / share);
          -- past int64 the holder bears every lot it has
          local ok, b = pcall(sl.muldiv, e, n * 10000, m.deficit)
          if ok then bear = b // share end
        end
        weight[i] = q
        cap[i] = math.min(q, bear)
        picked[#picked + 1] = i
        room = room + cap[i]
      end
      local lots = sl.waterfill(weight, cap, n)
      for _, i in ipairs(picked) do
        local q = lots[i]
        if q > 0 then
          actions[#actions + 1] = { account = ctx.account[i], market = m.market, size = q, share = share }
          spent[i] = (spent[i] or 0) - sl.muldiv(-m.deficit, q * share, n * 10000)
        end
      end
    end
    return actions
  end,
}
