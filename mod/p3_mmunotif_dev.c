// SPDX-License-Identifier: GPL-2.0
/*
 * P3's real half: two real mmu_notifier subscribers on the opener's mm,
 * registered through /dev/mmrace, that count what the kernel does to them.
 *
 * A has start and end and never fails (KVM's shape: an in-progress count
 * up in start, down in end). B has only start (a subscriber that can fail
 * may not have an end): when user space marked it busy, a non-blockable
 * start fails with -EAGAIN (RDMA ODP's mutex_trylock). The OOM reaper and
 * process_mrelease(2) invalidate with non-blockable ranges; whether A's
 * count comes back to zero after B failed is what the seed was about.
 *
 * A thread of the opener can sleep, uninterruptibly and for a bounded
 * time, in MMRACE_IOC_NOTIF_CTL: SIGKILL does not end it, so the killed
 * process keeps its mm and process_mrelease() can reap it on demand.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mmu_notifier.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "mm_claim.h"
#include "mmrace.h"
#include "p3_mmunotif.h"

/**
 * struct mmrace_notif - the real subscribers of one open file
 * @a: subscriber A (start and end)
 * @b: subscriber B (start only; fails non-blockable starts when busy)
 * @mm: the mm they are registered on
 * @registered: both are registered (cleared by the unregister ioctl)
 * @b_busy: B's "device" is busy
 * @wake_gen: bumped to wake the sleepers
 * @sleep_wq: where the sleepers sleep
 * @a_starts: counters, see struct mmrace_notif_ctl
 * @a_ends: see struct mmrace_notif_ctl
 * @a_nonblock: see struct mmrace_notif_ctl
 * @a_active: see struct mmrace_notif_ctl
 * @a_released: see struct mmrace_notif_ctl
 * @b_starts: see struct mmrace_notif_ctl
 * @b_nonblock: see struct mmrace_notif_ctl
 * @b_eagain: see struct mmrace_notif_ctl
 * @b_released: see struct mmrace_notif_ctl
 * @sleepers: see struct mmrace_notif_ctl
 */
struct mmrace_notif {
	struct mmu_notifier a;
	struct mmu_notifier b;
	struct mm_struct *mm;
	bool registered;
	int b_busy;
	atomic_t wake_gen;
	wait_queue_head_t sleep_wq;
	atomic64_t a_starts;
	atomic64_t a_ends;
	atomic64_t a_nonblock;
	atomic64_t a_active;
	atomic_t a_released;
	atomic64_t b_starts;
	atomic64_t b_nonblock;
	atomic64_t b_eagain;
	atomic_t b_released;
	atomic_t sleepers;
};

static int notif_a_start(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	struct mmrace_notif *n = container_of(mn, struct mmrace_notif, a);

	atomic64_inc(&n->a_starts);
	atomic64_inc(&n->a_active);
	if (!mmu_notifier_range_blockable(range))
		atomic64_inc(&n->a_nonblock);
	return 0;
}

static void notif_a_end(struct mmu_notifier *mn,
			const struct mmu_notifier_range *range)
{
	struct mmrace_notif *n = container_of(mn, struct mmrace_notif, a);

	atomic64_inc(&n->a_ends);
	atomic64_dec(&n->a_active);
}

static void notif_a_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct mmrace_notif *n = container_of(mn, struct mmrace_notif, a);

	atomic_set(&n->a_released, 1);
}

static int notif_b_start(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	struct mmrace_notif *n = container_of(mn, struct mmrace_notif, b);

	atomic64_inc(&n->b_starts);
	if (mmu_notifier_range_blockable(range))
		return 0;
	atomic64_inc(&n->b_nonblock);
	if (READ_ONCE(n->b_busy)) {
		atomic64_inc(&n->b_eagain);
		return -EAGAIN;
	}
	return 0;
}

static void notif_b_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct mmrace_notif *n = container_of(mn, struct mmrace_notif, b);

	atomic_set(&n->b_released, 1);
}

static const struct mmu_notifier_ops notif_a_ops = {
	.release = notif_a_release,
	.invalidate_range_start = notif_a_start,
	.invalidate_range_end = notif_a_end,
};

static const struct mmu_notifier_ops notif_b_ops = {
	.release = notif_b_release,
	.invalidate_range_start = notif_b_start,
};

/* The slot of the file's subscribers (its P3 per-open state). */
static void **notif_slot(struct mmrace_file *mf)
{
	return mmrace_file_state(mf, MMRACE_P3_MMUNOTIF);
}

