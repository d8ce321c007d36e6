// SPDX-License-Identifier: GPL-2.0
/*
 * P1: locked_vm / pinned_vm charged without mmap_lock.
 *
 * Seed: "powerpc/mmu: drop mmap_sem now that locked_vm is atomic" (LKML,
 * April 2019). Once the counter is atomic, a charge that adds first and
 * unwinds when over the limit briefly publishes a sum above the limit; a
 * concurrent small charge that would fit reads that sum and fails: a false
 * -ENOMEM. A compare-and-exchange loop has no unwind and so no transient; a
 * racy pre-check narrows the window; a check followed by a plain add (no
 * recheck) commits above the limit.
 *
 * Shadow accounting decides, for every charge, whether it was right:
 *
 * - headroom shape: the limit covers the base plus every small thread's
 *   request, so a refused small charge is a false -ENOMEM whatever the
 *   interleaving; the hogs ask for more than the whole headroom, so a hog
 *   that succeeds committed above the limit;
 * - every shape: "committed" (raised after a charge succeeded, lowered before
 *   its uncharge, so never above the truth) plus the base above the highest
 *   limit of the run is an overshoot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mmap_lock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "p1_lockedvm.h"

/* Pages already charged to the model counter when a run starts. */
#define P1_MODEL_BASE		1024
/* Largest limit, request or base in pages (keeps every sum in range). */
#define P1_MAX_PAGES		BIT_ULL(32)
/* Pause of the limit-flipping thread between two flips. */
#define P1_FLIP_PAUSE_NS	2000

enum p1_role { P1_SMALL, P1_HOG, P1_FLIPPER };

/*
 * The limit one charge works against, read once like task_rlimit(): the
 * model's (which the flipper may change) or the caller's RLIMIT_MEMLOCK.
 */
static s64 p1_limit(struct mmrace_ctx *ctx, struct p1_state *p)
{
	unsigned long rlim;
	s64 limit;

	if (p->target == MMRACE_P1_TARGET_MODEL)
		return READ_ONCE(p->limit);
	rlim = task_rlimit(ctx->caller, RLIMIT_MEMLOCK);
	if (rlim == RLIM_INFINITY)
		limit = P1_MAX_PAGES;
	else
		limit = min_t(u64, rlim >> PAGE_SHIFT, P1_MAX_PAGES);
	/* Remember the highest limit a charge may have used. */
	while (limit > atomic64_read(&p->limit_max)) {
		s64 old = atomic64_read(&p->limit_max);

		if (atomic64_try_cmpxchg(&p->limit_max, &old, limit))
			break;
	}
	return limit;
}

static s64 p1_read(struct mmrace_ctx *ctx, struct p1_state *p)
{
	if (p->target == MMRACE_P1_TARGET_LOCKED_VM)
		return READ_ONCE(ctx->mm->locked_vm);
	return atomic64_read(p->ctr);
}

/* The kernel's own helper on the caller's mm->locked_vm. */
static int p1_account_locked_vm(struct mmrace_ctx *ctx, s64 n, bool inc)
{
	int ret;

	mmap_write_lock(ctx->mm);
	ret = __account_locked_vm(ctx->mm, n, inc, ctx->caller,
				  ctx->caller_ipc_lock);
	mmap_write_unlock(ctx->mm);
	return ret;
}

static void p1_transient(struct mmrace_thread *t)
{
	t->cnt[MMRACE_P1_C_TRANSIENT]++;
}

/*
 * Each variant's charge of @n pages against @limit, 0 or -ENOMEM, and its
 * uncharge: one small function each, in p1_ops[] by variant.
 */

