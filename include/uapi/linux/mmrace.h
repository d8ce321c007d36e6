/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmrace: user-space interface of the /dev/mmrace misc device.
 *
 * Every ioctl takes one struct made of __u64 fields (and, for names,
 * NUL-terminated char arrays whose sizes are multiples of 8). The struct's
 * size is encoded in the ioctl number and is its version: the kernel accepts
 * any size from the first published one up to one page, zero-fills fields
 * an older caller does not know, and refuses a newer caller's non-zero
 * unknown tail with -E2BIG (copy_struct_from_user() semantics).
 */
#ifndef _UAPI_LINUX_MMRACE_H
#define _UAPI_LINUX_MMRACE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MMRACE_ABI_VERSION	1
#define MMRACE_DEV_PATH		"/dev/mmrace"

/* Largest number of counters a pattern reports in a run result. */
#define MMRACE_MAX_COUNTERS	24
/* Number of pattern-specific arguments in a run request. */
#define MMRACE_NR_ARGS		8
/* Size of the name and description strings. */
#define MMRACE_NAME_LEN		32
#define MMRACE_DESC_LEN		96
/* "No such item" marker for the index fields of struct mmrace_describe. */
#define MMRACE_NONE		(~(__u64)0)

/**
 * enum mmrace_pattern_id - the patterns this module knows
 * @MMRACE_P1_LOCKEDVM: locked_vm / pinned_vm charged without mmap_lock
 * @MMRACE_P2_VMALOCK: the per-VMA lock as a reference count
 * @MMRACE_NR_PATTERNS: number of pattern ids (not a pattern)
 */
enum mmrace_pattern_id {
	MMRACE_P1_LOCKEDVM = 0,
	MMRACE_P2_VMALOCK,
	MMRACE_NR_PATTERNS,
};

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
 * @MMRACE_P1_ARG_TARGET: which counter is charged, an &enum mmrace_p1_target
 * @MMRACE_P1_ARG_SHAPE: the workload, an &enum mmrace_p1_shape
 * @MMRACE_P1_ARG_LIMIT: model limit in pages (0: computed from the shape);
 *	real targets use the caller's RLIMIT_MEMLOCK, read at every charge
 * @MMRACE_P1_ARG_LIMIT2: model only: a second limit the last thread flips
 *	to and back while the others charge (0: the limit never changes)
 * @MMRACE_P1_ARG_NR_HOGS: threads that ask for more than the headroom
 *	(0: one hog)
 * @MMRACE_P1_ARG_SMALL: pages each small charge asks for (0: 1)
 */
enum mmrace_p1_arg {
	MMRACE_P1_ARG_TARGET = 0,
	MMRACE_P1_ARG_SHAPE,
	MMRACE_P1_ARG_LIMIT,
	MMRACE_P1_ARG_LIMIT2,
	MMRACE_P1_ARG_NR_HOGS,
	MMRACE_P1_ARG_SMALL,
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
	MMRACE_P1_NR_COUNTERS,
};

/**
 * enum mmrace_p2_variant - variants of pattern P2 (the VMA lock)
 * @MMRACE_P2_RWSEM: a per-object rw_semaphore plus a detached flag, objects
 *	freed after an RCU grace period (6.12's per-VMA lock; baseline)
 * @MMRACE_P2_REFCNT_BROKEN: the reference count lock as posted in v6: the
 *	detacher's dec_and_test assumes 1->0 while a reader's transient
 *	reference makes it 2->1, and the lockdep release is skipped when the
 *	reader's put reaches zero (broken)
 * @MMRACE_P2_REFCNT_FIXED: the reference count lock as merged in 6.15:
 *	lockdep annotations out of the put, the detacher waits for transient
 *	readers, readers revalidate objects reused through
 *	SLAB_TYPESAFE_BY_RCU
 * @MMRACE_P2_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p2_variant {
	MMRACE_P2_RWSEM = 0,
	MMRACE_P2_REFCNT_BROKEN,
	MMRACE_P2_REFCNT_FIXED,
	MMRACE_P2_NR_VARIANTS,
};

/**
 * enum mmrace_p2_arg - indices into &mmrace_run.arg for pattern P2
 * @MMRACE_P2_ARG_OBJECTS: objects in the lookup tree (0: 4; at most 4096)
 * @MMRACE_P2_ARG_WRITERS: writer threads, the others read (0: one)
 * @MMRACE_P2_ARG_READ_ONLY: 1: no writers at all (a read-lock benchmark)
 * @MMRACE_P2_ARG_DETACH_PCT: percent of write cycles that also detach,
 *	free and reallocate two objects (0: 50; at most 100)
 */
