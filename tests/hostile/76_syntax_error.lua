-- expect: does not load: policy:1:
return {name = "bad" haircut = 1}
