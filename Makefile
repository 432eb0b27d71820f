# The two set-up commands over CMake (as Neovim does):
#   make demo   install what is missing, build, run the demo
#   make test   install what is missing, build, run the TAP suite (its
#               browser test's npm package too: npm ci in tests/browser)
# A second run skips what is already done.

BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DEBS        = cmake make gcc pkg-config perl liblua5.4-dev liblmdb-dev \
              libjansson-dev libcsv-dev libssl-dev libsqlite3-dev chromium
# Commands whose Debian package is installed only when the command is
# missing (COMMAND:PACKAGE): a Node.js from elsewhere (NodeSource, nvm) ships
# its own npm, which Debian's npm package conflicts with.
CMDS        = node:nodejs npm:npm
# Only `make fuzz` needs these (clang's libFuzzer and sanitizer runtimes;
# libclang-rt-dev is Debian's clang version's libclang-rt-N-dev).
FUZZ_DEBS   = clang libclang-rt-dev
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# --exec '': every test runs as the program it is (the C tests are ELF files,
# which perl's -B does not always take for binaries; the .t scripts have #!)
PROVE       = prove --timer -f --exec ''

.PHONY: all deps fuzz-deps browser-deps build demo test test-asan test-tsan test-long fuzz bench clean

all: build

# Installs the Debian packages that are missing, and only those.
deps: WANTED = $(DEBS)
deps: WANTED_CMDS = $(CMDS)
fuzz-deps: WANTED = $(FUZZ_DEBS)
fuzz-deps: WANTED_CMDS =
deps fuzz-deps:
	@missing=$$(for p in $(WANTED); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done; for c in $(WANTED_CMDS); do command -v $${c%%:*} > /dev/null || echo $${c#*:}; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSOCLOSS_SANITIZE=ON

$(TSAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSOCLOSS_SANITIZE_THREAD=ON

$(FUZZ_BUILD)/CMakeCache.txt:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCLOSS_FUZZ=ON

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	demo/run.sh $(BUILD)

# tests/cli/report_browser.t drives Debian's chromium with playwright-core,
# installed from the npm registry at the version package-lock.json pins
# (only here: the C build downloads nothing); again when the lock changes.
BROWSER = tests/browser
browser-deps: deps $(BROWSER)/node_modules/.package-lock.json
$(BROWSER)/node_modules/.package-lock.json: $(BROWSER)/package.json $(BROWSER)/package-lock.json
	cd $(BROWSER) && npm ci --no-audit --no-fund

test: build browser-deps
	SOCLOSS_BUILD=$(abspath $(BUILD)) $(PROVE) $(BUILD)/tests/test_* tests/cli/*.t

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
# The generated crash of tests/cli/crash_event.t runs at 2,000 accounts here:
# the sanitizers look for memory errors, which do not need the full 10,000.
test-asan: deps browser-deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	SOCLOSS_CRASH_ACCOUNTS=2000 SOCLOSS_BUILD=$(abspath $(ASAN_BUILD)) $(PROVE) $(ASAN_BUILD)/tests/test_* tests/cli/*.t

# Kills at many points of four writers' commits (tests/cli/crashpoints.t,
# long: at least 100 points; `make test` runs 8 of them).
test-long: build
	SOCLOSS_BUILD=$(abspath $(BUILD)) SOCLOSS_CRASHPOINTS=long $(PROVE) tests/cli/crashpoints.t

# Threads sharing a handle, under ThreadSanitizer (any report fails the run).
test-tsan: deps $(TSAN_BUILD)/CMakeCache.txt
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target test_threads socloss-eval socloss
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 SOCLOSS_BUILD=$(abspath $(TSAN_BUILD)) \
	  $(PROVE) $(TSAN_BUILD)/tests/test_threads

# The libFuzzer harnesses (tests/fuzz), built with clang, ASan and UBSan,
# each run FUZZ_SECONDS on its seed corpus; TAP with libFuzzer's figures.
fuzz: deps fuzz-deps $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD=$(abspath $(FUZZ_BUILD)) $(PROVE) -v tests/fuzz/run.sh

bench: build
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
