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

static int base_op(struct mmrace_thread *t)
{
	struct base_state *st = t->ctx->priv;

	switch (t->ctx->variant) {
	case MMRACE_BASE_ATOMIC_SHARED:
		atomic_long_inc(&st->shared.v);
		break;
	case MMRACE_BASE_ATOMIC_LOCAL:
		atomic_long_inc(&st->local[t->idx].v);
		break;
	default:
		return 0;
	}
	t->cnt[MMRACE_BASE_C_INCS]++;
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
 * A batch as refscale times its loops: the variant chosen once per batch;
 * the empty operation through the patterns' batch loop for short
 * operations, the increments in the same loop around the atomic alone.
 * Both functions are aligned to a cache line so that their short loops
 * never straddle a page: TCG does not chain a translation block that
 * crosses a guest page, and base_op_batch()'s loop, once at .text 0x7fff
 * to 0x8005, cost 1.25 ns per empty operation against 0.14 aligned (a 6.1
 * TCG guest, same build otherwise).
 */
static int __aligned(64) base_op_batch(struct mmrace_thread *t, unsigned int n,
				       unsigned int *done)
{
	struct base_state *st = t->ctx->priv;

	switch (t->ctx->variant) {
	case MMRACE_BASE_ATOMIC_SHARED:
		base_inc(&st->shared.v, n);
		break;
	case MMRACE_BASE_ATOMIC_LOCAL:
		base_inc(&st->local[t->idx].v, n);
		break;
	default:
		return mmrace_op_batch_unrolled(t, n, done, base_nop);
	}
	t->cnt[MMRACE_BASE_C_INCS] += n;
	*done = n;
	return 0;
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
