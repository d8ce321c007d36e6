// SPDX-License-Identifier: GPL-2.0
/*
 * P5: a device's page-fault queue against an mm that is dying, as a model
 * run by the harness (the real device is p5_faultq_dev.c).
 *
 * Seed: "mm/hmm: add helpers for driver to safely take the mmap_sem"
 * (LKML, March 2019). A device can queue hundreds of faults against a
 * process that is being killed; Jérôme Glisse wanted a cheap "is the mm
 * dying" peek before taking mmap_sem so that the queue drains fast, John
 * Hubbard called the helper racy and misleading, and the race-free answer
 * that stayed is mmget_not_zero() per fault.
 *
 * Thread 0 is the owner. One operation of the owner is one life of a model
 * mm: it queues faults, lets the workers (every other thread) start on
 * them, is killed at a random point of the queue (drops its mm_users
 * reference; the last reference runs the model exit_mmap, which takes the
 * model mmap_lock for writing and marks the mm dead), and waits for the
 * queue to drain. Optionally a CLONE_VM sibling keeps the mm alive until
 * the queue drained. Workers take faults off the queue and, per variant,
 * peek, take a reference, take the read lock and "fault". Shadow state
 * decides: a fault handled under the read lock of a dead mm is a violation
 * (the model's use of a torn-down mm), an abort decided on the owner's
 * death while the sibling kept the mm alive is a false abort.
 *
 * The gifted variants (last_put_in_worker, put_deferred, put_async) give
 * each queued fault an mm_users reference of its own at queue time, as
 * KVM's async #PF did before 6.9, and differ only in where the worker
 * drops it. A gift outlives the owner's kill, so a worker's put is often
 * the last: inside the work item the release flushes it is amdkfd's
 * deadlock (fa582c6f3684, fixed by a29e067bd389 and 6225bb3a88d2), which
 * the model counts (self_wait) and never waits for.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "p5_faultq.h"

#define P5_DEFAULT_QUEUE	256
#define P5_MAX_QUEUE		65536
/* Cost of one model fault under the read lock. */
#define P5_FAULT_NS		200

struct p5_state {
	/* The model mm. */
	atomic_t users;
	int dead;
	int owner_exiting;
	int sibling_alive;
	struct rw_semaphore mmap_lock;
	/* The queue of the current life. */
	u32 queue;
	/* MMRACE_P5_ARG_KILL_AT: faults done at the kill (0: random). */
	u32 kill_at;
	atomic_t next;
	atomic_t done;
	atomic_t processed;
	atomic_t aborted;
	int live;
	int stopped;
	int owner_gone;
	atomic_t workers_gone;
	bool shared;
	bool queue_ref;
	/* Gifted variants: each queued fault holds a reference. */
	bool item_ref;
	/* A worker's mmput_async() left the teardown to the owner. */
	int async_pending;
	/* ktime_get_ns() at the owner's kill. */
	u64 kill_ns;
	/*
	 * Per thread (written and read by that thread only): inside the
	 * work item the model release flushes.
	 */
	bool in_work[];
};

static bool p5_shared(const struct mmrace_ctx *ctx)
{
	u64 a = ctx->params->arg[MMRACE_P5_ARG_SHARED];

	if (a == MMRACE_P5_SHARED_DEFAULT)
		return ctx->variant == MMRACE_P5_OWNER_CHECK;
	return a == MMRACE_P5_SHARED_YES;
}

/*
 * The model exit_mmap(). Its release flushes the work item a gifted fault
 * runs in (amdkfd's notifier release): from inside that work a real
 * flush_work() never returns. The model flushes nothing: it counts the
 * self-wait and tears the mm down.
 */
static void p5_exit_mmap(struct mmrace_thread *t, struct p5_state *p)
{
	if (p->in_work[t->idx])
		mmrace_violation(t, MMRACE_P5_C_SELF_WAIT, 1);
	down_write(&p->mmap_lock);
	WRITE_ONCE(p->dead, 1);
	up_write(&p->mmap_lock);
}

