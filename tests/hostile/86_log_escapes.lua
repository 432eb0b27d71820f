-- decides: haircut p 1
-- log: \x1b[31mred\x1b[0m \x1b]0;title\x07 bell\x07 cr\rlf\n tab\t del\x7f nul\x00 c1\xc2\x9b2J bidi\xe2\x80\xaegnp.exe ls\xe2\x80\xa8
-- log: fake\n  log: forged \\x1b[31m
-- Terminal escape sequences, control characters (C0, DEL, C1), bidi
-- overrides and separators: every one escaped, so none reaches a terminal
-- as it is; a backslash doubled, so an escape cannot be forged, nor can a
-- newline start a line that passes for the host's.
return {name = "log_escapes", haircut = function(ctx)
  socloss.log("\27[31mred\27[0m", "\27]0;title\7", "bell\7", "cr\rlf\n", "tab\t", "del\127", "nul\0",
              "c1\u{9b}2J", "bidi\u{202E}gnp.exe", "ls\u{2028}")
  socloss.log("fake\n  log: forged", "\\x1b[31m")
  return {{account = "p", amount = 1}}
end}