enum mmrace_p2_arg {
	MMRACE_P2_ARG_OBJECTS = 0,
	MMRACE_P2_ARG_WRITERS,
	MMRACE_P2_ARG_READ_ONLY,
	MMRACE_P2_ARG_DETACH_PCT,
};

/**
 * enum mmrace_p2_counter - indices into &mmrace_run.counters for P2
 * @MMRACE_P2_C_READS: successful read locks (reader acquisitions)
 * @MMRACE_P2_C_READ_LOCKED: read-trylock refused: write-locked or limit
 * @MMRACE_P2_C_READ_DETACHED: read-trylock refused: detached
 * @MMRACE_P2_C_READ_REUSED: locked object had been reused for another key
 *	(revalidation caught it)
 * @MMRACE_P2_C_LOOKUP_EMPTY: lookups that found no object
 * @MMRACE_P2_C_WRITES: write-lock cycles (mmap_write_lock to end_write_all)
 * @MMRACE_P2_C_DETACHES: objects detached, freed and replaced
 * @MMRACE_P2_C_WRITER_WAITS: times a writer slept until readers drained
 * @MMRACE_P2_C_MAX_WAIT_NS: longest writer wait for readers (maximum)
 * @MMRACE_P2_C_DETACH_RACED: detaches that met a transient reader reference
 * @MMRACE_P2_C_OVERLAP: a reader inside an object that was write-locked,
 *	detached or not the one it looked up (violation)
 * @MMRACE_P2_C_READER_LAST_PUT: a reader's put dropped the last reference
 *	(legal once the detacher checks for it; in v6 it skips the release)
 * @MMRACE_P2_C_LOCKDEP_IMBALANCE: read acquisitions without their release
 *	in the shadow lockdep map (violation)
 * @MMRACE_P2_C_STALE_PUT: the object was freed and reused while a reader
 *	held a reference; its put lands on the next life (violation)
 * @MMRACE_P2_C_WRITER_TIMEOUT: a writer waited over a second for readers
 *	(violation)
 * @MMRACE_P2_C_LOCK_BYTES: bytes of lock state per object in this variant
 * @MMRACE_P2_NR_COUNTERS: number of counters (not a counter)
 */
enum mmrace_p2_counter {
	MMRACE_P2_C_READS = 0,
	MMRACE_P2_C_READ_LOCKED,
	MMRACE_P2_C_READ_DETACHED,
	MMRACE_P2_C_READ_REUSED,
	MMRACE_P2_C_LOOKUP_EMPTY,
	MMRACE_P2_C_WRITES,
	MMRACE_P2_C_DETACHES,
	MMRACE_P2_C_WRITER_WAITS,
	MMRACE_P2_C_MAX_WAIT_NS,
	MMRACE_P2_C_DETACH_RACED,
	MMRACE_P2_C_OVERLAP,
	MMRACE_P2_C_READER_LAST_PUT,
	MMRACE_P2_C_LOCKDEP_IMBALANCE,
	MMRACE_P2_C_STALE_PUT,
	MMRACE_P2_C_WRITER_TIMEOUT,
	MMRACE_P2_C_LOCK_BYTES,
	MMRACE_P2_NR_COUNTERS,
};

/**
 * struct mmrace_info - what this module and kernel offer (MMRACE_IOC_INFO)
 * @abi_version: out: MMRACE_ABI_VERSION of the module
 * @nr_patterns: out: number of pattern ids
 * @online_cpus: out: CPUs the run threads are bound to, in turn
 * @max_threads: out: largest &mmrace_run.threads accepted
 * @max_duration_ms: out: largest &mmrace_run.duration_ms accepted
 * @max_window_ns: out: largest &mmrace_run.window_ns accepted
 * @kernel_flags: out: MMRACE_KF_* bits of the running kernel
 * @runs: out: runs completed since the module was loaded
 */
struct mmrace_info {
	__u64 abi_version;
	__u64 nr_patterns;
	__u64 online_cpus;
	__u64 max_threads;
	__u64 max_duration_ms;
	__u64 max_window_ns;
	__u64 kernel_flags;
	__u64 runs;
};

