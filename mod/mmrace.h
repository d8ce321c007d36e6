/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: the pattern API, what a pattern file (its model and its device
 * half) may use. A pattern is one struct mmrace_pattern: its variants and
 * counters, the operation the harness's threads run, and optionally the
 * ioctls, per-open state and hooks of its device half. Adding one is its
 * own files, its uapi id and catalogue header, and one line in patterns.h
 * (Documentation/adding.rst).
 * The core and the harness share mmrace_internal.h besides; a pattern file
 * never includes it.
 */
#ifndef _MMRACE_H
#define _MMRACE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <uapi/linux/mmrace.h>

#include "mmrace_compat.h"

#define MMRACE_MAX_DURATION_MS	(60 * 1000)
#define MMRACE_MAX_WINDOW_NS	(1000 * 1000)
#define MMRACE_MAX_ITERATIONS	BIT_ULL(40)
/* Threads per online CPU a run may ask for. */
#define MMRACE_THREADS_PER_CPU	4

/**
 * struct mmrace_variant - one named implementation of a pattern
 * @name: short name (debugfs, module parameters, modinfo)
 * @desc: one line for people
 * @flags: MMRACE_DF_* (MMRACE_DF_BROKEN for negative controls)
 */
struct mmrace_variant {
	const char *name;
	const char *desc;
	u64 flags;
};

/**
 * struct mmrace_counter_desc - one counter of a pattern's result
 * @name: short name
 * @desc: one line for people
 * @flags: MMRACE_DF_VIOLATION when it counts invariant violations,
 *	MMRACE_DF_MAX when the threads' values merge by maximum
 */
struct mmrace_counter_desc {
	const char *name;
	const char *desc;
	u64 flags;
};

struct mmrace_ctx;
struct mmrace_device;

/**
 * struct mmrace_thread - per-thread state of a run, one cache line apart
 * @ctx: the run
 * @idx: thread index, 0..threads-1
 * @cpu: CPU it is bound to, or -1
 * @task: the kernel thread
 * @rnd: per-thread PRNG, seeded from the run's seed and @idx
 * @ops: operations done
 * @err: the first error an operation returned, 0 if none
 * @end_ns: time from the start gate to this thread's stop
 * @first_detect_ns: time from the start gate to this thread's first
 *	violation, or U64_MAX
 * @cnt: the pattern's counters, merged into the result at the end
 * @priv: the pattern's per-thread state
 */
struct mmrace_thread {
	struct mmrace_ctx *ctx;
	unsigned int idx;
	int cpu;
	struct task_struct *task;
	struct rnd_state rnd;
	u64 ops;
	int err;
	u64 end_ns;
	u64 first_detect_ns;
	u64 cnt[MMRACE_MAX_COUNTERS];
	void *priv;
} ____cacheline_aligned_in_smp;

/**
 * struct mmrace_params - a run's parameters, resolved by the core (the
 *	defaults filled in, the limits checked); read-only to the harness
 *	and to the pattern
 * @variant: variant index within the pattern
 * @threads: kernel threads, at least &mmrace_pattern.min_threads
 * @duration_ms: stop after this long, or 0 when @iterations alone bounds
 *	the run
 * @iterations: stop after this many operations in all, or 0 for no limit
 * @window_ns: busy-wait inside the race window in ns (0: natural rate;
 *	see mmrace_window())
 * @seed: PRNG seed (never 0)
 * @flags: MMRACE_RUN_* bits
 * @arg: the pattern's arguments, indexed by its catalogue's arg enum;
 *	those from &mmrace_pattern.nr_args on are 0
 */
struct mmrace_params {
	u32 variant;
	u32 threads;
	u64 duration_ms;
	u64 iterations;
	u64 window_ns;
	u64 seed;
	u64 flags;
	u64 arg[MMRACE_NR_ARGS];
};

