// SPDX-License-Identifier: GPL-2.0
/*
 * P4 selftests: fork racing pin_user_pages_fast().
 *
 * The litmus half runs the store-buffering shape on two kernel threads
 * bound to different CPUs: without barriers the "neither side copies"
 * outcome must appear (store buffering is allowed everywhere: not seeing
 * it is a failure, not a skip); the fixed variants' "never" is checked
 * with its witness and negative control in controls.c.
 *
 * The real half pins a page of this process through /dev/mmrace with
 * pin_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM), forks while the pin is
 * held (and while other threads pin and write), and checks that the pinned
 * page stays the one this process maps: what the "device" writes through
 * the pin is what the process reads, and the reverse; a child's writes stay
 * in the child. For private anonymous memory, THP and shared memory.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/mmrace/p4_forkpin.h>

#include "kselftest_harness.h"
#include "mmrace_lib.h"

/*
 * Litmus iterations atomic_nomb must pass without the outcome on x86 (the
 * fixed variants' budget in controls.c); on a lockdep/KASAN kernel a
 * hundredth (mmrace_budget_hundredth(): 10^5):
 * there the rendezvous costs 1.5 to 45 us from one run to
 * the next, and the run's job is the checkers' coverage.
 */
#define P4_FIXED_ITERS		10000000ULL
/* Iterations per run while looking for the forbidden outcome. */
#define P4_SEARCH_ITERS		1000000ULL
#define P4_SEARCH_RUNS		10
/* Forks of the real tests. */
#define P4_FORKS		200
/* Pin / write / check rounds racing a forking thread. */
#define P4_RACE_ROUNDS		3000
/* ... and for at least this many seconds. */
#define P4_RACE_S		3
#define P4_THP_SIZE		(2UL << 20)
/* References a FOLL_PIN adds to a small folio (GUP_PIN_COUNTING_BIAS). */
#define P4_PIN_BIAS		1024

static long page_size;

/*
 * The run's line (mmrace_log_run()), then what a litmus run reads from
 * it: the forbidden outcome per million iterations, and one iteration's
 * cost (a pair's two operations).
 */
static void p4_log(struct __test_metadata *_metadata, int fd,
		   const char *what, const struct mmrace_run *r)
{
	__u64 iters = r->counters[MMRACE_P4_C_ITERATIONS];

	mmrace_log_run(fd, what, r);
	TH_LOG("%s: %.1f neither per million iterations, ns/iter=%.0f",
	       what ? what : "run",
	       iters ? 1e6 * r->counters[MMRACE_P4_C_NEITHER] / iters : 0,
	       iters ? (double)r->elapsed_ns / iters * 2 / r->threads : 0);
}

FIXTURE(p4) {
	int fd;
	int ncpu;
};

FIXTURE_SETUP(p4)
{
	struct mmrace_info info;

	page_size = sysconf(_SC_PAGESIZE);
	if (mmrace_fixture_open(_metadata, &self->fd, &info, 0))
		return;
	self->ncpu = info.online_cpus;
}

FIXTURE_TEARDOWN(p4)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* One pair, @iters litmus iterations (two operations each). */
static int p4_litmus(int fd, __u64 variant, __u64 iters, struct mmrace_run *r)
{
	mmrace_run_init(r, MMRACE_P4_FORKPIN, variant);
	r->threads = 2;
	/*
	 * The instances from a pair's last rendezvous on are not counted
	 * (MMRACE_P4_GROUP): one more than whole groups counts them all.
	 */
	r->iterations = 2 * ((iters + MMRACE_P4_GROUP - 1) / MMRACE_P4_GROUP *
			     MMRACE_P4_GROUP + 1);
	return mmrace_run(fd, r);
}

/*
 * The harness's sum of violations is the forbidden outcome's count. (The
 * four outcomes add up to the iterations by construction: p4_tally()
 * counts each cell once; that is not a check.)
 */
static void p4_check_histogram(struct __test_metadata *_metadata,
			       const struct mmrace_run *r)
{
	EXPECT_EQ(r->counters[MMRACE_P4_C_NEITHER], r->violations);
}

