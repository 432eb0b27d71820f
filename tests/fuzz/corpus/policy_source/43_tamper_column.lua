-- expect: this column is read-only
return {name="ro", haircut=function(ctx) ctx.equity[1] = 10^9 end}
