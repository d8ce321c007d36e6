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

/*
 * 1: the first release; 2: MMRACE_RUN_NO_BATCH and MMRACE_DF_BATCH (a
 * version 1 module refuses the flag with -EINVAL); 3: P4 counts its
 * instances by MMRACE_P4_GROUP (a pair's last group is not counted) and
 * P2 has MMRACE_P2_C_READ_LOCKED_LATE.
 */
#define MMRACE_ABI_VERSION	3
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
 * @MMRACE_P2_RWSEM_NOCHECK: 6.12's lock without the detached check after
 *	down_read_trylock(): a reader uses an object the writer detached
 *	(broken: the check @MMRACE_P2_RWSEM is judged by, its negative
 *	control)
 * @MMRACE_P2_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p2_variant {
	MMRACE_P2_RWSEM = 0,
	MMRACE_P2_REFCNT_BROKEN,
	MMRACE_P2_REFCNT_FIXED,
	MMRACE_P2_RWSEM_NOCHECK,
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
 * @MMRACE_P2_C_STALE_PUT: the object was freed, or freed and reused,
 *	while a reader held a reference; its put lands on a dead object or
 *	the next life (violation)
 * @MMRACE_P2_C_WRITER_TIMEOUT: a writer waited over a second for readers
 *	(violation)
 * @MMRACE_P2_C_LOCK_BYTES: bytes of lock state per object in this variant
 * @MMRACE_P2_C_READ_LOCKED_LATE: of @MMRACE_P2_C_READ_LOCKED, the refusals
 *	after the reader's increment (or down_read_trylock()) succeeded: it
 *	came in after the writer let readers back in and then saw the
 *	write-lock mark (litmus/P2+lock_acquire's allowed outcome, the
 *	witness that its window opened)
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
	MMRACE_P2_C_READ_LOCKED_LATE,
	MMRACE_P2_NR_COUNTERS,
};

/**
 * enum mmrace_p3_variant - variants of pattern P3 (the notifier chain)
 * @MMRACE_P3_SKIP_END: stop the walk at the first -EAGAIN and skip the
 *	range's end (the code before 2021; broken: a subscriber that started
 *	never gets its end)
 * @MMRACE_P3_UNDO_SORTED: the chain is kept sorted by address; on -EAGAIN
 *	end the subscriptions below the failing one's address (Jason
 *	Gunthorpe's 2019 proposal; needs additions excluded by mm locks)
 * @MMRACE_P3_END_ALL_STARTED: call every start even after a failure, then
 *	the end of every subscription that has one; a failing subscription
 *	has none (upstream since 2021)
 * @MMRACE_P3_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p3_variant {
	MMRACE_P3_SKIP_END = 0,
	MMRACE_P3_UNDO_SORTED,
	MMRACE_P3_END_ALL_STARTED,
	MMRACE_P3_NR_VARIANTS,
};

/**
 * enum mmrace_p3_arg - indices into &mmrace_run.arg for pattern P3
 * @MMRACE_P3_ARG_NR_A: subscribers with start and end that never fail
 *	(KVM-like; 0: 2)
 * @MMRACE_P3_ARG_NR_B: subscribers without end whose non-blocking start
 *	fails while their mutex is held (RDMA-ODP-like; 0: 1); at most 16 in
 *	all
 * @MMRACE_P3_ARG_NONBLOCK_PCT: percent of invalidations that are
 *	non-blockable, as the OOM reaper's (0: 50; at most 100), or
 *	%MMRACE_P3_NONBLOCK_NONE: every invalidation may block, so no start
 *	fails (the configuration where the failure path cannot run)
 * @MMRACE_P3_ARG_UNLOCKED_ADDS: 1: register without the model mmap_lock
 *	(shows why additions must be excluded during an invalidation)
 * @MMRACE_P3_ARG_B_FIRST: 1: the B subscribers head the chain (first in
 *	the walk, the lowest keys of undo_sorted's) and none is replaced, so
 *	starts fail but no A starts before a failing B: &MMRACE_P3_C_UNDONE
 *	must stay 0 (the witness control of the end-after-failure verdicts)
 */
enum mmrace_p3_arg {
	MMRACE_P3_ARG_NR_A = 0,
	MMRACE_P3_ARG_NR_B,
	MMRACE_P3_ARG_NONBLOCK_PCT,
	MMRACE_P3_ARG_UNLOCKED_ADDS,
	MMRACE_P3_ARG_B_FIRST,
};

