// SPDX-License-Identifier: GPL-2.0
/*
 * Interface selftests of /dev/mmrace and debugfs mmrace/: versioned struct
 * sizes, bad commands, bad fields, bad pointers, permissions, concurrency,
 * a fatal signal in the middle of a run, and unload while in use.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/mmrace/baseline.h>
#include <linux/mmrace/p1_lockedvm.h>
#include <linux/mmrace/p3_mmunotif.h>
#include <linux/mmrace/p4_forkpin.h>
#include <linux/mmrace/p5_faultq.h>

#include "kselftest_harness.h"
#include "mmrace_lib.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	mmrace_fixture_open(_metadata, &self->fd, NULL, 0);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void quick_run(struct mmrace_run *r)
{
	mmrace_run_init(r, MMRACE_P1_LOCKEDVM, MMRACE_P1_CMPXCHG);
	r->threads = 2;
	r->iterations = 1000;
}

/* A run bounded by time only, for the tests that act while it runs. */
static int timed_run(int fd, __u64 ms)
{
	struct mmrace_run r;

	quick_run(&r);
	r.iterations = 0;
	r.duration_ms = ms;
	return mmrace_run(fd, &r);
}

TEST_F(dev, info_and_names)
{
	struct mmrace_info info;
	struct mmrace_describe d;
	__u64 p, v, c;

	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info));
	EXPECT_EQ(MMRACE_ABI_VERSION, info.abi_version);
	EXPECT_EQ(MMRACE_NR_PATTERNS, info.nr_patterns);
	EXPECT_LE(1, info.online_cpus);
	for (p = 0; p < info.nr_patterns; p++) {
		ASSERT_EQ(0, mmrace_describe(self->fd, p, MMRACE_NONE,
					     MMRACE_NONE, &d));
		EXPECT_NE(0, d.name[0]);
		for (v = 0; v < d.nr_variants; v++)
			EXPECT_EQ(0, mmrace_describe(self->fd, p, v,
						     MMRACE_NONE, &d));
		for (c = 0; c < d.nr_counters; c++)
			EXPECT_EQ(0, mmrace_describe(self->fd, p, MMRACE_NONE,
						     c, &d));
		EXPECT_EQ(-1, mmrace_describe(self->fd, p, d.nr_variants,
					      MMRACE_NONE, &d));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, mmrace_describe(self->fd, p, 0, 0, &d));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(-1, mmrace_describe(self->fd, info.nr_patterns,
				      MMRACE_NONE, MMRACE_NONE, &d));
	EXPECT_EQ(EINVAL, errno);

	/* The broken variants are flagged as such. */
	ASSERT_EQ(0, mmrace_describe(self->fd, MMRACE_P1_LOCKEDVM,
				     MMRACE_P1_ADD_UNWIND, MMRACE_NONE, &d));
	EXPECT_STREQ("add_unwind", d.name);
	EXPECT_TRUE(d.flags & MMRACE_DF_BROKEN);
	ASSERT_EQ(0, mmrace_describe(self->fd, MMRACE_P1_LOCKEDVM,
				     MMRACE_P1_CMPXCHG, MMRACE_NONE, &d));
	EXPECT_FALSE(d.flags & MMRACE_DF_BROKEN);
}

TEST_F(dev, unknown_commands)
{
	struct mmrace_run r;

	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MMRACE_IOC_MAGIC, 0x7f,
					    struct mmrace_run), &r));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR('x', 0x02, struct mmrace_run), &r));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong direction. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(MMRACE_IOC_MAGIC, 0x02,
					   struct mmrace_run), &r));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(MMRACE_IOC_MAGIC, 0x00)));
	EXPECT_EQ(ENOTTY, errno);
}

