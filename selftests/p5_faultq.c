// SPDX-License-Identifier: GPL-2.0
/*
 * P5 selftests: a device's page-fault queue against a dying mm.
 *
 * The model (harness threads: an owner that is killed at a random point of
 * every queue, workers that drain it) must show hint_only faulting a
 * torn-down mm and owner_check dropping faults of an mm a CLONE_VM sibling
 * keeps alive; the per-fault checks must cut the work done after the kill
 * tenfold. The fixed variants' zero violations are checked in controls.c.
 * With a reference per queued fault (the gift), last_put_in_worker's last
 * put must be seen tearing the mm down inside the work its release
 * flushes (self_wait), put_deferred and put_async never, and the gift
 * must keep the mm alive after the kill far longer than mmget.
 *
 * The real device (one per open of /dev/mmrace) faults the opener's pages
 * from work items: storms complete with the right pages mirrored; a
 * SIGKILL in the middle of a storm leaves every fault accounted, and the
 * per-fault checks stop the useless work that no_check keeps doing; munmap
 * during a storm never leaves a freed page mirrored; a CLONE_VM sibling
 * keeps the mm, and the faults, alive. With a reference per queued fault,
 * the victim's mm lives until the queue drained and is released in the
 * device's work item (last_put_in_worker: self_wait) or in system_wq
 * (put_async).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <poll.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/mmrace/p4_forkpin.h>
#include <linux/mmrace/p5_faultq.h>

#include "kselftest_harness.h"
#include "mmrace_lib.h"

/* Faults of each variant in the useless-work comparison. */
#define P5_WORK_FAULTS		200000ULL
#define P5_RUN_MS		2000
/*
 * The first runs of a fixed variant's series (then sized to the budget),
 * and owner_check's runs: its false aborts come by the hundred thousand.
 */
#define P5_FIRST_MS		500
#define P5_MAX_RUNS		10
/* Pages of the real tests' region, and faults of a kill-during-storm. */
#define P5_PAGES		1024
#define P5_STORMS		16
/*
 * Storms of P5_PAGES faults queued before a kill: the work no_check does
 * after the kill grows with the queue, the others' with the victim's exit
 * time (about 10 ms under TCG, some thousand faults), so the queue is
 * long enough for a tenfold difference with room to spare.
 */
#define P5_KILL_STORMS		256
/*
 * Storms of P5_PAGES queued before gifted_kill's kill: the gifts run them
 * all, whatever the kill.
 */
#define P5_GIFT_STORMS		64

static long page_size;

/* The run by name (mmrace_log_run()), and the gift's time per life. */
#define p5_log(fd, what, r) do {					\
	const __u64 *__c = (r)->counters;				\
									\
	mmrace_log_run(fd, what, r);					\
	if (__c[MMRACE_P5_C_LIVES])					\
		TH_LOG("%s: alive after the kill %.2f us per life", what,	\
		       __c[MMRACE_P5_C_ALIVE_AFTER_KILL_NS] / 1e3 /	\
		       __c[MMRACE_P5_C_LIVES]);				\
} while (0)

FIXTURE(p5) {
	int fd;
	int ncpu;
};

FIXTURE_SETUP(p5)
{
	struct mmrace_info info;

	page_size = sysconf(_SC_PAGESIZE);
	if (mmrace_fixture_open(_metadata, &self->fd, &info, 0))
		return;
	self->ncpu = info.online_cpus;
}

FIXTURE_TEARDOWN(p5)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int p5_model_ms(int fd, __u64 variant, __u64 shared, __u64 window,
		       __u64 ms, struct mmrace_run *r)
{
	mmrace_run_init(r, MMRACE_P5_FAULTQ, variant);
	r->threads = 2;
	r->duration_ms = ms;
	r->window_ns = window;
	r->arg[MMRACE_P5_ARG_SHARED] = shared;
	return mmrace_run(fd, r);
}

static int p5_model(int fd, __u64 variant, __u64 shared, __u64 window,
		    struct mmrace_run *r)
{
	return p5_model_ms(fd, variant, shared, window, P5_RUN_MS, r);
}

/* hint_only: the peek passes, the owner's exit tears the mm down, the fault runs. */
TEST_F_TIMEOUT(p5, model_hint_only_races, 120)
{
	__u64 seen = 0;
	struct mmrace_run r;
	int i;

	for (i = 0; i < P5_MAX_RUNS / 2 && !seen; i++) {
		ASSERT_EQ(0, p5_model(self->fd, MMRACE_P5_HINT_ONLY, 0,
				      i ? 2000 : 0, &r));
		p5_log(self->fd, i ? "hint_only, window 2 us" : "hint_only",
		       &r);
		seen += r.counters[MMRACE_P5_C_AFTER_EXIT];
	}
	EXPECT_LT(0, seen) TH_LOG("no fault on a torn-down mm in %d runs of %d ms",
				  i, P5_RUN_MS);
	EXPECT_EQ(0, r.counters[MMRACE_P5_C_IMBALANCE]);
}

/* owner_check drops the faults of an mm a CLONE_VM sibling keeps alive. */
TEST_F_TIMEOUT(p5, model_owner_check_false_abort, 60)
{
	__u64 false_abort = 0, after_exit = 0, aborted;
	struct mmrace_run r;
	int i;

	/*
	 * Runs until a false abort shows (up to P5_MAX_RUNS / 2): on a
	 * loaded PREEMPT_RT guest one run of P5_FIRST_MS saw no owner
	 * killed while faults were pending (after_kill 0).
	 */
	for (i = 0; i < P5_MAX_RUNS / 2 && !false_abort; i++) {
		ASSERT_EQ(0, p5_model_ms(self->fd, MMRACE_P5_OWNER_CHECK, 0, 0,
					 P5_FIRST_MS, &r));
		p5_log(self->fd, "owner_check, shared", &r);
		EXPECT_EQ(1, r.counters[MMRACE_P5_C_SHARED]);
		false_abort += r.counters[MMRACE_P5_C_FALSE_ABORT];
		after_exit += r.counters[MMRACE_P5_C_AFTER_EXIT];
	}
	EXPECT_LT(0, false_abort)
		TH_LOG("no false abort in %d runs of %d ms", i, P5_FIRST_MS);
	EXPECT_EQ(0, after_exit);
	/*
	 * Not shared: its aborts are right, none a violation; runs until one
	 * aborts (the arm64 guest under load once saw no kill land while
	 * faults were pending in a run of 46 lives).
	 */
	for (i = 0, aborted = 0; i < P5_MAX_RUNS / 2 && !aborted; i++) {
		ASSERT_EQ(0, p5_model_ms(self->fd, MMRACE_P5_OWNER_CHECK,
					 MMRACE_P5_SHARED_NO, 0, P5_FIRST_MS,
					 &r));
		p5_log(self->fd, "owner_check, not shared", &r);
		EXPECT_EQ(0, r.violations);
		aborted += r.counters[MMRACE_P5_C_ABORTED_EARLY];
	}
	EXPECT_LT(0, aborted)
		TH_LOG("no early abort in %d runs of %d ms", i, P5_FIRST_MS);
}

