// SPDX-License-Identifier: GPL-2.0
/*
 * P2 selftests: the per-VMA lock as a reference count.
 *
 * The v6 variant must show the detach race (a reader's put dropping the
 * last reference, the skipped lockdep release, a put on a reused object)
 * within a bounded budget, and writer_unlocked its field change under a
 * reader's VMA lock. The merged variant's and the rwsem baseline's
 * zero violations over 10^7 reader acquisitions, with their witness and
 * negative control, are in controls.c. A run whose counts the race
 * corrupted must still stop at once: at its deadline, on its caller's
 * fatal signal, and (refused) on an unload.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/mmrace/p2_vmalock.h>
#include "kselftest_harness.h"
#include "mmrace_lib.h"

#define P2_WINDOW_NS		2000
/* Budget of the widened-window race run (the v6 race shows in ms). */
#define P2_BROKEN_MS		8000
#define P2_SLICE_MS		500
/* The natural rates (no window), logged, not asserted. */
#define P2_NATURAL_MS		1000
/* Two objects: the writer detaches both each cycle, readers always meet it. */
#define P2_HOT_OBJECTS		2

FIXTURE(p2) {
	int fd;
	int ncpu;
	__u64 kflags;
};

FIXTURE_SETUP(p2)
{
	struct mmrace_info info;

	if (mmrace_fixture_open(_metadata, &self->fd, &info, 2))
		return;
	self->ncpu = info.online_cpus;
	self->kflags = info.kernel_flags;
}

FIXTURE_TEARDOWN(p2)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void p2_init(struct mmrace_run *r, __u64 variant, __u64 ms,
		    __u64 window_ns)
{
	mmrace_run_init(r, MMRACE_P2_VMALOCK, variant);
	r->threads = 2;
	r->duration_ms = ms;
	r->window_ns = window_ns;
}

/* v6: the detach race shows within the budget once the window is wide. */
TEST_F_TIMEOUT(p2, refcnt_broken_detach_race, 120)
{
	__u64 imbalance = 0, last_put = 0, stale = 0, first = MMRACE_NONE;
	struct mmrace_run r;
	unsigned int ms;
	int need_stale;

	p2_init(&r, MMRACE_P2_REFCNT_BROKEN, P2_NATURAL_MS, 0);
	r.arg[MMRACE_P2_ARG_OBJECTS] = 64;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	mmrace_log_run(self->fd, "refcnt_broken natural, 64 objects", &r);
	p2_init(&r, MMRACE_P2_REFCNT_BROKEN, P2_NATURAL_MS, 0);
	r.arg[MMRACE_P2_ARG_OBJECTS] = P2_HOT_OBJECTS;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	mmrace_log_run(self->fd, "refcnt_broken natural, 2 objects", &r);

	/*
	 * The widened window, in slices of P2_SLICE_MS: the run ends once it
	 * has shown every event asserted below, or after P2_BROKEN_MS.
	 * The object was freed under the reader and its put hit the reuse
	 * (stale_put): KASAN's quarantine holds freed objects back, so there
	 * the freed object is seldom handed out again while the reader still
	 * holds it, and that one is not waited for.
	 */
	need_stale = !(self->kflags & MMRACE_KF_KASAN);
	for (ms = 0; ms < P2_BROKEN_MS; ms += P2_SLICE_MS) {
		p2_init(&r, MMRACE_P2_REFCNT_BROKEN, P2_SLICE_MS,
			P2_WINDOW_NS);
		r.arg[MMRACE_P2_ARG_OBJECTS] = P2_HOT_OBJECTS;
		ASSERT_EQ(0, mmrace_run(self->fd, &r));
		if (first == MMRACE_NONE && r.first_detect_ns != MMRACE_NONE)
			first = ms * 1000000ULL + r.first_detect_ns;
		imbalance += r.counters[MMRACE_P2_C_LOCKDEP_IMBALANCE];
		last_put += r.counters[MMRACE_P2_C_READER_LAST_PUT];
		stale += r.counters[MMRACE_P2_C_STALE_PUT];
		if (imbalance && last_put && (stale || !need_stale)) {
			ms += P2_SLICE_MS;
			break;
		}
	}
	mmrace_log_run(self->fd, "refcnt_broken window, last slice", &r);
	TH_LOG("refcnt_broken window: %u ms of %d: imbalance=%llu last_put=%llu stale_put=%llu first_us=%.1f",
	       ms, P2_BROKEN_MS, imbalance, last_put, stale,
	       first == MMRACE_NONE ? -1.0 : first / 1e3);
	/* PeterZ's interleaving: the put 1->0 skips the lockdep release. */
	EXPECT_LT(0, imbalance)
		TH_LOG("no skipped release in %d ms", P2_BROKEN_MS);
	EXPECT_LT(0, last_put);
	if (need_stale) {
		EXPECT_LT(0, stale);
	} else {
		TH_LOG("KASAN quarantine delays reuse: stale_put=%llu not asserted",
		       stale);
	}
	EXPECT_NE(MMRACE_NONE, first);
}

