// SPDX-License-Identifier: GPL-2.0
/*
 * mmrace_kunit.ko: KUnit suites of the patterns' model code (P1's charge
 * helpers, P2's reference-count states, P3's chain walk), built only
 * against a kernel with CONFIG_KUNIT. The suites run single-threaded when
 * the module loads; results in the kernel log (KTAP) and in debugfs
 * kunit/<suite>/results. The harness is not part of this module: a race
 * window is never asked for here, and no device half is built in.
 */
#include <linux/module.h>

#include "p3_mmunotif.h"

/* P3's device half is not part of this module; its model refers to it. */
const struct mmrace_device mmrace_p3_mmunotif_dev;

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmrace: KUnit suites of the patterns' model code");
MODULE_AUTHOR("mmrace developers");
