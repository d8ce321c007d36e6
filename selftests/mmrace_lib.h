/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mmrace selftests and the mmrace_ctl tool: open the
 * device, name things, run one variant, drop a capability.
 */
#ifndef MMRACE_LIB_H
#define MMRACE_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include <linux/mmrace.h>

#define MMRACE_DEBUGFS	"/sys/kernel/debug/mmrace"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * The module the collection ships, loaded by the program that needs it.
 *
 * When /dev/mmrace is missing as a program starts (before the harness runs
 * a test), it loads module/mmrace.ko from beside its own binary (where
 * lib.mk's install puts TEST_GEN_MODS_DIR), or $MMRACE_KO, and unloads it
 * when it exits, so that an installed collection runs by itself
 * (./run_kselftest.sh -c mmrace, or -t mmrace:PROGRAM alone). A shipped
 * module that does not load fails the program (exit 1: a wrong kernel, a
 * signature the kernel wants), except for a caller without the right to
 * load modules, whose tests skip as without a module. A module already
 * loaded (insmod, modprobe, scripts/guest-run) is left as it is. Only the
 * process that loaded it unloads it: the harness's test children leave
 * through _exit(), and a child of a test that calls exit() is not the
 * loader.
 *
 * A program the kernel's runner stops at its timeout (SIGTERM to the
 * harness's process; SIGINT and SIGHUP alike) takes its running test with
 * it: the test's process group (the harness's child and, for TEST_F, the
 * body it forks) is killed and waited for, 5 s at most (a task stuck in
 * the kernel cannot be waited for: then the module stays), so that no test
 * holds /dev/mmrace or runs on beside a later program; then the module is
 * unloaded if this program loaded it. The harness's child also dies with
 * the harness's process if that one is killed outright
 * (PR_SET_PDEATHSIG; the body it forks is in its process group).
 */
static pid_t mmrace_loader;
static pid_t mmrace_main;
static int mmrace_in_main;
static pid_t *mmrace_test_child;	/* shared: the running test's pid */

/* delete_module(), retried 5 s while busy; 0 or -1. Signal-safe. */
static int mmrace_module_delete(void)
{
	struct timespec tenth = { 0, 100 * 1000 * 1000 };
	int i;

	for (i = 0; i < 50; i++) {
		if (!syscall(SYS_delete_module, "mmrace", O_NONBLOCK))
			return 0;
		if (errno != EBUSY && errno != EAGAIN)
			break;
		nanosleep(&tenth, NULL);
	}
	return -1;
}

static void mmrace_module_unload(void)
{
	if (!mmrace_loader || mmrace_loader != getpid())
		return;
	if (mmrace_module_delete())
		fprintf(stderr, "# mmrace: delete_module(mmrace): %s; left loaded\n",
			strerror(errno));
}

/* In every child the harness forks for a test (not in their children). */
static void mmrace_forked(void)
{
	if (!mmrace_in_main)
		return;
	mmrace_in_main = 0;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The harness's process died before that took hold. */
	if (getppid() != mmrace_main)
		_exit(1);
	if (mmrace_test_child)
		*mmrace_test_child = getpid();
}

/* A stop in the harness's process: only async-signal-safe calls. */
static void mmrace_stopped(int sig)
{
	pid_t child = mmrace_test_child ? *mmrace_test_child : 0;
	struct timespec tenth = { 0, 100 * 1000 * 1000 };
	int i;

	/* Still this process's running child (not reaped, not exited)? */
	if (child > 0 && waitpid(child, NULL, WNOHANG) == 0) {
		kill(-child, SIGKILL);
		kill(child, SIGKILL);
		for (i = 0; i < 50; i++) {
			if (waitpid(child, NULL, WNOHANG))
				break;
			nanosleep(&tenth, NULL);
		}
	}
	if (mmrace_loader == getpid())
		mmrace_module_delete();
	signal(sig, SIG_DFL);
	raise(sig);
}

