// SPDX-License-Identifier: GPL-2.0
/*
 * P2: the per-VMA lock as a reference count.
 *
 * Seed: "[PATCH v6 10/16] mm: replace vm_lock and detached flag with a
 * reference count" (LKML, December 2024). The vma's rw_semaphore and its
 * detached flag become one counter: 0 detached, 1 attached, +1 per reader,
 * plus a large offset while a writer excludes readers. Readers find the
 * object through an RCU lookup, increment only when not zero and below a
 * limit that leaves room for the writer, then check the mm's lock sequence.
 *
 * Peter Zijlstra's race against v6: a reader increments (2) just before the
 * writer detaches with a dec_and_test that assumes 1->0; it is 2->1, the
 * writer believes the object detached and frees it, and the reader's put
 * takes it 1->0, skipping the lockdep release. Once objects come from a
 * SLAB_TYPESAFE_BY_RCU cache, that put can land on the object's next life.
 * The merged version (6.15) makes the detacher wait for transient readers,
 * releases lockdep on every put, and has readers revalidate what they found.
 *
 * This file models the object (6.1 and 6.12 have no vm_refcnt): an xarray
 * is the vma tree, a mutex with a sequence number is mmap_lock and
 * mm_lock_seq, an rcuwait is mm->vma_writer_wait. The broken variant's race
 * is caught by shadow state: acquire/release counts, the writer's own view
 * of the object's state, generation numbers. Its real lockdep annotations
 * stay balanced, and objects are only ever freed by their writer, so the
 * model's counts may go wrong but the kernel's memory never does.
 *
 * The writer_* variants model another race on the same lock: a writer
 * holding only mmap_write_lock() changes a field faults read under the
 * VMA lock (vma->anon_vma: fork before fb49c455323f, dup_anon_vma()
 * before d8ab9f7b644a). The field is a token in the object, the fix is
 * vma_start_write() first, and a reader that reads it twice sees it
 * change only without that fix.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/rcuwait.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include "p2_vmalock.h"

#define P2_DEFAULT_OBJECTS	4
#define P2_MAX_OBJECTS		4096
#define P2_DEFAULT_DETACH_PCT	50
/* A writer waiting longer than this for readers counts a violation. */
#define P2_WAIT_TIMEOUT_MS	1000
/* A waiting writer looks at the count and the run at least this often. */
#define P2_WAIT_TICK_MS		10

/* The writer's view of an object (shadow state). */
enum p2_shadow { P2_SH_FREE, P2_SH_ATTACHED, P2_SH_WLOCKED };

struct p2_state {
	struct kmem_cache *cache;
	struct xarray xa;
	struct mutex mmap_lock;		/* the model's mmap_write_lock */
	unsigned int mm_lock_seq;
	struct rcuwait writer_wait;
	unsigned int nr_objs;
	unsigned int nr_writers;
	unsigned int detach_pct;
	unsigned int private_obj;	/* 1: the field writer's own object */
	atomic64_t gen;
	atomic_t live_readers;		/* reader threads not yet done */
};

#ifdef CONFIG_DEBUG_LOCK_ALLOC
static struct lock_class_key p2_lock_key;
#endif

static inline struct lockdep_map *p2_dep_map(struct p2_obj *obj)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	return &obj->dep_map;
#else
	return NULL;
#endif
}

/* 6.12's rw_semaphore, with or without its detached check. */
static bool p2_rwsem(const struct mmrace_ctx *ctx)
{
	return ctx->variant == MMRACE_P2_RWSEM ||
	       ctx->variant == MMRACE_P2_RWSEM_NOCHECK;
}

static bool p2_refcnt(const struct mmrace_ctx *ctx)
{
	return !p2_rwsem(ctx);
}

/**
 * p2_writer_only() - whether a reference count holds the writer alone
 * @cnt: &p2_obj.refcnt's value
 *
 * Return: true for the writer bit with the attach reference or without
 * it (detached under the writer), false while a reader holds one.
 */
VISIBLE_IF_KUNIT bool p2_writer_only(int cnt)
{
	return (cnt & P2_LOCK_OFFSET) && cnt <= P2_LOCK_OFFSET + 1;
}
EXPORT_SYMBOL_IF_KUNIT(p2_writer_only);

static void p2_obj_ctor(void *p)
{
	struct p2_obj *obj = p;

	atomic_set(&obj->refcnt, 0);
	atomic_set(&obj->sh_state, P2_SH_FREE);
	atomic_set(&obj->sh_readers, 0);
	/* Once per slab object: only the writer_* variants change it. */
	obj->anon_vma = 0;
	init_rwsem(&obj->sem);
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_init_map(&obj->dep_map, "mmrace_vma_lock", &p2_lock_key, 0);
#endif
}

/* ---- readers --------------------------------------------------------- */

/*
 * One read acquisition in flight: the object, its life number once the
 * reference is held, and the shadow lockdep balance.
 */
