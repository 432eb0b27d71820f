-- expect: raised an error in haircut: 47_error_huge.lua:2: xxxxxxxxxx
return {name="ehuge", haircut=function() error(string.rep("x", 1000000)) end}
