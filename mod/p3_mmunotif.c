// SPDX-License-Identifier: GPL-2.0
/*
 * P3: a non-blocking invalidate_range_start that fails with -EAGAIN must
 * not leave the end of a subscriber that already started undone.
 *
 * Seed: "mm/hmm: replace hmm_update with mmu_notifier_range" (linux-mm,
 * July 2019). The OOM reaper invalidates with a non-blockable range; a
 * subscriber that would have to sleep (RDMA ODP's mutex) fails with
 * -EAGAIN; the old chain walk stopped there and the reaper skipped the
 * range's end, so a subscriber that had started already (KVM, whose
 * mmu_notifier_count went up) never got its end. Jason Gunthorpe proposed
 * keeping the list sorted and undoing the starts before the failing one;
 * what landed in 2021 calls every start even after a failure and then the
 * end of every subscriber that has one, failing subscribers having none.
 *
 * The model: a chain (hlist under SRCU; additions under a spinlock and the
 * model mmap_lock held for writing, as __mmu_notifier_register() holds the
 * real one; removals by hlist_del_rcu() then a wait for an SRCU grace
 * period, as mmu_notifier_unregister()'s synchronize_srcu()). Subscribers
 * of kind A count in start and uncount in end (KVM); kind B has no end and
 * in non-blocking mode fails
 * when its mutex is taken (RDMA ODP). Invalidator threads hold the model
 * mmap_lock for reading (the reaper's mmap_read_lock) and walk the chain;
 * thread 0 takes B's mutex in bursts and replaces subscribers. Every
 * invalidation records which subscribers it started; an end for one it did
 * not start, or a started A left without its end (unless it was
 * unregistered meanwhile: its release is told), is a violation, and every
 * A's count must be zero at the end.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>

#include "p3_mmunotif.h"

#define P3_MAX_SUBS		16
#define P3_DEFAULT_A		2
#define P3_DEFAULT_B		1
#define P3_DEFAULT_NONBLOCK	50
/* Thread 0 replaces a subscriber every this many of its operations. */
#define P3_CHURN_EVERY		64
/* How long thread 0 holds B's mutex. */
#define P3_HOLD_NS		2000

/* What one invalidation did to one subscriber. */
struct p3_rec {
	struct p3_sub *sub;
	unsigned int started;
	unsigned int ended;
};

struct p3_inv {
	struct p3_rec rec[P3_MAX_SUBS * 2];
	unsigned int nr;
	/* Records made before the first start failed (all of them if none). */
	unsigned int failed_at;
};

static struct p3_rec *p3_find(struct p3_inv *inv, struct p3_sub *sub)
{
	unsigned int i;

	for (i = 0; i < inv->nr; i++)
		if (inv->rec[i].sub == sub)
			return &inv->rec[i];
	return NULL;
}

/* A subscriber's start; -EAGAIN only from B in non-blocking mode. */
static int p3_start(struct mmrace_thread *t, struct p3_state *p,
		    struct p3_inv *inv, struct p3_sub *sub, bool nonblock)
{
	if (sub->kind == P3_B) {
		if (nonblock) {
			if (!mutex_trylock(&p->b_lock))
				return -EAGAIN;
		} else {
			mutex_lock(&p->b_lock);
		}
		mutex_unlock(&p->b_lock);
	} else {
		atomic_inc(&sub->count);
	}
	if (inv->nr < ARRAY_SIZE(inv->rec)) {
		inv->rec[inv->nr].sub = sub;
		inv->rec[inv->nr].started = 1;
		inv->rec[inv->nr].ended = 0;
		inv->nr++;
	}
	t->cnt[MMRACE_P3_C_STARTS]++;
	return 0;
}

/*
 * A subscriber's end (only A has one). @undo: given after a failed start;
 * it counts as undone (the witness that the failure path had work to do)
 * only for a subscriber that started before the failing one, the end
 * skip_end loses, not for one start_all started past the failure.
 */
static void p3_end(struct mmrace_thread *t, struct p3_inv *inv,
		   struct p3_sub *sub, bool undo)
{
	struct p3_rec *r = p3_find(inv, sub);

	if (sub->kind != P3_A)
		return;
	t->cnt[MMRACE_P3_C_ENDS]++;
	if (!r) {
		mmrace_violation(t, MMRACE_P3_C_END_WITHOUT_START, 1);
		return;
	}
	r->ended++;
	if (undo && r - inv->rec < inv->failed_at)
		t->cnt[MMRACE_P3_C_UNDONE]++;
	atomic_dec(&sub->count);
}

