// SPDX-License-Identifier: GPL-2.0
/*
 * P4: fork racing pin_user_pages_fast(), as a store-buffering litmus test
 * run on the CPUs.
 *
 * Seed: "mm: Do early cow for pinned pages during fork()" (LKML, September
 * 2020) and the ordering discussion that followed. GUP-fast marks the mm as
 * pinning and raises the page's pin count, then re-reads the PTE; the other
 * side write-protects the PTE, then reads the pin count and the mm flag.
 * Each side stores, then loads what the other stored: the store-buffering
 * shape. With a full barrier between the store and the load on both sides,
 * at least one side sees the other (GUP-fast backs off to the slow path,
 * which breaks COW, or the page is copied). Without one, both can read the
 * old values: the pin succeeds on a page that is then shared, and the
 * parent's next write moves it away from the pinned page. The variants
 * once, mb, after_atomic and atomic_nomb are that shape as the
 * anon-exclusive share path has it since 6.1 (KSM and migration:
 * folio_try_share_anon_rmap(), 088b8aa537c2).
 *
 * Fork itself is protected differently (57efa1fe5957, 5.11): it copies the
 * page tables inside mm->write_protect_seq's write section, under
 * mmap_write_lock, and reads the pin count before it write-protects the
 * PTE; GUP-fast reads the sequence before it pins and backs off when it
 * changed. The variants seqcount and seqcount_noretry model that protocol;
 * without the re-check the race needs no reordering at all.
 *
 * Threads run in pairs bound to different CPUs: even threads are the pin
 * side, odd ones the fork side. For every MMRACE_P4_GROUP iterations the
 * pair meets at a rendezvous; each side then runs its three instructions on
 * one fresh cell per iteration (a ring of zeroed cells, one variable per
 * cache line, as in the kernel: mm flags, struct page and page table are
 * different lines), the iterations of a group back to back, as klitmus7
 * runs its instances. After its part of each iteration the fork side
 * counts the outcome of the cell a group back (final since the rendezvous)
 * and zeroes it. A group shares one rendezvous among its iterations,
 * which costs less per iteration and leaves the outcome rates as they
 * were (Documentation/results.rst). The histogram is klitmus7's: the four
 * outcomes, with the forbidden one ("neither side copies") counted as a
 * violation.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "p4_forkpin.h"

/* GUP_PIN_COUNTING_BIAS: what one FOLL_PIN adds to an order-0 _refcount. */
#define P4_PIN_BIAS		1024

/* Cells in each pair's ring (a power of two). */
#define P4_CELLS		64
/* A cell is zeroed a group after its use and reused long after that. */
static_assert(P4_CELLS >= 2 * MMRACE_P4_GROUP && !(P4_CELLS & (P4_CELLS - 1)));

enum p4_side { P4_PIN, P4_FORK };

/*
 * One litmus instance: has_pinned stands for MMF_HAS_PINNED in mm->flags,
 * ref for the folio's pin count (the seqcount variants: its _refcount,
 * which holds an order-0 folio's pins as P4_PIN_BIAS each), pte for the
 * page table entry (1: write protected by fork).
 */
struct p4_cell {
	unsigned long has_pinned ____cacheline_aligned;
	atomic_t ref ____cacheline_aligned;
	/* seqcount variants, large folio: _pincount. */
	atomic_t pincount ____cacheline_aligned;
	unsigned long pte ____cacheline_aligned;
	/* seqcount variants: mm->write_protect_seq. */
	unsigned long seq ____cacheline_aligned;
	/* The page-table lock: the fork side's pin check and write-protect. */
	spinlock_t ptl;
	/* Results: written by their side, read after the next rendezvous. */
	int r_pin_wp;
	int r_fork_flag;
	int r_fork_ref;
};