/*
 * The last put of a life: how long the mm outlived its owner's kill. The
 * kill's put came first, so kill_ns is visible (atomic_dec_and_test() is
 * fully ordered).
 */
static void p5_last_put(struct mmrace_thread *t, struct p5_state *p)
{
	t->cnt[MMRACE_P5_C_ALIVE_AFTER_KILL_NS] +=
		ktime_get_ns() - READ_ONCE(p->kill_ns);
}

/* The model mmput(): the last reference tears the mm down. */
static void p5_mmput(struct mmrace_thread *t, struct p5_state *p)
{
	if (!atomic_dec_and_test(&p->users))
		return;
	p5_last_put(t, p);
	p5_exit_mmap(t, p);
	if (t->idx)
		t->cnt[MMRACE_P5_C_TEARDOWN_BY_WORKER]++;
}

/*
 * The model mmput_async(): the last reference queues the teardown on
 * system_wq, which the owner plays once the queue drained.
 */
static void p5_mmput_async(struct mmrace_thread *t, struct p5_state *p)
{
	if (!atomic_dec_and_test(&p->users))
		return;
	p5_last_put(t, p);
	t->cnt[MMRACE_P5_C_ASYNC_LAST_PUT]++;
	WRITE_ONCE(p->async_pending, 1);
}

/*
 * Whether the other side stopped for good (an iteration-bounded run ends
 * the owner and the workers at different times): a waiting thread gives
 * up then, as when the run stops.
 */
static bool p5_other_side_gone(struct mmrace_thread *t, struct p5_state *p)
{
	if (t->idx == 0)
		return atomic_read(&p->workers_gone) == t->ctx->nr_threads - 1;
	return READ_ONCE(p->owner_gone);
}

/* Wait until @cond, or the run stops. Returns false on stop. */
#define p5_wait(t, p, cond) ({						\
	struct mmrace_thread *__t = (t);				\
									\
	mmrace_spin_until(__t->ctx, cond, p5_other_side_gone(__t, p));	\
})

/* One fault under the model mmap_lock. */
static void p5_fault(struct mmrace_thread *t, struct p5_state *p)
{
	down_read(&p->mmap_lock);
	if (READ_ONCE(p->dead))
		mmrace_violation(t, MMRACE_P5_C_AFTER_EXIT, 1);
	ndelay(P5_FAULT_NS);
	up_read(&p->mmap_lock);
	t->cnt[MMRACE_P5_C_PROCESSED]++;
	if (READ_ONCE(p->owner_exiting))
		t->cnt[MMRACE_P5_C_AFTER_KILL]++;
	atomic_inc(&p->processed);
}

/*
 * Drop a fault. Every variant's abort is judged the same way: one decided
 * while the CLONE_VM sibling keeps the mm alive is false.
 */
static void p5_abort(struct mmrace_thread *t, struct p5_state *p,
		     unsigned int counter)
{
	if (READ_ONCE(p->sibling_alive))
		mmrace_violation(t, MMRACE_P5_C_FALSE_ABORT, 1);
	t->cnt[counter]++;
	atomic_inc(&p->aborted);
}

/* The seed's peek: mm_users at zero, or torn down already. */
static bool p5_peek_dying(struct p5_state *p)
{
	return !atomic_read(&p->users) || READ_ONCE(p->dead);
}

/*
 * Where a gifted variant's worker drops the fault's reference: inside the
 * work item the release flushes, or after it left it.
 */
struct p5_item_put {
	void (*in_work)(struct mmrace_thread *t, struct p5_state *p);
	void (*deferred)(struct mmrace_thread *t, struct p5_state *p);
};

static const struct p5_item_put p5_item_put[MMRACE_P5_NR_VARIANTS] = {
	[MMRACE_P5_LAST_PUT_IN_WORKER] = { .in_work = p5_mmput },
	[MMRACE_P5_PUT_DEFERRED] = { .deferred = p5_mmput },
	[MMRACE_P5_PUT_ASYNC] = { .in_work = p5_mmput_async },
};