/*
 * MMRACE_P3_NONBLOCK_NONE - &MMRACE_P3_ARG_NONBLOCK_PCT's value for "no
 * invalidation is non-blockable" (0 already means the default).
 */
#define MMRACE_P3_NONBLOCK_NONE	101

/**
 * enum mmrace_p3_counter - indices into &mmrace_run.counters for P3
 * @MMRACE_P3_C_INVALIDATIONS: invalidate_range_start walks
 * @MMRACE_P3_C_NONBLOCK: of them non-blockable
 * @MMRACE_P3_C_EAGAIN: of them failed with -EAGAIN
 * @MMRACE_P3_C_STARTS: successful subscriber starts
 * @MMRACE_P3_C_ENDS: subscriber ends
 * @MMRACE_P3_C_MISSING_END: a subscriber that started (and is still
 *	registered) got no end from that invalidation (violation)
 * @MMRACE_P3_C_END_WITHOUT_START: an end for a subscriber the invalidation
 *	did not start (violation)
 * @MMRACE_P3_C_COUNT_LEAK: in-progress counts of the A subscribers left
 *	non-zero at the end of the run (violation)
 * @MMRACE_P3_C_REGISTERS: subscribers registered during the run
 * @MMRACE_P3_C_UNREGISTERS: subscribers unregistered (hlist_del_rcu, then
 *	synchronize_srcu) during the run
 * @MMRACE_P3_C_B_HELD: times thread 0 held B's mutex
 * @MMRACE_P3_C_UNDONE: ends given, after a start failed with -EAGAIN, to
 *	subscribers that had started before it in the same walk (the ends
 *	skip_end loses; zero for skip_end by construction)
 * @MMRACE_P3_NR_COUNTERS: number of counters (not a counter)
 */
enum mmrace_p3_counter {
	MMRACE_P3_C_INVALIDATIONS = 0,
	MMRACE_P3_C_NONBLOCK,
	MMRACE_P3_C_EAGAIN,
	MMRACE_P3_C_STARTS,
	MMRACE_P3_C_ENDS,
	MMRACE_P3_C_MISSING_END,
	MMRACE_P3_C_END_WITHOUT_START,
	MMRACE_P3_C_COUNT_LEAK,
	MMRACE_P3_C_REGISTERS,
	MMRACE_P3_C_UNREGISTERS,
	MMRACE_P3_C_B_HELD,
	MMRACE_P3_C_UNDONE,
	MMRACE_P3_NR_COUNTERS,
};

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

