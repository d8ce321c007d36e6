// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts that can fail: every fixed variant's check, with a witness that
 * the racy window opened and a negative control that fails the same check.
 *
 * Table-driven in the style of selftests/mm/cow.c, one fixture variant per
 * row; locktorture's lock_busted idea applied to every pattern. A row
 * names a fixed variant, its broken counterpart, the arguments both run
 * with, a budget in the pattern's own unit (charges, reads, invalidations,
 * litmus iterations, faults) and the witness counters. The test:
 *
 * 1. runs the fixed variant until the budget, in runs sized by
 *    mmrace_next_ms(): no run may count a violation, and every witness
 *    counter must be above zero over the series (the window the broken
 *    counterpart fails in opened in this very series; a series whose
 *    window never opened goes on up to CTL_EXTEND budgets, then fails as
 *    "window never opened": its zero is no evidence);
 * 2. the witness control: runs the fixed variant a tenth of the budget in
 *    a configuration where the window cannot open (one writer, one
 *    thread, the two sides taking turns, the kill after the queue
 *    drained, no failing start): the window's witness (the row's first)
 *    must stay 0 there. A witness that counts where no window can open
 *    proves nothing where one can;
 * 3. runs the broken counterpart, same arguments, same budget, until a
 *    violation shows in one of the row's check counters (the violation
 *    counters the fixed variant is judged by; runs stop at their first
 *    violation, MMRACE_RUN_STOP_ON_DETECT): "negative control detected".
 *    A violation in another counter does not count: a check its negative
 *    control passes cannot fail, and is reported as a failure.
 *
 * A budget not reached within the runs' time caps is reported as such,
 * apart from violations: it says the host was slower than the caps allow,
 * not that the variant is wrong.
 *
 * Budgets on lockdep/KASAN/KCSAN kernels are divided by the row's
 * debug_div (1 to 500: an operation there costs 10 to 100 times more),
 * some with a wider window (debug_window_ns),
 * chosen so that the negative control still detects with probability
 * above 99 %: a control that detects after n units on average misses a
 * budget B with probability exp(-B/n), below 1 % once B >= 4.6 n. The
 * test prints B/n for every row ("detections per budget"); the rows'
 * comments give the measured n.
 */
#define _GNU_SOURCE
#include <linux/mmrace/p1_lockedvm.h>
#include <linux/mmrace/p2_vmalock.h>
#include <linux/mmrace/p3_mmunotif.h>
#include <linux/mmrace/p4_forkpin.h>
#include <linux/mmrace/p5_faultq.h>

#include "kselftest_harness.h"
#include "mmrace_lib.h"

/* First run of a series; the next ones are sized to the budget left. */
#define CTL_FIRST_MS		500
/* A witness control's first run: a tenth of the budget is often done. */
#define CTL_WC_FIRST_MS		100
#define CTL_MAX_MS		5000
#define CTL_MAX_RUNS		60
/* A fixed series whose window never opened runs on up to this many budgets. */
#define CTL_EXTEND		4
#define CTL_MAX_WITNESS		3
#define CTL_MAX_CHECK		4
/* The witness control runs this fraction of the budget. */
#define CTL_WC_DIV		10
/* Argument index @i in a witness control's overrides (0: none). */
#define CTL_ARG(i)		((i) + 1)

/**
 * struct ctl_wc - a witness control: the fixed run where no window opens
 * @how: the configuration, for the log
 * @threads: threads of its runs (0: the row's)
 * @arg: CTL_ARG(index) of up to two arguments it sets (0: none)
 * @val: their values
 * @unit: CTL_ARG(counter) counting its budget (0: the row's unit)
 */
struct ctl_wc {
	const char *how;
	__u64 threads;
	int arg[2];
	__u64 val[2];
	int unit;
};

FIXTURE(ctl) {
	int fd;
	int ncpu;
	__u64 kflags;
};

/**
 * FIXTURE_VARIANT(ctl) - one row: a fixed variant's check and its control
 * @pattern: the pattern
 * @fixed: the fixed variant
 * @broken: its broken counterpart, which must fail the same check
 * @x86_broken: on x86, the counterpart instead (with @x86_why), where the
 *	hardware forbids what @broken relies on; also on a guest emulated by
 *	QEMU's TCG on an x86 host (MMRACE_TCG set in the environment: the
 *	arm64 guest of make check-arm64), whose atomics and lock acquires
 *	become the host's LOCK-prefixed instructions
 * @x86_why: why @x86_broken stands in on x86, or NULL
 * @threads: kernel threads of every run
 * @threads_per_cpu: instead, this many per online CPU (crowds)
 * @writers_per_cpu: P2: writer threads per online CPU (0: the default)
 * @window_ns: the race window of every run
 * @debug_window_ns: on a debug kernel, the window of every run instead
 *	(0: @window_ns), where the natural interleavings are too rare for a
 *	budget a debug kernel can afford (lockdep's cost reshapes them): the
 *	natural-rate verdict is the distro kernels', the debug kernel's job
 *	is the checkers' coverage of the same paths
 * @arg: the pattern's arguments of every run
 * @unit: counter that counts the budget's unit, or -1 for operations
 * @unit_name: what @unit counts
 * @budget: units of the fixed series on a distro kernel
 * @debug_div: @budget is divided by it on a debug kernel
 * @sleeping: @budget is divided by 10 on PREEMPT_RT too (a contended
 *	mutex hands over through the rt_mutex there)
 * @witness: counters that must be above zero over the fixed series; the
 *	first is the window's, which the witness control must show at 0
 * @nr_witness: entries of @witness
 * @check: the violation counters the fixed variant is judged by, its
 *	check: 0 in the fixed series, and the negative control must raise
 *	one of them
 * @nr_check: entries of @check
 * @wc: the witness control
 */
FIXTURE_VARIANT(ctl) {
	__u64 pattern;
	__u64 fixed;
	__u64 broken;
	__u64 x86_broken;
	const char *x86_why;
	/*
	 * The negative control is store buffering, which a KCSAN kernel
	 * cannot show (see SB_KCSAN_WHY).
	 */
	bool store_buffering;
	__u64 threads;
	unsigned int threads_per_cpu;
	unsigned int writers_per_cpu;
	__u64 window_ns;
	__u64 debug_window_ns;
	__u64 arg[MMRACE_NR_ARGS];
	int unit;
	const char *unit_name;
	__u64 budget;
	unsigned int debug_div;
	bool sleeping;
	int witness[CTL_MAX_WITNESS];
	int nr_witness;
	int check[CTL_MAX_CHECK];
	int nr_check;
	struct ctl_wc wc;
};

