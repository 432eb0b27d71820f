-- expect: policy raised a non-string error (nil)
return {name="enil", haircut=function() error() end}