struct p4_pair {
	/* Iteration each side has reached, and whether it stopped for good. */
	unsigned long seq[2] ____cacheline_aligned;
	int gone[2] ____cacheline_aligned;
	/* MMRACE_P4_ARG_TURNS: the last instance the pin side finished. */
	unsigned long pin_done ____cacheline_aligned;
	/*
	 * Turns: the fork side gave up waiting for the pin side (the run
	 * stops); it runs no more instances, so none it skipped is counted.
	 */
	bool fork_quit;
	unsigned long iter[2];
	struct p4_cell cells[P4_CELLS];
};

struct p4_state {
	unsigned int nr_pairs;
	bool turns;
	struct p4_pair *pairs;
};

static struct p4_pair *p4_pair_of(struct mmrace_thread *t)
{
	struct p4_state *p = t->ctx->priv;

	return &p->pairs[t->idx / 2];
}

/* The first instance (from 1) of the rendezvous group of instance @i. */
static unsigned long p4_group_start(unsigned long i)
{
	return i - (i - 1) % MMRACE_P4_GROUP;
}

/*
 * Wait until the other side reaches iteration @i. Returns false when the
 * other side stopped for good or the run is stopping.
 */
static bool p4_rendezvous(struct mmrace_thread *t, struct p4_pair *pair,
			  enum p4_side me, unsigned long i)
{
	/* Release: the cells this side finished are visible past the meet. */
	smp_store_release(&pair->seq[me], i);
	/* Acquire: pairs with the other side's release just above. */
	return mmrace_spin_until(t->ctx, smp_load_acquire(&pair->seq[!me]) >= i,
				 READ_ONCE(pair->gone[!me]));
}

/**
 * enum p4_path - which page and which mm the seqcount variants pin
 * @P4_ORDER0: an order-0 folio of an mm that pinned before (MMF_HAS_PINNED
 *	set): the pin count fork reads is _refcount itself, the word fork's
 *	folio_get() and GUP-fast's try_get_folio() both change
 * @P4_FIRST_PIN: the same folio, the mm's first FOLL_PIN: GUP-fast sets
 *	the flag (mm_set_has_pinned_flag(), before it reads the sequence)
 *	and fork's folio_needs_cow_for_dma() reads it first
 * @P4_LARGE: a large folio of an mm that pinned before: the pin is
 *	counted in _pincount, a word fork does not write
 */
enum p4_path { P4_ORDER0, P4_FIRST_PIN, P4_LARGE };

/*
 * GUP-fast with FOLL_PIN as gup_fast_fallback() and gup_fast() do it since
 * 57efa1fe5957 (7.3's mm/gup.c): mark the mm, read mm->write_protect_seq
 * with acquire (odd: fork is copying, back off), check the PTE, pin
 * (try_grab_folio_fast(): a fully ordered try_get_folio(), then the rest of
 * the pin, then smp_mb__after_atomic()), re-check the PTE, then (@retry)
 * back off when the sequence moved. Returns true when GUP-fast backs off to the slow path
 * (which takes mmap_lock and waits for fork). The unpin of a back-off is
 * left out: a stale pin only makes fork copy once more, harmless.
 */
static bool p4_gup_fast_seq(struct mmrace_thread *t, struct p4_cell *c,
			    bool retry, enum p4_path path)
{
	unsigned long seq;

	/* mm_set_has_pinned_flag(): test_bit(), then set_bit() (relaxed). */
	if (!test_bit(0, &c->has_pinned))
		set_bit(0, &c->has_pinned);
	/* raw_read_seqcount() (7.3): acquire, pairs with fork's smp_wmb(). */
	seq = smp_load_acquire(&c->seq);
	if (seq & 1)
		return true;
	mmrace_window(t);	/* the page-table walk */
	if (READ_ONCE(c->pte))
		return true;
	/* try_get_folio(): folio_ref_try_add(), fully ordered. */
	if (!atomic_add_unless(&c->ref, 1, 0))
		return true;
	/* The rest of the pin: _pincount, or the bias in _refcount (relaxed). */
	if (path == P4_LARGE)
		atomic_inc(&c->pincount);
	else
		atomic_add(P4_PIN_BIAS - 1, &c->ref);
	/* try_grab_folio_fast(): the pin before the PTE re-check. */
	smp_mb__after_atomic();
	if (READ_ONCE(c->pte))
		return true;
	if (!retry)
		return false;
	/* read_seqcount_retry(): smp_rmb(), then the load. */
	smp_rmb();
	if (READ_ONCE(c->seq) == seq)
		return false;
	t->cnt[MMRACE_P4_C_SEQ_RETRY]++;
	return true;
}

