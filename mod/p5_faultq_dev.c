// SPDX-License-Identifier: GPL-2.0
/*
 * P5's real half: a fake device per open of /dev/mmrace with a page-fault
 * queue served by work items bound to CPUs, a mirror of the pages it
 * faulted, kept coherent by an mmu_interval_notifier with the
 * sequence-retry loop (as lib/test_hmm.c does), and the variants of P5
 * deciding what a queued fault does when the mm is dying.
 *
 * The device holds the opener's mm with mmgrab() only (through the file);
 * mm_users is taken per fault (racy_check, mmget, owner_check), for the
 * whole queue (no_check, whose point is to show what that costs), or per
 * queued fault from its submit until after it ran (last_put_in_worker,
 * put_async: the gift, KVM's async #PF before 6.9), dropped by the work
 * item, which then runs the mm's teardown when its put is the last.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "mm_claim.h"
#include "mmrace.h"
#include "p5_faultq.h"

/* Tries of one fault that keeps racing invalidations. */
#define FQ_MAX_TRIES		16
/*
 * Mirrored pages a non-blockable invalidation (the OOM reaper's,
 * process_mrelease()'s) drops before it gives up: it may neither sleep
 * nor reschedule, and the mirror can hold MMRACE_FAULTQ_MAX_PENDING pages.
 * 16,384 erases and puts are a few ms on hardware, tens of ms in a KASAN
 * guest under TCG (no RCU stall or soft lockup is near); the OOM reaper's
 * 10 tries drop 163,840 pages of one mapping before it gives up on it
 * ("unable to reap") and leaves the rest to exit_mmap().
 */
#define FQ_NONBLOCK_PAGES	16384
/*
 * Gifted references (one mm_users reference per queued fault) all devices
 * hold at once: mm_users is an int, and one file alone may queue
 * MMRACE_FAULTQ_MAX_PENDING faults; a submit past this budget gets
 * -ENOSPC, so that no number of open files brings mm_users near overflow.
 */
#define FQ_MAX_GIFTS		(4L * 1024 * 1024)

static atomic_long_t fq_gifts;

static struct workqueue_struct *mmrace_fq_wq;

/* One storm: @nr faults from @addr, @stride apart. */
struct fq_storm {
	struct list_head node;
	unsigned long addr;
	unsigned long stride;
	unsigned long nr;
	unsigned long next;
	bool write;
};

struct fq_worker {
	struct work_struct work;
	struct mmrace_faultq *fq;
	int cpu;
};

struct mmrace_faultq;

/**
 * struct fq_variant - what a variant's device fault does
 * @real: the device runs it (hint_only and put_deferred are the model's
 *	only: submit refuses them)
 * @peek: the check before the fault, or NULL; true: it dropped the fault
 *	(counted in aborted_early)
 * @fault_ref: mmget_not_zero() before each fault, mmput() after it
 * @queue_ref: the queue holds one mm_users reference while faults pend
 * @item_put: each queued fault holds an mm_users reference from its
 *	submit on (the gift), which the work item drops with this right
 *	after the fault; or NULL
 */
struct fq_variant {
	bool real;
	bool (*peek)(struct mmrace_faultq *fq);
	bool fault_ref;
	bool queue_ref;
	void (*item_put)(struct mm_struct *mm);
};

