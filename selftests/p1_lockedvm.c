// SPDX-License-Identifier: GPL-2.0
/*
 * P1 selftests: locked_vm / pinned_vm charged without mmap_lock.
 *
 * The broken variants must show their race within a bounded budget (with
 * the race window widened); no variant but check_add may ever commit above
 * the limit, each such check with check_add as its negative control; the
 * real counters (VmPin, VmLck) must end where they started. The fixed
 * variants' zero over 10^6 charges is in controls.c.
 * The fixture drops CAP_IPC_LOCK: with it, the kernel skips the limit.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/mmrace/p1_lockedvm.h>

#include "kselftest_harness.h"
#include "mmrace_lib.h"

/* Charges a fixed variant must survive without a single violation. */
#define P1_FIXED_OPS		1000000ULL
/* Budget within which a broken variant must show its race. */
#define P1_BROKEN_OPS		200000ULL
#define P1_WINDOW_NS		2000
/* The model counter's value at the start of a run (mod/p1_lockedvm.c). */
#define P1_MODEL_BASE		1024
/* RLIMIT_MEMLOCK for the real-counter tests, in pages. */
#define P1_RLIMIT_PAGES		64

/*
 * P1_BROKEN_OPS charges of a widened-window run; a contended rt_mutex
 * handoff costs tens of us under TCG, so the mutex variant gets a tenth of
 * them on PREEMPT_RT, as in p1_fixed_ops() (logged).
 */
static __u64 p1_broken_ops(struct __test_metadata *_metadata, int fd,
			   __u64 variant)
{
	if (variant != MMRACE_P1_MUTEX ||
	    !(mmrace_kernel_flags(fd) & MMRACE_KF_PREEMPT_RT))
		return P1_BROKEN_OPS;
	TH_LOG("mutex: %llu charges on PREEMPT_RT",
	       P1_BROKEN_OPS / MMRACE_DEBUG_DIV);
	return P1_BROKEN_OPS / MMRACE_DEBUG_DIV;
}

/*
 * @n operations of a run asserting a fixed property: a tenth on a debug
 * kernel, and for the mutex on PREEMPT_RT too (mmrace_budget_sleeping()).
 */
static __u64 p1_fixed_ops(int fd, __u64 variant, __u64 n)
{
	return variant == MMRACE_P1_MUTEX ? mmrace_budget_sleeping(fd, n) :
					    mmrace_budget(fd, n);
}

static int p1_set_memlock_pages(long pages)
{
	struct rlimit rl = {
		.rlim_cur = pages * sysconf(_SC_PAGESIZE),
		.rlim_max = RLIM_INFINITY,
	};

	return setrlimit(RLIMIT_MEMLOCK, &rl);
}

FIXTURE(p1) {
	int fd;
	int ncpu;
};

FIXTURE_SETUP(p1)
{
	struct mmrace_info info;

	if (mmrace_fixture_open(_metadata, &self->fd, &info, 2))
		return;
	self->ncpu = info.online_cpus;
	ASSERT_EQ(0, mmrace_drop_cap(CAP_IPC_LOCK));
}

FIXTURE_TEARDOWN(p1)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Runs of a fixed property tried until their charges overlapped. */
#define P1_WITNESS_TRIES	4

/*
 * Run @r, a run asserting a fixed variant's property, again (up to
 * P1_WITNESS_TRIES runs) while its charges never overlapped: a run whose
 * threads never charged at once (the host kept one vCPU away, as at a
 * guest's seam in make check) proves nothing. The violation counters and
 * the overlaps of every try are summed into @r, the rest is the last
 * run's. Returns 0 or the run's -errno.
 */
static int p1_run_witnessed(int fd, struct mmrace_run *r)
{
	static const unsigned int sum[] = {
		MMRACE_P1_C_FALSE_ENOMEM, MMRACE_P1_C_OVERSHOOT,
		MMRACE_P1_C_IMBALANCE, MMRACE_P1_C_OVERLAP,
		MMRACE_P1_C_TRANSIENT,
	};
	__u64 before[ARRAY_SIZE(sum)] = { 0 }, violations = 0;
	struct mmrace_run req = *r;
	unsigned int i, try;
	int ret;

	for (try = 0; try < P1_WITNESS_TRIES; try++) {
		*r = req;
		ret = mmrace_run(fd, r);
		if (ret)
			return ret;
		for (i = 0; i < ARRAY_SIZE(sum); i++)
			r->counters[sum[i]] += before[i];
		r->violations += violations;
		if (r->counters[MMRACE_P1_C_OVERLAP])
			break;
		for (i = 0; i < ARRAY_SIZE(sum); i++)
			before[i] = r->counters[sum[i]];
		violations = r->violations;
	}
	return 0;
}

