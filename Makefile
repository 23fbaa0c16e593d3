# StreamDB: build and test rig. GNU make + bash.
#
#   make demo          run the example app (GATEWAY=1: through the WebSocket gateway)
#   make test          install what is missing, then, in order: vet, lint,
#                      test-native, test-js, test-queries, test-package,
#                      test-e2e, fuzz (each step below; it prints its time)
#   make build         build dist/streamdb.wasm, dist/streamdb-ws.wasm (the
#                      WebSocket build) and dist/wasm_exec.js; print their sizes
#   make deps          only install what is missing (node_modules, chromium,
#                      wasmbrowsertest and its go_js_wasm_exec link, staticcheck)
#   make vet           go vet, natively and for GOOS=js
#   make lint          staticcheck, natively and for GOOS=js
#   make test-native   go test ./... natively (with -race when cgo works)
#   make test-js       the GOOS=js tests in headless Chromium (wasmbrowsertest)
#   make test-queries  the differential query tests against @tanstack/db
#   make test-package  the npm package: type tests, Node, Chromium, Vite app
#   make test-e2e      the example app end to end in headless Chromium
#   make fuzz          a short run of every fuzz target (FUZZTIME, FUZZ_TARGETS)
#   make fuzz-queries  a longer differential query run (SEED=, N=, PACKAGE=1)
#   make bench         the side-by-side benchmark in headless Chromium against
#                      @durable-streams/state + @tanstack/db (bench/README.md)
#   make bench-go      the Go benchmarks, natively (BENCH=, BENCHTIME=, COUNT=)
#   make bench-wasm    the core/ Go benchmarks compiled to wasm, in Chromium
#   make conformance   the public client conformance suite (CONFORMANCE_DIR=)
#   make clean         remove build outputs (dist/) and installed tools (.tools/)
#
# Needs a Debian machine with GNU make, bash, Go 1.26 or later and Node.js 20
# or later with npm, and the network on the first run (npm, the Go module
# proxy, Debian's mirrors); `make deps` installs Chromium with apt-get when
# it is missing, which needs root (README.md, top).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:

GO    ?= go
NODE  ?= node
TOOLS := $(CURDIR)/.tools

WASMBROWSERTEST_VERSION := v0.11.0

# staticcheck 2026.2.2, which knows Go 1.26. Each version gets its own
# folder, so changing the version here installs it.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)/staticcheck

# `make fuzz` runs every fuzz target of the module (every Fuzz function the
# native test binaries list), FUZZTIME each; FUZZ_TARGETS='./core/stream:FuzzSSEParser
# ./core/value:FuzzParse' runs only those (pkg:FuncName).
FUZZ_TARGETS ?=
# A count, not a duration: Go 1.26's fuzz coordinator can fail a run with a
# bare "context deadline exceeded" when a duration ends while a worker is
# busy (golang/go#75804, fixed in Go 1.27). A count has no deadline.
# At 20000x each target builds in 3 to 5 s, then runs 2,000 to 10,000
# inputs a second (the 19 targets of an earlier count took about 3 minutes
# on 2 cores; there are 24 in 17 packages now).
FUZZTIME ?= 20000x

# Extra flags for every `go test` of `make test`, e.g. GOTESTFLAGS='-v -timeout 3m'.
GOTESTFLAGS ?=

# The program built into dist/streamdb.wasm.
WASM_PKG ?= ./wasm

# The module is built as package.json's version (main.version, reported by
# api.version()); js/wasm.js refuses a module built as another version.
VERSION := $(shell $(NODE) -p "require('./package.json').version")

# Use the race detector for native tests when cgo works (it needs a C compiler).
RACE ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC)" >/dev/null 2>&1 && echo -race)