/**
 * enum mmrace_p4_variant - variants of pattern P4 (the pin / fork litmus)
 * @MMRACE_P4_ONCE: WRITE_ONCE then READ_ONCE on both sides, no barrier
 *	(broken: the "neither side copies" outcome is allowed, and x86 shows
 *	it: a store may wait in the store buffer while the next load runs)
 * @MMRACE_P4_MB: smp_mb() between the store and the load on both sides
 *	(SB+fencembonceonces: forbidden)
 * @MMRACE_P4_AFTER_ATOMIC: the pin side sets the flag and raises the
 *	reference with void atomics and smp_mb__after_atomic(), the other
 *	side uses smp_mb(): the anon-exclusive share path (KSM, migration:
 *	folio_try_share_anon_rmap() against GUP-fast, 088b8aa537c2, 6.1)
 * @MMRACE_P4_ATOMIC_NOMB: the same void atomics without
 *	smp_mb__after_atomic() (allowed by the kernel memory model; on x86
 *	the LOCK prefix is a full barrier, so the hardware forbids it there
 *	and it is no negative control there)
 * @MMRACE_P4_SEQCOUNT: fork as the kernel does it (57efa1fe5957, 5.11):
 *	copy_page_range() inside mm->write_protect_seq's write section
 *	checks the pin count under the page-table lock, then write-protects
 *	the PTE; GUP-fast reads the sequence before (odd: back off), pins,
 *	re-checks the PTE and backs off when the sequence changed; a window
 *	widens the page-table walk and the copy (&mmrace_run.window_ns)
 * @MMRACE_P4_SEQCOUNT_NORETRY: the same GUP-fast without the sequence
 *	re-check (broken: fork reads "not pinned", the pin lands and the
 *	PTE re-check still sees it writable, then fork write-protects it: a
 *	plain interleaving, no reordering needed)
 * @MMRACE_P4_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p4_variant {
	MMRACE_P4_ONCE = 0,
	MMRACE_P4_MB,
	MMRACE_P4_AFTER_ATOMIC,
	MMRACE_P4_ATOMIC_NOMB,
	MMRACE_P4_SEQCOUNT,
	MMRACE_P4_SEQCOUNT_NORETRY,
	MMRACE_P4_NR_VARIANTS,
};

/**
 * enum mmrace_p4_counter - indices into &mmrace_run.counters for P4
 * @MMRACE_P4_C_ITERATIONS: litmus iterations whose outcome was counted
 *	(each is two operations, one per side)
 * @MMRACE_P4_C_NEITHER: the pin side read the old PTE and the fork side
 *	read "not pinned": neither side copies (the forbidden outcome;
 *	violation)
 * @MMRACE_P4_C_PIN_BACKOFF: only the pin side saw the other's store: it
 *	backs off to the slow path, which breaks COW
 * @MMRACE_P4_C_FORK_COPY: only the fork side saw the other's store: it
 *	copies the page for the child
 * @MMRACE_P4_C_BOTH: both sides saw the other's store (an extra copy,
 *	harmless)
 * @MMRACE_P4_C_HALF_PINNED: the fork side saw one of has_pinned and the
 *	page reference but not the other (it does not copy)
 * @MMRACE_P4_C_PAIRS: pin/fork thread pairs of the run
 * @MMRACE_P4_C_SEQ_RETRY: seqcount: GUP-fast's pin was good by the PTE
 *	but the sequence had moved, and it backed off: the window the
 *	re-check closes (seqcount_noretry keeps those pins)
 * @MMRACE_P4_NR_COUNTERS: number of counters (not a counter)
 *
 * The four outcome counters add up to @MMRACE_P4_C_ITERATIONS.
 */
enum mmrace_p4_counter {
	MMRACE_P4_C_ITERATIONS = 0,
	MMRACE_P4_C_NEITHER,
	MMRACE_P4_C_PIN_BACKOFF,
	MMRACE_P4_C_FORK_COPY,
	MMRACE_P4_C_BOTH,
	MMRACE_P4_C_HALF_PINNED,
	MMRACE_P4_C_PAIRS,
	MMRACE_P4_C_SEQ_RETRY,
	MMRACE_P4_NR_COUNTERS,
};

/*
 * MMRACE_P4_GROUP - P4 litmus instances per rendezvous of a pin/fork pair.
 * The fork side counts an instance once a later rendezvous made it final,
 * so a pair's last group (the instances from its last rendezvous on) is
 * run but not counted: when an iteration budget ends the run and the
 * pair's fork thread ran I instances (its share of the budget), I - 1 -
 * (I - 1) % MMRACE_P4_GROUP of them are counted in MMRACE_P4_C_ITERATIONS
 * (summed over the pairs).
 */
#define MMRACE_P4_GROUP		4

/**
 * enum mmrace_p4_arg - indices into &mmrace_run.arg for pattern P4
 * @MMRACE_P4_ARG_TURNS: 1: the two sides take turns, the fork side starts
 *	an instance only once the pin side finished it, so their windows
 *	never overlap (0: they run side by side). With turns every outcome
 *	is fork_copy: the configuration that shows the witnesses
 *	(&MMRACE_P4_C_BOTH, &MMRACE_P4_C_SEQ_RETRY) at zero where the window
 *	cannot open.
 */
enum mmrace_p4_arg {
	MMRACE_P4_ARG_TURNS = 0,
};