static const char *p4_observation(const struct mmrace_run *r)
{
	__u64 n = r->counters[MMRACE_P4_C_NEITHER];

	if (!n)
		return "Never";
	return n == r->counters[MMRACE_P4_C_ITERATIONS] ? "Always" :
							  "Sometimes";
}

/*
 * The fixed variants (mb, after_atomic) are checked in controls.c: no
 * forbidden outcome in 10^7 iterations, "both" above zero (the two sides'
 * windows overlapped), and `once` failing the same check.
 *
 * atomic_nomb: a void atomic gives no ordering in the kernel memory model
 * (LKMM allows the forbidden outcome); on x86 it is a LOCK-prefixed
 * instruction, a full barrier, so the hardware forbids it there and the
 * test asserts that. It is no negative control on x86. Elsewhere the
 * result is reported, not asserted (the CPU may or may not reorder).
 */
TEST_F_TIMEOUT(p4, atomic_nomb_on_this_cpu, 300)
{
	struct mmrace_run r;

	if (self->ncpu < 2)
		SKIP(return, "needs 2 CPUs, has %d", self->ncpu);
	ASSERT_EQ(0, p4_litmus(self->fd, MMRACE_P4_ATOMIC_NOMB,
			       mmrace_budget_hundredth(self->fd,
						       P4_FIXED_ITERS), &r));
	p4_log(_metadata, self->fd, NULL, &r);
	p4_check_histogram(_metadata, &r);
	TH_LOG("atomic_nomb: Positive: %llu, Negative: %llu, Observation %s",
	       r.counters[MMRACE_P4_C_NEITHER],
	       r.counters[MMRACE_P4_C_ITERATIONS] -
	       r.counters[MMRACE_P4_C_NEITHER], p4_observation(&r));
#if defined(__x86_64__) || defined(__i386__)
	EXPECT_EQ(0, r.counters[MMRACE_P4_C_NEITHER]);
	/* The zero means something only if the windows overlapped. */
	EXPECT_LT(0, r.counters[MMRACE_P4_C_BOTH]);
#endif
}

/*
 * Without barriers the forbidden outcome must show: store buffering is
 * allowed by every CPU's memory model and by LKMM, and x86 shows it (about
 * 10^4 per million at window 0 in a 6.1 TCG guest). Not seeing it in 10^7
 * iterations means the two threads did not race: a failure of the
 * harness, never a skip.
 */
TEST_F_TIMEOUT(p4, once_shows_store_buffering, 300)
{
	__u64 iters = 0, neither = 0, both = 0;
	struct mmrace_info info;
	struct mmrace_run r;
	int i;

	if (self->ncpu < 2)
		SKIP(return, "needs 2 CPUs, has %d", self->ncpu);
	ASSERT_EQ(0, ioctl(self->fd, MMRACE_IOC_INFO, &info));
	if (info.kernel_flags & MMRACE_KF_KCSAN)
		SKIP(return, "%s", SB_KCSAN_WHY);
	for (i = 0; i < P4_SEARCH_RUNS && !neither; i++) {
		ASSERT_EQ(0, p4_litmus(self->fd, MMRACE_P4_ONCE,
				       P4_SEARCH_ITERS, &r));
		p4_check_histogram(_metadata, &r);
		iters += r.counters[MMRACE_P4_C_ITERATIONS];
		neither += r.counters[MMRACE_P4_C_NEITHER];
		both += r.counters[MMRACE_P4_C_BOTH];
	}
	p4_log(_metadata, self->fd, "last run", &r);
	TH_LOG("once: Positive: %llu, Negative: %llu, Observation %s; %.1f per million, both=%llu",
	       neither, iters - neither, neither ? "Sometimes" : "Never",
	       iters ? 1e6 * neither / iters : 0, both);
	EXPECT_LT(0, neither)
		TH_LOG("0 forbidden outcomes in %llu iterations: store buffering is allowed here and did not show, so the threads did not race",
		       iters);
	EXPECT_NE(MMRACE_NONE, r.first_detect_ns);
}

