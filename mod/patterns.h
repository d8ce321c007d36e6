/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: the registry, one line per pattern, as cgroup_subsys.h lists the
 * cgroup controllers: MMRACE_PATTERN(ID, name) for the pattern whose uapi
 * id is ID and whose file name.c defines struct mmrace_pattern
 * mmrace_<name> (and name_dev.c, when there is one, its device half).
 * Included with MMRACE_PATTERN defined, no include guard: mmrace.h makes
 * the externs, core.c fills the table by id, mod/Kbuild reads the object
 * list.
 * P-number order; the ids are the ABI's and need not follow it.
 */
MMRACE_PATTERN(MMRACE_P1_LOCKEDVM, p1_lockedvm);
MMRACE_PATTERN(MMRACE_P2_VMALOCK, p2_vmalock);
MMRACE_PATTERN(MMRACE_P3_MMUNOTIF, p3_mmunotif);
MMRACE_PATTERN(MMRACE_P4_FORKPIN, p4_forkpin);
MMRACE_PATTERN(MMRACE_P5_FAULTQ, p5_faultq);
MMRACE_PATTERN(MMRACE_BASELINE, baseline);
