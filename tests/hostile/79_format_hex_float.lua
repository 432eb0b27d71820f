-- expect: raised an error in haircut: 79_format_hex_float.lua:5: string.format: %A is not allowed
-- repeat: 3
-- %a and %A write a float as the C library spells hexadecimal floats, which
-- is not the same everywhere; refused wherever they are, after a NUL too.
return {name = "fmt_hex", haircut = function() error(string.format("%% %5.2s\0%-A", "x", 1.5)) end}
