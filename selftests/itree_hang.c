// SPDX-License-Identifier: GPL-2.0
/*
 * Investigation (not part of run.sh): an mm with both an
 * mmu_interval_notifier (P5's device) and an hlist notifier whose
 * non-blocking start fails (P3's B). process_mrelease() with B busy makes
 * __mmu_notifier_invalidate_range_start() invalidate the interval tree,
 * then fail in the hlist walk; the reaper then skips the range's end, and
 * mn_itree_inv_end() is never called (patches/0001 is the kernel fix).
 * Three shapes of that leak, each on a victim of its own:
 *
 *   fault   the device's interval (the whole address space) overlaps the
 *           reaped range: invalidate_seq stays odd, and the next device
 *           fault waits forever in mmu_interval_read_begin()
 *   remove  the same, then no fault: the device is closed, and the
 *           victim's exit waits forever in mmu_interval_notifier_remove()
 *   latent  the interval tree has no interval at the reap (a device came
 *           and went before it): the count leaks, the sequence stays
 *           even; then a new device inserts its interval (insert sees
 *           active ranges and makes the sequence odd) and its first fault
 *           waits forever
 *
 *   itree_hang [fault|remove|latent]...   (default: all three)
 *
 * Prints "RESULT shape: ok" (the step completed) or "RESULT shape: HANG"
 * (it did not within 5 s; a task is then stuck for good: run it in a guest
 * of its own), then "RESULT: ok" when every shape completed, else
 * "RESULT: HANG". Exit status 0 for ok, 1 for a hang, 2 when a set-up
 * failed. Seen on Debian's 6.1 and 6.12 (fault: RESULT: HANG, the worker
 * asleep in mmu_interval_read_begin()).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/mmrace/p3_mmunotif.h>
#include <linux/mmrace/p5_faultq.h>

#include "mmrace_lib.h"

#ifndef __NR_process_mrelease
#define __NR_process_mrelease	448
#endif

#define REGION		(4 << 20)
#define HANG_MS		5000

static int notif_fd_g;

/* In the victim: B's start sleeps (busy) for 30 s, holding the mm. */
static void *sleeper(void *arg)
{
	struct mmrace_notif_ctl c = { .b_busy = MMRACE_NOTIF_KEEP,
				      .sleep_ms = 30000 };

	ioctl(notif_fd_g, MMRACE_IOC_NOTIF_CTL, &c);
	return NULL;
}

static int submit_one(int fd, char *addr)
{
	/* Opted in: this program exists to show the hang. */
	struct mmrace_faultq_submit s = {
		.variant = MMRACE_P5_MMGET, .nr = 1,
		.addr = (uintptr_t)addr,
		.flags = MMRACE_FAULTQ_ALLOW_ITREE_HANG,
	};

	return ioctl(fd, MMRACE_IOC_FAULTQ_SUBMIT, &s);
}

/* Wait up to @ms for the queue; returns the faults still pending. */
static unsigned long long wait_queue(int fd, unsigned int ms)
{
	struct mmrace_faultq_stats st = { .timeout_ms = ms };

	if (ioctl(fd, MMRACE_IOC_FAULTQ_WAIT, &st))
		return ~0ULL;
	return st.pending;
}

struct victim_msg {
	int dev_fd;	/* the device (fault, remove) or the unused file (latent) */
	int notif_fd;	/* B */
	char *m;
};

/*
 * The victim: a touched private region (what the reaper reaps), B
 * registered, and for fault/remove a device with its interval over the
 * whole address space and one fault done; for latent a device that came
 * and went (the mm keeps has_itree) and a second file with no device yet.
 */