/**
 * enum mmrace_p5_variant - variants of pattern P5 (the fault queue); the
 *	model and the real device (MMRACE_IOC_FAULTQ_SUBMIT) share them
 * @MMRACE_P5_NO_CHECK: the queue holds an mm_users reference from submit
 *	until it drains, so every fault takes mmap_lock and runs, even after
 *	the owner was killed, and the mm's teardown waits for the queue
 * @MMRACE_P5_RACY_CHECK: per fault, peek whether the mm is dying (mm_users
 *	at zero, MMF_OOM_SKIP) before anything else, then mmget_not_zero()
 *	(the seed's helper: racy, harmless, an optimisation)
 * @MMRACE_P5_MMGET: per fault, mmget_not_zero(), mmap_read_lock, fault,
 *	mmput() (race-free; what test_hmm and nouveau do)
 * @MMRACE_P5_OWNER_CHECK: per fault, abort when the owner task is dying
 *	(broken: "misleading": a CLONE_VM process keeps the mm alive and its
 *	faults are dropped)
 * @MMRACE_P5_HINT_ONLY: the peek and no reference across the fault
 *	(broken: races exit_mmap; model only, the real device refuses it)
 * @MMRACE_P5_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p5_variant {
	MMRACE_P5_NO_CHECK = 0,
	MMRACE_P5_RACY_CHECK,
	MMRACE_P5_MMGET,
	MMRACE_P5_OWNER_CHECK,
	MMRACE_P5_HINT_ONLY,
	MMRACE_P5_NR_VARIANTS,
};

/**
 * enum mmrace_p5_arg - indices into &mmrace_run.arg for pattern P5
 * @MMRACE_P5_ARG_QUEUE: faults queued per life of the model mm (0: 256; at
 *	most 65536)
 * @MMRACE_P5_ARG_SHARED: an &enum mmrace_p5_shared
 * @MMRACE_P5_ARG_KILL_AT: the owner is killed once this many faults of
 *	the life are done (0: at a random point of the queue; at most the
 *	queue: the value of the queue kills it once the queue drained, so no
 *	fault can meet the kill, the configuration where the window cannot
 *	open)
 */
enum mmrace_p5_arg {
	MMRACE_P5_ARG_QUEUE = 0,
	MMRACE_P5_ARG_SHARED,
	MMRACE_P5_ARG_KILL_AT,
};

/**
 * enum mmrace_p5_shared - whether a CLONE_VM sibling shares the model mm
 * @MMRACE_P5_SHARED_DEFAULT: only for owner_check (its demonstration)
 * @MMRACE_P5_SHARED_NO: never
 * @MMRACE_P5_SHARED_YES: always: the sibling keeps the mm alive until the
 *	queue drained
 */
enum mmrace_p5_shared {
	MMRACE_P5_SHARED_DEFAULT = 0,
	MMRACE_P5_SHARED_NO,
	MMRACE_P5_SHARED_YES,
};

/**
 * enum mmrace_p5_counter - indices into &mmrace_run.counters for P5
 * @MMRACE_P5_C_LIVES: lives of the model mm (queue, kill, drain)
 * @MMRACE_P5_C_SUBMITTED: faults queued
 * @MMRACE_P5_C_PROCESSED: faults handled under the model mmap_lock
 * @MMRACE_P5_C_ABORTED_EARLY: faults dropped by the peek
 * @MMRACE_P5_C_ABORTED_LATE: faults dropped by mmget_not_zero()
 * @MMRACE_P5_C_AFTER_KILL: faults handled after the owner was killed (the
 *	useless work)
 * @MMRACE_P5_C_KILL_POINT: faults handled before the kills, summed
 * @MMRACE_P5_C_TEARDOWN_BY_WORKER: lives whose last mm_users reference was
 *	a worker's (the worker ran the teardown)
 * @MMRACE_P5_C_AFTER_EXIT: a fault ran on a torn-down mm (violation)
 * @MMRACE_P5_C_FALSE_ABORT: a fault dropped while a CLONE_VM sibling kept
 *	the mm alive (violation)
 * @MMRACE_P5_C_IMBALANCE: a life whose processed + aborted faults did not
 *	add up to the queue, or whose mm was not torn down (violation)
 * @MMRACE_P5_C_SHARED: 1 when a CLONE_VM sibling shared the mm
 * @MMRACE_P5_NR_COUNTERS: number of counters (not a counter)
 */
