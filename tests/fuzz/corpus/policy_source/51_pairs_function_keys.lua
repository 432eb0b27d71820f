-- expect: pairs: keys of type function have no deterministic order
return {name="pairsf", haircut=function() for k in pairs({[function() end] = 1}) do end end}