struct p2_read {
	struct p2_obj *obj;
	u64 gen;
	int shadow_held;
};

static void p2_shadow_acquire(struct p2_read *r)
{
	r->shadow_held++;
}

static void p2_shadow_release(struct p2_read *r)
{
	r->shadow_held--;
}

/*
 * Whether a reader's put lands on another life of its object: freed (the
 * detacher did not wait for the reader) or freed and reused since the
 * reader took its reference. Read before the decrement, while the
 * reference still holds a correct detacher off.
 */
static bool p2_put_stale(const struct p2_obj *obj, const struct p2_read *r)
{
	return READ_ONCE(obj->gen) != r->gen ||
	       atomic_read(&obj->sh_state) == P2_SH_FREE;
}

/* Merged put: lockdep release first, then the reference, then the wake. */
static void p2_put_fixed(struct mmrace_thread *t, struct p2_read *r)
{
	struct p2_state *st = t->ctx->priv;
	struct p2_obj *obj = r->obj;
	int cnt;

	rwsem_release(p2_dep_map(obj), _RET_IP_);
	p2_shadow_release(r);
	if (p2_put_stale(obj, r))
		mmrace_violation(t, MMRACE_P2_C_STALE_PUT, 1);
	cnt = atomic_dec_return(&obj->refcnt);
	/* Legal here: the detacher found our reference gone, or waits. */
	if (!cnt)
		t->cnt[MMRACE_P2_C_READER_LAST_PUT]++;
	else if (p2_writer_only(cnt))
		rcuwait_wake_up(&st->writer_wait);
}

/*
 * v6's put: the (shadow) lockdep release only when the count stays above
 * zero. The real lockdep annotations of this variant are never made, so
 * the missed release shows up in the shadow balance alone.
 */
static void p2_put_v6(struct mmrace_thread *t, struct p2_read *r)
{
	struct p2_state *st = t->ctx->priv;
	struct p2_obj *obj = r->obj;
	int cnt;

	if (p2_put_stale(obj, r))
		mmrace_violation(t, MMRACE_P2_C_STALE_PUT, 1);
	cnt = atomic_dec_return(&obj->refcnt);
	if (cnt) {
		p2_shadow_release(r);
		if (cnt & P2_LOCK_OFFSET)
			rcuwait_wake_up(&st->writer_wait);
	} else {
		/* PeterZ's case: the release is skipped (shadow imbalance). */
		t->cnt[MMRACE_P2_C_READER_LAST_PUT]++;
	}
}

static void p2_unlock_rwsem(struct mmrace_thread *t, struct p2_read *r)
{
	up_read(&r->obj->sem);
	p2_shadow_release(r);
}

/**
 * p2_inc_not_zero_limited() - a reader's reference, unless detached or full
 * @obj: the object
 * @limit: the highest count a reader may make (P2_REF_LIMIT, or v6's
 *	P2_REF_LIMIT_V6): above it the writer bit is set or would be
 * @old: out: the count seen
 *
 * Return: true when the count was raised (acquire), false when it was
 * zero or the increment would pass @limit.
 */