enum mmrace_p5_counter {
	MMRACE_P5_C_LIVES = 0,
	MMRACE_P5_C_SUBMITTED,
	MMRACE_P5_C_PROCESSED,
	MMRACE_P5_C_ABORTED_EARLY,
	MMRACE_P5_C_ABORTED_LATE,
	MMRACE_P5_C_AFTER_KILL,
	MMRACE_P5_C_KILL_POINT,
	MMRACE_P5_C_TEARDOWN_BY_WORKER,
	MMRACE_P5_C_AFTER_EXIT,
	MMRACE_P5_C_FALSE_ABORT,
	MMRACE_P5_C_IMBALANCE,
	MMRACE_P5_C_SHARED,
	MMRACE_P5_NR_COUNTERS,
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

/* Largest number of pages one MMRACE_IOC_PIN may pin. */
#define MMRACE_PIN_MAX_PAGES	512
/* Largest number of pins one open file may hold. */
#define MMRACE_MAX_PINS		16

/**
 * struct mmrace_pin - pin pages of the caller (MMRACE_IOC_PIN)
 * @addr: in: page-aligned start address in the caller's memory
 * @nr_pages: in: pages to pin, 1..MMRACE_PIN_MAX_PAGES
 * @flags: in: MMRACE_PIN_* bits; unknown bits give -EINVAL
 * @id: out: the pin's handle for MMRACE_IOC_PIN_ACCESS and MMRACE_IOC_UNPIN
 * @pinned_vm: out: the caller's mm->pinned_vm in pages after the charge
 *
 * The pages are pinned with pin_user_pages_fast() and the pin is charged
 * to the opener's mm->pinned_vm against RLIMIT_MEMLOCK (skipped with
 * CAP_IPC_LOCK), as a driver holding long-term pins does. Pins are held
 * across ioctls, by the open file, and released with MMRACE_IOC_UNPIN or
 * when the file is closed. Only a task of the opener's mm may pin (-EPERM).
 * Errors: -EFAULT for an address the kernel cannot pin (unmapped, not
 * writable with MMRACE_PIN_WRITE), -ENOSPC when the file holds
 * MMRACE_MAX_PINS pins, -ENOMEM above RLIMIT_MEMLOCK.
 */
struct mmrace_pin {
	__u64 addr;
	__u64 nr_pages;
	__u64 flags;
	__u64 id;
	__u64 pinned_vm;
};

/* FOLL_WRITE: pin for writing (breaks COW first, as a DMA target must). */
#define MMRACE_PIN_WRITE	(1ULL << 0)
/* FOLL_LONGTERM: the pin may be held indefinitely. */
#define MMRACE_PIN_LONGTERM	(1ULL << 1)
#define MMRACE_PIN_FLAGS	(MMRACE_PIN_WRITE | MMRACE_PIN_LONGTERM)

/**
 * struct mmrace_pin_access - read or write 8 bytes through a pin, as a
 *	device doing DMA would (MMRACE_IOC_PIN_ACCESS)
 * @id: in: the pin's handle
 * @offset: in: byte offset from the pin's start address, 8-byte aligned
 * @write: in: 0 to read, 1 to write @value
 * @value: in: the value to write; out: the value read (or written)
 * @pfn: out: page frame number of the pinned page at @offset
 */
struct mmrace_pin_access {
	__u64 id;
	__u64 offset;
	__u64 write;
	__u64 value;
	__u64 pfn;
};

/**
 * struct mmrace_unpin - release a pin (MMRACE_IOC_UNPIN)
 * @id: in: the pin's handle; -ENOENT if this file holds no such pin
 * @pinned_vm: out: the caller's mm->pinned_vm in pages after the uncharge
 */
struct mmrace_unpin {
	__u64 id;
	__u64 pinned_vm;
};

/**
 * struct mmrace_page_info - what backs an address of the caller
 *	(MMRACE_IOC_PAGE_INFO)
 * @addr: in: an address in the caller's memory (faulted in for reading)
 * @pfn: out: page frame number of the page mapped there
 * @refcount: out: the folio's reference count, not counting the
 *	reference this ioctl takes to look
 * @order: out: the folio's order (9 for a 2 MiB THP on x86)
 * @maybe_pinned: out: 1 when folio_maybe_dma_pinned()
 * @mm_has_pinned: out: 1 when MMF_HAS_PINNED is set on the caller's mm
 *
 * Only a task of the opener's mm may look (-EPERM).
 */
struct mmrace_page_info {
	__u64 addr;
	__u64 pfn;
	__u64 refcount;
	__u64 order;
	__u64 maybe_pinned;
	__u64 mm_has_pinned;
};

/* Largest number of faults one MMRACE_IOC_FAULTQ_SUBMIT may queue. */
#define MMRACE_FAULTQ_MAX_SUBMIT	65536
/* Largest number of faults a device may have pending. */
#define MMRACE_FAULTQ_MAX_PENDING	(1 << 20)

/**
 * struct mmrace_faultq_submit - queue a storm of device faults
 *	(MMRACE_IOC_FAULTQ_SUBMIT)
 * @variant: in: &enum mmrace_p5_variant; fixed by the first submit of the
 *	file (a different one later gives -EINVAL; hint_only gives -EINVAL)
 * @addr: in: address of the first fault in the opener's memory
 * @nr: in: faults, 1..MMRACE_FAULTQ_MAX_SUBMIT
 * @stride: in: bytes between two faults (0: one page)
 * @flags: in: MMRACE_FAULTQ_* bits; unknown bits give -EINVAL
 * @workers: in: work items serving the queue, each bound to an online CPU
 *	in turn (0: one; at most the online CPUs); fixed by the first submit
 * @pending: out: faults queued and not yet done, this storm included
 *
 * The file's device is created by the first submit: an
 * mmu_interval_notifier over the opener's whole address space, a mirror
 * of the pages it faulted (read back with MMRACE_IOC_FAULTQ_READ) and the
 * queue. A task of the opener's mm may submit, and another holder of the
 * file that may ptrace the opener (-EPERM otherwise); the faults always
 * target the opener's mm, which the device holds with mmgrab() only.
 * Addresses beyond the opener's address space give -EFAULT, a storm
 * whose last address (@addr + (@nr - 1) * @stride) does not fit in 64
 * bits too (a 57-bit address space allows one); addresses outside any VMA
 * or without access fail one by one (counted in
 * &mmrace_faultq_stats.errors). -ESRCH when the opener's mm has exited,
 * -ENOSPC past MMRACE_FAULTQ_MAX_PENDING. -EDEADLK when the opener's mm
 * has P3's real subscribers (MMRACE_IOC_NOTIF_REGISTER, from any file)
 * and MMRACE_FAULTQ_ALLOW_ITREE_HANG is not set: see that flag.
 */
struct mmrace_faultq_submit {
	__u64 variant;
	__u64 addr;
	__u64 nr;
	__u64 stride;
	__u64 flags;
	__u64 workers;
	__u64 pending;
};

/* Fault for writing (the device writes; breaks COW). */
#define MMRACE_FAULTQ_WRITE	(1ULL << 0)
/*
 * Let the device's interval notifier share the mm with P3's failing
 * subscriber B: a reap of that mm while B is busy can leave the interval
 * tree's invalidation unended in the kernels this project boots, and
 * every later device fault, and the close, then wait forever (the
 * interval-notifier hang, patterns/p3_mmunotif). For throw-away guests
 * only (selftests/itree_hang).
 */
#define MMRACE_FAULTQ_ALLOW_ITREE_HANG	(1ULL << 1)
#define MMRACE_FAULTQ_FLAGS	(MMRACE_FAULTQ_WRITE | \
				 MMRACE_FAULTQ_ALLOW_ITREE_HANG)

