// SPDX-License-Identifier: GPL-2.0
/*
 * Interface fuzzer: several processes throw random and malformed ioctls
 * (numbers, directions, sizes, fields, pointers) and debugfs writes at
 * /dev/mmrace for a bounded time, from a seed. Every call must come back
 * with success or an error the interface defines; the kernel log must stay
 * clean (the VM runner scans it). Long-running requests are kept short
 * (runs, sleeps) so that the time bound holds; everything else is random.
 *
 *   fuzz [-s SEED] [-t SECONDS] [-p PROCESSES]
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/mmrace/p1_lockedvm.h>
#include <linux/mmrace/p3_mmunotif.h>
#include <linux/mmrace/p4_forkpin.h>
#include <linux/mmrace/p5_faultq.h>

#include "kselftest_harness.h"
#include "mmrace_lib.h"

#define FUZZ_SECONDS		5
#define FUZZ_PROCS		3

static unsigned long long fuzz_seed;
static unsigned int fuzz_seconds = FUZZ_SECONDS;
static unsigned int fuzz_procs = FUZZ_PROCS;

/* xorshift64*: one stream per process. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static const unsigned int fuzz_cmds[] = {
	MMRACE_IOC_INFO, MMRACE_IOC_DESCRIBE, MMRACE_IOC_RUN, MMRACE_IOC_PIN,
	MMRACE_IOC_PIN_ACCESS, MMRACE_IOC_UNPIN, MMRACE_IOC_PAGE_INFO,
	MMRACE_IOC_FAULTQ_SUBMIT, MMRACE_IOC_FAULTQ_WAIT,
	MMRACE_IOC_FAULTQ_READ, MMRACE_IOC_NOTIF_REGISTER,
	MMRACE_IOC_NOTIF_CTL, MMRACE_IOC_NOTIF_UNREGISTER,
};

/* The errors the interface documents; anything else is a finding. */
static int fuzz_errno_ok(int e)
{
	switch (e) {
	case EINVAL: case EFAULT: case E2BIG: case ENOTTY: case EBUSY:
	case EPERM: case ENOENT: case ENOSPC: case ESRCH: case ENOMEM:
	case EINTR: case EAGAIN: case EDEADLK:
		return 1;
	}
	return 0;
}

/* A random value with a bias towards edges and small numbers. */
static uint64_t fuzz_val(uint64_t *s)
{
	switch (rnd(s) % 8) {
	case 0: return 0;
	case 1: return 1;
	case 2: return ~0ULL;
	case 3: return rnd(s) % 8;
	case 4: return rnd(s) % 4096;
	case 5: return 1ULL << (rnd(s) % 64);
	default: return rnd(s);
	}
}

/* @size holds the whole of @field of @type (older, shorter structs too). */
#define FUZZ_HAS(type, field, size) \
	((size) >= offsetof(type, field) + sizeof(((type *)0)->field))