/* A run of @variant on the model counter with @window_ns and @ops. */
static void p1_model(struct mmrace_run *r, __u64 variant, __u64 shape,
		     __u64 window_ns, __u64 ops)
{
	mmrace_run_init(r, MMRACE_P1_LOCKEDVM, variant);
	r->threads = 2;
	r->iterations = ops;
	r->duration_ms = 30000;
	r->window_ns = window_ns;
	r->arg[MMRACE_P1_ARG_SHAPE] = shape;
}

/* add_unwind: the widened window must show a false ENOMEM. */
TEST_F_TIMEOUT(p1, add_unwind_false_enomem, 120)
{
	struct mmrace_run r;

	p1_model(&r, MMRACE_P1_ADD_UNWIND, MMRACE_P1_SHAPE_HEADROOM, 0,
		 P1_BROKEN_OPS);
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	TH_LOG("natural rate (window 0): %.1f false ENOMEM per million charges",
	       1e6 * r.counters[MMRACE_P1_C_FALSE_ENOMEM] / r.ops);
	mmrace_log_run(self->fd, NULL, &r);

	p1_model(&r, MMRACE_P1_ADD_UNWIND, MMRACE_P1_SHAPE_HEADROOM,
		 P1_WINDOW_NS, P1_BROKEN_OPS);
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	mmrace_log_run(self->fd, NULL, &r);
	EXPECT_LT(0, r.counters[MMRACE_P1_C_FALSE_ENOMEM])
		TH_LOG("expected a false ENOMEM within %llu charges", P1_BROKEN_OPS);
	EXPECT_NE(MMRACE_NONE, r.first_detect_ns);
	EXPECT_EQ(0, r.counters[MMRACE_P1_C_OVERSHOOT]);
	EXPECT_EQ(0, r.counters[MMRACE_P1_C_IMBALANCE]);
}

/* check_add: two checks pass on the same headroom, both add: overshoot. */
TEST_F_TIMEOUT(p1, check_add_overshoots, 120)
{
	struct mmrace_run r;

	p1_model(&r, MMRACE_P1_CHECK_ADD, MMRACE_P1_SHAPE_CONTENDED,
		 P1_WINDOW_NS, P1_BROKEN_OPS);
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	mmrace_log_run(self->fd, NULL, &r);
	EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERSHOOT])
		TH_LOG("expected an overshoot within %llu charges", P1_BROKEN_OPS);
	EXPECT_EQ(0, r.counters[MMRACE_P1_C_IMBALANCE]);
}

/*
 * The fixed variants' zero violations (cmpxchg, mutex; headroom and
 * contended shapes, window 0 and widened) are checked in controls.c, each
 * with its witness (overlapping charges) and its negative control
 * (add_unwind, check_add). Their "zero transients" is structural (they
 * never publish a sum above the limit) and is not asserted as evidence.
 */

/*
 * Mixed chargers on one counter: cmpxchg is correct only when every
 * charger of the counter is. Small cmpxchg chargers beside an add_unwind
 * hog (ib_umem_get()'s way on mm->pinned_vm) see the hog's transient sum
 * and get false ENOMEMs; beside a cmpxchg hog they get none (the same
 * budget, the same window).
 */
TEST_F_TIMEOUT(p1, mixed_chargers, 120)
{
	__u64 hogs[] = { MMRACE_P1_ADD_UNWIND, MMRACE_P1_CMPXCHG };
	char hog[MMRACE_NAME_LEN];
	struct mmrace_run r;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		p1_model(&r, MMRACE_P1_CMPXCHG, MMRACE_P1_SHAPE_HEADROOM,
			 P1_WINDOW_NS, P1_BROKEN_OPS);
		r.arg[MMRACE_P1_ARG_HOG_VARIANT] = hogs[i] + 1;
		ASSERT_EQ(0, p1_run_witnessed(self->fd, &r));
		TH_LOG("cmpxchg smalls, %s hog:",
		       mmrace_variant_name(self->fd, MMRACE_P1_LOCKEDVM, hogs[i],
					   hog, sizeof(hog)));
		mmrace_log_run(self->fd, NULL, &r);
		EXPECT_EQ(0, r.counters[MMRACE_P1_C_OVERSHOOT]);
		EXPECT_EQ(0, r.counters[MMRACE_P1_C_IMBALANCE]);
		EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERLAP]);
		if (i == 0) {
			EXPECT_LT(0, r.counters[MMRACE_P1_C_FALSE_ENOMEM]);
		} else {
			EXPECT_EQ(0, r.counters[MMRACE_P1_C_FALSE_ENOMEM]);
		}
	}
}