VISIBLE_IF_KUNIT bool p2_inc_not_zero_limited(struct p2_obj *obj, int limit,
					      int *old)
{
	int cnt = atomic_read(&obj->refcnt);

	do {
		*old = cnt;
		if (!cnt || cnt + 1 > limit)
			return false;
	} while (!atomic_try_cmpxchg_acquire(&obj->refcnt, &cnt, cnt + 1));
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(p2_inc_not_zero_limited);

static bool p2_locked_now(struct p2_state *st, struct p2_obj *obj)
{
	/* Pairs with the release in p2_end_write_all(). */
	return READ_ONCE(obj->lock_seq) == smp_load_acquire(&st->mm_lock_seq);
}

/*
 * Each variant's read-trylock after the early check, 0 or the counter
 * saying why it failed, and its unlock: in p2_ops[] by variant.
 */

/* 6.12: the object's rw_semaphore, then the detached flag. */
static int p2_trylock_rwsem(struct mmrace_thread *t, struct p2_read *r)
{
	struct p2_state *st = t->ctx->priv;
	struct p2_obj *obj = r->obj;

	if (!down_read_trylock(&obj->sem))
		return MMRACE_P2_C_READ_LOCKED;
	r->gen = READ_ONCE(obj->gen);
	p2_shadow_acquire(r);
	if (p2_locked_now(st, obj)) {
		p2_unlock_rwsem(t, r);
		t->cnt[MMRACE_P2_C_READ_LOCKED_LATE]++;
		return MMRACE_P2_C_READ_LOCKED;
	}
	/* rwsem_nocheck leaves this out: the reader uses a detached object. */
	if (t->ctx->variant == MMRACE_P2_RWSEM && READ_ONCE(obj->detached)) {
		p2_unlock_rwsem(t, r);
		return MMRACE_P2_C_READ_DETACHED;
	}
	return 0;
}

/* v6: the reference count, the lockdep acquire in the shadow before it. */
static int p2_trylock_v6(struct mmrace_thread *t, struct p2_read *r)
{
	struct p2_state *st = t->ctx->priv;
	struct p2_obj *obj = r->obj;
	int old;

	p2_shadow_acquire(r);
	if (!p2_inc_not_zero_limited(obj, P2_REF_LIMIT_V6, &old)) {
		p2_shadow_release(r);
		return old ? MMRACE_P2_C_READ_LOCKED :
			     MMRACE_P2_C_READ_DETACHED;
	}
	r->gen = READ_ONCE(obj->gen);
	mmrace_window(t);
	if ((old & P2_LOCK_OFFSET) || p2_locked_now(st, obj)) {
		p2_put_v6(t, r);
		t->cnt[MMRACE_P2_C_READ_LOCKED_LATE]++;
		return MMRACE_P2_C_READ_LOCKED;
	}
	return 0;
}

/* 6.15: the reference count, lockdep acquired once the count is ours. */
static int p2_trylock_fixed(struct mmrace_thread *t, struct p2_read *r)
{
	struct p2_state *st = t->ctx->priv;
	struct p2_obj *obj = r->obj;
	int old;

	if (!p2_inc_not_zero_limited(obj, P2_REF_LIMIT, &old))
		return old ? MMRACE_P2_C_READ_LOCKED :
			     MMRACE_P2_C_READ_DETACHED;
	rwsem_acquire_read(p2_dep_map(obj), 0, 1, _RET_IP_);
	p2_shadow_acquire(r);
	r->gen = READ_ONCE(obj->gen);
	mmrace_window(t);
	if (p2_locked_now(st, obj)) {
		p2_put_fixed(t, r);
		t->cnt[MMRACE_P2_C_READ_LOCKED_LATE]++;
		return MMRACE_P2_C_READ_LOCKED;
	}
	return 0;
}

/**
 * struct p2_ops - one variant's protocol, in p2_ops[] by variant
 * @trylock: take the read lock on @r->obj: 0, or the counter
 *	(MMRACE_P2_C_READ_*) saying why not
 * @unlock: drop what @trylock took
 * @detach: mark @obj detached, write-locked and erased by the writer,
 *	before it is freed
 * @write_field: NULL, or change @obj's anon_vma under the model's
 *	mmap_write_lock, the writer's whole cycle (writer_* variants: no
 *	detach); the reader then reads the field twice
 */
struct p2_ops {
	int (*trylock)(struct mmrace_thread *t, struct p2_read *r);
	void (*unlock)(struct mmrace_thread *t, struct p2_read *r);
	void (*detach)(struct mmrace_thread *t, struct p2_obj *obj);
	void (*write_field)(struct mmrace_thread *t, struct p2_obj *obj);
};

/* Defined below the writers' functions it names. */
static const struct p2_ops p2_ops[MMRACE_P2_NR_VARIANTS];

static void p2_read_unlock(struct mmrace_thread *t, struct p2_read *r)
{
	p2_ops[t->ctx->variant].unlock(t, r);
}

/* Returns 0, or the counter saying why the read-trylock failed. */
static int p2_read_trylock(struct mmrace_thread *t, struct p2_read *r)
{
	struct p2_state *st = t->ctx->priv;
	struct p2_obj *obj = r->obj;

	/* Cheap early check, racy by design (a false "locked" is allowed). */
	if (READ_ONCE(obj->lock_seq) == READ_ONCE(st->mm_lock_seq))
		return MMRACE_P2_C_READ_LOCKED;
	/*
	 * Between the early check and the increment the writer may lock,
	 * detach, free and reuse the object: a random share of the window
	 * spreads readers over all of it.
	 */
	mmrace_window_random(t);
	return p2_ops[t->ctx->variant].trylock(t, r);
}

static int p2_reader_op(struct mmrace_thread *t)
{
	struct p2_state *st = t->ctx->priv;
	unsigned long slot = prandom_u32_state(&t->rnd) % st->nr_objs;
	bool field = p2_ops[t->ctx->variant].write_field;
	struct p2_read r = { };
	u64 anon = 0;
	int why;

	rcu_read_lock();
	r.obj = xa_load(&st->xa, slot);
	if (!r.obj) {
		t->cnt[MMRACE_P2_C_LOOKUP_EMPTY]++;
		goto out;
	}
	why = p2_read_trylock(t, &r);
	if (why) {
		t->cnt[why]++;
		goto out;
	}
	/* Type-safe reuse: the object may now live at another key. */
	if (READ_ONCE(r.obj->key) != slot) {
		t->cnt[MMRACE_P2_C_READ_REUSED]++;
		p2_read_unlock(t, &r);
		goto out;
	}
	t->cnt[MMRACE_P2_C_READS]++;

	/* The critical section: the writer must be out, the object ours. */
	atomic_inc(&r.obj->sh_readers);
	/* Store-buffering pair with p2_write_lock(): one sees the other. */
	smp_mb__after_atomic();
	if (atomic_read(&r.obj->sh_state) != P2_SH_ATTACHED ||
	    READ_ONCE(r.obj->key) != slot)
		mmrace_violation(t, MMRACE_P2_C_OVERLAP, 1);
	/*
	 * writer_*: check, then use (a fault's anon_vma_prepare(), or fork's
	 * copy deciding on it): the VMA lock must keep the field still
	 * between the two reads. Marked reads: the unlocked writer's store
	 * races with them by design.
	 */
	if (field)
		anon = READ_ONCE(r.obj->anon_vma);
	mmrace_window(t);
	if (field && READ_ONCE(r.obj->anon_vma) != anon)
		mmrace_violation(t, MMRACE_P2_C_FIELD_CHANGED, 1);
	atomic_dec(&r.obj->sh_readers);
	p2_read_unlock(t, &r);
out:
	rcu_read_unlock();
	if (r.shadow_held)
		mmrace_violation(t, MMRACE_P2_C_LOCKDEP_IMBALANCE, 1);
	return 0;
}

/* ---- writers --------------------------------------------------------- */

/*
 * Whether a writer's wait is over for the run: it stopped and no reader
 * thread is left. No put can come any more, so a count that is not the
 * target yet never will be (refcnt_broken's stale puts corrupt counts);
 * while readers are still running, a fixed variant's count still gets
 * there (they finish their operation and drop their references).
 */
static bool p2_wait_abandoned(struct mmrace_ctx *ctx)
{
	struct p2_state *st = ctx->priv;

	return mmrace_should_stop(ctx) && !atomic_read(&st->live_readers);
}

/*
 * Sleep until the object's count is @target, like rcuwait_wait_event(). A
 * kernel thread takes no signal: the sleep is interruptible, so that a
 * writer left waiting on a corrupted count is not in D state. It wakes up
 * on the put that brings the count to the writer, on the last reader
 * thread's exit, or every P2_WAIT_TICK_MS, to give up after
 * P2_WAIT_TIMEOUT_MS (a violation) or once the run is over: a stop, a fatal
 * signal or an unload then waits a tick for it, not the rest of a second
 * for every writer queued on the mmap mutex.
 */
static void p2_wait_readers(struct mmrace_thread *t, struct p2_obj *obj,
			    int target)
{
	struct p2_state *st = t->ctx->priv;
	ktime_t start = ktime_get();
	u64 waited;

	if (atomic_read(&obj->refcnt) == target)
		return;
	prepare_to_rcuwait(&st->writer_wait);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (atomic_read(&obj->refcnt) == target)
			break;
		if (ktime_ms_delta(ktime_get(), start) > P2_WAIT_TIMEOUT_MS) {
			mmrace_violation(t, MMRACE_P2_C_WRITER_TIMEOUT, 1);
			break;
		}
		if (p2_wait_abandoned(t->ctx))
			break;
		schedule_timeout(msecs_to_jiffies(P2_WAIT_TICK_MS));
	}
	finish_rcuwait(&st->writer_wait);
	waited = ktime_to_ns(ktime_sub(ktime_get(), start));
	t->cnt[MMRACE_P2_C_WRITER_WAITS]++;
	t->cnt[MMRACE_P2_C_MAX_WAIT_NS] = max(t->cnt[MMRACE_P2_C_MAX_WAIT_NS],
					      waited);
}

