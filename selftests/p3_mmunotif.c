// SPDX-License-Identifier: GPL-2.0
/*
 * P3 selftests: a non-blocking invalidate_range_start that fails with
 * -EAGAIN must not skip the end of a subscriber that already started.
 *
 * The model chain (A subscribers count in start and uncount in end, B
 * subscribers fail non-blocking starts while their mutex is held, thread 0
 * holds that mutex in bursts and replaces subscribers with hlist_del_rcu
 * and synchronize_srcu): the 2019 walk must leave a started A without its
 * end within a bounded budget and never give an end after a failure
 * (undone stays 0). The sorted undo and upstream's walk, which must pair
 * every start with one end over 10^6 invalidations, are checked with
 * their witness and negative control in controls.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/mmrace/p3_mmunotif.h>
#include <linux/mmrace/p5_faultq.h>

#include "kselftest_harness.h"
#include "mmrace_lib.h"

#ifndef __NR_process_mrelease
#define __NR_process_mrelease	448
#endif

#define P3_RUN_MS		2000

FIXTURE(p3) {
	int fd;
	int ncpu;
};

FIXTURE_SETUP(p3)
{
	struct mmrace_info info;

	if (mmrace_fixture_open(_metadata, &self->fd, &info, 2))
		return;
	self->ncpu = info.online_cpus;
}

FIXTURE_TEARDOWN(p3)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void p3_init(struct mmrace_run *r, __u64 variant, __u64 ms)
{
	mmrace_run_init(r, MMRACE_P3_MMUNOTIF, variant);
	r->threads = 2;
	r->duration_ms = ms;
}

/* The 2019 walk: a started A loses its end, its count stays up. */
TEST_F_TIMEOUT(p3, skip_end_imbalance, 120)
{
	struct mmrace_run r;

	p3_init(&r, MMRACE_P3_SKIP_END, P3_RUN_MS);
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	mmrace_log_run(self->fd, NULL, &r);
	EXPECT_LT(0, r.counters[MMRACE_P3_C_EAGAIN]);
	EXPECT_LT(0, r.counters[MMRACE_P3_C_MISSING_END]);
	EXPECT_LT(0, r.counters[MMRACE_P3_C_COUNT_LEAK]);
	EXPECT_EQ(0, r.counters[MMRACE_P3_C_END_WITHOUT_START]);
	EXPECT_EQ(0, r.counters[MMRACE_P3_C_UNDONE]);
	EXPECT_NE(MMRACE_NONE, r.first_detect_ns);
}

/*
 * The fixed walks (undo_sorted, end_all_started): every start gets one end
 * over 10^6 invalidations, with the witness that the failure path had
 * starts to undo (undone) and skip_end as the negative control, in
 * controls.c.
 */

TEST_F(p3, bad_args)
{
	struct mmrace_run r;

	p3_init(&r, MMRACE_P3_END_ALL_STARTED, 10);
	r.threads = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p3_init(&r, MMRACE_P3_END_ALL_STARTED, 10);
	r.arg[MMRACE_P3_ARG_NR_A] = 16;
	r.arg[MMRACE_P3_ARG_NR_B] = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p3_init(&r, MMRACE_P3_END_ALL_STARTED, 10);
	/* 101 is MMRACE_P3_NONBLOCK_NONE; no other value above 100. */
	r.arg[MMRACE_P3_ARG_NONBLOCK_PCT] = MMRACE_P3_NONBLOCK_NONE + 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p3_init(&r, MMRACE_P3_END_ALL_STARTED, 10);
	r.arg[MMRACE_P3_ARG_UNLOCKED_ADDS] = 2;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p3_init(&r, MMRACE_P3_END_ALL_STARTED, 10);
	r.arg[MMRACE_P3_ARG_B_FIRST] = 2;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p3_init(&r, MMRACE_P3_END_ALL_STARTED, 10);
	r.arg[MMRACE_P3_ARG_B_FIRST + 1] = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	p3_init(&r, MMRACE_P3_NR_VARIANTS, 10);
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	/* Four threads, sixteen subscribers, an iteration bound. */
	p3_init(&r, MMRACE_P3_END_ALL_STARTED, 0);
	r.threads = 4;
	r.iterations = 40000;
	r.arg[MMRACE_P3_ARG_NR_A] = 12;
	r.arg[MMRACE_P3_ARG_NR_B] = 4;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	EXPECT_EQ(0, r.violations);
}

/* ---- the real kernel -------------------------------------------------- */