/*
 * precheck_add: the pre-check keeps a hog that cannot fit off the counter,
 * so the headroom shape sees no false ENOMEM; the speculative add still
 * shows a transient above the limit in the contended shape.
 */
TEST_F_TIMEOUT(p1, precheck_add_narrows, 300)
{
	struct mmrace_run r;

	p1_model(&r, MMRACE_P1_PRECHECK_ADD, MMRACE_P1_SHAPE_HEADROOM,
		 P1_WINDOW_NS, P1_BROKEN_OPS);
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	mmrace_log_run(self->fd, NULL, &r);
	EXPECT_EQ(0, r.violations);

	/*
	 * A transient needs two charges in flight: on a loaded PREEMPT_RT
	 * guest one run of 2 * 10^5 charges had none (overlap 0); the run
	 * is repeated while overlap stays 0 (p1_run_witnessed()).
	 */
	p1_model(&r, MMRACE_P1_PRECHECK_ADD, MMRACE_P1_SHAPE_CONTENDED,
		 P1_WINDOW_NS, P1_BROKEN_OPS);
	ASSERT_EQ(0, p1_run_witnessed(self->fd, &r));
	mmrace_log_run(self->fd, NULL, &r);
	EXPECT_EQ(0, r.counters[MMRACE_P1_C_OVERSHOOT]);
	EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERLAP]);
	EXPECT_LT(0, r.counters[MMRACE_P1_C_TRANSIENT]);
}

/*
 * A check of a property every variant but check_add has, run on every
 * such variant with its witness, and on check_add as the negative control
 * of the same check (same shape, threads, window and budget; it stops at
 * its first overshoot).
 */
static void p1_never_overshoots(struct __test_metadata *_metadata, int fd,
				const struct mmrace_run *tmpl, const char *what)
{
	struct mmrace_run r;
	__u64 v;

	for (v = 0; v < MMRACE_P1_NR_VARIANTS; v++) {
		if (v == MMRACE_P1_CHECK_ADD)
			continue;
		r = *tmpl;
		r.variant = v;
		/* Every variant here has the property asserted. */
		r.iterations = p1_fixed_ops(fd, v, tmpl->iterations);
		ASSERT_EQ(0, p1_run_witnessed(fd, &r));
		mmrace_log_run(fd, NULL, &r);
		EXPECT_EQ(0, r.counters[MMRACE_P1_C_OVERSHOOT]);
		EXPECT_EQ(0, r.counters[MMRACE_P1_C_IMBALANCE]);
		/* Charges overlapped: an overshoot was possible. */
		EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERLAP]);
		if (!r.arg[MMRACE_P1_ARG_LIMIT2])
			continue;
		TH_LOG("limit_changes=%llu stale_limit=%llu",
		       r.counters[MMRACE_P1_C_LIMIT_CHANGES],
		       r.counters[MMRACE_P1_C_STALE_LIMIT]);
		EXPECT_LT(0, r.counters[MMRACE_P1_C_LIMIT_CHANGES]);
	}
	r = *tmpl;
	r.variant = MMRACE_P1_CHECK_ADD;
	r.iterations = p1_fixed_ops(fd, r.variant, tmpl->iterations);
	r.flags = MMRACE_RUN_STOP_ON_DETECT;
	ASSERT_EQ(0, mmrace_run(fd, &r));
	mmrace_log_run(fd, NULL, &r);
	EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERSHOOT])
		TH_LOG("negative control passed: check_add never overshot in %llu charges; %s cannot fail",
		       r.ops, what);
	if (r.counters[MMRACE_P1_C_OVERSHOOT])
		TH_LOG("negative control detected: check_add overshot after %llu charges (%s)",
		       r.ops, what);
}

/*
 * No variant but check_add commits above the limit: the contended shape
 * (the headroom shape's hog asks more than the whole headroom, which every
 * variant refuses, so it cannot tell them apart), more threads than CPUs,
 * room for one page: any two charges committed at once overshoot. (The
 * shape's default room, half the chargers' pages, needs as many charges
 * held at once as there are CPUs plus one: with more threads than CPUs
 * check_add did not overshoot in 2 * 10^5 charges.)
 */
