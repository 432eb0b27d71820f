-- expect: policy:1: table
return {name="addr", haircut=function() error(tostring({})) end}
