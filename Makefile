# The two commands of the README: `make demo` and `make test`.
# Both install what is missing first (scripts/install-deps), then build.

.PHONY: all deps build release test demo bench asan format clean

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

format:
	find src tests bench emulator -name '*.cc' -o -name '*.h' 2>/dev/null | xargs clang-format -i

clean:
	rm -rf build
