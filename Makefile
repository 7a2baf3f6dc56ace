# WP OAuth: build, local stack, tests, demo. See README.md.
#   make demo   install what is missing, build, start the stack, walk through the demo
#   make test   install what is missing, build, run every test suite, print "N passed, N failed"
#   make dist   release artifacts in dist/: the extension per PHP minor, the plugin zip, checksums
# Instance settings (env): WPOA_RUN (run dir, default .run), WPOA_PORT (HTTPS base port, default 8443),
# WPOA_CELLS (cells of the test matrix that make test runs, default "A B C D"; e.g. "A" or "B D"; see README.md).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help deps ext up down demo test bench bench-scale soak dist

help:
	@echo "make demo | make test | make up | make down | make ext | make deps | make dist | make bench | make bench-scale | make soak"

deps:
	@bash scripts/deps.sh

ext:
	@bash scripts/build-ext.sh

up:
	@bash scripts/up.sh

down:
	@bash scripts/down.sh
	@bash scripts/down-cells.sh
	@bash scripts/test-redis.sh --down
	@# the network stacks of scripts/test-multisite.sh, if a killed run left one behind
	@for r in "$${WPOA_RUN:-.run}"/multisite "$${WPOA_RUN:-.run}"/multisite-subdomain "$${WPOA_RUN:-.run}"/multisite-subdir-redis; do \
	  [ ! -d "$$r/pids" ] || WPOA_RUN="$$r" bash scripts/down.sh; done

demo: deps ext up
	@bash scripts/demo.sh

test:
	@bash scripts/test-all.sh

dist:
	@bash scripts/dist.sh

bench:
	@bash scripts/bench.sh

soak:
	@bash scripts/soak.sh

bench-scale:
	@bash scripts/bench-scale.sh
