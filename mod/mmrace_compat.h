/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: kernel API differences between the kernels it builds on (6.1 to
 * 7.3), decided by feature tests, never by version numbers: a macro the
 * newer API brings, or a Kbuild grep of the header (mod/Kbuild).
 */
#ifndef _MMRACE_COMPAT_H
#define _MMRACE_COMPAT_H

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/slab.h>

/*
 * kzalloc_obj(P, gfp): one zeroed object of P's type. 7.x's slab.h has it,
 * typed (and 7.x's checkpatch asks for it over kzalloc(sizeof(...))); on
 * older kernels it is this untyped equivalent (the 7.x build checks the
 * types). Always called with its gfp here.
 */
#ifndef kzalloc_obj
#define kzalloc_obj(P, gfp)	kzalloc(sizeof(P), gfp)
#endif

/**
 * mmrace_mm_flag() - test one MMF_* bit of an mm
 * @mm: the mm, any reference (the bit is read once, without a lock)
 * @flag: the MMF_* bit number
 *
 * mm->flags was an unsigned long tested with test_bit() until 6.18 made it
 * a bitmap of NUM_MM_FLAG_BITS bits read through mm_flags_test() (the
 * "mm: convert mm->flags to a bitmap" series, 2025). NUM_MM_FLAG_BITS is
 * the feature test.
 *
 * Return: true if the bit is set.
 */
static inline bool mmrace_mm_flag(const struct mm_struct *mm, int flag)
{
#ifdef NUM_MM_FLAG_BITS
	return mm_flags_test(flag, mm);
#else
	return test_bit(flag, &mm->flags);
#endif
}

#endif /* _MMRACE_COMPAT_H */
