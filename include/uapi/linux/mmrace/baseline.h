/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmrace catalogue, the baseline: the harness itself, the yardstick (no race).
 * Its variants (&mmrace_run.variant), arguments (indices into
 * &mmrace_run.arg) and counters (indices into &mmrace_run.counters).
 * Included by this pattern's files only; the contract every pattern
 * shares is <linux/mmrace.h>.
 */
#ifndef _UAPI_LINUX_MMRACE_BASELINE_H
#define _UAPI_LINUX_MMRACE_BASELINE_H

#include <linux/mmrace.h>

/**
 * enum mmrace_base_variant - variants of the baseline (harness overhead)
 * @MMRACE_BASE_EMPTY: an operation that does nothing: the cost of the
 *	harness loop (stop and deadline checks, cond_resched())
 * @MMRACE_BASE_ATOMIC_SHARED: atomic_long_inc() of one counter shared by
 *	every thread: the physical cost of a contended atomic
 * @MMRACE_BASE_ATOMIC_LOCAL: atomic_long_inc() of a counter of the
 *	thread's own (its own cache line): an uncontended atomic
 * @MMRACE_BASE_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_base_variant {
	MMRACE_BASE_EMPTY = 0,
	MMRACE_BASE_ATOMIC_SHARED,
	MMRACE_BASE_ATOMIC_LOCAL,
	MMRACE_BASE_NR_VARIANTS,
};

/**
 * enum mmrace_base_counter - indices into &mmrace_run.counters for the
 *	baseline
 * @MMRACE_BASE_C_INCS: increments the threads did
 * @MMRACE_BASE_C_LOST: increments missing from the counters at the end
 *	(violation: the harness or the atomics are broken)
 * @MMRACE_BASE_NR_COUNTERS: number of counters (not a counter)
 */
enum mmrace_base_counter {
	MMRACE_BASE_C_INCS = 0,
	MMRACE_BASE_C_LOST,
	MMRACE_BASE_NR_COUNTERS,
};

#endif /* _UAPI_LINUX_MMRACE_BASELINE_H */
