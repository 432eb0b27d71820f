-- expect: attempt to call a nil value (field 'random')
return {name="rnd", haircut=function() return math.random() end}
