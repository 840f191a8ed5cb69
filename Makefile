# SPDX-License-Identifier: GPL-2.0
#
# Project entry points. The kernel itself is built out of tree, in a cache
# directory (~/.cache/iflib by default, IFLIB_CACHE to move it); this
# Makefile only drives the scripts in scripts/iflib and tools/testing/iflib.
#
#   make          build everything and run the main job in the VM
#   make test     build what changed, run every test in the VM, then the debug
#                 runs on the debug kernel (T=test.sh: only that test, RUN=debug
#                 or RUN=viommu: only that run, MODEL=e1000e: only that model;
#                 the em tests run on the e1000e)
#   make test-full  the same with the em tests on every em model, each other
#                 em model in a run of its own (RUN=e1000, e1000-82545em,
#                 e1000-82544gc), and the long transfers and loops
#   make bench    compare our drivers' packet rates with the C drivers
#                 (ROUNDS=5 FRAMES=100000 MODELS="e1000:e1000 e1000e:e1000e";
#                 ICOUNT=1 times by guest instructions: deterministic; PROFILE=1
#                 samples, PROFILE_HZ=1000 a second, PROFILE_TOP=30 symbols,
#                 PROFILE_ANNOTATE=SYMBOL,... their hottest offsets)
#   make build    build the kernels (default and debug), modules and selftests only
#   make setup    install the host packages (root, idempotent)
#
# KDIR=/path/to/linux-7.3 builds against that tree instead of Debian's
# linux-source-7.3.

export KDIR IFLIB_CACHE

.PHONY: run test test-full bench build setup
run: setup
	tools/testing/iflib/run-job guest-demo

bench: setup
	tools/testing/iflib/run-job guest-bench

test: setup
	tools/testing/iflib/run-tests $(if $(T),$(foreach t,$(T),-t $(t))) $(if $(MODEL),-m $(MODEL)) \
		$(if $(RUN),$(foreach r,$(RUN),-r $(r)))

test-full: setup
	tools/testing/iflib/run-tests --full $(if $(T),$(foreach t,$(T),-t $(t))) \
		$(if $(RUN),$(foreach r,$(RUN),-r $(r)))

build: setup
	scripts/iflib/build >/dev/null
	IFLIB_KERNEL=debug scripts/iflib/build >/dev/null

setup:
	scripts/iflib/setup