/* The size in the command number is the struct's version. */
TEST_F(dev, struct_sizes)
{
	struct {
		struct mmrace_info info;
		__u64 tail[4];
	} big;
	unsigned long cmd;

	/* Shorter than the first version. */
	cmd = _IOC(_IOC_READ | _IOC_WRITE, MMRACE_IOC_MAGIC, 0x00, 8);
	EXPECT_EQ(-1, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(EINVAL, errno);

	/* A newer caller's zero tail is accepted... */
	memset(&big, 0, sizeof(big));
	cmd = _IOC(_IOC_READ | _IOC_WRITE, MMRACE_IOC_MAGIC, 0x00, sizeof(big));
	EXPECT_EQ(0, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(MMRACE_ABI_VERSION, big.info.abi_version);
	/* ...and is left alone. */
	EXPECT_EQ(0, big.tail[0]);

	/* A non-zero unknown tail is refused. */
	big.tail[3] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(E2BIG, errno);
}

/* The uapi's bound: up to one page, even with a zero tail. */
TEST_F(dev, struct_size_above_a_page)
{
	long page = sysconf(_SC_PAGESIZE);
	char *buf = calloc(1, 2 * page);
	unsigned long cmd;

	ASSERT_NE(NULL, buf);
	/* _IOC_SIZE has 14 bits: a page above 16 KiB cannot be told. */
	if (page + 8 > _IOC_SIZEMASK)
		SKIP(free(buf); return, "%ld-byte pages", page);
	cmd = _IOC(_IOC_READ | _IOC_WRITE, MMRACE_IOC_MAGIC, 0x00, page);
	EXPECT_EQ(0, ioctl(self->fd, cmd, buf));
	cmd = _IOC(_IOC_READ | _IOC_WRITE, MMRACE_IOC_MAGIC, 0x00, page + 8);
	EXPECT_EQ(-1, ioctl(self->fd, cmd, buf));
	EXPECT_EQ(E2BIG, errno);
	free(buf);
}

/*
 * An ioctl that acts must not lose what it did when its result cannot be
 * written back: a read-only struct is refused before the pin is taken or
 * the run started.
 */
TEST_F(dev, read_only_struct_acts_not)
{
	long page = sysconf(_SC_PAGESIZE);
	char *mem = mmap(NULL, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mmrace_info info0, info1;
	struct mmrace_pin pin = { 0 };
	struct mmrace_run r;
	long vmpin0;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_NE(MAP_FAILED, ro);
	mem[0] = 1;
	vmpin0 = mmrace_status_kb("VmPin");
	pin.addr = (uintptr_t)mem;
	pin.nr_pages = 1;
	pin.flags = MMRACE_PIN_WRITE | MMRACE_PIN_LONGTERM;
	memcpy(ro, &pin, sizeof(pin));
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, MMRACE_IOC_PIN, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(vmpin0, mmrace_status_kb("VmPin"));

	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info0));
	quick_run(&r);
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ | PROT_WRITE));
	memcpy(ro, &r, sizeof(r));
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, MMRACE_IOC_RUN, ro));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info1));
	EXPECT_EQ(info0.runs, info1.runs);
	munmap(ro, page);
	munmap(mem, page);
}

/*
 * A holder of the file that is not the opener acts on the opener's mm only
 * when it may ptrace it; page frame numbers only with CAP_SYS_ADMIN.
 */
TEST_F(dev, authority_of_other_holders)
{
	long page = sysconf(_SC_PAGESIZE);
	char *mem = mmap(NULL, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mmrace_pin pin = { 0 };
	struct mmrace_pin_access pa = { 0 };
	int status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, mem);
	mem[0] = 1;
	pin.addr = (uintptr_t)mem;
	pin.nr_pages = 1;
	pin.flags = MMRACE_PIN_WRITE | MMRACE_PIN_LONGTERM;
	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_PIN, &pin));
	pa.id = pin.id;
	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_PIN_ACCESS, &pa));
	EXPECT_NE(0, pa.pfn);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct mmrace_faultq_submit fs = {
			.variant = MMRACE_P5_MMGET,
			.addr = (uintptr_t)mem, .nr = 1,
		};
		struct mmrace_run r;

		/* Same uid, no CAP_SYS_ADMIN: may act, sees no pfn. */
		if (mmrace_drop_cap(CAP_SYS_ADMIN))
			_exit(10);
		memset(&pa, 0, sizeof(pa));
		pa.id = pin.id;
		if (ioctl(self->fd, MMRACE_IOC_PIN_ACCESS, &pa))
			_exit(11);
		if (pa.pfn)
			_exit(12);
		/* Another uid may not ptrace the opener: refused. */
		if (setgid(65534) || setuid(65534))
			_exit(13);
		if (!ioctl(self->fd, MMRACE_IOC_FAULTQ_SUBMIT, &fs) ||
		    errno != EPERM)
			_exit(14);
		if (!ioctl(self->fd, MMRACE_IOC_PIN_ACCESS, &pa) ||
		    errno != EPERM)
			_exit(15);
		quick_run(&r);
		if (!mmrace_run(self->fd, &r) || errno != EPERM)
			_exit(16);
		/* What touches no mm is still answered. */
		_exit(ioctl(self->fd, MMRACE_IOC_INFO, &(struct mmrace_info){ 0 })
		      ? 17 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	munmap(mem, page);
}