static int notif_register(int fd, __u64 order)
{
	struct mmrace_notif_register r = { .order = order };

	return ioctl(fd, MMRACE_IOC_NOTIF_REGISTER, &r) ? -errno : 0;
}

static int notif_unregister(int fd, __u64 order)
{
	struct mmrace_notif_register r = { .order = order };

	return ioctl(fd, MMRACE_IOC_NOTIF_UNREGISTER, &r) ? -errno : 0;
}

static int notif_ctl(int fd, __u64 b_busy, __u64 sleep_ms, __u64 wake,
		     struct mmrace_notif_ctl *c)
{
	memset(c, 0, sizeof(*c));
	c->b_busy = b_busy;
	c->sleep_ms = sleep_ms;
	c->wake = wake;
	return ioctl(fd, MMRACE_IOC_NOTIF_CTL, c) ? -errno : 0;
}

static void notif_log(struct __test_metadata *_metadata, const char *what,
		      const struct mmrace_notif_ctl *c)
{
	TH_LOG("%s: A starts=%llu ends=%llu nonblock=%llu active=%lld released=%llu; B starts=%llu nonblock=%llu eagain=%llu released=%llu busy=%llu; mm oom_skip=%llu unstable=%llu",
	       what, c->a_starts, c->a_ends, c->a_nonblock,
	       (long long)c->a_active, c->a_released, c->b_starts,
	       c->b_nonblock, c->b_eagain, c->b_released, c->b_busy,
	       c->mm_oom_skip, c->mm_unstable);
}

/*
 * The interval-notifier hang needs a device's interval notifier and B on
 * one mm: whichever comes second is refused with -EDEADLK, from this file
 * or another one, unless it opts in. A device may come once B is gone;
 * B never again on an mm that had a device (its interval tree stays in
 * every invalidation: the kernel never clears has_itree).
 */
TEST_F(p3, notif_and_device_refused_together)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct mmrace_faultq_submit s = {
		.variant = MMRACE_P5_MMGET, .addr = (uintptr_t)m, .nr = 1,
	};
	struct mmrace_notif_register optin = {
		.flags = MMRACE_NOTIF_ALLOW_ITREE_HANG,
	};
	int fd1 = mmrace_open(), fd2 = mmrace_open();

	ASSERT_NE(MAP_FAILED, m);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	m[0] = 1;
	/* B first, then a device on another file, then on the same one. */
	ASSERT_EQ(0, notif_register(fd1, 0));
	EXPECT_EQ(-1, ioctl(fd2, MMRACE_IOC_FAULTQ_SUBMIT, &s));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(-1, ioctl(fd1, MMRACE_IOC_FAULTQ_SUBMIT, &s));
	EXPECT_EQ(EDEADLK, errno);
	/* B gone: the device may come; then B is refused. */
	ASSERT_EQ(0, notif_unregister(fd1, 0));
	EXPECT_EQ(0, ioctl(fd2, MMRACE_IOC_FAULTQ_SUBMIT, &s));
	close(fd1);
	fd1 = mmrace_open();
	ASSERT_LE(0, fd1);
	EXPECT_EQ(-EDEADLK, notif_register(fd1, 0));
	close(fd2);
	/* The device closed: still refused on this mm; with the opt-in, ok. */
	EXPECT_EQ(-EDEADLK, notif_register(fd1, 0));
	EXPECT_EQ(0, ioctl(fd1, MMRACE_IOC_NOTIF_REGISTER, &optin));
	close(fd1);
	munmap(m, ps);
}

/* Blockable invalidations (munmap, MADV_DONTNEED, fork's COW): paired. */
TEST_F(p3, notif_blockable_paired)
{
	struct mmrace_notif_ctl c;
	long ps = sysconf(_SC_PAGESIZE);
	int i, fd = mmrace_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, notif_register(fd, 0));
	ASSERT_EQ(0, notif_ctl(fd, 1, 0, 0, &c));
	for (i = 0; i < 200; i++) {
		char *m = mmap(NULL, 16 * ps, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pid_t pid;

		ASSERT_NE(MAP_FAILED, m);
		memset(m, i, 16 * ps);
		ASSERT_EQ(0, madvise(m, 8 * ps, MADV_DONTNEED));
		if (i % 50 == 0) {
			pid = fork();
			ASSERT_LE(0, pid);
			if (pid == 0)
				_exit(0);
			waitpid(pid, NULL, 0);
		}
		ASSERT_EQ(0, munmap(m, 16 * ps));
	}
	ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
	notif_log(_metadata, "after munmap, madvise, fork", &c);
	EXPECT_LT(400, c.a_starts);
	EXPECT_EQ(c.a_starts, c.a_ends);
	EXPECT_EQ(0, c.a_active);
	EXPECT_EQ(0, c.a_nonblock);
	/* Busy B fails only non-blockable starts. */
	EXPECT_EQ(0, c.b_eagain);
	EXPECT_EQ(c.a_starts, c.b_starts);
	close(fd);
}

