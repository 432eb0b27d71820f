#!/usr/bin/env bash
# install.t — `cmake --install` into a fresh temporary prefix, then what is
# installed used as a packager's user would, every program run with NO
# environment (env -i, PATH=/usr/bin:/bin): no LD_LIBRARY_PATH, no
# SOCLOSS_EVALUATOR.
#   - the installed CLI finds the installed evaluator and the shipped
#     policies (share/socloss/policies);
#   - the example host (examples/toy_exchange.c) built with pkg-config
#     against libsocloss.so (socloss.pc puts an rpath in it), and statically
#     against libsocloss.a (socloss-static.pc), and with the CMake package
#     (socloss::socloss, socloss::socloss_static), each printing the
#     expected day exactly, as its documented run gives it;
#   - both libraries export only the socloss_* API (the installed
#     libsocloss.a is sealed: ld -r, objcopy --localize-hidden);
#   - a static host installed away from the evaluator says it is missing,
#     with its path, and runs once SOCLOSS_EVALUATOR names it.
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/tap.sh"
build=$(cd "$(dirname "$SOCLOSS")" && pwd)
if grep -q '^SOCLOSS_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "1..0 # SKIP a sanitizer build's libraries need the sanitizer runtime in the host"
  exit 0
fi
prefix=$TMP/prefix
run cmake --install "$build" --prefix "$prefix"
is "$RC" 0 "cmake --install into $prefix"
for f in include/socloss.h lib/libsocloss.so lib/libsocloss.a lib/pkgconfig/socloss.pc \
         lib/pkgconfig/socloss-static.pc lib/cmake/socloss/socloss-config.cmake libexec/socloss-eval bin/socloss; do
  ok "installs $f" test -e "$prefix/$f"
done
is "$(cd "$prefix/share/socloss/policies" && find . -type f | sort)" "$(cd "$repo/policies" && find . -name '*.lua' | sort)" \
  "installs every policies/*.lua and policies/venues/*.lua (the policies and their tests) in share/socloss/policies"
like "$(readelf -d "$prefix/lib/libsocloss.so" 2>/dev/null)" 'SONAME.*libsocloss\.so\.1' "libsocloss.so has the SONAME libsocloss.so.1 (1.0 changed the ABI)"

# ---- what the libraries export ---------------------------------------------------
shared_api=$(nm -D --defined-only "$prefix/lib/libsocloss.so" | awk 'NF == 3 { print $3 }' | sort)
static_api=$(nm -g --defined-only "$prefix/lib/libsocloss.a" | awk 'NF == 3 { print $3 }' | sort)
is "$(grep -vc '^socloss_' <<<"$shared_api")" 0 "libsocloss.so defines only socloss_* symbols"
is "$(grep -vc '^socloss_' <<<"$static_api")" 0 "libsocloss.a defines no global symbol but socloss_* (no check_run, no store_open)"
is "$static_api" "$shared_api" "... and exactly the symbols libsocloss.so exports"
like "$(grep -c '^socloss_' <<<"$static_api")" '^[1-9][0-9]+$' "(the API: $(grep -c '^socloss_' <<<"$static_api") functions)"

# ---- the installed CLI, with no environment -------------------------------------
clean() { env -i PATH=/usr/bin:/bin "$@"; }
# what a program's dynamic section says of libsocloss.so
socloss_needed() {
  local d
  d=$(readelf -d "$1" 2>/dev/null) || { echo "no such program"; return; }
  if grep -q 'NEEDED.*libsocloss' <<<"$d"; then echo "needs libsocloss.so"; else echo "needs no libsocloss.so"; fi
}
pro=$(sha256sum "$prefix/share/socloss/policies/pro_rata.lua" | cut -c1-12)
mkdir -p "$prefix/share/socloss/policies/venues" elsewhere
printf 'return { name = "dydx_like", haircut = function(ctx) return {} end }\n' \
  > "$prefix/share/socloss/policies/venues/x.lua"
venue=$(sha256sum "$prefix/share/socloss/policies/venues/x.lua" | cut -c1-12)
run clean "$prefix/bin/socloss" init cli-ledger
is "$RC|$ERR" "0|socloss: created ledger cli-ledger"$'\n' "the installed socloss runs (no LD_LIBRARY_PATH)"
(cd elsewhere && exec env -i PATH="$prefix/bin:/usr/bin:/bin" socloss policy add ../cli-ledger pro_rata) \
  > add.out 2> add.err
is "$?|$(cat add.out)|$(cat add.err)" "0|added pro_rata@1 ($pro) at journal record 1|" \
  "socloss on the PATH, from another directory: --policy pro_rata is the installed share/socloss/policies/pro_rata.lua, loaded by the installed evaluator"
run clean "$prefix/bin/socloss" policy add cli-ledger venues/x
is "$RC|$OUT" "0|added dydx_like@1 ($venue) at journal record 2"$'\n' "venues/x: a shipped policy in a folder of its own"

# ---- the example host ------------------------------------------------------------
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
policies=$(pkg-config --variable=policiesdir socloss)
is "$(cd "$policies" && pwd -P)" "$(cd "$prefix/share/socloss/policies" && pwd -P)" \
  "pkg-config --variable=policiesdir socloss: the installed reference policies"