/*
 * The per-fault checks stop the useless work: faults handled after the
 * owner's kill, per life, over P5_WORK_FAULTS faults, shared or not (every
 * other run); counted over the runs without a sibling only (with one, the
 * mm lives on and its faults are useful). The runs still show no
 * violation; the fixed variants' verdicts over 10^6 faults, with their
 * witness and hint_only / owner_check as negative controls, are in
 * controls.c.
 */
static void p5_model_fixed(struct __test_metadata *_metadata, int fd,
			   __u64 variant, const char *name,
			   __u64 *after_kill_per_life, double *alive_ns_per_life)
{
	__u64 submitted = 0, lives = 0, after_kill = 0, alive_ns = 0;
	__u64 want = mmrace_budget(fd, P5_WORK_FAULTS);
	struct mmrace_run r = { 0 };
	int i;

	/* Both kinds of run at least, whatever the first one counted. */
	for (i = 0; i < P5_MAX_RUNS && (i < 2 || submitted < want); i++) {
		bool shared = i & 1;
		__u64 ms = mmrace_next_ms(want, submitted,
					  r.counters[MMRACE_P5_C_SUBMITTED],
					  r.elapsed_ns, P5_FIRST_MS, P5_RUN_MS);

		ASSERT_EQ(0, p5_model_ms(fd, variant, shared ?
					 MMRACE_P5_SHARED_YES :
					 MMRACE_P5_SHARED_NO, 0, ms, &r));
		if (i < 2)
			p5_log(fd, name, &r);
		EXPECT_EQ(0, r.violations) {
			p5_log(fd, "violation", &r);
		}
		submitted += r.counters[MMRACE_P5_C_SUBMITTED];
		if (!shared) {
			lives += r.counters[MMRACE_P5_C_LIVES];
			after_kill += r.counters[MMRACE_P5_C_AFTER_KILL];
			alive_ns += r.counters[MMRACE_P5_C_ALIVE_AFTER_KILL_NS];
		}
	}
	TH_LOG("%s: %d runs, %llu faults; without a sibling %llu lives, %.1f faults handled after the kill per life, the mm alive %.2f us after the kill per life",
	       name, i, submitted, lives, lives ? (double)after_kill / lives : 0,
	       lives ? alive_ns / 1e3 / lives : 0);
	EXPECT_LE(want, submitted);
	*after_kill_per_life = lives ? after_kill / lives : 0;
	if (alive_ns_per_life)
		*alive_ns_per_life = lives ? (double)alive_ns / lives : 0;
}

TEST_F_TIMEOUT(p5, model_checks_stop_useless_work, 300)
{
	__u64 no_check, racy, mmget;

	p5_model_fixed(_metadata, self->fd, MMRACE_P5_NO_CHECK, "no_check",
		       &no_check, NULL);
	p5_model_fixed(_metadata, self->fd, MMRACE_P5_RACY_CHECK,
		       "racy_check", &racy, NULL);
	p5_model_fixed(_metadata, self->fd, MMRACE_P5_MMGET, "mmget", &mmget,
		       NULL);
	/* The checks stop the useless work: at least ten times less. */
	EXPECT_LT(10 * racy, no_check);
	EXPECT_LT(10 * mmget, no_check);
}

/*
 * The gift outlives the kill: the worker's put of a queued fault's own
 * reference is the last in most lives. Dropped inside the work item the
 * release flushes (last_put_in_worker), that put's teardown waits on the
 * work it runs in: self_wait, from the first lives. Killed once the queue
 * drained, every gift was dropped before the owner's put: the owner tears
 * down, nothing counts.
 */
