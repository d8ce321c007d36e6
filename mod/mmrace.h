/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: internal interface between the core, the run harness and the
 * pattern files. A pattern is one struct mmrace_pattern; adding one means
 * adding a file and a line to mmrace_patterns[] in core.c.
 */
#ifndef _MMRACE_H
#define _MMRACE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/cache.h>
#include <linux/completion.h>
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
 * struct mmrace_ctx - one run of one variant
 * @pat: the pattern
 * @variant: variant index
 * @req: the caller's request (validated copy); results go back through it
 * @mm: the caller's mm for real-kernel paths (mmgrab'd by the file), or NULL
 * @caller: the calling task (referenced for the run), or NULL
 * @caller_ipc_lock: capable(CAP_IPC_LOCK) of the caller, taken in its context
 * @nr_threads: threads started
 * @thr: the threads
 * @t0: start gate time
 * @deadline: ktime at which threads stop, or KTIME_MAX
 * @per_thread_iters: operations each thread does, or 0 for no limit
 * @go: start gate, set once every thread is ready
 * @stop: set to stop every thread (duration, signal, unload)
 * @ready: threads waiting at the gate
 * @running: threads not finished
 * @all_ready: completed when @ready reaches @nr_threads
 * @done: completed when @running drops to zero
 * @priv: the pattern's per-run state
 */
struct mmrace_ctx {
	const struct mmrace_pattern *pat;
	unsigned int variant;
	struct mmrace_run *req;
	struct mm_struct *mm;
	struct task_struct *caller;
	bool caller_ipc_lock;
	unsigned int nr_threads;
	struct mmrace_thread *thr;
	ktime_t t0;
	ktime_t deadline;
	u64 per_thread_iters;
	int go;
	int stop;
	atomic_t ready;
	atomic_t running;
	struct completion all_ready;
	struct completion done;
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
 * @prepare: validate @ctx->req->arg and set up @ctx->priv (may sleep);
 *	returns 0 or a negative errno
 * @thread_init: optional: set up one thread's state before the gate
 * @op: one operation of thread @t; returns 0, or a negative errno that stops
 *	the run and is returned to the caller
 * @thread_done: optional: thread @t does no more operations (its partners
 *	must not wait for it); called once per started thread
 * @finish: after every thread stopped and the threads' counters were
 *	merged into @ctx->req->counters: final checks into those, free
 *	@ctx->priv; called whenever @prepare succeeded
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
	void (*thread_done)(struct mmrace_thread *t);
	void (*finish)(struct mmrace_ctx *ctx);
};

struct mmrace_pinned;
struct mmrace_faultq;
struct mmrace_notif;

/**
 * struct mmrace_file - per-open state of /dev/mmrace
 * @mm: the opener's mm, mmgrab'd (never mmget across open time)
 * @lock: serialises the ioctls of this file
 * @opener: the opener's thread group (its pid, referenced)
 * @pins: long-term pins held by this file (pin.c), released on close
 * @faultq: the fake device with the fault queue (faultq.c), created by the
 *	first MMRACE_IOC_FAULTQ_SUBMIT, torn down on close
 * @notif: the real mmu_notifier subscribers (notif.c), registered by
 *	MMRACE_IOC_NOTIF_REGISTER, unregistered on close
 */
struct mmrace_file {
	struct mm_struct *mm;
	struct mutex lock;	/* one ioctl of this file at a time */
	struct pid *opener;
	struct mmrace_pinned *pins[MMRACE_MAX_PINS];
	struct mmrace_faultq *faultq;
	struct mmrace_notif *notif;
};

extern const struct mmrace_pattern mmrace_p1_lockedvm;
extern const struct mmrace_pattern mmrace_p2_vmalock;
extern const struct mmrace_pattern mmrace_p4_forkpin;
extern const struct mmrace_pattern mmrace_p5_faultq;
extern const struct mmrace_pattern mmrace_p3_mmunotif;
extern const struct mmrace_pattern mmrace_baseline;

/* Core (core.c). */
const struct mmrace_pattern *mmrace_pattern_get(u64 id);
const struct mmrace_pattern *mmrace_pattern_by_name(const char *name);
int mmrace_variant_by_name(const struct mmrace_pattern *pat, const char *name);
void mmrace_record_result(const struct mmrace_pattern *pat,
			  const struct mmrace_run *res);
unsigned int mmrace_default_threads(void);
u64 mmrace_default_duration_ms(void);

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

/* Uses of an mm that together allow the interval-notifier hang. */
enum mmrace_mm_use {
	MMRACE_MM_ITREE,
	MMRACE_MM_FAILING_HLIST,
	MMRACE_MM_NR_USES,
};

int mmrace_mm_claim(struct mm_struct *mm, enum mmrace_mm_use use,
		    bool allow_hang);
void mmrace_mm_unclaim(struct mm_struct *mm, enum mmrace_mm_use use);

/* Real pins held by an open file (pin.c); called under mmrace_file.lock. */
int mmrace_ioc_pin(struct mmrace_file *mf, void *arg);
int mmrace_ioc_pin_access(struct mmrace_file *mf, void *arg);
int mmrace_ioc_unpin(struct mmrace_file *mf, void *arg);
int mmrace_ioc_page_info(struct mmrace_file *mf, void *arg);
void mmrace_pin_release_all(struct mmrace_file *mf);

/* The fake device of P5 (faultq.c); ioctls under mmrace_file.lock. */
int mmrace_ioc_faultq_submit(struct mmrace_file *mf, void *arg);
int mmrace_ioc_faultq_wait(struct mmrace_file *mf, void *arg);
int mmrace_ioc_faultq_read(struct mmrace_file *mf, void *arg);
void mmrace_faultq_release(struct mmrace_file *mf);
int mmrace_faultq_init(void);
void mmrace_faultq_exit(void);

/* The real notifier subscribers of P3 (notif.c). */
int mmrace_ioc_notif_register(struct mmrace_file *mf, void *arg);
int mmrace_ioc_notif_ctl(struct mmrace_file *mf, void *arg);
int mmrace_ioc_notif_unregister(struct mmrace_file *mf, void *arg);
void mmrace_notif_release(struct mmrace_file *mf);

/* Run harness (harness.c). */
int mmrace_run(struct mmrace_run *req, struct mm_struct *mm);
void mmrace_harness_shutdown(void);
u64 mmrace_runs_completed(void);

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
	if (t->ctx->req->flags & MMRACE_RUN_STOP_ON_DETECT)
		WRITE_ONCE(t->ctx->stop, 1);
}

/* Busy-wait inside a race window when the run asked for one. */
void mmrace_window(const struct mmrace_thread *t);

#endif /* _MMRACE_H */