/* Pairs: threads come in pin/fork pairs, an odd count is refused. */
TEST_F(p4, thread_pairs)
{
	struct mmrace_run r;

	mmrace_run_init(&r, MMRACE_P4_FORKPIN, MMRACE_P4_MB);
	r.threads = 3;
	r.iterations = 1000;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	r.threads = 1;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
	mmrace_run_init(&r, MMRACE_P4_FORKPIN, MMRACE_P4_MB);
	r.threads = 4;
	r.iterations = 4 * 10001;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	EXPECT_EQ(2, r.counters[MMRACE_P4_C_PAIRS]);
	EXPECT_EQ(2 * 10000, r.counters[MMRACE_P4_C_ITERATIONS]);
	p4_check_histogram(_metadata, &r);
	/* Default threads: rounded down to pairs. */
	mmrace_run_init(&r, MMRACE_P4_FORKPIN, MMRACE_P4_MB);
	r.duration_ms = 50;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	EXPECT_EQ(0, r.threads % 2);
	EXPECT_LE(2, r.threads);
	/* A timed run stops both sides of every pair. */
	mmrace_run_init(&r, MMRACE_P4_FORKPIN, MMRACE_P4_ONCE);
	r.threads = 4;
	r.duration_ms = 200;
	ASSERT_EQ(0, mmrace_run(self->fd, &r));
	EXPECT_GT(2000000000ULL, r.elapsed_ns);
	p4_check_histogram(_metadata, &r);
}

/*
 * MMRACE_P4_ARG_TURNS, the witness control of the P4 rows in controls.c:
 * the sides take turns, so every instance is fork_copy and "both" and
 * seq_retry stay 0. Many short timed runs: each run's end stops a side
 * mid-group, and an instance the fork side gave up on must not be counted
 * (it would read as "neither"; scripts/mutants p4_turns_no_quit).
 */
TEST_F_TIMEOUT(p4, turns_close_the_window, 120)
{
	static const __u64 vs[] = { MMRACE_P4_MB, MMRACE_P4_SEQCOUNT };
	__u64 iters = 0, both = 0, retry = 0, copies = 0, violations = 0;
	struct mmrace_run r;
	int i, v;

	for (v = 0; v < 2; v++) {
		for (i = 0; i < 100; i++) {
			mmrace_run_init(&r, MMRACE_P4_FORKPIN, vs[v]);
			r.threads = 2;
			r.duration_ms = 3;
			r.arg[MMRACE_P4_ARG_TURNS] = 1;
			ASSERT_EQ(0, mmrace_run(self->fd, &r));
			iters += r.counters[MMRACE_P4_C_ITERATIONS];
			copies += r.counters[MMRACE_P4_C_FORK_COPY];
			both += r.counters[MMRACE_P4_C_BOTH];
			retry += r.counters[MMRACE_P4_C_SEQ_RETRY];
			violations += r.violations;
		}
	}
	TH_LOG("200 runs of 3 ms with turns: %llu iterations, %llu fork_copy, %llu both, %llu seq_retry, %llu violations",
	       iters, copies, both, retry, violations);
	EXPECT_EQ(0, violations);
	EXPECT_EQ(0, both);
	EXPECT_EQ(0, retry);
	EXPECT_EQ(iters, copies);
	EXPECT_LT(0, iters);
	mmrace_run_init(&r, MMRACE_P4_FORKPIN, MMRACE_P4_MB);
	r.threads = 2;
	r.duration_ms = 3;
	r.arg[MMRACE_P4_ARG_TURNS] = 2;
	EXPECT_EQ(-EINVAL, mmrace_run(self->fd, &r));
}

/* ---- real pins ------------------------------------------------------- */

static int pin(int fd, void *addr, __u64 nr, __u64 flags, __u64 *id)
{
	struct mmrace_pin p = {
		.addr = (uintptr_t)addr, .nr_pages = nr, .flags = flags,
	};

	if (ioctl(fd, MMRACE_IOC_PIN, &p))
		return -errno;
	if (id)
		*id = p.id;
	return 0;
}