/**
 * struct mmrace_faultq - the fake device of one open file
 * @mm: the opener's mm (the file holds the mmgrab)
 * @opener: the opener's thread group, for owner_check
 * @variant: &enum mmrace_p5_variant
 * @ops: the variant's row of fq_variants
 * @nr_workers: work items serving the queue
 * @workers: the work items
 * @notifier: covers the opener's whole address space
 * @mirror_lock: serialises the mirror against invalidations
 * @mirror: address >> PAGE_SHIFT -> the faulted page (a reference held)
 * @lock: protects the storms, @queue_ref and the mark
 * @storms: pending storms, oldest first
 * @queue_ref: no_check: an mm_users reference held while faults pend
 * @closing: the file is being released: drop what is pending
 * @released: exit_mmap released the mm (MMU_NOTIFY_RELEASE)
 * @self_wait: see struct mmrace_faultq_stats
 * @release_in_kworker: see struct mmrace_faultq_stats
 * @wait: woken when the queue drains
 * @mark_ns: ktime of the kill mark, 0 if none
 * @release_ns: ktime of the release, 0 if none
 * @drain_ns: ktime the queue last drained after the mark, 0 if none
 * @processed_at_mark: faults processed when the mark was set
 * @submitted: counters, see struct mmrace_faultq_stats
 * @done: faults finished in any way
 * @processed: see struct mmrace_faultq_stats
 * @aborted_early: see struct mmrace_faultq_stats
 * @aborted_late: see struct mmrace_faultq_stats
 * @errors: see struct mmrace_faultq_stats
 * @retried: see struct mmrace_faultq_stats
 * @false_abort: see struct mmrace_faultq_stats
 * @abort_exiting: see struct mmrace_faultq_stats
 * @ref_lock: owner_check: serialises this device's workers' taking and
 *	dropping of mm_users references, so that @mm_refs is exact
 * @mm_refs: owner_check: mm_users references this device's workers hold
 * @after_exit: see struct mmrace_faultq_stats
 * @invalidations: see struct mmrace_faultq_stats
 * @mirrored: see struct mmrace_faultq_stats
 */
struct mmrace_faultq {
	struct mm_struct *mm;
	struct pid *opener;
	u32 variant;
	const struct fq_variant *ops;
	unsigned int nr_workers;
	struct fq_worker *workers;
	struct mmu_interval_notifier notifier;
	struct mutex mirror_lock;	/* mirror vs invalidations */
	struct xarray mirror;
	spinlock_t lock;		/* storms, queue_ref, mark */
	struct list_head storms;
	bool queue_ref;
	bool closing;
	bool released;
	bool self_wait;
	bool release_in_kworker;
	wait_queue_head_t wait;
	u64 mark_ns;
	u64 release_ns;
	u64 drain_ns;
	u64 processed_at_mark;
	atomic64_t submitted;
	atomic64_t done;
	atomic64_t processed;
	atomic64_t aborted_early;
	atomic64_t aborted_late;
	atomic64_t errors;
	atomic64_t retried;
	atomic64_t false_abort;
	atomic64_t abort_exiting;
	struct mutex ref_lock;	/* owner_check: @mm_refs exact */
	unsigned int mm_refs;
	atomic64_t after_exit;
	atomic64_t invalidations;
	atomic64_t mirrored;
};

/* Whether the variant gives each queued fault a reference. */
static bool fq_gifted(const struct mmrace_faultq *fq)
{
	return fq->ops->item_put;
}

/*
 * The mm's release, in the context that runs it. amdkfd's release flushed
 * the work that dropped the process's last reference (fa582c6f3684,
 * 6225bb3a88d2): run from one of this device's work items, its flush
 * would wait for itself for ever. This device never flushes here; it
 * counts the place. Another kworker is mmput_async()'s system_wq.
 */
static void fq_release_context(struct mmrace_faultq *fq)
{
	struct work_struct *work = current_work();
	unsigned int i;

	if (!fq_gifted(fq))
		return;
	for (i = 0; i < fq->nr_workers; i++) {
		if (work == &fq->workers[i].work) {
			fq->self_wait = true;
			return;
		}
	}
	if (current->flags & PF_WQ_WORKER)
		fq->release_in_kworker = true;
}

/*
 * Drop the mirror's pages in the range. A non-blockable range drops
 * FQ_NONBLOCK_PAGES at most and fails when more are left, as when the
 * mutex is busy: the kernel then ends the invalidation itself (a fault
 * that raced it retries on the sequence set here), its caller skips the
 * VMA with -EAGAIN, and each later try drops FQ_NONBLOCK_PAGES more. The
 * OOM reaper tries 10 times, HZ/10 apart, then leaves the mm to its
 * exit_mmap(); process_mrelease() returns -EAGAIN. Blockable ranges
 * (exit_mmap()'s, munmap()'s) drop everything, rescheduling as they go.
 */