TEST_F_TIMEOUT(p1, no_overshoot, 300)
{
	struct mmrace_run r;

	p1_model(&r, 0, MMRACE_P1_SHAPE_CONTENDED, P1_WINDOW_NS,
		 P1_BROKEN_OPS);
	r.threads = self->ncpu * 2;
	r.arg[MMRACE_P1_ARG_LIMIT] = P1_MODEL_BASE + 1;
	p1_never_overshoots(_metadata, self->fd, &r, "no_overshoot");
}

/*
 * The model limit flips between base (no room) and base + 1 while two
 * chargers charge one page each: never above the higher limit. Two
 * charges committed at once are above it, so check_add (the negative
 * control) overshoots. (With base + 1 and base + 2 and two chargers the
 * check could not fail: two pages never exceed base + 2.)
 */
TEST_F_TIMEOUT(p1, limit_changes_mid_run, 300)
{
	struct mmrace_run r;

	p1_model(&r, 0, MMRACE_P1_SHAPE_CONTENDED, P1_WINDOW_NS, P1_FIXED_OPS);
	/*
	 * Two chargers per CPU and the flipper: with one charger per CPU the
	 * negative control's overshoot took up to 244,223 of 10^6 charges,
	 * and once (a 6.12 coverage run) none.
	 */
	r.threads = self->ncpu * 2 + 1;
	r.arg[MMRACE_P1_ARG_LIMIT] = P1_MODEL_BASE;
	r.arg[MMRACE_P1_ARG_LIMIT2] = P1_MODEL_BASE + 1;
	p1_never_overshoots(_metadata, self->fd, &r,
			    "limit_changes_mid_run");
}

/*
 * Real mm->pinned_vm, each variant's helper: VmPin ends where it started;
 * the broken variants show their race on the real counter, the others
 * none while their charges overlap.
 */
TEST_F_TIMEOUT(p1, real_pinned_vm, 300)
{
	long vmpin0 = mmrace_status_kb("VmPin");
	struct mmrace_run r;
	__u64 v;

	ASSERT_EQ(0, p1_set_memlock_pages(P1_RLIMIT_PAGES));
	for (v = 0; v < MMRACE_P1_NR_VARIANTS; v++) {
		mmrace_run_init(&r, MMRACE_P1_LOCKEDVM, v);
		r.threads = 2;
		r.iterations = p1_broken_ops(_metadata, self->fd, v);
		r.duration_ms = 30000;
		r.window_ns = P1_WINDOW_NS;
		r.arg[MMRACE_P1_ARG_TARGET] = MMRACE_P1_TARGET_PINNED_VM;
		ASSERT_EQ(0, v == MMRACE_P1_ADD_UNWIND ||
			     v == MMRACE_P1_CHECK_ADD ?
			     mmrace_run(self->fd, &r) :
			     p1_run_witnessed(self->fd, &r));
		mmrace_log_run(self->fd, NULL, &r);
		EXPECT_EQ(0, r.counters[MMRACE_P1_C_BYPASS]);
		EXPECT_EQ(P1_RLIMIT_PAGES, r.counters[MMRACE_P1_C_LIMIT]);
		EXPECT_EQ(0, r.counters[MMRACE_P1_C_IMBALANCE]);
		EXPECT_EQ(vmpin0, mmrace_status_kb("VmPin"));
		if (v == MMRACE_P1_ADD_UNWIND) {
			EXPECT_LT(0, r.counters[MMRACE_P1_C_FALSE_ENOMEM]);
		} else if (v == MMRACE_P1_CHECK_ADD) {
			EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERSHOOT]);
		} else {
			/* Zero, with the charges overlapping. */
			EXPECT_EQ(0, r.violations);
			EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERLAP]);
		}
	}
}