/*
 * The fixed variants' zero violations (refcnt_fixed and rwsem, two hot
 * objects, window 0 and widened, and a crowd of readers and writers) are
 * checked in controls.c, each with its witness (detach_raced: the detacher
 * met a transient reader; read_detached for rwsem) and refcnt_broken as
 * the negative control of the same check.
 */

/* Read-only: the lock's fast path alone; the refcount is smaller. */
TEST_F(p2, read_only_and_size)
{
	struct mmrace_run r;
	__u64 bytes[2];
	int i;

	for (i = 0; i < 2; i++) {
		p2_init(&r, i ? MMRACE_P2_RWSEM : MMRACE_P2_REFCNT_FIXED, 300, 0);
		r.threads = 1;
		r.arg[MMRACE_P2_ARG_READ_ONLY] = 1;
		ASSERT_EQ(0, mmrace_run(self->fd, &r));
		mmrace_log_run(self->fd, i ? "rwsem read-only" : "refcnt read-only", &r);
		EXPECT_EQ(r.ops, r.counters[MMRACE_P2_C_READS]);
		EXPECT_EQ(0, r.counters[MMRACE_P2_C_WRITES]);
		bytes[i] = r.counters[MMRACE_P2_C_LOCK_BYTES];
	}
	TH_LOG("lock bytes per object: refcnt %llu, rwsem %llu", bytes[0],
	       bytes[1]);
	EXPECT_GT(bytes[1], bytes[0]);
}

TEST_F(p2, bad_args)
{
	static const struct { int arg; __u64 val; } bad[] = {
		{ MMRACE_P2_ARG_OBJECTS, 4097 },
		{ MMRACE_P2_ARG_READ_ONLY, 2 },
		{ MMRACE_P2_ARG_DETACH_PCT, 101 },
		{ MMRACE_P2_ARG_WRITERS, 2 },
		/* The private object is the field writer's alone. */
		{ MMRACE_P2_ARG_PRIVATE_OBJ, 1 },
		{ 7, 1 },
	};
	struct mmrace_run r;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p2_init(&r, MMRACE_P2_REFCNT_FIXED, 100, 0);
		r.arg[bad[i].arg] = bad[i].val;
		EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r))
			TH_LOG("arg%d=%llu accepted", bad[i].arg, bad[i].val);
	}
	/* Read-only with writers, and one thread that must also write. */
	p2_init(&r, MMRACE_P2_REFCNT_FIXED, 100, 0);
	r.arg[MMRACE_P2_ARG_READ_ONLY] = 1;
	r.arg[MMRACE_P2_ARG_WRITERS] = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p2_init(&r, MMRACE_P2_REFCNT_FIXED, 100, 0);
	r.threads = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p2_init(&r, MMRACE_P2_WRITER_LOCKED, 100, 0);
	r.arg[MMRACE_P2_ARG_PRIVATE_OBJ] = 2;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
}

/*
 * writer_unlocked: a writer under the model's mmap_write_lock alone
 * changes anon_vma (6.4's fork and dup_anon_vma(), before fb49c455323f
 * and d8ab9f7b644a) while a reader holding the VMA lock reads it twice:
 * field_changed within P2_FIELD_RUNS slices of P2_SLICE_MS, two hot
 * objects, the 2 us window. Then the same writer on an object of its own
 * (MMRACE_P2_ARG_PRIVATE_OBJ), which no reader looks up: no violation.
 * writer_locked's zero violations, with field_waits as its witness, are in
 * controls.c (p2_writer_locked_window).
 */
#define P2_FIELD_RUNS		5