__attribute__((constructor)) static void mmrace_module_load(void)
{
	static const char ko[] = "/module/mmrace.ko";
	const char *env = getenv("MMRACE_KO");
	char path[PATH_MAX];
	void *page;
	ssize_t n;
	char *slash;
	int fd;

	page = mmap(NULL, sizeof(pid_t), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page != MAP_FAILED)
		mmrace_test_child = page;
	mmrace_main = getpid();
	mmrace_in_main = 1;
	pthread_atfork(NULL, NULL, mmrace_forked);
	signal(SIGTERM, mmrace_stopped);
	signal(SIGINT, mmrace_stopped);
	signal(SIGHUP, mmrace_stopped);

	if (!access(MMRACE_DEV_PATH, F_OK) || errno != ENOENT)
		return;
	if (env && env[0] == '/') {
		snprintf(path, sizeof(path), "%s", env);
	} else {
		n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		if (n <= 0)
			return;
		path[n] = 0;
		slash = strrchr(path, '/');
		if (!slash || slash - path + sizeof(ko) > sizeof(path))
			return;
		memcpy(slash, ko, sizeof(ko));
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* none shipped: the tests say "load mmrace.ko" */
	if (!syscall(SYS_finit_module, fd, "", 0)) {
		mmrace_loader = getpid();
		atexit(mmrace_module_unload);
	} else if (errno != EEXIST) {
		int err = errno;

		printf("# mmrace: finit_module(%s): %s\n", path, strerror(err));
		if (err != EPERM)
			exit(1);
	}
	close(fd);
}

static inline int mmrace_open(void)
{
	return open(MMRACE_DEV_PATH, O_RDWR | O_CLOEXEC);
}

#ifdef TH_LOG
/*
 * The set-up of a test's /dev/mmrace, for FIXTURE_SETUP() or a TEST()
 * (kselftest_harness.h included before this file): open it into *@fd; the
 * test skips when the module is not loaded (ENOENT, ENODEV) and fails on
 * any other error. With @info or @min_cpus, read MMRACE_IOC_INFO (into
 * *@info when given; a failure fails the test) and skip the test on fewer
 * than @min_cpus online CPUs. Returns 0 to go on, -1 when the test was
 * skipped: the caller returns at once. (A failed check never returns: the
 * harness's ASSERT leaves the test.)
 */
static inline int mmrace_fixture_open(struct __test_metadata *_metadata,
				      int *fd, struct mmrace_info *info,
				      unsigned int min_cpus)
{
	struct mmrace_info own;
	int err;

	*fd = mmrace_open();
	err = errno;
	if (*fd < 0 && (err == ENOENT || err == ENODEV))
		SKIP(return -1, "%s missing: load mmrace.ko", MMRACE_DEV_PATH);
	ASSERT_LE(0, *fd)
		TH_LOG("open %s: %s", MMRACE_DEV_PATH, strerror(err));
	if (!info && !min_cpus)
		return 0;
	if (!info)
		info = &own;
	memset(info, 0, sizeof(*info));
	ASSERT_EQ(0, ioctl(*fd, MMRACE_IOC_INFO, info));
	if (info->online_cpus < min_cpus)
		SKIP(return -1, "needs %u CPUs, has %llu", min_cpus,
		     info->online_cpus);
	return 0;
}
#endif

/* Describe a pattern (variant and counter MMRACE_NONE), variant or counter. */
static inline int mmrace_describe(int fd, __u64 pattern, __u64 variant,
				  __u64 counter, struct mmrace_describe *d)
{
	memset(d, 0, sizeof(*d));
	d->pattern = pattern;
	d->variant = variant;
	d->counter = counter;
	return ioctl(fd, MMRACE_IOC_DESCRIBE, d);
}

static inline void mmrace_run_init(struct mmrace_run *r, __u64 pattern,
				   __u64 variant)
{
	memset(r, 0, sizeof(*r));
	r->pattern = pattern;
	r->variant = variant;
}

/* Run; returns 0 or -errno. */
static inline int mmrace_run(int fd, struct mmrace_run *r)
{
	return ioctl(fd, MMRACE_IOC_RUN, r) ? -errno : 0;
}

static inline double mmrace_ns_per_op(const struct mmrace_run *r)
{
	return r->ops ? (double)r->elapsed_ns * r->threads / r->ops : 0;
}

/*
 * Statistical budgets (operations a fixed variant must pass, stress
 * rounds) are divided by this on a lockdep, KASAN or KCSAN kernel, where an
 * operation costs several times more and the run's job is to let the
 * checkers see every path. Tests log the budget they used.
 */
#define MMRACE_DEBUG_DIV	10

/* MMRACE_KF_* of the running kernel (0 if the module cannot tell). */
static inline unsigned long long mmrace_kernel_flags(int fd)
{
	struct mmrace_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, MMRACE_IOC_INFO, &info))
		return 0;
	return info.kernel_flags;
}

