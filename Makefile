# logmart: `make run` starts everything embedded; `make test` runs every test.
# Both install what they need on a fresh Debian machine.

SHELL      := /bin/bash
GO         ?= go
CHDB_VER   := 26.5.3
CACHE      ?= $(HOME)/.cache/logmart
CHDB_LIB   := $(CACHE)/chdb/$(CHDB_VER)/libchdb.so
LINT_VER   := v2.15.0
LINT_BIN   := $(CACHE)/golangci-lint/$(LINT_VER)/golangci-lint
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X main.version=$(VERSION)
export LOGMART_CHDB_LIB := $(CHDB_LIB)

.PHONY: all build run test test-go test-ui chdb ui deps-system bench lint lint-go clean

all: build

## chdb: fetch libchdb.so (npm package @chdb/lib-linux-x64-gnu, pinned) into the cache, once.
chdb: $(CHDB_LIB)
$(CHDB_LIB):
	@echo "fetching the embedded ClickHouse engine (@chdb/lib-linux-x64-gnu@$(CHDB_VER)) into $(dir $@)"
	@mkdir -p $(dir $@)
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent @chdb/lib-linux-x64-gnu@$(CHDB_VER) >/dev/null \
	  && tar xzf chdb-lib-linux-x64-gnu-$(CHDB_VER).tgz package/libchdb.so \
	  && mv package/libchdb.so $@.tmp && mv $@.tmp $@ && rm -rf $$tmp
	@ls -la $@

## ui: install the UI's npm packages and copy its vendored assets.
ui/node_modules/.installed: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@
ui: ui/node_modules/.installed
	cd ui && node vendor.mjs

## build: bin/logmart with the UI embedded.
build: ui
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/logmart ./cmd/logmart

## run: start logmart with embedded Kafka and ClickHouse and demo traffic; UI on http://localhost:8080
run: chdb build
	./bin/logmart serve --demo

## deps-system: Debian packages the browser tests, kcat checks, promtool
## checks and the Alertmanager tests use.
deps-system:
	@if ! command -v chromium >/dev/null || ! command -v kcat >/dev/null || ! command -v promtool >/dev/null || ! command -v prometheus-alertmanager >/dev/null; then \
	  echo "installing chromium, kcat, prometheus (promtool) and prometheus-alertmanager (Debian packages)"; \
	  (apt-get update -qq || sudo apt-get update -qq) && \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium kcat >/dev/null || \
	   sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium kcat >/dev/null) && \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null || \
	   sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null); \
	fi

## golangci-lint: installed once, pinned, into the cache (Go module proxy).
$(LINT_BIN):
	@echo "installing golangci-lint $(LINT_VER) into $(dir $@)"
	GOBIN=$(dir $@) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(LINT_VER)

## lint-go: golangci-lint with .golangci.yml (layering, staticcheck, errorlint, import order).
lint-go: $(LINT_BIN)
	$(LINT_BIN) run ./...

## test: every test: lint, Go (against embedded chDB and kfake) and the browser tests.
test: chdb deps-system build lint-go test-go test-ui

test-go:
	$(GO) vet ./...
	$(GO) run ./cmd/logmart templates lint --dir configs/templates
	$(GO) run ./cmd/logmart dashboards lint configs/dashboards
	$(GO) run ./cmd/logmart monitors lint configs/monitors
	$(GO) run ./cmd/logmart budgets lint configs/budgets
	$(GO) test -count=1 -timeout 20m ./...

test-ui: build
	LOGMART_BIN=$(CURDIR)/bin/logmart node --test ui/e2e/

## lint: golangci-lint, and templates checked against the live schema (embedded engine).
lint: chdb lint-go
	$(GO) run ./cmd/logmart templates lint --dir configs/templates

## bench: ingest flat out three times (throughput), ingest at a steady 100k/s for 30 s
## (freshness, memory and merge CPU under sustained load), then queries.
bench: chdb build
	@# Three flat-out runs (on a shared machine one run's figure varies by a
	@# third) of compact lines, the ~200-byte shape the ingest targets are set
	@# for; one of the richer demo lines; then a steady 100k lines/s.
	@echo "ingest, flat out, compact lines (about 245 bytes):"
	./bin/logmart bench ingest --events 1000000 --json
	./bin/logmart bench ingest --events 1000000 --json
	./bin/logmart bench ingest --events 1000000 --json
	@echo "ingest, flat out, rich lines (about 310 bytes):"
	./bin/logmart bench ingest --events 1000000 --lines rich --json
	@echo "ingest, steady 100k lines/s:"
	./bin/logmart bench ingest --events 3000000 --rate 100000 --json
	./bin/logmart bench query --rows 10000000 --runs 10 --json

clean:
	rm -rf bin test-output