#define MMRACE_KF_LOCKDEP	(1ULL << 0)	/* CONFIG_PROVE_LOCKING */
#define MMRACE_KF_KASAN		(1ULL << 1)	/* CONFIG_KASAN */
#define MMRACE_KF_KCSAN		(1ULL << 2)	/* CONFIG_KCSAN */
#define MMRACE_KF_PREEMPT_RT	(1ULL << 3)	/* CONFIG_PREEMPT_RT */
#define MMRACE_KF_DEBUG_VM	(1ULL << 4)	/* CONFIG_DEBUG_VM */

/**
 * struct mmrace_describe - name a pattern, a variant or a counter
 *	(MMRACE_IOC_DESCRIBE)
 * @pattern: in: pattern id
 * @variant: in: variant index, or MMRACE_NONE
 * @counter: in: counter index, or MMRACE_NONE (@variant must then be
 *	MMRACE_NONE)
 * @flags: out: MMRACE_DF_* bits of the variant
 * @nr_variants: out: variants of the pattern
 * @nr_counters: out: counters of the pattern
 * @name: out: short name, as accepted by debugfs and module parameters
 * @desc: out: one-line description
 */
struct mmrace_describe {
	__u64 pattern;
	__u64 variant;
	__u64 counter;
	__u64 flags;
	__u64 nr_variants;
	__u64 nr_counters;
	char name[MMRACE_NAME_LEN];
	char desc[MMRACE_DESC_LEN];
};

/* The variant carries the race on purpose (a negative control). */
#define MMRACE_DF_BROKEN	(1ULL << 0)
/* The counter counts invariant violations. */
#define MMRACE_DF_VIOLATION	(1ULL << 1)
/* The counter is the largest per-thread value, not a sum. */
#define MMRACE_DF_MAX		(1ULL << 2)

/**
 * struct mmrace_run - run one variant of one pattern (MMRACE_IOC_RUN)
 * @pattern: in: pattern id
 * @variant: in: variant index within the pattern
 * @threads: in: kernel threads, bound to online CPUs in turn (0: module
 *	parameter default); out: threads used
 * @duration_ms: in: stop after this long (0: module default, unless
 *	@iterations is set)
 * @iterations: in: stop after this many operations in all (0: no limit)
 * @window_ns: in: busy-wait inside the race window, widening it (0: none)
 * @seed: in: PRNG seed (0: random); out: the seed used, to replay the run
 * @flags: in: MMRACE_RUN_* bits; unknown bits give -EINVAL
 * @arg: in: pattern-specific arguments (see the pattern's enum)
 * @ops: out: operations done by all threads
 * @elapsed_ns: out: time from the start gate to the last thread's stop
 * @violations: out: sum of the counters flagged MMRACE_DF_VIOLATION
 * @first_detect_ns: out: time from the start gate to the first violation,
 *	or MMRACE_NONE
 * @nr_counters: out: counters filled in
 * @counters: out: the pattern's counters (see the pattern's enum)
 */
struct mmrace_run {
	__u64 pattern;
	__u64 variant;
	__u64 threads;
	__u64 duration_ms;
	__u64 iterations;
	__u64 window_ns;
	__u64 seed;
	__u64 flags;
	__u64 arg[MMRACE_NR_ARGS];
	__u64 ops;
	__u64 elapsed_ns;
	__u64 violations;
	__u64 first_detect_ns;
	__u64 nr_counters;
	__u64 counters[MMRACE_MAX_COUNTERS];
};

/* Do not bind the threads to CPUs (let the scheduler place them). */
#define MMRACE_RUN_UNBOUND	(1ULL << 0)
#define MMRACE_RUN_FLAGS	(MMRACE_RUN_UNBOUND)

#define MMRACE_IOC_MAGIC	0xE7

#define MMRACE_IOC_INFO		_IOWR(MMRACE_IOC_MAGIC, 0x00, struct mmrace_info)
#define MMRACE_IOC_DESCRIBE	_IOWR(MMRACE_IOC_MAGIC, 0x01, struct mmrace_describe)
#define MMRACE_IOC_RUN		_IOWR(MMRACE_IOC_MAGIC, 0x02, struct mmrace_run)

#endif /* _UAPI_LINUX_MMRACE_H */
