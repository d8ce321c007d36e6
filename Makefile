# SPDX-License-Identifier: GPL-2.0
#
# mmrace: the two commands are `make run` and `make check` (see README.md).
#
#   make            build mmrace.ko for the running kernel (KVER, KDIR)
#                   and the selftests (no root, any distro: the kselftest
#                   files come from KSFT_DIR, a kernel tree's
#                   tools/testing/selftests, or Debian's linux-source)
#   make module     mmrace.ko alone
#   make kselftest-tar  the collection for KERNEL (default: the default
#                   guest kernel) in the kernel runner's layout, packed:
#                   build/mmrace-kselftest-RELEASE.tar.gz
#   make lava       the tarball run by LAVA (lava-run) in a QEMU guest
#   make setup      install what is missing (Debian packages; root)
#   make run        setup, build, boot the default kernel in a VM, run
#                   every pattern and variant, print the results table
#   make check      setup, lint, build, run every selftest on every kernel
#                   `scripts/kernels check` lists; exit 0 only if all passed
#                   and no guest kernel log holds a splat
#   make check-debug  the suite on the lockdep + KASAN guest kernel alone
#   make check-kcsan  the suite on the KCSAN (strict, weak memory) guest
#   make check-arm64  the suite on a cross-built 7.3 arm64 kernel under
#                   qemu-system-aarch64 (TCG): mmrace builds and passes on
#                   arm64 (not part of make check)
#   make bench      the benchmark matrix and refscale anchors in guests:
#                   CSV, JSON and plots under results/<time>/ (gnuplot)
#   make litmus     the P4 and P2 litmus tests: the kernel memory model's,
#                   ARMv8's and x86's verdicts (herd7, judged by the
#                   kernel's judgelitmus.sh) beside the CPU's histograms,
#                   klitmus7 beside P4 (results/litmus-<time>/)
#   make lint       checkpatch --strict, sparse, W=1, kernel-doc, htmldocs
#   make htmldocs   the documentation, the uapi's kernel-doc rendered, as
#                   HTML in build/htmldocs (Sphinx, warnings are errors)
#   make clean

SHELL := /bin/bash

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
VM_OUT := $(CURDIR)/build/vm
CTL := $(CURDIR)/selftests/mmrace_ctl

all: module selftests

module:
	@test -d $(KDIR) || { echo "no kernel headers in $(KDIR): install linux-headers-$(KVER) or set KDIR"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The programs; lib.mk's TEST_GEN_MODS_DIR step (the module for the
# running kernel) is left to `make -C selftests` and its install, which
# build the collection's own copy.
selftests:
	$(MAKE) -C selftests TEST_GEN_MODS_DIR=

KERNEL ?= $(shell scripts/kernels default)
kselftest-tar: setup selftests
	scripts/ksft-install $(KERNEL) --tar

lava:
	@scripts/setup lava
	$(MAKE) selftests
	scripts/lava $(KERNEL)

setup:
	@scripts/setup

lint: setup
	scripts/lint

# Sphinx with the kernel's kernel-doc extension, from the linux-source tree
# scripts/ksrc unpacks (srctree, as in the kernel's own make htmldocs).
htmldocs:
	srctree=$$(scripts/ksrc 7.3) sphinx-build -W --keep-going -q -b html \
		Documentation build/htmldocs
	@echo "make htmldocs: build/htmldocs/index.html"

run: setup selftests
	@k=$$(scripts/kernels default); \
	echo "make run: every pattern and variant on $$k (window 0 and widened)"; \
	scripts/vm-run $$k $(VM_OUT)/run-$$k $(CTL) table -d $${DURATION_MS:-1000}

# Lint runs in the background beside the first guest's boot.
check: setup selftests
	scripts/check-kernels --lint $$(scripts/kernels check)

# The suite on the lockdep + KASAN + kmemleak guest kernel alone (make check
# runs it too). The kernel is built from Debian's linux-source-7.3 into
# /var/cache/mmrace the first time, cached by its inputs afterwards.
check-debug: setup selftests
	scripts/check-kernels debug

bench:
	@scripts/setup bench
	$(MAKE) selftests
	scripts/bench

# P4's litmus tests through herd7 (the kernel memory model) beside P4's
# histograms on the CPU, and klitmus7's SB tests beside P4 in one guest.
litmus:
	@scripts/setup litmus
	$(MAKE) selftests
	scripts/litmus

# The suite on the KCSAN guest kernel (strict mode, weak-memory modelling),
# built like the debug one; the kernel's own data races are listed, not
# failed (scripts/splat-scan).
check-kcsan: setup selftests
	scripts/check-kernels kcsan

# The suite on arm64: a 7.3 kernel cross-built from the same
# linux-source-7.3 (cached like the other flavours), the module and the
# static programs cross-built, run under qemu-system-aarch64 from an
# initramfs (scripts/check-arm64).
check-arm64:
	@scripts/setup arm64
	scripts/check-arm64

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C selftests clean
	rm -rf build

.PHONY: check-arm64 htmldocs all module selftests kselftest-tar lava setup lint run check check-debug check-kcsan bench litmus clean
