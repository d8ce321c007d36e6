// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of P3's notifier-chain walk, single-threaded: a chain of two
 * counting subscribers (A) ahead of one that fails non-blockable starts
 * when busy (B), one invalidation per variant with B busy and with B idle,
 * and what each variant leaves in the A subscribers' counts: one case per
 * variant (a parameter over P3's variant table), with B busy and idle. The
 * model is mmrace.ko's, exported to this module on a KUnit kernel.
 */
#include <kunit/test.h>

#include "p3_mmunotif.h"

struct p3_fix {
	struct mmrace_params params;
	struct mmrace_ctx ctx;
	struct mmrace_thread t;
};

static struct p3_fix *p3_fix_new(struct kunit *test, unsigned int variant)
{
	struct p3_fix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->ctx.variant = variant;
	f->ctx.params = &f->params;
	f->t.ctx = &f->ctx;
	f->t.first_detect_ns = U64_MAX;
	/* Every invalidation non-blockable; default chain: A, A, B. */
	f->params.arg[MMRACE_P3_ARG_NONBLOCK_PCT] = 100;
	KUNIT_ASSERT_EQ(test, 0, p3_prepare(&f->ctx));
	return f;
}

/* Sum of the A subscribers' in-progress counts. */
static int p3_a_counts(struct p3_state *p)
{
	struct p3_sub *sub;
	int sum = 0;

	hlist_for_each_entry(sub, &p->chain, node)
		if (sub->kind == P3_A)
			sum += atomic_read(&sub->count);
	return sum;
}

static void p3_kunit_one(struct kunit *test, unsigned int variant, bool busy)
{
	struct p3_fix *f = p3_fix_new(test, variant);
	struct p3_state *p = f->ctx.priv;
	bool leaks = busy && variant == MMRACE_P3_SKIP_END;

	if (busy)
		mutex_lock(&p->b_lock);
	KUNIT_EXPECT_EQ(test, 0, p3_invalidate(&f->t, p));
	if (busy)
		mutex_unlock(&p->b_lock);

	KUNIT_EXPECT_EQ(test, 1, f->t.cnt[MMRACE_P3_C_INVALIDATIONS]);
	KUNIT_EXPECT_EQ(test, busy ? 1 : 0, f->t.cnt[MMRACE_P3_C_EAGAIN]);
	KUNIT_EXPECT_EQ(test, 0, f->t.cnt[MMRACE_P3_C_END_WITHOUT_START]);
	if (leaks) {
		/* Unsorted chain A, A, B: both A started, neither ended. */
		KUNIT_EXPECT_EQ(test, 2, f->t.cnt[MMRACE_P3_C_MISSING_END]);
		KUNIT_EXPECT_EQ(test, 2, p3_a_counts(p));
		KUNIT_EXPECT_NE(test, U64_MAX, f->t.first_detect_ns);
	} else {
		KUNIT_EXPECT_EQ(test, 0, f->t.cnt[MMRACE_P3_C_MISSING_END]);
		KUNIT_EXPECT_EQ(test, 0, p3_a_counts(p));
		KUNIT_EXPECT_EQ(test, U64_MAX, f->t.first_detect_ns);
	}
	/* Every start but B's (B has no end) and the leaked ones ended. */
	KUNIT_EXPECT_EQ(test, f->t.cnt[MMRACE_P3_C_STARTS],
			f->t.cnt[MMRACE_P3_C_ENDS] + (leaks ? 2 : 0) +
			(busy ? 0 : 1));
	KUNIT_EXPECT_EQ(test, (u64)(leaks ? 2 : 0), p3_destroy(&f->ctx));
}

static const unsigned int p3_all[] = {
	MMRACE_P3_SKIP_END, MMRACE_P3_UNDO_SORTED, MMRACE_P3_END_ALL_STARTED,
};

static_assert(ARRAY_SIZE(p3_all) == MMRACE_P3_NR_VARIANTS);

static void p3_variant_desc(const unsigned int *v, char *desc)
{
	strscpy(desc, mmrace_p3_mmunotif.variants[*v].name,
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p3_variant, p3_all, p3_variant_desc);

/* The variant's walk with B busy (its start fails), then with B idle. */
static void p3_kunit_walk(struct kunit *test)
{
	unsigned int v = *(const unsigned int *)test->param_value;

	p3_kunit_one(test, v, true);
	p3_kunit_one(test, v, false);
}

static struct kunit_case p3_kunit_cases[] = {
	KUNIT_CASE_PARAM(p3_kunit_walk, p3_variant_gen_params),
	{}
};

static struct kunit_suite p3_kunit_suite = {
	.name = "mmrace_p3_chain",
	.test_cases = p3_kunit_cases,
};

kunit_test_suites(&p3_kunit_suite);