/* Each pattern's check: every violation counter its fixed variants evaluate. */
#define P1_CHECK	.check = { MMRACE_P1_C_FALSE_ENOMEM, MMRACE_P1_C_OVERSHOOT, \
				   MMRACE_P1_C_IMBALANCE }, .nr_check = 3
#define P2_REFCNT_CHECK	.check = { MMRACE_P2_C_OVERLAP, MMRACE_P2_C_STALE_PUT, \
				   MMRACE_P2_C_LOCKDEP_IMBALANCE, \
				   MMRACE_P2_C_WRITER_TIMEOUT }, .nr_check = 4
/*
 * rwsem's reader and writer evaluate the shadow overlap and, as every
 * reader does, the shadow lockdep balance; not stale puts or writer waits.
 */
#define P2_RWSEM_CHECK	.check = { MMRACE_P2_C_OVERLAP, \
				   MMRACE_P2_C_LOCKDEP_IMBALANCE }, .nr_check = 2
/*
 * The writer_* variants' readers evaluate the field they read twice, the
 * shadow overlap and lockdep balance; their writer waits for readers.
 */
#define P2_FIELD_CHECK	.check = { MMRACE_P2_C_FIELD_CHANGED, \
				   MMRACE_P2_C_OVERLAP, \
				   MMRACE_P2_C_LOCKDEP_IMBALANCE, \
				   MMRACE_P2_C_WRITER_TIMEOUT }, .nr_check = 4
#define P3_CHECK	.check = { MMRACE_P3_C_MISSING_END, \
				   MMRACE_P3_C_END_WITHOUT_START, \
				   MMRACE_P3_C_COUNT_LEAK }, .nr_check = 3
#define P4_CHECK	.check = { MMRACE_P4_C_NEITHER }, .nr_check = 1
#define P5_CHECK	.check = { MMRACE_P5_C_AFTER_EXIT, MMRACE_P5_C_FALSE_ABORT, \
				   MMRACE_P5_C_IMBALANCE }, .nr_check = 3
/* The gifted variants are judged by self_wait too. */
#define P5_PUT_CHECK	.check = { MMRACE_P5_C_SELF_WAIT, MMRACE_P5_C_AFTER_EXIT, \
				   MMRACE_P5_C_FALSE_ABORT, MMRACE_P5_C_IMBALANCE }, \
				   .nr_check = 4

/* Witness controls shared by rows. */
#define P1_WC_ALONE	.wc = { "one charger alone", 1, \
				{ CTL_ARG(MMRACE_P1_ARG_SHAPE) }, \
				{ MMRACE_P1_SHAPE_CONTENDED } }
#define P1_WC_ONE_WRITER .wc = { "one hog (refused by its check) and one small charger: one writer", 2 }
#define P2_WC		.wc = { "readers only: nothing is detached", 0, \
				{ CTL_ARG(MMRACE_P2_ARG_READ_ONLY), \
				  CTL_ARG(MMRACE_P2_ARG_WRITERS) }, { 1, 0 }, \
				CTL_ARG(MMRACE_P2_C_READS) }
/*
 * The whole fixed writer, vma_start_write() included, on an object of its
 * own that no reader looks up: no reader is ever inside it.
 */
#define P2_FIELD_WC	.wc = { "the writer changes an object no reader looks up", 0, \
				{ CTL_ARG(MMRACE_P2_ARG_PRIVATE_OBJ) }, { 1 } }
/* Starts fail, but no A starts before the failing B: nothing to undo. */
#define P3_WC		.wc = { "B heads the chain: starts fail, none after an A's", 0, \
				{ CTL_ARG(MMRACE_P3_ARG_B_FIRST) }, { 1 } }
#define P4_WC		.wc = { "the two sides take turns", 0, \
				{ CTL_ARG(MMRACE_P4_ARG_TURNS) }, { 1 } }
/* The queue of 256 faults is the default. */
#define P5_WC		.wc = { "the kill after the queue drained", 0, \
				{ CTL_ARG(MMRACE_P5_ARG_QUEUE), \
				  CTL_ARG(MMRACE_P5_ARG_KILL_AT) }, { 256, 256 } }

/*
 * P1, headroom shape (one hog asking for more than the headroom, two small
 * chargers that always fit): add_unwind's transient sum refuses a small
 * charge, a false ENOMEM. At window 0 that is rare (9 in 434,167 charges,
 * 1 in 15,874 in another run, 6.1 guest, one small charger), so the
 * natural-rate row keeps its whole budget on debug kernels; widened, it
 * shows within a few hundred charges.
 *
 * The hog of a fixed variant is refused by its check before it writes, so
 * the counter's writers are the two small chargers: the witness is that
 * they met in the fixed code's window, a cmpxchg that had to retry
 * (retries) or a check that found the mutex held by another charge
 * (contended). With one small charger (the witness control) the counter
 * has one writer and neither can happen: the rows' old witness, two
 * charges in flight at once, could not tell those apart.
 */
FIXTURE_VARIANT_ADD(ctl, p1_cmpxchg_headroom) {
	.pattern = MMRACE_P1_LOCKEDVM,
	.fixed = MMRACE_P1_CMPXCHG,
	.broken = MMRACE_P1_ADD_UNWIND,
	.threads = 3,
	.arg = { [MMRACE_P1_ARG_SHAPE] = MMRACE_P1_SHAPE_HEADROOM },
	.unit = -1,
	.unit_name = "charges",
	.budget = 1000000,
	.debug_div = 1,
	.witness = { MMRACE_P1_C_RETRIES },
	.nr_witness = 1,
	P1_CHECK,
	P1_WC_ONE_WRITER,
};

