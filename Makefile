# visag: `make run` simulates the quickstart scenario, `make test` runs the test suite.
SWIFT ?= swift
RELEASE := .build/release/visag
SCENARIO ?= Scenarios/quickstart.yaml

.PHONY: deps test-deps build run test bench-vm-pool clean

deps:
	@bash scripts/install-deps.sh

test-deps:
	@bash scripts/install-test-deps.sh

build: deps
	$(SWIFT) build -c release

run: build
	$(RELEASE) run $(SCENARIO)

test: build test-deps
	$(SWIFT) test

bench-vm-pool: build
	bash bench/vm-pool.sh

clean:
	rm -rf .build