/*
 * GUP-fast's side, one function per variant: mark the mm, take the pin,
 * re-read the PTE (r_pin_wp: the pin saw the write-protect and backs off).
 */
static void p4_pin_once(struct mmrace_thread *t, struct p4_cell *c)
{
	WRITE_ONCE(c->has_pinned, 1);
	atomic_set(&c->ref, 1);
	c->r_pin_wp = READ_ONCE(c->pte);
}

static void p4_pin_mb(struct mmrace_thread *t, struct p4_cell *c)
{
	WRITE_ONCE(c->has_pinned, 1);
	atomic_set(&c->ref, 1);
	/* Orders the stores before the PTE load; pairs with fork's. */
	smp_mb();
	c->r_pin_wp = READ_ONCE(c->pte);
}

/* mm_set_has_pinned_flag(), then try_grab_folio_fast(). */
static void p4_pin_after_atomic(struct mmrace_thread *t, struct p4_cell *c)
{
	if (!test_bit(0, &c->has_pinned))
		set_bit(0, &c->has_pinned);
	atomic_inc(&c->ref);
	/* As in try_grab_folio_fast(); pairs with fork's smp_mb(). */
	smp_mb__after_atomic();
	c->r_pin_wp = READ_ONCE(c->pte);
}

static void p4_pin_atomic_nomb(struct mmrace_thread *t, struct p4_cell *c)
{
	if (!test_bit(0, &c->has_pinned))
		set_bit(0, &c->has_pinned);
	atomic_inc(&c->ref);
	c->r_pin_wp = READ_ONCE(c->pte);
}

static void p4_pin_seqcount(struct mmrace_thread *t, struct p4_cell *c)
{
	c->r_pin_wp = p4_gup_fast_seq(t, c, true, P4_ORDER0);
}

static void p4_pin_seqcount_noretry(struct mmrace_thread *t,
				    struct p4_cell *c)
{
	c->r_pin_wp = p4_gup_fast_seq(t, c, false, P4_ORDER0);
}

static void p4_pin_seqcount_first(struct mmrace_thread *t, struct p4_cell *c)
{
	c->r_pin_wp = p4_gup_fast_seq(t, c, true, P4_FIRST_PIN);
}

static void p4_pin_seqcount_large(struct mmrace_thread *t, struct p4_cell *c)
{
	c->r_pin_wp = p4_gup_fast_seq(t, c, true, P4_LARGE);
}

/**
 * enum p4_fork_flags - how the seqcount variants' fork side differs
 * @P4_F_LARGE: the pin count is the large folio's _pincount
 * @P4_F_MB: the fix: smp_mb() right after raw_write_seqcount_begin(), which
 *	orders the sequence's store before every load of the copy (the
 *	flag's, the pin count's)
 * @P4_F_NOWRITER: fork takes no write_protect_seq at all, as the hugetlb
 *	copy did before f552ea7af125
 */
enum p4_fork_flags {
	P4_F_LARGE = 1 << 0,
	P4_F_MB = 1 << 1,
	P4_F_NOWRITER = 1 << 2,
};