FIXTURE_VARIANT_ADD(ctl, p1_cmpxchg_headroom_window) {
	.pattern = MMRACE_P1_LOCKEDVM,
	.fixed = MMRACE_P1_CMPXCHG,
	.broken = MMRACE_P1_ADD_UNWIND,
	.threads = 3,
	.window_ns = 2000,
	.arg = { [MMRACE_P1_ARG_SHAPE] = MMRACE_P1_SHAPE_HEADROOM },
	.unit = -1,
	.unit_name = "charges",
	.budget = 200000,
	.debug_div = 10,
	.witness = { MMRACE_P1_C_RETRIES },
	.nr_witness = 1,
	P1_CHECK,
	P1_WC_ONE_WRITER,
};

/*
 * The mutex hog takes the lock for its check too, so the one-writer
 * configuration still contends: its witness control is one charger alone.
 */
FIXTURE_VARIANT_ADD(ctl, p1_mutex_headroom_window) {
	.pattern = MMRACE_P1_LOCKEDVM,
	.fixed = MMRACE_P1_MUTEX,
	.broken = MMRACE_P1_ADD_UNWIND,
	.threads = 3,
	.window_ns = 2000,
	.arg = { [MMRACE_P1_ARG_SHAPE] = MMRACE_P1_SHAPE_HEADROOM },
	.unit = -1,
	.unit_name = "charges",
	.budget = 200000,
	.debug_div = 10,
	.sleeping = true,
	.witness = { MMRACE_P1_C_CONTENDED },
	.nr_witness = 1,
	P1_CHECK,
	P1_WC_ALONE,
};

/*
 * P1, contended shape with the window widened (two chargers, room for
 * one): check_add's two checks pass on the same headroom and both commit.
 * The one configuration where a mutex variant without its mutex shows.
 */
FIXTURE_VARIANT_ADD(ctl, p1_cmpxchg_contended) {
	.pattern = MMRACE_P1_LOCKEDVM,
	.fixed = MMRACE_P1_CMPXCHG,
	.broken = MMRACE_P1_CHECK_ADD,
	.threads = 2,
	.window_ns = 2000,
	.arg = { [MMRACE_P1_ARG_SHAPE] = MMRACE_P1_SHAPE_CONTENDED },
	.unit = -1,
	.unit_name = "charges",
	.budget = 200000,
	.debug_div = 10,
	.witness = { MMRACE_P1_C_RETRIES },
	.nr_witness = 1,
	P1_CHECK,
	P1_WC_ALONE,
};

FIXTURE_VARIANT_ADD(ctl, p1_mutex_contended) {
	.pattern = MMRACE_P1_LOCKEDVM,
	.fixed = MMRACE_P1_MUTEX,
	.broken = MMRACE_P1_CHECK_ADD,
	.threads = 2,
	.window_ns = 2000,
	.arg = { [MMRACE_P1_ARG_SHAPE] = MMRACE_P1_SHAPE_CONTENDED },
	.unit = -1,
	.unit_name = "charges",
	.budget = 200000,
	.debug_div = 10,
	.sleeping = true,
	.witness = { MMRACE_P1_C_CONTENDED },
	.nr_witness = 1,
	P1_CHECK,
	P1_WC_ALONE,
};

/*
 * P2, two hot objects: the writer detaches both in half its cycles (the
 * default detach_pct, 50), so readers meet detaches. On a debug kernel every P2 row runs 2 * 10^4 reads with
 * a 10 us window: at 2 us refcnt_broken needed 27,265 to 95,084 reads per
 * detection there (about 1 to 4 detections per 10^5: a miss in one run
 * of three), at window 0 it showed none in 1.1 * 10^5; at 10 us it
 * detected after 39 and 91 reads (over 200 detections per budget) and
 * refcnt_fixed's detacher met 1,562 transient readers in 10^5 reads. A
 * read costs 60 to 200 us there, so the window is widened, not the
 * budget.
 *
 * The witness of the refcount variants is detach_raced (the detacher
 * found a transient reader reference: v6's 2->1 case), of
 * rwsem read_detached (a reader found its object detached after the
 * lookup). v6's race at window 0 shows in its skipped releases and puts
 * on reused objects.
 *
 * The check of the refcount variants is every P2 violation counter; rwsem
 * evaluates only overlap (a reader inside an object write-locked, detached
 * or reused), which refcnt_broken tends to fail through a stale put first:
 * rwsem's negative control is rwsem_nocheck, 6.12's lock without the
 * detached check, which fails overlap itself.
 */
FIXTURE_VARIANT_ADD(ctl, p2_refcnt_fixed) {
	.pattern = MMRACE_P2_VMALOCK,
	.fixed = MMRACE_P2_REFCNT_FIXED,
	.broken = MMRACE_P2_REFCNT_BROKEN,
	.threads = 2,
	.arg = { [MMRACE_P2_ARG_OBJECTS] = 2 },
	.unit = MMRACE_P2_C_READS,
	.unit_name = "reads",
	.budget = 10000000,
	.debug_window_ns = 10000,
	.debug_div = 500,
	.witness = { MMRACE_P2_C_DETACH_RACED },
	.nr_witness = 1,
	P2_REFCNT_CHECK,
	P2_WC,
};

FIXTURE_VARIANT_ADD(ctl, p2_refcnt_fixed_window) {
	.pattern = MMRACE_P2_VMALOCK,
	.fixed = MMRACE_P2_REFCNT_FIXED,
	.broken = MMRACE_P2_REFCNT_BROKEN,
	.threads = 2,
	.window_ns = 2000,
	.arg = { [MMRACE_P2_ARG_OBJECTS] = 2 },
	.unit = MMRACE_P2_C_READS,
	.unit_name = "reads",
	.budget = 200000,
	.debug_window_ns = 10000,
	.debug_div = 10,
	.witness = { MMRACE_P2_C_DETACH_RACED },
	.nr_witness = 1,
	P2_REFCNT_CHECK,
	P2_WC,
};

FIXTURE_VARIANT_ADD(ctl, p2_rwsem) {
	.pattern = MMRACE_P2_VMALOCK,
	.fixed = MMRACE_P2_RWSEM,
	.broken = MMRACE_P2_RWSEM_NOCHECK,
	.threads = 2,
	.arg = { [MMRACE_P2_ARG_OBJECTS] = 2 },
	.unit = MMRACE_P2_C_READS,
	.unit_name = "reads",
	.budget = 10000000,
	.debug_window_ns = 10000,
	.debug_div = 500,
	.witness = { MMRACE_P2_C_READ_DETACHED },
	.nr_witness = 1,
	P2_RWSEM_CHECK,
	P2_WC,
};