/* Whether the module runs on a lockdep, KASAN or KCSAN kernel. */
/*
 * A guest QEMU's TCG emulates for another architecture on an x86 host
 * (MMRACE_TCG=1, set by the arm64 guest of make check-arm64).
 */
static inline int mmrace_tcg_guest(void)
{
	const char *tcg = getenv("MMRACE_TCG");

	return tcg && !strcmp(tcg, "1");
}

static inline int mmrace_debug_kernel(int fd)
{
	return !!(mmrace_kernel_flags(fd) &
		  (MMRACE_KF_KASAN | MMRACE_KF_LOCKDEP | MMRACE_KF_KCSAN));
}

/* @n on this kernel: @n, or @n / MMRACE_DEBUG_DIV on a debug kernel. */
static inline unsigned long long mmrace_budget(int fd, unsigned long long n)
{
	return mmrace_debug_kernel(fd) ? n / MMRACE_DEBUG_DIV : n;
}

/*
 * @n, or a hundredth of it on a debug kernel: series whose every operation
 * is a litmus round cost 30 to 100 times more there (P4's atomic_nomb on
 * x86); the run's job there is path coverage, the distro kernels hold the
 * statistics. (controls.c sizes its rows' debug budgets itself.)
 */
static inline unsigned long long mmrace_budget_hundredth(int fd,
							 unsigned long long n)
{
	return mmrace_debug_kernel(fd) ?
	       n / MMRACE_DEBUG_DIV / MMRACE_DEBUG_DIV : n;
}

/*
 * The budget of runs whose operations hand a contended sleeping lock from
 * thread to thread: divided on a debug kernel, and on PREEMPT_RT too,
 * where a contended mutex hands over through the rt_mutex and a context
 * switch (27 to 78 us per operation in a TCG guest, against a few hundred
 * ns on 6.12 without RT: 10^6 of them outlast a run's 60 s).
 */
static inline unsigned long long mmrace_budget_sleeping(int fd,
							unsigned long long n)
{
	if (mmrace_kernel_flags(fd) & MMRACE_KF_PREEMPT_RT)
		return n / MMRACE_DEBUG_DIV;
	return mmrace_budget(fd, n);
}

/*
 * How long the next run of a fixed variant's series lasts: @first_ms for
 * the first one (and once @want is met); after that as long as the @want -
 * @done operations still wanted take at the last run's rate (@last of them
 * in @last_ns), 10 % over and 100 ms more, @max_ms at most. The series
 * ends on the operations counted, never on time: this only spares the
 * last run's overshoot.
 */
static inline unsigned long long mmrace_next_ms(unsigned long long want,
						unsigned long long done,
						unsigned long long last,
						unsigned long long last_ns,
						unsigned long long first_ms,
						unsigned long long max_ms)
{
	double ms;

	if (!last || !last_ns || done >= want)
		return first_ms;
	ms = (double)(want - done) * (last_ns / 1e6) / last * 1.1 + 100;
	return ms < max_ms ? (unsigned long long)ms : max_ms;
}

/*
 * "name=value" for the counters of @r (@all: every one, else the non-zero
 * ones), named through MMRACE_IOC_DESCRIBE, appended to @buf of @len bytes
 * at @off; returns the new end (what fitted).
 */