struct victim_msg {
	int fd;
	int ok;
};

static void *victim_sleeper(void *arg)
{
	struct mmrace_notif_ctl c;

	notif_ctl(*(int *)arg, MMRACE_NOTIF_KEEP, 30000, 0, &c);
	return NULL;
}

/*
 * A victim with A and B registered and a thread asleep in the module is
 * SIGKILLed; process_mrelease() then reaps its mm now, with non-blockable
 * invalidations. B busy: the reap fails with EAGAIN; does A get its end?
 */
static pid_t victim_start(int *dupfd, __u64 order)
{
	struct victim_msg msg = { -1, 0 };
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		size_t len = 8 << 20;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pthread_t th;

		msg.fd = mmrace_open();
		if (m != MAP_FAILED && msg.fd >= 0 &&
		    !notif_register(msg.fd, order)) {
			memset(m, 1, len);
			msg.ok = !pthread_create(&th, NULL, victim_sleeper,
						 &msg.fd);
		}
		if (write(pfd[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &msg, sizeof(msg)) != sizeof(msg) || !msg.ok)
		return -1;
	close(pfd[0]);
	*dupfd = mmrace_getfd(pid, msg.fd, NULL);
	return *dupfd < 0 ? -1 : pid;
}

static void notif_reap(struct __test_metadata *_metadata, __u64 order,
		       const char *name)
{
	struct mmrace_notif_ctl c, before;
	int fd = -1, pidfd, ret, err, i;
	pid_t pid = victim_start(&fd, order);

	ASSERT_LT(0, pid);
	/* Wait for the sleeper, make B busy, then the kill. */
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, notif_ctl(fd, 1, 0, 0, &before));
		if (before.sleepers)
			break;
		usleep(1000);
	}
	ASSERT_EQ(1, before.sleepers);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	/* The other threads leave; the sleeper keeps the mm. */
	usleep(100 * 1000);

	ret = syscall(__NR_process_mrelease, pidfd, 0);
	err = errno;
	ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
	TH_LOG("%s: process_mrelease with B busy: %d (%s)", name, ret,
	       ret ? strerror(err) : "ok");
	notif_log(_metadata, "after the failed reap", &c);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EAGAIN, err);
	EXPECT_LT(0, c.b_eagain);
	/* The seed's invariant: A's starts all got their end. */
	EXPECT_EQ(c.a_starts, c.a_ends);
	EXPECT_EQ(0, c.a_active);
	EXPECT_LT(before.a_nonblock, c.a_nonblock);
	EXPECT_EQ(0, c.mm_oom_skip);

	/* B free again: the reap goes through. */
	ASSERT_EQ(0, notif_ctl(fd, 0, 0, 0, &c));
	ret = syscall(__NR_process_mrelease, pidfd, 0);
	err = errno;
	ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
	TH_LOG("%s: process_mrelease with B free: %d (%s)", name, ret,
	       ret ? strerror(err) : "ok");
	notif_log(_metadata, "after the reap", &c);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(c.a_starts, c.a_ends);
	/* The reaper marked the mm; MMF_OOM_SKIP waits for exit_mmap. */
	EXPECT_EQ(1, c.mm_unstable);

	/* Let the sleeper go: the victim exits, release runs. */
	ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 1, &c));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
	notif_log(_metadata, "after the exit", &c);
	EXPECT_EQ(1, c.a_released);
	EXPECT_EQ(1, c.b_released);
	EXPECT_EQ(1, c.mm_oom_skip);
	EXPECT_EQ(c.a_starts, c.a_ends);
	close(pidfd);
	close(fd);
}

TEST_F_TIMEOUT(p3, notif_process_mrelease_a_first, 120)
{
	notif_reap(_metadata, 0, "A runs first");
}

TEST_F_TIMEOUT(p3, notif_process_mrelease_b_first, 120)
{
	notif_reap(_metadata, MMRACE_NOTIF_B_FIRST, "B runs first");
}

/* Write @val to the cgroup file @dir/@file; 0 or -errno. */
static int cg_write(const char *dir, const char *file, const char *val)
{
	return mmrace_write_file(dir, file, val);
}