/* Real mm->locked_vm through the kernel's __account_locked_vm(). */
TEST_F_TIMEOUT(p1, real_locked_vm, 300)
{
	long vmlck0 = mmrace_status_kb("VmLck");
	struct mmrace_run r;

	ASSERT_EQ(0, p1_set_memlock_pages(P1_RLIMIT_PAGES));
	mmrace_run_init(&r, MMRACE_P1_LOCKEDVM, MMRACE_P1_MUTEX);
	r.threads = 2;
	r.iterations = p1_broken_ops(_metadata, self->fd, MMRACE_P1_MUTEX);
	r.duration_ms = 30000;
	r.arg[MMRACE_P1_ARG_TARGET] = MMRACE_P1_TARGET_LOCKED_VM;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	mmrace_log_run(self->fd, NULL, &r);
	EXPECT_LT(0, r.counters[MMRACE_P1_C_CHARGED]);
	EXPECT_LT(0, r.counters[MMRACE_P1_C_ENOMEM]); /* the hog's */
	EXPECT_EQ(0, r.violations);
	EXPECT_EQ(vmlck0, mmrace_status_kb("VmLck"));

	/* locked_vm is only ever charged under mmap_write_lock. */
	mmrace_run_init(&r, MMRACE_P1_LOCKEDVM, MMRACE_P1_CMPXCHG);
	r.threads = 2;
	r.iterations = 1000;
	r.arg[MMRACE_P1_ARG_TARGET] = MMRACE_P1_TARGET_LOCKED_VM;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
}

struct p1_flipper {
	volatile int stop;
	long flips;
};