/**
 * struct mmrace_ctx - one run of one variant, as its pattern sees it
 * @pat: the pattern
 * @variant: variant index (@params->variant)
 * @params: the run's parameters (read-only)
 * @mm: the file's mm (its opener's; debugfs "run": the caller's) for
 *	real-kernel paths, mmget for the run, or NULL
 * @caller: the calling task (referenced for the run), or NULL
 * @caller_ipc_lock: capable(CAP_IPC_LOCK) of the caller, taken in its context
 * @caller_is_opener: the caller is a task of @mm (mmrace_caller_is_opener());
 *	false for another holder of the file (a child that inherited it,
 *	say), whose own limits and capabilities say nothing about @mm
 * @nr_threads: threads started
 * @thr: the threads
 * @t0: start gate time
 * @deadline: ktime at which threads stop, or KTIME_MAX
 * @per_thread_iters: operations each thread does, or 0 for no limit
 * @stop: set to stop every thread (duration, signal, unload, a detection
 *	with MMRACE_RUN_STOP_ON_DETECT); read it through mmrace_should_stop()
 * @priv: the pattern's per-run state
 *
 * The start gate and the count of running threads are the harness's own
 * (harness.c), not part of this API.
 */
struct mmrace_ctx {
	const struct mmrace_pattern *pat;
	unsigned int variant;
	const struct mmrace_params *params;
	struct mm_struct *mm;
	struct task_struct *caller;
	bool caller_ipc_lock;
	bool caller_is_opener;
	unsigned int nr_threads;
	struct mmrace_thread *thr;
	ktime_t t0;
	ktime_t deadline;
	u64 per_thread_iters;
	int stop;
	void *priv;
};

/**
 * struct mmrace_pattern - the ops table of one pattern
 * @id: &enum mmrace_pattern_id
 * @name: short name
 * @title: one line for people
 * @variants: the variants, indexed by the pattern's variant enum
 * @nr_variants: number of @variants
 * @counters: the result counters, indexed by the pattern's counter enum
 * @nr_counters: number of @counters
 * @min_threads: fewest threads a run needs
 * @thread_step: when above 1, a run's threads must be a multiple of it
 *	(the default thread count is rounded down to one)
 * @nr_args: how many of &mmrace_run.arg the pattern reads; the others
 *	must be zero (-EINVAL, checked before @prepare)
 * @init: optional: at module load, before any run (may sleep); returns 0
 *	or a negative errno that fails the load
 * @exit: optional: at module unload, after the last run
 * @prepare: validate @ctx->params->arg and set up @ctx->priv (may sleep);
 *	returns 0 or a negative errno
 * @thread_init: optional: set up one thread's state before the gate
 * @op: one operation of thread @t; returns 0, or a negative errno that stops
 *	the run and is returned to the caller
 * @sleeps: its operations may sleep (wait for another thread, for a grace
 *	period): the harness checks its stop conditions after every
 *	operation, not every 32, and each such wait must look at
 *	mmrace_should_stop() itself (every few ms at most, see
 *	mmrace_spin_until()) so that a stop, a fatal signal or an unload
 *	never waits for it long
 * @op_batch: optional, for a pattern whose operations are short (tens of
 *	ns): up to @n operations of @op in one call, the number done in
 *	*@done (the failed one included); returns like @op. Write it with
 *	mmrace_op_batch() (mmrace_op_batch_unrolled() for operations of a
 *	few ns). The harness then checks its stop conditions
 *	after every batch that brings a thread's operations since its last
 *	check to 32 or more (once per batch for a @batch of 32 or more;
 *	fewer operations at the end of an iteration budget); a run with a
 *	window or MMRACE_RUN_NO_BATCH calls @op alone
 * @batch: operations per @op_batch call (0: MMRACE_BATCH)
 * @thread_done: optional: thread @t does no more operations (its partners
 *	must not wait for it); called once per started thread
 * @finish: after every thread stopped: the final checks, written into
 *	@cnt (the run's counters, indexed by the pattern's counter enum,
 *	holding the threads' merged values; nothing else of the result is
 *	the pattern's to write), and free @ctx->priv; called whenever
 *	@prepare succeeded (@cnt then all 0 when no thread ran)
 * @dev: optional: the pattern's device half (ioctls, per-open state)
 */