/*
 * copy_page_range() on a COW mapping since 57efa1fe5957 (7.3's
 * mm/memory.c): inside the write section of mm->write_protect_seq (under
 * mmap_write_lock, which a real GUP-fast does not take), copy_present_ptes()
 * under the page-table lock takes its reference on the folio (folio_get()
 * or folio_ref_add(), relaxed), asks whether the folio may be pinned
 * (folio_needs_cow_for_dma(): the mm flag, then the pin count), then
 * write-protects the parent's PTE. Between the sequence's store and those
 * loads there are only smp_wmb(), the lock's acquire and a relaxed RMW: the
 * kernel memory model and the ARMv8 model order neither load after the
 * store (litmus/P4+seqcount_first_pin, _large). On an order-0 folio the
 * pin count is the word fork's folio_get() writes, and coherence closes
 * the window (litmus/P4+seqcount). On x86 the lock's LOCK-prefixed
 * acquire is a full barrier: no broken variant here shows on x86.
 */
static void p4_fork_seq_flags(struct mmrace_thread *t, struct p4_cell *c,
			      unsigned int flags)
{
	if (!(flags & P4_F_NOWRITER)) {
		/* raw_write_seqcount_begin(): the increment, then smp_wmb(). */
		WRITE_ONCE(c->seq, c->seq + 1);
		/* The sequence is odd before the PTE changes; pairs with the acquire. */
		smp_wmb();
		if (flags & P4_F_MB)
			/* The fix: the sequence before the pin loads below. */
			smp_mb();
	}
	spin_lock(&c->ptl);
	/* folio_get() (folio_ref_add() for a batch of a large folio). */
	atomic_inc(&c->ref);
	c->r_fork_flag = test_bit(0, &c->has_pinned);
	/* folio_maybe_dma_pinned() */
	if (flags & P4_F_LARGE)
		c->r_fork_ref = atomic_read(&c->pincount) > 0;
	else
		c->r_fork_ref = atomic_read(&c->ref) >= P4_PIN_BIAS;
	mmrace_window(t);	/* the rest of copy_present_ptes() */
	WRITE_ONCE(c->pte, 1);
	spin_unlock(&c->ptl);
	if (!(flags & P4_F_NOWRITER)) {
		/* raw_write_seqcount_end(): the PTE before the even sequence. */
		smp_wmb();
		WRITE_ONCE(c->seq, c->seq + 1);
	}
}

static void p4_fork_seq(struct mmrace_thread *t, struct p4_cell *c)
{
	p4_fork_seq_flags(t, c, 0);
}

static void p4_fork_seq_mb(struct mmrace_thread *t, struct p4_cell *c)
{
	p4_fork_seq_flags(t, c, P4_F_MB);
}

static void p4_fork_seq_large(struct mmrace_thread *t, struct p4_cell *c)
{
	p4_fork_seq_flags(t, c, P4_F_LARGE);
}

static void p4_fork_seq_large_mb(struct mmrace_thread *t, struct p4_cell *c)
{
	p4_fork_seq_flags(t, c, P4_F_LARGE | P4_F_MB);
}

static void p4_fork_seq_nowriter(struct mmrace_thread *t, struct p4_cell *c)
{
	p4_fork_seq_flags(t, c, P4_F_LARGE | P4_F_NOWRITER);
}

/*
 * Fork's side: write-protect, then ask whether the page may be pinned
 * (folio_needs_cow_for_dma(): the mm flag, then the pin count).
 */
static void p4_fork_once(struct mmrace_thread *t, struct p4_cell *c)
{
	WRITE_ONCE(c->pte, 1);
	c->r_fork_flag = !!READ_ONCE(c->has_pinned);
	c->r_fork_ref = atomic_read(&c->ref);
}

static void p4_fork_mb(struct mmrace_thread *t, struct p4_cell *c)
{
	WRITE_ONCE(c->pte, 1);
	/* The share path's barrier; pairs with the pin side's. */
	smp_mb();
	c->r_fork_flag = !!READ_ONCE(c->has_pinned);
	c->r_fork_ref = atomic_read(&c->ref);
}

/**
 * struct p4_ops - one variant's two sides of an instance
 * @pin: GUP-fast's side (writes &p4_cell.r_pin_wp)
 * @fork: fork's side (writes &p4_cell.r_fork_flag and r_fork_ref)
 * @has_pinned: the mm flag of a fresh cell (1: the mm pinned before)
 * @ref: the folio's reference count of a fresh cell (1: the mapping's)
 */