TEST_F_TIMEOUT(p2, writer_unlocked_field_race, 60)
{
	__u64 changed = 0, overlap = 0, first = MMRACE_NONE;
	struct mmrace_run r;
	int runs;

	for (runs = 0; runs < P2_FIELD_RUNS && !changed; runs++) {
		p2_init(&r, MMRACE_P2_WRITER_UNLOCKED, P2_SLICE_MS,
			P2_WINDOW_NS);
		r.arg[MMRACE_P2_ARG_OBJECTS] = P2_HOT_OBJECTS;
		ASSERT_EQ(0, mmrace_run(self->fd, &r));
		if (first == MMRACE_NONE && r.first_detect_ns != MMRACE_NONE)
			first = runs * P2_SLICE_MS * 1000000ULL +
				r.first_detect_ns;
		changed += r.counters[MMRACE_P2_C_FIELD_CHANGED];
		overlap += r.counters[MMRACE_P2_C_OVERLAP];
	}
	mmrace_log_run(self->fd, "writer_unlocked window, last run", &r);
	TH_LOG("writer_unlocked: field_changed=%llu in %d runs of %d ms, first after %.1f us",
	       changed, runs, P2_SLICE_MS,
	       first == MMRACE_NONE ? -1.0 : first / 1e3);
	EXPECT_LT(0, changed)
		TH_LOG("no field change under a reader in %d runs", runs);
	/* The lock itself is never taken: the field is what changes. */
	EXPECT_EQ(0, overlap);

	p2_init(&r, MMRACE_P2_WRITER_UNLOCKED, P2_SLICE_MS, P2_WINDOW_NS);
	r.arg[MMRACE_P2_ARG_OBJECTS] = P2_HOT_OBJECTS;
	r.arg[MMRACE_P2_ARG_PRIVATE_OBJ] = 1;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	mmrace_log_run(self->fd, "writer_unlocked, the writer's own object", &r);
	EXPECT_LT(0, r.counters[MMRACE_P2_C_WRITES]);
	EXPECT_LT(0, r.counters[MMRACE_P2_C_READS]);
	EXPECT_EQ(0, r.counters[MMRACE_P2_C_FIELD_CHANGED]);
	EXPECT_EQ(MMRACE_NONE, r.first_detect_ns)
		TH_LOG("a violation with no reader on the writer's object");
}

/*
 * Stops in bounded time. refcnt_broken's stale puts corrupt live objects'
 * counts (a put lands on the object's next life), and a writer that
 * write-locks such an object can wait for readers that never come, up to
 * P2's 1 s timeout, holding the model's mmap mutex (other writers would
 * queue behind it). A stop (the deadline), the caller's fatal signal and
 * an unload must not wait for that: the writer's wait looks at the run.
 *
 * The configuration makes the corruption happen: two objects, a widened
 * window, one writer and seven readers (on 6.1 under TCG the writer then
 * waits on a corrupted count most of the time: 6 timeouts in a 6 s run).
 * Readers never sleep; the writer sleeps only in its wait for readers, a
 * few ms at most while they are real (max_wait_ns). The writer asleep
 * for P2_STUCK_MS or more (its state in /proc/PID/stat) waits on a
 * corrupted count. Each latency below is measured early in such a wait.
 * On 6.1 under TCG, the module before issue 23 (the wait looked at its
 * count and its timeout only) finished the wait first: its threads
 * stopped 0.70 to 0.84 s after the deadline, its caller was reaped 0.85
 * to 0.90 s after a SIGKILL; with the wait looking at the run, 0.001 to
 * 0.002 s and 0.003 to 0.005 s. The bounds sit well under the first and
 * well over what a stop costs (0.12 s at most from SIGKILL to reaped on
 * the lockdep and KASAN guest, for every pattern: interface's
 * every_pattern_unload_and_kill).
 */
#define P2_STOP_WINDOW_NS	20000
#define P2_STOP_MAX_THREADS	8
/* The writer asleep this long waits on a corrupted count. */
#define P2_STUCK_MS		150
/* From a fatal signal (or an unload) to the caller reaped. */
#define P2_STOP_MAX_S		0.5
/* From the deadline to the last thread's stop (the result's elapsed_ns). */
#define P2_DEADLINE_MAX_S	0.25
/* The long runs the signal and the unload act on. */
#define P2_STOP_LONG_MS		20000
/* How long those wait for a corrupted count before they give up. */
#define P2_STUCK_BUDGET_S	15.0
/*
 * The deadline's runs: how long each, how many at most, how many must
 * have met a young wait (the writer stuck for at most P2_YOUNG_S when the
 * deadline came: the old wait had 0.3 s or more left).
 */