static int mmrace_ioc_notif_register(struct mmrace_file *mf, void *arg)
{
	struct mmrace_notif_register *req = arg;
	struct mmrace_notif *n;
	int ret;

	if (req->order > MMRACE_NOTIF_B_FIRST ||
	    req->flags & ~MMRACE_NOTIF_FLAGS)
		return -EINVAL;
	ret = mmrace_caller_is_opener(mf);
	if (ret)
		return ret;
	if (*notif_slot(mf))
		return -EBUSY;
	n = kzalloc_obj(*n, GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	ret = mmrace_mm_claim(mf->mm, MMRACE_MM_FAILING_HLIST,
			      req->flags & MMRACE_NOTIF_ALLOW_ITREE_HANG);
	if (ret) {
		kfree(n);
		return ret;
	}
	n->a.ops = &notif_a_ops;
	n->b.ops = &notif_b_ops;
	n->mm = mf->mm;
	init_waitqueue_head(&n->sleep_wq);

	/* The newest subscriber runs first. */
	ret = mmu_notifier_register(req->order ? &n->a : &n->b, n->mm);
	if (ret)
		goto err;
	ret = mmu_notifier_register(req->order ? &n->b : &n->a, n->mm);
	if (ret) {
		mmu_notifier_unregister(req->order ? &n->a : &n->b, n->mm);
		goto err;
	}
	n->registered = true;
	/* Published for the unlocked MMRACE_IOC_NOTIF_CTL. */
	smp_store_release(notif_slot(mf), n);
	return 0;
err:
	mmrace_mm_unclaim(mf->mm, MMRACE_MM_FAILING_HLIST);
	kfree(n);
	return ret;
}

static int mmrace_ioc_notif_ctl(struct mmrace_file *mf, void *arg)
{
	/* Acquire: pairs with the release in mmrace_ioc_notif_register(). */
	struct mmrace_notif *n = smp_load_acquire(notif_slot(mf));
	struct mmrace_notif_ctl *c = arg;
	u64 b_busy = c->b_busy, sleep_ms = c->sleep_ms, wake = c->wake;
	long left = 0;

	if (!n)
		return -ENOENT;
	if (b_busy > MMRACE_NOTIF_KEEP || wake > 1 ||
	    sleep_ms > MMRACE_NOTIF_MAX_SLEEP_MS || (wake && sleep_ms))
		return -EINVAL;
	if (b_busy != MMRACE_NOTIF_KEEP)
		WRITE_ONCE(n->b_busy, b_busy);
	if (wake) {
		atomic_inc(&n->wake_gen);
		wake_up_all(&n->sleep_wq);
	}
	if (sleep_ms) {
		int gen = atomic_read(&n->wake_gen);

		/*
		 * Uninterruptible on purpose: SIGKILL must not end it (a
		 * killed task that stays in the kernel). TASK_IDLE: not a
		 * hung task, and bounded well below the detector's timeout.
		 */
		atomic_inc(&n->sleepers);
		left = wait_event_idle_timeout(n->sleep_wq,
					       atomic_read(&n->wake_gen) != gen,
					       msecs_to_jiffies(sleep_ms));
		atomic_dec(&n->sleepers);
	}

	memset(c, 0, sizeof(*c));
	c->b_busy = READ_ONCE(n->b_busy);
	c->woken = left > 0;
	c->a_starts = atomic64_read(&n->a_starts);
	c->a_ends = atomic64_read(&n->a_ends);
	c->a_nonblock = atomic64_read(&n->a_nonblock);
	c->a_active = atomic64_read(&n->a_active);
	c->a_released = atomic_read(&n->a_released);
	c->b_starts = atomic64_read(&n->b_starts);
	c->b_nonblock = atomic64_read(&n->b_nonblock);
	c->b_eagain = atomic64_read(&n->b_eagain);
	c->b_released = atomic_read(&n->b_released);
	c->sleepers = atomic_read(&n->sleepers);
	c->mm_oom_skip = mmrace_mm_flag(n->mm, MMF_OOM_SKIP);
	c->mm_unstable = mmrace_mm_flag(n->mm, MMF_UNSTABLE);
	return 0;
}

/*
 * Unregister both subscribers; the kernel calls their release if the mm
 * did not already, and waits for callbacks in flight. The struct stays:
 * the unlocked NOTIF_CTL may be reading it; it goes with the file.
 */
static void mmrace_notif_unregister(struct mmrace_notif *n)
{
	mmu_notifier_unregister(&n->a, n->mm);
	mmu_notifier_unregister(&n->b, n->mm);
	n->registered = false;
	mmrace_mm_unclaim(n->mm, MMRACE_MM_FAILING_HLIST);
}

static int mmrace_ioc_notif_unregister(struct mmrace_file *mf, void *arg)
{
	struct mmrace_notif_register *req = arg;
	struct mmrace_notif *n = *notif_slot(mf);

	if (req->order || req->flags)
		return -EINVAL;
	if (!n || !n->registered)
		return -ENOENT;
	mmrace_notif_unregister(n);
	return 0;
}

/* The file is closed: nobody sleeps in it (an ioctl holds the file). */
static void mmrace_notif_release(struct mmrace_file *mf)
{
	struct mmrace_notif *n = *notif_slot(mf);

	if (!n)
		return;
	if (n->registered)
		mmrace_notif_unregister(n);
	kfree(n);
	*notif_slot(mf) = NULL;
}

static const struct mmrace_ioctl mmrace_p3_ioctls[] = {
	MMRACE_IOCTL(MMRACE_IOC_NOTIF_REGISTER, struct mmrace_notif_register,
		     order, mmrace_ioc_notif_register, MMRACE_IOF_OPENER_MM),
	MMRACE_IOCTL(MMRACE_IOC_NOTIF_CTL, struct mmrace_notif_ctl,
		     mm_unstable, mmrace_ioc_notif_ctl,
		     MMRACE_IOF_OPENER_MM | MMRACE_IOF_UNLOCKED),
	MMRACE_IOCTL(MMRACE_IOC_NOTIF_UNREGISTER, struct mmrace_notif_register,
		     order, mmrace_ioc_notif_unregister, MMRACE_IOF_OPENER_MM),
};

const struct mmrace_device mmrace_p3_mmunotif_dev = {
	.ioctls = mmrace_p3_ioctls,
	.nr_ioctls = ARRAY_SIZE(mmrace_p3_ioctls),
	.release = mmrace_notif_release,
};

