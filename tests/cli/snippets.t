#!/usr/bin/env bash
# snippets.t — every C code block (```c ... ```) of README.md and docs/*.md
# compiles, as a host would build it, against the public header alone:
# cc -Wall -Wextra -Werror, so a missing #include (an implicit declaration)
# fails.  A block is a host's file: it includes what it uses.
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/tap.sh"
export LC_ALL=C  # the compiler's messages in ASCII quotes

# Each ```c block of FILE into $TMP/snip-N.c; prints "N FILE:LINE" per block.
extract() {
  awk -v out="$TMP/snip-" -v file="$1" -v start="$2" '
    /^```c[[:space:]]*$/ { n++; into = out (start + n) ".c"; printf "" > into; print start + n, file ":" NR + 1; next }
    into && /^```[[:space:]]*$/ { close(into); into = ""; next }
    into { print > into }' "$repo/$1"
}

blocks=()
n=0
for f in README.md docs/*.md; do
  [ -f "$repo/$f" ] || continue
  while read -r k where; do
    blocks+=("$k $where")
    n=$k
  done < <(cd "$repo" && extract "$f" "$n")
done
like "${#blocks[@]}" '^[1-9][0-9]*$' "C blocks found in README.md and docs/*.md: ${#blocks[@]}"
for b in "${blocks[@]}"; do
  k=${b%% *}
  where=${b#* }
  run cc -Wall -Wextra -Werror -I "$repo/engine/include" -c -o "$TMP/snip-$k.o" "$TMP/snip-$k.c"
  is "$RC|$ERR" "0|" "the C block at $where compiles against socloss.h"
done

# the checker fails on what it should: a block that forgets <stdio.h>
printf '#include <socloss.h>\nvoid f(socloss *l) { printf("%%s\\n", socloss_errmsg(l)); }\n' > "$TMP/bad.c"
run cc -Wall -Wextra -Werror -I "$repo/engine/include" -c -o "$TMP/bad.o" "$TMP/bad.c"
like "$RC|$ERR" "^1\|.*implicit declaration of function 'printf'" "a block using printf without <stdio.h> does not compile"
done_testing
