/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace P2: the model's object and its reference-count lock, for the
 * model (p2_vmalock.c) and its KUnit suite (kunit_p2.c).
 */
#ifndef _MMRACE_P2_VMALOCK_H
#define _MMRACE_P2_VMALOCK_H

#include <linux/atomic.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <uapi/linux/mmrace/p2_vmalock.h>

#include "mmrace.h"

/* The writer bit of &p2_obj.refcnt (VMA_LOCK_OFFSET). */
#define P2_LOCK_OFFSET		0x40000000
/* Merged: readers may reach OFFSET - 1. v6: OFFSET - 2. */
#define P2_REF_LIMIT		(P2_LOCK_OFFSET - 1)
#define P2_REF_LIMIT_V6		(P2_LOCK_OFFSET - 2)

/* One model VMA: the lock, its shadow state, the field writer_* change. */
struct p2_obj {
	atomic_t refcnt;		/* refcnt variants */
	unsigned int lock_seq;		/* == mm_lock_seq: write-locked */
	bool detached;			/* rwsem variant */
	struct rw_semaphore sem;	/* rwsem variant */
	unsigned long key;		/* the slot it is attached at */
	u64 gen;			/* life number, new at every allocation */
	atomic_t sh_state;		/* enum p2_shadow */
	atomic_t sh_readers;		/* readers inside (shadow) */
	u64 anon_vma;			/* the field writer_* change */
	struct kmem_cache *cache;
	struct rcu_head rcu;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct lockdep_map dep_map;
#endif
};

#if IS_ENABLED(CONFIG_KUNIT)
bool p2_writer_only(int cnt);
bool p2_inc_not_zero_limited(struct p2_obj *obj, int limit, int *old);
#endif

#endif /* _MMRACE_P2_VMALOCK_H */