/*
 * What each variant does once a start failed (inside the invalidation's
 * SRCU section): the ends it gives, in p3_ops[] by variant.
 */

/* The 2019 code: the caller skips the range's end, for everyone. */
static void p3_fail_skip_end(struct mmrace_thread *t, struct p3_state *p,
			     struct p3_inv *inv, struct p3_sub *failed)
{
}

/*
 * End the ones before the failing subscription: by sort key, which still
 * bounds the walk when the failing one was unregistered meanwhile (it is
 * not freed before this walk's SRCU section ends).
 */
static void p3_fail_undo_sorted(struct mmrace_thread *t, struct p3_state *p,
				struct p3_inv *inv, struct p3_sub *failed)
{
	struct p3_sub *sub;

	hlist_for_each_entry_srcu(sub, &p->chain, node,
				  srcu_read_lock_held(&p->srcu)) {
		if (sub->key >= failed->key)
			break;
		p3_end(t, inv, sub, true);
	}
}

static void p3_fail_end_all(struct mmrace_thread *t, struct p3_state *p,
			    struct p3_inv *inv, struct p3_sub *failed)
{
	struct p3_sub *sub;

	/* Upstream: every subscription that has an end. */
	hlist_for_each_entry_srcu(sub, &p->chain, node,
				  srcu_read_lock_held(&p->srcu))
		p3_end(t, inv, sub, true);
}

/**
 * struct p3_ops - one variant's invalidation
 * @start_all: the start walk goes on past a failed start (2021's
 *	c2655835fd8c), instead of stopping at it
 * @fail: the ends given once a start failed (@failed: the first to fail)
 */
struct p3_ops {
	bool start_all;
	void (*fail)(struct mmrace_thread *t, struct p3_state *p,
		     struct p3_inv *inv, struct p3_sub *failed);
};

static const struct p3_ops p3_ops[MMRACE_P3_NR_VARIANTS] = {
	[MMRACE_P3_SKIP_END] = { false, p3_fail_skip_end },
	[MMRACE_P3_UNDO_SORTED] = { false, p3_fail_undo_sorted },
	[MMRACE_P3_END_ALL_STARTED] = { true, p3_fail_end_all },
};

/* Every A that started must have ended exactly as often, unless removed. */
static void p3_check_ends(struct mmrace_thread *t, struct p3_inv *inv)
{
	unsigned int i;

	/* Pairs with the smp_wmb() in p3_churn(). */
	smp_rmb();
	for (i = 0; i < inv->nr; i++) {
		struct p3_rec *r = &inv->rec[i];

		if (r->sub->kind != P3_A || READ_ONCE(r->sub->removed))
			continue;
		if (r->ended < r->started)
			mmrace_violation(t, MMRACE_P3_C_MISSING_END,
					 r->started - r->ended);
		else if (r->ended > r->started)
			mmrace_violation(t, MMRACE_P3_C_END_WITHOUT_START,
					 r->ended - r->started);
	}
}

/**
 * p3_invalidate() - one invalidation: walk the chain, start every
 *	subscriber, and on a failed non-blockable start do what the variant
 *	does, then check every A's starts against its ends
 * @t: the invalidating thread (its counters)
 * @p: the run's state
 *
 * Return: 0 (a failed start is counted, not returned).
 */