static inline size_t mmrace_counters_fmt(int fd, const struct mmrace_run *r,
					 int all, char *buf, size_t len,
					 size_t off)
{
	struct mmrace_describe d;
	__u64 c;

	for (c = 0; c < r->nr_counters && c < MMRACE_MAX_COUNTERS; c++) {
		int n;

		if (!all && !r->counters[c])
			continue;
		if (mmrace_describe(fd, r->pattern, MMRACE_NONE, c, &d))
			snprintf(d.name, sizeof(d.name), "c%llu", c);
		n = snprintf(buf + off, len - off, "%s%s=%llu",
			     off && buf[off - 1] != ' ' ? " " : "", d.name,
			     r->counters[c]);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += n;
	}
	return off;
}

/*
 * "name=value" for every non-zero counter of @r, named through
 * MMRACE_IOC_DESCRIBE, into @buf of @len bytes; returns @buf.
 */
static inline char *mmrace_counters_str(int fd, const struct mmrace_run *r,
					char *buf, size_t len)
{
	buf[0] = 0;
	mmrace_counters_fmt(fd, r, 0, buf, len, 0);
	return buf;
}

/* The name of a variant of @pattern ("?" if the module cannot tell). */
static inline const char *mmrace_variant_name(int fd, __u64 pattern,
					      __u64 variant, char *buf,
					      size_t len)
{
	struct mmrace_describe d;

	if (mmrace_describe(fd, pattern, variant, MMRACE_NONE, &d))
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s", d.name);
	return buf;
}

/* Room for mmrace_run_str(): the longest pattern's line and more. */
#define MMRACE_LOG_LEN	1024

/*
 * Run @r in one line, into @buf of @len bytes: "[@what: ]PATTERN VARIANT:
 * threads ops ns/op violations first_us seed;" then every counter of the
 * pattern by name, zeros too (a zero is what a check asserts), all named
 * through MMRACE_IOC_DESCRIBE. Returns @buf.
 */
static inline char *mmrace_run_str(int fd, const char *what,
				   const struct mmrace_run *r, char *buf,
				   size_t len)
{
	char pname[MMRACE_NAME_LEN], vname[MMRACE_NAME_LEN], first[32];
	struct mmrace_describe d;
	int n;

	if (mmrace_describe(fd, r->pattern, MMRACE_NONE, MMRACE_NONE, &d))
		snprintf(pname, sizeof(pname), "p%llu", r->pattern);
	else
		snprintf(pname, sizeof(pname), "%s", d.name);
	mmrace_variant_name(fd, r->pattern, r->variant, vname, sizeof(vname));
	if (r->first_detect_ns == MMRACE_NONE)
		snprintf(first, sizeof(first), "-");
	else
		snprintf(first, sizeof(first), "%.1f", r->first_detect_ns / 1e3);
	n = snprintf(buf, len,
		     "%s%s%s %s: threads=%llu ops=%llu ns/op=%.0f violations=%llu first_us=%s seed=%llu; ",
		     what ? what : "", what ? ": " : "", pname, vname,
		     r->threads, r->ops, mmrace_ns_per_op(r), r->violations,
		     first, r->seed);
	if (n >= 0 && (size_t)n < len)
		mmrace_counters_fmt(fd, r, 1, buf, len, n);
	return buf;
}

/*
 * Log run @r of the running test through the harness's TH_LOG (a "#" line
 * of the TAP output, with the caller's file and line): mmrace_run_str().
 * For a test or a helper that has its _metadata.
 */
#define mmrace_log_run(fd, what, r) do {				\
	char __mmrace_log[MMRACE_LOG_LEN];				\
									\
	TH_LOG("%s", mmrace_run_str(fd, what, r, __mmrace_log,		\
				    sizeof(__mmrace_log)));		\
} while (0)

/*
 * The "key=value" words of a run line: debugfs's run file takes them after
 * the pattern and variant names (mod/debugfs.c), and so does mmrace_ctl
 * run. One entry per key: the field of struct mmrace_run it sets.
 */