TEST_F(dev, bad_pointers)
{
	void *unmapped = mmap(NULL, 4096, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	ASSERT_NE(MAP_FAILED, unmapped);
	ASSERT_NE(MAP_FAILED, ro);
	munmap(unmapped, 4096);

	EXPECT_EQ(-1, ioctl(self->fd, MMRACE_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MMRACE_IOC_RUN, unmapped));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MMRACE_IOC_INFO, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
	/* Readable but not writable: the result cannot be written back. */
	EXPECT_EQ(-1, ioctl(self->fd, MMRACE_IOC_INFO, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, 4096);
}

TEST_F(dev, bad_run_fields)
{
	struct mmrace_info info;
	struct mmrace_run r;

	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info));

	quick_run(&r);
	r.pattern = MMRACE_NR_PATTERNS;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	quick_run(&r);
	r.variant = MMRACE_P1_NR_VARIANTS;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	quick_run(&r);
	r.threads = info.max_threads + 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	quick_run(&r);
	r.duration_ms = info.max_duration_ms + 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	quick_run(&r);
	r.window_ns = info.max_window_ns + 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	quick_run(&r);
	r.iterations = ~0ULL;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	quick_run(&r);
	r.flags = 1ULL << 63;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));

	/* A good run, and the result fields filled in. */
	quick_run(&r);
	r.seed = 42;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	EXPECT_EQ(42, r.seed);
	EXPECT_LE(1000, r.ops);
	EXPECT_EQ(MMRACE_P1_NR_COUNTERS, r.nr_counters);
	/* Reusing the struct with its outputs still set is fine. */
	EXPECT_EQ(0, mmrace_run(self->fd, &r));
}

TEST_F(dev, unbound_threads)
{
	struct mmrace_run r;

	quick_run(&r);
	r.flags = MMRACE_RUN_UNBOUND;
	EXPECT_EQ(0, mmrace_run(self->fd, &r));
}

/*
 * The baseline: every increment the threads counted is in the atomics at
 * the end, the empty operation counts none, and it takes no arguments.
 */
TEST_F(dev, baseline_counts_every_increment)
{
	static const __u64 iters = 200000;
	struct mmrace_run r;
	__u64 v;

	for (v = 0; v < MMRACE_BASE_NR_VARIANTS; v++) {
		mmrace_run_init(&r, MMRACE_BASELINE, v);
		r.iterations = iters;
		r.threads = 2;
		ASSERT_EQ(0, mmrace_run(self->fd, &r)) TH_LOG("variant %llu", v);
		EXPECT_LE(iters, r.ops);
		EXPECT_EQ(MMRACE_BASE_NR_COUNTERS, r.nr_counters);
		EXPECT_EQ(0, r.counters[MMRACE_BASE_C_LOST]);
		EXPECT_EQ(0, r.violations);
		EXPECT_EQ(v == MMRACE_BASE_EMPTY ? 0 : r.ops,
			  r.counters[MMRACE_BASE_C_INCS]);
		TH_LOG("baseline variant %llu: %.1f ns/op over %llu ops", v,
		       mmrace_ns_per_op(&r), r.ops);
	}
	mmrace_run_init(&r, MMRACE_BASELINE, MMRACE_BASE_EMPTY);
	r.iterations = 10;
	r.arg[0] = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	mmrace_run_init(&r, MMRACE_P4_FORKPIN, MMRACE_P4_MB);
	r.iterations = 10;
	r.arg[MMRACE_NR_ARGS - 1] = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
}

