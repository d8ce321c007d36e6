// SPDX-License-Identifier: GPL-2.0
/*
 * Real long-term pins of the caller's pages, held by an open /dev/mmrace,
 * for P4's real-kernel half: user space pins a page, forks while the pin is
 * held, and checks through MMRACE_IOC_PIN_ACCESS that the pinned page is
 * still the one its own mapping shows (the kernel copied for the child, or
 * broke COW before pinning, but never left both sides sharing a pinned
 * page).
 *
 * Pins charge the opener's mm->pinned_vm against RLIMIT_MEMLOCK with a
 * compare-and-exchange loop (P1's fixed helper), the way a driver holding
 * long-term pins should.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "mmrace.h"
#include "p4_forkpin.h"

/**
 * struct mmrace_pinned - one pin held by an open file
 * @addr: start address in the opener's memory
 * @nr_pages: pages pinned
 * @write: pinned with FOLL_WRITE (the pages are dirtied on release)
 * @pages: the pinned pages
 */
struct mmrace_pinned {
	unsigned long addr;
	unsigned long nr_pages;
	bool write;
	struct page **pages;
};

/**
 * struct mmrace_pins - the pins of one open file (its P4 per-open state)
 * @pin: the pins by id, NULL where free
 */
struct mmrace_pins {
	struct mmrace_pinned *pin[MMRACE_MAX_PINS];
};

/* The file's pins, allocated by the first pin when @create. */
static struct mmrace_pins *mmrace_pins_of(struct mmrace_file *mf, bool create)
{
	void **slot = mmrace_file_state(mf, MMRACE_P4_FORKPIN);

	if (!*slot && create)
		*slot = kzalloc_obj(struct mmrace_pins, GFP_KERNEL);
	return *slot;
}

/* Pin @id of the file, or NULL. */
static struct mmrace_pinned *mmrace_pin_get(struct mmrace_file *mf, u64 id)
{
	struct mmrace_pins *pins = mmrace_pins_of(mf, false);

	return pins && id < MMRACE_MAX_PINS ? pins->pin[id] : NULL;
}

/* Charge @pages to @mm->pinned_vm unless @bypass; never above the limit. */
static int mmrace_pin_charge(struct mm_struct *mm, unsigned long pages,
			     bool bypass)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 cur = atomic64_read(&mm->pinned_vm);

	do {
		if (!bypass && cur + pages > limit)
			return -ENOMEM;
	} while (!atomic64_try_cmpxchg(&mm->pinned_vm, &cur, cur + pages));
	return 0;
}

static void mmrace_pin_release_one(struct mm_struct *mm,
				   struct mmrace_pinned *pin)
{
	unpin_user_pages_dirty_lock(pin->pages, pin->nr_pages, pin->write);
	atomic64_sub(pin->nr_pages, &mm->pinned_vm);
	kvfree(pin->pages);
	kfree(pin);
}

static int mmrace_ioc_pin(struct mmrace_file *mf, void *arg)
{
	struct mmrace_pin *req = arg;
	unsigned int gup = 0;
	struct mmrace_pinned *pin;
	struct mmrace_pins *pins;
	unsigned int slot;
	long got;
	int ret;

	ret = mmrace_caller_is_opener(mf);
	if (ret)
		return ret;
	if (req->flags & ~MMRACE_PIN_FLAGS || !PAGE_ALIGNED(req->addr) ||
	    !req->nr_pages || req->nr_pages > MMRACE_PIN_MAX_PAGES)
		return -EINVAL;
	if (req->addr > TASK_SIZE - req->nr_pages * PAGE_SIZE)
		return -EFAULT;
	pins = mmrace_pins_of(mf, true);
	if (!pins)
		return -ENOMEM;
	for (slot = 0; slot < MMRACE_MAX_PINS; slot++)
		if (!pins->pin[slot])
			break;
	if (slot == MMRACE_MAX_PINS)
		return -ENOSPC;

	pin = kzalloc_obj(*pin, GFP_KERNEL);
	if (!pin)
		return -ENOMEM;
	/* Sized by the caller; a failure is its -ENOMEM, not a warning. */
	pin->pages = kvcalloc(req->nr_pages, sizeof(*pin->pages),
			      GFP_KERNEL | __GFP_NOWARN);
	if (!pin->pages) {
		kfree(pin);
		return -ENOMEM;
	}
	pin->addr = req->addr;
	pin->write = req->flags & MMRACE_PIN_WRITE;
	if (pin->write)
		gup |= FOLL_WRITE;
	if (req->flags & MMRACE_PIN_LONGTERM)
		gup |= FOLL_LONGTERM;

	ret = mmrace_pin_charge(mf->mm, req->nr_pages, capable(CAP_IPC_LOCK));
	if (ret)
		goto out_free;
	got = pin_user_pages_fast(req->addr, req->nr_pages, gup, pin->pages);
	if (got != req->nr_pages) {
		if (got > 0)
			unpin_user_pages(pin->pages, got);
		ret = got < 0 ? got : -EFAULT;
		atomic64_sub(req->nr_pages, &mf->mm->pinned_vm);
		goto out_free;
	}
	pin->nr_pages = got;
	pins->pin[slot] = pin;
	req->id = slot;
	req->pinned_vm = atomic64_read(&mf->mm->pinned_vm);
	return 0;

out_free:
	kvfree(pin->pages);
	kfree(pin);
	return ret;
}

