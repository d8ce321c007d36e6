/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmrace: kernel API differences between the kernels it builds on (6.1 to
 * 7.3), decided by feature tests, never by version numbers: a macro the
 * newer API brings, or a Kbuild grep of the header (mod/Kbuild).
 */
#ifndef _MMRACE_COMPAT_H
#define _MMRACE_COMPAT_H

#include <linux/bitops.h>
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#ifdef MMRACE_TASK_EXEC_STATE
#include <linux/sched/exec_state.h>
#endif

/*
 * VISIBLE_IF_KUNIT, EXPORT_SYMBOL_IF_KUNIT (<kunit/visibility.h>): what the
 * KUnit module (mmrace_kunit.ko) tests is static, unless the kernel has
 * KUnit: then global and exported in the EXPORTED_FOR_KUNIT_TESTING
 * namespace. A kernel without the header (6.1) has no KUnit here either.
 * The feature test is Kbuild's (sparse knows no __has_include).
 */
#ifdef MMRACE_HAS_KUNIT_VISIBILITY
#include <kunit/visibility.h>
#else
#define VISIBLE_IF_KUNIT	static
#define MMRACE_NO_EXPORT(symbol)
#define EXPORT_SYMBOL_IF_KUNIT	MMRACE_NO_EXPORT
#endif

/*
 * The KUnit module imports the namespace EXPORT_SYMBOL_IF_KUNIT() exports
 * to: named by a string since 6.13, by an identifier before (a Kbuild
 * grep of <linux/module.h>).
 */
#ifdef MMRACE_IMPORT_NS_IDENTIFIER
#define MMRACE_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#else
#define MMRACE_IMPORT_KUNIT_NS()	MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#endif

/*
 * kzalloc_obj(P, gfp): one zeroed object of P's type. 7.x's slab.h has it,
 * typed (and 7.x's checkpatch asks for it over kzalloc(sizeof(...))); on
 * older kernels it is this untyped equivalent (the 7.x build checks the
 * types). Always called with its gfp here.
 */
#ifndef kzalloc_obj
#define kzalloc_obj(P, gfp)	kzalloc(sizeof(P), gfp)
#endif

/*
 * WQ_PERCPU: 7.x warns at alloc_workqueue() unless a workqueue says
 * WQ_PERCPU or WQ_UNBOUND (per-CPU was the unsaid default before, and the
 * device's workers are queued on chosen CPUs). An enum value there, so the
 * feature test is a Kbuild grep of <linux/workqueue.h>.
 */
#ifndef MMRACE_HAS_WQ_PERCPU
#define WQ_PERCPU	0
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

/**
 * mmrace_dumpable_or_capable() - ptrace's dumpability test for an attach
 * @task: the task to attach to (the file's opener)
 * @mm: the mm the caller would act on (the file's)
 *
 * True when the target is dumpable by its owner (SUID_DUMP_USER), or the
 * caller has CAP_SYS_PTRACE in the user namespace the target's dumpability
 * belongs to. Until 6.x that state lives in the mm (get_dumpable(),
 * mm->user_ns); 7.x moved it to the task's exec_state (dumpable and
 * user_ns there, read under RCU as ptrace does). The header
 * <linux/sched/exec_state.h> is the feature test (mod/Kbuild).
 *
 * Return: true if the dumpability part of an attach check passes.
 */
static inline bool mmrace_dumpable_or_capable(struct task_struct *task,
					      struct mm_struct *mm)
{
#ifdef MMRACE_TASK_EXEC_STATE
	const struct task_exec_state *es;
	bool ok = false;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	if (es)
		ok = READ_ONCE(es->dumpable) == TASK_DUMPABLE_OWNER ||
		     ns_capable(es->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	return ok;
#else
	return get_dumpable(mm) == SUID_DUMP_USER ||
	       ns_capable(mm->user_ns, CAP_SYS_PTRACE);
#endif
}

#endif /* _MMRACE_COMPAT_H */