static bool fq_invalidate(struct mmu_interval_notifier *sub,
			  const struct mmu_notifier_range *range,
			  unsigned long cur_seq)
{
	struct mmrace_faultq *fq = container_of(sub, struct mmrace_faultq,
						notifier);
	bool blockable = mmu_notifier_range_blockable(range);
	unsigned long first = range->start >> PAGE_SHIFT;
	unsigned long last = (range->end - 1) >> PAGE_SHIFT;
	unsigned int dropped = 0;
	unsigned long idx;
	struct page *page;
	bool done = true;

	if (blockable)
		mutex_lock(&fq->mirror_lock);
	else if (!mutex_trylock(&fq->mirror_lock))
		return false;
	mmu_interval_set_seq(sub, cur_seq);
	if (range->event == MMU_NOTIFY_RELEASE && !fq->released) {
		WRITE_ONCE(fq->released, true);
		fq->release_ns = ktime_get_ns();
		fq_release_context(fq);
	}
	xa_for_each_range(&fq->mirror, idx, page, first, last) {
		if (!blockable && dropped == FQ_NONBLOCK_PAGES) {
			done = false;
			break;
		}
		xa_erase(&fq->mirror, idx);
		put_page(page);
		atomic64_dec(&fq->mirrored);
		dropped++;
		if (blockable)
			cond_resched();
	}
	if (done)
		atomic64_inc(&fq->invalidations);
	mutex_unlock(&fq->mirror_lock);
	return done;
}

static const struct mmu_interval_notifier_ops fq_notifier_ops = {
	.invalidate = fq_invalidate,
};

static long fq_gup(struct mm_struct *mm, unsigned long addr, bool write,
		   struct page **page)
{
	unsigned int flags = write ? FOLL_WRITE : 0;

#ifdef MMRACE_GUP_REMOTE_HAS_VMAS
	return get_user_pages_remote(mm, addr, 1, flags, page, NULL, NULL);
#else
	return get_user_pages_remote(mm, addr, 1, flags, page, NULL);
#endif
}

/*
 * Resolve one fault and mirror the page, retrying when an invalidation
 * raced it. The caller keeps mm_users raised.
 */
static int fq_resolve(struct mmrace_faultq *fq, unsigned long addr,
		      bool write)
{
	unsigned long seq;
	struct page *page;
	void *old;
	int tries;
	long ret;

	for (tries = 0; tries < FQ_MAX_TRIES; tries++) {
		seq = mmu_interval_read_begin(&fq->notifier);
		mmap_read_lock(fq->mm);
		ret = fq_gup(fq->mm, addr, write, &page);
		mmap_read_unlock(fq->mm);
		if (ret != 1)
			return ret < 0 ? ret : -EFAULT;

		mutex_lock(&fq->mirror_lock);
		/* mm_users is held: exit_mmap cannot have begun. */
		if (READ_ONCE(fq->released))
			atomic64_inc(&fq->after_exit);
		if (mmu_interval_read_retry(&fq->notifier, seq)) {
			mutex_unlock(&fq->mirror_lock);
			put_page(page);
			atomic64_inc(&fq->retried);
			continue;
		}
		/* No sleeping allocation under a lock invalidations take. */
		old = xa_store(&fq->mirror, addr >> PAGE_SHIFT, page,
			       GFP_NOWAIT | __GFP_NOWARN);
		if (xa_is_err(old)) {
			mutex_unlock(&fq->mirror_lock);
			put_page(page);
			return xa_err(old);
		}
		if (old)
			put_page(old);
		else
			atomic64_inc(&fq->mirrored);
		mutex_unlock(&fq->mirror_lock);
		return 0;
	}
	return -EBUSY;
}

enum fq_owner { FQ_OWNER_ALIVE, FQ_OWNER_EXITING, FQ_OWNER_GONE };

/*
 * owner_check's peek: is the opener's process alive, dying (killed, not
 * yet reaped: its own mm_users reference may still be held, even after
 * exit_mm() cleared task->mm and before its mmput()), or gone?
 */
static enum fq_owner fq_owner_state(struct mmrace_faultq *fq)
{
	struct task_struct *task;
	enum fq_owner state = FQ_OWNER_GONE;