/*
 * Batched operations (MMRACE_DF_BATCH patterns: the baseline and P4) keep
 * every count exact: an iteration budget ends each thread at its share to
 * the operation, batched or one call per operation (MMRACE_RUN_NO_BATCH),
 * every increment counted is in the atomics, and P4 tallies one outcome
 * per instance it counts (all but a pair's last group, MMRACE_P4_GROUP).
 * The other patterns are not batched (P2: a batch slowed a detection in
 * make bench; P3: its operations count themselves): every pattern's
 * DESCRIBE flag is checked, and one that starts batching fails here until
 * its counts are checked too.
 */
TEST_F(dev, batches_count_exactly)
{
	/*
	 * Not a multiple of a batch or of the threads, and P4's last group
	 * partial: 100002 instances per side, the last rendezvous at 100001,
	 * so 100000 are counted (without the fork side's count when it
	 * stops, 99998: the instances a group back of each it ran).
	 */
	const __u64 iters = 200003, threads = 2;
	const __u64 share = (iters + threads - 1) / threads;
	static const __u64 flags[] = { 0, MMRACE_RUN_NO_BATCH };
	struct mmrace_describe d;
	struct mmrace_info info;
	struct mmrace_run r;
	unsigned int f;
	__u64 p, v;

	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info));
	for (p = 0; p < info.nr_patterns; p++) {
		ASSERT_EQ(0, mmrace_describe(self->fd, p, MMRACE_NONE,
					     MMRACE_NONE, &d));
		EXPECT_EQ(p == MMRACE_BASELINE || p == MMRACE_P4_FORKPIN,
			  !!(d.flags & MMRACE_DF_BATCH))
			TH_LOG("%s: %s", d.name, d.flags & MMRACE_DF_BATCH ?
			       "batched, its counts not checked here" :
			       "not batched");
	}
	for (f = 0; f < 2; f++) {
		for (v = 0; v < MMRACE_BASE_NR_VARIANTS; v++) {
			mmrace_run_init(&r, MMRACE_BASELINE, v);
			r.iterations = iters;
			r.threads = threads;
			r.flags = flags[f];
			ASSERT_EQ(0, mmrace_run(self->fd, &r));
			EXPECT_EQ(threads * share, r.ops)
				TH_LOG("variant %llu flags %llu", v, flags[f]);
			EXPECT_EQ(v == MMRACE_BASE_EMPTY ? 0 : r.ops,
				  r.counters[MMRACE_BASE_C_INCS]);
			EXPECT_EQ(0, r.counters[MMRACE_BASE_C_LOST]);
		}
		/*
		 * A pattern's own counters: one pair runs one instance per
		 * operation of each side and tallies every instance before
		 * its last rendezvous into exactly one outcome.
		 */
		mmrace_run_init(&r, MMRACE_P4_FORKPIN, MMRACE_P4_MB);
		r.iterations = iters;
		r.threads = threads;
		r.flags = flags[f];
		ASSERT_EQ(0, mmrace_run(self->fd, &r));
		EXPECT_EQ(threads * share, r.ops);
		EXPECT_EQ(share - 1 - (share - 1) % MMRACE_P4_GROUP,
			  r.counters[MMRACE_P4_C_ITERATIONS]);
		EXPECT_EQ(r.counters[MMRACE_P4_C_ITERATIONS],
			  r.counters[MMRACE_P4_C_BOTH] +
			  r.counters[MMRACE_P4_C_PIN_BACKOFF] +
			  r.counters[MMRACE_P4_C_FORK_COPY] +
			  r.counters[MMRACE_P4_C_NEITHER]);
	}
}

/* Two processes at once: both work, or one gets EBUSY; nothing else. */
TEST_F_TIMEOUT(dev, two_callers, 60)
{
	int i, status, busy = 0, ok = 0;
	pid_t pid[2];

	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			int ret = timed_run(mmrace_open(), 300);

			_exit(ret == 0 ? 0 : ret == -EBUSY ? 1 : 2);
		}
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_GT(2, WEXITSTATUS(status));
		ok += WEXITSTATUS(status) == 0;
		busy += WEXITSTATUS(status) == 1;
	}
	EXPECT_LE(1, ok);
	TH_LOG("%d ran, %d got EBUSY", ok, busy);
}

