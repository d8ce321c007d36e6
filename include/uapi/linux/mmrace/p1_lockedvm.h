/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmrace catalogue, P1: locked_vm/pinned_vm charged without mmap_lock.
 * Its variants (&mmrace_run.variant), arguments (indices into
 * &mmrace_run.arg) and counters (indices into &mmrace_run.counters).
 * Included by this pattern's files only; the contract every pattern
 * shares is <linux/mmrace.h>.
 */
#ifndef _UAPI_LINUX_MMRACE_P1_LOCKEDVM_H
#define _UAPI_LINUX_MMRACE_P1_LOCKEDVM_H

#include <linux/mmrace.h>

/**
 * enum mmrace_p1_variant - variants of pattern P1 (the charge helper)
 * @MMRACE_P1_MUTEX: check and add under one lock (the mmap_sem-serialised
 *	charge; baseline, correct)
 * @MMRACE_P1_ADD_UNWIND: atomic add_return, then unwind when over the limit
 *	(broken: a concurrent small charge sees the transient sum and gets a
 *	false -ENOMEM)
 * @MMRACE_P1_PRECHECK_ADD: racy pre-check, then the speculative add and
 *	unwind (narrows the false -ENOMEM window, does not close it)
 * @MMRACE_P1_CMPXCHG: compare-and-exchange retry loop, no unwind (correct)
 * @MMRACE_P1_CHECK_ADD: check, then a plain add with no recheck (hfi1's
 *	style; broken: commits above the limit)
 * @MMRACE_P1_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p1_variant {
	MMRACE_P1_MUTEX = 0,
	MMRACE_P1_ADD_UNWIND,
	MMRACE_P1_PRECHECK_ADD,
	MMRACE_P1_CMPXCHG,
	MMRACE_P1_CHECK_ADD,
	MMRACE_P1_NR_VARIANTS,
};

/**
 * enum mmrace_p1_arg - indices into &mmrace_run.arg for pattern P1
 * @MMRACE_P1_ARG_TARGET: which counter is charged, an &enum mmrace_p1_target;
 *	a real one only by a task of the opener's mm: another holder of the
 *	file gets -EPERM, even one that may ptrace the opener (the charges
 *	would land on the opener's mm but meet the caller's RLIMIT_MEMLOCK
 *	and CAP_IPC_LOCK)
 * @MMRACE_P1_ARG_SHAPE: the workload, an &enum mmrace_p1_shape
 * @MMRACE_P1_ARG_LIMIT: model limit in pages (0: computed from the shape);
 *	real targets use the caller's RLIMIT_MEMLOCK, read at every charge
 * @MMRACE_P1_ARG_LIMIT2: model only: a second limit the last thread flips
 *	to and back while the others charge (0: the limit never changes)
 * @MMRACE_P1_ARG_NR_HOGS: threads that ask for more than the headroom
 *	(0: one hog)
 * @MMRACE_P1_ARG_SMALL: pages each small charge asks for (0: 1)
 * @MMRACE_P1_ARG_HOG_VARIANT: the hogs charge the way of variant
 *	@MMRACE_P1_ARG_HOG_VARIANT - 1 (0: the run's variant), as two
 *	kernel paths charging one counter each their own way do (on
 *	mm->pinned_vm ib_umem_get() adds and unwinds while io_uring adds
 *	without a check; the cmpxchg loops of io_uring and net run on
 *	user->locked_vm)
 */
enum mmrace_p1_arg {
	MMRACE_P1_ARG_TARGET = 0,
	MMRACE_P1_ARG_SHAPE,
	MMRACE_P1_ARG_LIMIT,
	MMRACE_P1_ARG_LIMIT2,
	MMRACE_P1_ARG_NR_HOGS,
	MMRACE_P1_ARG_SMALL,
	MMRACE_P1_ARG_HOG_VARIANT,
};

/**
 * enum mmrace_p1_target - the counter P1 charges
 * @MMRACE_P1_TARGET_MODEL: a private atomic counter of the run
 * @MMRACE_P1_TARGET_PINNED_VM: the caller's real mm->pinned_vm (atomic64,
 *	visible as VmPin), charged with the variant's helper against the
 *	caller's RLIMIT_MEMLOCK unless it holds CAP_IPC_LOCK
 * @MMRACE_P1_TARGET_LOCKED_VM: the caller's real mm->locked_vm through the
 *	kernel's own __account_locked_vm() under mmap_write_lock, with the
 *	caller's rlimit and CAP_IPC_LOCK (variant mutex only)
 */