struct mmrace_pattern {
	u32 id;
	const char *name;
	const char *title;
	const struct mmrace_variant *variants;
	unsigned int nr_variants;
	const struct mmrace_counter_desc *counters;
	unsigned int nr_counters;
	unsigned int min_threads;
	unsigned int thread_step;
	unsigned int nr_args;
	int (*init)(void);
	void (*exit)(void);
	int (*prepare)(struct mmrace_ctx *ctx);
	int (*thread_init)(struct mmrace_thread *t);
	int (*op)(struct mmrace_thread *t);
	bool sleeps;
	int (*op_batch)(struct mmrace_thread *t, unsigned int n,
			unsigned int *done);
	unsigned int batch;
	void (*thread_done)(struct mmrace_thread *t);
	void (*finish)(struct mmrace_ctx *ctx, u64 *cnt);
	const struct mmrace_device *dev;
};

/* Every pattern's struct, each defined in its own file (patterns.h). */
#define MMRACE_PATTERN(id, name)					\
	static_assert((id) < MMRACE_NR_PATTERNS);			\
	extern const struct mmrace_pattern mmrace_##name
#include "patterns.h"
#undef MMRACE_PATTERN

/**
 * struct mmrace_file - per-open state of /dev/mmrace
 * @mm: the opener's mm, mmgrab'd (never mmget across open time)
 * @lock: serialises the ioctls of this file (but those flagged
 *	MMRACE_IOF_UNLOCKED)
 * @opener: the opener's thread group (its pid, referenced)
 * @state: each pattern's per-open state, indexed by pattern id: set by its
 *	ioctls, freed by its &mmrace_device.release (mmrace_file_state())
 */
struct mmrace_file {
	struct mm_struct *mm;
	struct mutex lock;	/* one ioctl of this file at a time */
	struct pid *opener;
	void *state[MMRACE_NR_PATTERNS];
};

/**
 * mmrace_file_state() - a pattern's per-open state slot of a file
 * @mf: the file
 * @id: the pattern's id (&enum mmrace_pattern_id)
 *
 * Return: the slot (never NULL; what it holds is NULL until the pattern
 * stores its state there); the pattern's own ioctls and release are its
 * only users.
 */
static inline void **mmrace_file_state(struct mmrace_file *mf, u32 id)
{
	return &mf->state[id];
}

/**
 * mmrace_caller_is_opener() - whether the calling task runs in the mm the
 *	file was opened from
 * @mf: the file
 *
 * Return: 0, or -EPERM for a task of another mm (a child that inherited
 * the file, say), which may not pin, look up pages or register there.
 */
static inline int mmrace_caller_is_opener(const struct mmrace_file *mf)
{
	return current->mm == mf->mm ? 0 : -EPERM;
}

/* The handler reaches the opener's mm: ptrace-like authority first. */
#define MMRACE_IOF_OPENER_MM	BIT(0)
/*
 * The handler does its own locking (it may sleep long, and other ioctls
 * of the file must not wait for it).
 */
#define MMRACE_IOF_UNLOCKED	BIT(1)
/* The struct has a pfn field: only for CAP_SYS_ADMIN, as in pagemap. */
#define MMRACE_IOF_PFN		BIT(2)

/**
 * struct mmrace_ioctl - one ioctl of /dev/mmrace
 * @nr: _IOC_NR of the command
 * @ksize: size of the struct this module knows
 * @minsize: size of the first published version of the struct
 * @pfn_off: offset of the struct's pfn field (with MMRACE_IOF_PFN)
 * @fn: the handler, on a kernel copy of the struct (zero-extended from
 *	the caller's version; copied back when it returns 0); under
 *	&mmrace_file.lock unless MMRACE_IOF_UNLOCKED
 * @flags: MMRACE_IOF_* bits
 */
struct mmrace_ioctl {
	unsigned int nr;
	size_t ksize;
	size_t minsize;
	size_t pfn_off;
	int (*fn)(struct mmrace_file *mf, void *arg);
	unsigned int flags;
};

/* A row of an ioctl table; @first: the last field of the first version. */
#define MMRACE_IOCTL(cmd, type, first, handler, iof) {			\
	.nr = _IOC_NR(cmd),						\
	.ksize = sizeof(type),						\
	.minsize = offsetofend(type, first),				\
	.fn = handler,							\
	.flags = iof,							\
}

