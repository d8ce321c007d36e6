// SPDX-License-Identifier: GPL-2.0
/*
 * mmrace run harness: N kernel threads bound to CPUs race from one start
 * gate, run a pattern's operation until a duration, an iteration count, a
 * fatal signal of the caller or module unload stops them, and merge their
 * per-thread counters into one result.
 *
 * The core hands it resolved, read-only parameters and takes back a result
 * the harness owns (mmrace_internal.h); the harness calls nothing back in
 * the core. One run at a time in the whole module: a second caller gets
 * -EBUSY.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "mmrace_internal.h"

/*
 * How often (in operations, minus one) a thread checks its stop conditions,
 * when it runs one short operation per call; a batch checks once per
 * batch; a run with a window, or of a pattern whose operations sleep
 * (&mmrace_pattern.sleeps), after every operation.
 */
#define MMRACE_CHECK_MASK	31
/* How long the caller waits past the deadline before it forces a stop. */
#define MMRACE_GRACE_MS		5000

/**
 * struct mmrace_run_state - the harness's side of a run
 * @ctx: what the pattern sees of the run
 * @go: start gate, set once every thread is ready
 * @ready: threads waiting at the gate
 * @running: threads not finished
 * @all_ready: completed when @ready reaches the thread count
 * @done: completed when @running drops to zero
 */
struct mmrace_run_state {
	struct mmrace_ctx ctx;
	int go;
	atomic_t ready;
	atomic_t running;
	struct completion all_ready;
	struct completion done;
};

static struct mmrace_run_state *mmrace_rs(struct mmrace_ctx *ctx)
{
	return container_of(ctx, struct mmrace_run_state, ctx);
}

static DEFINE_MUTEX(mmrace_run_lock);
static DEFINE_SPINLOCK(mmrace_active_lock);
static struct mmrace_ctx *mmrace_active;
static bool mmrace_shutting_down;

/* Operations per call for this run: a batch where the pattern has one. */
static unsigned int mmrace_batch(const struct mmrace_ctx *ctx)
{
	if (!ctx->pat->op_batch || ctx->params->window_ns ||
	    (ctx->params->flags & MMRACE_RUN_NO_BATCH))
		return 1;
	return ctx->pat->batch ?: MMRACE_BATCH;
}

/* Up to @n operations of @t: one call of the pattern. */
static int mmrace_ops(struct mmrace_thread *t, unsigned int n,
		      unsigned int *done)
{
	const struct mmrace_pattern *pat = t->ctx->pat;

	if (n > 1)
		return pat->op_batch(t, n, done);
	*done = 1;
	return pat->op(t);
}

static int mmrace_thread_fn(void *data)
{
	struct mmrace_thread *t = data;
	struct mmrace_ctx *ctx = t->ctx;
	struct mmrace_run_state *rs = mmrace_rs(ctx);
	const struct mmrace_pattern *pat = ctx->pat;
	u64 every = ctx->params->window_ns || pat->sleeps ? 1 :
		    MMRACE_CHECK_MASK + 1;
	unsigned int batch = mmrace_batch(ctx), n, done;
	u64 since_check = 0;
	int ret = 0;

	if (pat->thread_init)
		ret = pat->thread_init(t);
	if (ret) {
		t->err = ret;
		WRITE_ONCE(ctx->stop, 1);
	}
	if (atomic_inc_return(&rs->ready) == ctx->nr_threads)
		complete(&rs->all_ready);

	/*
	 * The gate: every thread leaves it at the same instant. The acquire
	 * pairs with the release in mmrace_harness_run() that publishes t0.
	 */
	while (!smp_load_acquire(&rs->go)) {
		if (READ_ONCE(ctx->stop) || kthread_should_stop())
			goto out;
		cpu_relax();
		cond_resched();
	}
	if (t->err)
		goto out;

	for (;;) {
		n = batch;
		if (ctx->per_thread_iters)
			n = min_t(u64, n, ctx->per_thread_iters - t->ops);
		ret = mmrace_ops(t, n, &done);
		/*
		 * A batch that ran none of its operations (or more than asked)
		 * and failed none is a pattern's bug: this loop would spin
		 * without ever checking the stop conditions.
		 */
		if (unlikely(!ret && (!done || done > n))) {
			pr_err_once("%s: a batch ran %u of %u operations\n",
				    pat->name, done, n);
			done = 0;
			ret = -EIO;
		}
		t->ops += done;
		if (unlikely(ret)) {
			t->err = ret;
			WRITE_ONCE(ctx->stop, 1);
			break;
		}
		if (ctx->per_thread_iters && t->ops >= ctx->per_thread_iters)
			break;
		since_check += done;
		if (since_check >= every) {
			since_check = 0;
			cond_resched();
			if (mmrace_should_stop(ctx))
				break;
		}
	}
	t->end_ns = mmrace_now_ns(ctx);
out:
	if (pat->thread_done)
		pat->thread_done(t);
	if (atomic_dec_and_test(&rs->running))
		complete(&rs->done);
	return 0;
}