/* Exclude readers; false if the object is detached (count zero). */
static bool p2_enter_locked(struct mmrace_thread *t, struct p2_obj *obj,
			    bool detaching)
{
	if (!atomic_add_unless(&obj->refcnt, P2_LOCK_OFFSET, 0))
		return false;
	rwsem_acquire(p2_dep_map(obj), 0, 0, _RET_IP_);
	p2_wait_readers(t, obj, P2_LOCK_OFFSET + (detaching ? 0 : 1));
	return true;
}

/* Let readers back in; true if that left the object detached. */
static bool p2_exit_locked(struct p2_obj *obj)
{
	bool detached = atomic_sub_and_test(P2_LOCK_OFFSET, &obj->refcnt);

	rwsem_release(p2_dep_map(obj), _RET_IP_);
	return detached;
}

static void p2_write_lock(struct mmrace_thread *t, struct p2_obj *obj)
{
	struct p2_state *st = t->ctx->priv;

	if (obj->lock_seq == st->mm_lock_seq)
		return;
	if (p2_rwsem(t->ctx)) {
		down_write(&obj->sem);
		WRITE_ONCE(obj->lock_seq, st->mm_lock_seq);
		up_write(&obj->sem);
	} else {
		bool locked = p2_enter_locked(t, obj, false);

		WRITE_ONCE(obj->lock_seq, st->mm_lock_seq);
		if (locked && p2_exit_locked(obj))
			mmrace_violation(t, MMRACE_P2_C_OVERLAP, 1);
	}
	/* Exclusive now: no reader may be inside (shadow check). */
	atomic_set(&obj->sh_state, P2_SH_WLOCKED);
	/* Pairs with the reader's barrier after raising sh_readers. */
	smp_mb();
	if (atomic_read(&obj->sh_readers))
		mmrace_violation(t, MMRACE_P2_C_OVERLAP, 1);
}

