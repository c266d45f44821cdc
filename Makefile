# The two commands of the README: `make demo` and `make test`.
# Both install what is missing first (scripts/install-deps), then build.

.PHONY: all deps build release test demo bench asan fuzz format clean

all: build

deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

build: deps
	@cmake --preset dev >/dev/null
	cmake --build --preset dev

release: deps
	@cmake --preset release >/dev/null
	cmake --build --preset release

# The whole suite (unit and integration) through CTest, on a throwaway Postgres.
test: build
	ctest --preset dev -j2

demo: release
	scripts/demo build/release/bin/airpg

bench: release
	scripts/bench build/release

# Unit and integration tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@cmake --preset asan >/dev/null
	cmake --build --preset asan
	ctest --preset asan -j2

# Every fuzz target under libFuzzer with ASan and UBSan, each for a bounded
# time (FUZZ_SECONDS, default 60); fails on any finding. A target joins by a
# line in FUZZ_TARGETS: its CMake target, its binary's path under build/fuzz,
# and its seed corpus folder, separated by colons.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := \
  formula_fuzz:src/formula/formula_fuzz:src/formula/testdata/fuzz_seeds \
  webhook_payload_fuzz:src/airtable/webhook_payload_fuzz:src/airtable/testdata/payload_fuzz_seeds \
  endpoints_fuzz:src/daemon/endpoints_fuzz:src/daemon/testdata/endpoints_fuzz_seeds \
  record_page_fuzz:src/airtable/record_page_fuzz:src/airtable/testdata/record_page_seeds \
  cell_fuzz:src/mapping/cell_fuzz:src/mapping/testdata/fuzz_seeds \
  list_plan_fuzz:src/api/list_plan_fuzz:src/api/testdata/list_plan_fuzz_seeds \
  serve_list_fuzz:src/api/serve_list_fuzz:src/api/testdata/serve_list_fuzz_seeds
fuzz: deps
	@CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DAIRPG_FUZZ=ON -DAIRPG_TESTS=OFF -DAIRPG_BENCH=OFF \
	  "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
	cmake --build build/fuzz --target $(foreach t,$(FUZZ_TARGETS),$(word 1,$(subst :, ,$(t))))
	@set -e; for t in $(FUZZ_TARGETS); do \
	  name=$${t%%:*}; rest=$${t#*:}; bin=$${rest%%:*}; seeds=$${rest#*:}; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS) s"; \
	  rm -rf build/fuzz/corpus/$$name && mkdir -p build/fuzz/corpus/$$name; \
	  build/fuzz/$$bin -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -print_final_stats=1 build/fuzz/corpus/$$name $$seeds; \
	done

format:
	find src tests bench emulator -name '*.cc' -o -name '*.h' 2>/dev/null | xargs clang-format -i

clean:
	rm -rf build