FIXTURE_VARIANT_ADD(ctl, p2_rwsem_window) {
	.pattern = MMRACE_P2_VMALOCK,
	.fixed = MMRACE_P2_RWSEM,
	.broken = MMRACE_P2_RWSEM_NOCHECK,
	.threads = 2,
	.window_ns = 2000,
	.arg = { [MMRACE_P2_ARG_OBJECTS] = 2 },
	.unit = MMRACE_P2_C_READS,
	.unit_name = "reads",
	.budget = 100000,
	.debug_window_ns = 10000,
	.debug_div = 5,
	.witness = { MMRACE_P2_C_READ_DETACHED },
	.nr_witness = 1,
	P2_RWSEM_CHECK,
	P2_WC,
};

/*
 * Readers and writers, three threads per CPU, a writer per CPU, two hot
 * objects and the window widened. (With four objects and no window the
 * detacher met no transient reader in 4.6 * 10^6 reads on 6.12, and v6
 * showed nothing in 1.2 * 10^6: that crowd did not race.)
 */
FIXTURE_VARIANT_ADD(ctl, p2_refcnt_fixed_crowd) {
	.pattern = MMRACE_P2_VMALOCK,
	.fixed = MMRACE_P2_REFCNT_FIXED,
	.broken = MMRACE_P2_REFCNT_BROKEN,
	.threads_per_cpu = 3,
	.writers_per_cpu = 1,
	.window_ns = 2000,
	.arg = { [MMRACE_P2_ARG_OBJECTS] = 2 },
	/*
	 * Counted in detaches, the writers' side of the race: in a crowd
	 * the writers' progress per read varies 200-fold between kernels
	 * and loads (20,000 reads came with 262 detaches on a loaded
	 * PREEMPT_RT guest, 54,324 on 6.12), and with a few hundred the
	 * negative control once showed nothing. 3 * 10^5 detaches are
	 * about the 2 * 10^5 reads of the default kernel.
	 */
	.unit = MMRACE_P2_C_DETACHES,
	.unit_name = "detaches",
	.budget = 300000,
	.debug_window_ns = 10000,
	.debug_div = 100,
	.witness = { MMRACE_P2_C_DETACH_RACED },
	.nr_witness = 1,
	P2_REFCNT_CHECK,
	P2_WC,
};
/*
 * P2, a writer that changes a field readers use under the VMA lock
 * (anon_vma: fork's fb49c455323f, dup_anon_vma()'s d8ab9f7b644a) under the
 * model's mmap_write_lock. writer_locked write-locks the object first
 * (vma_start_write()); its witness is field_waits, the writer meeting a
 * reader inside and waiting for it, the window writer_unlocked stores in.
 * Two hot objects, one writer, one reader. On 6.1 (TCG): at 2 us
 * writer_locked met a reader inside 3,464 to 6,902 times in 1 s runs of
 * 50,367 to 67,708 reads, at window 0 11,568 times in 1.56 * 10^6 reads;
 * on its own object (the witness control) never.
 * writer_unlocked changed the field under a reader in a third of the reads
 * at 2 us (17,534 to 28,955 in 500 ms runs, the first after 49 to 810 us)
 * and 55 times in 2.16 * 10^6 reads at window 0 (about 250 per 10^7, the
 * first after 35 ms). In these rows it failed the check after 21,576
 * reads at window 0 and after 28 at 2 us; on the debug kernel at 10 us,
 * at its first reads, with field_waits 3,888 to 3,924 in 2 * 10^4 reads.
 */
FIXTURE_VARIANT_ADD(ctl, p2_writer_locked) {
	.pattern = MMRACE_P2_VMALOCK,
	.fixed = MMRACE_P2_WRITER_LOCKED,
	.broken = MMRACE_P2_WRITER_UNLOCKED,
	.threads = 2,
	.arg = { [MMRACE_P2_ARG_OBJECTS] = 2 },
	.unit = MMRACE_P2_C_READS,
	.unit_name = "reads",
	.budget = 2000000,
	.debug_window_ns = 10000,
	.debug_div = 100,
	.witness = { MMRACE_P2_C_FIELD_WAITS },
	.nr_witness = 1,
	P2_FIELD_CHECK,
	P2_FIELD_WC,
};

FIXTURE_VARIANT_ADD(ctl, p2_writer_locked_window) {
	.pattern = MMRACE_P2_VMALOCK,
	.fixed = MMRACE_P2_WRITER_LOCKED,
	.broken = MMRACE_P2_WRITER_UNLOCKED,
	.threads = 2,
	.window_ns = 2000,
	.arg = { [MMRACE_P2_ARG_OBJECTS] = 2 },
	.unit = MMRACE_P2_C_READS,
	.unit_name = "reads",
	.budget = 200000,
	.debug_window_ns = 10000,
	.debug_div = 10,
	.witness = { MMRACE_P2_C_FIELD_WAITS },
	.nr_witness = 1,
	P2_FIELD_CHECK,
	P2_FIELD_WC,
};

/*
 * P3: a failed non-blocking start after an A started. The witness is
 * undone: ends given after the failure to subscribers that started before
 * it (the ends skip_end loses); eagain and unregisters show the failure
 * and the removal paths ran.
 */
FIXTURE_VARIANT_ADD(ctl, p3_end_all_started) {
	.pattern = MMRACE_P3_MMUNOTIF,
	.fixed = MMRACE_P3_END_ALL_STARTED,
	.broken = MMRACE_P3_SKIP_END,
	.threads = 2,
	.unit = MMRACE_P3_C_INVALIDATIONS,
	.unit_name = "invalidations",
	.budget = 1000000,
	.debug_div = 10,
	.witness = { MMRACE_P3_C_UNDONE, MMRACE_P3_C_EAGAIN,
		     MMRACE_P3_C_UNREGISTERS },
	.nr_witness = 3,
	P3_CHECK,
	P3_WC,
};

