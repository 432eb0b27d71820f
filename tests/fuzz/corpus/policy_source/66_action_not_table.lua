-- expect: haircut action 1 is a string, not a table
return {name="strs", haircut=function() return {"p"} end}