# GOOS=js tests in the browser: argv+env of a Go wasm program must fit in
# 8 KiB (wasm_exec.js), and wasmbrowsertest forwards the whole environment of
# `go test` into the page. So the browser tests run under `env -i` with only
# what go needs; run.mjs then adds STREAMDB_TEST_SERVER.
JS_ENV = env -i \
	PATH='$(TOOLS):$(PATH)' \
	HOME='$(HOME)' \
	TMPDIR='$(or $(TMPDIR),/tmp)' \
	GOCACHE='$(shell $(GO) env GOCACHE)' \
	GOPATH='$(shell $(GO) env GOPATH)' \
	GOMODCACHE='$(shell $(GO) env GOMODCACHE)' \
	GOENV='$(shell $(GO) env GOENV)' \
	GOFLAGS='$(shell $(GO) env GOFLAGS)' \
	GOPROXY='$(shell $(GO) env GOPROXY)' \
	GOTOOLCHAIN='$(shell $(GO) env GOTOOLCHAIN)' \
	$(if $(STREAMDB_BENCH_SIZES),STREAMDB_BENCH_SIZES='$(STREAMDB_BENCH_SIZES)') \
	GOOS=js GOARCH=wasm

# Packages with tests for js/wasm. `go list ./...` leaves out packages whose
# files are all excluded by build tags: a package that does not build for
# js/wasm (net/http servers, os/exec, ...) must say so with `//go:build !js`.
# Any other package that fails to build for js/wasm fails `make test`.
js_test_pkgs = GOOS=js GOARCH=wasm $(GO) list -e -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...

.PHONY: all deps build check-wasm-deps test vet lint test-native test-js test-queries test-package test-e2e fuzz fuzz-queries bench bench-go bench-wasm demo clean conformance

all: build

# ---------------------------------------------------------------- deps

deps: node_modules/.package-lock.json chromium emoji-font $(TOOLS)/wasmbrowsertest $(TOOLS)/go_js_wasm_exec $(STATICCHECK)

# Only when missing: npm ci deletes node_modules first, which would pull the
# rug from under a test run in the same tree. Run `npm ci` by hand after a
# dependency change.
node_modules/.package-lock.json:
	npm ci --no-audit --no-fund

.PHONY: chromium
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "chromium not found: installing Debian's chromium"; \
		apt-get update; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	fi

# A colour emoji font, so that the example's reactions show in the
# end-to-end test's screenshots (test-results/*.png) instead of empty boxes.
# fontconfig gives fc-list, which tells whether one is there.
.PHONY: emoji-font
emoji-font:
	@if ! fc-list : family 2>/dev/null | grep -qi 'emoji'; then \
		echo "no colour emoji font found: installing Debian's fonts-noto-color-emoji"; \
		apt-get update; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fontconfig fonts-noto-color-emoji; \
	fi

$(TOOLS)/wasmbrowsertest:
	GOBIN=$(TOOLS) $(GO) install github.com/agnivade/wasmbrowsertest@$(WASMBROWSERTEST_VERSION)

$(TOOLS)/go_js_wasm_exec: | $(TOOLS)/wasmbrowsertest
	ln -sf wasmbrowsertest $@

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# ---------------------------------------------------------------- build

# What the modules are made from: every Go file of the module but tests (a
# superset of what ./wasm imports), the module files, the version, the
# scripts below and the Go toolchain (wasm_exec.js belongs to it).
BUILD_OUTPUTS := dist/streamdb.wasm dist/streamdb-ws.wasm dist/wasm_exec.js
BUILD_INPUTS := $(shell find . -name '*.go' -not -name '*_test.go' -not -path './node_modules/*' -not -path './.tools/*' -not -path './dist/*') \
	go.mod go.sum package.json Makefile scripts/merge-data-segments.mjs scripts/drop-line-tables.mjs \
	$(wildcard $(shell $(GO) env GOROOT)/VERSION)

# Two modules: the default one, and the WebSocket build (tag streamdb_ws:
# the gateway client, coder/websocket, net/http) that the package's
# ./websocket entry loads; both sizes are printed. merge-data-segments
# joins Go's ~57,000 data segments into a few (6% smaller compressed; the
# memory image is the same), in about half a second. drop-line-tables
# drops the runtime's and the standard library's pc-to-file:line tables
# (about 64 KB brotli): a traceback still names every function and gives
# the file:line of StreamDB's own frames, "?:0" for the others.
# The modules are rebuilt only when a source changed: make test builds
# once, and test-e2e and npm pack's prepack find them made (printing the
# brotli sizes alone takes about 30 s).
build: $(BUILD_OUTPUTS)