TEST_F_TIMEOUT(p5, model_last_put_in_worker_self_waits, 60)
{
	__u64 self_wait = 0;
	struct mmrace_run r;
	int i;

	for (i = 0; i < P5_MAX_RUNS / 2 && !self_wait; i++) {
		ASSERT_EQ(0, p5_model_ms(self->fd, MMRACE_P5_LAST_PUT_IN_WORKER,
					 MMRACE_P5_SHARED_NO, 0, P5_FIRST_MS,
					 &r));
		p5_log(self->fd, "last_put_in_worker", &r);
		self_wait += r.counters[MMRACE_P5_C_SELF_WAIT];
		EXPECT_EQ(0, r.counters[MMRACE_P5_C_AFTER_EXIT]);
		EXPECT_EQ(0, r.counters[MMRACE_P5_C_IMBALANCE]);
	}
	EXPECT_LT(0, self_wait)
		TH_LOG("no last put inside the flushed work in %d runs of %d ms",
		       i, P5_FIRST_MS);
	TH_LOG("last_put_in_worker: %llu self-waits in %d runs of %d ms (%.1f per run)",
	       self_wait, i, P5_FIRST_MS, (double)self_wait / i);

	/* The kill after the drain: the window cannot open. */
	mmrace_run_init(&r, MMRACE_P5_FAULTQ, MMRACE_P5_LAST_PUT_IN_WORKER);
	r.threads = 2;
	r.duration_ms = P5_FIRST_MS;
	r.arg[MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_NO;
	r.arg[MMRACE_P5_ARG_QUEUE] = 256;
	r.arg[MMRACE_P5_ARG_KILL_AT] = 256;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	p5_log(self->fd, "last_put_in_worker, kill after the drain", &r);
	EXPECT_LT(0, r.counters[MMRACE_P5_C_LIVES]);
	EXPECT_EQ(0, r.counters[MMRACE_P5_C_SELF_WAIT]);
	EXPECT_EQ(0, r.counters[MMRACE_P5_C_TEARDOWN_BY_WORKER]);
	EXPECT_EQ(0, r.violations);
}

/*
 * The gift keeps the dying mm alive until the queue drained (KVM's async
 * #PF before 6.9): the fixed gifted variants handle every fault queued
 * before the kill, mmget (KVM's 6.9 fix) refuses those after it (the
 * faults handled after the kill, asserted). Logged: the time from the
 * kill to the last put, per life.
 */
TEST_F_TIMEOUT(p5, model_gift_keeps_mm_alive, 300)
{
	__u64 deferred, async, mmget;
	double deferred_ns, async_ns, mmget_ns;

	p5_model_fixed(_metadata, self->fd, MMRACE_P5_PUT_DEFERRED,
		       "put_deferred", &deferred, &deferred_ns);
	p5_model_fixed(_metadata, self->fd, MMRACE_P5_PUT_ASYNC, "put_async",
		       &async, &async_ns);
	p5_model_fixed(_metadata, self->fd, MMRACE_P5_MMGET, "mmget", &mmget,
		       &mmget_ns);
	TH_LOG("the mm alive after the kill, per life: put_deferred %.2f us, put_async %.2f us, mmget %.2f us (%.1f and %.1f times mmget's)",
	       deferred_ns / 1e3, async_ns / 1e3, mmget_ns / 1e3,
	       mmget_ns ? deferred_ns / mmget_ns : 0,
	       mmget_ns ? async_ns / mmget_ns : 0);
	TH_LOG("faults handled after the kill, per life: put_deferred %llu, put_async %llu, mmget %llu",
	       deferred, async, mmget);
	/*
	 * Judged by operations: the faults handled after the kill. The time
	 * the mm stays alive is logged, not asserted (a measurement: 166 to
	 * 364 times mmget's in a 6.1 TCG guest, 4.3 to 4.7 times on the
	 * debug kernel, where mmget's own teardown is slow).
	 */
	EXPECT_LT(10 * mmget, deferred);
	EXPECT_LT(10 * mmget, async);
}

/*
 * controls.c's rows p5_put_deferred and p5_put_async, at a smaller
 * budget: the fixed variant has no violation and its witness counts
 * (put_deferred: a worker's put, outside the work, tore the mm down;
 * put_async: a worker's mmput_async() was the last); with the kill after
 * the drain the witness stays 0; last_put_in_worker raises self_wait.
 */
static void p5_gifted_row(struct __test_metadata *_metadata, int fd,
			  __u64 fixed, int witness, const char *name)
{
	__u64 want = mmrace_budget(fd, P5_WORK_FAULTS / 4);
	__u64 submitted = 0, seen = 0, violations = 0;
	struct mmrace_run r = { 0 };
	int i;

	for (i = 0; i < P5_MAX_RUNS && submitted < want; i++) {
		__u64 ms = mmrace_next_ms(want, submitted,
					  r.counters[MMRACE_P5_C_SUBMITTED],
					  r.elapsed_ns, P5_FIRST_MS, P5_RUN_MS);

		ASSERT_EQ(0, p5_model_ms(fd, fixed, MMRACE_P5_SHARED_NO, 0, ms,
					 &r));
		if (!i)
			p5_log(fd, name, &r);
		submitted += r.counters[MMRACE_P5_C_SUBMITTED];
		seen += r.counters[witness];
		violations += r.violations;
	}
	TH_LOG("%s: %d runs, %llu faults, witness %llu, %llu violations",
	       name, i, submitted, seen, violations);
	EXPECT_LE(want, submitted);
	EXPECT_EQ(0, violations);
	EXPECT_LT(0, seen);

	/* The witness control: the kill after the queue drained. */
	mmrace_run_init(&r, MMRACE_P5_FAULTQ, fixed);
	r.threads = 2;
	r.duration_ms = P5_FIRST_MS;
	r.arg[MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_NO;
	r.arg[MMRACE_P5_ARG_QUEUE] = 256;
	r.arg[MMRACE_P5_ARG_KILL_AT] = 256;
	ASSERT_EQ(0, mmrace_run(fd, &r));
	p5_log(fd, "witness control: the kill after the drain", &r);
	EXPECT_LT(0, r.counters[MMRACE_P5_C_SUBMITTED]);
	EXPECT_EQ(0, r.counters[witness]);
	EXPECT_EQ(0, r.violations);
}

TEST_F_TIMEOUT(p5, model_gifted_rows, 300)
{
	__u64 detected = 0, submitted = 0;
	struct mmrace_run r;
	int i;

	p5_gifted_row(_metadata, self->fd, MMRACE_P5_PUT_DEFERRED,
		      MMRACE_P5_C_TEARDOWN_BY_WORKER, "put_deferred");
	p5_gifted_row(_metadata, self->fd, MMRACE_P5_PUT_ASYNC,
		      MMRACE_P5_C_ASYNC_LAST_PUT, "put_async");
	/* The negative control, as controls.c runs it: stop on detection. */
	for (i = 0; i < P5_MAX_RUNS / 2 && !detected; i++) {
		mmrace_run_init(&r, MMRACE_P5_FAULTQ,
				MMRACE_P5_LAST_PUT_IN_WORKER);
		r.threads = 2;
		r.duration_ms = P5_FIRST_MS;
		r.flags = MMRACE_RUN_STOP_ON_DETECT;
		r.arg[MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_NO;
		ASSERT_EQ(0, mmrace_run(self->fd, &r));
		p5_log(self->fd, "last_put_in_worker, stop on detection", &r);
		detected += r.counters[MMRACE_P5_C_SELF_WAIT];
		submitted += r.counters[MMRACE_P5_C_SUBMITTED];
	}
	EXPECT_LT(0, detected);
	TH_LOG("negative control: self_wait after %llu faults", submitted);
}

TEST_F(p5, model_bad_args)
{
	struct mmrace_run r;

	mmrace_run_init(&r, MMRACE_P5_FAULTQ, MMRACE_P5_MMGET);
	r.threads = 1;
	r.duration_ms = 10;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	r.threads = 2;
	r.arg[MMRACE_P5_ARG_QUEUE] = 65537;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	r.arg[MMRACE_P5_ARG_QUEUE] = 0;
	r.arg[MMRACE_P5_ARG_SHARED] = 3;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	r.arg[MMRACE_P5_ARG_SHARED] = 0;
	/* The kill point lies within the queue (of 256 by default). */
	r.arg[MMRACE_P5_ARG_KILL_AT] = 257;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	r.arg[MMRACE_P5_ARG_QUEUE] = 16;
	r.arg[MMRACE_P5_ARG_KILL_AT] = 17;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	r.arg[MMRACE_P5_ARG_QUEUE] = 0;
	r.arg[MMRACE_P5_ARG_KILL_AT] = 0;
	r.arg[MMRACE_P5_ARG_KILL_AT + 1] = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	r.arg[MMRACE_P5_ARG_KILL_AT + 1] = 0;
	/* An iteration-bounded run ends the owner and workers apart. */
	r.iterations = 3000;
	r.duration_ms = 0;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	EXPECT_GT(10ULL * 1000 * 1000 * 1000, r.elapsed_ns);
	r.iterations = 0;
	r.threads = 4;
	r.duration_ms = 200;
	r.arg[MMRACE_P5_ARG_QUEUE] = 16;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	EXPECT_EQ(0, r.violations);
}

/* ---- the real device --------------------------------------------------- */

/*
 * The bits of this process's address space (47 on x86-64, 48 on arm64
 * with 4 KiB pages, up to 57): the largest k with a page just below 2^k
 * that can be mapped (or already is), found by probing with
 * MAP_FIXED_NOREPLACE.
 */
static int user_va_bits(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int k, bits = 47;

	for (k = 47; k <= 57; k++) {
		void *want = (void *)((1UL << k) - 2 * page);
		void *p = mmap(want, page, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);

		if (p == want) {
			munmap(p, page);
			bits = k;
		} else if (p == MAP_FAILED && errno == EEXIST) {
			bits = k;
		} else if (p != MAP_FAILED) {
			munmap(p, page);
		}
	}
	return bits;
}

static int submit(int fd, __u64 variant, void *addr, __u64 nr, __u64 stride,
		  __u64 flags, __u64 workers)
{
	struct mmrace_faultq_submit s = {
		.variant = variant, .addr = (uintptr_t)addr, .nr = nr,
		.stride = stride, .flags = flags, .workers = workers,
	};

	return ioctl(fd, MMRACE_IOC_FAULTQ_SUBMIT, &s) ? -errno : 0;
}

static int fq_wait(int fd, __u64 timeout_ms, __u64 mark,
		   struct mmrace_faultq_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->timeout_ms = timeout_ms;
	st->mark = mark;
	return ioctl(fd, MMRACE_IOC_FAULTQ_WAIT, st) ? -errno : 0;
}

static int fq_read(int fd, void *addr, __u64 *val, __u64 *pfn)
{
	struct mmrace_faultq_read rd = { .addr = (uintptr_t)addr };

	if (ioctl(fd, MMRACE_IOC_FAULTQ_READ, &rd))
		return -errno;
	*val = rd.value;
	if (pfn)
		*pfn = rd.pfn;
	return 0;
}

static void fq_log(struct __test_metadata *_metadata, const char *what,
		   const struct mmrace_faultq_stats *s)
{
	TH_LOG("%s: submitted=%llu processed=%llu early=%llu late=%llu errors=%llu retried=%llu false_abort=%llu abort_exiting=%llu after_exit=%llu pending=%llu mirrored=%llu invalidations=%llu released=%llu self_wait=%llu release_in_kworker=%llu after_mark=%llu mark_to_release_ms=%.1f mark_to_drain_ms=%.1f",
	       what, s->submitted, s->processed, s->aborted_early,
	       s->aborted_late, s->errors, s->retried, s->false_abort,
	       s->abort_exiting, s->after_exit, s->pending, s->mirrored, s->invalidations,
	       s->released, s->self_wait, s->release_in_kworker,
	       s->processed_after_mark,
	       s->mark_to_release_ns / 1e6, s->mark_to_drain_ns / 1e6);
}

static void fq_check_sum(struct __test_metadata *_metadata,
			 const struct mmrace_faultq_stats *s)
{
	EXPECT_EQ(0, s->pending);
	EXPECT_EQ(s->submitted, s->processed + s->aborted_early +
		  s->aborted_late + s->errors);
	EXPECT_EQ(0, s->after_exit);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *map_pages(long n)
{
	char *m = mmap(NULL, n * page_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long i;

	if (m == MAP_FAILED)
		return NULL;
	for (i = 0; i < n; i++)
		*(volatile __u64 *)(m + i * page_size) = 0xfa0000 + i;
	return m;
}

/* A storm completes and the device reads back what the process wrote. */
static void fq_storm(struct __test_metadata *_metadata, int ncpu,
		     __u64 variant, const char *name)
{
	struct mmrace_faultq_stats st;
	struct mmrace_page_info pi;
	int fd = mmrace_open();
	char *m = map_pages(P5_PAGES);
	long i, bad = 0;
	__u64 v = 0, pfn = 0;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, submit(fd, variant, m, P5_PAGES, 0, 0, ncpu));
	ASSERT_EQ(0, submit(fd, variant, m, P5_PAGES, 0,
			    MMRACE_FAULTQ_WRITE, 0));
	ASSERT_EQ(0, fq_wait(fd, 30000, 0, &st));
	fq_log(_metadata, name, &st);
	fq_check_sum(_metadata, &st);
	EXPECT_EQ(2 * P5_PAGES, st.processed);
	EXPECT_EQ(P5_PAGES, st.mirrored);
	for (i = 0; i < P5_PAGES; i++) {
		ASSERT_EQ(0, fq_read(fd, m + i * page_size, &v, &pfn));
		memset(&pi, 0, sizeof(pi));
		pi.addr = (uintptr_t)(m + i * page_size);
		ASSERT_EQ(0, ioctl(fd, MMRACE_IOC_PAGE_INFO, &pi));
		if (v != 0xfa0000 + (__u64)i || pfn != pi.pfn)
			bad++;
	}
	EXPECT_EQ(0, bad);
	/* The process writes, the device sees it: the same page. */
	*(volatile __u64 *)m = 0xabc;
	ASSERT_EQ(0, fq_read(fd, m, &v, NULL));
	EXPECT_EQ(0xabc, v);
	close(fd);
	munmap(m, P5_PAGES * page_size);
}

TEST_F_TIMEOUT(p5, storm_mmget, 120)
{
	fq_storm(_metadata, self->ncpu, MMRACE_P5_MMGET, "mmget");
}

TEST_F_TIMEOUT(p5, storm_racy_check, 120)
{
	fq_storm(_metadata, self->ncpu, MMRACE_P5_RACY_CHECK, "racy_check");
}

TEST_F_TIMEOUT(p5, storm_no_check, 120)
{
	fq_storm(_metadata, self->ncpu, MMRACE_P5_NO_CHECK, "no_check");
}

TEST_F_TIMEOUT(p5, storm_owner_check, 120)
{
	fq_storm(_metadata, self->ncpu, MMRACE_P5_OWNER_CHECK, "owner_check");
}

/* The gifts of a live process's storms: never its last reference. */
TEST_F_TIMEOUT(p5, storm_gifted, 120)
{
	fq_storm(_metadata, self->ncpu, MMRACE_P5_LAST_PUT_IN_WORKER,
		 "last_put_in_worker");
	fq_storm(_metadata, self->ncpu, MMRACE_P5_PUT_ASYNC, "put_async");
}

/*
 * Throughput at 1, 2 and all CPUs' worth of workers, per real variant:
 * reported (a benchmark, not a timed test); asserted: every fault done.
 */
TEST_F_TIMEOUT(p5, storm_throughput, 300)
{
	static const __u64 vs[] = { MMRACE_P5_NO_CHECK, MMRACE_P5_RACY_CHECK,
				    MMRACE_P5_MMGET };
	static const char *const names[] = { "no_check", "racy_check",
					     "mmget" };
	char *m = map_pages(P5_PAGES);
	unsigned int v;
	int w;

	ASSERT_NE(NULL, m);
	for (v = 0; v < 3; v++) {
		for (w = 1; w <= self->ncpu; w = w < 2 ? 2 : w * 2) {
			struct mmrace_faultq_stats st;
			int fd = mmrace_open(), i;
			double t0, ms;

			ASSERT_LE(0, fd);
			t0 = now_ms();
			for (i = 0; i < P5_STORMS; i++)
				ASSERT_EQ(0, submit(fd, vs[v], m, P5_PAGES, 0,
						    0, w));
			ASSERT_EQ(0, fq_wait(fd, 60000, 0, &st));
			ms = now_ms() - t0;
			fq_check_sum(_metadata, &st);
			EXPECT_EQ(P5_STORMS * P5_PAGES, st.processed);
			TH_LOG("%-10s %d workers: %d faults in %.1f ms, %.0f faults/s",
			       names[v], w, P5_STORMS * P5_PAGES, ms,
			       P5_STORMS * P5_PAGES / ms * 1e3);
			close(fd);
			if (w >= self->ncpu)
				break;
		}
	}
	munmap(m, P5_PAGES * page_size);
}

/* munmap during a storm: no freed page stays mirrored. */
TEST_F_TIMEOUT(p5, munmap_during_storm, 120)
{
	struct mmrace_faultq_stats st;
	int fd = mmrace_open();
	char *m = map_pages(P5_PAGES);
	long i, stale = 0;
	__u64 v = 0;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, m);
	for (i = 0; i < P5_KILL_STORMS / 4; i++)
		ASSERT_EQ(0, submit(fd, MMRACE_P5_MMGET, m, P5_PAGES, 0,
				    i & 1 ? MMRACE_FAULTQ_WRITE : 0,
				    self->ncpu));
	/* Unmap half the region once the first storm went through. */
	do {
		ASSERT_EQ(0, fq_wait(fd, 0, 0, &st));
	} while (st.processed < P5_PAGES);
	munmap(m + P5_PAGES / 2 * page_size, P5_PAGES / 2 * page_size);
	ASSERT_EQ(0, fq_wait(fd, 60000, 0, &st));
	fq_log(_metadata, "munmap during storm", &st);
	fq_check_sum(_metadata, &st);
	EXPECT_LT(0, st.errors);
	EXPECT_LT(0, st.invalidations);
	for (i = P5_PAGES / 2; i < P5_PAGES; i++)
		if (fq_read(fd, m + i * page_size, &v, NULL) != -ENOENT)
			stale++;
	EXPECT_EQ(0, stale);
	for (i = 0; i < P5_PAGES / 2; i++) {
		ASSERT_EQ(0, fq_read(fd, m + i * page_size, &v, NULL));
		EXPECT_EQ(0xfa0000 + (__u64)i, v);
	}
	close(fd);
	munmap(m, P5_PAGES / 2 * page_size);
}

/*
 * A victim process opens the device; the test takes a copy of its file
 * with pidfd_getfd(), so the device outlives the victim and can be asked
 * afterwards. With @sibling the victim first starts a CLONE_VM process
 * (not a thread) that keeps the mm alive after the victim dies. A
 * @map_fd of 0 or more is mapped shared by the victim, then closed: its
 * file's last close comes when the victim's mm is torn down.
 */
struct victim {
	pid_t pid;
	pid_t sibling;
	int fd;
	char *mem;
};

static int sibling_fn(void *arg)
{
	for (;;)
		pause();
	return 0;
}

static int victim_start(struct victim *v, bool sibling, int map_fd)
{
	struct {
		char *mem;
		int fd;
		pid_t sibling;
	} msg;
	int pfd[2];

	if (pipe(pfd))
		return -1;
	v->pid = fork();
	if (v->pid < 0)
		return -1;
	if (v->pid == 0) {
		msg.fd = mmrace_open();
		msg.mem = map_pages(P5_PAGES);
		msg.sibling = 0;
		/* Only the mapping holds @map_fd's file from here on. */
		if (map_fd >= 0 &&
		    mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 map_fd, 0) == MAP_FAILED)
			msg.mem = NULL;
		if (map_fd >= 0)
			close(map_fd);
		if (sibling) {
			size_t sz = 64 * 1024;
			char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			msg.sibling = clone(sibling_fn, stack + sz,
					    CLONE_VM | SIGCHLD, NULL);
		}
		if (write(pfd[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	close(pfd[0]);
	if (msg.fd < 0 || !msg.mem || msg.sibling < 0)
		return -1;
	v->mem = msg.mem;
	v->sibling = msg.sibling;
	v->fd = mmrace_getfd(v->pid, msg.fd, NULL);
	return v->fd < 0 ? -1 : 0;
}


/*
 * Queue @storms storms of P5_PAGES faults on victim @v, let a tenth of the
 * first one through, mark, SIGKILL the victim and reap it. Returns the
 * time of the kill (now_ms()).
 */
static double storm_then_kill(struct __test_metadata *_metadata, int ncpu,
			      struct victim *v, __u64 variant, int storms)
{
	struct mmrace_faultq_stats st;
	double t0;
	int i;

	for (i = 0; i < storms; i++)
		ASSERT_EQ(0, submit(v->fd, variant, v->mem, P5_PAGES, 0, 0,
				    ncpu));
	/* Let a tenth of the first storm go through. */
	do {
		ASSERT_EQ(0, fq_wait(v->fd, 0, 0, &st));
		usleep(1000);
	} while (st.processed < P5_PAGES / 10);
	ASSERT_EQ(0, fq_wait(v->fd, 0, 1, &st));
	kill(v->pid, SIGKILL);
	t0 = now_ms();
	ASSERT_EQ(v->pid, waitpid(v->pid, NULL, 0));
	return t0;
}

struct kill_result {
	struct mmrace_faultq_stats st;
	double wait_ms;
};

/*
 * Queue a long storm (@storms of P5_PAGES faults, 0: P5_KILL_STORMS),
 * SIGKILL the victim in its middle, wait for the drain.
 */
static void kill_during_storm(struct __test_metadata *_metadata, int ncpu,
			      __u64 variant, const char *name, int storms,
			      struct kill_result *res)
{
	struct mmrace_faultq_stats st;
	struct victim v;
	double t0;

	ASSERT_EQ(0, victim_start(&v, false, -1));
	if (!storms)
		storms = mmrace_budget(v.fd, P5_KILL_STORMS);
	t0 = storm_then_kill(_metadata, ncpu, &v, variant, storms);
	ASSERT_EQ(0, fq_wait(v.fd, 60000, 0, &res->st));
	res->wait_ms = now_ms() - t0;
	fq_log(_metadata, name, &res->st);
	fq_check_sum(_metadata, &res->st);
	/*
	 * Every fault either ran on a live mm or was refused: none failed
	 * (a fault path without its mm_users reference faults an mm that
	 * exit_mmap() is tearing down, and its faults fail or run after
	 * the release: scripts/mutants p5_device_no_mmget).
	 */
	EXPECT_EQ(0, res->st.errors);
	/*
	 * No sibling: owner_check's aborts while the dying owner still held
	 * the mm are right (abort_exiting), none is a false abort.
	 */
	EXPECT_EQ(0, res->st.false_abort);
	/* The mm was released, and after the queue stopped needing it. */
	ASSERT_EQ(0, fq_wait(v.fd, 0, 0, &st));
	EXPECT_EQ(1, st.released);
	close(v.fd);
}

TEST_F_TIMEOUT(p5, kill_during_storm, 300)
{
	static const struct {
		__u64 variant;
		const char *name;
	} vs[] = {
		{ MMRACE_P5_NO_CHECK, "no_check" },
		{ MMRACE_P5_RACY_CHECK, "racy_check" },
		{ MMRACE_P5_MMGET, "mmget" },
		{ MMRACE_P5_OWNER_CHECK, "owner_check" },
	};
	struct kill_result res[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		kill_during_storm(_metadata, self->ncpu, vs[i].variant,
				  vs[i].name, 0, &res[i]);
	for (i = 0; i < 4; i++)
		TH_LOG("%-12s processed after kill %8llu, aborted %8llu, kill->mm released %8.1f ms, kill->drained %8.1f ms",
		       vs[i].name, res[i].st.processed_after_mark,
		       res[i].st.aborted_early + res[i].st.aborted_late,
		       res[i].st.mark_to_release_ns / 1e6,
		       res[i].st.mark_to_drain_ns / 1e6);
	/* mmget: faults after the death were refused by mmget_not_zero(). */
	EXPECT_LT(0, res[2].st.aborted_late);
	/*
	 * no_check does everything; the checks stop the useless work: each
	 * aborts some and handles several times fewer faults after the
	 * kill. owner_check stops at once (447 to 258,451 times fewer in 28
	 * runs); racy_check and mmget go on until the dying opener is seen
	 * exiting or its exit_mm() drops mm_users, a scheduling latency
	 * (12.3 and 11.6 times fewer at least in those runs, 5.9 for mmget
	 * in one loaded 6.12 CI guest, 123 ms from the kill to the release):
	 * their bound is 2, owner_check's 100. The ratios are logged.
	 */
	EXPECT_EQ(0, res[0].st.aborted_early + res[0].st.aborted_late);
	for (i = 1; i < 4; i++) {
		__u64 bound = vs[i].variant == MMRACE_P5_OWNER_CHECK ? 100 : 2;

		EXPECT_LT(bound * res[i].st.processed_after_mark,
			  res[0].st.processed_after_mark)
			TH_LOG("%s: bound %llu", vs[i].name, bound);
		EXPECT_LT(0, res[i].st.aborted_early + res[i].st.aborted_late);
		TH_LOG("%s handled %.1f times fewer faults after the kill than no_check",
		       vs[i].name, (double)res[0].st.processed_after_mark /
		       (res[i].st.processed_after_mark ?: 1));
	}
	/* no_check's queue reference holds the teardown until it drains. */
	EXPECT_LE(res[0].st.mark_to_drain_ns, res[0].st.mark_to_release_ns);
	EXPECT_GT(res[1].st.mark_to_drain_ns, res[1].st.mark_to_release_ns);
	EXPECT_GT(res[2].st.mark_to_drain_ns, res[2].st.mark_to_release_ns);
}

/*
 * A kill in the middle of a storm whose every fault holds a reference:
 * the victim's exit drops its own, the faults run on, and the last work
 * item's put releases the mm. Returns the stats once released, or after
 * 5 s.
 */
static void gifted_kill_one(struct __test_metadata *_metadata, int ncpu,
			    __u64 variant, const char *name,
			    struct mmrace_faultq_stats *res)
{
	struct victim v;
	int i;

	ASSERT_EQ(0, victim_start(&v, false, -1));
	storm_then_kill(_metadata, ncpu, &v, variant, P5_GIFT_STORMS);
	ASSERT_EQ(0, fq_wait(v.fd, 60000, 0, res));
	/* put_async's release comes later, from system_wq. */
	for (i = 0; i < 500 && !res->released; i++) {
		usleep(10000);
		ASSERT_EQ(0, fq_wait(v.fd, 0, 0, res));
	}
	fq_log(_metadata, name, res);
	fq_check_sum(_metadata, res);
	/* The gift runs every fault: none fails, none is dropped. */
	EXPECT_EQ(0, res->errors);
	EXPECT_EQ(0, res->aborted_early + res->aborted_late);
	EXPECT_EQ(P5_GIFT_STORMS * P5_PAGES, res->processed);
	/* Every gift was dropped: the mm was released. */
	EXPECT_EQ(1, res->released);
	close(v.fd);
}

/*
 * last_put_in_worker: the mm's release runs inside the device's work item
 * (where amdkfd's release flushed that work: a deadlock, counted here,
 * never waited for); put_async: in system_wq. A gifted reference keeps
 * the mm alive until the queue drained, where mmget refuses faults once
 * the victim's exit dropped its reference.
 */
TEST_F_TIMEOUT(p5, gifted_kill, 300)
{
	struct mmrace_faultq_stats in_work, async;
	struct kill_result mmget;

	gifted_kill_one(_metadata, self->ncpu, MMRACE_P5_LAST_PUT_IN_WORKER,
			"last_put_in_worker", &in_work);
	EXPECT_EQ(1, in_work.self_wait);
	EXPECT_EQ(0, in_work.release_in_kworker);
	gifted_kill_one(_metadata, self->ncpu, MMRACE_P5_PUT_ASYNC,
			"put_async", &async);
	EXPECT_EQ(0, async.self_wait);
	EXPECT_EQ(1, async.release_in_kworker);
	/* The comparison: the same kill with mmget. */
	kill_during_storm(_metadata, self->ncpu, MMRACE_P5_MMGET, "mmget",
			  P5_GIFT_STORMS, &mmget);
	EXPECT_EQ(0, mmget.st.self_wait);
	EXPECT_EQ(0, mmget.st.release_in_kworker);
	TH_LOG("a gifted reference kept the mm alive %.1f ms (in the work) and %.1f ms (mmput_async) after the kill, mmget %.1f ms; faults handled after the kill: %llu, %llu, mmget %llu",
	       in_work.mark_to_release_ns / 1e6, async.mark_to_release_ns / 1e6,
	       mmget.st.mark_to_release_ns / 1e6,
	       in_work.processed_after_mark, async.processed_after_mark,
	       mmget.st.processed_after_mark);
	EXPECT_LT(2 * mmget.st.processed_after_mark,
		  async.processed_after_mark);
	EXPECT_LT(2 * mmget.st.processed_after_mark,
		  in_work.processed_after_mark);
}

/*
 * Closing the device with gifted faults queued drops every gift: those of
 * the faults its work items drop on the way out, and those of the storms
 * they never reached. The victim's mm maps a memfd that nothing else
 * holds, watched with inotify: the file's last close (IN_CLOSE) comes
 * when the mm is torn down; a gift leaked would keep the mm, and the
 * file, for ever.
 */
static void gifted_close_one(struct __test_metadata *_metadata, int ncpu,
			     __u64 variant, const char *name)
{
	char path[64], buf[4096];
	struct pollfd pfd;
	struct victim v;
	int mfd, ifd, i, n;
	double t0;

	mfd = memfd_create("mmrace-p5-gift", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, page_size));
	ifd = inotify_init1(IN_NONBLOCK);
	ASSERT_LE(0, ifd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ASSERT_LE(0, inotify_add_watch(ifd, path, IN_CLOSE));
	ASSERT_EQ(0, victim_start(&v, false, mfd));
	/* The victim's mapping holds the file alone now. */
	close(mfd);
	EXPECT_GT(0, read(ifd, buf, sizeof(buf)));
	for (i = 0; i < P5_KILL_STORMS; i++)
		ASSERT_EQ(0, submit(v.fd, variant, v.mem, P5_PAGES, 0, 0,
				    ncpu));
	kill(v.pid, SIGKILL);
	ASSERT_EQ(v.pid, waitpid(v.pid, NULL, 0));
	t0 = now_ms();
	close(v.fd);
	pfd.fd = ifd;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, 10000);
	EXPECT_EQ(1, n)
		TH_LOG("%s: the victim's mm still maps its file 10 s after the close: a gift leaked",
		       name);
	if (n == 1)
		TH_LOG("%s: closed with up to %d gifted faults queued, the mm torn down %.1f ms after the close",
		       name, P5_KILL_STORMS * P5_PAGES, now_ms() - t0);
	close(ifd);
}

TEST_F_TIMEOUT(p5, gifted_close_drops_gifts, 120)
{
	gifted_close_one(_metadata, self->ncpu, MMRACE_P5_LAST_PUT_IN_WORKER,
			 "last_put_in_worker");
	gifted_close_one(_metadata, self->ncpu, MMRACE_P5_PUT_ASYNC,
			 "put_async");
}

/*
 * A CLONE_VM sibling keeps the mm alive after the opener died: the mm-based
 * variants go on faulting for it, owner_check drops its faults.
 */
static void sibling_storm(struct __test_metadata *_metadata, int ncpu,
			  __u64 variant, const char *name,
			  struct mmrace_faultq_stats *st)
{
	struct victim v;

	ASSERT_EQ(0, victim_start(&v, true, -1));
	kill(v.pid, SIGKILL);
	ASSERT_EQ(v.pid, waitpid(v.pid, NULL, 0));
	ASSERT_EQ(0, submit(v.fd, variant, v.mem, P5_PAGES, 0, 0, ncpu));
	ASSERT_EQ(0, fq_wait(v.fd, 30000, 0, st));
	fq_log(_metadata, name, st);
	fq_check_sum(_metadata, st);
	EXPECT_EQ(0, st->released);
	kill(v.sibling, SIGKILL);
	close(v.fd);
	/* The sibling was the victim's child: init reaps it. */
}

TEST_F_TIMEOUT(p5, clone_vm_sibling, 120)
{
	struct mmrace_faultq_stats st;

	sibling_storm(_metadata, self->ncpu, MMRACE_P5_MMGET, "mmget", &st);
	EXPECT_EQ(P5_PAGES, st.processed);
	sibling_storm(_metadata, self->ncpu, MMRACE_P5_RACY_CHECK,
		      "racy_check", &st);
	EXPECT_EQ(P5_PAGES, st.processed);
	sibling_storm(_metadata, self->ncpu, MMRACE_P5_OWNER_CHECK,
		      "owner_check", &st);
	EXPECT_EQ(P5_PAGES, st.aborted_early);
	/* The owner is gone: the sibling alone keeps the mm, all wrong. */
	EXPECT_EQ(P5_PAGES, st.false_abort);
	EXPECT_EQ(0, st.abort_exiting);
}

TEST_F(p5, device_bad_input)
{
	struct mmrace_faultq_stats st;
	char *none = mmap(NULL, page_size, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *m = map_pages(2);
	__u64 v;
	int fd = mmrace_open();

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, m);
	ASSERT_NE(MAP_FAILED, none);
	munmap(m + page_size, page_size);
	EXPECT_EQ(-ENOENT, fq_wait(fd, 0, 0, &st));
	EXPECT_EQ(-ENOENT, fq_read(fd, m, &v, NULL));
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_HINT_ONLY, m, 1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_PUT_DEFERRED, m, 1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_NR_VARIANTS, m, 1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_MMGET, m, 0, 0, 0, 0));
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_MMGET, m,
				  MMRACE_FAULTQ_MAX_SUBMIT + 1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_MMGET, m, 1, 0, 1 << 4, 0));
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_MMGET, m, 1, 0, 0,
				  self->ncpu + 1));
	EXPECT_EQ(-EFAULT, submit(fd, MMRACE_P5_MMGET,
				  (void *)0xffff888000000000UL, 1, 0, 0, 0));
	/* A stride above any 64-bit address space, then one past this one. */
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_MMGET, m, 2, 1UL << 62, 0, 0));
	EXPECT_EQ(-EFAULT, submit(fd, MMRACE_P5_MMGET, m, 2,
				  (1UL << user_va_bits()) - (unsigned long)m,
				  0, 0));
	/* Faults the kernel refuses fail one by one. */
	ASSERT_EQ(0, submit(fd, MMRACE_P5_MMGET, m + page_size, 1, 0, 0, 0));
	ASSERT_EQ(0, submit(fd, MMRACE_P5_MMGET, none, 1, 0, 0, 0));
	ASSERT_EQ(0, submit(fd, MMRACE_P5_MMGET, m, 1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, submit(fd, MMRACE_P5_RACY_CHECK, m, 1, 0, 0, 0));
	ASSERT_EQ(0, fq_wait(fd, 10000, 0, &st));
	fq_check_sum(_metadata, &st);
	EXPECT_EQ(2, st.errors);
	EXPECT_EQ(1, st.processed);
	EXPECT_EQ(-ENOENT, fq_read(fd, m + page_size, &v, NULL));
	EXPECT_EQ(-EINVAL, fq_read(fd, m + 4, &v, NULL));
	EXPECT_EQ(-EFAULT, fq_read(fd, (void *)-8L, &v, NULL));
	EXPECT_EQ(0, fq_read(fd, m, &v, NULL));
	EXPECT_EQ(-EINVAL, fq_wait(fd, 0, 2, &st));
	EXPECT_EQ(-EINVAL, fq_wait(fd, 10, 1, &st));
	EXPECT_EQ(-EINVAL, fq_wait(fd, 3600 * 1000, 0, &st));
	close(fd);
	munmap(m, page_size);
	munmap(none, page_size);
}

/* Closing with faults queued, or exiting with them: a prompt, clean stop. */
TEST_F_TIMEOUT(p5, close_and_exit_with_faults_queued, 120)
{
	char *m = map_pages(P5_PAGES);
	int fd = mmrace_open(), i, status;
	double t0;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, m);
	for (i = 0; i < P5_STORMS; i++)
		ASSERT_EQ(0, submit(fd, MMRACE_P5_NO_CHECK, m, P5_PAGES, 0,
				    0, self->ncpu));
	t0 = now_ms();
	close(fd);
	TH_LOG("close with %d faults queued took %.1f ms",
	       P5_STORMS * P5_PAGES, now_ms() - t0);
	EXPECT_GT(10000, now_ms() - t0);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int cfd = mmrace_open();

		for (i = 0; i < P5_STORMS; i++)
			if (submit(cfd, MMRACE_P5_MMGET, m, P5_PAGES, 0,
				   MMRACE_FAULTQ_WRITE, 0))
				_exit(1);
		_exit(0);	/* with the storm queued and the file open */
	}
	t0 = now_ms();
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	TH_LOG("exit with a storm queued took %.1f ms", now_ms() - t0);
	munmap(m, P5_PAGES * page_size);
}

TEST_HARNESS_MAIN
