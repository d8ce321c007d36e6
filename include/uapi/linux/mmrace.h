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
 *
 * This header is the contract every pattern shares: the pattern ids, the
 * info, describe and run requests, their flags and ioctl numbers. Each
 * pattern's catalogue (its variants, arguments, counters and device
 * structs) is a header of its own, <linux/mmrace/NAME.h>; a tool that
 * knows no pattern enumerates them with MMRACE_IOC_DESCRIBE.
 */
#ifndef _UAPI_LINUX_MMRACE_H
#define _UAPI_LINUX_MMRACE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * 1: the first release; 2: MMRACE_RUN_NO_BATCH and MMRACE_DF_BATCH (a
 * version 1 module refuses the flag with -EINVAL); 3: P4 counts its
 * instances by MMRACE_P4_GROUP (a pair's last group is not counted) and
 * P2 has MMRACE_P2_C_READ_LOCKED_LATE; 4: P2's writer_locked and
 * writer_unlocked (MMRACE_P2_ARG_PRIVATE_OBJ, two counters), P5's
 * last_put_in_worker, put_deferred and put_async (three counters, and
 * self_wait and release_in_kworker at the end of struct
 * mmrace_faultq_stats); each pattern's catalogue moved to a header of its
 * own, every value unchanged.
 */
#define MMRACE_ABI_VERSION	4
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
 * @MMRACE_P4_FORKPIN: fork racing pin_user_pages_fast (store buffering)
 * @MMRACE_P5_FAULTQ: a device's fault queue against a dying mm
 * @MMRACE_P3_MMUNOTIF: mmu-notifier non-blocking start and its undo
 * @MMRACE_BASELINE: the harness itself: an empty operation and raw atomics,
 *	the yardstick the patterns' costs are read against (no race)
 * @MMRACE_NR_PATTERNS: number of pattern ids (not a pattern)
 *
 * Ids are given in the order the patterns were added and never change; the
 * "Pn" in a name is the pattern's number in the documentation.
 */
enum mmrace_pattern_id {
	MMRACE_P1_LOCKEDVM = 0,
	MMRACE_P2_VMALOCK,
	MMRACE_P4_FORKPIN,
	MMRACE_P5_FAULTQ,
	MMRACE_P3_MMUNOTIF,
	MMRACE_BASELINE,
	MMRACE_NR_PATTERNS,
};

/**
 * struct mmrace_info - what this module and kernel offer (MMRACE_IOC_INFO);
 *	any holder of the file may ask (no authority over the opener's mm
 *	is checked: nothing here is about it)
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
 *	(MMRACE_IOC_DESCRIBE); any holder of the file may ask (no authority
 *	over the opener's mm is checked: names only)
 * @pattern: in: pattern id
 * @variant: in: variant index, or MMRACE_NONE
 * @counter: in: counter index, or MMRACE_NONE (@variant must then be
 *	MMRACE_NONE)
 * @flags: out: MMRACE_DF_* bits of the variant or counter, or of the
 *	pattern when both are MMRACE_NONE
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
/*
 * The pattern runs its operations in batches (see MMRACE_RUN_NO_BATCH);
 * in the pattern's own description.
 */
#define MMRACE_DF_BATCH		(1ULL << 3)

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
/*
 * Stop the run at its first violation (a negative control's run: it needs
 * one detection, not a rate). Violations found only by the pattern's final
 * check (counts left raised, imbalances) still count at the end.
 */
#define MMRACE_RUN_STOP_ON_DETECT	(1ULL << 1)
/*
 * One operation per call of the pattern, as before batching: a pattern
 * with short operations otherwise runs them in batches, and the harness
 * checks its stop conditions once per batch (for comparing the harness's
 * own cost; the counters are exact either way).
 */
#define MMRACE_RUN_NO_BATCH	(1ULL << 2)
#define MMRACE_RUN_FLAGS	(MMRACE_RUN_UNBOUND | MMRACE_RUN_STOP_ON_DETECT | \
				 MMRACE_RUN_NO_BATCH)

/*
 * Ioctl numbers (_IOC_NR) under MMRACE_IOC_MAGIC: 0x00-0x02 are the
 * contract's, below; a pattern's device half takes the next free numbers
 * and defines them in its catalogue header: 0x03-0x06 P4
 * (<linux/mmrace/p4_forkpin.h>), 0x07-0x09 P5 (<linux/mmrace/p5_faultq.h>),
 * 0x0a-0x0c P3 (<linux/mmrace/p3_mmunotif.h>). The module refuses to load
 * when two of them collide.
 */
#define MMRACE_IOC_MAGIC	0xE7

#define MMRACE_IOC_INFO		_IOWR(MMRACE_IOC_MAGIC, 0x00, struct mmrace_info)
#define MMRACE_IOC_DESCRIBE	_IOWR(MMRACE_IOC_MAGIC, 0x01, struct mmrace_describe)
#define MMRACE_IOC_RUN		_IOWR(MMRACE_IOC_MAGIC, 0x02, struct mmrace_run)

#endif /* _UAPI_LINUX_MMRACE_H */