static void fuzz_bound(unsigned int cmd, void *buf, size_t size)
{
	/*
	 * Keep a request from taking long: the fields that size a run, a
	 * sleep or a storm are bounded whatever the struct's size (a
	 * short, older one is taken too: a NOTIF_CTL of 360 bytes slept
	 * 10 s), so that the fuzzer's time bound holds. An
	 * iteration-bounded run can take long too (P3's thread 0 waits for
	 * an SRCU grace period every 64 operations): always a deadline.
	 */
	if (_IOC_NR(cmd) == _IOC_NR(MMRACE_IOC_RUN)) {
		struct mmrace_run *r = buf;

		if (FUZZ_HAS(struct mmrace_run, duration_ms, size))
			r->duration_ms = 1 + r->duration_ms % 20;
		if (FUZZ_HAS(struct mmrace_run, iterations, size))
			r->iterations = r->iterations % 100000;
		if (FUZZ_HAS(struct mmrace_run, window_ns, size))
			r->window_ns = r->window_ns % 2000;
	}
	if (_IOC_NR(cmd) == _IOC_NR(MMRACE_IOC_NOTIF_CTL) &&
	    FUZZ_HAS(struct mmrace_notif_ctl, sleep_ms, size)) {
		struct mmrace_notif_ctl *c = buf;

		c->sleep_ms %= 10;
	}
	if (_IOC_NR(cmd) == _IOC_NR(MMRACE_IOC_FAULTQ_WAIT) &&
	    FUZZ_HAS(struct mmrace_faultq_stats, timeout_ms, size)) {
		struct mmrace_faultq_stats *st = buf;

		st->timeout_ms %= 50;
	}
	if (_IOC_NR(cmd) == _IOC_NR(MMRACE_IOC_FAULTQ_SUBMIT) &&
	    FUZZ_HAS(struct mmrace_faultq_submit, nr, size)) {
		struct mmrace_faultq_submit *q = buf;

		q->nr %= 2048;
		/* The hang's opt-in is for throw-away guests only. */
		if (FUZZ_HAS(struct mmrace_faultq_submit, flags, size))
			q->flags &= ~MMRACE_FAULTQ_ALLOW_ITREE_HANG;
	}
	if (_IOC_NR(cmd) == _IOC_NR(MMRACE_IOC_NOTIF_REGISTER) &&
	    FUZZ_HAS(struct mmrace_notif_register, flags, size)) {
		struct mmrace_notif_register *nr = buf;

		nr->flags &= ~MMRACE_NOTIF_ALLOW_ITREE_HANG;
	}
}

/*
 * The words of the debugfs run lines: every key of a run line with its
 * "=", a key that is none, the parser's edges, and every pattern's and
 * variant's name as the module gives them (MMRACE_IOC_DESCRIBE). Filled
 * once, before the processes fork.
 */
#define FUZZ_MAX_WORDS		512

static char fuzz_word_buf[FUZZ_MAX_WORDS][MMRACE_NAME_LEN + 1];
static const char *fuzz_words[FUZZ_MAX_WORDS];
static unsigned int fuzz_nr_words;

static const char *const fuzz_edges[] = {
	"arg9=", "1", "-1", "0x", "=", " ", "\n", "\xff",
};

/* Add @name (@eq: with a "=" after it) to the words. */
static void fuzz_add_word(const char *name, int eq)
{
	if (fuzz_nr_words == FUZZ_MAX_WORDS)
		return;
	snprintf(fuzz_word_buf[fuzz_nr_words], sizeof(fuzz_word_buf[0]),
		 "%.*s%s", MMRACE_NAME_LEN - 1, name, eq ? "=" : "");
	fuzz_words[fuzz_nr_words] = fuzz_word_buf[fuzz_nr_words];
	fuzz_nr_words++;
}

static void fuzz_words_init(int fd)
{
	struct mmrace_info info = { 0 };
	struct mmrace_describe d;
	unsigned int i;
	__u64 p, v;

	fuzz_nr_words = 0;
	for (i = 0; i < MMRACE_NR_RUN_KEYS; i++)
		fuzz_add_word(mmrace_run_keys[i].key, 1);
	for (i = 0; i < ARRAY_SIZE(fuzz_edges); i++)
		fuzz_add_word(fuzz_edges[i], 0);
	if (ioctl(fd, MMRACE_IOC_INFO, &info))
		return;
	for (p = 0; p < info.nr_patterns; p++) {
		if (mmrace_describe(fd, p, MMRACE_NONE, MMRACE_NONE, &d))
			continue;
		fuzz_add_word(d.name, 0);
		for (v = 0; v < d.nr_variants; v++) {
			struct mmrace_describe vd;

			if (!mmrace_describe(fd, p, v, MMRACE_NONE, &vd))
				fuzz_add_word(vd.name, 0);
		}
	}
}

/* Seconds on the monotonic clock. */
static double fuzz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A call that took more than 2 s is printed (not a failure). */
#define FUZZ_SLOW_S	2.0

/* Whether a call that started at @t0 was slow; *@took: how long it took. */
static int fuzz_slow(double t0, double *took)
{
	*took = fuzz_now() - t0;
	return *took > FUZZ_SLOW_S;
}

/* close(@fd), timed: closes with pins, queues and notifiers held. */
static void fuzz_close(int fd)
{
	double t0 = fuzz_now(), took;

	close(fd);
	if (fuzz_slow(t0, &took))
		fprintf(stderr, "fuzz: slow close (%.1f s)\n", took);
}

