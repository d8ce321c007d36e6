/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: between the core (core.c: the registry, request validation,
 * /dev/mmrace), its shell interface (debugfs.c: module parameters, the
 * debugfs files, recent results) and the run harness (harness.c: threads,
 * the start gate, stop conditions, merging). The core resolves a request
 * into const parameters, the harness runs them and fills a result it
 * owns, and the core copies that into the request once; the harness never
 * calls the core. Pattern files use mmrace.h alone.
 */
#ifndef _MMRACE_INTERNAL_H
#define _MMRACE_INTERNAL_H

#include "mmrace.h"

/* Largest number of variants of any pattern (size of the results table). */
#define MMRACE_MAX_VARIANTS	12

/**
 * struct mmrace_result - what a run measured, owned by the harness
 * @ops: operations done by all threads
 * @elapsed_ns: time from the start gate to the last thread's stop
 * @first_detect_ns: time from the start gate to the first violation, or
 *	U64_MAX for none
 * @violations: sum of the counters flagged MMRACE_DF_VIOLATION
 * @counters: the pattern's counters: the threads' merged, then its
 *	&mmrace_pattern.finish's final checks
 */
struct mmrace_result {
	u64 ops;
	u64 elapsed_ns;
	u64 first_detect_ns;
	u64 violations;
	u64 counters[MMRACE_MAX_COUNTERS];
};

/* harness.c */
int mmrace_harness_run(const struct mmrace_pattern *pat,
		       const struct mmrace_params *params, struct mm_struct *mm,
		       struct mmrace_result *res, u64 *seq);
void mmrace_harness_shutdown(void);

/* core.c */
const struct mmrace_pattern *mmrace_pattern_get(u64 id);
const struct mmrace_pattern *mmrace_pattern_by_name(const char *name);
int mmrace_variant_by_name(const struct mmrace_pattern *pat, const char *name);
int mmrace_run(struct mmrace_run *req, struct mm_struct *mm);

/* debugfs.c */
unsigned int mmrace_default_threads(void);
u64 mmrace_default_duration_ms(void);
int mmrace_params_check(void);
void mmrace_record_result(const struct mmrace_pattern *pat,
			  const struct mmrace_run *res, u64 seq);
void mmrace_debugfs_init(void);
void mmrace_debugfs_exit(void);

#endif /* _MMRACE_INTERNAL_H */