#define P2_STOP_RUN_MS		1500
#define P2_STOP_RUNS		24
#define P2_STOP_HITS		1
#define P2_YOUNG_S		0.5

static double p2_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void p2_stuck_init(struct mmrace_run *r, int ncpu, __u64 ms)
{
	p2_init(r, MMRACE_P2_REFCNT_BROKEN, ms, P2_STOP_WINDOW_NS);
	r->threads = 4 * ncpu < P2_STOP_MAX_THREADS ? 4 * ncpu :
						      P2_STOP_MAX_THREADS;
	r->arg[MMRACE_P2_ARG_OBJECTS] = P2_HOT_OBJECTS;
	r->arg[MMRACE_P2_ARG_WRITERS] = 1;
}

/* The same run as a line for debugfs "run". */
static void p2_stuck_line(char *buf, size_t len, const struct mmrace_run *r)
{
	snprintf(buf, len,
		 "p2_vmalock refcnt_broken threads=%llu duration_ms=%llu window_ns=%llu arg%d=%llu arg%d=%llu",
		 r->threads, r->duration_ms, r->window_ns,
		 MMRACE_P2_ARG_OBJECTS, r->arg[MMRACE_P2_ARG_OBJECTS],
		 MMRACE_P2_ARG_WRITERS, r->arg[MMRACE_P2_ARG_WRITERS]);
}

/*
 * A watcher of a run's kernel threads ("mmrace/p2_vmalock/N", or its first
 * 15 characters where the kernel keeps no longer name): which are asleep
 * and since when, and the spans of time during which as many threads as
 * the run has writers had been asleep for P2_STUCK_MS or more (with
 * several writers, those queued on the mmap mutex behind the one stuck).
 */
#define P2_WATCH_SPANS		64

struct p2_watch {
	pthread_t th;
	int stop;
	int want;			/* the run's threads */
	int writers;			/* the run's writers */
	int n;
	pid_t tid[P2_STOP_MAX_THREADS];
	double asleep[P2_STOP_MAX_THREADS];	/* since, or 0 */
	int awake[P2_STOP_MAX_THREADS];	/* samples seen awake in a row */
	double from[P2_WATCH_SPANS], to[P2_WATCH_SPANS];
	int spans;
	int stuck;			/* at the last sample */
};