/* 6.12: the flag; the writer holds the rw_semaphore's write side. */
static void p2_detach_rwsem(struct mmrace_thread *t, struct p2_obj *obj)
{
	WRITE_ONCE(obj->detached, true);
}

/* v6: "reader must have temporarily raised vm_refcnt". */
static void p2_detach_v6(struct mmrace_thread *t, struct p2_obj *obj)
{
	if (!atomic_dec_and_test(&obj->refcnt))
		t->cnt[MMRACE_P2_C_DETACH_RACED]++;
}

/* 6.15: a transient reader's reference is waited for. */
static void p2_detach_fixed(struct mmrace_thread *t, struct p2_obj *obj)
{
	if (atomic_dec_and_test(&obj->refcnt))
		return;
	t->cnt[MMRACE_P2_C_DETACH_RACED]++;
	/* Wait for the transient readers to drop their references. */
	if (p2_enter_locked(t, obj, true) && !p2_exit_locked(obj))
		mmrace_violation(t, MMRACE_P2_C_OVERLAP, 1);
}

static void p2_free_rcu(struct rcu_head *head)
{
	struct p2_obj *obj = container_of(head, struct p2_obj, rcu);

	kmem_cache_free(obj->cache, obj);
}

static void p2_free(struct mmrace_ctx *ctx, struct p2_obj *obj)
{
	atomic_set(&obj->sh_state, P2_SH_FREE);
	/* 6.12 frees vmas after a grace period; 6.15 reuses them at once. */
	if (p2_refcnt(ctx))
		kmem_cache_free(obj->cache, obj);
	else
		call_rcu(&obj->rcu, p2_free_rcu);
}

/* A new object at @slot, write-locked by the caller's mmap_lock epoch. */
static struct p2_obj *p2_alloc(struct mmrace_ctx *ctx, unsigned long slot)
{
	struct p2_state *st = ctx->priv;
	struct p2_obj *obj;

	obj = kmem_cache_alloc(st->cache, GFP_KERNEL);
	if (!obj)
		return NULL;
	obj->cache = st->cache;
	WRITE_ONCE(obj->key, slot);
	WRITE_ONCE(obj->gen, atomic64_inc_return(&st->gen));
	WRITE_ONCE(obj->lock_seq, st->mm_lock_seq);
	WRITE_ONCE(obj->detached, false);
	atomic_set(&obj->sh_state, P2_SH_WLOCKED);
	/* Attach: fields above are published before the count. */
	if (p2_refcnt(ctx))
		atomic_set_release(&obj->refcnt, 1);
	return obj;
}

static void p2_start_write_all(struct p2_state *st)
{
	mutex_lock(&st->mmap_lock);
	WRITE_ONCE(st->mm_lock_seq, st->mm_lock_seq + 1);
}

/* vma_end_write_all(): one increment unlocks every write-locked object. */
static void p2_end_write_all(struct p2_state *st)
{
	/* Pairs with the acquire in p2_locked_now(). */
	smp_store_release(&st->mm_lock_seq, st->mm_lock_seq + 1);
	mutex_unlock(&st->mmap_lock);
}

/*
 * dup_anon_vma()'s "dst->anon_vma = src->anon_vma", or a fault's
 * anon_vma_prepare() racing fork: a new anon_vma each cycle, at a random
 * point of the window.
 */
static void p2_field_store(struct mmrace_thread *t, struct p2_obj *obj)
{
	mmrace_window_random(t);
	WRITE_ONCE(obj->anon_vma, obj->anon_vma + 1);
}

/* 6.4: mmap_write_lock() alone; readers under the VMA lock read on. */
static void p2_field_write_unlocked(struct mmrace_thread *t,
				    struct p2_obj *obj)
{
	p2_field_store(t, obj);
}

/*
 * fb49c455323f, d8ab9f7b644a: vma_start_write() first, which waits for a
 * reader inside (the witness: that reader is the window) and keeps later
 * ones out until vma_end_write_all().
 */
static void p2_field_write_locked(struct mmrace_thread *t, struct p2_obj *obj)
{
	if (atomic_read(&obj->sh_readers))
		t->cnt[MMRACE_P2_C_FIELD_WAITS]++;
	p2_write_lock(t, obj);
	p2_field_store(t, obj);
}

