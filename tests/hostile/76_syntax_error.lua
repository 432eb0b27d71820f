-- expect: does not load: 76_syntax_error.lua:2:
return {name = "bad" haircut = 1}