static int unpin(int fd, __u64 id)
{
	struct mmrace_unpin u = { .id = id };

	return ioctl(fd, MMRACE_IOC_UNPIN, &u) ? -errno : 0;
}

/* Read (write 0) or write (write 1) 8 bytes through a pin. */
static int pin_rw(int fd, __u64 id, __u64 off, int write, __u64 *val,
		  __u64 *pfn)
{
	struct mmrace_pin_access a = {
		.id = id, .offset = off, .write = write, .value = *val,
	};

	if (ioctl(fd, MMRACE_IOC_PIN_ACCESS, &a))
		return -errno;
	*val = a.value;
	if (pfn)
		*pfn = a.pfn;
	return 0;
}

static int page_info(int fd, void *addr, struct mmrace_page_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->addr = (uintptr_t)addr;
	return ioctl(fd, MMRACE_IOC_PAGE_INFO, pi) ? -errno : 0;
}

/*
 * The memory a pin_fork test pins: how it is mapped, where the word is,
 * and what fork does to it. Each map function returns the memory and its
 * size to unmap in *len, or NULL and the SKIP reason in *why.
 */
struct p4_mem {
	const char *desc;
	char *(*map)(size_t *len, const char **why);
	long word_page;	/* the word's page: inside the THP, not its head */
	bool thp;	/* a THP must be behind the word (else SKIP) */
	bool shared;	/* fork shares the page: the child's writes show */
};

/* @len bytes of @flags memory, written; NULL if mmap failed. */
static char *p4_map_small(size_t len, int flags)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, len);
	return p;
}

static char *p4_map_anon(size_t *len, const char **why)
{
	*len = 4 * page_size;
	return p4_map_small(*len, MAP_PRIVATE | MAP_ANONYMOUS);
}

static char *p4_map_shared(size_t *len, const char **why)
{
	*len = 4 * page_size;
	return p4_map_small(*len, MAP_SHARED | MAP_ANONYMOUS);
}

/* One aligned 2 MiB of private memory with MADV_HUGEPAGE. */
static char *p4_map_thp(size_t *len, const char **why)
{
	char *p, *a;

	*len = 2 * P4_THP_SIZE;
	a = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)a + P4_THP_SIZE - 1) & ~(P4_THP_SIZE - 1));
	if (madvise(p, P4_THP_SIZE, MADV_HUGEPAGE)) {
		*why = "MADV_HUGEPAGE refused: no THP in this kernel";
		munmap(a, *len);
		return NULL;
	}
	/* Keep only the aligned 2 MiB. */
	if (p != a)
		munmap(a, p - a);
	munmap(p + P4_THP_SIZE, P4_THP_SIZE - (p - a));
	*len = P4_THP_SIZE;
	memset(p, 0x5a, P4_THP_SIZE);
	return p;
}

enum { P4_ANON, P4_THP, P4_SHARED };

static const struct p4_mem p4_mems[] = {
	[P4_ANON] = { .desc = "private anonymous", .map = p4_map_anon,
		      .word_page = 1 },
	[P4_THP] = { .desc = "private THP", .map = p4_map_thp,
		     .word_page = 5, .thp = true },
	[P4_SHARED] = { .desc = "shared anonymous", .map = p4_map_shared,
			.word_page = 1, .shared = true },
};

/* A word of pinned memory, and what the steps saw of its page. */
struct p4_pinned {
	const struct p4_mem *mem;
	volatile __u64 *word;
	__u64 id;
	long vmpin0;
	struct mmrace_page_info pinned;	/* with the pin just taken */
	struct mmrace_page_info after;	/* after the unpin */
};

/*
 * Fork with the pin held, mmrace_budget(P4_FORKS) times, and check after
 * each fork that the pinned page is still this process's page: the device
 * and the process see each other's writes. For private memory the child
 * sees its pre-fork copy and its writes stay its own; for shared memory
 * the child shares the page and its writes show.
 */