static void fuzz_debugfs(uint64_t *s, unsigned long *bad)
{
	double t0, took;
	char line[300];
	size_t n = 0;
	int fd, words = rnd(s) % 8, i;
	ssize_t w;

	for (i = 0; i < words && n < sizeof(line) - 40; i++) {
		const char *wd = fuzz_words[rnd(s) % fuzz_nr_words];

		n += snprintf(line + n, sizeof(line) - n, "%s", wd);
		if (wd[strlen(wd) - 1] == '=')
			n += snprintf(line + n, sizeof(line) - n, "%llu",
				      (unsigned long long)(rnd(s) % 30));
		/*
		 * Words run together ("=5" "1" "-1"...) try the parser's
		 * number edges, but not on the two keys that size a run: a
		 * "duration_ms=29" "1" "1" run lasted 29 s, past the
		 * fuzzer's time bound.
		 */
		if (rnd(s) % 2 || !strcmp(wd, "duration_ms=") ||
		    !strcmp(wd, "iterations="))
			line[n++] = ' ';
	}
	if (rnd(s) % 16 == 0) {
		memset(line, 'x', sizeof(line));
		n = sizeof(line);
	}
	fd = open(MMRACE_DEBUGFS "/run", O_WRONLY);
	if (fd < 0)
		return;
	t0 = fuzz_now();
	w = write(fd, line, n);
	if (w < 0 && !fuzz_errno_ok(errno) && errno != ENODEV)
		(*bad)++;
	close(fd);
	if (fuzz_slow(t0, &took))
		fprintf(stderr, "fuzz: slow debugfs write (%.1f s): %.*s\n",
			took, (int)n, line);
}

/* One process: random calls until the deadline; returns findings. */
static unsigned long fuzz_proc(uint64_t seed, time_t deadline)
{
	uint64_t s = seed | 1;
	unsigned long calls = 0, bad = 0;
	long ps = sysconf(_SC_PAGESIZE);
	/* 16 pages and a guard page after them, never accessible. */
	char *mem = mmap(NULL, 17 * ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char buf[8192];
	int fd = mmrace_open();
	double t0, took;
	int ret;

	if (fd < 0 || mem == MAP_FAILED ||
	    mprotect(mem + 16 * ps, ps, PROT_NONE))
		return 1;
	memset(mem, 1, 16 * ps);
	while (time(NULL) < deadline) {
		unsigned int cmd, i, pick = rnd(&s) % 16;
		size_t size;
		void *arg;

		if (pick == 0) {
			fuzz_debugfs(&s, &bad);
			continue;
		}
		if (pick == 1) {
			/*
			 * Anything at all: type, number, direction, size; but
			 * not the VFS's own ioctls, which never reach the
			 * driver ('T' FIONBIO..., 'X' FIFREEZE..., 'f', 0x94,
			 * 0: they act on the file or devtmpfs itself).
			 */
			cmd = (unsigned int)rnd(&s);
			switch (_IOC_TYPE(cmd)) {
			case 'T': case 'X': case 'f': case 0x94: case 0:
				cmd = _IOC(_IOC_DIR(cmd), 'z', _IOC_NR(cmd),
					   _IOC_SIZE(cmd));
			}
		} else {
			cmd = fuzz_cmds[rnd(&s) % (sizeof(fuzz_cmds) /
						   sizeof(fuzz_cmds[0]))];
			if (rnd(&s) % 4 == 0) {
				/* Another size: older, newer, absurd. */
				size = rnd(&s) % 8 ? rnd(&s) % 512 :
						     rnd(&s) % 16384;
				cmd = _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd),
					   _IOC_NR(cmd), size & _IOC_SIZEMASK);
			}
		}
		size = _IOC_SIZE(cmd);
		for (i = 0; i < sizeof(buf) / 8; i++)
			((uint64_t *)buf)[i] = fuzz_val(&s);
		/* Addresses the pin and fault ioctls may meet: our own. */
		if (rnd(&s) % 2)
			((uint64_t *)buf)[rnd(&s) % 8] =
				(uintptr_t)mem + rnd(&s) % (16 * ps);
		fuzz_bound(cmd, buf, size);
		switch (rnd(&s) % 16) {
		case 0: arg = NULL; break;
		case 1: arg = (void *)0xffff888000000000ULL; break;
		case 2: arg = (void *)(uintptr_t)fuzz_val(&s); break;
		case 3:
			/*
			 * The same struct, its tail in the guard page: EFAULT.
			 * (Before the guard, the struct's tail was whatever
			 * memory came next: a NOTIF_CTL slept 18 s.)
			 */
			arg = mem + 16 * ps - (rnd(&s) % 64);
			memcpy(arg, buf, mem + 16 * ps - (char *)arg);
			break;
		default: arg = buf; break;
		}
		calls++;
		t0 = fuzz_now();
		ret = ioctl(fd, cmd, arg);
		if (ret && !fuzz_errno_ok(errno)) {
			fprintf(stderr, "fuzz: ioctl %#x size %zu: unexpected %s\n",
				cmd, size, strerror(errno));
			bad++;
		}
		if (fuzz_slow(t0, &took))
			fprintf(stderr, "fuzz: slow ioctl %#x size %zu arg %p%s (%.1f s, %s): %016llx %016llx %016llx %016llx %016llx %016llx\n",
				cmd, size, arg, arg == buf ? " (buf)" : "",
				took, ret ? strerror(errno) : "ok",
				(unsigned long long)((uint64_t *)buf)[0],
				(unsigned long long)((uint64_t *)buf)[1],
				(unsigned long long)((uint64_t *)buf)[2],
				(unsigned long long)((uint64_t *)buf)[3],
				(unsigned long long)((uint64_t *)buf)[4],
				(unsigned long long)((uint64_t *)buf)[5]);
		if (rnd(&s) % 512 == 0) {
			/* Drop the file with whatever it holds; start over. */
			fuzz_close(fd);
			fd = mmrace_open();
			if (fd < 0)
				return bad + 1;
		}
	}
	fuzz_close(fd);
	printf("fuzz: pid %d: %lu calls, %lu unexpected\n", getpid(), calls,
	       bad);
	return bad;
}

