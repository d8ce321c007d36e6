/* SPDX-License-Identifier: GPL-2.0 */
/* mmrace P5: between the model (p5_faultq.c) and its device half. */
#ifndef _MMRACE_P5_FAULTQ_H
#define _MMRACE_P5_FAULTQ_H

#include <uapi/linux/mmrace/p5_faultq.h>

#include "mmrace.h"

/* The fake device with the fault queue (p5_faultq_dev.c). */
extern const struct mmrace_device mmrace_p5_faultq_dev;

#endif /* _MMRACE_P5_FAULTQ_H */