static void p2_watch_find(struct p2_watch *w)
{
	static const char prefix[] = "mmrace/p2_vmalo";
	struct dirent *de;
	char path[64], comm[64];
	DIR *d = opendir("/proc");
	ssize_t len;
	pid_t pid;
	int i, fd;

	if (!d)
		return;
	while (w->n < w->want && (de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		for (i = 0; i < w->n && w->tid[i] != pid; i++)
			;
		if (i < w->n)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (len < (ssize_t)sizeof(prefix) - 1 ||
		    strncmp(comm, prefix, sizeof(prefix) - 1))
			continue;
		w->tid[w->n] = pid;
		w->asleep[w->n] = 0;
		w->awake[w->n++] = 0;
	}
	closedir(d);
}

/* A thread's state letter from /proc/PID/stat, or 0 once it is gone. */
static char p2_thread_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static void *p2_watch_fn(void *arg)
{
	struct p2_watch *w = arg;
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		double now = p2_now();
		int i, stuck, long_asleep = 0;

		if (w->n < w->want)
			p2_watch_find(w);
		for (i = 0; i < w->n; i++) {
			char s = p2_thread_state(w->tid[i]);

			/*
			 * A wait wakes up now and then to look at its count:
			 * asleep until seen awake twice in a row.
			 */
			if (s == 'S' || s == 'D' || s == 'I') {
				w->awake[i] = 0;
				if (!w->asleep[i])
					w->asleep[i] = now;
			} else if (++w->awake[i] >= 2) {
				w->asleep[i] = 0;
			}
			if (w->asleep[i] && now - w->asleep[i] >= P2_STUCK_MS / 1e3)
				long_asleep++;
		}
		stuck = w->writers && long_asleep >= w->writers;
		if (stuck && !w->stuck && w->spans < P2_WATCH_SPANS)
			w->from[w->spans++] = now;
		if (stuck && w->spans)
			w->to[w->spans - 1] = now;
		__atomic_store_n(&w->stuck, stuck, __ATOMIC_RELEASE);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

static int p2_watch_start(struct p2_watch *w, const struct mmrace_run *r)
{
	memset(w, 0, sizeof(*w));
	w->want = r->threads;
	w->writers = r->arg[MMRACE_P2_ARG_WRITERS];
	return pthread_create(&w->th, NULL, p2_watch_fn, w);
}

static void p2_watch_end(struct p2_watch *w)
{
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	pthread_join(w->th, NULL);
}

/* Wait until the writer is stuck: 0, or -1 after @budget_s. */
static int p2_watch_stuck(struct p2_watch *w, double budget_s)
{
	double until = p2_now() + budget_s;

	while (!__atomic_load_n(&w->stuck, __ATOMIC_ACQUIRE)) {
		if (p2_now() > until)
			return -1;
		usleep(10 * 1000);
	}
	return 0;
}

/*
 * Whether the writer got stuck between @young_s and 30 ms before @t and
 * stayed so until @t (20 ms of sampling slack).
 */
static int p2_watch_stuck_at(const struct p2_watch *w, double t,
			     double young_s)
{
	int i;

	for (i = 0; i < w->spans; i++)
		if (w->from[i] >= t - young_s && w->from[i] <= t - 0.03 &&
		    w->to[i] >= t - 0.02)
			return 1;
	return 0;
}

/*
 * No corrupted count to measure with: a failure (the configuration is
 * made for one), except under KASAN, whose quarantine keeps freed objects
 * from their next life (see refcnt_broken_detach_race): a skip there.
 */
#define P2_NO_CORRUPTION	"the writer was never stuck: no corrupted count to measure with"
#define P2_KASAN_NO_REUSE	"no corrupted count (KASAN's quarantine delays reuse)"

/*
 * (a) The deadline: runs of P2_STOP_RUN_MS until P2_STOP_HITS of them
 * found the writer stuck in a young wait at their deadline (P2_STOP_RUNS
 * at most, one at least); in each, the last thread must stop within
 * P2_DEADLINE_MAX_S of the deadline (elapsed_ns: the threads' own clock).
 * The watcher takes the ioctl's start plus the duration for the deadline;
 * the run's clock starts a few ms later.
 */
TEST_F_TIMEOUT(p2, stop_bounded_deadline, 180)
{
	double worst = 0, call, late;
	struct mmrace_run r;
	struct p2_watch w;
	int runs, hits = 0;

	/* No run of 24 met a corrupted count there (42 s to learn it). */
	if (self->kflags & MMRACE_KF_KASAN)
		SKIP(return, P2_KASAN_NO_REUSE);
	for (runs = 0; runs < P2_STOP_RUNS && hits < P2_STOP_HITS; runs++) {
		p2_stuck_init(&r, self->ncpu, P2_STOP_RUN_MS);
		ASSERT_EQ(0, p2_watch_start(&w, &r));
		call = p2_now();
		ASSERT_EQ(0, mmrace_run(self->fd, &r));
		p2_watch_end(&w);
		if (!p2_watch_stuck_at(&w, call + P2_STOP_RUN_MS / 1e3,
				       P2_YOUNG_S))
			continue;
		hits++;
		late = r.elapsed_ns / 1e9 - P2_STOP_RUN_MS / 1e3;
		mmrace_log_run(self->fd, "stuck at the deadline", &r);
		TH_LOG("run %d: the last thread stopped %.3f s after the deadline",
		       runs, late);
		if (late > worst)
			worst = late;
	}
	TH_LOG("%d of %d runs stuck at their deadline; the latest stop %.3f s after it",
	       hits, runs, worst);
	/*
	 * PREEMPT_RT met a young wait in 2 of 24 runs (6.1: 3 of 6, 6.12: 3
	 * of 11): too rare there to require one (the signal's test, which
	 * waits for its corrupted count, still runs).
	 */
	if (!hits && (self->kflags & MMRACE_KF_PREEMPT_RT))
		SKIP(return, "PREEMPT_RT: " P2_NO_CORRUPTION);
	/*
	 * So is the arm64 guest (TCG emulating arm64 on an x86 host): 0 of 24
	 * runs in one of its first two runs (2026-12-06).
	 */
	if (!hits && mmrace_tcg_guest())
		SKIP(return, "TCG guest: " P2_NO_CORRUPTION);
	ASSERT_LT(0, hits) TH_LOG(P2_NO_CORRUPTION);
	EXPECT_GT(P2_DEADLINE_MAX_S, worst)
		TH_LOG("a thread stopped %.3f s after the deadline", worst);
}

/*
 * (b) The caller's fatal signal: a child runs for P2_STOP_LONG_MS and is
 * killed once the writer is stuck; it must be reaped within
 * P2_STOP_MAX_S.
 */
TEST_F_TIMEOUT(p2, stop_bounded_fatal_signal, 120)
{
	struct mmrace_run r;
	struct p2_watch w;
	double t0, waited;
	int status, missed;
	pid_t pid;

	p2_stuck_init(&r, self->ncpu, P2_STOP_LONG_MS);
	ASSERT_EQ(0, p2_watch_start(&w, &r));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		mmrace_run(mmrace_open(), &r);
		_exit(3);
	}
	missed = p2_watch_stuck(&w, P2_STUCK_BUDGET_S);
	t0 = p2_now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	waited = p2_now() - t0;
	p2_watch_end(&w);
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("the run ended before the kill");
	TH_LOG("killed %s: the caller reaped after %.3f s",
	       missed ? "with no writer stuck" : "while the writer was stuck",
	       waited);
	if (missed && (self->kflags & MMRACE_KF_KASAN))
		SKIP(return, P2_KASAN_NO_REUSE);
	ASSERT_FALSE(missed) TH_LOG(P2_NO_CORRUPTION);
	EXPECT_GT(P2_STOP_MAX_S, waited)
		TH_LOG("the killed caller took %.3f s", waited);
}

/*
 * (c) Unload. A run holds a module reference, through its /dev/mmrace file
 * or through debugfs "run" (the one way to run without a file), so an
 * unload can never stop one: delete_module() must fail at once (no forced
 * unload) while the writer is stuck, and leave the run going; the
 * writer of "run" is then killed and must be reaped within P2_STOP_MAX_S.
 */
TEST_F_TIMEOUT(p2, stop_bounded_unload_during_debugfs_run, 120)
{
	double t0, refused_s, waited;
	struct mmrace_run r;
	struct p2_watch w;
	int status, missed, ret, err;
	char line[256];
	pid_t pid;

	if (access(MMRACE_DEBUGFS "/run", W_OK))
		SKIP(return, "no %s/run (debugfs not mounted, or lockdown)",
		     MMRACE_DEBUGFS);
	/* Only the run pins the module. */
	close(self->fd);
	self->fd = -1;
	p2_stuck_init(&r, self->ncpu, P2_STOP_LONG_MS);
	p2_stuck_line(line, sizeof(line), &r);
	ASSERT_EQ(0, p2_watch_start(&w, &r));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(mmrace_write_file(MMRACE_DEBUGFS, "run", line) ? 4 : 3);
	missed = p2_watch_stuck(&w, P2_STUCK_BUDGET_S);
	t0 = p2_now();
	ret = syscall(SYS_delete_module, "mmrace", O_NONBLOCK);
	err = errno;
	refused_s = p2_now() - t0;
	t0 = p2_now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	waited = p2_now() - t0;
	p2_watch_end(&w);
	TH_LOG("%s: delete_module: %s after %.3f s; the killed writer of run reaped after %.3f s",
	       missed ? "no writer stuck" : "the writer stuck",
	       ret ? strerror(err) : "unloaded", refused_s, waited);
	ASSERT_EQ(-1, ret) TH_LOG("the module unloaded under a run");
	EXPECT_TRUE(err == EWOULDBLOCK || err == EBUSY);
	EXPECT_GT(P2_STOP_MAX_S, refused_s);
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("the run ended before the kill");
	if (missed && (self->kflags & MMRACE_KF_KASAN)) {
		self->fd = mmrace_open();
		SKIP(return, P2_KASAN_NO_REUSE);
	}
	ASSERT_FALSE(missed) TH_LOG(P2_NO_CORRUPTION);
	EXPECT_GT(P2_STOP_MAX_S, waited)
		TH_LOG("the killed writer of run took %.3f s", waited);
	self->fd = mmrace_open();
	ASSERT_LE(0, self->fd) TH_LOG("the module is gone");
}

/*
 * The real per-VMA lock (7.x, CONFIG_PER_VMA_LOCK_STATS): user threads
 * write-fault a region, through lock_vma_under_rcu(), while one thread
 * replaces its VMAs (mmap MAP_FIXED over them: the old VMA is detached
 * while faults may have found it), splits and merges them (mprotect to a
 * different protection and back) and zaps their pages (MADV_DONTNEED, so
 * that the next writes fault again). A fault that found a VMA and then saw
 * it detached counts vma_lock_miss: the window the model's detach race
 * lives in. Budget: P2_STORM_REPLACES replacements (measured on the 7.3
 * debug guest under TCG: about one miss per 700), up to 4 budgets while
 * vma_lock_miss stays 0, then fail. The kernel's own verdict is the splat
 * scan of the guest log (KASAN, lockdep) that vm-run does after the suite.
 * The counters are system-wide; the guest runs nothing else.
 */
#define P2_STORM_PAGES		64
#define P2_STORM_REPLACES	2000ULL

struct p2_storm {
	char *base;
	size_t len;
	long page;
	int stop;
};

static void *p2_storm_writer(void *arg)
{
	struct p2_storm *st = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;

	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		size_t pg = rand_r(&seed) % P2_STORM_PAGES;

		*(volatile char *)(st->base + pg * st->page) = 1;
	}
	return NULL;
}