/* SIGKILL in the middle of a 20 s run: the caller dies promptly. */
TEST_F_TIMEOUT(dev, fatal_signal_stops_run, 60)
{
	struct mmrace_info info0, info1;
	struct mmrace_run r;
	double t0, waited;
	int status;
	pid_t pid;

	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		timed_run(mmrace_open(), 20000);
		_exit(3);
	}
	usleep(500 * 1000);
	t0 = now_s();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	waited = now_s() - t0;
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_GT(2.0, waited) TH_LOG("the killed caller took %.2f s", waited);
	TH_LOG("killed caller gone after %.3f s", waited);
	/* The interrupted run is not counted; a new one works at once. */
	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info1));
	EXPECT_EQ(info0.runs, info1.runs);
	quick_run(&r);
	EXPECT_EQ(0, mmrace_run(self->fd, &r));
}

/* An open /dev/mmrace pins the module: rmmod fails, nothing breaks. */
TEST_F(dev, unload_while_open)
{
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "mmrace", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
		TH_LOG("delete_module: %s", strerror(errno));
}

/* A run of @pattern's variant @variant bounded by time only. */
static int pattern_run(int fd, __u64 pattern, __u64 variant, __u64 ms)
{
	struct mmrace_run r;

	mmrace_run_init(&r, pattern, variant);
	r.duration_ms = ms;
	return mmrace_run(fd, &r);
}

/*
 * A child that runs @pattern's variant 0 for @ms while the parent tries to
 * unload the module. The child tells the parent through @st when its file
 * is open ('o') and when its run has returned ('0' or '1'), and keeps the
 * file open until the parent closes @go: a file closed at exit drops the
 * module reference before waitpid() can see the exit, so without the
 * handshake an rmmod in that window would rightly succeed.
 */
struct opened {
	pid_t pid;
	int st;
	int go;
};

static int fork_opened(struct opened *o, __u64 pattern, __u64 ms)
{
	int st[2], go[2];
	char c;

	if (pipe(st) || pipe(go))
		return -1;
	o->pid = fork();
	if (o->pid < 0)
		return -1;
	if (o->pid == 0) {
		int fd = mmrace_open();
		int failed;

		close(st[0]);
		close(go[1]);
		if (fd < 0 || write(st[1], "o", 1) != 1)
			_exit(2);
		failed = pattern_run(fd, pattern, 0, ms) != 0;
		if (write(st[1], failed ? "1" : "0", 1) != 1)
			_exit(2);
		/* EOF when the parent is done with its rmmod attempts. */
		while (read(go[0], &c, 1) > 0)
			;
		_exit(failed);
	}
	close(st[1]);
	close(go[0]);
	o->st = st[0];
	o->go = go[1];
	if (read(o->st, &c, 1) != 1 || c != 'o')
		return -1;
	/* The run is under way a moment after the open. */
	usleep(50 * 1000);
	return 0;
}

/*
 * rmmod attempts every @gap_ms while the child's run lasts; *@tries counts
 * them, *@refused those refused with EBUSY/EWOULDBLOCK. Returns the run's
 * result as the child reported it ('0' success), then lets the child go.
 */
static char unload_while_running(struct opened *o, int gap_ms, int *tries,
				 int *refused)
{
	struct pollfd pfd = { .fd = o->st, .events = POLLIN };
	char c = 'x';

	*tries = 0;
	*refused = 0;
	while (poll(&pfd, 1, gap_ms) == 0) {
		++*tries;
		if (syscall(SYS_delete_module, "mmrace", O_NONBLOCK) == 0)
			break;
		*refused += errno == EWOULDBLOCK || errno == EBUSY;
	}
	if (read(o->st, &c, 1) != 1)
		c = 'x';
	close(o->st);
	close(o->go);
	return c;
}