static void mmrace_stop_threads(struct mmrace_ctx *ctx, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		kthread_stop(ctx->thr[i].task);
		put_task_struct(ctx->thr[i].task);
	}
}

static int mmrace_start_threads(struct mmrace_ctx *ctx)
{
	bool bound = !(ctx->params->flags & MMRACE_RUN_UNBOUND);
	unsigned int i;
	int cpu = -1;

	cpus_read_lock();
	for (i = 0; i < ctx->nr_threads; i++) {
		struct mmrace_thread *t = &ctx->thr[i];
		struct task_struct *task;

		t->ctx = ctx;
		t->idx = i;
		t->first_detect_ns = U64_MAX;
		prandom_seed_state(&t->rnd, ctx->params->seed + i);
		task = kthread_create(mmrace_thread_fn, t, "mmrace/%s/%u",
				      ctx->pat->name, i);
		if (IS_ERR(task)) {
			cpus_read_unlock();
			mmrace_stop_threads(ctx, i);
			return PTR_ERR(task);
		}
		get_task_struct(task);
		t->task = task;
		t->cpu = -1;
		if (bound) {
			cpu = mmrace_next_cpu(cpu);
			kthread_bind(task, cpu);
			t->cpu = cpu;
		}
	}
	/*
	 * Woken while no CPU can go offline: each thread starts on the CPU
	 * it was bound to (a later hotplug moves it as any running thread),
	 * rather than waking up bound to a CPU that went away in between.
	 */
	for (i = 0; i < ctx->nr_threads; i++)
		wake_up_process(ctx->thr[i].task);
	cpus_read_unlock();
	return 0;
}

/*
 * Wait for the threads, killable: a fatal signal stops the run (the threads
 * still have to be waited for: they check the stop flag every 32 short
 * operations, or after every one, and an operation that waits checks it
 * inside its wait, &mmrace_pattern.sleeps). The wait wakes up every
 * quarter second so that a long run is not a hung task.
 */
static int mmrace_wait(struct mmrace_ctx *ctx)
{
	struct completion *done = &mmrace_rs(ctx)->done;
	u64 limit_ms = ctx->params->duration_ms ? ctx->params->duration_ms :
					       MMRACE_MAX_DURATION_MS;
	ktime_t force = ktime_add_ms(ctx->t0, limit_ms + MMRACE_GRACE_MS);
	int ret = 0;
	long left;

	for (;;) {
		if (ret)
			left = wait_for_completion_timeout(done, HZ / 4);
		else
			left = wait_for_completion_killable_timeout(done, HZ / 4);
		if (left > 0)
			break;
		if (left < 0) {
			ret = -EINTR;
			WRITE_ONCE(ctx->stop, 1);
		}
		if (ktime_after(ktime_get(), force) && !READ_ONCE(ctx->stop)) {
			pr_warn("%s: threads past the deadline, forcing a stop\n",
				ctx->pat->name);
			WRITE_ONCE(ctx->stop, 1);
		}
	}
	return ret;
}

/*
 * Wait for every thread to reach the start gate, killable, in quarter
 * seconds (a caller waiting for a bound thread whose CPU is starved is no
 * hung task). A fatal signal stops the run: the gate never opens and the
 * threads leave it on the stop flag. The caller still waits for them to
 * exit (mmrace_wait(), kthread_stop()) once they get a CPU.
 */
static int mmrace_wait_ready(struct mmrace_ctx *ctx)
{
	struct completion *all_ready = &mmrace_rs(ctx)->all_ready;
	long left;

	for (;;) {
		left = wait_for_completion_killable_timeout(all_ready, HZ / 4);
		if (left > 0)
			return 0;
		if (left < 0) {
			WRITE_ONCE(ctx->stop, 1);
			return -EINTR;
		}
	}
}

/* The threads' operations, times and counters, into the run's result. */
static void mmrace_merge(struct mmrace_ctx *ctx, struct mmrace_result *res)
{
	const struct mmrace_pattern *pat = ctx->pat;
	unsigned int i, c;

	for (i = 0; i < ctx->nr_threads; i++) {
		struct mmrace_thread *t = &ctx->thr[i];

		res->ops += t->ops;
		res->elapsed_ns = max(res->elapsed_ns, t->end_ns);
		res->first_detect_ns = min(res->first_detect_ns,
					   t->first_detect_ns);
		for (c = 0; c < pat->nr_counters; c++) {
			if (pat->counters[c].flags & MMRACE_DF_MAX)
				res->counters[c] = max(res->counters[c],
						       t->cnt[c]);
			else
				res->counters[c] += t->cnt[c];
		}
	}
}

/* The violations, once the pattern's final checks are in. */
static void mmrace_sum_violations(const struct mmrace_pattern *pat,
				  struct mmrace_result *res)
{
	unsigned int c;

	for (c = 0; c < pat->nr_counters; c++)
		if (pat->counters[c].flags & MMRACE_DF_VIOLATION)
			res->violations += res->counters[c];
	/* A violation found only by the final check dates from the end. */
	if (res->violations && res->first_detect_ns == U64_MAX)
		res->first_detect_ns = res->elapsed_ns;
}

