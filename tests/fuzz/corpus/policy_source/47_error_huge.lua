-- expect: raised an error in haircut: policy:2: xxxxxxxxxx
return {name="ehuge", haircut=function() error(string.rep("x", 1000000)) end}
