-- expect: attempt to index a nil value (global 'socloss')
_G.socloss = nil
return {name="tamper", haircut=function(ctx) return socloss.haircuts(socloss.column(ctx.n, 0)) end}
