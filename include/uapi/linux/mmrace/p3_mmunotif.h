/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmrace catalogue, P3: a failing non-blocking mmu-notifier start and its undo.
 * Its variants (&mmrace_run.variant), arguments (indices into
 * &mmrace_run.arg) and counters (indices into &mmrace_run.counters), and
 * the structs and ioctls of its device half.
 * Included by this pattern's files only; the contract every pattern
 * shares is <linux/mmrace.h>.
 */
#ifndef _UAPI_LINUX_MMRACE_P3_MMUNOTIF_H
#define _UAPI_LINUX_MMRACE_P3_MMUNOTIF_H

#include <linux/mmrace.h>

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

#define MMRACE_IOC_NOTIF_REGISTER _IOWR(MMRACE_IOC_MAGIC, 0x0a, struct mmrace_notif_register)
#define MMRACE_IOC_NOTIF_CTL	_IOWR(MMRACE_IOC_MAGIC, 0x0b, struct mmrace_notif_ctl)
#define MMRACE_IOC_NOTIF_UNREGISTER _IOWR(MMRACE_IOC_MAGIC, 0x0c, struct mmrace_notif_register)

#endif /* _UAPI_LINUX_MMRACE_P3_MMUNOTIF_H */