/* A row for a struct with a pfn field that reaches the opener's mm. */
#define MMRACE_IOCTL_PFN(cmd, type, first, handler) {			\
	.nr = _IOC_NR(cmd),						\
	.ksize = sizeof(type),						\
	.minsize = offsetofend(type, first),				\
	.pfn_off = offsetof(type, pfn),					\
	.fn = handler,							\
	.flags = MMRACE_IOF_OPENER_MM | MMRACE_IOF_PFN,			\
}

/**
 * struct mmrace_device - a pattern's real-kernel half behind /dev/mmrace
 * @ioctls: the pattern's ioctls (their numbers unique in the module)
 * @nr_ioctls: number of @ioctls
 * @release: optional: the file is closing: undo what its ioctls left
 *	(pins, notifiers, queues) and free the pattern's per-open state;
 *	called for every pattern, last pattern first, with no ioctl running
 * @init: optional: at module load, after the model's &mmrace_pattern.init
 * @exit: optional: at module unload, before the model's exit
 */
struct mmrace_device {
	const struct mmrace_ioctl *ioctls;
	unsigned int nr_ioctls;
	void (*release)(struct mmrace_file *mf);
	int (*init)(void);
	void (*exit)(void);
};

/**
 * mmrace_now_ns() - nanoseconds since the run's start gate
 * @ctx: the run
 *
 * Return: nanoseconds from the start gate to now.
 */
static inline u64 mmrace_now_ns(const struct mmrace_ctx *ctx)
{
	return ktime_to_ns(ktime_sub(ktime_get(), ctx->t0));
}

/**
 * mmrace_violation() - count an invariant violation seen by @t
 * @t: the thread
 * @counter: the pattern's counter index (flagged MMRACE_DF_VIOLATION)
 * @n: how many
 *
 * The thread's first violation dates its detection and, when the run asked
 * for MMRACE_RUN_STOP_ON_DETECT, stops the run.
 */
static inline void mmrace_violation(struct mmrace_thread *t,
				    unsigned int counter, u64 n)
{
	t->cnt[counter] += n;
	if (t->first_detect_ns != U64_MAX)
		return;
	t->first_detect_ns = mmrace_now_ns(t->ctx);
	if (t->ctx->params->flags & MMRACE_RUN_STOP_ON_DETECT)
		WRITE_ONCE(t->ctx->stop, 1);
}

/* Operations per call of &mmrace_pattern.op_batch. */
#define MMRACE_BATCH		64

/**
 * mmrace_op_batch() - run up to @n operations of @op, for an op_batch
 * @t: the thread
 * @n: operations to run
 * @done: out: operations run, the failed one included
 * @op: the pattern's operation (a constant: it is inlined here, with no
 *	indirect call per operation)
 *
 * A compiler barrier between operations keeps each one reading shared
 * state afresh, as a call of its own would. For operations of tens of ns
 * and more (P4's): the loop costs a compare and a branch per operation.
 * mmrace_op_batch_unrolled() is for operations of a few ns.
 *
 * Return: 0, or the first operation's error (it stops the batch).
 */
static __always_inline int mmrace_op_batch(struct mmrace_thread *t,
					   unsigned int n, unsigned int *done,
					   int (*op)(struct mmrace_thread *t))
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		ret = op(t);
		barrier();
	}
	*done = i;
	return ret;
}

/* Operations per pass of mmrace_op_batch_unrolled(): its eight copies. */
#define MMRACE_OP_UNROLL	8
static_assert(MMRACE_OP_UNROLL == 8);

/* One operation of a batch, counted in *@i; true when it failed. */
static __always_inline bool mmrace_op_one(struct mmrace_thread *t,
					  int (*op)(struct mmrace_thread *t),
					  unsigned int *i, int *ret)
{
	*ret = op(t);
	/* Each operation reads shared state afresh, as a call would. */
	barrier();
	++*i;
	return *ret;
}

/**
 * mmrace_op_batch_unrolled() - mmrace_op_batch() for operations of a few ns
 * @t: the thread
 * @n: operations to run
 * @done: out: operations run, the failed one included
 * @op: the pattern's operation (a constant, inlined)
 *
 * The batch's end is tested once per MMRACE_OP_UNROLL operations, written
 * out as copies, so that the loop's own compare and branch cost a fraction
 * of one per operation: under TCG every taken branch is a hop between
 * translation blocks, and the baseline's empty operation, run through
 * here, measures what is left. A pattern uses it only where make bench's
 * batching table shows no broken variant detecting later with it (P4
 * keeps mmrace_op_batch(); the figures are in the commit log).
 *
 * Return: 0, or the first operation's error (it stops the batch).
 */
