/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmrace catalogue, P4: fork racing pin_user_pages_fast().
 * Its variants (&mmrace_run.variant), arguments (indices into
 * &mmrace_run.arg) and counters (indices into &mmrace_run.counters), and
 * the structs and ioctls of its device half.
 * Included by this pattern's files only; the contract every pattern
 * shares is <linux/mmrace.h>.
 */
#ifndef _UAPI_LINUX_MMRACE_P4_FORKPIN_H
#define _UAPI_LINUX_MMRACE_P4_FORKPIN_H

#include <linux/mmrace.h>

/**
 * enum mmrace_p4_variant - variants of pattern P4 (the pin / fork litmus)
 * @MMRACE_P4_ONCE: WRITE_ONCE then READ_ONCE on both sides, no barrier
 *	(broken: the "neither side copies" outcome is allowed, and x86 shows
 *	it: a store may wait in the store buffer while the next load runs)
 * @MMRACE_P4_MB: smp_mb() between the store and the load on both sides
 *	(SB+fencembonceonces: forbidden)
 * @MMRACE_P4_AFTER_ATOMIC: the pin side sets the flag and raises the
 *	reference with void atomics and smp_mb__after_atomic(), the other
 *	side uses smp_mb(): the anon-exclusive share path (KSM, migration:
 *	folio_try_share_anon_rmap() against GUP-fast, 088b8aa537c2, 6.1)
 * @MMRACE_P4_ATOMIC_NOMB: the same void atomics without
 *	smp_mb__after_atomic() (allowed by the kernel memory model; on x86
 *	the LOCK prefix is a full barrier, so the hardware forbids it there
 *	and it is no negative control there)
 * @MMRACE_P4_SEQCOUNT: fork as the kernel does it (57efa1fe5957, 5.11;
 *	7.3's mm/memory.c and mm/gup.c), on an order-0 folio of an mm that
 *	pinned before: copy_page_range() inside mm->write_protect_seq's
 *	write section takes its reference on the folio (folio_get()), reads
 *	the pin count under the page-table lock, then write-protects the
 *	PTE; GUP-fast reads the sequence before (odd: back off), pins
 *	(a fully ordered increment, then the rest of GUP_PIN_COUNTING_BIAS),
 *	re-checks the PTE and backs off when the sequence changed. The pin
 *	count is the word fork's folio_get() writes: coherence closes the
 *	window (litmus/P4+seqcount: Never under the kernel memory model and
 *	the ARMv8 model). A window widens the page-table walk and the copy
 *	(&mmrace_run.window_ns)
 * @MMRACE_P4_SEQCOUNT_NORETRY: the same GUP-fast without the sequence
 *	re-check (broken: fork reads "not pinned", the pin lands and the
 *	PTE re-check still sees it writable, then fork write-protects it: a
 *	plain interleaving, no reordering needed)
 * @MMRACE_P4_SEQCOUNT_FIRST_PIN: as @MMRACE_P4_SEQCOUNT for the mm's first
 *	FOLL_PIN: GUP-fast sets MMF_HAS_PINNED before it reads the sequence,
 *	fork reads it after smp_wmb(), the lock's acquire and folio_get()
 *	only (broken under the kernel memory model and the ARMv8 model:
 *	store buffering between the flag and the sequence; on x86 the lock's
 *	LOCK prefix forbids it, so the CPU shows nothing there)
 * @MMRACE_P4_SEQCOUNT_FIRST_PIN_MB: the fix of @MMRACE_P4_SEQCOUNT_FIRST_PIN:
 *	smp_mb() right after raw_write_seqcount_begin()
 * @MMRACE_P4_SEQCOUNT_LARGE: as @MMRACE_P4_SEQCOUNT on a large folio,
 *	whose pins are counted in _pincount, a word fork does not write
 *	(broken under the kernel memory model and the ARMv8 model; nothing
 *	on x86, as @MMRACE_P4_SEQCOUNT_FIRST_PIN)
 * @MMRACE_P4_SEQCOUNT_LARGE_MB: the fix of @MMRACE_P4_SEQCOUNT_LARGE:
 *	smp_mb() right after raw_write_seqcount_begin()
 * @MMRACE_P4_SEQCOUNT_NOWRITER: a large folio and a fork that takes no
 *	write_protect_seq at all, as copy_hugetlb_page_range() did before
 *	f552ea7af125 (broken by a plain interleaving: x86 shows it)
 * @MMRACE_P4_NR_VARIANTS: number of variants (not a variant)
 */
