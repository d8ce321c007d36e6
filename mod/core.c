// SPDX-License-Identifier: GPL-2.0
/*
 * mmrace: reproduce, measure and verify memory-management concurrency
 * patterns on real CPUs.
 *
 * Control goes through the misc device /dev/mmrace (ioctls, see
 * include/uapi/linux/mmrace.h), which works under kernel lockdown; results
 * are also readable in /sys/kernel/debug/mmrace/, where a "run" file starts
 * a run from the shell.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/cred.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mmrace_internal.h"

/*
 * The registry: the patterns by id, filled from patterns.h at load (by
 * mmrace_registry_init(); module parameters are parsed before that).
 */
static const struct mmrace_pattern *mmrace_patterns[MMRACE_NR_PATTERNS] __ro_after_init;

/* Runs completed since the module was loaded (&mmrace_info.runs). */
static atomic64_t mmrace_runs;

/* ---- the registry ------------------------------------------------------ */

/**
 * mmrace_pattern_get() - a pattern by id
 * @id: &enum mmrace_pattern_id, from a caller (any value)
 *
 * Return: the pattern, or NULL for an id no pattern has.
 */
const struct mmrace_pattern *mmrace_pattern_get(u64 id)
{
	if (id >= MMRACE_NR_PATTERNS)
		return NULL;
	return mmrace_patterns[id];
}

/**
 * mmrace_pattern_by_name() - a pattern by its short name
 * @name: the name (debugfs, module parameters)
 *
 * Return: the pattern, or NULL (the valid names are logged).
 */
const struct mmrace_pattern *mmrace_pattern_by_name(const char *name)
{
	char valid[128] = "";
	unsigned int i;

	for (i = 0; i < MMRACE_NR_PATTERNS; i++) {
		if (!strcmp(mmrace_patterns[i]->name, name))
			return mmrace_patterns[i];
		strlcat(valid, " ", sizeof(valid));
		strlcat(valid, mmrace_patterns[i]->name, sizeof(valid));
	}
	pr_err("unknown pattern '%s'; valid:%s\n", name, valid);
	return NULL;
}

/**
 * mmrace_variant_by_name() - a variant of @pat by its short name
 * @pat: the pattern
 * @name: the variant's name
 *
 * Return: the variant's index, or -EINVAL (the valid names are logged).
 */
int mmrace_variant_by_name(const struct mmrace_pattern *pat, const char *name)
{
	char valid[128] = "";
	unsigned int i;

	for (i = 0; i < pat->nr_variants; i++) {
		if (!strcmp(pat->variants[i].name, name))
			return i;
		strlcat(valid, " ", sizeof(valid));
		strlcat(valid, pat->variants[i].name, sizeof(valid));
	}
	pr_err("unknown variant '%s' of %s; valid:%s\n", name, pat->name,
	       valid);
	return -EINVAL;
}

/* ---- a run: request in, parameters to the harness, result out --------- */

/*
 * Check a request against its pattern and the module's limits, and give
 * the harness its parameters with the defaults (threads, duration, seed)
 * filled in. The request is not written.
 */
static int mmrace_resolve(const struct mmrace_run *req,
			  const struct mmrace_pattern **patp,
			  struct mmrace_params *prm)
{
	unsigned int max_threads = num_online_cpus() * MMRACE_THREADS_PER_CPU;
	const struct mmrace_pattern *pat;
	u64 threads = req->threads;
	unsigned int i;

	pat = mmrace_pattern_get(req->pattern);
	if (!pat)
		return -EINVAL;
	if (req->variant >= pat->nr_variants)
		return -EINVAL;
	if (req->flags & ~MMRACE_RUN_FLAGS)
		return -EINVAL;
	for (i = pat->nr_args; i < MMRACE_NR_ARGS; i++)
		if (req->arg[i])
			return -EINVAL;
	if (threads == 0) {
		threads = mmrace_default_threads();
		if (pat->thread_step > 1)
			threads -= threads % pat->thread_step;
		threads = max_t(u64, threads, pat->min_threads);
	}
	if (threads < pat->min_threads || threads > max_threads)
		return -EINVAL;
	if (pat->thread_step > 1 && threads % pat->thread_step)
		return -EINVAL;
	if (req->duration_ms > MMRACE_MAX_DURATION_MS ||
	    req->iterations > MMRACE_MAX_ITERATIONS ||
	    req->window_ns > MMRACE_MAX_WINDOW_NS)
		return -EINVAL;