static int mmrace_first_error(struct mmrace_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_threads; i++)
		if (ctx->thr[i].err)
			return ctx->thr[i].err;
	return 0;
}

static int mmrace_set_active(struct mmrace_ctx *ctx)
{
	int ret = 0;

	spin_lock(&mmrace_active_lock);
	if (ctx && mmrace_shutting_down)
		ret = -ESHUTDOWN;
	else
		mmrace_active = ctx;
	spin_unlock(&mmrace_active_lock);
	return ret;
}

/**
 * mmrace_harness_run() - run one variant of one pattern, synchronously
 * @pat: the pattern
 * @params: the run's parameters, resolved by the caller: a variant of
 *	@pat, its threads, duration or iterations, window and seed within
 *	the limits of mmrace.h (read-only here and to the pattern)
 * @mm: the mm of the file the run came through, for real-kernel paths
 *	(the caller keeps it grabbed; debugfs passes the caller's own), or NULL
 * @res: out: the result, every field, on success
 * @seq: out: the run's place in the order runs started (1, 2, ...), so
 *	that the caller records results in that order although it records
 *	them after the harness let the next run in
 *
 * Return: 0, -EBUSY while another run is in progress, -ESHUTDOWN while
 * the module unloads, -EINTR when a fatal signal stopped the run,
 * -ENOMEM, or the first error the pattern's prepare or an operation
 * returned.
 */
int mmrace_harness_run(const struct mmrace_pattern *pat,
		       const struct mmrace_params *params, struct mm_struct *mm,
		       struct mmrace_result *res, u64 *seq)
{
	static u64 mmrace_run_seq;	/* under mmrace_run_lock */
	struct mmrace_run_state *rs;
	struct mmrace_ctx *ctx;
	int ret, err;

	if (!mutex_trylock(&mmrace_run_lock))
		return -EBUSY;
	*seq = ++mmrace_run_seq;

	ret = -ENOMEM;
	rs = kzalloc_obj(*rs, GFP_KERNEL);
	if (!rs)
		goto out_unlock;
	ctx = &rs->ctx;
	ctx->thr = kcalloc(params->threads, sizeof(*ctx->thr), GFP_KERNEL);
	if (!ctx->thr)
		goto out_free;

	memset(res, 0, sizeof(*res));
	res->first_detect_ns = U64_MAX;
	ctx->pat = pat;
	ctx->variant = params->variant;
	ctx->params = params;
	ctx->nr_threads = params->threads;
	ctx->deadline = KTIME_MAX;
	ctx->per_thread_iters = params->iterations ?
		div_u64(params->iterations + params->threads - 1,
			params->threads) : 0;
	atomic_set(&rs->running, ctx->nr_threads);
	init_completion(&rs->all_ready);
	init_completion(&rs->done);
	ctx->caller = get_task_struct(current);
	ctx->caller_ipc_lock = capable(CAP_IPC_LOCK);
	/* As mmrace_caller_is_opener(): a task of the file's mm. */
	ctx->caller_is_opener = mm && current->mm == mm;
	if (mm && mmget_not_zero(mm))
		ctx->mm = mm;

	ret = mmrace_set_active(ctx);
	if (ret)
		goto out_put;
	ret = pat->prepare(ctx);
	if (ret)
		goto out_inactive;
	ret = mmrace_start_threads(ctx);
	if (ret)
		goto out_finish;

	ret = mmrace_wait_ready(ctx);
	ctx->t0 = ktime_get();
	ctx->deadline = ktime_add_ms(ctx->t0, params->duration_ms ?:
				     MMRACE_MAX_DURATION_MS);
	if (!ret)
		/* Publishes t0 and the deadline; pairs with the acquire. */
		smp_store_release(&rs->go, 1);

	err = mmrace_wait(ctx);
	if (!ret)
		ret = err;
	mmrace_stop_threads(ctx, ctx->nr_threads);
	err = mmrace_first_error(ctx);
	if (!ret)
		ret = err;
	mmrace_merge(ctx, res);
out_finish:
	pat->finish(ctx, res->counters);
	if (!ret)
		mmrace_sum_violations(pat, res);
out_inactive:
	mmrace_set_active(NULL);
out_put:
	if (ctx->mm)
		mmput(ctx->mm);
	put_task_struct(ctx->caller);
	kfree(ctx->thr);
out_free:
	kfree(rs);
out_unlock:
	mutex_unlock(&mmrace_run_lock);
	return ret;
}

/**
 * mmrace_harness_shutdown() - stop a run in progress and refuse new ones
 *
 * Called from module exit. A run started through /dev/mmrace or debugfs
 * holds a module reference, so normally nothing is running here; this is
 * the belt to those braces.
 */
void mmrace_harness_shutdown(void)
{
	spin_lock(&mmrace_active_lock);
	mmrace_shutting_down = true;
	if (mmrace_active)
		WRITE_ONCE(mmrace_active->stop, 1);
	spin_unlock(&mmrace_active_lock);
	/* Wait for the run, if any, to finish. */
	mutex_lock(&mmrace_run_lock);
	mutex_unlock(&mmrace_run_lock);
}