static void kmsg(const char *msg)
{
	int fd = open("/dev/kmsg", O_WRONLY);

	if (fd >= 0) {
		ssize_t n = write(fd, msg, strlen(msg));

		(void)n;
		close(fd);
	}
}

/*
 * The realistic route: a memory cgroup OOM. The victim (in a cgroup of its
 * own, memory.max 64 MiB, no swap) allocates until the OOM killer kills
 * it; a thread asleep in the module keeps its mm, so the OOM reaper runs
 * 2 s later with non-blockable invalidations, finds B busy, retries and
 * gives up (MMF_OOM_SKIP). A must still have all its ends. The kernel log
 * gets the OOM report between two markers that scripts/splat-scan knows.
 */
/*
 * A cgroup v2 memory cgroup of this test's own, 64 MiB and no swap, in
 * @cg; 0, or -1 when the test was skipped (no cgroup v2 or no memory
 * controller, or none can be made here).
 */
static int memcg_make(struct __test_metadata *_metadata, char *cg, size_t len)
{
	char buf[256] = "";
	int ctl;

	ctl = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY);
	if (ctl < 0)
		SKIP(return -1, "no cgroup v2 at /sys/fs/cgroup");
	if (read(ctl, buf, sizeof(buf) - 1) < 0 || !strstr(buf, "memory")) {
		close(ctl);
		SKIP(return -1, "cgroup v2 without the memory controller");
	}
	close(ctl);
	snprintf(cg, len, "/sys/fs/cgroup/mmrace-oom-%d", getpid());
	if (cg_write("/sys/fs/cgroup", "cgroup.subtree_control", "+memory") ||
	    mkdir(cg, 0755))
		SKIP(return -1, "cannot make a memory cgroup: %s",
		     strerror(errno));
	ASSERT_EQ(0, cg_write(cg, "memory.max", "67108864"));
	cg_write(cg, "memory.swap.max", "0");
	return 0;
}

/*
 * The OOM victim, a child in @cg: A and B registered, a thread asleep in
 * the module (it keeps the mm), its file's number and whether all of that
 * worked sent up @up; then, once @go gives the word, it allocates until
 * the OOM killer kills it. Never returns.
 */
static void memcg_victim(const char *cg, int up, int go)
{
	struct victim_msg msg = { -1, 0 };
	char buf[32], word;
	pthread_t th;

	snprintf(buf, sizeof(buf), "%d", getpid());
	if (cg_write(cg, "cgroup.procs", buf))
		_exit(1);
	cg_write("/proc/self", "oom_score_adj", "1000");
	msg.fd = mmrace_open();
	if (msg.fd >= 0 && !notif_register(msg.fd, 0))
		msg.ok = !pthread_create(&th, NULL, victim_sleeper, &msg.fd);
	if (write(up, &msg, sizeof(msg)) != sizeof(msg) ||
	    read(go, &word, 1) != 1)
		_exit(1);
	for (;;) {
		char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m != MAP_FAILED)
			memset(m, 1, 1 << 20);
	}
}

