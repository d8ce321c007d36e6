/* SPDX-License-Identifier: GPL-2.0 */
/* mmrace P3: between the model (p3_mmunotif.c) and its device half. */
#ifndef _MMRACE_P3_MMUNOTIF_H
#define _MMRACE_P3_MMUNOTIF_H

#include <uapi/linux/mmrace/p3_mmunotif.h>

#include "mmrace.h"

/* The real subscribers (p3_mmunotif_dev.c). */
extern const struct mmrace_device mmrace_p3_mmunotif_dev;

#endif /* _MMRACE_P3_MMUNOTIF_H */
