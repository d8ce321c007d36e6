/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: the mm-claim service of the two device halves whose uses of one
 * mm together allow the interval-notifier hang (mm_claim.c).
 */
#ifndef _MMRACE_MM_CLAIM_H
#define _MMRACE_MM_CLAIM_H

#include "mmrace.h"

/**
 * enum mmrace_mm_use - uses of an mm that together allow the
 *	interval-notifier hang
 * @MMRACE_MM_ITREE: a device's interval notifier (P5's device half)
 * @MMRACE_MM_FAILING_HLIST: an hlist subscriber whose non-blocking start
 *	fails (P3's device half)
 * @MMRACE_MM_NR_USES: number of uses (not a use)
 */
enum mmrace_mm_use {
	MMRACE_MM_ITREE,
	MMRACE_MM_FAILING_HLIST,
	MMRACE_MM_NR_USES,
};

int mmrace_mm_claim(struct mm_struct *mm, enum mmrace_mm_use use,
		    bool allow_hang);
void mmrace_mm_unclaim(struct mm_struct *mm, enum mmrace_mm_use use);
void mmrace_mm_claims_exit(void);

#endif /* _MMRACE_MM_CLAIM_H */