	memset(prm, 0, sizeof(*prm));
	prm->variant = req->variant;
	prm->threads = threads;
	prm->duration_ms = req->duration_ms;
	prm->iterations = req->iterations;
	if (!prm->duration_ms && !prm->iterations)
		prm->duration_ms = mmrace_default_duration_ms();
	prm->window_ns = req->window_ns;
	prm->seed = req->seed ?: get_random_u64() | 1;
	prm->flags = req->flags;
	memcpy(prm->arg, req->arg, sizeof(prm->arg));
	*patp = pat;
	return 0;
}

/*
 * The run's output, copied into the request once: the parameters it ran
 * with (threads, duration, seed: to replay it) and the harness's result.
 */
static void mmrace_fill_run(struct mmrace_run *req,
			    const struct mmrace_pattern *pat,
			    const struct mmrace_params *prm,
			    const struct mmrace_result *res)
{
	req->threads = prm->threads;
	req->duration_ms = prm->duration_ms;
	req->seed = prm->seed;
	req->ops = res->ops;
	req->elapsed_ns = res->elapsed_ns;
	req->violations = res->violations;
	req->first_detect_ns = res->first_detect_ns;
	req->nr_counters = pat->nr_counters;
	memcpy(req->counters, res->counters, sizeof(req->counters));
}

/**
 * mmrace_run() - one run, from /dev/mmrace or debugfs
 * @req: the request; on success its output fields (and the threads,
 *	duration and seed used) are filled in
 * @mm: the mm of the file the run came through (debugfs: the caller's)
 *
 * Resolves the request, runs it in the harness and records the result.
 *
 * Return: 0, -EINVAL for a request out of bounds, or
 * mmrace_harness_run()'s error.
 */
