-- expect: attempt to call a nil value (global 'print')
return {name="print", haircut=function() print(("x"):rep(1000)) end}
