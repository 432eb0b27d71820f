-- expect: raised an error in haircut: 78_format_after_nul.lua:6: string.format: %p is not allowed
-- repeat: 3
-- Lua's format reads the whole string, NUL bytes included: a check that
-- stopped at the first NUL let "%p" through, and it printed a heap address,
-- different on every run.
return {name = "fmt_nul", haircut = function() error(string.format("a\0%p", "x"):sub(3)) end}