is "$(realpath "$(pkg-config --variable=evaluator socloss)")" "$(realpath "$prefix/libexec/socloss-eval")" \
  "pkg-config --variable=evaluator socloss: the installed evaluator"
want=$(cat "$repo/examples/toy_exchange.expected")$'\n'
# the documented run: ./toy_exchange LEDGER "$(pkg-config --variable=policiesdir socloss)" < stream.txt
day() {
  rm -rf ledger
  STDIN=$repo/examples/stream.txt run env -i PATH=/usr/bin:/bin "$@" ledger "$policies"
}

run cc -Wall -Wextra -Werror -o toy_pc "$repo/examples/toy_exchange.c" $(pkg-config --cflags --libs socloss)
is "$RC" 0 "the example builds with pkg-config --cflags --libs socloss"
[ "$RC" = 0 ] || diag "$ERR"
runpath=$(readelf -d toy_pc | sed -n 's/.*(RUNPATH).*\[\(.*\)\]$/\1/p')
is "$(realpath "${runpath:-/nonexistent}" 2>&1)" "$(realpath "$prefix/lib")" "... with an rpath to the installed libdir (socloss.pc)"
is "$(socloss_needed toy_pc)" "needs libsocloss.so" "toy_pc links libsocloss.so"
day ./toy_pc
is "$RC|$ERR" "0|" "toy_pc (libsocloss.so) runs with no environment"
is "$OUT" "$want" "toy_pc prints the expected day: two batches, a policy swap, invariants hold"

run cc -Wall -Wextra -Werror -o "$prefix/bin/toy_static" "$repo/examples/toy_exchange.c" \
  $(pkg-config --cflags --libs socloss-static)
is "$RC" 0 "the example builds with pkg-config --cflags --libs socloss-static, into the prefix's bin"
[ "$RC" = 0 ] || diag "$ERR"
is "$(socloss_needed "$prefix/bin/toy_static")" "needs no libsocloss.so" "... linking libsocloss.a"
day "$prefix/bin/toy_static"
is "$RC|$ERR" "0|" "toy_static (libsocloss.a) runs with no environment: the evaluator is ../libexec/socloss-eval from it"
is "$OUT" "$want" "toy_static prints the expected day"

# the same static host away from the prefix: the built-in path (where the
# build said it would be installed) is all it has
cp "$prefix/bin/toy_static" ./toy_away
default=$(sed -n 's/^SOCLOSS_EVALUATOR_PATH:STRING=//p' "$build/CMakeCache.txt")
day ./toy_away
if [ -x "$default" ]; then
  is "$RC|$OUT" "0|$want" "toy_away finds the evaluator installed at $default on this machine"
else
  is "$RC|$ERR" "1|toy_exchange: policy: policy ($pro) could not run: the evaluator $default is missing: No such file or directory"$'\n' \
    "toy_away, installed away from the evaluator: told it is missing, with its path (not a crash)"
fi
rm -rf ledger
STDIN=$repo/examples/stream.txt run env -i PATH=/usr/bin:/bin SOCLOSS_EVALUATOR="$prefix/libexec/socloss-eval" ./toy_away ledger "$policies"
is "$RC|$OUT|$ERR" "0|$want|" "toy_away with SOCLOSS_EVALUATOR naming the installed evaluator prints the expected day"

# errors always say something: a policy directory that is not there
rm -rf ledger
STDIN=$repo/examples/stream.txt run env -i PATH=/usr/bin:/bin ./toy_pc ledger /nonexistent
is "$RC|$ERR" "1|toy_exchange: policy: cannot read /nonexistent/pro_rata.lua: No such file or directory"$'\n' \
  "a policy file that is not there: the path and the reason, never an empty message"

# ---- the CMake package ------------------------------------------------------------
run cmake -S "$repo/examples" -B cmake-build -DCMAKE_PREFIX_PATH="$prefix"
is "$RC" 0 "the example configures with find_package(socloss)"
[ "$RC" = 0 ] || diag "$OUT$ERR"
run cmake --build cmake-build
is "$RC" 0 "and builds against socloss::socloss and socloss::socloss_static"
[ "$RC" = 0 ] || diag "$OUT$ERR"
run cmake --install cmake-build --prefix "$TMP/hosts"
is "$RC" 0 "cmake --install of the example into another prefix"
day "$TMP/hosts/bin/toy_exchange"
is "$RC|$OUT|$ERR" "0|$want|" "the installed toy_exchange (socloss::socloss) keeps its rpath and runs with no environment"
rm -rf ledger
STDIN=$repo/examples/stream.txt run env -i PATH=/usr/bin:/bin SOCLOSS_EVALUATOR="$prefix/libexec/socloss-eval" \
  "$TMP/hosts/bin/toy_exchange_static" ledger "$policies"
is "$RC|$OUT|$ERR" "0|$want|" "the installed toy_exchange_static (socloss::socloss_static), told where the evaluator is"
is "$(socloss_needed "$TMP/hosts/bin/toy_exchange_static")" "needs no libsocloss.so" "... links libsocloss.a"
done_testing
