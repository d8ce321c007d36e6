// SPDX-License-Identifier: GPL-2.0
/*
 * mmrace_kunit.ko: KUnit suites of the patterns' model code (P1's charge
 * helpers, P2's reference-count states, P3's chain walk), built only
 * against a kernel with CONFIG_KUNIT. The suites run single-threaded when
 * the module loads; results in the kernel log (KTAP) and in debugfs
 * kunit/<suite>/results. It needs mmrace.ko loaded first (the model code it
 * tests is mmrace.ko's); the harness is never run here: a race window is
 * never asked for, and no device half is called.
 */
#include <linux/module.h>

#include "mmrace_compat.h"

/* The helpers tested are mmrace.ko's, exported to KUnit modules only. */
MMRACE_IMPORT_KUNIT_NS();

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmrace: KUnit suites of the patterns' model code");
MODULE_AUTHOR("mmrace developers");
