-- expect: string.format: argument 1 is table
return {name="fmtt", haircut=function() return string.format("%s", {}) end}