/*
 * A fault that holds its own reference: no check, the gift holds the mm.
 * The window: the work still holds the gift while the owner's kill put
 * lands, so the work's put is the last.
 */
static void p5_gifted_fault(struct mmrace_thread *t, struct p5_state *p)
{
	const struct p5_item_put *put = &p5_item_put[t->ctx->variant];

	p->in_work[t->idx] = true;
	p5_fault(t, p);
	mmrace_window(t);
	if (put->in_work)
		put->in_work(t, p);
	p->in_work[t->idx] = false;
	if (put->deferred)
		put->deferred(t, p);
}

static void p5_worker_fault(struct mmrace_thread *t, struct p5_state *p)
{
	unsigned int v = t->ctx->variant;

	if (p->item_ref) {
		p5_gifted_fault(t, p);
		return;
	}

	/* no_check: the queue holds a reference, the mm cannot die. */
	if (v == MMRACE_P5_NO_CHECK) {
		p5_fault(t, p);
		return;
	}
	if (v == MMRACE_P5_RACY_CHECK || v == MMRACE_P5_HINT_ONLY) {
		if (p5_peek_dying(p)) {
			p5_abort(t, p, MMRACE_P5_C_ABORTED_EARLY);
			return;
		}
		mmrace_window(t);
	}
	/* owner_check: the owner task is dying; true for the task only. */
	if (v == MMRACE_P5_OWNER_CHECK && READ_ONCE(p->owner_exiting)) {
		p5_abort(t, p, MMRACE_P5_C_ABORTED_EARLY);
		return;
	}
	/* hint_only: the peek and nothing else, no reference. */
	if (v == MMRACE_P5_HINT_ONLY) {
		p5_fault(t, p);
		return;
	}
	if (!atomic_inc_not_zero(&p->users)) {
		p5_abort(t, p, MMRACE_P5_C_ABORTED_LATE);
		return;
	}
	p5_fault(t, p);
	p5_mmput(t, p);
}

/* One try at the next fault of the open life: 1 taken, -1 stopped, 0 not yet. */
static int p5_try_take(struct p5_state *p)
{
	if (READ_ONCE(p->stopped))
		return -1;
	/* Acquire: pairs with the owner's release that opens a life. */
	return smp_load_acquire(&p->live) &&
	       atomic_read(&p->next) < p->queue &&
	       atomic_inc_return(&p->next) <= p->queue;
}

/* Take the next fault of the open life; false when the run stops. */
static bool p5_take(struct mmrace_thread *t, struct p5_state *p)
{
	int got = 0;

	return p5_wait(t, p, (got = p5_try_take(p)) != 0) && got > 0;
}

static int p5_worker_op(struct mmrace_thread *t, struct p5_state *p)
{
	if (!p5_take(t, p))
		return 0;
	p5_worker_fault(t, p);
	/* The fault's accounting is visible before the owner reads done. */
	smp_mb__before_atomic();
	atomic_inc(&p->done);
	return 0;
}