/**
 * struct mmrace_faultq_stats - wait for the queue, read its counters
 *	(MMRACE_IOC_FAULTQ_WAIT); any holder of the file may ask (no
 *	authority over the opener's mm is checked: this reads the device's
 *	counters, and a mark changes only them)
 * @timeout_ms: in: wait up to this long for the queue to drain (0: do not
 *	wait); the wait is interruptible
 * @mark: in: 1: first record the "kill mark" (now, and the faults
 *	processed so far), then return without waiting
 * @variant: out: the device's variant
 * @submitted: out: faults queued since the device was created
 * @processed: out: faults resolved and mirrored
 * @aborted_early: out: faults dropped by the variant's peek
 * @aborted_late: out: faults dropped because mmget_not_zero() failed
 * @errors: out: faults the kernel refused (no VMA, no access)
 * @retried: out: faults retried because an invalidation raced them
 * @false_abort: out: faults owner_check dropped while the mm was alive
 *	after its owner was reaped, for someone else than the device's own
 *	workers (a CLONE_VM sibling kept it)
 * @after_exit: out: faults resolved after the mm's exit_mmap began
 *	(violation: every real variant holds mm_users across the resolve,
 *	so only a fault path that lost its reference counts here)
 * @pending: out: faults not yet done
 * @mirrored: out: pages in the device's mirror now
 * @invalidations: out: invalidations of the mirror that completed (a
 *	non-blockable one, the OOM reaper's or process_mrelease()'s, drops
 *	16,384 mirrored pages at most and fails with more left: its caller
 *	tries again later, or exit_mmap() drops the rest)
 * @released: out: 1 once exit_mmap released the mm (MMU_NOTIFY_RELEASE)
 * @processed_after_mark: out: faults processed since the mark
 * @mark_to_release_ns: out: from the mark to the mm's release (0: none)
 * @mark_to_drain_ns: out: from the mark to the queue drained (0: none)
 * @abort_exiting: out: faults owner_check dropped while the mm was alive
 *	and its owner dying, not yet reaped (its own reference may hold the
 *	mm until its exit_mm()'s mmput(): a right abort as far as the peek
 *	can tell, not counted in @false_abort)
 *
 * processed + aborted_early + aborted_late + errors == submitted - pending.
 */