FIXTURE_VARIANT_ADD(ctl, p3_undo_sorted) {
	.pattern = MMRACE_P3_MMUNOTIF,
	.fixed = MMRACE_P3_UNDO_SORTED,
	.broken = MMRACE_P3_SKIP_END,
	.threads = 2,
	.unit = MMRACE_P3_C_INVALIDATIONS,
	.unit_name = "invalidations",
	.budget = 1000000,
	.debug_div = 10,
	.witness = { MMRACE_P3_C_UNDONE, MMRACE_P3_C_EAGAIN,
		     MMRACE_P3_C_UNREGISTERS },
	.nr_witness = 3,
	P3_CHECK,
	P3_WC,
};

/*
 * P4, the store-buffering litmus: "both" (each side saw the other's
 * store) is the only outcome that proves the two sides' windows
 * overlapped; pin_backoff and fork_copy also come from threads taking
 * turns. Store buffering is allowed on every CPU, and `once` shows it.
 */
FIXTURE_VARIANT_ADD(ctl, p4_mb) {
	.pattern = MMRACE_P4_FORKPIN,
	.fixed = MMRACE_P4_MB,
	.broken = MMRACE_P4_ONCE,
	.threads = 2,
	.unit = MMRACE_P4_C_ITERATIONS,
	.unit_name = "iterations",
	.budget = 10000000,
	.debug_div = 10,
	.witness = { MMRACE_P4_C_BOTH },
	.nr_witness = 1,
	.store_buffering = true,
	P4_CHECK,
	P4_WC,
};

FIXTURE_VARIANT_ADD(ctl, p4_after_atomic) {
	.pattern = MMRACE_P4_FORKPIN,
	.fixed = MMRACE_P4_AFTER_ATOMIC,
	.broken = MMRACE_P4_ATOMIC_NOMB,
	.x86_broken = MMRACE_P4_ONCE,
	.x86_why = "x86's LOCK prefix is a full barrier: atomic_nomb is allowed by LKMM, forbidden by the hardware; without smp_mb__after_atomic() the machine code is the same (only herd7 can tell them apart), so the control is once",
	.threads = 2,
	.unit = MMRACE_P4_C_ITERATIONS,
	.unit_name = "iterations",
	.budget = 10000000,
	.debug_div = 10,
	.witness = { MMRACE_P4_C_BOTH },
	.nr_witness = 1,
	.store_buffering = true,
	P4_CHECK,
	P4_WC,
};

/*
 * P4, fork as the kernel protects it (mm->write_protect_seq): GUP-fast
 * without the sequence re-check shares a pinned page by a plain
 * interleaving (fork reads the pin count before the pin lands and
 * write-protects the PTE after GUP-fast re-checked it). The witness is
 * seq_retry: pins the PTE re-check let through and the sequence re-check
 * sent back, that window itself ("both" stayed 0 over 502,764 iterations
 * of a 6.12 coverage run with the 1 us window: there the PTE re-check
 * catches every pin fork could see).
 */
FIXTURE_VARIANT_ADD(ctl, p4_seqcount) {
	.pattern = MMRACE_P4_FORKPIN,
	.fixed = MMRACE_P4_SEQCOUNT,
	.broken = MMRACE_P4_SEQCOUNT_NORETRY,
	.threads = 2,
	.unit = MMRACE_P4_C_ITERATIONS,
	.unit_name = "iterations",
	.budget = 10000000,
	.debug_window_ns = 1000,
	.debug_div = 100,
	.witness = { MMRACE_P4_C_SEQ_RETRY },
	.nr_witness = 1,
	P4_CHECK,
	P4_WC,
};

/*
 * P4, the two paths the sequence leaves to store buffering (the mm's first
 * pin: MMF_HAS_PINNED; a large folio: _pincount), with the fix: smp_mb()
 * after raw_write_seqcount_begin(). The kernel memory model and the ARMv8
 * model allow the broken twins' "neither" (litmus/P4+seqcount_first_pin,
 * _large); x86 forbids it (the page-table lock's LOCK-prefixed acquire is
 * a full barrier), so there the control is seqcount_nowriter, the same
 * protocol with a fork that takes no sequence. The witness is seq_retry,
 * as in p4_seqcount. 10^6 iterations: x86 cannot fail these rows' fixed
 * variants, the budget buys the witness and the checkers' coverage.
 */
#define P4_SEQ_NOWRITER_WHY "x86 (and TCG on an x86 host) forbids it: the page-table lock's LOCK-prefixed acquire is a full barrier, so the broken twin is allowed by LKMM and the ARMv8 model (herd7, make litmus) but never shows here; the control is seqcount_nowriter, the protocol without fork's sequence"

/* What the two rows share but their fixed and broken variants. */
#define P4_SEQ_MB_ROW \
	.x86_broken = MMRACE_P4_SEQCOUNT_NOWRITER, \
	.x86_why = P4_SEQ_NOWRITER_WHY, \
	.threads = 2, \
	.unit = MMRACE_P4_C_ITERATIONS, \
	.unit_name = "iterations", \
	.budget = 1000000, \
	.debug_window_ns = 1000, \
	.debug_div = 10, \
	.witness = { MMRACE_P4_C_SEQ_RETRY }, \
	.nr_witness = 1, \
	P4_CHECK, \
	P4_WC

FIXTURE_VARIANT_ADD(ctl, p4_seqcount_first_pin_mb) {
	.pattern = MMRACE_P4_FORKPIN,
	.fixed = MMRACE_P4_SEQCOUNT_FIRST_PIN_MB,
	.broken = MMRACE_P4_SEQCOUNT_FIRST_PIN,
	P4_SEQ_MB_ROW,
};

FIXTURE_VARIANT_ADD(ctl, p4_seqcount_large_mb) {
	.pattern = MMRACE_P4_FORKPIN,
	.fixed = MMRACE_P4_SEQCOUNT_LARGE_MB,
	.broken = MMRACE_P4_SEQCOUNT_LARGE,
	P4_SEQ_MB_ROW,
};

/*
 * P5, the model fault queue, no CLONE_VM sibling: hint_only's peek passes,
 * the owner's exit tears the mm down, the fault runs on it. The witness of
 * mmget is teardown_by_worker (a fault held its reference across the
 * owner's put, and its own put tore the mm down: the window hint_only
 * faults in; aborted_late, mmget_not_zero() refusing a fault, comes from
 * every fault taken after the put and proves no race), of racy_check
 * aborted_late (past the peek, then refused: its window), of no_check
 * after_kill (faults ran while the owner was dying).
 */
