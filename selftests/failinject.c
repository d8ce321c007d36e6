// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures injected into mmrace's callers: every pattern's runs
 * and every ioctl, from a process whose slab and page allocations fail
 * with a set probability (failslab and fail_page_alloc with their task
 * filter, /proc/self/make-it-fail: only this process's own allocations
 * fail, in its system calls, not the kernel threads' or anyone else's).
 *
 * Every call must return 0 or a clear error (ENOMEM, EFAULT, EINVAL, ...,
 * never a crash); the guest's kernel log must stay splat-free and kmemleak
 * clean (scripts/vm-run scans both) and the module unloadable afterwards
 * (scripts/guest-run's rmmod). The counts of calls, errors per ioctl and
 * allocations failed are printed.
 *
 * Needs CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and
 * CONFIG_FAULT_INJECTION_DEBUG_FS (the debug guest kernel): SKIP without.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/mmrace/p3_mmunotif.h>
#include <linux/mmrace/p4_forkpin.h>
#include <linux/mmrace/p5_faultq.h>

#include "kselftest_harness.h"
#include "mmrace_lib.h"

#define FI_DEBUGFS	"/sys/kernel/debug"
/* Failures allowed per attribute (fault_attr.times counts them down). */
#define FI_TIMES	1000000
/* Percent of the filtered task's allocations that fail. */
#define FI_PERCENT	10
#define FI_ROUNDS	60
#define FI_PAGES	16

static const char *const fi_attrs[] = { "failslab", "fail_page_alloc" };

static int fi_write(const char *attr, const char *file, const char *val)
{
	char dir[128];

	snprintf(dir, sizeof(dir), FI_DEBUGFS "/%s", attr);
	return mmrace_write_file(dir, file, val);
}

static long fi_read(const char *attr, const char *file)
{
	char path[256], buf[64] = "";
	long v = -1;
	int fd;

	snprintf(path, sizeof(path), FI_DEBUGFS "/%s/%s", attr, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		v = strtol(buf, NULL, 10);
	close(fd);
	return v;
}

/*
 * Arm (or disarm, @on false) both attributes: the task filter, silent,
 * sleeping allocations too, user and page-cache pages left alone
 * (ignore-gfp-highmem: a failed user fault only retries).
 */
static int fi_arm(bool on)
{
	char n[32];
	unsigned int i;
	int ret = 0;

	snprintf(n, sizeof(n), "%d", on ? FI_TIMES : 0);
	for (i = 0; i < 2 && !ret; i++) {
		const char *a = fi_attrs[i];

		ret = fi_write(a, "task-filter", "Y") ?:
		      fi_write(a, "verbose", "0") ?:
		      fi_write(a, "interval", "1") ?:
		      fi_write(a, "ignore-gfp-wait", "N") ?:
		      fi_write(a, "times", n) ?:
		      fi_write(a, "probability", on ? "10" : "0");
		if (!ret && i == 1)
			ret = fi_write(a, "ignore-gfp-highmem", "Y");
	}
	return ret;
}

/* The ioctls exercised, and what each returned. */
enum fi_call {
	FI_RUN, FI_INFO, FI_DESCRIBE, FI_PIN, FI_PIN_ACCESS, FI_UNPIN,
	FI_PAGE_INFO, FI_FAULTQ_SUBMIT, FI_FAULTQ_WAIT, FI_FAULTQ_READ,
	FI_NOTIF_REGISTER, FI_NOTIF_CTL, FI_NOTIF_UNREGISTER, FI_OPEN,
	FI_NR_CALLS,
};

static const char *const fi_names[FI_NR_CALLS] = {
	"RUN", "INFO", "DESCRIBE", "PIN", "PIN_ACCESS", "UNPIN", "PAGE_INFO",
	"FAULTQ_SUBMIT", "FAULTQ_WAIT", "FAULTQ_READ", "NOTIF_REGISTER",
	"NOTIF_CTL", "NOTIF_UNREGISTER", "open",
};

struct fi_counts {
	unsigned long calls[FI_NR_CALLS];
	unsigned long errors[FI_NR_CALLS];
	unsigned long enomem[FI_NR_CALLS];
	/* An errno no call documents (the child's result). */
	int bad_errno;
	enum fi_call bad_call;
};

static bool fi_errno_ok(int e)
{
	switch (e) {
	case ENOMEM: case EFAULT: case EINVAL: case ENOENT: case EBUSY:
	case ENOSPC: case ESRCH: case EINTR: case EAGAIN: case EDEADLK:
	case EPERM:
		return true;
	}
	return false;
}

static void fi_count(struct fi_counts *c, enum fi_call call, int ret)
{
	c->calls[call]++;
	if (!ret)
		return;
	c->errors[call]++;
	if (errno == ENOMEM)
		c->enomem[call]++;
	if (!fi_errno_ok(errno) && !c->bad_errno) {
		c->bad_errno = errno;
		c->bad_call = call;
	}
}

/* One round: a file, a run of every variant, every ioctl once. */
static void fi_round(struct fi_counts *c, char *mem, long ps, int round)
{
	struct mmrace_faultq_stats st = { .timeout_ms = 2000 };
	struct mmrace_faultq_submit fs = {
		.variant = MMRACE_P5_MMGET, .addr = (uintptr_t)mem,
		.nr = FI_PAGES,
	};
	struct mmrace_pin pin = {
		.addr = (uintptr_t)mem, .nr_pages = 1,
		.flags = MMRACE_PIN_WRITE | MMRACE_PIN_LONGTERM,
	};
	struct mmrace_notif_register reg = { .order = round & 1 };
	struct mmrace_faultq_read rd = { .addr = (uintptr_t)mem };
	struct mmrace_page_info pi = { .addr = (uintptr_t)mem };
	struct mmrace_notif_ctl ctl = { .b_busy = 1 };
	struct mmrace_pin_access pa = { 0 };
	struct mmrace_unpin un = { 0 };
	struct mmrace_info info = { 0 };
	struct mmrace_describe d;
	struct mmrace_run r;
	__u64 p, v;
	int fd, ret;

	fd = mmrace_open();
	fi_count(c, FI_OPEN, fd < 0);
	if (fd < 0)
		return;
	fi_count(c, FI_INFO, ioctl(fd, MMRACE_IOC_INFO, &info));
	for (p = 0; p < MMRACE_NR_PATTERNS; p++) {
		ret = mmrace_describe(fd, p, MMRACE_NONE, MMRACE_NONE, &d);
		fi_count(c, FI_DESCRIBE, ret);
		if (ret)
			continue;
		for (v = 0; v < d.nr_variants; v++) {
			mmrace_run_init(&r, p, v);
			r.threads = 2;
			r.duration_ms = 20;
			fi_count(c, FI_RUN, ioctl(fd, MMRACE_IOC_RUN, &r));
		}
	}
	/* P4's pins, then P3's subscribers or P5's device (one per mm). */
	ret = ioctl(fd, MMRACE_IOC_PIN, &pin);
	fi_count(c, FI_PIN, ret);
	pa.id = un.id = pin.id;
	fi_count(c, FI_PIN_ACCESS, ioctl(fd, MMRACE_IOC_PIN_ACCESS, &pa));
	fi_count(c, FI_PAGE_INFO, ioctl(fd, MMRACE_IOC_PAGE_INFO, &pi));
	if (!ret)
		fi_count(c, FI_UNPIN, ioctl(fd, MMRACE_IOC_UNPIN, &un));
	if (round % 3) {
		fi_count(c, FI_FAULTQ_SUBMIT,
			 ioctl(fd, MMRACE_IOC_FAULTQ_SUBMIT, &fs));
		fi_count(c, FI_FAULTQ_WAIT,
			 ioctl(fd, MMRACE_IOC_FAULTQ_WAIT, &st));
		fi_count(c, FI_FAULTQ_READ,
			 ioctl(fd, MMRACE_IOC_FAULTQ_READ, &rd));
	} else {
		fi_count(c, FI_NOTIF_REGISTER,
			 ioctl(fd, MMRACE_IOC_NOTIF_REGISTER, &reg));
		fi_count(c, FI_NOTIF_CTL, ioctl(fd, MMRACE_IOC_NOTIF_CTL, &ctl));
		/* Invalidations through the subscribers. */
		madvise(mem, FI_PAGES * ps, MADV_DONTNEED);
		reg.order = 0;
		fi_count(c, FI_NOTIF_UNREGISTER,
			 ioctl(fd, MMRACE_IOC_NOTIF_UNREGISTER, &reg));
	}
	close(fd);
}

/*
 * The harness's default 30 s is a safety net this test outgrew on a loaded
 * machine (18 s alone on the 7.3 debug guest, over 30 s with a second
 * KASAN guest beside it): the budget is the rounds, not the time.
 */
FIXTURE(fi) {
	int unused;
};

FIXTURE_SETUP(fi)
{
}

FIXTURE_TEARDOWN(fi)
{
}

TEST_F_TIMEOUT(fi, allocation_failures, 300)
{
	long ps = sysconf(_SC_PAGESIZE), slab0, page0;
	struct fi_counts *c;
	int status, i;
	pid_t pid;

	if (access(FI_DEBUGFS "/failslab/task-filter", F_OK) ||
	    access(FI_DEBUGFS "/fail_page_alloc/task-filter", F_OK))
		SKIP(return, "no failslab / fail_page_alloc in debugfs (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)");
	if (access(MMRACE_DEV_PATH, F_OK))
		SKIP(return, "%s missing", MMRACE_DEV_PATH);
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	memset(c, 0, sizeof(*c));
	ASSERT_EQ(0, fi_arm(true));
	slab0 = fi_read("failslab", "times");
	page0 = fi_read("fail_page_alloc", "times");

	/*
	 * A process of its own per round: a device and P3's subscribers
	 * may not share an mm (-EDEADLK), and every round gets one or the
	 * other on a fresh mm.
	 */
	for (i = 0; i < FI_ROUNDS; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			char *mem = mmap(NULL, FI_PAGES * ps,
					 PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			int fd = open("/proc/self/make-it-fail", O_WRONLY);

			if (mem == MAP_FAILED || fd < 0)
				_exit(2);
			memset(mem, 1, FI_PAGES * ps);
			if (write(fd, "1", 1) != 1)
				_exit(3);
			close(fd);
			fi_round(c, mem, ps, i);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		/* Exit code, or a signal of a failed allocation's fault. */
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			break;
	}
	TH_LOG("allocations failed: slab %ld, page %ld",
	       slab0 - fi_read("failslab", "times"),
	       page0 - fi_read("fail_page_alloc", "times"));
	EXPECT_EQ(0, fi_arm(false));
	for (i = 0; i < FI_NR_CALLS; i++)
		TH_LOG("%-16s %5lu calls %5lu errors (%lu ENOMEM)",
		       fi_names[i], c->calls[i], c->errors[i], c->enomem[i]);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("child status %#x", status);
	}
	EXPECT_EQ(0, c->bad_errno) {
		TH_LOG("%s returned %s", fi_names[c->bad_call],
		       strerror(c->bad_errno));
	}
	/* Failures were injected into mmrace's paths, and calls got through. */
	EXPECT_LT(0, c->enomem[FI_RUN] + c->enomem[FI_OPEN] +
		  c->enomem[FI_PIN] + c->enomem[FI_FAULTQ_SUBMIT] +
		  c->enomem[FI_NOTIF_REGISTER]);
	EXPECT_LT(c->errors[FI_RUN], c->calls[FI_RUN]);
	munmap(c, sizeof(*c));
}

TEST_HARNESS_MAIN