	rcu_read_lock();
	task = pid_task(fq->opener, PIDTYPE_TGID);
	if (task && !(task->flags & PF_EXITING) && !fatal_signal_pending(task))
		state = FQ_OWNER_ALIVE;
	else if (task)
		state = FQ_OWNER_EXITING;
	rcu_read_unlock();
	return state;
}

/*
 * A worker's mm_users reference around a fault: mmget_not_zero() and
 * mmput(), counted exactly in mm_refs for owner_check (whose false-abort
 * test subtracts this device's own references from the mm's users).
 */
static bool fq_mmget(struct mmrace_faultq *fq)
{
	bool ok;

	if (fq->variant != MMRACE_P5_OWNER_CHECK)
		return mmget_not_zero(fq->mm);
	mutex_lock(&fq->ref_lock);
	ok = mmget_not_zero(fq->mm);
	fq->mm_refs += ok;
	mutex_unlock(&fq->ref_lock);
	return ok;
}

static void fq_mmput(struct mmrace_faultq *fq)
{
	if (fq->variant != MMRACE_P5_OWNER_CHECK) {
		mmput(fq->mm);
		return;
	}
	mutex_lock(&fq->ref_lock);
	fq->mm_refs--;
	mmput(fq->mm);
	mutex_unlock(&fq->ref_lock);
}

/* racy_check's peek: mm_users at zero, or the OOM reaper done with it. */
static bool fq_peek_dying(struct mmrace_faultq *fq)
{
	return !atomic_read(&fq->mm->mm_users) ||
	       mmrace_mm_flag(fq->mm, MMF_OOM_SKIP);
}

/* owner_check's peek: the owner task is dying or gone. */
static bool fq_peek_owner(struct mmrace_faultq *fq)
{
	struct mm_struct *mm = fq->mm;
	enum fq_owner owner = fq_owner_state(fq);

	if (owner == FQ_OWNER_ALIVE)
		return false;
	/*
	 * Was the mm alive? While the owner dies, for its own exit as far
	 * as this peek can tell (a right abort); once it is reaped, for
	 * someone else than this device's workers (a CLONE_VM sibling: a
	 * wrong one).
	 */
	mutex_lock(&fq->ref_lock);
	if (mmget_not_zero(mm)) {
		if (owner == FQ_OWNER_EXITING)
			atomic64_inc(&fq->abort_exiting);
		else if (atomic_read(&mm->mm_users) > fq->mm_refs + 1)
			atomic64_inc(&fq->false_abort);
		mmput(mm);
	}
	mutex_unlock(&fq->ref_lock);
	return true;
}

/*
 * The variants the device runs, one row each (a variant without a row is
 * the model's only). no_check: the queue's reference keeps the mm alive;
 * last_put_in_worker and put_async: the fault's own.
 */
static const struct fq_variant fq_variants[MMRACE_P5_NR_VARIANTS] = {
	[MMRACE_P5_NO_CHECK] = { .real = true, .queue_ref = true },
	[MMRACE_P5_RACY_CHECK] = { .real = true, .peek = fq_peek_dying,
				   .fault_ref = true },
	[MMRACE_P5_MMGET] = { .real = true, .fault_ref = true },
	[MMRACE_P5_OWNER_CHECK] = { .real = true, .peek = fq_peek_owner,
				    .fault_ref = true },
	[MMRACE_P5_LAST_PUT_IN_WORKER] = { .real = true, .item_put = mmput },
	[MMRACE_P5_PUT_ASYNC] = { .real = true, .item_put = mmput_async },
};

static void fq_fault(struct mmrace_faultq *fq, unsigned long addr, bool write)
{
	const struct fq_variant *v = fq->ops;
	bool ref = v->fault_ref;
	int ret;

	if (v->peek && v->peek(fq)) {
		atomic64_inc(&fq->aborted_early);
		return;
	}
	if (ref && !fq_mmget(fq)) {
		atomic64_inc(&fq->aborted_late);
		return;
	}
	ret = fq_resolve(fq, addr, write);
	if (ref)
		fq_mmput(fq);
	if (ret)
		atomic64_inc(&fq->errors);
	else
		atomic64_inc(&fq->processed);
}