struct mmrace_faultq_stats {
	__u64 timeout_ms;
	__u64 mark;
	__u64 variant;
	__u64 submitted;
	__u64 processed;
	__u64 aborted_early;
	__u64 aborted_late;
	__u64 errors;
	__u64 retried;
	__u64 false_abort;
	__u64 after_exit;
	__u64 pending;
	__u64 mirrored;
	__u64 invalidations;
	__u64 released;
	__u64 processed_after_mark;
	__u64 mark_to_release_ns;
	__u64 mark_to_drain_ns;
	__u64 abort_exiting;
};

/**
 * struct mmrace_faultq_read - read 8 bytes through the device's mirror
 *	(MMRACE_IOC_FAULTQ_READ)
 * @addr: in: an address of the opener's memory, 8-byte aligned
 * @value: out: the 8 bytes the device's mirrored page holds there
 * @pfn: out: the mirrored page's frame number
 *
 * -ENOENT when the page is not mirrored (never faulted, or invalidated
 * since: munmap, COW, exit).
 */
struct mmrace_faultq_read {
	__u64 addr;
	__u64 value;
	__u64 pfn;
};

/*
 * Longest sleep of MMRACE_IOC_NOTIF_CTL: well below the hung-task timeout
 * (the sleep is TASK_IDLE, which the detector does not report, but a
 * caller stuck in it cannot be killed either).
 */
#define MMRACE_NOTIF_MAX_SLEEP_MS	30000
/* &mmrace_notif_ctl.b_busy: leave B's state as it is. */
#define MMRACE_NOTIF_KEEP		2
/* &mmrace_notif_register.order: register B last, so it runs first. */
#define MMRACE_NOTIF_B_FIRST		1

/**
 * struct mmrace_notif_register - register two real mmu_notifier
 *	subscribers on the caller's mm (MMRACE_IOC_NOTIF_REGISTER)
 * @order: in: 0: A is registered last and so runs first (the seed's
 *	order: A starts, then B fails); MMRACE_NOTIF_B_FIRST: B runs first
 * @flags: in: MMRACE_NOTIF_* bits; unknown bits give -EINVAL (zero for
 *	MMRACE_IOC_NOTIF_UNREGISTER)
 *
 * A has invalidate_range_start and _end and never fails; B has only
 * invalidate_range_start, which fails a non-blockable range with -EAGAIN
 * while B is busy (&mmrace_notif_ctl.b_busy). Only a task of the opener's
 * mm may register (-EPERM); once per file (-EBUSY, also after an
 * unregister). Both are unregistered by MMRACE_IOC_NOTIF_UNREGISTER or
 * when the file is closed; their counters stay readable until the close.
 * -EDEADLK when the mm has a P5 device (MMRACE_IOC_FAULTQ_SUBMIT, from
 * any file) and @flags lacks MMRACE_NOTIF_ALLOW_ITREE_HANG.
 */
struct mmrace_notif_register {
	__u64 order;
	__u64 flags;
};

/*
 * &mmrace_notif_register.flags: let B share the mm with a P5 device's
 * interval notifier (see MMRACE_FAULTQ_ALLOW_ITREE_HANG).
 */
#define MMRACE_NOTIF_ALLOW_ITREE_HANG	(1ULL << 0)
#define MMRACE_NOTIF_FLAGS		(MMRACE_NOTIF_ALLOW_ITREE_HANG)