/*
 * The writer_* variants' cycle: under the model's mmap_write_lock, change
 * one object's field, a random reader's object or (PRIVATE_OBJ) the
 * writer's own one, past the readers' keys. No detach.
 */
static int p2_field_writer_op(struct mmrace_thread *t)
{
	struct p2_state *st = t->ctx->priv;
	unsigned long slot;
	struct p2_obj *obj;

	slot = st->private_obj ? st->nr_objs :
	       prandom_u32_state(&t->rnd) % st->nr_objs;
	p2_start_write_all(st);
	/* Never empty: p2_prepare() filled every slot, nothing detaches. */
	obj = xa_load(&st->xa, slot);
	p2_ops[t->ctx->variant].write_field(t, obj);
	/* p2_write_lock() left it write-locked (shadow). */
	atomic_set(&obj->sh_state, P2_SH_ATTACHED);
	p2_end_write_all(st);
	t->cnt[MMRACE_P2_C_WRITES]++;
	return 0;
}

static int p2_writer_op(struct mmrace_thread *t)
{
	struct mmrace_ctx *ctx = t->ctx;
	struct p2_state *st = ctx->priv;
	unsigned long slot[2];
	struct p2_obj *obj;
	bool detach;
	int i, n, ret = 0;

	if (p2_ops[ctx->variant].write_field)
		return p2_field_writer_op(t);
	slot[0] = prandom_u32_state(&t->rnd) % st->nr_objs;
	slot[1] = (slot[0] + 1 + prandom_u32_state(&t->rnd) %
		   max(st->nr_objs - 1, 1U)) % st->nr_objs;
	n = slot[0] == slot[1] ? 1 : 2;
	detach = prandom_u32_state(&t->rnd) % 100 < st->detach_pct;

	p2_start_write_all(st);
	for (i = 0; i < n; i++) {
		obj = xa_load(&st->xa, slot[i]);
		/*
		 * Empty after another writer's refill failed (its -ENOMEM
		 * stops the run; this writer may not have seen it yet).
		 */
		if (!obj)
			continue;
		p2_write_lock(t, obj);
		if (!detach)
			continue;
		xa_erase(&st->xa, slot[i]);
		mmrace_window(t);
		p2_ops[ctx->variant].detach(t, obj);
		p2_free(ctx, obj);
		t->cnt[MMRACE_P2_C_DETACHES]++;
	}
	/*
	 * Refill in order: the cache hands back the last object freed first,
	 * so slot 0 usually gets slot 1's old object (reuse at another key).
	 */
	for (i = 0; detach && i < n; i++) {
		obj = p2_alloc(ctx, slot[i]);
		if (!obj || xa_err(xa_store(&st->xa, slot[i], obj,
					    GFP_KERNEL))) {
			if (obj)
				p2_free(ctx, obj);
			ret = -ENOMEM;
		}
	}
	for (i = 0; i < n; i++) {
		obj = xa_load(&st->xa, slot[i]);
		if (obj)
			atomic_set(&obj->sh_state, P2_SH_ATTACHED);
	}
	p2_end_write_all(st);
	t->cnt[MMRACE_P2_C_WRITES]++;
	return ret;
}

static const struct p2_ops p2_ops[MMRACE_P2_NR_VARIANTS] = {
	[MMRACE_P2_RWSEM] = {
		p2_trylock_rwsem, p2_unlock_rwsem, p2_detach_rwsem },
	[MMRACE_P2_REFCNT_BROKEN] = {
		p2_trylock_v6, p2_put_v6, p2_detach_v6 },
	[MMRACE_P2_REFCNT_FIXED] = {
		p2_trylock_fixed, p2_put_fixed, p2_detach_fixed },
	[MMRACE_P2_RWSEM_NOCHECK] = {
		p2_trylock_rwsem, p2_unlock_rwsem, p2_detach_rwsem },
	/* 6.15's lock (its detach, never called: these writers detach none). */
	[MMRACE_P2_WRITER_LOCKED] = {
		p2_trylock_fixed, p2_put_fixed, p2_detach_fixed,
		p2_field_write_locked },
	[MMRACE_P2_WRITER_UNLOCKED] = {
		p2_trylock_fixed, p2_put_fixed, p2_detach_fixed,
		p2_field_write_unlocked },
};

static int p2_op(struct mmrace_thread *t)
{
	struct p2_state *st = t->ctx->priv;

	if (t->idx < st->nr_writers)
		return p2_writer_op(t);
	return p2_reader_op(t);
}

/* A reader thread is done: the last one wakes a waiting writer. */
static void p2_thread_done(struct mmrace_thread *t)
{
	struct p2_state *st = t->ctx->priv;

	if (t->idx >= st->nr_writers &&
	    atomic_dec_and_test(&st->live_readers))
		rcuwait_wake_up(&st->writer_wait);
}