$(BUILD_OUTPUTS) &: $(BUILD_INPUTS)
	$(MAKE) --no-print-directory check-wasm-deps
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w -X main.version=$(VERSION)" -o dist/streamdb.wasm $(WASM_PKG)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w -X main.version=$(VERSION)" -tags streamdb_ws -o dist/streamdb-ws.wasm $(WASM_PKG)
	$(NODE) scripts/merge-data-segments.mjs dist/streamdb.wasm dist/streamdb-ws.wasm
	$(NODE) scripts/drop-line-tables.mjs --keep=github.com/streamdb/streamdb/ --keep=main. dist/streamdb.wasm dist/streamdb-ws.wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" dist/wasm_exec.js
	$(NODE) scripts/sizes.mjs dist/streamdb.wasm dist/streamdb-ws.wasm

# The browser does HTTP through fetch; net/http would add megabytes to the
# wasm. Nor does the default module carry the WebSocket client: that is the
# second build's.
check-wasm-deps:
	@deps="$$(GOOS=js GOARCH=wasm $(GO) list -deps $(WASM_PKG))"; \
	if grep -qE '^(github.com/coder/websocket|github.com/streamdb/streamdb/core/wsclient)$$' <<<"$$deps"; then \
		echo "error: the default $(WASM_PKG) links the WebSocket client; it belongs to the streamdb_ws build only." >&2; \
		exit 1; \
	fi; \
	if grep -qx 'net/http' <<<"$$deps"; then \
		echo "error: $(WASM_PKG) depends on net/http under GOOS=js (it adds several MB to the wasm)." >&2; \
		echo "       Use the fetch transport through syscall/js instead. Import chain:" >&2; \
		GOOS=js GOARCH=wasm $(GO) list -deps -f '{{.ImportPath}}: {{join .Imports " "}}' $(WASM_PKG) \
			| grep -E '(^| )net/http( |$$)' | sed 's/^/         /' >&2 || true; \
		exit 1; \
	fi

# ---------------------------------------------------------------- test

# Each step prints how long it took.
test: deps
	@for step in vet lint test-native test-js test-queries test-package test-e2e fuzz; do \
		start=$$(date +%s); \
		$(MAKE) --no-print-directory $$step; \
		echo "== $$step: ok in $$(( $$(date +%s) - start )) s"; \
	done

vet:
	@echo "== go vet (native)"
	$(GO) vet ./...
	@echo "== go vet (GOOS=js GOARCH=wasm)"
	GOOS=js GOARCH=wasm $(GO) vet ./...

# staticcheck's default checks, for both builds: files with build tags
# are only seen by the build they belong to.
lint: $(STATICCHECK)
	@echo "== staticcheck (native)"
	$(STATICCHECK) ./...
	@echo "== staticcheck (GOOS=js GOARCH=wasm)"
	GOOS=js GOARCH=wasm $(STATICCHECK) ./...

# Packages whose native tests run without the race detector: core/ivm's
# operators run on one goroutine, and its model tests walk thousands of
# random steps, which the detector makes four times slower (90 s instead
# of 21 on the CI machine) without finding anything there; core/db's and
# core/query's tests run the same operators under it.
NORACE_PKGS ?= ./core/ivm

test-native:
	@echo "== go test (native$(if $(RACE), with the race detector but for $(NORACE_PKGS)))"
ifneq ($(RACE),)
	$(GO) test $(RACE) -count=1 $(GOTESTFLAGS) $$($(GO) list ./... | grep -v -x -F "$$($(GO) list $(NORACE_PKGS))")
	$(GO) test -count=1 $(GOTESTFLAGS) $(NORACE_PKGS)
else
	$(GO) test -count=1 $(GOTESTFLAGS) ./...
endif

