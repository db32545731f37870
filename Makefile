# OpsFlow developer commands. `make run` brings the service up; `make test` runs
# the whole suite against real PostgreSQL and Redis.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NEXTEST := $(shell cargo nextest --version >/dev/null 2>&1 && echo yes)

.PHONY: help run services test test-api mutants guard-mutants test-containers coverage lint fmt seed migrate bench chaos deploy-check clean-data

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## Start PostgreSQL/Redis if needed, migrate, run api + worker (Ctrl-C stops both)
	@scripts/run-dev.sh

services: ## Make PostgreSQL and Redis available (writes .data/env)
	@scripts/dev-services.sh

test: services ## Run every test (unit, integration, migrations) against real servers
	@source .data/env && \
	if [ "$(NEXTEST)" = yes ]; then cargo nextest run --workspace --no-fail-fast; \
	else cargo test --workspace --no-fail-fast; fi

test-api: services ## Fuzz the release server against its OpenAPI document (schemathesis, all checks); ST_MAX_TIME=300 for a longer run
	@source .data/env && scripts/test-api.sh

mutants: ## Mutation testing of crates/domain with its unit tests (cargo-mutants): fails below 90 % caught or with a survivor not explained in docs/mutants.md
	@cargo xtask mutants

guard-mutants: services ## Break each documented invariant (tests/guard-mutants.toml) in a scratch copy; fails unless a named test catches every one
	@source .data/env && cargo xtask guard-mutants

coverage: services ## The suite under cargo llvm-cov; per-crate line coverage, fails below the floors (domain 85 %, workspace 75 %)
	@scripts/coverage.sh

test-containers: ## The suite against PostgreSQL/Redis in Docker (testcontainers), for machines without local servers
	cargo nextest run --workspace --no-fail-fast --features opsflow-tests/containers

lint: ## rustfmt check, clippy with warnings denied, no production function over 80 lines, domain purity
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --workspace --lib --bins -- -D warnings -D clippy::too_many_lines
	scripts/check-domain-purity.sh
	cargo xtask check-doc-references

fmt: ## Format the code
	cargo fmt --all

migrate: services ## Apply pending migrations to DATABASE_URL
	@source .data/env && cargo run -q --bin opsflow -- create-database && cargo run -q --bin opsflow -- migrate

seed: migrate ## Load the demo team, users, projects and tasks
	@source .data/env && cargo run -q --bin opsflow -- seed-demo

chaos: ## Fault runs (Redis paused, PostgreSQL restarted, api SIGTERM, worker kill -9) on 2 api + 3 workers under load, with invariant checks
	@scripts/chaos.sh

deploy-check: ## Offline checks of deploy/ and .github/ (hadolint, compose schema, kustomize + k8s schemas, promtool, actionlint), each shown to fail on broken input
	@scripts/check-deploy.sh

bench: services ## Benchmarks behind docs/performance.md (release build): the data layer, then the HTTP leg under wrk
	@source .data/env && cargo bench -p opsflow-tests --bench task_list
	@source .data/env && scripts/bench-writers.sh
	@source .data/env && scripts/bench-http.sh
	@source .data/env && scripts/bench-reminders.sh
	@source .data/env && target/release/xtask bench-pickup
	@source .data/env && target/release/xtask bench-events

clean-data: ## Stop and delete the private instances under .data/
	-@[ -f .data/postgres/postmaster.pid ] && runuser -u postgres -- $$(ls -d /usr/lib/postgresql/*/bin | tail -n1)/pg_ctl -D .data/postgres stop
	-@redis-cli -p 56379 shutdown nosave 2>/dev/null
	rm -rf .data
