/* SPDX-License-Identifier: GPL-2.0 */
/* mmrace P3: between the model (p3_mmunotif.c) and its device half. */
#ifndef _MMRACE_P3_MMUNOTIF_H
#define _MMRACE_P3_MMUNOTIF_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <uapi/linux/mmrace/p3_mmunotif.h>

#include "mmrace.h"

/* The real subscribers (p3_mmunotif_dev.c). */
extern const struct mmrace_device mmrace_p3_mmunotif_dev;

/* The model's chain (p3_mmunotif.c; its KUnit suite reads it). */
enum p3_kind { P3_A, P3_B };

/* One subscriber of the model's chain. */
struct p3_sub {
	struct hlist_node node;
	enum p3_kind kind;
	/* Sort key of undo_sorted's chain (random, unique). */
	u64 key;
	/* A: invalidations in progress (KVM's mmu_notifier_count). */
	atomic_t count;
	/* Set before the unregister's grace period: release was told. */
	bool removed;
};

/* One run of the model. */
struct p3_state {
	struct hlist_head chain;
	spinlock_t chain_lock;		/* additions and removals */
	struct srcu_struct srcu;
	struct rw_semaphore mmap_lock;
	struct mutex b_lock;		/* B's mutex (one device, several subs) */
	unsigned int nr_subs;
	unsigned int nonblock_pct;
	bool unlocked_adds;
	bool sorted;
	/* MMRACE_P3_ARG_B_FIRST: B heads the chain, nothing is replaced. */
	bool b_first;
	/* Thread 0 did the last replacement, at the second half's start. */
	bool turned;
	/* Makes every sort key unique (its low half). */
	u32 next_key;
	/* The sort keys' PRNG: used by prepare, then by thread 0 only. */
	struct rnd_state rnd;
};

#if IS_ENABLED(CONFIG_KUNIT)
int p3_invalidate(struct mmrace_thread *t, struct p3_state *p);
int p3_prepare(struct mmrace_ctx *ctx);
u64 p3_destroy(struct mmrace_ctx *ctx);
#endif

#endif /* _MMRACE_P3_MMUNOTIF_H */