enum mmrace_p4_variant {
	MMRACE_P4_ONCE = 0,
	MMRACE_P4_MB,
	MMRACE_P4_AFTER_ATOMIC,
	MMRACE_P4_ATOMIC_NOMB,
	MMRACE_P4_SEQCOUNT,
	MMRACE_P4_SEQCOUNT_NORETRY,
	MMRACE_P4_SEQCOUNT_FIRST_PIN,
	MMRACE_P4_SEQCOUNT_FIRST_PIN_MB,
	MMRACE_P4_SEQCOUNT_LARGE,
	MMRACE_P4_SEQCOUNT_LARGE_MB,
	MMRACE_P4_SEQCOUNT_NOWRITER,
	MMRACE_P4_NR_VARIANTS,
};

/**
 * enum mmrace_p4_counter - indices into &mmrace_run.counters for P4
 * @MMRACE_P4_C_ITERATIONS: litmus iterations whose outcome was counted
 *	(each is two operations, one per side)
 * @MMRACE_P4_C_NEITHER: the pin side read the old PTE and the fork side
 *	read "not pinned": neither side copies (the forbidden outcome;
 *	violation)
 * @MMRACE_P4_C_PIN_BACKOFF: only the pin side saw the other's store: it
 *	backs off to the slow path, which breaks COW
 * @MMRACE_P4_C_FORK_COPY: only the fork side saw the other's store: it
 *	copies the page for the child
 * @MMRACE_P4_C_BOTH: both sides saw the other's store (an extra copy,
 *	harmless)
 * @MMRACE_P4_C_HALF_PINNED: the fork side saw one of has_pinned and the
 *	page reference but not the other (it does not copy)
 * @MMRACE_P4_C_PAIRS: pin/fork thread pairs of the run
 * @MMRACE_P4_C_SEQ_RETRY: seqcount: GUP-fast's pin was good by the PTE
 *	but the sequence had moved, and it backed off: the window the
 *	re-check closes (seqcount_noretry keeps those pins)
 * @MMRACE_P4_NR_COUNTERS: number of counters (not a counter)
 *
 * The four outcome counters add up to @MMRACE_P4_C_ITERATIONS.
 */
enum mmrace_p4_counter {
	MMRACE_P4_C_ITERATIONS = 0,
	MMRACE_P4_C_NEITHER,
	MMRACE_P4_C_PIN_BACKOFF,
	MMRACE_P4_C_FORK_COPY,
	MMRACE_P4_C_BOTH,
	MMRACE_P4_C_HALF_PINNED,
	MMRACE_P4_C_PAIRS,
	MMRACE_P4_C_SEQ_RETRY,
	MMRACE_P4_NR_COUNTERS,
};

/*
 * MMRACE_P4_GROUP - P4 litmus instances per rendezvous of a pin/fork pair.
 * The fork side counts an instance once a later rendezvous made it final,
 * so a pair's last group (the instances from its last rendezvous on) is
 * run but not counted: when an iteration budget ends the run and the
 * pair's fork thread ran I instances (its share of the budget), I - 1 -
 * (I - 1) % MMRACE_P4_GROUP of them are counted in MMRACE_P4_C_ITERATIONS
 * (summed over the pairs).
 */
#define MMRACE_P4_GROUP		4

/**
 * enum mmrace_p4_arg - indices into &mmrace_run.arg for pattern P4
 * @MMRACE_P4_ARG_TURNS: 1: the two sides take turns, the fork side starts
 *	an instance only once the pin side finished it, so their windows
 *	never overlap (0: they run side by side). With turns every outcome
 *	is fork_copy: the configuration that shows the witnesses
 *	(&MMRACE_P4_C_BOTH, &MMRACE_P4_C_SEQ_RETRY) at zero where the window
 *	cannot open.
 */
enum mmrace_p4_arg {
	MMRACE_P4_ARG_TURNS = 0,
};

/* Largest number of pages one MMRACE_IOC_PIN may pin. */
#define MMRACE_PIN_MAX_PAGES	512
/* Largest number of pins one open file may hold. */
#define MMRACE_MAX_PINS		16

