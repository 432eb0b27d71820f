#!/usr/bin/env bash
# install.t — `cmake --install` into a temporary prefix, then the example host
# (examples/toy_exchange.c) built against the installed files only: once with
# pkg-config, once with the CMake package; both must print the expected day.
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
         lib/cmake/socloss/socloss-config.cmake libexec/socloss-eval bin/socloss; do
  ok "installs $f" test -e "$prefix/$f"
done
like "$(readelf -d "$prefix/lib/libsocloss.so" 2>/dev/null)" 'SONAME.*libsocloss\.so\.1' "libsocloss.so has the SONAME libsocloss.so.1 (1.0 changed the ABI)"
exported=$(nm -D --defined-only "$prefix/lib/libsocloss.so" | awk '$2 == "T" { print $3 }')
is "$(printf '%s\n' "$exported" | grep -vc '^socloss_')" 0 "only socloss_* functions are exported"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
run cc -Wall -Wextra -Werror -o toy_pc "$repo/examples/toy_exchange.c" $(pkg-config --cflags --libs socloss)
is "$RC" 0 "the example builds with pkg-config --cflags --libs socloss"
[ "$RC" = 0 ] || diag "$ERR"
run cmake -S "$repo/examples" -B cmake-build -DCMAKE_PREFIX_PATH="$prefix"
is "$RC" 0 "the example configures with find_package(socloss)"
run cmake --build cmake-build
is "$RC" 0 "and builds against socloss::socloss"

sed "s|POLICIES|$repo/policies|" "$repo/examples/stream.txt" > stream.txt
want=$(sed "s|POLICIES|$repo/policies|" "$repo/examples/toy_exchange.expected")
for exe in ./toy_pc ./cmake-build/toy_exchange; do
  rm -rf ledger
  STDIN=stream.txt run env LD_LIBRARY_PATH="$prefix/lib" "$exe" ledger
  is "$RC" 0 "$exe runs the toy exchange's day"
  is "$OUT" "$want"$'\n' "$exe prints the expected day: two batches, a policy swap, invariants hold"
done
done_testing
