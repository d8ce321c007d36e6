/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: between the core (core.c: the device, debugfs, the registry,
 * request validation, results) and the run harness (harness.c: threads,
 * the start gate, stop conditions, merging). The core calls the harness
 * with a resolved request and records what it returns; the harness never
 * calls the core. Pattern files use mmrace.h alone.
 */
#ifndef _MMRACE_INTERNAL_H
#define _MMRACE_INTERNAL_H

#include "mmrace.h"

int mmrace_harness_run(const struct mmrace_pattern *pat,
		       struct mmrace_run *req, struct mm_struct *mm, u64 *seq);
void mmrace_harness_shutdown(void);

#endif /* _MMRACE_INTERNAL_H */