/* ---- set-up ---------------------------------------------------------- */

static void p2_destroy(struct mmrace_ctx *ctx)
{
	struct p2_state *st = ctx->priv;
	struct p2_obj *obj;
	unsigned long i;

	xa_for_each(&st->xa, i, obj) {
		xa_erase(&st->xa, i);
		p2_free(ctx, obj);
	}
	xa_destroy(&st->xa);
	mutex_destroy(&st->mmap_lock);
	kfree(st);
	ctx->priv = NULL;
}

/*
 * The objects' caches, for the module's lifetime: the merged lock's
 * objects are reused at once (SLAB_TYPESAFE_BY_RCU, as vm_area_cachep
 * since 6.15), rwsem's are freed after a grace period (call_rcu(), as in
 * 6.12). Created at load, not per run: a cache's creation failing (an
 * allocation failure injected into a caller, say) makes the kernel print a
 * stack trace.
 */
static struct kmem_cache *p2_cache_typesafe, *p2_cache_rcu;

static int p2_init(void)
{
	p2_cache_typesafe = kmem_cache_create("mmrace_p2_obj",
					      sizeof(struct p2_obj), 0,
					      SLAB_TYPESAFE_BY_RCU,
					      p2_obj_ctor);
	p2_cache_rcu = kmem_cache_create("mmrace_p2_obj_rcu",
					 sizeof(struct p2_obj), 0, 0,
					 p2_obj_ctor);
	if (p2_cache_typesafe && p2_cache_rcu)
		return 0;
	kmem_cache_destroy(p2_cache_typesafe);
	kmem_cache_destroy(p2_cache_rcu);
	return -ENOMEM;
}

static void p2_exit(void)
{
	/* Frees queued by call_rcu() must run before the caches go. */
	rcu_barrier();
	kmem_cache_destroy(p2_cache_typesafe);
	kmem_cache_destroy(p2_cache_rcu);
}

