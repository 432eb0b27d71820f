-- expect: attempt to index a nil value (global 'os')
return {name="os", haircut=function() os.execute("id") end}
