# Thin wrapper over CMake: the two commands of the README's quick start.
.PHONY: all run test build build-asan bootstrap clean fuzz bench

BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

all: build

bootstrap:
	bash scripts/bootstrap.sh

build: bootstrap
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

build-asan: bootstrap
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKML_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)

run: build
	bash scripts/run.sh $(BUILD)/server/zkml-registry

# The Release build is what `make run` serves: build it too, so a warning that only
# -O3 raises (-Werror) fails the tests, not the quick start.
test: build build-asan
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1500

fuzz: bootstrap
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKML_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)

bench: build
	bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz web/.svelte-kit web/build
