-- expect: string.format: %p is not allowed
return {name="fmtp", haircut=function() return string.format("%p", {}) end}