FIXTURE_VARIANT_ADD(ctl, p5_mmget) {
	.pattern = MMRACE_P5_FAULTQ,
	.fixed = MMRACE_P5_MMGET,
	.broken = MMRACE_P5_HINT_ONLY,
	.threads = 2,
	.window_ns = 2000,
	.arg = { [MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_NO },
	.unit = MMRACE_P5_C_SUBMITTED,
	.unit_name = "faults",
	.budget = 1000000,
	.debug_div = 10,
	.witness = { MMRACE_P5_C_TEARDOWN_BY_WORKER },
	.nr_witness = 1,
	P5_CHECK,
	P5_WC,
};

FIXTURE_VARIANT_ADD(ctl, p5_racy_check) {
	.pattern = MMRACE_P5_FAULTQ,
	.fixed = MMRACE_P5_RACY_CHECK,
	.broken = MMRACE_P5_HINT_ONLY,
	.threads = 2,
	.window_ns = 2000,
	.arg = { [MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_NO },
	.unit = MMRACE_P5_C_SUBMITTED,
	.unit_name = "faults",
	.budget = 1000000,
	.debug_div = 2,
	.witness = { MMRACE_P5_C_ABORTED_LATE },
	.nr_witness = 1,
	P5_CHECK,
	P5_WC,
};

FIXTURE_VARIANT_ADD(ctl, p5_no_check) {
	.pattern = MMRACE_P5_FAULTQ,
	.fixed = MMRACE_P5_NO_CHECK,
	.broken = MMRACE_P5_HINT_ONLY,
	.threads = 2,
	.window_ns = 2000,
	.arg = { [MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_NO },
	.unit = MMRACE_P5_C_SUBMITTED,
	.unit_name = "faults",
	.budget = 1000000,
	.debug_div = 5,
	.witness = { MMRACE_P5_C_AFTER_KILL },
	.nr_witness = 1,
	P5_CHECK,
	P5_WC,
};

/*
 * P5 with a CLONE_VM sibling keeping the mm alive past the owner's death:
 * owner_check drops faults the mm still wants (false_abort); the witness
 * is after_kill (faults the fixed variant handled after the owner died).
 */
FIXTURE_VARIANT_ADD(ctl, p5_mmget_shared) {
	.pattern = MMRACE_P5_FAULTQ,
	.fixed = MMRACE_P5_MMGET,
	.broken = MMRACE_P5_OWNER_CHECK,
	.threads = 2,
	.arg = { [MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_YES },
	.unit = MMRACE_P5_C_SUBMITTED,
	.unit_name = "faults",
	.budget = 1000000,
	.debug_div = 10,
	.witness = { MMRACE_P5_C_AFTER_KILL },
	.nr_witness = 1,
	P5_CHECK,
	P5_WC,
};

/*
 * P5 with a reference per queued fault (the gift, KVM's async #PF before
 * 6.9): the worker's put is the last in most lives, the gift outliving the
 * kill. last_put_in_worker drops it inside the work item the release
 * flushes: its teardown waits on itself (self_wait, amdkfd's
 * fa582c6f3684). put_deferred's witness is teardown_by_worker (a worker's
 * put, after it left the work, tore the mm down), put_async's
 * async_last_put (a worker's mmput_async() was the last). With the kill
 * after the drain every gift was dropped before the owner's put: both
 * stay 0. last_put_in_worker failed the check after 418 to 489 faults in
 * four 6.1 runs (409 to 478 detections per budget).
 */
FIXTURE_VARIANT_ADD(ctl, p5_put_deferred) {
	.pattern = MMRACE_P5_FAULTQ,
	.fixed = MMRACE_P5_PUT_DEFERRED,
	.broken = MMRACE_P5_LAST_PUT_IN_WORKER,
	.threads = 2,
	.arg = { [MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_NO },
	.unit = MMRACE_P5_C_SUBMITTED,
	.unit_name = "faults",
	.budget = 200000,
	.debug_div = 10,
	.witness = { MMRACE_P5_C_TEARDOWN_BY_WORKER },
	.nr_witness = 1,
	P5_PUT_CHECK,
	P5_WC,
};

FIXTURE_VARIANT_ADD(ctl, p5_put_async) {
	.pattern = MMRACE_P5_FAULTQ,
	.fixed = MMRACE_P5_PUT_ASYNC,
	.broken = MMRACE_P5_LAST_PUT_IN_WORKER,
	.threads = 2,
	.arg = { [MMRACE_P5_ARG_SHARED] = MMRACE_P5_SHARED_NO },
	.unit = MMRACE_P5_C_SUBMITTED,
	.unit_name = "faults",
	.budget = 200000,
	.debug_div = 10,
	.witness = { MMRACE_P5_C_ASYNC_LAST_PUT },
	.nr_witness = 1,
	P5_PUT_CHECK,
	P5_WC,
};

FIXTURE_SETUP(ctl)
{
	struct mmrace_info info;

	if (mmrace_fixture_open(_metadata, &self->fd, &info, 0))
		return;
	self->ncpu = info.online_cpus;
	self->kflags = info.kernel_flags;
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * MMRACE_CTL_COVERAGE=1 in the environment: this kernel is a coverage run
 * (scripts/check-kernels: the distro kernels other than the default one,
 * which holds the full statistics). Its rows run as on a debug kernel:
 * the debug budget and window, sized and checked for their negative
 * controls. (A tenth of the distro budget at window 0 was tried first:
 * refcnt_broken showed nothing in 1.14 * 10^6 reads on 6.12-rt.)
 */
static bool ctl_coverage(int fd)
{
	const char *e = getenv("MMRACE_CTL_COVERAGE");

	return mmrace_debug_kernel(fd) || (e && !strcmp(e, "1"));
}

static __u64 ctl_window(const FIXTURE_VARIANT(ctl) *v, int fd)
{
	return v->debug_window_ns && ctl_coverage(fd) ? v->debug_window_ns :
							v->window_ns;
}

/* What a series is: the fixed run, its witness control, the negative control. */
enum ctl_kind { CTL_FIXED, CTL_WITNESS_CONTROL, CTL_NEGATIVE };

/* A series: its counters summed (maxima for MMRACE_DF_MAX counters). */
struct ctl_sum {
	__u64 runs;
	__u64 units;
	__u64 violations;
	/* Of @violations, those in the row's check counters. */
	__u64 checked;
	/* Units done when the first violation showed (interpolated). */
	__u64 detect_units;
	double elapsed_s;
	struct mmrace_run total;
};

static __u64 ctl_units(const FIXTURE_VARIANT(ctl) *v, enum ctl_kind kind,
		       const struct mmrace_run *r)
{
	if (kind == CTL_WITNESS_CONTROL && v->wc.unit)
		return r->counters[v->wc.unit - 1];
	return v->unit < 0 ? r->ops : r->counters[v->unit];
}

static __u64 ctl_checked(const FIXTURE_VARIANT(ctl) *v,
			 const struct mmrace_run *r)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < v->nr_check; i++)
		n += r->counters[v->check[i]];
	return n;
}

/* "name=value" of the row's check counters, for the log. */
static const char *ctl_check_str(int fd, const FIXTURE_VARIANT(ctl) *v,
				 const struct mmrace_run *r, char *buf,
				 size_t len)
{
	struct mmrace_describe d;
	size_t at = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < v->nr_check && at < len; i++) {
		if (mmrace_describe(fd, v->pattern, MMRACE_NONE, v->check[i],
				    &d))
			snprintf(d.name, sizeof(d.name), "%d", v->check[i]);
		at += snprintf(buf + at, len - at, "%s%s=%llu", i ? " " : "",
			       d.name, r->counters[v->check[i]]);
	}
	return buf;
}

static bool ctl_witnessed(const FIXTURE_VARIANT(ctl) *v,
			  const struct ctl_sum *s)
{
	int i;

	for (i = 0; i < v->nr_witness; i++)
		if (!s->total.counters[v->witness[i]])
			return false;
	return true;
}

static void ctl_add(int fd, const struct mmrace_run *r, struct ctl_sum *s)
{
	struct mmrace_describe d;
	__u64 c;

	s->total.nr_counters = r->nr_counters;
	s->total.ops += r->ops;
	for (c = 0; c < r->nr_counters && c < MMRACE_MAX_COUNTERS; c++) {
		if (!mmrace_describe(fd, r->pattern, MMRACE_NONE, c, &d) &&
		    (d.flags & MMRACE_DF_MAX)) {
			if (r->counters[c] > s->total.counters[c])
				s->total.counters[c] = r->counters[c];
		} else {
			s->total.counters[c] += r->counters[c];
		}
	}
}

/*
 * Runs of @variant until @want units; a negative control stops at its
 * first violation in a check counter, a fixed series goes on while its
 * witnesses are zero, up to CTL_EXTEND budgets; a witness control runs in
 * the row's no-window configuration. Returns 0 or a run's -errno.
 */
static int ctl_series(struct __test_metadata *_metadata, int fd, int ncpu,
		      const FIXTURE_VARIANT(ctl) *v, __u64 variant,
		      __u64 want, enum ctl_kind kind, struct ctl_sum *s)
{
	bool control = kind == CTL_NEGATIVE;
	__u64 units, last_units = 0, last_ns = 0;
	struct mmrace_run r;
	char buf[1024];
	int ret;

	memset(s, 0, sizeof(*s));
	mmrace_run_init(&s->total, v->pattern, variant);
	while (s->runs < CTL_MAX_RUNS) {
		if (control && (s->checked || s->units >= want))
			break;
		if (kind == CTL_WITNESS_CONTROL && s->units >= want)
			break;
		if (kind == CTL_FIXED && s->units >= want &&
		    (ctl_witnessed(v, s) || s->units >= want * CTL_EXTEND))
			break;
		mmrace_run_init(&r, v->pattern, variant);
		r.threads = v->threads_per_cpu ? v->threads_per_cpu * ncpu :
						 v->threads;
		r.window_ns = ctl_window(v, fd);
		memcpy(r.arg, v->arg, sizeof(r.arg));
		if (v->writers_per_cpu)
			r.arg[MMRACE_P2_ARG_WRITERS] = v->writers_per_cpu * ncpu;
		if (kind == CTL_WITNESS_CONTROL) {
			int i;

			if (v->wc.threads)
				r.threads = v->wc.threads;
			for (i = 0; i < 2; i++)
				if (v->wc.arg[i])
					r.arg[v->wc.arg[i] - 1] = v->wc.val[i];
		}
		r.flags = control ? MMRACE_RUN_STOP_ON_DETECT : 0;
		r.duration_ms = mmrace_next_ms(want, s->units, last_units,
					       last_ns,
					       kind == CTL_WITNESS_CONTROL ?
					       CTL_WC_FIRST_MS : CTL_FIRST_MS,
					       CTL_MAX_MS);
		ret = mmrace_run(fd, &r);
		if (ret)
			return ret;
		s->runs++;
		s->elapsed_s += r.elapsed_ns / 1e9;
		units = ctl_units(v, kind, &r);
		last_units = units;
		last_ns = r.elapsed_ns;
		if (ctl_checked(v, &r) && !s->checked)
			s->detect_units = s->units + (r.elapsed_ns ?
				(__u64)((double)units * r.first_detect_ns /
					r.elapsed_ns) : units);
		s->units += units;
		s->violations += r.violations;
		s->checked += ctl_checked(v, &r);
		ctl_add(fd, &r, s);
		if (r.violations && !control)
			TH_LOG("violation in run %llu (seed %llu): %s", s->runs,
			       r.seed, mmrace_counters_str(fd, &r, buf,
							   sizeof(buf)));
	}
	return 0;
}

static __u64 ctl_budget(struct __test_metadata *_metadata,
			const FIXTURE_VARIANT(ctl) *v, int fd, __u64 kflags)
{
	__u64 want = v->budget;

	if (ctl_coverage(fd)) {
		want /= v->debug_div;
		TH_LOG("%s: budget %llu / %u, window %llu ns",
		       mmrace_debug_kernel(fd) ? "debug kernel" :
		       "coverage run", v->budget, v->debug_div,
		       ctl_window(v, fd));
		return want;
	}
	if (v->sleeping && (kflags & MMRACE_KF_PREEMPT_RT)) {
		want /= MMRACE_DEBUG_DIV;
		TH_LOG("PREEMPT_RT, a contended mutex: budget %llu / %d",
		       v->budget, MMRACE_DEBUG_DIV);
	}
	return want;
}

/* The negative control's budget in such a guest, in units of the row's. */
#define CTL_TCG_NEGATIVE_MUL	10

/* Whether the CPUs order as x86 does: x86 itself, or a TCG guest. */
static bool ctl_x86_ordered(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return true;
#else
	return mmrace_tcg_guest();
#endif
}

TEST_F_TIMEOUT(ctl, verdict, 600)
{
	__u64 want = ctl_budget(_metadata, variant, self->fd, self->kflags);
	__u64 broken = variant->broken, nwant;
	char fname[MMRACE_NAME_LEN], bname[MMRACE_NAME_LEN], buf[1024];
	char chk[256];
	struct mmrace_describe wd;
	struct ctl_sum s, w, n;
	int i;

	if (self->ncpu < 2)
		SKIP(return, "needs 2 CPUs, has %d", self->ncpu);
	if (variant->store_buffering && (self->kflags & MMRACE_KF_KCSAN))
		SKIP(return, "%s", SB_KCSAN_WHY);
	if (variant->x86_why && ctl_x86_ordered()) {
		broken = variant->x86_broken;
		TH_LOG("%s", variant->x86_why);
	}
	ASSERT_LT(0, variant->nr_check);
	ASSERT_LT(0, variant->nr_witness);
	mmrace_variant_name(self->fd, variant->pattern, variant->fixed, fname,
			    sizeof(fname));
	mmrace_variant_name(self->fd, variant->pattern, broken, bname,
			    sizeof(bname));

	/* 1. The fixed variant: zero violations, and the window opened. */
	ASSERT_EQ(0, ctl_series(_metadata, self->fd, self->ncpu, variant,
				variant->fixed, want, CTL_FIXED, &s));
	TH_LOG("%s: %llu runs, %.1f s, %llu %s (budget %llu), %llu violations: %s",
	       fname, s.runs, s.elapsed_s, s.units, variant->unit_name, want,
	       s.violations, mmrace_counters_str(self->fd, &s.total, buf,
						 sizeof(buf)));
	TH_LOG("fixed: check %s", ctl_check_str(self->fd, variant, &s.total,
						 chk, sizeof(chk)));
	/* The check: its counters (scripts/mutants looks for this line). */
	EXPECT_EQ(0, s.checked);
	EXPECT_EQ(0, s.violations);
	EXPECT_LE(want, s.units)
		TH_LOG("budget not reached: %llu of %llu %s in %llu runs (the host ran slower than the runs' time caps; not a violation)",
		       s.units, want, variant->unit_name, s.runs);
	for (i = 0; i < variant->nr_witness; i++) {
		struct mmrace_describe d;

		mmrace_describe(self->fd, variant->pattern, MMRACE_NONE,
				variant->witness[i], &d);
		TH_LOG("fixed: witness %s=%llu", d.name,
		       s.total.counters[variant->witness[i]]);
		EXPECT_LT(0, s.total.counters[variant->witness[i]])
			TH_LOG("window never opened: witness %s stayed 0 over %llu %s; this zero is no evidence",
			       d.name, s.units, variant->unit_name);
	}

	/* 2. The witness control: no window, so the witness stays at 0. */
	ASSERT_EQ(0, ctl_series(_metadata, self->fd, self->ncpu, variant,
				variant->fixed, want / CTL_WC_DIV,
				CTL_WITNESS_CONTROL, &w));
	mmrace_describe(self->fd, variant->pattern, MMRACE_NONE,
			variant->witness[0], &wd);
	TH_LOG("witness control (%s): %llu runs, %llu units, witness %s=%llu, %llu violations",
	       variant->wc.how, w.runs, w.units, wd.name,
	       w.total.counters[variant->witness[0]], w.violations);
	TH_LOG("witness control: %s", mmrace_counters_str(self->fd, &w.total,
							  buf, sizeof(buf)));
	EXPECT_EQ(0, w.total.counters[variant->witness[0]])
		TH_LOG("witness %s counted where its window cannot open (%s): it proves no window",
		       wd.name, variant->wc.how);
	EXPECT_EQ(0, w.violations);
	EXPECT_LT(0, w.units)
		TH_LOG("the witness control did no work: its zero is no evidence");

	/*
	 * 3. The negative control: the same check must fail. It stops at its
	 * first detection; under TCG emulating another architecture (the
	 * arm64 guest) interleavings are rarer than the budgets were set
	 * for, and it may run up to CTL_TCG_NEGATIVE_MUL times the budget.
	 */
	nwant = mmrace_tcg_guest() ? want * CTL_TCG_NEGATIVE_MUL : want;
	if (nwant != want)
		TH_LOG("TCG guest: the negative control may run %llu %s",
		       nwant, variant->unit_name);
	ASSERT_EQ(0, ctl_series(_metadata, self->fd, self->ncpu, variant,
				broken, nwant, CTL_NEGATIVE, &n));
	if (n.checked) {
		TH_LOG("negative control detected: %s failed the check after %llu of %llu %s (%.3f %% of the budget, %.1f s; %.1f detections per budget): %s",
		       bname, n.detect_units, nwant, variant->unit_name,
		       100.0 * n.detect_units / nwant, n.elapsed_s,
		       n.detect_units ? (double)nwant / n.detect_units : 0,
		       mmrace_counters_str(self->fd, &n.total, buf,
					   sizeof(buf)));
		TH_LOG("negative control: check %s",
		       ctl_check_str(self->fd, variant, &n.total, chk,
				     sizeof(chk)));
	} else if (n.violations) {
		TH_LOG("negative control failed only outside the check (%s): %s",
		       ctl_check_str(self->fd, variant, &n.total, chk,
				     sizeof(chk)),
		       mmrace_counters_str(self->fd, &n.total, buf,
					   sizeof(buf)));
	}
	EXPECT_LT(0, n.checked)
		TH_LOG("negative control passed: %s showed no violation of the check in %llu %s; the check of %s cannot fail",
		       bname, n.units, variant->unit_name, fname);
}

TEST_HARNESS_MAIN