TEST(fuzz_interface)
{
	time_t deadline = time(NULL) + fuzz_seconds;
	unsigned int i, failed = 0;
	struct mmrace_run r;
	pid_t pids[16];
	int fd;

	if (mmrace_fixture_open(_metadata, &fd, NULL, 0))
		return;
	fuzz_words_init(fd);
	close(fd);
	if (!fuzz_seed)
		fuzz_seed = (unsigned long long)time(NULL) * 2654435761ULL;
	TH_LOG("seed %llu, %u processes, %u s (replay: fuzz -s %llu)",
	       fuzz_seed, fuzz_procs, fuzz_seconds, fuzz_seed);
	for (i = 0; i < fuzz_procs; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			_exit(fuzz_proc(fuzz_seed + 0x9e3779b97f4a7c15ULL * i,
					deadline) ? 1 : 0);
	}
	for (i = 0; i < fuzz_procs; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
		if (time(NULL) > deadline + 2)
			TH_LOG("process %u ended %ld s after the deadline", i,
			       (long)(time(NULL) - deadline));
	}
	EXPECT_EQ(0, failed);
	/* The module still works: one clean run. */
	fd = mmrace_open();
	ASSERT_LE(0, fd);
	mmrace_run_init(&r, MMRACE_P1_LOCKEDVM, MMRACE_P1_CMPXCHG);
	r.iterations = 1000;
	EXPECT_EQ(0, mmrace_run(fd, &r));
	EXPECT_EQ(0, r.violations);
	close(fd);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "s:t:p:")) != -1) {
		switch (opt) {
		case 's': fuzz_seed = strtoull(optarg, NULL, 0); break;
		case 't': fuzz_seconds = strtoul(optarg, NULL, 0); break;
		case 'p': fuzz_procs = strtoul(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (fuzz_procs < 1 || fuzz_procs > 16)
		fuzz_procs = FUZZ_PROCS;
	/* The harness parses argv again: getopt starts over (0: reset). */
	optind = 0;
	return test_harness_run(1, argv);
}