static void victim(bool device_gone, int wfd)
{
	struct mmrace_notif_register reg = {
		.flags = MMRACE_NOTIF_ALLOW_ITREE_HANG,
	};
	struct victim_msg msg = { -1, -1, NULL };
	pthread_t th;
	int fd;

	msg.m = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (msg.m == MAP_FAILED)
		goto out;
	memset(msg.m, 1, REGION);
	fd = mmrace_open();
	if (fd < 0 || submit_one(fd, msg.m) || wait_queue(fd, 10000))
		goto out;
	if (device_gone) {
		close(fd);	/* the interval is removed; has_itree stays */
		fd = mmrace_open();
		if (fd < 0)
			goto out;
	}
	msg.dev_fd = fd;
	notif_fd_g = msg.notif_fd = mmrace_open();
	if (msg.notif_fd < 0 ||
	    ioctl(msg.notif_fd, MMRACE_IOC_NOTIF_REGISTER, &reg) ||
	    pthread_create(&th, NULL, sleeper, NULL))
		msg.dev_fd = -1;
out:
	if (write(wfd, &msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	for (;;)
		pause();
}

static bool waitpid_ms(pid_t pid, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* One shape's victim, as this process holds it. */
struct shape_run {
	const char *name;
	pid_t pid;
	int pidfd;
	int dev;	/* this process's copy of the victim's device */
	int notif;	/* ... and of its B */
	struct victim_msg msg;
};

/*
 * After the failed reap, a device fault: latent's is the file's first
 * submit, which creates the device and inserts its interval (the victim's
 * sleeping thread still holds mm_users). True if it never completed.
 */
static bool device_fault(struct shape_run *r)
{
	bool hang;

	if (submit_one(r->dev, r->msg.m))
		printf("%s: submit: %s\n", r->name, strerror(errno));
	hang = wait_queue(r->dev, HANG_MS) != 0;
	printf("%s: device fault after the failed reap: %s\n", r->name,
	       hang ? "still pending" : "completed");
	return hang;
}

/*
 * After the failed reap, no fault: drop this process's copy of the device,
 * so that the victim's exit closes the device, whose release removes the
 * interval notifier.
 */
static bool device_dropped(struct shape_run *r)
{
	close(r->dev);
	r->dev = -1;
	return false;
}

/* Once the victim may go: reap it unless a step before hung. */
static bool victim_reaped(struct shape_run *r, bool hang)
{
	if (!hang)
		waitpid(r->pid, NULL, 0);
	return hang;
}

/* Once the victim may go: its exit (the device's release) must finish. */
static bool victim_exit_finishes(struct shape_run *r, bool hang)
{
	hang = !waitpid_ms(r->pid, HANG_MS);
	printf("%s: the victim's exit (the device's release) %s\n", r->name,
	       hang ? "did not finish" : "finished");
	return hang;
}

/* The shapes (see the top of this file), in the order run by default. */
static const struct shape {
	const char *name;
	bool device_gone;	/* the victim's device came and went */
	bool (*after_reap)(struct shape_run *r);	/* true: hung */
	bool (*after_release)(struct shape_run *r, bool hang);
} shapes[] = {
	{ "fault", false, device_fault, victim_reaped },
	{ "remove", false, device_dropped, victim_exit_finishes },
	{ "latent", true, device_fault, victim_reaped },
};

#define NR_SHAPES	((int)ARRAY_SIZE(shapes))

/* Fork @sh's victim and take copies of its files: 0, or 2 if it failed. */
static int victim_start(const struct shape *sh, struct shape_run *r)
{
	int pfd[2];

	r->name = sh->name;
	r->pidfd = -1;
	if (pipe(pfd))
		return 2;
	r->pid = fork();
	if (r->pid < 0)
		return 2;
	if (r->pid == 0)
		victim(sh->device_gone, pfd[1]);
	close(pfd[1]);
	if (read(pfd[0], &r->msg, sizeof(r->msg)) != sizeof(r->msg) ||
	    r->msg.dev_fd < 0) {
		printf("%s: victim set-up failed\n", r->name);
		return 2;
	}
	close(pfd[0]);
	r->dev = mmrace_getfd(r->pid, r->msg.dev_fd, &r->pidfd);
	r->notif = mmrace_getfd(r->pid, r->msg.notif_fd, NULL);
	if (r->dev < 0 || r->notif < 0)
		return 2;
	return 0;
}

/*
 * B busy (its sleeper in its start), the victim killed and reaped with
 * process_mrelease(), which fails in the hlist walk; then B idle again.
 */
static void failed_reap(struct shape_run *r)
{
	struct mmrace_notif_ctl c;
	int ret, i;

	for (i = 0; i < 1000; i++) {
		memset(&c, 0, sizeof(c));
		c.b_busy = 1;
		ioctl(r->notif, MMRACE_IOC_NOTIF_CTL, &c);
		if (c.sleepers)
			break;
		usleep(1000);
	}
	kill(r->pid, SIGKILL);
	usleep(100 * 1000);
	ret = syscall(__NR_process_mrelease, r->pidfd, 0);
	printf("%s: process_mrelease with B busy: %d (%s)\n", r->name, ret,
	       ret ? strerror(errno) : "ok");
	memset(&c, 0, sizeof(c));
	c.b_busy = 0;
	ioctl(r->notif, MMRACE_IOC_NOTIF_CTL, &c);
	printf("%s: A starts %llu ends %llu; B eagain %llu\n", r->name,
	       c.a_starts, c.a_ends, c.b_eagain);
}

/* Let the victim go: B's sleeper wakes (with a hang, the victim sticks). */
static void victim_release(struct shape_run *r)
{
	struct mmrace_notif_ctl c;

	memset(&c, 0, sizeof(c));
	c.b_busy = MMRACE_NOTIF_KEEP;
	c.wake = 1;
	ioctl(r->notif, MMRACE_IOC_NOTIF_CTL, &c);
	close(r->notif);
}

/* One shape on a victim of its own: 0 ok, 1 hang, 2 set-up failed. */
static int run_shape(const struct shape *sh)
{
	struct shape_run r;
	bool hang;

	if (victim_start(sh, &r))
		return 2;
	failed_reap(&r);
	hang = sh->after_reap(&r);
	victim_release(&r);
	hang = sh->after_release(&r, hang);
	printf("RESULT %s: %s\n", r.name, hang ? "HANG" : "ok");
	fflush(stdout);
	/* A stuck device stays open here: closing it would block too. */
	return hang ? 1 : 0;
}

int main(int argc, char **argv)
{
	int i, s, ret, hangs = 0, n = 0;

	/* Line by line: the guest may be torn down while this is stuck. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc || (argc == 1 && i <= NR_SHAPES); i++) {
		if (argc == 1) {
			s = i - 1;
		} else {
			for (s = 0; s < NR_SHAPES; s++)
				if (!strcmp(argv[i], shapes[s].name))
					break;
			if (s == NR_SHAPES) {
				fprintf(stderr, "itree_hang: no shape %s (fault, remove, latent)\n",
					argv[i]);
				return 2;
			}
		}
		ret = run_shape(&shapes[s]);
		if (ret == 2)
			return 2;
		hangs += ret;
		n++;
	}
	printf("RESULT: %s (%d of %d shapes hung)\n", hangs ? "HANG" : "ok",
	       hangs, n);
	/* With a hang, this process sticks at exit (its copies of devices). */
	return hangs ? 1 : 0;
}
