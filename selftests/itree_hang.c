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

enum shape { FAULT, REMOVE, LATENT };
static const char * const shape_name[] = { "fault", "remove", "latent" };

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
static void victim(enum shape sh, int wfd)
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
	if (sh == LATENT) {
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

/* One shape on a victim of its own: 0 ok, 1 hang, 2 set-up failed. */
static int run_shape(enum shape sh)
{
	const char *name = shape_name[sh];
	struct mmrace_notif_ctl c;
	struct victim_msg msg;
	int pfd[2], pidfd = -1, dev, notif, ret, i;
	bool hang = false;
	pid_t pid;

	if (pipe(pfd))
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		victim(sh, pfd[1]);
	close(pfd[1]);
	if (read(pfd[0], &msg, sizeof(msg)) != sizeof(msg) || msg.dev_fd < 0) {
		printf("%s: victim set-up failed\n", name);
		return 2;
	}
	close(pfd[0]);
	dev = mmrace_getfd(pid, msg.dev_fd, &pidfd);
	notif = mmrace_getfd(pid, msg.notif_fd, NULL);
	if (dev < 0 || notif < 0)
		return 2;
	for (i = 0; i < 1000; i++) {
		memset(&c, 0, sizeof(c));
		c.b_busy = 1;
		ioctl(notif, MMRACE_IOC_NOTIF_CTL, &c);
		if (c.sleepers)
			break;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	usleep(100 * 1000);
	ret = syscall(__NR_process_mrelease, pidfd, 0);
	printf("%s: process_mrelease with B busy: %d (%s)\n", name, ret,
	       ret ? strerror(errno) : "ok");
	memset(&c, 0, sizeof(c));
	c.b_busy = 0;
	ioctl(notif, MMRACE_IOC_NOTIF_CTL, &c);
	printf("%s: A starts %llu ends %llu; B eagain %llu\n", name,
	       c.a_starts, c.a_ends, c.b_eagain);

	switch (sh) {
	case FAULT:
	case LATENT:
		/*
		 * A device fault now: latent's is the file's first submit,
		 * which creates the device and inserts its interval (the
		 * victim's sleeping thread still holds mm_users).
		 */
		if (submit_one(dev, msg.m))
			printf("%s: submit: %s\n", name, strerror(errno));
		hang = wait_queue(dev, HANG_MS) != 0;
		printf("%s: device fault after the failed reap: %s\n", name,
		       hang ? "still pending" : "completed");
		break;
	case REMOVE:
	default:
		/*
		 * No fault: drop this process's copy of the device and let
		 * the victim go; its exit closes the device, whose release
		 * removes the interval notifier.
		 */
		close(dev);
		dev = -1;
		break;
	}
	/* Let the victim go (B's sleeper wakes); with a hang, it sticks. */
	memset(&c, 0, sizeof(c));
	c.b_busy = MMRACE_NOTIF_KEEP;
	c.wake = 1;
	ioctl(notif, MMRACE_IOC_NOTIF_CTL, &c);
	close(notif);
	if (sh == REMOVE) {
		hang = !waitpid_ms(pid, HANG_MS);
		printf("%s: the victim's exit (the device's release) %s\n",
		       name, hang ? "did not finish" : "finished");
	} else if (!hang) {
		waitpid(pid, NULL, 0);
	}
	printf("RESULT %s: %s\n", name, hang ? "HANG" : "ok");
	fflush(stdout);
	/* A stuck device stays open here: closing it would block too. */
	return hang ? 1 : 0;
}

int main(int argc, char **argv)
{
	int i, s, ret, hangs = 0, n = 0;

	/* Line by line: the guest may be torn down while this is stuck. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc || (argc == 1 && i <= 3); i++) {
		if (argc == 1) {
			s = i - 1;
		} else {
			for (s = 0; s < 3; s++)
				if (!strcmp(argv[i], shape_name[s]))
					break;
			if (s == 3) {
				fprintf(stderr, "itree_hang: no shape %s (fault, remove, latent)\n",
					argv[i]);
				return 2;
			}
		}
		ret = run_shape(s);
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
