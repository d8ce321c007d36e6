// SPDX-License-Identifier: GPL-2.0
/*
 * Baseline: the harness with nothing racy in it. Every figure the patterns
 * report (ns per operation, operations per second) includes the harness's
 * own loop; these variants measure that loop alone and the cost of one
 * atomic increment, contended and not, so the patterns' numbers can be read
 * against the physical cost of an atomic on the same CPUs in the same run.
 *
 * The run also checks the harness: every increment a thread counted must be
 * in the counters at the end.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <uapi/linux/mmrace/baseline.h>

#include "mmrace.h"

struct base_cell {
	atomic_long_t v;
} ____cacheline_aligned_in_smp;

struct base_state {
	struct base_cell shared;
	/* One cell per thread, each on its own cache line. */
	struct base_cell local[];
};

static int base_prepare(struct mmrace_ctx *ctx)
{
	struct base_state *st;

	st = kzalloc(struct_size(st, local, ctx->nr_threads), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	ctx->priv = st;
	return 0;
}

/* The empty operation: what mmrace_op_batch_unrolled() costs a pattern. */
static int base_nop(struct mmrace_thread *t)
{
	return 0;
}

/*
 * @n increments, looped as mmrace_op_batch_unrolled() loops a pattern's
 * operations (MMRACE_OP_UNROLL copies per pass), so that an increment
 * costs the atomic and the same share of the loop as the empty operation.
 */
static void __aligned(64) base_inc(atomic_long_t *v, unsigned int n)
{
	unsigned int i;

	for (i = n / MMRACE_OP_UNROLL; i; i--) {
		atomic_long_inc(v);
		atomic_long_inc(v);
		atomic_long_inc(v);
		atomic_long_inc(v);
		atomic_long_inc(v);
		atomic_long_inc(v);
		atomic_long_inc(v);
		atomic_long_inc(v);
	}
	for (i = n % MMRACE_OP_UNROLL; i; i--)
		atomic_long_inc(v);
}

/*
 * The variants, one function per variant for a single operation and one
 * for a batch, as refscale's readsection(nloops): the variant is chosen
 * once per batch; the empty operation goes through the patterns' batch
 * loop for short operations, the increments through the same loop around
 * the atomic alone. The batch functions are aligned to a cache line so
 * that their short loops never straddle a page: TCG does not chain a
 * translation block that crosses a guest page, and a loop that does costs
 * several times as much per operation.
 */
static int __aligned(64) base_empty_batch(struct mmrace_thread *t,
					  unsigned int n, unsigned int *done)
{
	return mmrace_op_batch_unrolled(t, n, done, base_nop);
}

/* The counter a thread increments: the one shared, or its own. */
static atomic_long_t *base_shared(struct mmrace_thread *t)
{
	struct base_state *st = t->ctx->priv;

	return &st->shared.v;
}

static atomic_long_t *base_local(struct mmrace_thread *t)
{
	struct base_state *st = t->ctx->priv;

	return &st->local[t->idx].v;
}

static int base_inc_op(struct mmrace_thread *t,
		       atomic_long_t *(*counter)(struct mmrace_thread *t))
{
	atomic_long_inc(counter(t));
	t->cnt[MMRACE_BASE_C_INCS]++;
	return 0;
}

static int __aligned(64) base_inc_batch(struct mmrace_thread *t,
					unsigned int n, unsigned int *done,
					atomic_long_t *v)
{
	base_inc(v, n);
	t->cnt[MMRACE_BASE_C_INCS] += n;
	*done = n;
	return 0;
}

static int base_shared_op(struct mmrace_thread *t)
{
	return base_inc_op(t, base_shared);
}

static int base_shared_batch(struct mmrace_thread *t, unsigned int n,
			     unsigned int *done)
{
	return base_inc_batch(t, n, done, base_shared(t));
}

static int base_local_op(struct mmrace_thread *t)
{
	return base_inc_op(t, base_local);
}

static int base_local_batch(struct mmrace_thread *t, unsigned int n,
			    unsigned int *done)
{
	return base_inc_batch(t, n, done, base_local(t));
}

/**
 * struct base_ops - one variant's operation, alone and in a batch
 * @op: one operation (&mmrace_pattern.op)
 * @batch: @n operations (&mmrace_pattern.op_batch)
 */
struct base_ops {
	int (*op)(struct mmrace_thread *t);
	int (*batch)(struct mmrace_thread *t, unsigned int n,
		     unsigned int *done);
};

static const struct base_ops base_ops[MMRACE_BASE_NR_VARIANTS] = {
	[MMRACE_BASE_EMPTY] = { base_nop, base_empty_batch },
	[MMRACE_BASE_ATOMIC_SHARED] = { base_shared_op, base_shared_batch },
	[MMRACE_BASE_ATOMIC_LOCAL] = { base_local_op, base_local_batch },
};

static int base_op(struct mmrace_thread *t)
{
	return base_ops[t->ctx->variant].op(t);
}

static int base_op_batch(struct mmrace_thread *t, unsigned int n,
			 unsigned int *done)
{
	return base_ops[t->ctx->variant].batch(t, n, done);
}

static void base_finish(struct mmrace_ctx *ctx, u64 *cnt)
{
	struct base_state *st = ctx->priv;
	u64 seen = atomic_long_read(&st->shared.v);
	unsigned int i;

	for (i = 0; i < ctx->nr_threads; i++)
		seen += atomic_long_read(&st->local[i].v);
	/* Counted increments that are not in the counters. */
	cnt[MMRACE_BASE_C_LOST] = cnt[MMRACE_BASE_C_INCS] > seen ?
				  cnt[MMRACE_BASE_C_INCS] - seen : 0;
	kfree(st);
	ctx->priv = NULL;
}

static const struct mmrace_variant base_variants[] = {
	[MMRACE_BASE_EMPTY] = { "empty",
		"an operation that does nothing: the harness loop alone", 0 },
	[MMRACE_BASE_ATOMIC_SHARED] = { "atomic_shared",
		"atomic_long_inc() of one counter shared by every thread", 0 },
	[MMRACE_BASE_ATOMIC_LOCAL] = { "atomic_local",
		"atomic_long_inc() of the thread's own cache line", 0 },
};

static const struct mmrace_counter_desc base_counters[] = {
	[MMRACE_BASE_C_INCS] = { "incs", "increments done", 0 },
	[MMRACE_BASE_C_LOST] = { "lost",
		"increments missing from the counters at the end",
		MMRACE_DF_VIOLATION },
};

const struct mmrace_pattern mmrace_baseline = {
	.id = MMRACE_BASELINE,
	.name = "baseline",
	.title = "harness overhead: empty operation, shared and local atomics",
	.variants = base_variants,
	.nr_variants = ARRAY_SIZE(base_variants),
	.counters = base_counters,
	.nr_counters = ARRAY_SIZE(base_counters),
	.min_threads = 1,
	.prepare = base_prepare,
	.op = base_op,
	.op_batch = base_op_batch,
	/*
	 * Long loops, as refscale's: the harness's checks and its
	 * ktime_get() once per 4096 operations.
	 */
	.batch = 4096,
	.finish = base_finish,
};