static void p4_forks_keep_pin(struct __test_metadata *_metadata, int fd,
			      struct p4_pinned *p)
{
	int i, lost = 0, forks = mmrace_budget(fd, P4_FORKS);
	volatile __u64 *word = p->word;
	struct mmrace_page_info now;
	__u64 pfn = 0, v;

	for (i = 0; i < forks; i++) {
		__u64 token = 0x7000000000000000ULL + i;
		__u64 off = (uintptr_t)word & (page_size - 1);
		int status;
		pid_t pid;

		/* The device writes, the process reads. */
		v = token;
		ASSERT_EQ(0, pin_rw(fd, p->id, off, 1, &v, &pfn));
		if (*word != token)
			lost++;
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* The child's view: the pre-fork content. */
			if (*word != token)
				_exit(1);
			*word = 0xc41dULL;
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		/* What the device sees: ours, or the child's when shared. */
		ASSERT_EQ(0, pin_rw(fd, p->id, off, 0, &v, NULL));
		if (p->mem->shared) {
			if (v != 0xc41dULL || *word != 0xc41dULL)
				lost++;
		} else if (v != token) {
			lost++;
		}
		/* The process writes, the device reads. */
		*word = token ^ 0xffff;
		ASSERT_EQ(0, pin_rw(fd, p->id, off, 0, &v, &pfn));
		if (v != (token ^ 0xffff))
			lost++;
		ASSERT_EQ(0, page_info(fd, (void *)word, &now));
		if (now.pfn != pfn)
			lost++;
	}
	TH_LOG("%d forks with a pin held: %d lost pins", forks, lost);
	EXPECT_EQ(0, lost);
}

/* The unpin takes the pin, its references and its VmPin back. */
static void p4_unpin_drops_pin(struct __test_metadata *_metadata, int fd,
			       struct p4_pinned *p)
{
	ASSERT_EQ(0, unpin(fd, p->id));
	ASSERT_EQ(0, page_info(fd, (void *)p->word, &p->after));
	EXPECT_EQ(0, p->after.maybe_pinned);
	/*
	 * A small folio's pin adds GUP_PIN_COUNTING_BIAS (1024) references,
	 * and unpin takes them back; the other references come and go (LRU
	 * batches, a fork splitting a THP into PTEs), so only the bias is
	 * checked.
	 */
	if (!p->mem->thp) {
		EXPECT_LE(P4_PIN_BIAS, p->pinned.refcount);
		EXPECT_GT(P4_PIN_BIAS, p->after.refcount);
	}
	TH_LOG("unpinned: refcount=%llu order=%llu", p->after.refcount,
	       p->after.order);
	EXPECT_EQ(p->vmpin0, mmrace_status_kb("VmPin"));
}

/* Unpinned private memory is COW-shared again by fork. */
static void p4_fork_shares_again(struct __test_metadata *_metadata, int fd,
				 struct p4_pinned *p)
{
	volatile __u64 *word = p->word;
	int status;
	pid_t pid;

	*word = 1234;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct mmrace_page_info c;
		int cfd = mmrace_open();

		/* Before the child writes, it maps the parent's page. */
		if (cfd < 0 || page_info(cfd, (void *)word, &c))
			_exit(2);
		if (c.pfn != p->after.pfn)
			_exit(3);
		*word = 4321;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	EXPECT_EQ(1234, *word);
}

/* What a pin_fork test does with its pinned word, in this order. */
static const struct p4_pin_step {
	const char *desc;
	void (*fn)(struct __test_metadata *_metadata, int fd,
		   struct p4_pinned *p);
	bool private_only;	/* not for shared memory */
} p4_pin_steps[] = {
	{ "forks keep the pin", p4_forks_keep_pin },
	{ "the unpin drops it", p4_unpin_drops_pin },
	{ "fork shares the unpinned page again", p4_fork_shares_again,
	  .private_only = true },
};

/*
 * Pin a word of @mem's memory (the page's state before and with the pin
 * logged and checked), then run every step of p4_pin_steps on it.
 */