static __always_inline int
mmrace_op_batch_unrolled(struct mmrace_thread *t, unsigned int n,
			 unsigned int *done,
			 int (*op)(struct mmrace_thread *t))
{
	unsigned int i = 0;
	int ret = 0;

	while (n - i >= MMRACE_OP_UNROLL) {
		if (mmrace_op_one(t, op, &i, &ret) ||
		    mmrace_op_one(t, op, &i, &ret) ||
		    mmrace_op_one(t, op, &i, &ret) ||
		    mmrace_op_one(t, op, &i, &ret) ||
		    mmrace_op_one(t, op, &i, &ret) ||
		    mmrace_op_one(t, op, &i, &ret) ||
		    mmrace_op_one(t, op, &i, &ret) ||
		    mmrace_op_one(t, op, &i, &ret))
			goto out;
	}
	while (i < n) {
		if (mmrace_op_one(t, op, &i, &ret))
			break;
	}
out:
	*done = i;
	return ret;
}

/**
 * mmrace_window() - busy-wait inside a race window
 * @t: the thread
 *
 * Widens the window by the run's &mmrace_params.window_ns (0: natural rate).
 */
static inline void mmrace_window(const struct mmrace_thread *t)
{
	u64 ns = t->ctx->params->window_ns;

	if (ns)
		ndelay(ns);
}

/**
 * mmrace_window_random() - busy-wait a random share of the race window
 * @t: the thread (its PRNG draws the share)
 *
 * Waits 0 to &mmrace_params.window_ns ns, uniformly: threads that enter one
 * window at different points spread over all of it.
 */
static inline void mmrace_window_random(struct mmrace_thread *t)
{
	u64 ns = t->ctx->params->window_ns;

	if (ns)
		ndelay(prandom_u32_state(&t->rnd) % (u32)(ns + 1));
}

/**
 * mmrace_should_stop() - whether the run is over for its threads
 * @ctx: the run
 *
 * The harness's own stop test, for a pattern that waits inside an
 * operation: a stop flag (a thread's error, a detection with
 * MMRACE_RUN_STOP_ON_DETECT, the caller's fatal signal, module unload),
 * kthread_stop(), or the deadline.
 *
 * Return: true when the calling thread should give up and return.
 */
static inline bool mmrace_should_stop(const struct mmrace_ctx *ctx)
{
	return READ_ONCE(ctx->stop) || kthread_should_stop() ||
	       ktime_after(ktime_get(), ctx->deadline);
}

/* Spins of a busy-wait between two cond_resched() and stop checks. */
#define MMRACE_SPINS		256

/**
 * mmrace_spin_until() - busy-wait for a condition inside an operation
 * @ctx: the run
 * @cond: the condition, evaluated on every spin
 * @give_up: evaluated every MMRACE_SPINS spins, after cond_resched(),
 *	with mmrace_should_stop(): the other side is gone for good
 *
 * Return: true once @cond holds, false when the run stops or @give_up
 * holds first.
 */
#define mmrace_spin_until(ctx, cond, give_up) ({			\
	unsigned int __spins = 0;					\
	bool __ok = true;						\
									\
	while (!(cond)) {						\
		cpu_relax();						\
		if (++__spins < MMRACE_SPINS)				\
			continue;					\
		__spins = 0;						\
		cond_resched();						\
		if (mmrace_should_stop(ctx) || (give_up)) {		\
			__ok = false;					\
			break;						\
		}							\
	}								\
	__ok;								\
})

/**
 * mmrace_next_cpu() - the online CPU after @cpu, round-robin
 * @cpu: a CPU, or -1 for the first
 *
 * Spreads threads or workers over the online CPUs in turn; the caller
 * holds cpus_read_lock() when the binding must not race a hotplug.
 *
 * Return: the next online CPU, wrapping to the first.
 */
static inline int mmrace_next_cpu(int cpu)
{
	cpu = cpumask_next(cpu, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	return cpu;
}

#endif /* _MMRACE_H */