/* Check and add under one lock: the kernel's mmap_lock-serialised way. */
static int p1_charge_mutex(struct mmrace_thread *t, struct p1_state *p,
			   s64 n, s64 limit)
{
	atomic64_t *c = p->ctr;

	if (p->target == MMRACE_P1_TARGET_LOCKED_VM)
		return p1_account_locked_vm(t->ctx, n, true);
	/*
	 * The witness: the lock was taken by a charge between its check and
	 * its add, the window a check_add without the lock fails in. (A
	 * contended uncharge proves nothing, and a thread that merely waits
	 * in mutex_lock() is no evidence that the check was contended.)
	 */
	if (!mutex_trylock(&p->lock)) {
		if (READ_ONCE(p->charging))
			t->cnt[MMRACE_P1_C_CONTENDED]++;
		mutex_lock(&p->lock);
	}
	WRITE_ONCE(p->charging, 1);
	if (atomic64_read(c) + n > limit) {
		WRITE_ONCE(p->charging, 0);
		mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	mmrace_window(t);
	atomic64_add(n, c);
	WRITE_ONCE(p->charging, 0);
	mutex_unlock(&p->lock);
	return 0;
}

static void p1_uncharge_mutex(struct mmrace_thread *t, struct p1_state *p,
			      s64 n)
{
	if (p->target == MMRACE_P1_TARGET_LOCKED_VM) {
		p1_account_locked_vm(t->ctx, n, false);
		return;
	}
	mutex_lock(&p->lock);
	atomic64_sub(n, p->ctr);
	mutex_unlock(&p->lock);
}

/* Add, then unwind when over: a false -ENOMEM for a charge beside it. */
static int p1_charge_add_unwind(struct mmrace_thread *t, struct p1_state *p,
				s64 n, s64 limit)
{
	atomic64_t *c = p->ctr;

	if (atomic64_add_return(n, c) > limit) {
		p1_transient(t);
		mmrace_window(t);
		atomic64_sub(n, c);
		return -ENOMEM;
	}
	return 0;
}

/* A racy pre-check in front of add_unwind: narrows the window only. */
static int p1_charge_precheck_add(struct mmrace_thread *t,
				  struct p1_state *p, s64 n, s64 limit)
{
	s64 cur = atomic64_read(p->ctr);

	if (cur > limit)
		p1_transient(t);
	if (cur + n > limit)
		return -ENOMEM;
	mmrace_window(t);
	return p1_charge_add_unwind(t, p, n, limit);
}

/* Compare-and-exchange from the value read: never above, no unwind. */
static int p1_charge_cmpxchg(struct mmrace_thread *t, struct p1_state *p,
			     s64 n, s64 limit)
{
	atomic64_t *c = p->ctr;
	s64 cur = atomic64_read(c);

	for (;;) {
		if (cur > limit)
			p1_transient(t);
		if (cur + n > limit)
			return -ENOMEM;
		mmrace_window(t);
		if (atomic64_try_cmpxchg(c, &cur, cur + n))
			return 0;
		t->cnt[MMRACE_P1_C_RETRIES]++;
	}
}

/* Check, then a plain add (hfi1): two charges commit above the limit. */
static int p1_charge_check_add(struct mmrace_thread *t, struct p1_state *p,
			       s64 n, s64 limit)
{
	atomic64_t *c = p->ctr;
	s64 cur = atomic64_read(c);

	if (cur > limit)
		p1_transient(t);
	if (cur + n > limit)
		return -ENOMEM;
	mmrace_window(t);
	atomic64_add(n, c);
	return 0;
}

static void p1_uncharge_atomic(struct mmrace_thread *t, struct p1_state *p,
			       s64 n)
{
	atomic64_sub(n, p->ctr);
}

/**
 * struct p1_ops - one variant's accounting
 * @charge: charge @n pages against @limit: 0, or -ENOMEM (nothing held)
 * @uncharge: give back @n pages @charge took
 */
struct p1_ops {
	int (*charge)(struct mmrace_thread *t, struct p1_state *p, s64 n,
		      s64 limit);
	void (*uncharge)(struct mmrace_thread *t, struct p1_state *p, s64 n);
};

static const struct p1_ops p1_ops[MMRACE_P1_NR_VARIANTS] = {
	[MMRACE_P1_MUTEX] = { p1_charge_mutex, p1_uncharge_mutex },
	[MMRACE_P1_ADD_UNWIND] = { p1_charge_add_unwind, p1_uncharge_atomic },
	[MMRACE_P1_PRECHECK_ADD] = { p1_charge_precheck_add,
				     p1_uncharge_atomic },
	[MMRACE_P1_CMPXCHG] = { p1_charge_cmpxchg, p1_uncharge_atomic },
	[MMRACE_P1_CHECK_ADD] = { p1_charge_check_add, p1_uncharge_atomic },
};

/**
 * p1_charge() - charge pages the way of one variant
 * @t: the charging thread (its counters)
 * @p: the run's state (the counter, its lock, the shadow accounting)
 * @variant: &enum mmrace_p1_variant
 * @n: pages, 1..P1_MAX_PAGES
 * @limit: the limit in pages the charge is checked against
 *
 * Return: 0, or -ENOMEM when the charge does not fit (rightly or not).
 */
VISIBLE_IF_KUNIT int p1_charge(struct mmrace_thread *t, struct p1_state *p,
			       unsigned int variant, s64 n, s64 limit)
{
	return p1_ops[variant].charge(t, p, n, limit);
}
EXPORT_SYMBOL_IF_KUNIT(p1_charge);

/**
 * p1_uncharge() - give back pages charged by p1_charge()
 * @t: the thread
 * @p: the run's state
 * @variant: the variant that charged them
 * @n: pages
 */
VISIBLE_IF_KUNIT void p1_uncharge(struct mmrace_thread *t, struct p1_state *p,
				  unsigned int variant, s64 n)
{
	p1_ops[variant].uncharge(t, p, n);
}
EXPORT_SYMBOL_IF_KUNIT(p1_uncharge);

static enum p1_role p1_role(const struct p1_state *p,
			    const struct mmrace_thread *t)
{
	if (t->idx < p->nr_hogs)
		return P1_HOG;
	if (p->flipper && t->idx == t->ctx->nr_threads - 1)
		return P1_FLIPPER;
	return P1_SMALL;
}

static int p1_flip(struct mmrace_thread *t, struct p1_state *p)
{
	s64 cur = READ_ONCE(p->limit);

	WRITE_ONCE(p->limit, cur == p->limit_a ? p->limit_b : p->limit_a);
	t->cnt[MMRACE_P1_C_LIMIT_CHANGES]++;
	ndelay(P1_FLIP_PAUSE_NS);
	return 0;
}

static int p1_op(struct mmrace_thread *t)
{
	struct mmrace_ctx *ctx = t->ctx;
	struct p1_state *p = ctx->priv;
	enum p1_role role = p1_role(p, t);
	unsigned int variant;
	s64 n, limit, held;
	int ret;

	if (role == P1_FLIPPER)
		return p1_flip(t, p);

	n = role == P1_HOG ? p->hog : p->small;
	variant = role == P1_HOG ? p->hog_variant : ctx->variant;
	limit = p1_limit(ctx, p);
	/* Another charge is in flight beside this one (co-presence only). */
	if (atomic_inc_return(&p->inflight) > 1)
		t->cnt[MMRACE_P1_C_OVERLAP]++;
	ret = p1_charge(t, p, variant, n, limit);
	atomic_dec(&p->inflight);
	if (ret) {
		t->cnt[MMRACE_P1_C_ENOMEM]++;
		/* Under this limit every small request fits: no excuse. */
		if (role == P1_SMALL && p->shape == MMRACE_P1_SHAPE_HEADROOM &&
		    limit >= p->need)
			mmrace_violation(t, MMRACE_P1_C_FALSE_ENOMEM, 1);
		return 0;
	}
	t->cnt[MMRACE_P1_C_CHARGED]++;
	held = p->base + atomic64_add_return(n, &p->committed);
	if (held > atomic64_read(&p->limit_max))
		mmrace_violation(t, MMRACE_P1_C_OVERSHOOT, 1);
	else if (held > p1_limit(ctx, p))
		t->cnt[MMRACE_P1_C_STALE_LIMIT]++;
	/*
	 * The charge stays held for the widened window too, so that two
	 * commits meet in the shadow whatever the host's load: without it a
	 * charge is held for a few instructions and an overshoot committed
	 * to the counter showed in the shadow only when both holds met.
	 */
	mmrace_window(t);
	atomic64_sub(n, &p->committed);
	p1_uncharge(t, p, variant, n);
	return 0;
}

static int p1_check_args(struct mmrace_ctx *ctx, struct p1_state *p)
{
	const u64 *arg = ctx->params->arg;

	p->target = arg[MMRACE_P1_ARG_TARGET];
	p->shape = arg[MMRACE_P1_ARG_SHAPE];
	if (p->shape == MMRACE_P1_SHAPE_DEFAULT)
		p->shape = ctx->variant == MMRACE_P1_CHECK_ADD ?
			   MMRACE_P1_SHAPE_CONTENDED : MMRACE_P1_SHAPE_HEADROOM;
	if (p->target > MMRACE_P1_TARGET_LOCKED_VM ||
	    p->shape > MMRACE_P1_SHAPE_CONTENDED ||
	    arg[MMRACE_P1_ARG_HOG_VARIANT] > MMRACE_P1_NR_VARIANTS)
		return -EINVAL;
	p->hog_variant = arg[MMRACE_P1_ARG_HOG_VARIANT] ?
			 arg[MMRACE_P1_ARG_HOG_VARIANT] - 1 : ctx->variant;
	if (arg[MMRACE_P1_ARG_LIMIT] > P1_MAX_PAGES ||
	    arg[MMRACE_P1_ARG_LIMIT2] > P1_MAX_PAGES ||
	    arg[MMRACE_P1_ARG_NR_HOGS] > ctx->nr_threads ||
	    arg[MMRACE_P1_ARG_SMALL] > P1_MAX_PAGES / 1024)
		return -EINVAL;
	if (p->target != MMRACE_P1_TARGET_MODEL) {
		if (arg[MMRACE_P1_ARG_LIMIT] || arg[MMRACE_P1_ARG_LIMIT2]) {
			pr_err("p1: real targets take the caller's RLIMIT_MEMLOCK, not arg limits\n");
			return -EINVAL;
		}
		/*
		 * The charges land on the file's mm and are judged by the
		 * caller's RLIMIT_MEMLOCK and CAP_IPC_LOCK: only a task of
		 * that mm, whose limits they are.
		 */
		if (!ctx->caller_is_opener)
			return -EPERM;
		if (!ctx->mm)
			return -ESRCH;
		if (ctx->caller_ipc_lock) {
			pr_err("p1: caller has CAP_IPC_LOCK, so the kernel would skip the limit; drop it\n");
			return -EINVAL;
		}
	}
	if (p->target == MMRACE_P1_TARGET_LOCKED_VM &&
	    (ctx->variant != MMRACE_P1_MUTEX ||
	     p->hog_variant != MMRACE_P1_MUTEX)) {
		pr_err("p1: mm->locked_vm is only charged under mmap_write_lock (variant mutex)\n");
		return -EINVAL;
	}
	/* The contended shape has no hogs to charge another way. */
	if (p->shape == MMRACE_P1_SHAPE_CONTENDED &&
	    (arg[MMRACE_P1_ARG_NR_HOGS] || arg[MMRACE_P1_ARG_HOG_VARIANT]))
		return -EINVAL;
	return 0;
}

/* The model's limits: given, or derived from the shape. */
static int p1_model_limits(struct mmrace_ctx *ctx, struct p1_state *p)
{
	const u64 *arg = ctx->params->arg;
	s64 limit = arg[MMRACE_P1_ARG_LIMIT];

	p->need = p->base + p->nr_small * p->small;
	if (!limit && p->shape == MMRACE_P1_SHAPE_HEADROOM)
		limit = p->need;
	else if (!limit)
		limit = p->base + max(p->small, p->nr_small * p->small / 2);
	p->limit_a = limit;
	p->limit_b = arg[MMRACE_P1_ARG_LIMIT2] ? arg[MMRACE_P1_ARG_LIMIT2] :
						 limit;
	p->limit = limit;
	p->limit_start = limit;
	atomic64_set(&p->limit_max, max(p->limit_a, p->limit_b));
	/* The headroom shape needs every limit to fit every small. */
	if (p->shape == MMRACE_P1_SHAPE_HEADROOM &&
	    min(p->limit_a, p->limit_b) < p->need)
		return -EINVAL;
	return 0;
}

/*
 * Real targets: the caller's RLIMIT_MEMLOCK. The contended shape's default
 * request lets one small charge fit the headroom, never two.
 */
static int p1_real_limits(struct mmrace_ctx *ctx, struct p1_state *p)
{
	s64 limit;

	atomic64_set(&p->limit_max, 0);
	limit = p1_limit(ctx, p);
	if (limit >= P1_MAX_PAGES) {
		pr_err("p1: real targets need a finite RLIMIT_MEMLOCK\n");
		return -EINVAL;
	}
	if (limit <= p->base) {
		pr_err("p1: RLIMIT_MEMLOCK of %lld pages leaves no headroom above %lld\n",
		       limit, p->base);
		return -EINVAL;
	}
	if (p->shape == MMRACE_P1_SHAPE_CONTENDED &&
	    !ctx->params->arg[MMRACE_P1_ARG_SMALL])
		p->small = (limit - p->base) / 2 + 1;
	p->need = p->base + p->nr_small * p->small;
	p->limit_start = limit;
	if (p->shape == MMRACE_P1_SHAPE_HEADROOM && limit < p->need) {
		pr_err("p1: RLIMIT_MEMLOCK of %lld pages is below the %lld the headroom shape needs\n",
		       limit, p->need);
		return -EINVAL;
	}
	return 0;
}

static int p1_prepare(struct mmrace_ctx *ctx)
{
	const u64 *arg = ctx->params->arg;
	struct p1_state *p;
	int ret;

	p = kzalloc_obj(*p, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	ret = p1_check_args(ctx, p);
	if (ret)
		goto err;

	mutex_init(&p->lock);
	p->small = arg[MMRACE_P1_ARG_SMALL] ? arg[MMRACE_P1_ARG_SMALL] : 1;
	if (p->shape == MMRACE_P1_SHAPE_HEADROOM)
		p->nr_hogs = arg[MMRACE_P1_ARG_NR_HOGS] ?
			     arg[MMRACE_P1_ARG_NR_HOGS] : 1;
	p->flipper = arg[MMRACE_P1_ARG_LIMIT2] != 0;
	ret = -EINVAL;
	if (p->nr_hogs + p->flipper >= ctx->nr_threads)
		goto err;
	p->nr_small = ctx->nr_threads - p->nr_hogs - p->flipper;

	switch (p->target) {
	case MMRACE_P1_TARGET_MODEL:
		atomic64_set(&p->model, P1_MODEL_BASE);
		p->ctr = &p->model;
		break;
	case MMRACE_P1_TARGET_PINNED_VM:
		p->ctr = &ctx->mm->pinned_vm;
		break;
	}
	p->start = p1_read(ctx, p);
	p->base = p->start;
	if (p->target == MMRACE_P1_TARGET_MODEL)
		ret = p1_model_limits(ctx, p);
	else
		ret = p1_real_limits(ctx, p);
	if (ret)
		goto err;
	ret = -EINVAL;
	p->hog = atomic64_read(&p->limit_max) - p->base + 1;
	if (p->nr_hogs && p->hog < 1)
		goto err;

	ctx->priv = p;
	return 0;
err:
	kfree(p);
	return ret;
}

static void p1_finish(struct mmrace_ctx *ctx, u64 *cnt)
{
	struct p1_state *p = ctx->priv;
	s64 end;

	if (!p)
		return;
	end = p1_read(ctx, p);
	cnt[MMRACE_P1_C_IMBALANCE] = abs(end - p->start);
	cnt[MMRACE_P1_C_LIMIT] = p->limit_start;
	cnt[MMRACE_P1_C_BASE] = p->base;
	cnt[MMRACE_P1_C_BYPASS] = ctx->caller_ipc_lock;
	mutex_destroy(&p->lock);
	kfree(p);
	ctx->priv = NULL;
}

static const struct mmrace_variant p1_variants[] = {
	[MMRACE_P1_MUTEX] = {
		"mutex", "check and add under one lock (mmap_sem-serialised)", 0 },
	[MMRACE_P1_ADD_UNWIND] = {
		"add_unwind", "add_return, unwind when over: false ENOMEM",
		MMRACE_DF_BROKEN },
	[MMRACE_P1_PRECHECK_ADD] = {
		"precheck_add", "racy pre-check, then add_return and unwind", 0 },
	[MMRACE_P1_CMPXCHG] = {
		"cmpxchg", "compare-and-exchange retry loop, no unwind", 0 },
	[MMRACE_P1_CHECK_ADD] = {
		"check_add", "check, then plain add (hfi1): commits above limit",
		MMRACE_DF_BROKEN },
};

static const struct mmrace_counter_desc p1_counters[] = {
	[MMRACE_P1_C_CHARGED] = { "charged", "successful charges", 0 },
	[MMRACE_P1_C_ENOMEM] = { "enomem", "refused charges", 0 },
	[MMRACE_P1_C_FALSE_ENOMEM] = { "false_enomem",
		"refused although the headroom covered it",
		MMRACE_DF_VIOLATION },
	[MMRACE_P1_C_OVERSHOOT] = { "overshoot",
		"committed above the highest limit", MMRACE_DF_VIOLATION },
	[MMRACE_P1_C_TRANSIENT] = { "transient",
		"counter seen above the limit", 0 },
	[MMRACE_P1_C_RETRIES] = { "retries", "cmpxchg retries", 0 },
	[MMRACE_P1_C_STALE_LIMIT] = { "stale_limit",
		"success above a limit lowered after it was read", 0 },
	[MMRACE_P1_C_LIMIT_CHANGES] = { "limit_changes",
		"model limit flips", 0 },
	[MMRACE_P1_C_IMBALANCE] = { "imbalance",
		"pages the counter is off its start at the end",
		MMRACE_DF_VIOLATION },
	[MMRACE_P1_C_BYPASS] = { "bypass", "caller holds CAP_IPC_LOCK", 0 },
	[MMRACE_P1_C_LIMIT] = { "limit", "limit in pages", 0 },
	[MMRACE_P1_C_BASE] = { "base", "counter at the start, in pages", 0 },
	[MMRACE_P1_C_OVERLAP] = { "overlap",
		"charges begun while another was in flight", 0 },
	[MMRACE_P1_C_CONTENDED] = { "contended",
		"mutex: trylock failed while a charge held check-to-add (witness)",
		0 },
};

const struct mmrace_pattern mmrace_p1_lockedvm = {
	.id = MMRACE_P1_LOCKEDVM,
	.name = "p1_lockedvm",
	.title = "locked_vm/pinned_vm charged without mmap_lock (false ENOMEM)",
	.variants = p1_variants,
	.nr_variants = ARRAY_SIZE(p1_variants),
	.counters = p1_counters,
	.nr_counters = ARRAY_SIZE(p1_counters),
	.min_threads = 1,	/* contended shape only; headroom needs two */
	.nr_args = MMRACE_P1_ARG_HOG_VARIANT + 1,
	.prepare = p1_prepare,
	.op = p1_op,
	.finish = p1_finish,
};
EXPORT_SYMBOL_IF_KUNIT(mmrace_p1_lockedvm);