static int p2_vmstat(const char *name, unsigned long long *val)
{
	char key[64];
	unsigned long long v;
	FILE *f = fopen("/proc/vmstat", "r");
	int found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, name)) {
			*val = v;
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

TEST_F_TIMEOUT(p2, real_lock_storm, 300)
{
	static const char * const names[] = {
		"vma_lock_success", "vma_lock_retry", "vma_lock_miss",
		"vma_lock_abort",
	};
	unsigned long long before[4], after[4], replaces = 0, cycles = 0;
	struct p2_storm st = { 0 };
	pthread_t th[8];
	int i, nthr;

	if (p2_vmstat("vma_lock_success", &before[0]))
		SKIP(return, "no vma_lock_* in /proc/vmstat: the kernel has no CONFIG_PER_VMA_LOCK_STATS");
	nthr = self->ncpu > 8 ? 8 : self->ncpu;
	st.page = sysconf(_SC_PAGESIZE);
	st.len = P2_STORM_PAGES * st.page;
	st.base = mmap(NULL, st.len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st.base);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, p2_vmstat(names[i], &before[i]));
	for (i = 0; i < nthr; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, p2_storm_writer, &st));

	for (;;) {
		size_t pg = (cycles * 7) % (P2_STORM_PAGES - 8);
		char *at = st.base + pg * st.page;

		switch (cycles % 4) {
		case 0:
		case 1:	/* replace 8 pages' VMA: the old one is detached */
			ASSERT_EQ(at, mmap(at, 8 * st.page, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					   -1, 0));
			replaces++;
			break;
		case 2:	/* split off 2 pages and merge them back */
			ASSERT_EQ(0, mprotect(at + st.page, 2 * st.page,
					      PROT_READ | PROT_WRITE | PROT_EXEC));
			ASSERT_EQ(0, mprotect(at + st.page, 2 * st.page,
					      PROT_READ | PROT_WRITE));
			break;
		default: /* zap half the region: the next writes fault again */
			ASSERT_EQ(0, madvise(st.base + (cycles & 4 ? st.len / 2 : 0),
					     st.len / 2, MADV_DONTNEED));
			break;
		}
		cycles++;
		if (cycles % 64 || replaces < P2_STORM_REPLACES)
			continue;
		ASSERT_EQ(0, p2_vmstat(names[2], &after[2]));
		if (after[2] > before[2] || replaces >= 4 * P2_STORM_REPLACES)
			break;
	}
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nthr; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	munmap(st.base, st.len);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, p2_vmstat(names[i], &after[i]));
	TH_LOG("%d writers, %llu replacements in %llu mutations (budget %llu): vma_lock_success=%llu retry=%llu miss=%llu abort=%llu",
	       nthr, replaces, cycles, P2_STORM_REPLACES,
	       after[0] - before[0], after[1] - before[1],
	       after[2] - before[2], after[3] - before[3]);
	EXPECT_LT(0, after[0] - before[0])
		TH_LOG("no fault took the per-VMA lock (vma_lock_success 0)");
	EXPECT_LT(0, after[2] - before[2])
		TH_LOG("window never opened: no fault saw its VMA detached (vma_lock_miss 0 over %llu replacements)",
		       replaces);
	EXPECT_LT(0, after[3] - before[3])
		TH_LOG("no fault fell back to mmap_lock (vma_lock_abort 0)");
}

TEST_HARNESS_MAIN
