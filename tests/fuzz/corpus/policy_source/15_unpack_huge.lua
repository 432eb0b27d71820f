-- expect: too many results to unpack
return {name="unpack", haircut=function() return table.unpack({}, 1, 1e8) end}