static int mmrace_ioc_pin_access(struct mmrace_file *mf, void *arg)
{
	struct mmrace_pin_access *req = arg;
	struct mmrace_pinned *pin = mmrace_pin_get(mf, req->id);
	struct page *page;
	u64 *p;

	if (!pin)
		return -ENOENT;
	if (req->write > 1 || !IS_ALIGNED(req->offset, sizeof(u64)) ||
	    req->offset >= pin->nr_pages * PAGE_SIZE)
		return -EINVAL;
	if (req->write && !pin->write)
		return -EPERM;

	page = pin->pages[req->offset >> PAGE_SHIFT];
	p = kmap_local_page(page) + offset_in_page(req->offset);
	if (req->write)
		WRITE_ONCE(*p, req->value);
	else
		req->value = READ_ONCE(*p);
	kunmap_local(p);
	if (req->write)
		set_page_dirty_lock(page);
	req->pfn = page_to_pfn(page);
	return 0;
}

static int mmrace_ioc_unpin(struct mmrace_file *mf, void *arg)
{
	struct mmrace_unpin *req = arg;
	struct mmrace_pinned *pin = mmrace_pin_get(mf, req->id);

	if (!pin)
		return -ENOENT;
	mmrace_pin_release_one(mf->mm, pin);
	mmrace_pins_of(mf, false)->pin[req->id] = NULL;
	req->pinned_vm = atomic64_read(&mf->mm->pinned_vm);
	return 0;
}

static int mmrace_ioc_page_info(struct mmrace_file *mf, void *arg)
{
	struct mmrace_page_info *req = arg;
	struct folio *folio;
	struct page *page;
	int ret;

	ret = mmrace_caller_is_opener(mf);
	if (ret)
		return ret;
	if (req->addr >= TASK_SIZE)
		return -EFAULT;
	ret = get_user_pages_fast(req->addr & PAGE_MASK, 1, 0, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	folio = page_folio(page);
	req->pfn = page_to_pfn(page);
	req->refcount = folio_ref_count(folio) - 1;
	req->order = folio_order(folio);
	req->maybe_pinned = folio_maybe_dma_pinned(folio);
	req->mm_has_pinned = mmrace_mm_flag(mf->mm, MMF_HAS_PINNED);
	put_page(page);
	return 0;
}

/* Release every pin of a file being closed. */
static void mmrace_pin_release_all(struct mmrace_file *mf)
{
	struct mmrace_pins *pins = mmrace_pins_of(mf, false);
	unsigned int slot;

	if (!pins)
		return;
	for (slot = 0; slot < MMRACE_MAX_PINS; slot++)
		if (pins->pin[slot])
			mmrace_pin_release_one(mf->mm, pins->pin[slot]);
	kfree(pins);
	*mmrace_file_state(mf, MMRACE_P4_FORKPIN) = NULL;
}

static const struct mmrace_ioctl mmrace_p4_ioctls[] = {
	MMRACE_IOCTL(MMRACE_IOC_PIN, struct mmrace_pin, pinned_vm,
		     mmrace_ioc_pin, MMRACE_IOF_OPENER_MM),
	MMRACE_IOCTL_PFN(MMRACE_IOC_PIN_ACCESS, struct mmrace_pin_access, pfn,
			 mmrace_ioc_pin_access),
	MMRACE_IOCTL(MMRACE_IOC_UNPIN, struct mmrace_unpin, pinned_vm,
		     mmrace_ioc_unpin, MMRACE_IOF_OPENER_MM),
	MMRACE_IOCTL_PFN(MMRACE_IOC_PAGE_INFO, struct mmrace_page_info,
			 mm_has_pinned, mmrace_ioc_page_info),
};

const struct mmrace_device mmrace_p4_forkpin_dev = {
	.ioctls = mmrace_p4_ioctls,
	.nr_ioctls = ARRAY_SIZE(mmrace_p4_ioctls),
	.release = mmrace_pin_release_all,
};