static void p4_pin_fork(struct __test_metadata *_metadata, int fd,
			const struct p4_mem *mem)
{
	struct p4_pinned p = { .mem = mem };
	struct mmrace_page_info before;
	const char *why = "mmap failed";
	unsigned int i;
	long vmpin1;
	size_t len;
	char *m = mem->map(&len, &why);

	if (!m)
		SKIP(return, "%s", why);
	/* A word in the middle of the mapping: inside the THP, not its head. */
	p.word = (volatile __u64 *)(m + mem->word_page * page_size + 64);
	ASSERT_EQ(0, page_info(fd, (void *)p.word, &before));
	if (mem->thp && before.order == 0) {
		munmap(m, len);
		SKIP(return, "no THP behind MADV_HUGEPAGE memory (THP disabled or none free)");
	}
	TH_LOG("%s: before: pfn=%#llx refcount=%llu order=%llu pinned=%llu has_pinned=%llu",
	       mem->desc, before.pfn, before.refcount, before.order,
	       before.maybe_pinned, before.mm_has_pinned);
	p.vmpin0 = mmrace_status_kb("VmPin");

	ASSERT_EQ(0, pin(fd, (void *)((uintptr_t)p.word & ~(page_size - 1)),
			 1, MMRACE_PIN_WRITE | MMRACE_PIN_LONGTERM, &p.id));
	vmpin1 = mmrace_status_kb("VmPin");
	ASSERT_EQ(0, page_info(fd, (void *)p.word, &p.pinned));
	TH_LOG("pinned: pfn=%#llx refcount=%llu pinned=%llu has_pinned=%llu VmPin %ld -> %ld kB",
	       p.pinned.pfn, p.pinned.refcount, p.pinned.maybe_pinned,
	       p.pinned.mm_has_pinned, p.vmpin0, vmpin1);
	EXPECT_EQ(1, p.pinned.maybe_pinned);
	EXPECT_EQ(1, p.pinned.mm_has_pinned);
	EXPECT_EQ(p.vmpin0 + page_size / 1024, vmpin1);

	for (i = 0; i < ARRAY_SIZE(p4_pin_steps); i++) {
		if (p4_pin_steps[i].private_only && mem->shared)
			continue;
		TH_LOG("%s: %s", mem->desc, p4_pin_steps[i].desc);
		p4_pin_steps[i].fn(_metadata, fd, &p);
	}
	munmap(m, len);
}

TEST_F_TIMEOUT(p4, pin_fork_anon, 120)
{
	p4_pin_fork(_metadata, self->fd, &p4_mems[P4_ANON]);
}

TEST_F_TIMEOUT(p4, pin_fork_thp, 120)
{
	p4_pin_fork(_metadata, self->fd, &p4_mems[P4_THP]);
}

TEST_F_TIMEOUT(p4, pin_fork_shared, 120)
{
	p4_pin_fork(_metadata, self->fd, &p4_mems[P4_SHARED]);
}

struct p4_forker {
	volatile int stop;
	unsigned long forks;
};

static void *p4_fork_loop(void *arg)
{
	struct p4_forker *f = arg;

	while (!f->stop) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			f->forks++;
		}
	}
	return NULL;
}

/*
 * The race itself: one thread forks without pause while this one pins a
 * freshly written page with GUP-fast, writes through the pin and reads
 * back through its own mapping, then unpins. A pin taken on a page fork is
 * sharing with the child (neither side copied) is lost at the next CPU
 * write: the process would then read something else than the device wrote.
 */
