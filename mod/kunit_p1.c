// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of P1's charge helpers, single-threaded: what each variant
 * does to the counter and to its counters for a charge that fits, one that
 * does not, and the uncharge. Every case runs once per variant (a
 * parameter over P1's variant table); the helpers are mmrace.ko's own,
 * exported to this module on a KUnit kernel (VISIBLE_IF_KUNIT).
 */
#include <kunit/test.h>

#include "p1_lockedvm.h"

struct p1_fix {
	struct mmrace_params params;
	struct mmrace_ctx ctx;
	struct mmrace_thread t;
	struct p1_state p;
};

static struct p1_fix *p1_fix_new(struct kunit *test, unsigned int variant)
{
	struct p1_fix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->ctx.variant = variant;
	f->ctx.params = &f->params;
	f->t.ctx = &f->ctx;
	f->t.first_detect_ns = U64_MAX;
	f->p.ctr = &f->p.model;
	f->p.target = MMRACE_P1_TARGET_MODEL;
	mutex_init(&f->p.lock);
	return f;
}

/* A charge and an uncharge of the fixture's variant. */
static int p1_fix_charge(struct p1_fix *f, s64 n, s64 limit)
{
	return p1_charge(&f->t, &f->p, f->ctx.variant, n, limit);
}

static void p1_fix_uncharge(struct p1_fix *f, s64 n)
{
	p1_uncharge(&f->t, &f->p, f->ctx.variant, n);
}

/* Every variant, once per case: the parameter table. */
static const unsigned int p1_all[] = {
	MMRACE_P1_MUTEX, MMRACE_P1_ADD_UNWIND, MMRACE_P1_PRECHECK_ADD,
	MMRACE_P1_CMPXCHG, MMRACE_P1_CHECK_ADD,
};

static_assert(ARRAY_SIZE(p1_all) == MMRACE_P1_NR_VARIANTS);

/* A case's name: the variant's, from the pattern's table. */
static void p1_variant_desc(const unsigned int *v, char *desc)
{
	strscpy(desc, mmrace_p1_lockedvm.variants[*v].name,
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p1_variant, p1_all, p1_variant_desc);

static unsigned int p1_param(struct kunit *test)
{
	return *(const unsigned int *)test->param_value;
}

/* Charges up to the limit succeed, one more page fails. */
static void p1_kunit_fill_to_limit(struct kunit *test)
{
	struct p1_fix *f = p1_fix_new(test, p1_param(test));

	KUNIT_EXPECT_EQ(test, 0, p1_fix_charge(f, 60, 100));
	KUNIT_EXPECT_EQ(test, 0, p1_fix_charge(f, 40, 100));
	KUNIT_EXPECT_EQ(test, 100, atomic64_read(&f->p.model));
	KUNIT_EXPECT_EQ(test, -ENOMEM, p1_fix_charge(f, 1, 100));
	/* Refused: the counter is as it was (unwound if added). */
	KUNIT_EXPECT_EQ(test, 100, atomic64_read(&f->p.model));
	p1_fix_uncharge(f, 100);
	KUNIT_EXPECT_EQ(test, 0, atomic64_read(&f->p.model));
	KUNIT_EXPECT_EQ(test, 0, f->t.cnt[MMRACE_P1_C_RETRIES]);
}

/*
 * Only a charge that adds before it checks publishes a sum above the
 * limit: alone, add_unwind shows one transient for the refused charge and
 * the others none; a counter found above the limit counts for every
 * variant that reads it first.
 */
static void p1_kunit_transients(struct kunit *test)
{
	unsigned int v = p1_param(test);
	struct p1_fix *f = p1_fix_new(test, v);
	u64 want = v == MMRACE_P1_ADD_UNWIND;

	atomic64_set(&f->p.model, 90);
	KUNIT_EXPECT_EQ(test, -ENOMEM, p1_fix_charge(f, 20, 100));
	KUNIT_EXPECT_EQ(test, want, f->t.cnt[MMRACE_P1_C_TRANSIENT]);
	f->t.cnt[MMRACE_P1_C_TRANSIENT] = 0;

	/* Another charge's transient seen: 150 is above the limit. */
	atomic64_set(&f->p.model, 150);
	KUNIT_EXPECT_EQ(test, -ENOMEM, p1_fix_charge(f, 1, 100));
	KUNIT_EXPECT_EQ(test, 150, atomic64_read(&f->p.model));
	KUNIT_EXPECT_EQ(test, v == MMRACE_P1_MUTEX ? 0 : 1,
			f->t.cnt[MMRACE_P1_C_TRANSIENT]);
}

/* A limit lowered below the counter refuses every charge, frees none. */
static void p1_kunit_limit_lowered(struct kunit *test)
{
	struct p1_fix *f = p1_fix_new(test, p1_param(test));

	KUNIT_EXPECT_EQ(test, 0, p1_fix_charge(f, 80, 100));
	KUNIT_EXPECT_EQ(test, -ENOMEM, p1_fix_charge(f, 1, 50));
	KUNIT_EXPECT_EQ(test, 80, atomic64_read(&f->p.model));
	KUNIT_EXPECT_EQ(test, 0, p1_fix_charge(f, 20, 200));
	KUNIT_EXPECT_EQ(test, 100, atomic64_read(&f->p.model));
}

static struct kunit_case p1_kunit_cases[] = {
	KUNIT_CASE_PARAM(p1_kunit_fill_to_limit, p1_variant_gen_params),
	KUNIT_CASE_PARAM(p1_kunit_transients, p1_variant_gen_params),
	KUNIT_CASE_PARAM(p1_kunit_limit_lowered, p1_variant_gen_params),
	{}
};

static struct kunit_suite p1_kunit_suite = {
	.name = "mmrace_p1_charge",
	.test_cases = p1_kunit_cases,
};

kunit_test_suites(&p1_kunit_suite);