struct p4_ops {
	void (*pin)(struct mmrace_thread *t, struct p4_cell *c);
	void (*fork)(struct mmrace_thread *t, struct p4_cell *c);
	unsigned long has_pinned;
	int ref;
};

static const struct p4_ops p4_ops[MMRACE_P4_NR_VARIANTS] = {
	[MMRACE_P4_ONCE] = { p4_pin_once, p4_fork_once },
	[MMRACE_P4_MB] = { p4_pin_mb, p4_fork_mb },
	[MMRACE_P4_AFTER_ATOMIC] = { p4_pin_after_atomic, p4_fork_mb },
	[MMRACE_P4_ATOMIC_NOMB] = { p4_pin_atomic_nomb, p4_fork_mb },
	[MMRACE_P4_SEQCOUNT] = { p4_pin_seqcount, p4_fork_seq, 1, 1 },
	[MMRACE_P4_SEQCOUNT_NORETRY] = { p4_pin_seqcount_noretry, p4_fork_seq,
					 1, 1 },
	[MMRACE_P4_SEQCOUNT_FIRST_PIN] = { p4_pin_seqcount_first, p4_fork_seq,
					   0, 1 },
	[MMRACE_P4_SEQCOUNT_FIRST_PIN_MB] = { p4_pin_seqcount_first,
					      p4_fork_seq_mb, 0, 1 },
	[MMRACE_P4_SEQCOUNT_LARGE] = { p4_pin_seqcount_large, p4_fork_seq_large,
				       1, 1 },
	[MMRACE_P4_SEQCOUNT_LARGE_MB] = { p4_pin_seqcount_large,
					  p4_fork_seq_large_mb, 1, 1 },
	[MMRACE_P4_SEQCOUNT_NOWRITER] = { p4_pin_seqcount_large,
					  p4_fork_seq_nowriter, 1, 1 },
};

/* A cell as a new instance starts it: the variant's mm flag and refcount. */
static void p4_cell_fresh(const struct p4_ops *ops, struct p4_cell *c)
{
	c->has_pinned = ops->has_pinned;
	atomic_set(&c->ref, ops->ref);
	atomic_set(&c->pincount, 0);
	c->pte = 0;
	c->seq = 0;
	c->r_pin_wp = 0;
	c->r_fork_flag = 0;
	c->r_fork_ref = 0;
}

/* Count the outcome of a finished cell and make it fresh again. */
static void p4_tally(struct mmrace_thread *t, struct p4_cell *c)
{
	bool pin_backs_off = c->r_pin_wp;
	bool fork_copies = c->r_fork_flag && c->r_fork_ref;

	t->cnt[MMRACE_P4_C_ITERATIONS]++;
	if (c->r_fork_flag != !!c->r_fork_ref)
		t->cnt[MMRACE_P4_C_HALF_PINNED]++;
	if (pin_backs_off && fork_copies)
		t->cnt[MMRACE_P4_C_BOTH]++;
	else if (pin_backs_off)
		t->cnt[MMRACE_P4_C_PIN_BACKOFF]++;
	else if (fork_copies)
		t->cnt[MMRACE_P4_C_FORK_COPY]++;
	else
		mmrace_violation(t, MMRACE_P4_C_NEITHER, 1);

	p4_cell_fresh(&p4_ops[t->ctx->variant], c);
}

