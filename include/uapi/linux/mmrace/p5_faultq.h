/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmrace catalogue, P5: a device fault queue on a dying mm.
 * Its variants (&mmrace_run.variant), arguments (indices into
 * &mmrace_run.arg) and counters (indices into &mmrace_run.counters), and
 * the structs and ioctls of its device half.
 * Included by this pattern's files only; the contract every pattern
 * shares is <linux/mmrace.h>.
 */
#ifndef _UAPI_LINUX_MMRACE_P5_FAULTQ_H
#define _UAPI_LINUX_MMRACE_P5_FAULTQ_H

#include <linux/mmrace.h>

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
 * @MMRACE_P5_LAST_PUT_IN_WORKER: each queued fault holds an mm_users
 *	reference from the queue on (the gift: KVM's async #PF before 6.9),
 *	dropped by mmput() inside the work item the mm's release flushes
 *	(broken: when that put is the last, exit_mmap's release waits on the
 *	work it runs in, amdkfd's fa582c6f3684 deadlock; the model and the
 *	device count it, never wait)
 * @MMRACE_P5_PUT_DEFERRED: the gift, dropped after the worker left the
 *	flushed work (amdkfd's fixes a29e067bd389 and 6225bb3a88d2; model
 *	only, the real device refuses it)
 * @MMRACE_P5_PUT_ASYNC: the gift, dropped by mmput_async() inside the
 *	work: a last put hands the teardown to another context
 * @MMRACE_P5_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p5_variant {
	MMRACE_P5_NO_CHECK = 0,
	MMRACE_P5_RACY_CHECK,
	MMRACE_P5_MMGET,
	MMRACE_P5_OWNER_CHECK,
	MMRACE_P5_HINT_ONLY,
	MMRACE_P5_LAST_PUT_IN_WORKER,
	MMRACE_P5_PUT_DEFERRED,
	MMRACE_P5_PUT_ASYNC,
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
 * @MMRACE_P5_C_SELF_WAIT: a last put ran the teardown inside the work
 *	item its release flushes, a flush of itself (violation; counted,
 *	never waited)
 * @MMRACE_P5_C_ASYNC_LAST_PUT: a worker's mmput_async() was the last put:
 *	the teardown went to another context
 * @MMRACE_P5_C_ALIVE_AFTER_KILL_NS: ns from the owner's kill to the last
 *	mm_users put, summed over lives (how long the queue kept the mm
 *	alive after its owner died)
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
	MMRACE_P5_C_SELF_WAIT,
	MMRACE_P5_C_ASYNC_LAST_PUT,
	MMRACE_P5_C_ALIVE_AFTER_KILL_NS,
	MMRACE_P5_NR_COUNTERS,
};

/* Largest number of faults one MMRACE_IOC_FAULTQ_SUBMIT may queue. */
#define MMRACE_FAULTQ_MAX_SUBMIT	65536
/* Largest number of faults a device may have pending. */
#define MMRACE_FAULTQ_MAX_PENDING	(1 << 20)

/**
 * struct mmrace_faultq_submit - queue a storm of device faults
 *	(MMRACE_IOC_FAULTQ_SUBMIT)
 * @variant: in: &enum mmrace_p5_variant; fixed by the first submit of the
 *	file (a different one later gives -EINVAL; hint_only and
 *	put_deferred give -EINVAL)
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
 * &mmrace_faultq_stats.errors). last_put_in_worker and put_async take
 * one mm_users reference per fault here, dropped by the work item after
 * the fault (or by the close, for a fault that never ran). -ESRCH when
 * the opener's mm has exited,
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
 * @self_wait: out: last_put_in_worker, put_async: 1 once the mm's release
 *	ran inside one of the device's work items (a work item's put of a
 *	fault's reference was the last: a release that flushed the work, as
 *	amdkfd's did, would wait for itself; the device never flushes there)
 * @release_in_kworker: out: last_put_in_worker, put_async: 1 once the
 *	mm's release ran in another kworker (mmput_async()'s system_wq)
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
	__u64 self_wait;
	__u64 release_in_kworker;
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

#define MMRACE_IOC_FAULTQ_SUBMIT _IOWR(MMRACE_IOC_MAGIC, 0x07, struct mmrace_faultq_submit)
#define MMRACE_IOC_FAULTQ_WAIT	_IOWR(MMRACE_IOC_MAGIC, 0x08, struct mmrace_faultq_stats)
#define MMRACE_IOC_FAULTQ_READ	_IOWR(MMRACE_IOC_MAGIC, 0x09, struct mmrace_faultq_read)

#endif /* _UAPI_LINUX_MMRACE_P5_FAULTQ_H */