static int p5_owner_op(struct mmrace_thread *t, struct p5_state *p)
{
	u32 kill_at = p->kill_at ?: prandom_u32_state(&t->rnd) % p->queue;
	u32 processed_at_kill;

	/*
	 * A life abandoned by a stop leaves workers inside faults that hold
	 * references of that life: never start another one after it.
	 */
	if (READ_ONCE(p->stopped))
		return 0;
	atomic_set(&p->users, 1 + p->shared + p->queue_ref +
		   (p->item_ref ? p->queue : 0));
	p->async_pending = 0;
	p->dead = 0;
	p->owner_exiting = 0;
	p->sibling_alive = p->shared;
	atomic_set(&p->done, 0);
	atomic_set(&p->processed, 0);
	atomic_set(&p->aborted, 0);
	/* Release: the life's state is set before a worker takes a fault. */
	atomic_set_release(&p->next, 0);
	/* Release: pairs with the acquire in p5_take(). */
	smp_store_release(&p->live, 1);
	t->cnt[MMRACE_P5_C_SUBMITTED] += p->queue;

	if (!p5_wait(t, p, atomic_read(&p->done) >= kill_at))
		goto stop;
	/* SIGKILL: the owner exits and drops its reference. */
	processed_at_kill = atomic_read(&p->processed);
	WRITE_ONCE(p->kill_ns, ktime_get_ns());
	WRITE_ONCE(p->owner_exiting, 1);
	p5_mmput(t, p);
	if (!p5_wait(t, p, atomic_read(&p->done) == p->queue))
		goto stop;
	WRITE_ONCE(p->live, 0);
	if (p->item_ref) {
		/* Pairs with smp_mb__before_atomic() in p5_worker_op(). */
		smp_rmb();
		/* system_wq runs the teardown a worker's mmput_async() queued. */
		if (READ_ONCE(p->async_pending))
			p5_exit_mmap(t, p);
	}
	if (p->queue_ref)
		p5_mmput(t, p);
	if (p->shared) {
		WRITE_ONCE(p->sibling_alive, 0);
		p5_mmput(t, p);
	}
	t->cnt[MMRACE_P5_C_LIVES]++;
	t->cnt[MMRACE_P5_C_KILL_POINT] += processed_at_kill;
	if (atomic_read(&p->processed) + atomic_read(&p->aborted) !=
	    p->queue)
		mmrace_violation(t, MMRACE_P5_C_IMBALANCE, 1);
	if (atomic_read(&p->users) || !READ_ONCE(p->dead))
		mmrace_violation(t, MMRACE_P5_C_IMBALANCE, 1);
	return 0;
stop:
	/* The run stops mid-life: close the queue, nothing is checked. */
	WRITE_ONCE(p->stopped, 1);
	WRITE_ONCE(p->live, 0);
	return 0;
}

static int p5_op(struct mmrace_thread *t)
{
	struct p5_state *p = t->ctx->priv;

	if (t->idx == 0)
		return p5_owner_op(t, p);
	return p5_worker_op(t, p);
}