TEST_F_TIMEOUT(p4, pin_racing_fork, 180)
{
	struct p4_forker f = { 0 };
	unsigned long lost = 0, i;
	unsigned long rounds = mmrace_budget(self->fd, P4_RACE_ROUNDS);
	pthread_t th;
	time_t t0;
	size_t len = 64 * page_size;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, len);
	ASSERT_EQ(0, pthread_create(&th, NULL, p4_fork_loop, &f));
	t0 = time(NULL);
	for (i = 0; i < rounds || time(NULL) - t0 < P4_RACE_S; i++) {
		volatile __u64 *w = (volatile __u64 *)(mem + (i % 64) * page_size);
		__u64 id = 0, v;

		*w = i;		/* the page is ours, maybe COW-shared since */
		ASSERT_EQ(0, pin(self->fd, (void *)w, 1,
				 MMRACE_PIN_WRITE | MMRACE_PIN_LONGTERM, &id));
		v = ~i;
		ASSERT_EQ(0, pin_rw(self->fd, id, 0, 1, &v, NULL));
		if (*w != ~i)
			lost++;
		*w = i + 1;	/* a CPU write after the pin: no COW away */
		ASSERT_EQ(0, pin_rw(self->fd, id, 0, 0, &v, NULL));
		if (v != i + 1)
			lost++;
		ASSERT_EQ(0, unpin(self->fd, id));
	}
	f.stop = 1;
	pthread_join(th, NULL);
	TH_LOG("%lu pin/write/check rounds, %lu forks beside them: %lu lost pins",
	       i, f.forks, lost);
	EXPECT_EQ(0, lost);
	EXPECT_LT(0, f.forks);
	munmap(mem, len);
}

/* ---- bad input and release ---------------------------------------------- */

