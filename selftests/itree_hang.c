// SPDX-License-Identifier: GPL-2.0
/*
 * Investigation (not part of run.sh): an mm with both an
 * mmu_interval_notifier (P5's device) and an hlist notifier whose
 * non-blocking start fails (P3's B). process_mrelease() with B busy makes
 * __mmu_notifier_invalidate_range_start() invalidate the interval tree,
 * then fail in the hlist walk; the reaper then skips the range's end. If
 * mn_itree_inv_end() is never called, the next mmu_interval_read_begin()
 * (a device fault) waits forever.
 *
 * Seen on Debian's 6.1.0-56 and 6.12.117 (TCG guests): RESULT: HANG, the
 * worker asleep in mmu_interval_read_begin().
 *
 * Prints RESULT: ok (the fault completed) or RESULT: HANG (it did not
 * within 5 s; the device's worker is then stuck and so will be this
 * process at exit: run it in a guest of its own). Exit status 0 for ok,
 * 1 for a hang, 2 when the set-up failed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "mmrace_lib.h"

#ifndef __NR_process_mrelease
#define __NR_process_mrelease	448
#endif

static int fd_g;

static void *sleeper(void *arg)
{
	struct mmrace_notif_ctl c = { .b_busy = MMRACE_NOTIF_KEEP,
				      .sleep_ms = 30000 };

	ioctl(fd_g, MMRACE_IOC_NOTIF_CTL, &c);
	return NULL;
}

int main(void)
{
	/* Both opt in: this program exists to show the hang (a guest of its own). */
	struct mmrace_faultq_submit s = {
		.variant = MMRACE_P5_MMGET, .nr = 1,
		.flags = MMRACE_FAULTQ_ALLOW_ITREE_HANG,
	};
	struct mmrace_faultq_stats st = { .timeout_ms = 10000 };
	struct mmrace_notif_register reg = {
		.flags = MMRACE_NOTIF_ALLOW_ITREE_HANG,
	};
	struct mmrace_notif_ctl c;
	int pfd[2], pidfd, fd, ret, i;
	struct { int fd; char *m; } msg;
	pthread_t th;
	pid_t pid;

	/* Line by line: the guest may be torn down while this is stuck. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (pipe(pfd))
		return 2;
	pid = fork();
	if (pid == 0) {
		msg.m = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(msg.m, 1, 4 << 20);
		fd_g = msg.fd = mmrace_open();
		s.addr = (uintptr_t)msg.m;
		if (ioctl(msg.fd, MMRACE_IOC_NOTIF_REGISTER, &reg) ||
		    ioctl(msg.fd, MMRACE_IOC_FAULTQ_SUBMIT, &s) ||
		    ioctl(msg.fd, MMRACE_IOC_FAULTQ_WAIT, &st) ||
		    pthread_create(&th, NULL, sleeper, NULL))
			msg.fd = -1;
		if (write(pfd[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		for (;;)
			pause();
	}
	if (read(pfd[0], &msg, sizeof(msg)) != sizeof(msg) || msg.fd < 0)
		return 2;
	fd = mmrace_getfd(pid, msg.fd, &pidfd);
	if (fd < 0)
		return 2;
	for (i = 0; i < 1000; i++) {
		memset(&c, 0, sizeof(c));
		c.b_busy = 1;
		ioctl(fd, MMRACE_IOC_NOTIF_CTL, &c);
		if (c.sleepers)
			break;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	usleep(100 * 1000);
	ret = syscall(__NR_process_mrelease, pidfd, 0);
	printf("process_mrelease with B busy: %d (%s)\n", ret,
	       ret ? strerror(errno) : "ok");
	memset(&c, 0, sizeof(c));
	c.b_busy = 0;
	ioctl(fd, MMRACE_IOC_NOTIF_CTL, &c);
	printf("A starts %llu ends %llu; B eagain %llu\n", c.a_starts,
	       c.a_ends, c.b_eagain);

	/* A device fault now: mmu_interval_read_begin() on that mm. */
	s.addr = (uintptr_t)msg.m;
	if (ioctl(fd, MMRACE_IOC_FAULTQ_SUBMIT, &s))
		printf("submit: %s\n", strerror(errno));
	memset(&st, 0, sizeof(st));
	st.timeout_ms = 5000;
	ioctl(fd, MMRACE_IOC_FAULTQ_WAIT, &st);
	printf("device fault after the failed reap: pending %llu processed %llu aborted %llu\n",
	       st.pending, st.processed, st.aborted_late);
	printf("RESULT: %s\n", st.pending ? "HANG" : "ok");
	fflush(stdout);
	/* Let the victim go; with a hang, this process sticks at exit. */
	memset(&c, 0, sizeof(c));
	c.b_busy = MMRACE_NOTIF_KEEP;
	c.wake = 1;
	ioctl(fd, MMRACE_IOC_NOTIF_CTL, &c);
	waitpid(pid, NULL, 0);
	return st.pending ? 1 : 0;
}
