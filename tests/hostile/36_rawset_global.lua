-- expect: attempt to call a nil value (global 'rawset')
rawset(_G, "tostring", print)
return {name="raw", haircut=function() end}