/**
 * struct mmrace_pin - pin pages of the caller (MMRACE_IOC_PIN)
 * @addr: in: page-aligned start address in the caller's memory
 * @nr_pages: in: pages to pin, 1..MMRACE_PIN_MAX_PAGES
 * @flags: in: MMRACE_PIN_* bits; unknown bits give -EINVAL
 * @id: out: the pin's handle for MMRACE_IOC_PIN_ACCESS and MMRACE_IOC_UNPIN
 * @pinned_vm: out: the caller's mm->pinned_vm in pages after the charge
 *
 * The pages are pinned with pin_user_pages_fast() and the pin is charged
 * to the opener's mm->pinned_vm against RLIMIT_MEMLOCK (skipped with
 * CAP_IPC_LOCK), as a driver holding long-term pins does. Pins are held
 * across ioctls, by the open file, and released with MMRACE_IOC_UNPIN or
 * when the file is closed. Only a task of the opener's mm may pin (-EPERM).
 * Errors: -EFAULT for an address the kernel cannot pin (unmapped, not
 * writable with MMRACE_PIN_WRITE), -ENOSPC when the file holds
 * MMRACE_MAX_PINS pins, -ENOMEM above RLIMIT_MEMLOCK.
 */
struct mmrace_pin {
	__u64 addr;
	__u64 nr_pages;
	__u64 flags;
	__u64 id;
	__u64 pinned_vm;
};

/* FOLL_WRITE: pin for writing (breaks COW first, as a DMA target must). */
#define MMRACE_PIN_WRITE	(1ULL << 0)
/* FOLL_LONGTERM: the pin may be held indefinitely. */
#define MMRACE_PIN_LONGTERM	(1ULL << 1)
#define MMRACE_PIN_FLAGS	(MMRACE_PIN_WRITE | MMRACE_PIN_LONGTERM)

/**
 * struct mmrace_pin_access - read or write 8 bytes through a pin, as a
 *	device doing DMA would (MMRACE_IOC_PIN_ACCESS)
 * @id: in: the pin's handle
 * @offset: in: byte offset from the pin's start address, 8-byte aligned
 * @write: in: 0 to read, 1 to write @value
 * @value: in: the value to write; out: the value read (or written)
 * @pfn: out: page frame number of the pinned page at @offset
 */
struct mmrace_pin_access {
	__u64 id;
	__u64 offset;
	__u64 write;
	__u64 value;
	__u64 pfn;
};

/**
 * struct mmrace_unpin - release a pin (MMRACE_IOC_UNPIN)
 * @id: in: the pin's handle; -ENOENT if this file holds no such pin
 * @pinned_vm: out: the caller's mm->pinned_vm in pages after the uncharge
 */
struct mmrace_unpin {
	__u64 id;
	__u64 pinned_vm;
};

/**
 * struct mmrace_page_info - what backs an address of the caller
 *	(MMRACE_IOC_PAGE_INFO)
 * @addr: in: an address in the caller's memory (faulted in for reading)
 * @pfn: out: page frame number of the page mapped there
 * @refcount: out: the folio's reference count, not counting the
 *	reference this ioctl takes to look
 * @order: out: the folio's order (9 for a 2 MiB THP on x86)
 * @maybe_pinned: out: 1 when folio_maybe_dma_pinned()
 * @mm_has_pinned: out: 1 when MMF_HAS_PINNED is set on the caller's mm
 *
 * Only a task of the opener's mm may look (-EPERM).
 */
struct mmrace_page_info {
	__u64 addr;
	__u64 pfn;
	__u64 refcount;
	__u64 order;
	__u64 maybe_pinned;
	__u64 mm_has_pinned;
};

#define MMRACE_IOC_PIN		_IOWR(MMRACE_IOC_MAGIC, 0x03, struct mmrace_pin)
#define MMRACE_IOC_PIN_ACCESS	_IOWR(MMRACE_IOC_MAGIC, 0x04, struct mmrace_pin_access)
#define MMRACE_IOC_UNPIN	_IOWR(MMRACE_IOC_MAGIC, 0x05, struct mmrace_unpin)
#define MMRACE_IOC_PAGE_INFO	_IOWR(MMRACE_IOC_MAGIC, 0x06, struct mmrace_page_info)

#endif /* _UAPI_LINUX_MMRACE_P4_FORKPIN_H */