int mmrace_run(struct mmrace_run *req, struct mm_struct *mm)
{
	const struct mmrace_pattern *pat;
	struct mmrace_params prm;
	struct mmrace_result *res;
	u64 seq;
	int ret;

	ret = mmrace_resolve(req, &pat, &prm);
	if (ret)
		return ret;
	res = kzalloc_obj(*res, GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	ret = mmrace_harness_run(pat, &prm, mm, res, &seq);
	if (!ret) {
		mmrace_fill_run(req, pat, &prm, res);
		mmrace_record_result(pat, req, seq);
		atomic64_inc(&mmrace_runs);
	}
	kfree(res);
	return ret;
}

/* ---- /dev/mmrace ----------------------------------------------------------- */

static int mmrace_open(struct inode *inode, struct file *file)
{
	struct mmrace_file *mf;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!current->mm)
		return -EINVAL;
	mf = kzalloc_obj(*mf, GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	mutex_init(&mf->lock);
	mf->mm = current->mm;
	mmgrab(mf->mm);
	mf->opener = get_task_pid(current, PIDTYPE_TGID);
	file->private_data = mf;
	return nonseekable_open(inode, file);
}

static int mmrace_release(struct inode *inode, struct file *file)
{
	struct mmrace_file *mf = file->private_data;
	unsigned int p;

	/*
	 * Each device half undoes only its own state (pins, notifiers, the
	 * queue); none depends on another's, so the order is free: last
	 * pattern first.
	 */
	for (p = ARRAY_SIZE(mmrace_patterns); p--; ) {
		const struct mmrace_device *dev = mmrace_patterns[p]->dev;

		if (dev && dev->release)
			dev->release(mf);
	}
	put_pid(mf->opener);
	mmdrop(mf->mm);
	mutex_destroy(&mf->lock);
	kfree(mf);
	return 0;
}

static int mmrace_ioc_info(struct mmrace_file *mf, void *arg)
{
	struct mmrace_info *info = arg;
	u64 kf = 0;

	if (IS_ENABLED(CONFIG_PROVE_LOCKING))
		kf |= MMRACE_KF_LOCKDEP;
	if (IS_ENABLED(CONFIG_KASAN))
		kf |= MMRACE_KF_KASAN;
	if (IS_ENABLED(CONFIG_KCSAN))
		kf |= MMRACE_KF_KCSAN;
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kf |= MMRACE_KF_PREEMPT_RT;
	if (IS_ENABLED(CONFIG_DEBUG_VM))
		kf |= MMRACE_KF_DEBUG_VM;

	memset(info, 0, sizeof(*info));
	info->abi_version = MMRACE_ABI_VERSION;
	info->nr_patterns = MMRACE_NR_PATTERNS;
	info->online_cpus = num_online_cpus();
	info->max_threads = num_online_cpus() * MMRACE_THREADS_PER_CPU;
	info->max_duration_ms = MMRACE_MAX_DURATION_MS;
	info->max_window_ns = MMRACE_MAX_WINDOW_NS;
	info->kernel_flags = kf;
	info->runs = atomic64_read(&mmrace_runs);
	return 0;
}

static int mmrace_ioc_describe(struct mmrace_file *mf, void *arg)
{
	struct mmrace_describe *d = arg;
	const struct mmrace_pattern *pat = mmrace_pattern_get(d->pattern);
	const char *name, *desc;
	u64 flags = 0;

	if (!pat)
		return -EINVAL;
	if (d->variant != MMRACE_NONE && d->counter != MMRACE_NONE)
		return -EINVAL;
	if (d->variant != MMRACE_NONE) {
		if (d->variant >= pat->nr_variants)
			return -EINVAL;
		name = pat->variants[d->variant].name;
		desc = pat->variants[d->variant].desc;
		flags = pat->variants[d->variant].flags;
	} else if (d->counter != MMRACE_NONE) {
		if (d->counter >= pat->nr_counters)
			return -EINVAL;
		name = pat->counters[d->counter].name;
		desc = pat->counters[d->counter].desc;
		flags = pat->counters[d->counter].flags;
	} else {
		name = pat->name;
		desc = pat->title;
		if (pat->op_batch)
			flags |= MMRACE_DF_BATCH;
	}
	d->flags = flags;
	d->nr_variants = pat->nr_variants;
	d->nr_counters = pat->nr_counters;
	memset(d->name, 0, sizeof(d->name));
	memset(d->desc, 0, sizeof(d->desc));
	strscpy(d->name, name, sizeof(d->name));
	strscpy(d->desc, desc, sizeof(d->desc));
	return 0;
}

static int mmrace_ioc_run(struct mmrace_file *mf, void *arg)
{
	/* Output fields of a reused struct are overwritten, never read. */
	return mmrace_run(arg, mf->mm);
}

/*
 * ptrace's attach check for a caller of another mm, with the real
 * credentials (PTRACE_MODE_ATTACH_REALCREDS): the same real uid and gid
 * as every one of the opener's, and a dumpable mm; or CAP_SYS_PTRACE in
 * the opener's user namespace (and the mm's, when it is not dumpable; on
 * 7.x the opener's exec_state holds both, mmrace_dumpable_or_capable()).
 * ptrace_may_access() itself is not exported to modules; LSM ptrace hooks
 * are not consulted here. The mm checked for dumpability is the file's
 * (the one the caller would act on), not the opener's current one.
 */
static bool mmrace_may_attach(struct task_struct *task, struct mm_struct *mm)
{
	const struct cred *cred = current_cred(), *tcred;
	bool ok;

	if (same_thread_group(task, current))
		return true;
	/* A counted reference, ordered before the dumpable read. */
	tcred = get_task_cred(task);
	ok = uid_eq(cred->uid, tcred->euid) && uid_eq(cred->uid, tcred->suid) &&
	     uid_eq(cred->uid, tcred->uid) && gid_eq(cred->gid, tcred->egid) &&
	     gid_eq(cred->gid, tcred->sgid) && gid_eq(cred->gid, tcred->gid);
	if (!ok)
		ok = ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	put_cred(tcred);
	return ok && mmrace_dumpable_or_capable(task, mm);
}

/*
 * Whether the caller may act on the opener's mm (pin there, fault there and
 * read the mirror, charge its counters, steer its notifiers): a task of
 * that mm may; another holder of the file (inherited, passed over a
 * socket, taken with pidfd_getfd()) only when it could attach to the
 * opener with ptrace, as process_vm_readv() requires, and, once the opener
 * is gone, with CAP_SYS_PTRACE.
 */
static int mmrace_may_use_mm(struct mmrace_file *mf)
{
	struct task_struct *task;
	bool ok;

	if (current->mm == mf->mm)
		return 0;
	task = get_pid_task(mf->opener, PIDTYPE_TGID);
	if (!task)
		return capable(CAP_SYS_PTRACE) ? 0 : -EPERM;
	ok = mmrace_may_attach(task, mf->mm);
	put_task_struct(task);
	return ok ? 0 : -EPERM;
}

/*
 * The core's own ioctls; the patterns' come with their device halves.
 * INFO and DESCRIBE (like P5's FAULTQ_WAIT) answer any holder of the
 * file: they tell nothing about the opener's mm and change nothing there
 * (Documentation/interface.rst, "Who may act on the opener's mm").
 */
static const struct mmrace_ioctl mmrace_ioctls[] = {
	MMRACE_IOCTL(MMRACE_IOC_INFO, struct mmrace_info, runs,
		     mmrace_ioc_info, 0),
	MMRACE_IOCTL(MMRACE_IOC_DESCRIBE, struct mmrace_describe, desc,
		     mmrace_ioc_describe, 0),
	/* P1's real targets charge the opener's mm. */
	MMRACE_IOCTL(MMRACE_IOC_RUN, struct mmrace_run, counters,
		     mmrace_ioc_run, MMRACE_IOF_OPENER_MM),
};

/* The row of ioctl number @nr: the core's, or a pattern's device half's. */
static const struct mmrace_ioctl *mmrace_ioctl_find(unsigned int nr)
{
	unsigned int p, i;

	for (i = 0; i < ARRAY_SIZE(mmrace_ioctls); i++)
		if (mmrace_ioctls[i].nr == nr)
			return &mmrace_ioctls[i];
	for (p = 0; p < ARRAY_SIZE(mmrace_patterns); p++) {
		const struct mmrace_device *dev = mmrace_patterns[p]->dev;

		for (i = 0; dev && i < dev->nr_ioctls; i++)
			if (dev->ioctls[i].nr == nr)
				return &dev->ioctls[i];
	}
	return NULL;
}

static long mmrace_ioctl(struct file *file, unsigned int cmd,
			 unsigned long uarg)
{
	struct mmrace_file *mf = file->private_data;
	void __user *uptr = (void __user *)uarg;
	const struct mmrace_ioctl *ioc;
	size_t usize = _IOC_SIZE(cmd);
	void *buf;
	long ret;

	if (_IOC_TYPE(cmd) != MMRACE_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOTTY;
	ioc = mmrace_ioctl_find(_IOC_NR(cmd));
	if (!ioc)
		return -ENOTTY;
	if (usize < ioc->minsize)
		return -EINVAL;
	/* The uapi's bound: a struct's versions grow up to one page. */
	if (usize > PAGE_SIZE)
		return -E2BIG;
	if (ioc->flags & MMRACE_IOF_OPENER_MM) {
		ret = mmrace_may_use_mm(mf);
		if (ret)
			return ret;
	}

	buf = kzalloc(ioc->ksize, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = copy_struct_from_user(buf, ioc->ksize, uptr, usize);
	if (ret)
		goto out;
	/*
	 * The result must be able to reach the caller before anything is
	 * done (a pin whose id is lost, a run whose result is lost): the
	 * caller's own bytes are written back first, -EFAULT on a
	 * read-only struct.
	 */
	if (copy_to_user(uptr, buf, min(usize, ioc->ksize))) {
		ret = -EFAULT;
		goto out;
	}

	if (ioc->flags & MMRACE_IOF_UNLOCKED) {
		ret = ioc->fn(mf, buf);
	} else if (mutex_lock_interruptible(&mf->lock)) {
		ret = -EINTR;
		goto out;
	} else {
		ret = ioc->fn(mf, buf);
		mutex_unlock(&mf->lock);
	}
	if ((ioc->flags & MMRACE_IOF_PFN) &&
	    !ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN))
		*(u64 *)((char *)buf + ioc->pfn_off) = 0;
	if (!ret && copy_to_user(uptr, buf, min(usize, ioc->ksize)))
		ret = -EFAULT;
out:
	kfree(buf);
	return ret;
}

static const struct file_operations mmrace_fops = {
	.owner = THIS_MODULE,
	.open = mmrace_open,
	.release = mmrace_release,
	.unlocked_ioctl = mmrace_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice mmrace_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mmrace",
	.fops = &mmrace_fops,
	.mode = 0600,
};

/* A pattern's unload hooks: its device half's, then its model's. */
static void mmrace_pattern_exit(const struct mmrace_pattern *pat)
{
	if (pat->dev && pat->dev->exit)
		pat->dev->exit();
	if (pat->exit)
		pat->exit();
}

/* A pattern's load hooks: its model's, then its device half's. */
static int mmrace_pattern_init(const struct mmrace_pattern *pat)
{
	int ret = pat->init ? pat->init() : 0;

	if (ret || !pat->dev || !pat->dev->init)
		return ret;
	ret = pat->dev->init();
	if (ret && pat->exit)
		pat->exit();
	return ret;
}

/*
 * Fill the registry from its list, and check it: every id has its pattern
 * (a line per id, no id twice), the patterns fit the tables and no ioctl
 * number is taken twice.
 */
static bool __init mmrace_registry_init(void)
{
	unsigned int p, i;

#define MMRACE_PATTERN(id, name)	(mmrace_patterns[id] = &mmrace_##name)
#include "patterns.h"
#undef MMRACE_PATTERN

	/* Every slot first: the ioctl lookup below walks them all. */
	for (p = 0; p < MMRACE_NR_PATTERNS; p++)
		if (!mmrace_patterns[p])
			return false;
	for (p = 0; p < MMRACE_NR_PATTERNS; p++) {
		const struct mmrace_pattern *pat = mmrace_patterns[p];

		if (pat->id != p ||
		    pat->nr_variants > MMRACE_MAX_VARIANTS ||
		    pat->nr_counters > MMRACE_MAX_COUNTERS)
			return false;
		for (i = 0; pat->dev && i < pat->dev->nr_ioctls; i++)
			if (mmrace_ioctl_find(pat->dev->ioctls[i].nr) !=
			    &pat->dev->ioctls[i])
				return false;
	}
	return true;
}

static int __init mmrace_init(void)
{
	unsigned int p;
	int ret;

	if (WARN_ON(!mmrace_registry_init()))
		return -EINVAL;
	ret = mmrace_params_check();
	if (ret)
		return ret;
	for (p = 0; p < MMRACE_NR_PATTERNS; p++) {
		ret = mmrace_pattern_init(mmrace_patterns[p]);
		if (ret)
			goto err_patterns;
	}
	ret = misc_register(&mmrace_misc);
	if (ret)
		goto err_patterns;
	mmrace_debugfs_init();
	pr_info("loaded: %u patterns, /dev/mmrace, debugfs mmrace/\n",
		MMRACE_NR_PATTERNS);
	return 0;
err_patterns:
	while (p--)
		mmrace_pattern_exit(mmrace_patterns[p]);
	return ret;
}

static void __exit mmrace_exit(void)
{
	unsigned int p;

	mmrace_harness_shutdown();
	mmrace_debugfs_exit();
	misc_deregister(&mmrace_misc);
	for (p = MMRACE_NR_PATTERNS; p--; )
		mmrace_pattern_exit(mmrace_patterns[p]);
}

module_init(mmrace_init);
module_exit(mmrace_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("mmrace developers");
MODULE_DESCRIPTION("Reproduce, measure and verify mm concurrency patterns");
/* dkms.conf's PACKAGE_VERSION (scripts/lint checks that they agree). */
MODULE_VERSION("0.5");
MODULE_INFO(test, "Y");
