/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace P1: the run's state and the charge helpers, for the model
 * (p1_lockedvm.c) and its KUnit suite (kunit_p1.c).
 */
#ifndef _MMRACE_P1_LOCKEDVM_H
#define _MMRACE_P1_LOCKEDVM_H

#include <linux/mutex.h>
#include <uapi/linux/mmrace/p1_lockedvm.h>

#include "mmrace.h"

/**
 * struct p1_state - one run of P1
 * @model: the model counter (MMRACE_P1_TARGET_MODEL)
 * @ctr: the counter charged: @model, or the caller's mm->pinned_vm
 * @lock: the mutex variant's check and add
 * @charging: a charge holds @lock between its check and its add (the
 *	mutex variant's witness)
 * @limit: the model's limit in pages, which the flipper may change
 * @limit_a: the flipper's first limit
 * @limit_b: the flipper's second limit
 * @limit_start: the limit at the start (a counter of the result)
 * @limit_max: the highest limit a charge may have used
 * @start: @ctr's value at the start
 * @base: pages charged before the run
 * @small: a small charger's request in pages
 * @hog: a hog's request in pages
 * @need: the headroom the small chargers need in all
 * @nr_hogs: hog threads
 * @nr_small: small chargers
 * @hog_variant: the variant the hogs charge with (mixed chargers)
 * @flipper: thread 0 flips the limit
 * @target: &enum mmrace_p1_target
 * @shape: &enum mmrace_p1_shape
 * @committed: pages the shadow accounting knows are charged
 * @inflight: charges between their read and their commit or refusal
 */
struct p1_state {
	atomic64_t model;
	atomic64_t *ctr;
	struct mutex lock;	/* the mutex variant's check and add */
	/* A charge holds @lock between its check and its add (the witness). */
	int charging;
	s64 limit;
	s64 limit_a;
	s64 limit_b;
	s64 limit_start;
	atomic64_t limit_max;
	s64 start;
	s64 base;
	s64 small;
	s64 hog;
	s64 need;
	unsigned int nr_hogs;
	unsigned int nr_small;
	/* The variant the hogs charge with (mixed chargers). */
	unsigned int hog_variant;
	bool flipper;
	u64 target;
	u64 shape;
	atomic64_t committed;
	/* Charges between their read and their commit or refusal. */
	atomic_t inflight ____cacheline_aligned_in_smp;
};

#if IS_ENABLED(CONFIG_KUNIT)
int p1_charge(struct mmrace_thread *t, struct p1_state *p,
	      unsigned int variant, s64 n, s64 limit);
void p1_uncharge(struct mmrace_thread *t, struct p1_state *p,
		 unsigned int variant, s64 n);
#endif

#endif /* _MMRACE_P1_LOCKEDVM_H */