enum mmrace_p1_target {
	MMRACE_P1_TARGET_MODEL = 0,
	MMRACE_P1_TARGET_PINNED_VM,
	MMRACE_P1_TARGET_LOCKED_VM,
};

/**
 * enum mmrace_p1_shape - the P1 workload
 * @MMRACE_P1_SHAPE_DEFAULT: the variant's own demonstration: contended for
 *	check_add, headroom for the others
 * @MMRACE_P1_SHAPE_HEADROOM: limit = base + (small threads x small): every
 *	small charge must succeed and every hog charge must fail, so each
 *	refused small charge is a false -ENOMEM and each hog success an
 *	overshoot
 * @MMRACE_P1_SHAPE_CONTENDED: every thread charges small amounts against a
 *	limit too low for all of them; refusals are legal, commits above the
 *	limit are not
 */
enum mmrace_p1_shape {
	MMRACE_P1_SHAPE_DEFAULT = 0,
	MMRACE_P1_SHAPE_HEADROOM,
	MMRACE_P1_SHAPE_CONTENDED,
};

/**
 * enum mmrace_p1_counter - indices into &mmrace_run.counters for P1
 * @MMRACE_P1_C_CHARGED: successful charges
 * @MMRACE_P1_C_ENOMEM: refused charges, legal or not
 * @MMRACE_P1_C_FALSE_ENOMEM: refused although the headroom covered the
 *	request under the limit the charge read (violation)
 * @MMRACE_P1_C_OVERSHOOT: committed charges above the highest limit of the
 *	run (violation)
 * @MMRACE_P1_C_TRANSIENT: the counter was seen above the limit, even for a
 *	moment (add_return result or a read)
 * @MMRACE_P1_C_RETRIES: compare-and-exchange retries
 * @MMRACE_P1_C_STALE_LIMIT: successes whose total is above the limit in
 *	force when they completed (legal: the limit was read before it changed)
 * @MMRACE_P1_C_LIMIT_CHANGES: limit flips made during the run
 * @MMRACE_P1_C_IMBALANCE: pages by which the counter did not return to its
 *	start value at the end of the run (violation)
 * @MMRACE_P1_C_BYPASS: 1 when the caller held CAP_IPC_LOCK, so the real
 *	targets skipped the limit
 * @MMRACE_P1_C_LIMIT: the limit in pages at the start of the run
 * @MMRACE_P1_C_BASE: the counter's value at the start of the run, plus the
 *	background charge
 * @MMRACE_P1_C_OVERLAP: charges that began while another thread's charge
 *	was in flight (between its read of the counter and its commit or
 *	refusal). Two threads that both charge overlap almost always: this
 *	says they ran side by side, not that a fixed variant's window opened
 *	(the witnesses of that are @MMRACE_P1_C_RETRIES for cmpxchg and
 *	@MMRACE_P1_C_CONTENDED for mutex)
 * @MMRACE_P1_C_CONTENDED: mutex: charges whose mutex_trylock() failed
 *	because another charge held the lock between its check and its add
 *	(the window a lock-less check_add fails in), before they slept in
 *	mutex_lock()
 * @MMRACE_P1_NR_COUNTERS: number of counters (not a counter)
 */
enum mmrace_p1_counter {
	MMRACE_P1_C_CHARGED = 0,
	MMRACE_P1_C_ENOMEM,
	MMRACE_P1_C_FALSE_ENOMEM,
	MMRACE_P1_C_OVERSHOOT,
	MMRACE_P1_C_TRANSIENT,
	MMRACE_P1_C_RETRIES,
	MMRACE_P1_C_STALE_LIMIT,
	MMRACE_P1_C_LIMIT_CHANGES,
	MMRACE_P1_C_IMBALANCE,
	MMRACE_P1_C_BYPASS,
	MMRACE_P1_C_LIMIT,
	MMRACE_P1_C_BASE,
	MMRACE_P1_C_OVERLAP,
	MMRACE_P1_C_CONTENDED,
	MMRACE_P1_NR_COUNTERS,
};

#endif /* _UAPI_LINUX_MMRACE_P1_LOCKEDVM_H */
