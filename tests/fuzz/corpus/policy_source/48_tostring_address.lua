-- expect: policy:2: table
return {name="addr", haircut=function() error(tostring({})) end}
