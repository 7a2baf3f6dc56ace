# WP OAuth: build, local stack, tests, demo. See README.md.
#   make demo   install what is missing, build, start the stack, walk through the demo
#   make test   install what is missing, build, run every test suite, print "N passed, N failed"
# Instance settings (env): WPOA_RUN (run dir, default .run), WPOA_PORT (HTTPS base port, default 8443).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help deps ext up down demo test bench soak

help:
	@echo "make demo | make test | make up | make down | make ext | make deps | make bench | make soak"

deps:
	@bash scripts/deps.sh

ext:
	@bash scripts/build-ext.sh

up:
	@bash scripts/up.sh

down:
	@bash scripts/down.sh

demo: deps ext up
	@bash scripts/demo.sh

test:
	@bash scripts/test-all.sh

bench:
	@if [ -f scripts/bench.sh ]; then bash scripts/bench.sh; else echo "scripts/bench.sh does not exist yet"; exit 1; fi

soak:
	@bash scripts/soak.sh
