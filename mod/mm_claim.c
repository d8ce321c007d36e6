// SPDX-License-Identifier: GPL-2.0
/*
 * mmrace: mms shared by a device's interval notifier (P5's device half)
 * and P3's real subscribers, whose failing non-blocking start together
 * with an interval tree allows the interval-notifier hang
 * (Documentation/patterns/p3_mmunotif.rst). A service of those two
 * device halves; the core knows nothing of it.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "mm_claim.h"

/*
 * One mm a device (P5's interval notifier) or P3's real subscribers (B's
 * failing non-blocking start) use, from any open file. The entry holds
 * the mm grabbed: once an interval notifier was inserted, the mm's
 * interval tree stays in every invalidation (the kernel never clears
 * has_itree), so B stays refused on that mm until the mm is gone.
 */
struct mmrace_mm_claim {
	struct list_head node;
	struct mm_struct *mm;
	unsigned int users[MMRACE_MM_NR_USES];
	bool had_itree;
};

static LIST_HEAD(mmrace_mm_claims);
static DEFINE_MUTEX(mmrace_mm_claims_lock);

static void mmrace_mm_claim_free(struct mmrace_mm_claim *c)
{
	list_del(&c->node);
	mmdrop(c->mm);
	kfree(c);
}

/*
 * Find @mm's entry; drop, on the way, entries no file uses any more whose
 * mm has exited (nothing can be registered or inserted there again).
 */
static struct mmrace_mm_claim *mmrace_mm_claim_find(struct mm_struct *mm)
{
	struct mmrace_mm_claim *c, *tmp, *found = NULL;

	list_for_each_entry_safe(c, tmp, &mmrace_mm_claims, node) {
		if (c->mm == mm)
			found = c;
		else if (!c->users[MMRACE_MM_ITREE] &&
			 !c->users[MMRACE_MM_FAILING_HLIST] &&
			 !atomic_read(&c->mm->mm_users))
			mmrace_mm_claim_free(c);
	}
	return found;
}

/**
 * mmrace_mm_claim() - record a use of @mm that the interval-notifier hang
 *	needs, refusing the second kind unless the caller opts in
 * @mm: the opener's mm (grabbed by the caller's file)
 * @use: MMRACE_MM_ITREE or MMRACE_MM_FAILING_HLIST
 * @allow_hang: the caller set its ioctl's ALLOW_ITREE_HANG flag
 *
 * An mm with both an mmu_interval_notifier and an hlist subscriber whose
 * non-blocking start fails can be left with its interval tree's
 * invalidation unended by a reap; every mmu_interval_read_begin() and
 * mmu_interval_notifier_remove() on it then waits forever, the caller in
 * D state and the module pinned (patterns/p3_mmunotif, found by this
 * project). The interval tree counts in every invalidation of an mm that
 * ever had an interval notifier, so a failing subscriber is refused on
 * such an mm for as long as it lives, a device only while a failing
 * subscriber is registered. Only the throw-away guests of the hang checks
 * opt in.
 *
 * Return: 0, -EDEADLK when @mm has (or, for a failing subscriber, had)
 * the other use and @allow_hang is false, -ENOMEM.
 */
int mmrace_mm_claim(struct mm_struct *mm, enum mmrace_mm_use use,
		    bool allow_hang)
{
	struct mmrace_mm_claim *c;
	bool other;
	int ret = 0;

	BUILD_BUG_ON(MMRACE_MM_NR_USES != 2);
	mutex_lock(&mmrace_mm_claims_lock);
	c = mmrace_mm_claim_find(mm);
	other = c && (c->users[!use] ||
		      (use == MMRACE_MM_FAILING_HLIST && c->had_itree));
	if (other && !allow_hang) {
		ret = -EDEADLK;
		goto out;
	}
	if (!c) {
		c = kzalloc_obj(*c, GFP_KERNEL);
		if (!c) {
			ret = -ENOMEM;
			goto out;
		}
		mmgrab(mm);
		c->mm = mm;
		list_add(&c->node, &mmrace_mm_claims);
	}
	c->users[use]++;
	if (use == MMRACE_MM_ITREE)
		c->had_itree = true;
out:
	mutex_unlock(&mmrace_mm_claims_lock);
	return ret;
}

/**
 * mmrace_mm_unclaim() - drop a use recorded by mmrace_mm_claim()
 * @mm: the mm
 * @use: the use claimed
 *
 * The entry stays while the mm had an interval notifier (see above).
 */
void mmrace_mm_unclaim(struct mm_struct *mm, enum mmrace_mm_use use)
{
	struct mmrace_mm_claim *c;

	mutex_lock(&mmrace_mm_claims_lock);
	c = mmrace_mm_claim_find(mm);
	if (!WARN_ON_ONCE(!c || !c->users[use]) && !--c->users[use] &&
	    !c->users[!use] && !c->had_itree)
		mmrace_mm_claim_free(c);
	mutex_unlock(&mmrace_mm_claims_lock);
}

/**
 * mmrace_mm_claims_exit() - drop every entry, at module unload
 *
 * No file is open any more, so no use is left: only the entries kept for
 * an mm that had an interval notifier remain. Called by P5's device half,
 * the one that makes such entries, from its &mmrace_device.exit.
 */
void mmrace_mm_claims_exit(void)
{
	struct mmrace_mm_claim *c, *tmp;

	list_for_each_entry_safe(c, tmp, &mmrace_mm_claims, node)
		mmrace_mm_claim_free(c);
}