static void *p1_flip_rlimit(void *arg)
{
	struct p1_flipper *f = arg;
	struct timespec ts = { 0, 20000 };

	while (!f->stop) {
		p1_set_memlock_pages(f->flips & 1 ? 3 * P1_RLIMIT_PAGES / 2 :
				     2 * P1_RLIMIT_PAGES);
		f->flips++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * RLIMIT_MEMLOCK changes under the kernel threads (the seed's caveat):
 * this thread flips it between 1.5 and 2 times P1_RLIMIT_PAGES while two
 * chargers charge P1_RLIMIT_PAGES + 1 pages each (the size fixed here,
 * not derived from whichever limit the run's start read): one fits either
 * limit, two never. cmpxchg stays at or below the highest limit a charge
 * read; check_add, the negative control, overshoots it within the same
 * budget (a 10 us window: with 2 us, 2 * 10^5 charges once showed none).
 */
TEST_F_TIMEOUT(p1, real_rlimit_changes_mid_run, 300)
{
	long vmpin0 = mmrace_status_kb("VmPin");
	__u64 v[] = { MMRACE_P1_CMPXCHG, MMRACE_P1_CHECK_ADD };
	struct mmrace_run r;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct p1_flipper f = { 0 };
		pthread_t th;

		ASSERT_EQ(0, p1_set_memlock_pages(P1_RLIMIT_PAGES));
		ASSERT_EQ(0, pthread_create(&th, NULL, p1_flip_rlimit, &f));
		mmrace_run_init(&r, MMRACE_P1_LOCKEDVM, v[i]);
		r.threads = 2;
		r.iterations = mmrace_budget(self->fd, P1_FIXED_OPS);
		r.duration_ms = 30000;
		r.window_ns = 5 * P1_WINDOW_NS;
		r.flags = i ? MMRACE_RUN_STOP_ON_DETECT : 0;
		r.arg[MMRACE_P1_ARG_TARGET] = MMRACE_P1_TARGET_PINNED_VM;
		r.arg[MMRACE_P1_ARG_SHAPE] = MMRACE_P1_SHAPE_CONTENDED;
		r.arg[MMRACE_P1_ARG_SMALL] = P1_RLIMIT_PAGES + 1;
		EXPECT_EQ(0, i ? mmrace_run(self->fd, &r) :
			  p1_run_witnessed(self->fd, &r));
		f.stop = 1;
		pthread_join(th, NULL);
		mmrace_log_run(self->fd, NULL, &r);
		TH_LOG("rlimit flips=%ld stale_limit=%llu", f.flips,
		       r.counters[MMRACE_P1_C_STALE_LIMIT]);
		EXPECT_LT(0, f.flips);
		EXPECT_EQ(0, r.counters[MMRACE_P1_C_IMBALANCE]);
		EXPECT_EQ(vmpin0, mmrace_status_kb("VmPin"));
		if (i) {
			EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERSHOOT])
				TH_LOG("negative control passed: check_add never overshot; this check cannot fail");
			continue;
		}
		EXPECT_EQ(0, r.counters[MMRACE_P1_C_OVERSHOOT]);
		EXPECT_LT(0, r.counters[MMRACE_P1_C_OVERLAP]);
	}
}

/* With CAP_IPC_LOCK the kernel skips the limit: real targets refuse. */
TEST(p1_real_refuses_ipc_lock)
{
	struct mmrace_run r;
	int fd = mmrace_open();

	if (fd < 0)
		SKIP(return, "%s missing", MMRACE_DEV_PATH);
	mmrace_run_init(&r, MMRACE_P1_LOCKEDVM, MMRACE_P1_CMPXCHG);
	r.threads = 2;
	r.iterations = 1000;
	r.arg[MMRACE_P1_ARG_TARGET] = MMRACE_P1_TARGET_PINNED_VM;
	EXPECT_EQ(-EINVAL, mmrace_run(fd, &r));
	close(fd);
}

/*
 * Real targets charge the opener's mm against the caller's RLIMIT_MEMLOCK
 * and CAP_IPC_LOCK, so only a task of that mm may ask for them: a holder
 * of the file in another mm (a forked child, which the ptrace check lets
 * act on the opener's mm: same uid) gets EPERM for both, and its model
 * runs still work; the opener's same run works.
 */
TEST_F(p1, real_targets_opener_only)
{
	struct mmrace_run r;
	int status;
	pid_t pid;

	ASSERT_EQ(0, p1_set_memlock_pages(P1_RLIMIT_PAGES));
	mmrace_run_init(&r, MMRACE_P1_LOCKEDVM, MMRACE_P1_MUTEX);
	r.threads = 2;
	r.iterations = 1000;
	r.arg[MMRACE_P1_ARG_TARGET] = MMRACE_P1_TARGET_PINNED_VM;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct mmrace_run c = r;

		if (mmrace_run(self->fd, &c) != -EPERM)
			_exit(10);
		c = r;
		c.arg[MMRACE_P1_ARG_TARGET] = MMRACE_P1_TARGET_LOCKED_VM;
		if (mmrace_run(self->fd, &c) != -EPERM)
			_exit(11);
		c = r;
		c.arg[MMRACE_P1_ARG_TARGET] = MMRACE_P1_TARGET_MODEL;
		_exit(mmrace_run(self->fd, &c) ? 12 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child: %s", WEXITSTATUS(status) == 10 ?
		       "pinned_vm not refused" : WEXITSTATUS(status) == 11 ?
		       "locked_vm not refused" : "model run failed");
	EXPECT_EQ(0, mmrace_run(self->fd, &r));
	EXPECT_EQ(0, r.counters[MMRACE_P1_C_IMBALANCE]);
}

/* Bad arguments of P1 runs. */
TEST_F(p1, bad_args)
{
	struct mmrace_run r;

	p1_model(&r, MMRACE_P1_CMPXCHG, 0, 0, 1000);
	r.arg[MMRACE_P1_ARG_TARGET] = 3;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	p1_model(&r, MMRACE_P1_CMPXCHG, 3, 0, 1000);
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	p1_model(&r, MMRACE_P1_CMPXCHG, 0, 0, 1000);
	r.arg[7] = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	/* A headroom limit that does not cover the small threads. */
	p1_model(&r, MMRACE_P1_CMPXCHG, MMRACE_P1_SHAPE_HEADROOM, 0, 1000);
	r.arg[MMRACE_P1_ARG_LIMIT] = 10;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	/* Hogs and a flipper leave no small thread. */
	p1_model(&r, MMRACE_P1_CMPXCHG, MMRACE_P1_SHAPE_HEADROOM, 0, 1000);
	r.arg[MMRACE_P1_ARG_NR_HOGS] = 2;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	p1_model(&r, MMRACE_P1_CMPXCHG, MMRACE_P1_SHAPE_CONTENDED, 0, 1000);
	r.arg[MMRACE_P1_ARG_NR_HOGS] = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	p1_model(&r, MMRACE_P1_CMPXCHG, 0, 0, 1000);
	r.arg[MMRACE_P1_ARG_SMALL] = 1ULL << 40;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	/* No such hog variant; hogs only in the headroom shape. */
	p1_model(&r, MMRACE_P1_CMPXCHG, MMRACE_P1_SHAPE_HEADROOM, 0, 1000);
	r.arg[MMRACE_P1_ARG_HOG_VARIANT] = MMRACE_P1_NR_VARIANTS + 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p1_model(&r, MMRACE_P1_CMPXCHG, MMRACE_P1_SHAPE_CONTENDED, 0, 1000);
	r.arg[MMRACE_P1_ARG_HOG_VARIANT] = MMRACE_P1_ADD_UNWIND + 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	/* One thread cannot race. */
	p1_model(&r, MMRACE_P1_CMPXCHG, 0, 0, 1000);
	r.threads = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
}

TEST_HARNESS_MAIN