/* rmmod while a run is in progress fails; the run finishes normally. */
TEST_F_TIMEOUT(dev, unload_during_run, 60)
{
	int status, tries, refused;
	struct opened o;

	ASSERT_EQ(0, fork_opened(&o, MMRACE_P1_LOCKEDVM, 1500));
	/* The parent's fd is closed so that only the run pins the module. */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ('0', unload_while_running(&o, 100, &tries, &refused));
	ASSERT_EQ(o.pid, waitpid(o.pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_LT(0, tries);
	EXPECT_EQ(tries, refused) TH_LOG("the module unloaded under a run");
	EXPECT_EQ(0, access(MMRACE_DEV_PATH, F_OK));
}

/*
 * Every pattern, under the same abuse: rmmod attempts every 50 ms during a
 * run (all refused, the run completes) and a SIGKILL of the caller in the
 * middle of a long run (the caller is gone within 2 s, a new run works).
 */
TEST_F_TIMEOUT(dev, every_pattern_unload_and_kill, 120)
{
	struct mmrace_info info;
	__u64 p;

	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info));
	close(self->fd);
	self->fd = -1;
	for (p = 0; p < info.nr_patterns; p++) {
		int status, tries, refused;
		struct opened o;
		double t0, waited;
		pid_t pid;

		ASSERT_EQ(0, fork_opened(&o, p, 300));
		EXPECT_EQ('0', unload_while_running(&o, 50, &tries, &refused))
			TH_LOG("pattern %llu: the run failed", p);
		ASSERT_EQ(o.pid, waitpid(o.pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("pattern %llu", p);
		EXPECT_LT(0, tries);
		ASSERT_EQ(tries, refused)
			TH_LOG("pattern %llu: the module unloaded under a run", p);

		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			pattern_run(mmrace_open(), p, 0, 20000);
			_exit(3);
		}
		usleep(200 * 1000);
		t0 = now_s();
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		waited = now_s() - t0;
		EXPECT_TRUE(WIFSIGNALED(status));
		EXPECT_GT(2.0, waited)
			TH_LOG("pattern %llu: the killed caller took %.2f s", p,
			       waited);
		TH_LOG("pattern %llu: %d rmmod attempts refused during a run, killed caller gone after %.3f s",
		       p, refused, waited);
	}
	self->fd = mmrace_open();
	ASSERT_LE(0, self->fd);
}

struct close_mid_run {
	int fd;
	int ret;
};

static void *close_mid_run_thread(void *arg)
{
	struct close_mid_run *c = arg;

	c->ret = timed_run(c->fd, 800);
	return NULL;
}

/* Closing the fd while another thread's run uses it: the run completes. */
TEST_F_TIMEOUT(dev, close_mid_run, 60)
{
	struct close_mid_run c = { .fd = self->fd, .ret = -1 };
	struct mmrace_run r;
	pthread_t th;

	ASSERT_EQ(0, pthread_create(&th, NULL, close_mid_run_thread, &c));
	usleep(200 * 1000);
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, c.ret);
	self->fd = mmrace_open();
	ASSERT_LE(0, self->fd);
	quick_run(&r);
	EXPECT_EQ(0, mmrace_run(self->fd, &r));
}

#ifndef __NR_process_mrelease
#define __NR_process_mrelease	448
#endif

/* Children of the kill storm, and how many live at once. */
#define STORM_CHILDREN		40
#define STORM_BATCH		4
#define STORM_PAGES		1024

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/mmrace/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static void *storm_ctl_loop(void *arg)
{
	int fd = *(int *)arg;

	for (;;) {
		struct mmrace_notif_ctl c = {
			.b_busy = MMRACE_NOTIF_KEEP, .sleep_ms = 10,
		};

		ioctl(fd, MMRACE_IOC_NOTIF_CTL, &c);
	}
	return NULL;
}

/*
 * One storm child: a device fault storm over its memory (odd children,
 * sometimes from a grandchild holding the inherited file), or P3's real
 * subscribers with B busy and a thread sleeping in NOTIF_CTL over and over
 * (even ones); the other of the two is refused (-EDEADLK). Never returns.
 */
