-- expect: does not load: policy:2:
return {name = "bad" haircut = 1}