static int p4_prepare(struct mmrace_ctx *ctx)
{
	struct p4_state *p;
	unsigned int i, j;

	if (ctx->params->arg[MMRACE_P4_ARG_TURNS] > 1)
		return -EINVAL;
	p = kzalloc_obj(*p, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->turns = ctx->params->arg[MMRACE_P4_ARG_TURNS];
	p->nr_pairs = ctx->nr_threads / 2;
	/* Sized by the caller's thread count; a failure is its -ENOMEM. */
	p->pairs = kvcalloc(p->nr_pairs, sizeof(*p->pairs),
			    GFP_KERNEL | __GFP_NOWARN);
	if (!p->pairs) {
		kfree(p);
		return -ENOMEM;
	}
	for (i = 0; i < p->nr_pairs; i++)
		for (j = 0; j < P4_CELLS; j++) {
			struct p4_cell *c = &p->pairs[i].cells[j];

			spin_lock_init(&c->ptl);
			p4_cell_fresh(&p4_ops[ctx->variant], c);
		}
	ctx->priv = p;
	return 0;
}

/* Turns: wait until the pin side finished instance @i; false on a stop. */
static bool p4_pin_done(struct mmrace_thread *t, struct p4_pair *pair,
			unsigned long i)
{
	return mmrace_spin_until(t->ctx,
				 /* Acquire: pairs with the pin side's release. */
				 smp_load_acquire(&pair->pin_done) >= i,
				 READ_ONCE(pair->gone[P4_PIN]));
}

static int p4_op(struct mmrace_thread *t)
{
	struct p4_state *p = t->ctx->priv;
	struct p4_pair *pair = p4_pair_of(t);
	enum p4_side me = t->idx & 1 ? P4_FORK : P4_PIN;
	unsigned long i = pair->iter[me] + 1;

	if (me == P4_FORK && pair->fork_quit)
		return 0;
	/* The first instance of a group waits for the other side. */
	if (p4_group_start(i) == i && !p4_rendezvous(t, pair, me, i))
		return 0;
	pair->iter[me] = i;
	if (me == P4_PIN) {
		p4_ops[t->ctx->variant].pin(t, &pair->cells[i % P4_CELLS]);
		if (p->turns)
			/* Release: this instance's stores and loads are done. */
			smp_store_release(&pair->pin_done, i);
		return 0;
	}
	if (p->turns && !p4_pin_done(t, pair, i)) {
		pair->fork_quit = true;
		return 0;
	}
	p4_ops[t->ctx->variant].fork(t, &pair->cells[i % P4_CELLS]);
	/*
	 * Both sides met at the start of this group, so every instance
	 * before it is final: the one a group back (its own slot in the
	 * previous group) is counted and zeroed now, right after this side's
	 * part, as one per instance keeps the two sides' work even.
	 */
	if (i > MMRACE_P4_GROUP)
		p4_tally(t, &pair->cells[(i - MMRACE_P4_GROUP) % P4_CELLS]);
	return 0;
}

static int p4_op_batch(struct mmrace_thread *t, unsigned int n,
		       unsigned int *done)
{
	return mmrace_op_batch(t, n, done, p4_op);
}

/*
 * The fork side stops: count the instances its last rendezvous made final
 * that are not counted yet (those after it are not final: the pin side
 * may not have run them).
 */
static void p4_thread_done(struct mmrace_thread *t)
{
	struct p4_pair *pair = p4_pair_of(t);
	unsigned long last = pair->iter[P4_FORK], i;

	WRITE_ONCE(pair->gone[t->idx & 1], 1);
	if (!(t->idx & 1) || !last)
		return;
	/*
	 * A fork side that quit (turns) never ran instance @last, so it did
	 * not count the one a group back either: that one is final, count it.
	 */
	i = last > MMRACE_P4_GROUP ?
	    last - MMRACE_P4_GROUP + !pair->fork_quit : 1;
	for (; i < p4_group_start(last); i++)
		p4_tally(t, &pair->cells[i % P4_CELLS]);
}

static void p4_finish(struct mmrace_ctx *ctx, u64 *cnt)
{
	struct p4_state *p = ctx->priv;

	cnt[MMRACE_P4_C_PAIRS] = p->nr_pairs;
	kvfree(p->pairs);
	kfree(p);
	ctx->priv = NULL;
}

static const struct mmrace_variant p4_variants[] = {
	[MMRACE_P4_ONCE] = { "once",
		"WRITE_ONCE then READ_ONCE, no barrier (SB allowed)",
		MMRACE_DF_BROKEN },
	[MMRACE_P4_MB] = { "mb", "smp_mb() on both sides (SB forbidden)", 0 },
	[MMRACE_P4_AFTER_ATOMIC] = { "after_atomic",
		"share path: void atomics + smp_mb__after_atomic() (6.1+)", 0 },
	[MMRACE_P4_ATOMIC_NOMB] = { "atomic_nomb",
		"no smp_mb__after_atomic(): LKMM allows, x86 forbids",
		MMRACE_DF_BROKEN },
	[MMRACE_P4_SEQCOUNT] = { "seqcount",
		"fork in write_protect_seq, GUP-fast re-checks it (5.11+)", 0 },
	[MMRACE_P4_SEQCOUNT_NORETRY] = { "seqcount_noretry",
		"GUP-fast without the sequence re-check", MMRACE_DF_BROKEN },
	[MMRACE_P4_SEQCOUNT_FIRST_PIN] = { "seqcount_first_pin",
		"mm's first pin: fork's flag load unordered (LKMM, ARMv8 allow)",
		MMRACE_DF_BROKEN },
	[MMRACE_P4_SEQCOUNT_FIRST_PIN_MB] = { "seqcount_first_pin_mb",
		"mm's first pin, smp_mb() after the sequence's begin", 0 },
	[MMRACE_P4_SEQCOUNT_LARGE] = { "seqcount_large",
		"large folio: fork's _pincount load unordered (LKMM, ARMv8 allow)",
		MMRACE_DF_BROKEN },
	[MMRACE_P4_SEQCOUNT_LARGE_MB] = { "seqcount_large_mb",
		"large folio, smp_mb() after the sequence's begin", 0 },
	[MMRACE_P4_SEQCOUNT_NOWRITER] = { "seqcount_nowriter",
		"fork takes no sequence (hugetlb before f552ea7af125)",
		MMRACE_DF_BROKEN },
};

static const struct mmrace_counter_desc p4_counters[] = {
	[MMRACE_P4_C_ITERATIONS] = { "iterations",
		"litmus iterations counted (two ops each)", 0 },
	[MMRACE_P4_C_NEITHER] = { "neither",
		"pin read old PTE, fork read unpinned: nobody copies",
		MMRACE_DF_VIOLATION },
	[MMRACE_P4_C_PIN_BACKOFF] = { "pin_backoff",
		"only the pin side saw the other: slow GUP breaks COW", 0 },
	[MMRACE_P4_C_FORK_COPY] = { "fork_copy",
		"only the fork side saw the other: the child gets a copy", 0 },
	[MMRACE_P4_C_BOTH] = { "both", "both sides saw the other", 0 },
	[MMRACE_P4_C_HALF_PINNED] = { "half_pinned",
		"fork saw one of has_pinned and the pin count", 0 },
	[MMRACE_P4_C_PAIRS] = { "pairs", "pin/fork thread pairs", 0 },
	[MMRACE_P4_C_SEQ_RETRY] = { "seq_retry",
		"seqcount: backed off by the sequence re-check (witness)", 0 },
};

const struct mmrace_pattern mmrace_p4_forkpin = {
	.id = MMRACE_P4_FORKPIN,
	.name = "p4_forkpin",
	.title = "fork racing pin_user_pages_fast (store-buffering litmus)",
	.variants = p4_variants,
	.nr_variants = ARRAY_SIZE(p4_variants),
	.counters = p4_counters,
	.nr_counters = ARRAY_SIZE(p4_counters),
	.min_threads = 2,
	.thread_step = 2,
	.nr_args = MMRACE_P4_ARG_TURNS + 1,
	.prepare = p4_prepare,
	.op = p4_op,
	.op_batch = p4_op_batch,
	.thread_done = p4_thread_done,
	.finish = p4_finish,
	.dev = &mmrace_p4_forkpin_dev,
};