static void storm_child(int i)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, STORM_PAGES * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mmrace_faultq_submit fs = {
		.variant = i % 4 / 2, .nr = 1000, .workers = 1,
	};
	struct mmrace_notif_register reg = { .order = i % 3 == 0 };
	struct mmrace_notif_ctl c = { .b_busy = 1 };
	pid_t parent = getpid();
	pthread_t th;
	int fd = mmrace_open();

	if (fd < 0 || m == MAP_FAILED)
		_exit(1);
	memset(m, 1, STORM_PAGES * ps);
	fs.addr = (uintptr_t)m;
	if (i & 1) {
		if (i % 5 == 1 && fork() == 0) {
			/*
			 * The grandchild submits through the inherited file,
			 * and dies with its parent.
			 */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			ioctl(fd, MMRACE_IOC_FAULTQ_SUBMIT, &fs);
			for (;;)
				pause();
		}
		ioctl(fd, MMRACE_IOC_FAULTQ_SUBMIT, &fs);
		if (!ioctl(fd, MMRACE_IOC_NOTIF_REGISTER, &reg) ||
		    errno != EDEADLK)
			_exit(2);
	} else {
		if (ioctl(fd, MMRACE_IOC_NOTIF_REGISTER, &reg) ||
		    ioctl(fd, MMRACE_IOC_NOTIF_CTL, &c))
			_exit(3);
		if (!ioctl(fd, MMRACE_IOC_FAULTQ_SUBMIT, &fs) ||
		    errno != EDEADLK)
			_exit(4);
		pthread_create(&th, NULL, storm_ctl_loop, &fd);
	}
	for (;;)
		pause();
}

/*
 * Kill storm: children that hold a fault storm or busy subscribers are
 * SIGKILLed 94 to 288 ms after fork and reaped with process_mrelease();
 * every one must exit within 10 s (none stuck in D state), and the module's
 * references must come back to what this test holds.
 */
TEST_F_TIMEOUT(dev, kill_storm, 120)
{
	long ref0 = module_refcnt();
	int i, j, status, stuck = 0, reaped = 0;

	for (i = 0; i < STORM_CHILDREN; i += STORM_BATCH) {
		pid_t pid[STORM_BATCH];

		for (j = 0; j < STORM_BATCH; j++) {
			pid[j] = fork();
			if (!pid[j])
				storm_child(i + j);
		}
		for (j = 0; j < STORM_BATCH; j++)
			ASSERT_LE(0, pid[j]);
		usleep(94000 + (i * 7919 % 195) * 1000);
		for (j = 0; j < STORM_BATCH; j++) {
			int pidfd = syscall(SYS_pidfd_open, pid[j], 0);
			double t0 = now_s();

			status = 0;
			kill(pid[j], SIGKILL);
			if (pidfd >= 0) {
				/* EAGAIN: B busy, the reaper gave up. */
				if (!syscall(__NR_process_mrelease, pidfd, 0) ||
				    errno == EAGAIN)
					reaped++;
				close(pidfd);
			}
			while (waitpid(pid[j], &status, WNOHANG) == 0) {
				if (now_s() - t0 > 10) {
					stuck++;
					break;
				}
				usleep(10000);
			}
			/* Killed, not ended by a failed check of its own. */
			EXPECT_TRUE(WIFSIGNALED(status) &&
				    WTERMSIG(status) == SIGKILL) {
				TH_LOG("child %d: status %#x", i + j, status);
			}
		}
	}
	TH_LOG("%d children killed, %d reaped by process_mrelease, %d stuck",
	       STORM_CHILDREN, reaped, stuck);
	EXPECT_EQ(0, stuck);
	EXPECT_LT(0, reaped);
	/* Files of killed grandchildren close once they are gone too. */
	for (i = 0; i < 3000 && module_refcnt() != ref0; i++)
		usleep(10000);
	EXPECT_EQ(ref0, module_refcnt());
}