VISIBLE_IF_KUNIT int p3_invalidate(struct mmrace_thread *t, struct p3_state *p)
{
	const struct p3_ops *ops = &p3_ops[t->ctx->variant];
	bool nonblock = prandom_u32_state(&t->rnd) % 100 < p->nonblock_pct;
	struct p3_sub *sub, *failed = NULL;
	struct p3_inv inv;
	int idx;

	inv.nr = 0;
	inv.failed_at = ARRAY_SIZE(inv.rec);
	down_read(&p->mmap_lock);
	idx = srcu_read_lock(&p->srcu);
	hlist_for_each_entry_srcu(sub, &p->chain, node,
				  srcu_read_lock_held(&p->srcu)) {
		if (!p3_start(t, p, &inv, sub, nonblock))
			continue;
		if (!failed) {
			failed = sub;
			inv.failed_at = inv.nr;
		}
		if (!ops->start_all)
			break;
	}
	t->cnt[MMRACE_P3_C_INVALIDATIONS]++;
	if (nonblock)
		t->cnt[MMRACE_P3_C_NONBLOCK]++;
	if (failed) {
		t->cnt[MMRACE_P3_C_EAGAIN]++;
		ops->fail(t, p, &inv, failed);
	} else {
		mmrace_window(t);	/* the unmap */
		hlist_for_each_entry_srcu(sub, &p->chain, node,
					  srcu_read_lock_held(&p->srcu))
			p3_end(t, &inv, sub, false);
	}
	p3_check_ends(t, &inv);
	srcu_read_unlock(&p->srcu, idx);
	up_read(&p->mmap_lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p3_invalidate);

/*
 * A new subscriber. Its sort key (undo_sorted's order) is random in its
 * high half, or the lowest of all with @lowest: where a subscriber sorts
 * is left to chance, not to where kzalloc() put it, except that the
 * subscriber added at the turn sorts first (p3_churn_time()).
 */
static struct p3_sub *p3_alloc(struct p3_state *p, enum p3_kind kind,
			       bool lowest)
{
	struct p3_sub *sub = kzalloc_obj(*sub, GFP_KERNEL);

	if (!sub)
		return NULL;
	sub->kind = kind;
	sub->key = ++p->next_key;
	if (!lowest)
		sub->key |= (u64)(prandom_u32_state(&p->rnd) | 1) << 32;
	return sub;
}

/* Add @sub: at the head (newest first, as upstream), or by sort key. */
static void p3_add(struct p3_state *p, struct p3_sub *sub)
{
	struct p3_sub *pos, *last = NULL;

	if (!p->unlocked_adds)
		down_write(&p->mmap_lock);
	spin_lock(&p->chain_lock);
	if (!p->sorted) {
		hlist_add_head_rcu(&sub->node, &p->chain);
	} else {
		hlist_for_each_entry(pos, &p->chain, node) {
			if (pos->key > sub->key)
				break;
			last = pos;
		}
		if (last)
			hlist_add_behind_rcu(&sub->node, &last->node);
		else
			hlist_add_head_rcu(&sub->node, &p->chain);
	}
	p->nr_subs++;
	spin_unlock(&p->chain_lock);
	if (!p->unlocked_adds)
		up_write(&p->mmap_lock);
}

/*
 * Replace a random subscriber with a new one of the same kind: unregister
 * (hlist_del_rcu, release, a grace period, free), then register. None once
 * the run is over: the grace period would hold up its stop.
 */
static int p3_churn(struct mmrace_thread *t, struct p3_state *p, bool a_only)
{
	unsigned int n = prandom_u32_state(&t->rnd) % p->nr_subs, i = 0;
	struct p3_sub *sub, *victim = NULL;
	enum p3_kind kind;

	if (mmrace_should_stop(t->ctx))
		return 0;
	spin_lock(&p->chain_lock);
	hlist_for_each_entry(sub, &p->chain, node) {
		if (a_only && sub->kind != P3_A)
			continue;
		if (i++ == n || (a_only && !victim))
			victim = sub;
	}
	if (victim) {
		/*
		 * ->release: the subscriber forgets its invalidations. Told
		 * before it is unlinked: a walker that no longer finds it
		 * must see it removed (pairs with the smp_rmb() there).
		 */
		WRITE_ONCE(victim->removed, true);
		/* The flag before the unlink; pairs with p3_invalidate(). */
		smp_wmb();
		hlist_del_rcu(&victim->node);
		p->nr_subs--;
	}
	spin_unlock(&p->chain_lock);
	if (!victim)
		return 0;
	/*
	 * The walkers' SRCU sections are short and never wait for thread 0
	 * (B's mutex is not held here), so the grace period is bounded; it
	 * is expedited when the SRCU is idle. (A call_srcu() waited in 10 ms
	 * ticks, tried instead, made every grace period a normal one: 42
	 * unregisters per series on 6.1 against 20,145.)
	 */
	synchronize_srcu(&p->srcu);
	kind = victim->kind;
	kfree(victim);
	t->cnt[MMRACE_P3_C_UNREGISTERS]++;

	sub = p3_alloc(p, kind, a_only);
	if (!sub)
		return -ENOMEM;
	p3_add(p, sub);
	t->cnt[MMRACE_P3_C_REGISTERS]++;
	return 0;
}

/*
 * Subscribers are replaced during the first half of the run only (of its
 * time, or of thread 0's operations in a run bounded by iterations): the
 * A subscribers left at the end have then seen half of the invalidations,
 * so that a skipped end shows in their counts. At the turn, one last A
 * replacement puts an A first in the chain, ahead of B (at the head of an
 * unsorted chain, with the lowest key of a sorted one): a skipped end
 * after a failing B then always leaves a count raised, and undo_sorted
 * always has a start to undo (with B first, no A starts before B fails).
 * Half, not three quarters: a replacement waits for an SRCU grace period,
 * which on a loaded debug guest once pushed the turn past a 2 s run's end
 * (skip_end's count_leak 0 with 1,211 missing ends).
 */
static bool p3_churn_time(const struct mmrace_thread *t)
{
	const struct mmrace_ctx *ctx = t->ctx;
	ktime_t half = ktime_sub(ctx->deadline, ctx->t0) / 2;

	if (ctx->per_thread_iters)
		return t->ops < ctx->per_thread_iters / 2;
	return ktime_before(ktime_get(), ktime_sub(ctx->deadline, half));
}

static int p3_op(struct mmrace_thread *t)
{
	struct p3_state *p = t->ctx->priv;

	if (t->idx)
		return p3_invalidate(t, p);
	if (!p->b_first && t->ops % P3_CHURN_EVERY == P3_CHURN_EVERY - 1) {
		if (p3_churn_time(t))
			return p3_churn(t, p, false);
		if (!p->turned) {
			p->turned = true;
			return p3_churn(t, p, true);
		}
	}
	/* B's device is busy for a moment: non-blocking starts fail. */
	mutex_lock(&p->b_lock);
	ndelay(P3_HOLD_NS);
	mutex_unlock(&p->b_lock);
	t->cnt[MMRACE_P3_C_B_HELD]++;
	return 0;
}

/**
 * p3_destroy() - free a run's state
 * @ctx: the run (its &mmrace_ctx.priv is freed and cleared)
 *
 * Return: the A subscribers' counts left raised (the count_leak counter).
 */
VISIBLE_IF_KUNIT u64 p3_destroy(struct mmrace_ctx *ctx)
{
	struct p3_state *p = ctx->priv;
	struct hlist_node *tmp;
	struct p3_sub *sub;
	u64 leak = 0;

	hlist_for_each_entry_safe(sub, tmp, &p->chain, node) {
		if (sub->kind == P3_A && atomic_read(&sub->count))
			leak += abs(atomic_read(&sub->count));
		hlist_del(&sub->node);
		kfree(sub);
	}
	cleanup_srcu_struct(&p->srcu);
	mutex_destroy(&p->b_lock);
	kfree(p);
	ctx->priv = NULL;
	return leak;
}
EXPORT_SYMBOL_IF_KUNIT(p3_destroy);

/**
 * p3_prepare() - check a run's arguments and build its chain
 * @ctx: the run (&mmrace_ctx.params, &mmrace_ctx.variant); its
 *	&mmrace_ctx.priv gets the state
 *
 * Return: 0, -EINVAL for an argument out of range, -ENOMEM.
 */
VISIBLE_IF_KUNIT int p3_prepare(struct mmrace_ctx *ctx)
{
	const u64 *arg = ctx->params->arg;
	unsigned int nr_a, nr_b, i;
	struct p3_state *p;
	struct p3_sub *sub;
	int ret;

	if (arg[MMRACE_P3_ARG_NR_A] + arg[MMRACE_P3_ARG_NR_B] > P3_MAX_SUBS ||
	    (arg[MMRACE_P3_ARG_NONBLOCK_PCT] > 100 &&
	     arg[MMRACE_P3_ARG_NONBLOCK_PCT] != MMRACE_P3_NONBLOCK_NONE) ||
	    arg[MMRACE_P3_ARG_UNLOCKED_ADDS] > 1 ||
	    arg[MMRACE_P3_ARG_B_FIRST] > 1)
		return -EINVAL;
	nr_a = arg[MMRACE_P3_ARG_NR_A] ?: P3_DEFAULT_A;
	nr_b = arg[MMRACE_P3_ARG_NR_B] ?: P3_DEFAULT_B;
	if (nr_a + nr_b > P3_MAX_SUBS)
		return -EINVAL;

	p = kzalloc_obj(*p, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	ret = init_srcu_struct(&p->srcu);
	if (ret) {
		kfree(p);
		return ret;
	}
	INIT_HLIST_HEAD(&p->chain);
	spin_lock_init(&p->chain_lock);
	init_rwsem(&p->mmap_lock);
	mutex_init(&p->b_lock);
	p->nonblock_pct = arg[MMRACE_P3_ARG_NONBLOCK_PCT] ?:
			  P3_DEFAULT_NONBLOCK;
	if (p->nonblock_pct == MMRACE_P3_NONBLOCK_NONE)
		p->nonblock_pct = 0;
	p->unlocked_adds = arg[MMRACE_P3_ARG_UNLOCKED_ADDS];
	p->b_first = arg[MMRACE_P3_ARG_B_FIRST];
	p->sorted = ctx->variant == MMRACE_P3_UNDO_SORTED;
	prandom_seed_state(&p->rnd, ctx->params->seed);
	ctx->priv = p;

	/*
	 * B first: newest-first order puts the A's before it. With b_first,
	 * the A's first and B last, with the lowest keys: B heads the chain.
	 */
	for (i = 0; i < nr_a + nr_b; i++) {
		bool b = p->b_first ? i >= nr_a : i < nr_b;

		sub = p3_alloc(p, b ? P3_B : P3_A, p->b_first && b);
		if (!sub) {
			p3_destroy(ctx);
			return -ENOMEM;
		}
		p3_add(p, sub);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(p3_prepare);

static void p3_finish(struct mmrace_ctx *ctx, u64 *cnt)
{
	cnt[MMRACE_P3_C_COUNT_LEAK] = p3_destroy(ctx);
}

static const struct mmrace_variant p3_variants[] = {
	[MMRACE_P3_SKIP_END] = { "skip_end",
		"2019: stop at -EAGAIN, no end for anyone", MMRACE_DF_BROKEN },
	[MMRACE_P3_UNDO_SORTED] = { "undo_sorted",
		"list sorted by address, undo the starts before the failure",
		0 },
	[MMRACE_P3_END_ALL_STARTED] = { "end_all_started",
		"2021: every start runs, then every end (failers have none)",
		0 },
};

static const struct mmrace_counter_desc p3_counters[] = {
	[MMRACE_P3_C_INVALIDATIONS] = { "invalidations",
		"invalidate_range_start calls", 0 },
	[MMRACE_P3_C_NONBLOCK] = { "nonblock", "of them non-blockable", 0 },
	[MMRACE_P3_C_EAGAIN] = { "eagain", "that failed with -EAGAIN", 0 },
	[MMRACE_P3_C_STARTS] = { "starts", "successful subscriber starts", 0 },
	[MMRACE_P3_C_ENDS] = { "ends", "subscriber ends", 0 },
	[MMRACE_P3_C_MISSING_END] = { "missing_end",
		"a started subscriber got no end", MMRACE_DF_VIOLATION },
	[MMRACE_P3_C_END_WITHOUT_START] = { "end_without_start",
		"an end for a subscriber not started", MMRACE_DF_VIOLATION },
	[MMRACE_P3_C_COUNT_LEAK] = { "count_leak",
		"A's counts left elevated at the end", MMRACE_DF_VIOLATION },
	[MMRACE_P3_C_REGISTERS] = { "registers", "subscribers added", 0 },
	[MMRACE_P3_C_UNREGISTERS] = { "unregisters",
		"subscribers removed (hlist_del_rcu)", 0 },
	[MMRACE_P3_C_B_HELD] = { "b_held", "times B's mutex was held", 0 },
	[MMRACE_P3_C_UNDONE] = { "undone",
		"ends after -EAGAIN for earlier starts (witness)", 0 },
};

const struct mmrace_pattern mmrace_p3_mmunotif = {
	.id = MMRACE_P3_MMUNOTIF,
	.name = "p3_mmunotif",
	.title = "mmu-notifier non-blocking start: -EAGAIN must not skip ends",
	.variants = p3_variants,
	.nr_variants = ARRAY_SIZE(p3_variants),
	.counters = p3_counters,
	.nr_counters = ARRAY_SIZE(p3_counters),
	.min_threads = 2,
	.nr_args = MMRACE_P3_ARG_B_FIRST + 1,
	.prepare = p3_prepare,
	.op = p3_op,
	/* Thread 0 waits for SRCU grace periods (p3_churn()). */
	.sleeps = true,
	.finish = p3_finish,
	.dev = &mmrace_p3_mmunotif_dev,
};
EXPORT_SYMBOL_IF_KUNIT(mmrace_p3_mmunotif);
