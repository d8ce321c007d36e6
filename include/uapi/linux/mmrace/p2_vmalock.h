/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmrace catalogue, P2: the per-VMA lock as a reference count.
 * Its variants (&mmrace_run.variant), arguments (indices into
 * &mmrace_run.arg) and counters (indices into &mmrace_run.counters).
 * Included by this pattern's files only; the contract every pattern
 * shares is <linux/mmrace.h>.
 */
#ifndef _UAPI_LINUX_MMRACE_P2_VMALOCK_H
#define _UAPI_LINUX_MMRACE_P2_VMALOCK_H

#include <linux/mmrace.h>

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
 * @MMRACE_P2_WRITER_LOCKED: a writer holding the model's mmap_write_lock
 *	changes a field readers use under the VMA lock (``vma->anon_vma``)
 *	after vma_start_write(), as fork (fb49c455323f) and dup_anon_vma()
 *	(d8ab9f7b644a) do since 6.5; @MMRACE_P2_REFCNT_FIXED's read side
 * @MMRACE_P2_WRITER_UNLOCKED: the same writer without vma_start_write()
 *	(6.4): the mm-wide lock no longer excludes readers holding the VMA
 *	lock, which see the field change between two reads (broken)
 * @MMRACE_P2_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p2_variant {
	MMRACE_P2_RWSEM = 0,
	MMRACE_P2_REFCNT_BROKEN,
	MMRACE_P2_REFCNT_FIXED,
	MMRACE_P2_RWSEM_NOCHECK,
	MMRACE_P2_WRITER_LOCKED,
	MMRACE_P2_WRITER_UNLOCKED,
	MMRACE_P2_NR_VARIANTS,
};

/**
 * enum mmrace_p2_arg - indices into &mmrace_run.arg for pattern P2
 * @MMRACE_P2_ARG_OBJECTS: objects in the lookup tree (0: 4; at most 4096)
 * @MMRACE_P2_ARG_WRITERS: writer threads, the others read (0: one)
 * @MMRACE_P2_ARG_READ_ONLY: 1: no writers at all (a read-lock benchmark)
 * @MMRACE_P2_ARG_DETACH_PCT: percent of write cycles that also detach,
 *	free and reallocate two objects (0: 50; at most 100); ignored by
 *	@MMRACE_P2_WRITER_LOCKED and @MMRACE_P2_WRITER_UNLOCKED, whose
 *	writers change a field and never detach
 * @MMRACE_P2_ARG_PRIVATE_OBJ: 1: the writer changes the field of an
 *	object of its own, at key ``objects``, that no reader looks up (the
 *	window cannot open: the witness control); @MMRACE_P2_WRITER_LOCKED
 *	and @MMRACE_P2_WRITER_UNLOCKED only (0: a random reader's object)
 */
enum mmrace_p2_arg {
	MMRACE_P2_ARG_OBJECTS = 0,
	MMRACE_P2_ARG_WRITERS,
	MMRACE_P2_ARG_READ_ONLY,
	MMRACE_P2_ARG_DETACH_PCT,
	MMRACE_P2_ARG_PRIVATE_OBJ,
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
 * @MMRACE_P2_C_FIELD_CHANGED: a reader holding the VMA lock read the
 *	object's anon_vma twice and saw it change in between (violation)
 * @MMRACE_P2_C_FIELD_WAITS: the field writer found a reader inside the
 *	object before its vma_start_write(), the window an unlocked writer
 *	changes the field in (the witness of @MMRACE_P2_WRITER_LOCKED)
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
	MMRACE_P2_C_FIELD_CHANGED,
	MMRACE_P2_C_FIELD_WAITS,
	MMRACE_P2_NR_COUNTERS,
};

#endif /* _UAPI_LINUX_MMRACE_P2_VMALOCK_H */