/* Without CAP_SYS_ADMIN the device refuses to open. */
TEST(unprivileged_refused)
{
	int status;
	pid_t pid;

	if (access(MMRACE_DEV_PATH, F_OK))
		SKIP(return, "%s missing", MMRACE_DEV_PATH);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (mmrace_drop_cap(CAP_SYS_ADMIN))
			_exit(10);
		fd = mmrace_open();
		if (fd >= 0)
			_exit(11);
		if (errno != EPERM)
			_exit(12);
		/* Nor does an unprivileged user get past the 0600 mode. */
		if (setgid(65534) || setuid(65534))
			_exit(13);
		fd = mmrace_open();
		_exit(fd >= 0 ? 14 : errno == EACCES ? 0 : 15);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

static int debugfs_write(const char *file, const char *s)
{
	return mmrace_write_file(MMRACE_DEBUGFS, file, s);
}

static int debugfs_read(const char *file, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", MMRACE_DEBUGFS, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

TEST(debugfs_run_file)
{
	char buf[4096], big[512];

	if (access(MMRACE_DEBUGFS "/run", F_OK))
		SKIP(return, "no %s (debugfs not mounted or lockdown)",
		     MMRACE_DEBUGFS);
	EXPECT_EQ(-EINVAL, debugfs_write("run", "nosuch cmpxchg"));
	EXPECT_EQ(-EINVAL, debugfs_write("run", "p1_lockedvm nosuch"));
	EXPECT_EQ(-EINVAL, debugfs_write("run", "p1_lockedvm"));
	EXPECT_EQ(-EINVAL, debugfs_write("run", "p1_lockedvm cmpxchg bogus=1"));
	EXPECT_EQ(-EINVAL, debugfs_write("run", "p1_lockedvm cmpxchg threads=x"));
	EXPECT_EQ(-EINVAL, debugfs_write("run", "p1_lockedvm cmpxchg arg9=1"));
	EXPECT_EQ(-EINVAL, debugfs_write("run", "p1_lockedvm cmpxchg threads=100000"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	EXPECT_EQ(-E2BIG, debugfs_write("run", big));

	ASSERT_EQ(0, debugfs_write("run",
				   "p1_lockedvm cmpxchg threads=2 iterations=5000 seed=7\n"));
	ASSERT_EQ(0, debugfs_read("last", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "variant: cmpxchg\n"));
	EXPECT_NE(NULL, strstr(buf, "seed: 7\n"));
	EXPECT_NE(NULL, strstr(buf, "violations: 0\n"));
	ASSERT_EQ(0, debugfs_read("results", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "cmpxchg"));
	ASSERT_EQ(0, debugfs_read("patterns", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "add_unwind"));
	/* Read-only files refuse writes. */
	EXPECT_NE(0, debugfs_write("results", "1"));
}

#define MMRACE_PARAMS	"/sys/module/mmrace/parameters"

static int param_write(const char *name, const char *s)
{
	return mmrace_write_file(MMRACE_PARAMS, name, s);
}

static int param_read(const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	int ret = -EIO;

	snprintf(path, sizeof(path), MMRACE_PARAMS "/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fgets(buf, len, f))
		ret = 0;
	fclose(f);
	return ret;
}

/* 'echo NAME > parameters/pattern' then 'echo 1 > run', as documented. */
TEST(debugfs_run_after_echo_params)
{
	static const char *const names[] = {
		"pattern", "variant", "duration_ms",
	};
	char buf[4096], saved[3][64];
	unsigned int i;
	int ok = 1;

	if (access(MMRACE_DEBUGFS "/run", F_OK))
		SKIP(return, "no %s (debugfs not mounted or lockdown)",
		     MMRACE_DEBUGFS);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, param_read(names[i], saved[i], sizeof(saved[i])));
	}
	EXPECT_EQ(-EINVAL, param_write("pattern", "nosuch\n"));
	EXPECT_EQ(-EINVAL, param_write("variant", "nosuch\n"));
	ok &= !param_write("pattern", " baseline\n");
	ok &= !param_write("variant", "atomic_local\n");
	ok &= !param_write("duration_ms", "20\n");
	EXPECT_TRUE(ok);
	if (ok) {
		EXPECT_EQ(0, debugfs_write("run", "1\n"));
		EXPECT_EQ(0, debugfs_read("last", buf, sizeof(buf)));
		EXPECT_NE(NULL, strstr(buf, "variant: atomic_local\n"));
	}
	/* What was there before, whatever happened above. */
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, param_write(names[i], saved[i]));
	}
}

TEST_HARNESS_MAIN
