# Denoise: the two commands that matter are `make run` and `make test`.
# Both install the missing system packages first (Debian/Ubuntu: apt; macOS: nothing but a check
# for the Xcode toolchain), then build.

SWIFT      ?= swift
UNAME_S    := $(shell uname -s)
# procps gives Tests/e2e.sh its pgrep. Swift itself comes from apt (Debian's `swiftlang`, 6.0.3
# on Debian 13) only when no `swift` is on PATH, so a toolchain installed by hand stays in charge.
APT_PKGS   := libopenblas-dev libncurses-dev tmux python3 procps
SWIFT_PKG  := swiftlang
MODEL      ?= Models/e2e
# The release build (what `run`, `bench` and training use) is compiled for this machine's CPU
# (`-target-cpu native`) on x86-64 machines with AVX2 and FMA: Swift's default x86-64 target is
# SSE2 only, which keeps the elementwise kernels 4 wide with no FMA, and `native` rather than
# `haswell` also gives them AVX-512's 32 registers where the CPU has them (measurements in
# docs/PERFORMANCE.md). The binary is built where it runs; tests use the portable debug build.
CPU_FLAGS  := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo "-Xswiftc -target-cpu -Xswiftc native")
RELEASE     = $(SWIFT) build -c release $(CPU_FLAGS)
BIN        := .build/release/denoise

.PHONY: all setup build release run test sanitize bench clean

all: release

# The package needs Swift 6 (tools version 6.0); an older toolchain fails with a long message.
SWIFT_CHECK = $(SWIFT) --version 2>/dev/null | grep -Eq 'Swift version ([6-9]|[1-9][0-9])\.' || \
	{ echo "make: Swift 6 or later is needed (swift.org/install); '$(SWIFT) --version' says: $$($(SWIFT) --version 2>&1 | head -n 1)" >&2; exit 1; }

ifeq ($(UNAME_S),Darwin)
# macOS: the Xcode toolchain, Accelerate and the system's ncurses are all there is to it; tmux
# (Homebrew) only adds the end-to-end tests of the terminal screens, which skip without it.
setup:
	@command -v $(SWIFT) >/dev/null 2>&1 || \
	  { echo "make: no swift found; install Xcode, or the command line tools: xcode-select --install" >&2; exit 1; }
	@$(SWIFT_CHECK)
	@command -v tmux >/dev/null 2>&1 || \
	  echo "make: tmux is not installed (brew install tmux); the end-to-end tests skip the terminal screens"
else
# Installs only what is missing; a fresh machine has no package lists, so update first.
setup:
	@missing=""; \
	for p in $(APT_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	command -v $(SWIFT) >/dev/null 2>&1 || missing="$$missing $(SWIFT_PKG)"; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing missing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || \
	  { echo "make: could not install$$missing; install them by hand (Swift 6: swift.org/install)" >&2; exit 1; }; \
	fi
	@$(SWIFT_CHECK)
endif

build: setup
	$(SWIFT) build

release: setup
	$(RELEASE) --product denoise

run: release
	$(BIN) play --model $(MODEL)

# Results must not hang on one BLAS kernel set's float bits, so on x86-64 the unit tests run on
# the machine's own kernels and again on OpenBLAS's Haswell (AVX2, as on most laptops) and
# Prescott (SSE3, the generic fallback) kernels: about 15 s each on an idle 2-core machine.
# (Linux only: Accelerate on macOS has no kernel sets to choose.)
KERNEL_SETS := $(if $(and $(filter Linux,$(UNAME_S)),$(filter x86_64,$(shell uname -m))),Haswell Prescott)

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@for k in $(KERNEL_SETS); do \
	  echo "make: unit tests on OpenBLAS's $$k kernels"; \
	  OPENBLAS_CORETYPE=$$k $(SWIFT) test --skip-build || exit 1; \
	done
	DENOISE_BIN=$(CURDIR)/.build/debug/denoise ./Tests/e2e.sh
	DENOISE_BIN=$(CURDIR)/.build/debug/denoise ./Tests/e2e-kinds.sh
	DENOISE_BIN=$(CURDIR)/.build/debug/denoise ./Tests/lesson.sh
	$(MAKE) --no-print-directory sanitize

# The unit tests again under AddressSanitizer (own build folder, about 1.5 min to build and 1 min
# to run on 2 cores): a buffer freed while its pointer is still in use reads whatever the
# allocator puts there next, which showed up only as a rare NaN on another machine. Leak
# reports are off: the ones seen come from Foundation's file reading, not from this code.
sanitize: setup
	@mkdir -p .build-asan
	@$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan >.build-asan/build.log 2>&1; \
	  status=$$?; grep -v "ld.gold: warning: Cannot export local symbol" .build-asan/build.log | tail -n 20; exit $$status
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan

bench: release
	$(BIN) bench --model $(MODEL)

clean:
	rm -rf .build .build-asan