static int p5_prepare(struct mmrace_ctx *ctx)
{
	const u64 *arg = ctx->params->arg;
	u64 queue = arg[MMRACE_P5_ARG_QUEUE] ?: P5_DEFAULT_QUEUE;
	struct p5_state *p;

	if (queue > P5_MAX_QUEUE ||
	    arg[MMRACE_P5_ARG_SHARED] > MMRACE_P5_SHARED_YES ||
	    arg[MMRACE_P5_ARG_KILL_AT] > queue)
		return -EINVAL;
	p = kzalloc(struct_size(p, in_work, ctx->nr_threads), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	init_rwsem(&p->mmap_lock);
	p->queue = queue;
	p->kill_at = arg[MMRACE_P5_ARG_KILL_AT];
	p->shared = p5_shared(ctx);
	p->queue_ref = ctx->variant == MMRACE_P5_NO_CHECK;
	p->item_ref = p5_item_put[ctx->variant].in_work ||
		      p5_item_put[ctx->variant].deferred;
	ctx->priv = p;
	return 0;
}

static void p5_thread_done(struct mmrace_thread *t)
{
	struct p5_state *p = t->ctx->priv;

	if (t->idx == 0)
		WRITE_ONCE(p->owner_gone, 1);
	else
		atomic_inc(&p->workers_gone);
}

static void p5_finish(struct mmrace_ctx *ctx, u64 *cnt)
{
	struct p5_state *p = ctx->priv;

	cnt[MMRACE_P5_C_SHARED] = p->shared;
	kfree(p);
	ctx->priv = NULL;
}

static const struct mmrace_variant p5_variants[] = {
	[MMRACE_P5_NO_CHECK] = { "no_check",
		"the queue holds mm_users: every fault runs, even after the kill",
		0 },
	[MMRACE_P5_RACY_CHECK] = { "racy_check",
		"peek mm_users/dead first, then mmget_not_zero per fault", 0 },
	[MMRACE_P5_MMGET] = { "mmget", "mmget_not_zero per fault", 0 },
	[MMRACE_P5_OWNER_CHECK] = { "owner_check",
		"abort when the owner task dies (wrong for a shared mm)",
		MMRACE_DF_BROKEN },
	[MMRACE_P5_HINT_ONLY] = { "hint_only",
		"peek, then fault with no reference (races exit_mmap)",
		MMRACE_DF_BROKEN },
	[MMRACE_P5_LAST_PUT_IN_WORKER] = { "last_put_in_worker",
		"a reference per queued fault, mmput in the work the release flushes",
		MMRACE_DF_BROKEN },
	[MMRACE_P5_PUT_DEFERRED] = { "put_deferred",
		"a reference per queued fault, mmput after leaving the flushed work",
		0 },
	[MMRACE_P5_PUT_ASYNC] = { "put_async",
		"a reference per queued fault, mmput_async in the flushed work",
		0 },
};

static const struct mmrace_counter_desc p5_counters[] = {
	[MMRACE_P5_C_LIVES] = { "lives", "mm lives: queue, kill, drain", 0 },
	[MMRACE_P5_C_SUBMITTED] = { "submitted", "faults queued", 0 },
	[MMRACE_P5_C_PROCESSED] = { "processed",
		"faults handled under the read lock", 0 },
	[MMRACE_P5_C_ABORTED_EARLY] = { "aborted_early",
		"faults dropped by the peek", 0 },
	[MMRACE_P5_C_ABORTED_LATE] = { "aborted_late",
		"faults dropped by mmget_not_zero", 0 },
	[MMRACE_P5_C_AFTER_KILL] = { "after_kill",
		"faults handled after the owner was killed", 0 },
	[MMRACE_P5_C_KILL_POINT] = { "kill_point",
		"faults handled before the kills, summed", 0 },
	[MMRACE_P5_C_TEARDOWN_BY_WORKER] = { "teardown_by_worker",
		"a worker's put was the last: it ran exit_mmap", 0 },
	[MMRACE_P5_C_AFTER_EXIT] = { "after_exit",
		"a fault ran on a torn-down mm", MMRACE_DF_VIOLATION },
	[MMRACE_P5_C_FALSE_ABORT] = { "false_abort",
		"dropped while a CLONE_VM sibling kept the mm alive",
		MMRACE_DF_VIOLATION },
	[MMRACE_P5_C_IMBALANCE] = { "imbalance",
		"processed + aborted != submitted, or mm not torn down",
		MMRACE_DF_VIOLATION },
	[MMRACE_P5_C_SHARED] = { "shared",
		"1: a CLONE_VM sibling shared the mm", 0 },
	[MMRACE_P5_C_SELF_WAIT] = { "self_wait",
		"the last put ran the teardown inside the work its release flushes (counted, never waited)",
		MMRACE_DF_VIOLATION },
	[MMRACE_P5_C_ASYNC_LAST_PUT] = { "async_last_put",
		"a worker's mmput_async() was the last: the teardown went to another context",
		0 },
	[MMRACE_P5_C_ALIVE_AFTER_KILL_NS] = { "alive_after_kill_ns",
		"ns from the owner's kill to the last mm_users put, summed over lives",
		0 },
};

const struct mmrace_pattern mmrace_p5_faultq = {
	.id = MMRACE_P5_FAULTQ,
	.name = "p5_faultq",
	.title = "device fault queue against a dying mm (model)",
	.variants = p5_variants,
	.nr_variants = ARRAY_SIZE(p5_variants),
	.counters = p5_counters,
	.nr_counters = ARRAY_SIZE(p5_counters),
	.min_threads = 2,
	.nr_args = MMRACE_P5_ARG_KILL_AT + 1,
	.prepare = p5_prepare,
	.op = p5_op,
	.thread_done = p5_thread_done,
	.finish = p5_finish,
	.dev = &mmrace_p5_faultq_dev,
};