TEST_F(p4, pin_bad_input)
{
	char *ro = mmap(NULL, page_size, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, page_size, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *rw = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 ids[MMRACE_MAX_PINS], id = 0, v = 0;
	struct mmrace_page_info pi;
	int i;

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_NE(MAP_FAILED, rw);
	munmap(rw + page_size, page_size);	/* rw + page_size: unmapped */
	rw[0] = 1;

	EXPECT_EQ(-EFAULT, pin(self->fd, rw + page_size, 1,
			       MMRACE_PIN_WRITE, &id));
	EXPECT_EQ(-EFAULT, pin(self->fd, rw, 2, MMRACE_PIN_WRITE, &id));
	EXPECT_EQ(-EFAULT, pin(self->fd, ro, 1, MMRACE_PIN_WRITE, &id));
	EXPECT_EQ(-EFAULT, pin(self->fd, none, 1, 0, &id));
	EXPECT_EQ(-EFAULT, pin(self->fd, (void *)0xffffffffff600000UL, 1, 0,
			       &id));
	EXPECT_EQ(-EFAULT, pin(self->fd, (void *)(0x800000000000UL -
						 page_size), 2, 0, &id));
	EXPECT_EQ(-EINVAL, pin(self->fd, rw + 1, 1, 0, &id));
	EXPECT_EQ(-EINVAL, pin(self->fd, rw, 0, 0, &id));
	EXPECT_EQ(-EINVAL, pin(self->fd, rw, MMRACE_PIN_MAX_PAGES + 1, 0, &id));
	EXPECT_EQ(-EINVAL, pin(self->fd, rw, 1, 1ULL << 5, &id));
	EXPECT_EQ(-ENOENT, unpin(self->fd, 0));
	EXPECT_EQ(-ENOENT, unpin(self->fd, MMRACE_MAX_PINS));
	EXPECT_EQ(-ENOENT, unpin(self->fd, ~0ULL));
	EXPECT_EQ(-EFAULT, page_info(self->fd, rw + page_size, &pi));
	EXPECT_EQ(-EFAULT, page_info(self->fd, (void *)-4096L, &pi));

	/* A read-only pin of a read-only page works; writing through it not. */
	ASSERT_EQ(0, pin(self->fd, ro, 1, 0, &id));
	EXPECT_EQ(-EPERM, pin_rw(self->fd, id, 0, 1, &v, NULL));
	EXPECT_EQ(0, pin_rw(self->fd, id, 0, 0, &v, NULL));
	EXPECT_EQ(-EINVAL, pin_rw(self->fd, id, 4, 0, &v, NULL));
	EXPECT_EQ(-EINVAL, pin_rw(self->fd, id, page_size, 0, &v, NULL));
	EXPECT_EQ(-EINVAL, pin_rw(self->fd, id, 0, 2, &v, NULL));
	EXPECT_EQ(-ENOENT, pin_rw(self->fd, id + 1, 0, 0, &v, NULL));
	EXPECT_EQ(0, unpin(self->fd, id));
	EXPECT_EQ(-ENOENT, unpin(self->fd, id));

	/* The file holds at most MMRACE_MAX_PINS pins. */
	for (i = 0; i < MMRACE_MAX_PINS; i++)
		ASSERT_EQ(0, pin(self->fd, rw, 1, MMRACE_PIN_WRITE, &ids[i]));
	EXPECT_EQ(-ENOSPC, pin(self->fd, rw, 1, MMRACE_PIN_WRITE, &id));
	ASSERT_EQ(0, page_info(self->fd, rw, &pi));
	EXPECT_EQ(1, pi.maybe_pinned);
	for (i = 0; i < MMRACE_MAX_PINS; i++)
		EXPECT_EQ(0, unpin(self->fd, ids[i]));
	ASSERT_EQ(0, page_info(self->fd, rw, &pi));
	EXPECT_EQ(0, pi.maybe_pinned);
	munmap(ro, page_size);
	munmap(none, page_size);
	munmap(rw, page_size);
}

/* Pins above RLIMIT_MEMLOCK are refused without CAP_IPC_LOCK. */
TEST_F(p4, pin_rlimit)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { 4 * page_size, 4 * page_size };
		size_t len = 8 * page_size;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		__u64 id;
		int fd;

		if (m == MAP_FAILED)
			_exit(10);
		memset(m, 1, len);
		fd = mmrace_open();
		if (fd < 0 || mmrace_drop_cap(CAP_IPC_LOCK) ||
		    setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		if (pin(fd, m, 4, MMRACE_PIN_WRITE, &id))
			_exit(12);
		if (pin(fd, m + 4 * page_size, 1, MMRACE_PIN_WRITE, &id) !=
		    -ENOMEM)
			_exit(13);
		if (mmrace_status_kb("VmPin") != 4 * page_size / 1024)
			_exit(14);
		_exit(0);	/* exits with the pin held: released at close */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child exit %d", WEXITSTATUS(status));
}

/*
 * Pins go away with the file: on close, and when the last process holding
 * the file (a child that inherited it) exits. Seen from another open file.
 */
TEST_F(p4, pin_released_with_file)
{
	char *m = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mmrace_page_info start, pi;
	int fd2, status;
	__u64 id = 0;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, m);
	m[0] = 1;
	ASSERT_EQ(0, page_info(self->fd, m, &start));
	EXPECT_EQ(0, start.maybe_pinned);

	/* Closed with a pin held. */
	fd2 = mmrace_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, pin(fd2, m, 1, MMRACE_PIN_WRITE | MMRACE_PIN_LONGTERM,
			 &id));
	ASSERT_EQ(0, page_info(self->fd, m, &pi));
	EXPECT_EQ(1, pi.maybe_pinned);
	EXPECT_LE(P4_PIN_BIAS, pi.refcount);
	close(fd2);
	ASSERT_EQ(0, page_info(self->fd, m, &pi));
	EXPECT_EQ(0, pi.maybe_pinned);
	EXPECT_GT(P4_PIN_BIAS, pi.refcount);

	/* Inherited by a child that outlives our copy of the file. */
	fd2 = mmrace_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, pin(fd2, m, 1, MMRACE_PIN_WRITE, &id));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 v = 77;
		struct mmrace_page_info cpi;

		usleep(100 * 1000);
		/* Through the inherited file: access yes, new pins no. */
		if (pin_rw(fd2, id, 0, 1, &v, NULL))
			_exit(1);
		if (page_info(fd2, m, &cpi) != -EPERM)
			_exit(2);
		_exit(0);
	}
	close(fd2);
	ASSERT_EQ(0, page_info(self->fd, m, &pi));
	EXPECT_EQ(1, pi.maybe_pinned);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child exit %d", WEXITSTATUS(status));
	EXPECT_EQ(77, *(volatile __u64 *)m);
	ASSERT_EQ(0, page_info(self->fd, m, &pi));
	EXPECT_EQ(0, pi.maybe_pinned);
	EXPECT_GT(P4_PIN_BIAS, pi.refcount);
	munmap(m, page_size);
}

TEST_HARNESS_MAIN