/*
 * A gifted variant: drop the fault's own reference, before fq_done() (a
 * drained queue has dropped every gift). The last one runs the mm's
 * teardown here, inside the work (mmput), or hands it to system_wq
 * (mmput_async). No lock is held.
 */
static void fq_item_put(struct mmrace_faultq *fq)
{
	if (!fq->ops->item_put)
		return;
	fq->ops->item_put(fq->mm);
	atomic_long_dec(&fq_gifts);
}

/* Drop @nr gifts of faults that will never run, the variant's way. */
static void fq_item_put_many(struct mmrace_faultq *fq, unsigned long nr)
{
	unsigned long i;

	if (!fq_gifted(fq))
		return;
	for (i = 0; i < nr; i++) {
		fq_item_put(fq);
		if (!((i + 1) % 1024))
			cond_resched();
	}
}

/* Take the next pending fault; false when none is left. */
static bool fq_pop(struct mmrace_faultq *fq, unsigned long *addr,
		   bool *write)
{
	struct fq_storm *s;
	bool found = false;

	spin_lock(&fq->lock);
	s = list_first_entry_or_null(&fq->storms, struct fq_storm, node);
	if (s) {
		*addr = s->addr + s->next * s->stride;
		*write = s->write;
		found = true;
		if (++s->next == s->nr) {
			list_del(&s->node);
			kfree(s);
		}
	}
	spin_unlock(&fq->lock);
	return found;
}

/* One fault finished: account it, and wake waiters when the queue drained. */
static void fq_done(struct mmrace_faultq *fq)
{
	bool drop = false;

	spin_lock(&fq->lock);
	if (atomic64_inc_return(&fq->done) == atomic64_read(&fq->submitted)) {
		if (fq->mark_ns && !fq->drain_ns)
			fq->drain_ns = ktime_get_ns();
		drop = fq->queue_ref;
		fq->queue_ref = false;
	}
	spin_unlock(&fq->lock);
	if (drop)
		mmput(fq->mm);
	if (drop || atomic64_read(&fq->done) == atomic64_read(&fq->submitted))
		wake_up_all(&fq->wait);
}

static void fq_work(struct work_struct *work)
{
	struct fq_worker *w = container_of(work, struct fq_worker, work);
	struct mmrace_faultq *fq = w->fq;
	unsigned long addr;
	bool write;

	while (fq_pop(fq, &addr, &write)) {
		if (READ_ONCE(fq->closing))
			atomic64_inc(&fq->aborted_late);
		else
			fq_fault(fq, addr, write);
		fq_item_put(fq);
		fq_done(fq);
		cond_resched();
	}
}

static struct mmrace_faultq *fq_create(struct mmrace_file *mf, u64 variant,
				       u64 workers, bool allow_hang)
{
	struct mmrace_faultq *fq;
	unsigned int i;
	int cpu = -1;
	int ret;

	fq = kzalloc_obj(*fq, GFP_KERNEL);
	if (!fq)
		return ERR_PTR(-ENOMEM);
	fq->nr_workers = workers ?: 1;
	fq->workers = kcalloc(fq->nr_workers, sizeof(*fq->workers),
			      GFP_KERNEL);
	if (!fq->workers) {
		kfree(fq);
		return ERR_PTR(-ENOMEM);
	}
	fq->mm = mf->mm;
	fq->opener = get_pid(mf->opener);
	fq->variant = variant;
	fq->ops = &fq_variants[variant];
	mutex_init(&fq->mirror_lock);
	mutex_init(&fq->ref_lock);
	xa_init(&fq->mirror);
	spin_lock_init(&fq->lock);
	INIT_LIST_HEAD(&fq->storms);
	init_waitqueue_head(&fq->wait);
	for (i = 0; i < fq->nr_workers; i++) {
		cpu = mmrace_next_cpu(cpu);
		fq->workers[i].fq = fq;
		fq->workers[i].cpu = cpu;
		INIT_WORK(&fq->workers[i].work, fq_work);
	}

	ret = mmrace_mm_claim(fq->mm, MMRACE_MM_ITREE, allow_hang);
	if (ret)
		goto err;
	/*
	 * Inserting needs mm_users; the opener may be anyone's mm now. The
	 * interval covers the opener's address space, whatever the size of
	 * the submitter's (a 32-bit holder of a 64-bit opener's file).
	 */
	ret = -ESRCH;
	if (mmget_not_zero(fq->mm)) {
		ret = mmu_interval_notifier_insert(&fq->notifier, fq->mm, 0,
						   fq->mm->task_size,
						   &fq_notifier_ops);
		mmput(fq->mm);
	}
	if (ret)
		goto err_unclaim;
	return fq;
err_unclaim:
	mmrace_mm_unclaim(fq->mm, MMRACE_MM_ITREE);
err:
	put_pid(fq->opener);
	mutex_destroy(&fq->mirror_lock);
	mutex_destroy(&fq->ref_lock);
	kfree(fq->workers);
	kfree(fq);
	return ERR_PTR(ret);
}

