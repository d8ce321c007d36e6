// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of P2's reference-count lock states: the limited increment
 * that leaves room for the writer bit and the writer's "only me and the
 * attach reference" test, on a bare object (no cache, no threads). The
 * helpers are mmrace.ko's, exported to this module on a KUnit kernel.
 */
#include <kunit/test.h>

#include "p2_vmalock.h"

static void p2_kunit_inc_limited(struct kunit *test)
{
	struct p2_obj obj = {};
	int old;

	/* Detached (0): never revived by a reader. */
	atomic_set(&obj.refcnt, 0);
	KUNIT_EXPECT_FALSE(test, p2_inc_not_zero_limited(&obj, P2_REF_LIMIT, &old));
	KUNIT_EXPECT_EQ(test, 0, old);
	KUNIT_EXPECT_EQ(test, 0, atomic_read(&obj.refcnt));

	/* Attached (1): a reader gets in, then another. */
	atomic_set(&obj.refcnt, 1);
	KUNIT_EXPECT_TRUE(test, p2_inc_not_zero_limited(&obj, P2_REF_LIMIT, &old));
	KUNIT_EXPECT_EQ(test, 1, old);
	KUNIT_EXPECT_TRUE(test, p2_inc_not_zero_limited(&obj, P2_REF_LIMIT, &old));
	KUNIT_EXPECT_EQ(test, 3, atomic_read(&obj.refcnt));

	/* At the limit: refused, unchanged. */
	atomic_set(&obj.refcnt, P2_REF_LIMIT);
	KUNIT_EXPECT_FALSE(test, p2_inc_not_zero_limited(&obj, P2_REF_LIMIT, &old));
	KUNIT_EXPECT_EQ(test, P2_REF_LIMIT, atomic_read(&obj.refcnt));

	/* Write-locked (writer bit + attach ref): readers stay out. */
	atomic_set(&obj.refcnt, P2_LOCK_OFFSET + 1);
	KUNIT_EXPECT_FALSE(test, p2_inc_not_zero_limited(&obj, P2_REF_LIMIT, &old));
	KUNIT_EXPECT_FALSE(test, p2_inc_not_zero_limited(&obj, P2_REF_LIMIT_V6, &old));
	KUNIT_EXPECT_EQ(test, P2_LOCK_OFFSET + 1, atomic_read(&obj.refcnt));

	/* v6's limit is one lower: its last slot is refused. */
	atomic_set(&obj.refcnt, P2_REF_LIMIT_V6);
	KUNIT_EXPECT_FALSE(test, p2_inc_not_zero_limited(&obj, P2_REF_LIMIT_V6, &old));
	KUNIT_EXPECT_TRUE(test, p2_inc_not_zero_limited(&obj, P2_REF_LIMIT, &old));
}

static void p2_kunit_writer_only(struct kunit *test)
{
	/* The writer bit and the attach reference: no reader inside. */
	KUNIT_EXPECT_TRUE(test, p2_writer_only(P2_LOCK_OFFSET + 1));
	/* Detached under the writer: the bit alone. */
	KUNIT_EXPECT_TRUE(test, p2_writer_only(P2_LOCK_OFFSET));
	/* A transient reader still holds a reference. */
	KUNIT_EXPECT_FALSE(test, p2_writer_only(P2_LOCK_OFFSET + 2));
	/* No writer bit at all. */
	KUNIT_EXPECT_FALSE(test, p2_writer_only(1));
	KUNIT_EXPECT_FALSE(test, p2_writer_only(0));
}

static struct kunit_case p2_kunit_cases[] = {
	KUNIT_CASE(p2_kunit_inc_limited),
	KUNIT_CASE(p2_kunit_writer_only),
	{}
};

static struct kunit_suite p2_kunit_suite = {
	.name = "mmrace_p2_refcnt",
	.test_cases = p2_kunit_cases,
};

kunit_test_suites(&p2_kunit_suite);