struct mmrace_run_key {
	const char *key;
	size_t off;
};

#define MMRACE_RUN_KEY(field)	{ #field, offsetof(struct mmrace_run, field) }
#define MMRACE_ARG_KEY(k)	{ "arg" #k, offsetof(struct mmrace_run, arg[k]) }

static const struct mmrace_run_key mmrace_run_keys[] = {
	MMRACE_RUN_KEY(threads), MMRACE_RUN_KEY(duration_ms),
	MMRACE_RUN_KEY(iterations), MMRACE_RUN_KEY(window_ns),
	MMRACE_RUN_KEY(seed), MMRACE_RUN_KEY(flags),
	MMRACE_ARG_KEY(0), MMRACE_ARG_KEY(1), MMRACE_ARG_KEY(2),
	MMRACE_ARG_KEY(3), MMRACE_ARG_KEY(4), MMRACE_ARG_KEY(5),
	MMRACE_ARG_KEY(6), MMRACE_ARG_KEY(7),
};

#define MMRACE_NR_RUN_KEYS	ARRAY_SIZE(mmrace_run_keys)
_Static_assert(MMRACE_NR_RUN_KEYS == 6 + MMRACE_NR_ARGS,
	       "one argK key per argument");

/*
 * Set the field of @r that "key=value" @kv names (the value as strtoull()
 * with base 0 reads it: 10, 0xa, 012); 0, or -1 for an unknown key or a
 * value that is no number.
 */
static inline int mmrace_run_set_kv(struct mmrace_run *r, const char *kv)
{
	const char *eq = strchr(kv, '=');
	unsigned int i;
	size_t klen;
	char *end;
	__u64 val;

	if (!eq)
		return -1;
	klen = eq - kv;
	val = strtoull(eq + 1, &end, 0);
	if (*end || end == eq + 1)
		return -1;
	for (i = 0; i < MMRACE_NR_RUN_KEYS; i++) {
		const struct mmrace_run_key *k = &mmrace_run_keys[i];

		if (strlen(k->key) == klen && !strncmp(kv, k->key, klen)) {
			*(__u64 *)((char *)r + k->off) = val;
			return 0;
		}
	}
	return -1;
}

/* Write @val to the file @dir/@file (sysfs, debugfs); 0 or -errno. */
static inline int mmrace_write_file(const char *dir, const char *file,
				    const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Remove @cap from the effective, permitted and inheritable sets. */
static inline int mmrace_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1u << (cap % 32));
	data[cap / 32].permitted &= ~(1u << (cap % 32));
	data[cap / 32].inheritable &= ~(1u << (cap % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

/*
 * A copy of process @pid's file descriptor @fd (pidfd_getfd()), so that a
 * test can keep a victim's /dev/mmrace file after the victim dies; -1 on
 * error. The caller may pass @pidfd to keep the pidfd open, or NULL.
 */
static inline int mmrace_getfd(pid_t pid, int fd, int *pidfd)
{
	int pfd = syscall(SYS_pidfd_open, pid, 0), ret;

	if (pfd < 0)
		return -1;
	ret = syscall(SYS_pidfd_getfd, pfd, fd, 0);
	if (pidfd && ret >= 0)
		*pidfd = pfd;
	else
		close(pfd);
	return ret;
}

/* Read "Key:   value kB" from /proc/self/status; -1 if absent. */
static inline long mmrace_status_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Why a KCSAN kernel cannot show store buffering: every access of the
 * litmus test calls into KCSAN's runtime, so many instructions separate a
 * side's store from its load and the store leaves the store buffer first.
 * Measured on 7.3 with KCSAN_STRICT under TCG: 0 forbidden outcomes of
 * P4 once in 10^7 iterations, with 562,324 in which both sides saw the
 * other (the windows did overlap).
 */
#define SB_KCSAN_WHY "KCSAN kernel: its runtime call on every access lets each store leave the store buffer before the load (P4 once: 0 forbidden in 10^7 iterations, 562,324 overlapping); store buffering cannot show here"

#endif /* MMRACE_LIB_H */