static int p2_prepare(struct mmrace_ctx *ctx)
{
	const u64 *arg = ctx->params->arg;
	struct p2_state *st;
	struct p2_obj *obj;
	unsigned long i;
	int ret;

	if (arg[MMRACE_P2_ARG_OBJECTS] > P2_MAX_OBJECTS ||
	    arg[MMRACE_P2_ARG_READ_ONLY] > 1 ||
	    arg[MMRACE_P2_ARG_DETACH_PCT] > 100 ||
	    arg[MMRACE_P2_ARG_PRIVATE_OBJ] > 1 ||
	    (arg[MMRACE_P2_ARG_PRIVATE_OBJ] &&
	     !p2_ops[ctx->variant].write_field) ||
	    arg[MMRACE_P2_ARG_WRITERS] >= ctx->nr_threads ||
	    (arg[MMRACE_P2_ARG_READ_ONLY] && arg[MMRACE_P2_ARG_WRITERS]))
		return -EINVAL;
	if (!arg[MMRACE_P2_ARG_READ_ONLY] && ctx->nr_threads < 2)
		return -EINVAL;

	st = kzalloc_obj(*st, GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->nr_objs = arg[MMRACE_P2_ARG_OBJECTS] ?: P2_DEFAULT_OBJECTS;
	st->nr_writers = arg[MMRACE_P2_ARG_READ_ONLY] ? 0 :
			 arg[MMRACE_P2_ARG_WRITERS] ?: 1;
	st->detach_pct = arg[MMRACE_P2_ARG_DETACH_PCT] ?:
			 P2_DEFAULT_DETACH_PCT;
	st->private_obj = arg[MMRACE_P2_ARG_PRIVATE_OBJ];
	atomic_set(&st->live_readers, ctx->nr_threads - st->nr_writers);
	xa_init(&st->xa);
	mutex_init(&st->mmap_lock);
	rcuwait_init(&st->writer_wait);
	st->cache = p2_refcnt(ctx) ? p2_cache_typesafe : p2_cache_rcu;
	ctx->priv = st;

	p2_start_write_all(st);
	/* Readers look up keys below nr_objs: the private object is past. */
	for (i = 0; i < st->nr_objs + st->private_obj; i++) {
		obj = p2_alloc(ctx, i);
		ret = obj ? xa_err(xa_store(&st->xa, i, obj, GFP_KERNEL)) :
			    -ENOMEM;
		if (ret) {
			if (obj)
				p2_free(ctx, obj);
			p2_end_write_all(st);
			p2_destroy(ctx);
			return ret;
		}
		atomic_set(&obj->sh_state, P2_SH_ATTACHED);
	}
	p2_end_write_all(st);
	return 0;
}

static void p2_finish(struct mmrace_ctx *ctx, u64 *cnt)
{
	if (!ctx->priv)
		return;
	p2_destroy(ctx);
	if (p2_refcnt(ctx))
		cnt[MMRACE_P2_C_LOCK_BYTES] = sizeof(atomic_t) +
					      sizeof(unsigned int);
	else
		cnt[MMRACE_P2_C_LOCK_BYTES] = sizeof(struct rw_semaphore) +
					      sizeof(unsigned int) +
					      sizeof(bool);
}

static const struct mmrace_variant p2_variants[] = {
	[MMRACE_P2_RWSEM] = {
		"rwsem", "per-object rw_semaphore + detached flag (6.12)", 0 },
	[MMRACE_P2_REFCNT_BROKEN] = {
		"refcnt_broken",
		"v6: detach assumes 1->0, lockdep release tied to the put",
		MMRACE_DF_BROKEN },
	[MMRACE_P2_REFCNT_FIXED] = {
		"refcnt_fixed",
		"6.15: detach waits for readers, lockdep out of the put", 0 },
	[MMRACE_P2_RWSEM_NOCHECK] = {
		"rwsem_nocheck",
		"rwsem without the detached check: reads a detached object",
		MMRACE_DF_BROKEN },
	[MMRACE_P2_WRITER_LOCKED] = {
		"writer_locked",
		"6.5: vma_start_write() before changing anon_vma", 0 },
	[MMRACE_P2_WRITER_UNLOCKED] = {
		"writer_unlocked",
		"6.4: anon_vma changed under mmap_write_lock alone",
		MMRACE_DF_BROKEN },
};

static const struct mmrace_counter_desc p2_counters[] = {
	[MMRACE_P2_C_READS] = { "reads", "successful read locks", 0 },
	[MMRACE_P2_C_READ_LOCKED] = { "read_locked",
		"read-trylock refused: write-locked", 0 },
	[MMRACE_P2_C_READ_DETACHED] = { "read_detached",
		"read-trylock refused: detached", 0 },
	[MMRACE_P2_C_READ_REUSED] = { "read_reused",
		"locked object was reused at another key", 0 },
	[MMRACE_P2_C_LOOKUP_EMPTY] = { "lookup_empty",
		"lookups that found nothing", 0 },
	[MMRACE_P2_C_WRITES] = { "writes", "write-lock cycles", 0 },
	[MMRACE_P2_C_DETACHES] = { "detaches",
		"objects detached, freed, replaced", 0 },
	[MMRACE_P2_C_WRITER_WAITS] = { "writer_waits",
		"writer slept until readers drained", 0 },
	[MMRACE_P2_C_MAX_WAIT_NS] = { "max_wait_ns",
		"longest writer wait", MMRACE_DF_MAX },
	[MMRACE_P2_C_DETACH_RACED] = { "detach_raced",
		"detach met a transient reader reference", 0 },
	[MMRACE_P2_C_OVERLAP] = { "overlap",
		"reader inside a write-locked/detached object",
		MMRACE_DF_VIOLATION },
	[MMRACE_P2_C_READER_LAST_PUT] = { "reader_last_put",
		"reader dropped the last reference", 0 },
	[MMRACE_P2_C_LOCKDEP_IMBALANCE] = { "lockdep_imbalance",
		"shadow acquire without release", MMRACE_DF_VIOLATION },
	[MMRACE_P2_C_STALE_PUT] = { "stale_put",
		"put landed on a reused object", MMRACE_DF_VIOLATION },
	[MMRACE_P2_C_WRITER_TIMEOUT] = { "writer_timeout",
		"writer waited over 1 s for readers", MMRACE_DF_VIOLATION },
	[MMRACE_P2_C_LOCK_BYTES] = { "lock_bytes",
		"bytes of lock state per object", 0 },
	[MMRACE_P2_C_READ_LOCKED_LATE] = { "read_locked_late",
		"refused after its increment: saw the write mark", 0 },
	[MMRACE_P2_C_FIELD_CHANGED] = { "field_changed",
		"reader under the VMA lock saw anon_vma change",
		MMRACE_DF_VIOLATION },
	[MMRACE_P2_C_FIELD_WAITS] = { "field_waits",
		"field writer found a reader inside", 0 },
};

const struct mmrace_pattern mmrace_p2_vmalock = {
	.id = MMRACE_P2_VMALOCK,
	.name = "p2_vmalock",
	.title = "the per-VMA lock as a reference count (detach race, reuse)",
	.variants = p2_variants,
	.nr_variants = ARRAY_SIZE(p2_variants),
	.counters = p2_counters,
	.nr_counters = ARRAY_SIZE(p2_counters),
	.min_threads = 1,
	.nr_args = MMRACE_P2_ARG_PRIVATE_OBJ + 1,
	.init = p2_init,
	.exit = p2_exit,
	.prepare = p2_prepare,
	.op = p2_op,
	/* A writer waits up to a second for readers (p2_wait_readers()). */
	.sleeps = true,
	.thread_done = p2_thread_done,
	.finish = p2_finish,
};