TEST_F_TIMEOUT(p3, notif_memcg_oom, 120)
{
	struct victim_msg msg = { -1, 0 };
	struct mmrace_notif_ctl c;
	int pfd[2], gofd[2], pidfd, fd, i;
	char cg[128];
	pid_t pid;

	if (memcg_make(_metadata, cg, sizeof(cg)))
		return;
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(gofd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		memcg_victim(cg, pfd[1], gofd[0]);
	ASSERT_EQ(sizeof(msg), read(pfd[0], &msg, sizeof(msg)));
	ASSERT_TRUE(msg.ok);
	fd = mmrace_getfd(pid, msg.fd, &pidfd);
	ASSERT_LE(0, fd);
	for (i = 0; i < 1000; i++) {
		ASSERT_EQ(0, notif_ctl(fd, 1, 0, 0, &c));
		if (c.sleepers)
			break;
		usleep(1000);
	}
	ASSERT_EQ(1, c.sleepers);

	kmsg("mmrace: expected OOM begin\n");
	ASSERT_EQ(1, write(gofd[1], "g", 1));
	/* The kill, the reaper's 2 s delay, its 10 tries 100 ms apart. */
	for (i = 0; i < 300; i++) {
		ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
		if (c.mm_oom_skip)
			break;
		usleep(50 * 1000);
	}
	kmsg("mmrace: expected OOM end\n");
	notif_log(_metadata, "after the OOM reaper", &c);
	EXPECT_EQ(1, c.mm_oom_skip) TH_LOG("the reaper did not give up in 15 s");
	EXPECT_EQ(1, c.mm_unstable);
	EXPECT_LT(0, c.b_eagain);
	EXPECT_LT(0, c.a_nonblock);
	/* The seed's invariant on the OOM path. */
	EXPECT_EQ(c.a_starts, c.a_ends);
	EXPECT_EQ(0, c.a_active);

	ASSERT_EQ(0, notif_ctl(fd, 0, 0, 1, &c));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
	notif_log(_metadata, "after the exit", &c);
	EXPECT_EQ(c.a_starts, c.a_ends);
	EXPECT_EQ(1, c.a_released);
	close(fd);
	close(pidfd);
	EXPECT_EQ(0, rmdir(cg));
}

TEST_F(p3, notif_bad_input)
{
	struct mmrace_notif_ctl c;
	int fd = mmrace_open(), status;
	pid_t pid;

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
	EXPECT_EQ(-EINVAL, notif_register(fd, 2));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(notif_register(fd, 0) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-ENOENT, notif_unregister(fd, 0));
	ASSERT_EQ(0, notif_register(fd, 0));
	EXPECT_EQ(-EBUSY, notif_register(fd, 0));
	EXPECT_EQ(-EINVAL, notif_unregister(fd, 1));
	EXPECT_EQ(-EINVAL, notif_ctl(fd, 3, 0, 0, &c));
	EXPECT_EQ(-EINVAL, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 2, &c));
	EXPECT_EQ(-EINVAL, notif_ctl(fd, MMRACE_NOTIF_KEEP, 10, 1, &c));
	EXPECT_EQ(-EINVAL, notif_ctl(fd, MMRACE_NOTIF_KEEP,
				     MMRACE_NOTIF_MAX_SLEEP_MS + 1, 0, &c));
	/* A short sleep times out (not woken). */
	EXPECT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 10, 0, &c));
	EXPECT_EQ(0, c.woken);
	/* Unregistered once; the counters stay; no second registration. */
	EXPECT_EQ(0, notif_unregister(fd, 0));
	EXPECT_EQ(-ENOENT, notif_unregister(fd, 0));
	EXPECT_EQ(-EBUSY, notif_register(fd, 0));
	EXPECT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
	EXPECT_EQ(1, c.a_released);
	EXPECT_EQ(1, c.b_released);
	close(fd);
}

struct churn {
	volatile int stop;
	unsigned long rounds;
};

static void *churn_fn(void *arg)
{
	struct churn *ch = arg;
	long ps = sysconf(_SC_PAGESIZE);

	while (!ch->stop) {
		char *m = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			continue;
		memset(m, 1, 8 * ps);
		madvise(m, 4 * ps, MADV_DONTNEED);
		munmap(m, 8 * ps);
		ch->rounds++;
	}
	return NULL;
}

/*
 * The subscribers go away (unregister ioctl, then close; or close alone)
 * while another thread keeps invalidating: clean, KASAN- and lockdep-clean
 * on the debug kernel, release told.
 */
TEST_F_TIMEOUT(p3, notif_unregister_during_invalidations, 60)
{
	struct mmrace_notif_ctl c;
	struct churn ch = { 0 };
	pthread_t th;
	int fd, fd2;

	ASSERT_EQ(0, pthread_create(&th, NULL, churn_fn, &ch));
	fd = mmrace_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, notif_register(fd, 0));
	usleep(200 * 1000);
	ASSERT_EQ(0, notif_unregister(fd, 0));
	ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c));
	notif_log(_metadata, "unregistered mid-churn", &c);
	EXPECT_LT(0, c.a_starts);
	EXPECT_EQ(1, c.a_released);
	/* Unregistered: the churn goes on, the counters stand still. */
	usleep(100 * 1000);
	{
		struct mmrace_notif_ctl c2;

		ASSERT_EQ(0, notif_ctl(fd, MMRACE_NOTIF_KEEP, 0, 0, &c2));
		EXPECT_EQ(c.a_starts, c2.a_starts);
	}
	close(fd);

	fd2 = mmrace_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, notif_register(fd2, MMRACE_NOTIF_B_FIRST));
	usleep(200 * 1000);
	close(fd2);		/* registered: the release unregisters */
	usleep(100 * 1000);
	ch.stop = 1;
	pthread_join(th, NULL);
	TH_LOG("%lu mmap/madvise/munmap rounds beside the unregisters",
	       ch.rounds);
	EXPECT_LT(0, ch.rounds);
}

TEST_HARNESS_MAIN