test-js: deps
	@echo "== go test (GOOS=js GOARCH=wasm, headless Chromium via wasmbrowsertest)"
	@pkgs="$$($(js_test_pkgs))"; \
	if [ -z "$$pkgs" ]; then echo "no packages with tests for js/wasm"; exit 0; fi; \
	$(GO) build -o $(TOOLS)/streamdb-gateway ./cmd/streamdb-gateway; \
	echo $(NODE) internal/testserver/run.mjs --long-poll-ms 1500 --gateway $(TOOLS)/streamdb-gateway -- $(GO) test -count=1 $(GOTESTFLAGS) $$pkgs; \
	$(JS_ENV) $(NODE) internal/testserver/run.mjs --long-poll-ms 1500 --gateway $(TOOLS)/streamdb-gateway -- $(GO) test -count=1 $(GOTESTFLAGS) $$pkgs

# Differential query tests: random collections, queries and changes run
# through @tanstack/db 0.15.2 and through our engine, compared after every
# step; twice: the core natively (a Go program speaking JSON lines,
# internal/querydiff/engine), and the npm package in Node (dist/streamdb.wasm,
# internal/querydiff/package-engine.mjs) fed through a stream on the reference
# server. Each run ends with its own "N passed, M failed" line; both run even
# when the first fails. A request an engine does not answer in time (a hang)
# fails its query-step. `make test` runs a fixed seed; `make fuzz-queries
# SEED=<n> N=<queries>` runs longer (SEED defaults to the time).
QUERY_SEED ?= 1
QUERY_N ?= 300
QUERY_PACKAGE_N ?= 200
QUERYDIFF_PACKAGE = --server --tx=persisting --engine='$(NODE) internal/querydiff/package-engine.mjs'
test-queries: deps build
	$(GO) build -o $(TOOLS)/querydiff-engine ./internal/querydiff/engine
	@status=0; \
	echo "== differential queries against @tanstack/db: the core natively (seed $(QUERY_SEED), $(QUERY_N) queries)"; \
	$(NODE) internal/querydiff/harness.mjs --seed=$(QUERY_SEED) --queries=$(QUERY_N) --timeout=10000 --engine=$(TOOLS)/querydiff-engine || status=1; \
	echo "== differential queries against @tanstack/db: the npm package in Node, through the reference server (seed $(QUERY_SEED), $(QUERY_PACKAGE_N) queries)"; \
	$(NODE) internal/querydiff/harness.mjs --seed=$(QUERY_SEED) --queries=$(QUERY_PACKAGE_N) --timeout=15000 $(QUERYDIFF_PACKAGE) || status=1; \
	exit $$status