/**
 * struct mmrace_notif_ctl - steer and read the real subscribers
 *	(MMRACE_IOC_NOTIF_CTL); does not wait for other ioctls of the file
 * @b_busy: in: 1: B's non-blockable starts fail, 0: they succeed,
 *	MMRACE_NOTIF_KEEP: unchanged; out: B's state
 * @sleep_ms: in: sleep uninterruptibly (SIGKILL does not end it; TASK_IDLE)
 *	until woken or for this long, at most MMRACE_NOTIF_MAX_SLEEP_MS (0: no
 *	sleep)
 * @wake: in: 1: wake every sleeper (not with @sleep_ms)
 * @woken: out: 1 when the sleep ended by a wake
 * @a_starts: out: A's invalidate_range_start calls
 * @a_ends: out: A's invalidate_range_end calls
 * @a_nonblock: out: of A's starts, non-blockable ones
 * @a_active: out: A's starts minus ends (0 when every start got its end)
 * @a_released: out: 1 once A's release ran (exit_mmap)
 * @b_starts: out: B's invalidate_range_start calls
 * @b_nonblock: out: of them non-blockable
 * @b_eagain: out: of them failed with -EAGAIN
 * @b_released: out: 1 once B's release ran
 * @sleepers: out: tasks sleeping in this ioctl now
 * @mm_oom_skip: out: MMF_OOM_SKIP of the mm (the reaper is done with it)
 * @mm_unstable: out: MMF_UNSTABLE of the mm (a reaper started on it)
 */
struct mmrace_notif_ctl {
	__u64 b_busy;
	__u64 sleep_ms;
	__u64 wake;
	__u64 woken;
	__u64 a_starts;
	__u64 a_ends;
	__u64 a_nonblock;
	__u64 a_active;
	__u64 a_released;
	__u64 b_starts;
	__u64 b_nonblock;
	__u64 b_eagain;
	__u64 b_released;
	__u64 sleepers;
	__u64 mm_oom_skip;
	__u64 mm_unstable;
};

#define MMRACE_IOC_MAGIC	0xE7

#define MMRACE_IOC_INFO		_IOWR(MMRACE_IOC_MAGIC, 0x00, struct mmrace_info)
#define MMRACE_IOC_DESCRIBE	_IOWR(MMRACE_IOC_MAGIC, 0x01, struct mmrace_describe)
#define MMRACE_IOC_RUN		_IOWR(MMRACE_IOC_MAGIC, 0x02, struct mmrace_run)
#define MMRACE_IOC_PIN		_IOWR(MMRACE_IOC_MAGIC, 0x03, struct mmrace_pin)
#define MMRACE_IOC_PIN_ACCESS	_IOWR(MMRACE_IOC_MAGIC, 0x04, struct mmrace_pin_access)
#define MMRACE_IOC_UNPIN	_IOWR(MMRACE_IOC_MAGIC, 0x05, struct mmrace_unpin)
#define MMRACE_IOC_PAGE_INFO	_IOWR(MMRACE_IOC_MAGIC, 0x06, struct mmrace_page_info)
#define MMRACE_IOC_FAULTQ_SUBMIT _IOWR(MMRACE_IOC_MAGIC, 0x07, struct mmrace_faultq_submit)
#define MMRACE_IOC_FAULTQ_WAIT	_IOWR(MMRACE_IOC_MAGIC, 0x08, struct mmrace_faultq_stats)
#define MMRACE_IOC_FAULTQ_READ	_IOWR(MMRACE_IOC_MAGIC, 0x09, struct mmrace_faultq_read)
#define MMRACE_IOC_NOTIF_REGISTER _IOWR(MMRACE_IOC_MAGIC, 0x0a, struct mmrace_notif_register)
#define MMRACE_IOC_NOTIF_CTL	_IOWR(MMRACE_IOC_MAGIC, 0x0b, struct mmrace_notif_ctl)
/* Unregister both subscribers (order must be 0); -ENOENT if not registered. */
#define MMRACE_IOC_NOTIF_UNREGISTER _IOWR(MMRACE_IOC_MAGIC, 0x0c, struct mmrace_notif_register)

#endif /* _UAPI_LINUX_MMRACE_H */