/* The file's device (its P5 per-open state), or NULL before a submit. */
static struct mmrace_faultq *fq_of(struct mmrace_file *mf)
{
	return *mmrace_file_state(mf, MMRACE_P5_FAULTQ);
}

static int mmrace_ioc_faultq_submit(struct mmrace_file *mf, void *arg)
{
	struct mmrace_faultq_submit *req = arg;
	struct mmrace_faultq *fq = fq_of(mf);
	unsigned long stride = req->stride ?: PAGE_SIZE;
	unsigned long size = mf->mm->task_size, span;
	struct fq_storm *s;
	bool need_ref;
	unsigned int i;

	if (req->variant >= MMRACE_P5_NR_VARIANTS ||
	    !fq_variants[req->variant].real ||
	    req->flags & ~MMRACE_FAULTQ_FLAGS ||
	    !req->nr || req->nr > MMRACE_FAULTQ_MAX_SUBMIT ||
	    stride > size || req->workers > num_online_cpus())
		return -EINVAL;
	if (fq && (req->variant != fq->variant ||
		   (req->workers && req->workers != fq->nr_workers)))
		return -EINVAL;
	/*
	 * The last fault's offset, which can overflow 64 bits (a 57-bit
	 * address space, 65,536 faults a whole address space apart): then
	 * too it lies beyond the address space.
	 */
	if (req->addr >= size ||
	    check_mul_overflow((unsigned long)req->nr - 1, stride, &span) ||
	    span > size - 1 - req->addr)
		return -EFAULT;

	if (!fq) {
		fq = fq_create(mf, req->variant, req->workers,
			       req->flags & MMRACE_FAULTQ_ALLOW_ITREE_HANG);
		if (IS_ERR(fq))
			return PTR_ERR(fq);
		*mmrace_file_state(mf, MMRACE_P5_FAULTQ) = fq;
	}
	s = kzalloc_obj(*s, GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->addr = req->addr;
	s->stride = stride;
	s->nr = req->nr;
	s->write = req->flags & MMRACE_FAULTQ_WRITE;

	/*
	 * Room first, before any reference is taken: the file's ioctls are
	 * serialised, and its workers only ever shrink what is pending.
	 */
	if (atomic64_read(&fq->submitted) - atomic64_read(&fq->done) +
	    req->nr > MMRACE_FAULTQ_MAX_PENDING) {
		kfree(s);
		return -ENOSPC;
	}
	/* The gifted variants: one reference per fault, within the budget. */
	if (fq_gifted(fq) &&
	    atomic_long_add_return(req->nr, &fq_gifts) > FQ_MAX_GIFTS) {
		atomic_long_sub(req->nr, &fq_gifts);
		kfree(s);
		return -ENOSPC;
	}
	/* no_check: the queue holds mm_users while anything pends. */
	need_ref = fq->ops->queue_ref;
	if (need_ref && !mmget_not_zero(fq->mm)) {
		kfree(s);
		return -ESRCH;
	}
	if (fq_gifted(fq)) {
		if (!mmget_not_zero(fq->mm)) {
			atomic_long_sub(req->nr, &fq_gifts);
			if (need_ref)
				mmput(fq->mm);
			kfree(s);
			return -ESRCH;
		}
		for (i = 1; i < req->nr; i++)
			mmget(fq->mm);
	}
	spin_lock(&fq->lock);
	if (need_ref && !fq->queue_ref) {
		fq->queue_ref = true;
		need_ref = false;
	}
	list_add_tail(&s->node, &fq->storms);
	atomic64_add(req->nr, &fq->submitted);
	req->pending = atomic64_read(&fq->submitted) -
		       atomic64_read(&fq->done);
	spin_unlock(&fq->lock);
	/* The queue already held its reference. */
	if (need_ref)
		mmput(fq->mm);

	/*
	 * On CPUs that are online, and stay so until the work is queued: a
	 * worker whose CPU went away since the device was made moves to the
	 * next online one (a work item queued on an offline CPU runs
	 * unbound, anywhere).
	 */
	cpus_read_lock();
	for (i = 0; i < fq->nr_workers; i++) {
		struct fq_worker *w = &fq->workers[i];

		if (!cpu_online(w->cpu))
			w->cpu = mmrace_next_cpu(w->cpu);
		queue_work_on(w->cpu, mmrace_fq_wq, &w->work);
	}
	cpus_read_unlock();
	return 0;
}

static bool fq_drained(struct mmrace_faultq *fq)
{
	return atomic64_read(&fq->done) == atomic64_read(&fq->submitted);
}

static int mmrace_ioc_faultq_wait(struct mmrace_file *mf, void *arg)
{
	struct mmrace_faultq_stats *st = arg;
	struct mmrace_faultq *fq = fq_of(mf);
	u64 now, timeout_ms, mark;

	if (!fq)
		return -ENOENT;
	if (st->mark > 1 || st->timeout_ms > MMRACE_MAX_DURATION_MS ||
	    (st->mark && st->timeout_ms))
		return -EINVAL;
	if (st->mark) {
		spin_lock(&fq->lock);
		fq->mark_ns = ktime_get_ns();
		fq->drain_ns = fq_drained(fq) ? fq->mark_ns : 0;
		fq->processed_at_mark = atomic64_read(&fq->processed);
		spin_unlock(&fq->lock);
	} else if (st->timeout_ms) {
		long left;

		left = wait_event_interruptible_timeout(fq->wait,
							fq_drained(fq),
							msecs_to_jiffies(st->timeout_ms));
		if (left < 0)
			return left;
	}

	timeout_ms = st->timeout_ms;
	mark = st->mark;
	memset(st, 0, sizeof(*st));
	st->timeout_ms = timeout_ms;
	st->mark = mark;
	st->variant = fq->variant;
	st->submitted = atomic64_read(&fq->submitted);
	st->pending = st->submitted - atomic64_read(&fq->done);
	st->processed = atomic64_read(&fq->processed);
	st->aborted_early = atomic64_read(&fq->aborted_early);
	st->aborted_late = atomic64_read(&fq->aborted_late);
	st->errors = atomic64_read(&fq->errors);
	st->retried = atomic64_read(&fq->retried);
	st->false_abort = atomic64_read(&fq->false_abort);
	st->abort_exiting = atomic64_read(&fq->abort_exiting);
	st->after_exit = atomic64_read(&fq->after_exit);
	st->invalidations = atomic64_read(&fq->invalidations);
	st->mirrored = atomic64_read(&fq->mirrored);
	mutex_lock(&fq->mirror_lock);
	st->released = fq->released;
	st->self_wait = fq->self_wait;
	st->release_in_kworker = fq->release_in_kworker;
	now = fq->release_ns;
	mutex_unlock(&fq->mirror_lock);
	spin_lock(&fq->lock);
	if (fq->mark_ns) {
		st->processed_after_mark = st->processed -
					   fq->processed_at_mark;
		if (now > fq->mark_ns)
			st->mark_to_release_ns = now - fq->mark_ns;
		if (fq->drain_ns >= fq->mark_ns)
			st->mark_to_drain_ns = fq->drain_ns - fq->mark_ns;
	}
	spin_unlock(&fq->lock);
	return 0;
}

static int mmrace_ioc_faultq_read(struct mmrace_file *mf, void *arg)
{
	struct mmrace_faultq_read *req = arg;
	struct mmrace_faultq *fq = fq_of(mf);
	struct page *page;
	u64 *p;

	if (!fq)
		return -ENOENT;
	if (!IS_ALIGNED(req->addr, sizeof(u64)))
		return -EINVAL;
	if (req->addr >= mf->mm->task_size)
		return -EFAULT;
	mutex_lock(&fq->mirror_lock);
	page = xa_load(&fq->mirror, req->addr >> PAGE_SHIFT);
	if (!page) {
		mutex_unlock(&fq->mirror_lock);
		return -ENOENT;
	}
	p = kmap_local_page(page) + offset_in_page(req->addr);
	req->value = READ_ONCE(*p);
	kunmap_local(p);
	req->pfn = page_to_pfn(page);
	mutex_unlock(&fq->mirror_lock);
	return 0;
}

/* Tear the device of a file being closed down; nothing stays queued. */
static void mmrace_faultq_release(struct mmrace_file *mf)
{
	struct mmrace_faultq *fq = fq_of(mf);
	struct fq_storm *s, *tmp;
	unsigned long idx;
	struct page *page;
	unsigned int i;
	bool drop;

	if (!fq)
		return;
	WRITE_ONCE(fq->closing, true);
	for (i = 0; i < fq->nr_workers; i++)
		cancel_work_sync(&fq->workers[i].work);
	/* Workers that never ran leave storms behind, and their gifts. */
	list_for_each_entry_safe(s, tmp, &fq->storms, node) {
		list_del(&s->node);
		fq_item_put_many(fq, s->nr - s->next);
		kfree(s);
	}
	spin_lock(&fq->lock);
	drop = fq->queue_ref;
	fq->queue_ref = false;
	spin_unlock(&fq->lock);
	if (drop)
		mmput(fq->mm);
	mmu_interval_notifier_remove(&fq->notifier);
	mmrace_mm_unclaim(fq->mm, MMRACE_MM_ITREE);
	xa_for_each(&fq->mirror, idx, page) {
		xa_erase(&fq->mirror, idx);
		put_page(page);
		/* A mirror of up to a whole address space. */
		cond_resched();
	}
	xa_destroy(&fq->mirror);
	put_pid(fq->opener);
	mutex_destroy(&fq->mirror_lock);
	mutex_destroy(&fq->ref_lock);
	kfree(fq->workers);
	kfree(fq);
	*mmrace_file_state(mf, MMRACE_P5_FAULTQ) = NULL;
}

static int mmrace_faultq_init(void)
{
	mmrace_fq_wq = alloc_workqueue("mmrace_faultq", WQ_PERCPU, 0);
	return mmrace_fq_wq ? 0 : -ENOMEM;
}

static void mmrace_faultq_exit(void)
{
	destroy_workqueue(mmrace_fq_wq);
	/* The entries kept for mms that had this device's interval tree. */
	mmrace_mm_claims_exit();
}

static const struct mmrace_ioctl mmrace_p5_ioctls[] = {
	MMRACE_IOCTL(MMRACE_IOC_FAULTQ_SUBMIT, struct mmrace_faultq_submit,
		     pending, mmrace_ioc_faultq_submit, MMRACE_IOF_OPENER_MM),
	/* Any holder: the device's counters, nothing of the opener's mm. */
	MMRACE_IOCTL(MMRACE_IOC_FAULTQ_WAIT, struct mmrace_faultq_stats,
		     mark_to_drain_ns, mmrace_ioc_faultq_wait, 0),
	MMRACE_IOCTL_PFN(MMRACE_IOC_FAULTQ_READ, struct mmrace_faultq_read,
			 pfn, mmrace_ioc_faultq_read),
};

const struct mmrace_device mmrace_p5_faultq_dev = {
	.ioctls = mmrace_p5_ioctls,
	.nr_ioctls = ARRAY_SIZE(mmrace_p5_ioctls),
	.release = mmrace_faultq_release,
	.init = mmrace_faultq_init,
	.exit = mmrace_faultq_exit,
};