# The npm package as users run it: its type tests (tsc), the query
# builder's IR against TanStack's, Node, pages in headless Chromium (the
# seed's examples, React, Vue, Solid, two contexts), and the packed tarball
# in a fresh Vite app, all against the reference Durable Streams server.
test-package: deps build
	@echo "== the npm package: type tests, Node and Chromium tests"
	$(NODE) node_modules/.bin/tsc --noEmit -p test/types
	$(NODE) --test --test-concurrency=1 test/js/*.test.mjs test/node/*.test.mjs test/browser/*.test.mjs test/vite/*.test.mjs

# End-to-end test of the example app: the demo's servers on free ports,
# two users in headless Chromium; writes test-results/demo.png.
test-e2e: deps build
	@echo "== end-to-end test of the example app (test/e2e)"
	$(NODE) --test test/e2e/*.test.mjs

SEED ?= $(shell date +%s)
N ?= 1000
# PACKAGE=1: the npm package's engine instead of the native one (needs make build).
fuzz-queries: deps
	$(GO) build -o $(TOOLS)/querydiff-engine ./internal/querydiff/engine
	$(NODE) internal/querydiff/harness.mjs --seed=$(SEED) --queries=$(N) --timeout=15000 $(if $(PACKAGE),$(QUERYDIFF_PACKAGE),--engine=$(TOOLS)/querydiff-engine)

# `go test -list` prints a package's matching functions, then its "ok <pkg>"
# line; awk turns that into pkg:FuncName.
fuzz_targets = $(GO) test -list '^Fuzz' ./... | awk '/^Fuzz/ { fns = fns " " $$1; next } /^ok / { n = split(fns, f, " "); for (i = 1; i <= n; i++) print $$2 ":" f[i]; fns = "" }'

fuzz:
	@echo "== go test -fuzz ($(FUZZTIME) per target)"
	@targets='$(strip $(FUZZ_TARGETS))'; \
	if [ -z "$$targets" ]; then targets="$$($(fuzz_targets))"; fi; \
	if [ -z "$$targets" ]; then echo "no fuzz targets found" >&2; exit 1; fi; \
	echo "$$(wc -w <<<"$$targets") fuzz targets"; \
	for t in $$targets; do \
		pkg="$${t%%:*}"; fn="$${t##*:}"; \
		echo "$(GO) test -run '^\$$' -fuzz '^$$fn\$$' -fuzztime $(FUZZTIME) $$pkg"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
	done

# ---------------------------------------------------------------- other

# The side-by-side benchmark in headless Chromium: StreamDB against
# @durable-streams/state + @tanstack/db on the same stream from the same
# reference server (bench/README.md). It fails only when the engines'
# query results differ. e.g.
#   make bench BENCH_N=10000,100000 ENGINES=ours,reference LIVE=long-poll,sse
BENCH_N ?= 10000
ENGINES ?= ours,reference
LIVE ?= long-poll,sse
BENCH_FLAGS ?=
bench: build node_modules/.package-lock.json chromium
	$(NODE) bench/run.mjs --n=$(BENCH_N) --engines=$(ENGINES) --live=$(LIVE) $(BENCH_FLAGS)

# BENCH selects Go benchmarks (a go test -bench pattern); BENCHTIME their
# length; COUNT how many times each runs (take the median). One package at
# a time (-p 1): parallel packages would share the 2 cores.
BENCH ?= .
BENCHTIME ?= 1s
COUNT ?= 1
bench-go:
	$(GO) test -p 1 -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -count $(COUNT) -benchmem ./...

# The Go benchmarks compiled to wasm and run in headless Chromium, e.g.
#   make bench-wasm BENCH=Ingest BENCHTIME=2x COUNT=5
# All runs of one package share a page: V8 optimises the code during the
# first ones (the baseline compiler comes first), so the later runs show
# the steady speed.
bench-wasm: deps
	$(JS_ENV) $(GO) test -p 1 -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -count $(COUNT) ./core/...

# The example chat app (example/) on the reference server; data in
# .demo-data/ (kept between runs), Ctrl-C stops everything. GATEWAY=1 also
# builds and starts cmd/streamdb-gateway (port GATEWAY_PORT) in front of the
# server, and the app follows and writes the room through its WebSocket
# (live: 'websocket'; ?ws=0 in the app's URL goes back to HTTP).
GATEWAY ?=
GATEWAY_PORT ?= 8787
demo: node_modules/.package-lock.json
	$(NODE) scripts/demo.mjs $(if $(filter-out 0,$(GATEWAY)),--gateway --gateway-port $(GATEWAY_PORT))

clean:
	rm -rf dist .tools

# ---------------------------------------------------------------- conformance

# The public client conformance suite lives in the durable-streams repository
# (packages/client-conformance-tests), which is not on npm. Point
# CONFORMANCE_DIR at a checkout where that package's dependencies are
# installed and the client and server packages are built (pnpm install
# --filter '@durable-streams/client-conformance-tests...', then pnpm build in
# packages/client, packages/state and packages/server).
CONFORMANCE_DIR ?=
conformance:
	@if [ -z "$(CONFORMANCE_DIR)" ]; then \
		echo "make conformance: set CONFORMANCE_DIR to a prepared checkout of durable-streams/durable-streams (see the Makefile)" >&2; \
		exit 2; \
	fi
	$(GO) build -trimpath -o dist/conformance-adapter ./cmd/conformance-adapter
	cd "$(CONFORMANCE_DIR)/packages/client-conformance-tests" && \
		./node_modules/.bin/tsx src/cli.ts --run "$(CURDIR)/dist/conformance-adapter"
