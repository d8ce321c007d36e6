/* SPDX-License-Identifier: GPL-2.0 */
/* mmrace P4: between the model (p4_forkpin.c) and its device half. */
#ifndef _MMRACE_P4_FORKPIN_H
#define _MMRACE_P4_FORKPIN_H

#include <uapi/linux/mmrace/p4_forkpin.h>

#include "mmrace.h"

/* The real pins (p4_forkpin_dev.c). */
extern const struct mmrace_device mmrace_p4_forkpin_dev;

#endif /* _MMRACE_P4_FORKPIN_H */
