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
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/cred.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mmrace_internal.h"

/* The registry: the patterns by id (ABI; listed in P-number order). */
static const struct mmrace_pattern *const mmrace_patterns[MMRACE_NR_PATTERNS] = {
	[MMRACE_P1_LOCKEDVM] = &mmrace_p1_lockedvm,
	[MMRACE_P2_VMALOCK] = &mmrace_p2_vmalock,
	[MMRACE_P3_MMUNOTIF] = &mmrace_p3_mmunotif,
	[MMRACE_P4_FORKPIN] = &mmrace_p4_forkpin,
	[MMRACE_P5_FAULTQ] = &mmrace_p5_faultq,
	[MMRACE_BASELINE] = &mmrace_baseline,
};

/* Largest number of variants of any pattern (size of the results table). */
#define MMRACE_MAX_VARIANTS	8

/* ---- module parameters ------------------------------------------------ */

static unsigned int threads;
static unsigned int duration_ms = 1000;
static unsigned int window_ns;
static char pattern[MMRACE_NAME_LEN] = "p1_lockedvm";
static char variant[MMRACE_NAME_LEN] = "add_unwind";

static int mmrace_param_set_bounded(const char *val,
				    const struct kernel_param *kp,
				    unsigned int min, unsigned int max)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v < min || v > max)
		return -EINVAL;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int mmrace_param_set_threads(const char *val,
				    const struct kernel_param *kp)
{
	return mmrace_param_set_bounded(val, kp, 0, MMRACE_THREADS_PER_CPU *
					num_possible_cpus());
}

static int mmrace_param_set_duration(const char *val,
				     const struct kernel_param *kp)
{
	return mmrace_param_set_bounded(val, kp, 1, MMRACE_MAX_DURATION_MS);
}

static int mmrace_param_set_window(const char *val,
				   const struct kernel_param *kp)
{
	return mmrace_param_set_bounded(val, kp, 0, MMRACE_MAX_WINDOW_NS);
}

static const struct kernel_param_ops mmrace_threads_ops = {
	.set = mmrace_param_set_threads,
	.get = param_get_uint,
};

static const struct kernel_param_ops mmrace_duration_ops = {
	.set = mmrace_param_set_duration,
	.get = param_get_uint,
};

static const struct kernel_param_ops mmrace_window_ops = {
	.set = mmrace_param_set_window,
	.get = param_get_uint,
};

module_param_cb(threads, &mmrace_threads_ops, &threads, 0644);
MODULE_PARM_DESC(threads,
		 "default kernel threads per run, bound to online CPUs in turn (0: one per online CPU; at most 4 per CPU)");
module_param_cb(duration_ms, &mmrace_duration_ops, &duration_ms, 0644);
MODULE_PARM_DESC(duration_ms, "default run duration in ms (1..60000)");
module_param_cb(window_ns, &mmrace_window_ops, &window_ns, 0644);
MODULE_PARM_DESC(window_ns,
		 "default busy-wait inside each race window in ns (0..1000000; 0: natural rate)");
/*
 * The pattern and variant names of 'echo 1 > run': validated when they are
 * set, with the newline echo adds dropped (param_set_copystring() keeps
 * it). A variant is valid when some pattern has it; whether the pattern
 * set has it is checked when the run starts.
 */
static int mmrace_param_set_name(const char *val,
				 const struct kernel_param *kp)
{
	const struct kparam_string *kps = kp->str;
	char buf[MMRACE_NAME_LEN], *name;
	bool found = false;
	unsigned int p, v;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -ENOSPC;
	name = strim(buf);
	for (p = 0; p < MMRACE_NR_PATTERNS && !found; p++) {
		const struct mmrace_pattern *pat = mmrace_patterns[p];

		if (kps->string == pattern) {
			found = !strcmp(pat->name, name);
			continue;
		}
		for (v = 0; v < pat->nr_variants && !found; v++)
			found = !strcmp(pat->variants[v].name, name);
	}
	if (!found)
		return -EINVAL;
	strscpy(kps->string, name, kps->maxlen);
	return 0;
}

static const struct kernel_param_ops mmrace_name_ops = {
	.set = mmrace_param_set_name,
	.get = param_get_string,
};

static struct kparam_string mmrace_pattern_kps = {
	.maxlen = sizeof(pattern),
	.string = pattern,
};

static struct kparam_string mmrace_variant_kps = {
	.maxlen = sizeof(variant),
	.string = variant,
};

module_param_cb(pattern, &mmrace_name_ops, &mmrace_pattern_kps, 0644);
MODULE_PARM_DESC(pattern,
		 "pattern run by 'echo 1 > /sys/kernel/debug/mmrace/run' (a pattern name: see modinfo's pattern lines)");
module_param_cb(variant, &mmrace_name_ops, &mmrace_variant_kps, 0644);
MODULE_PARM_DESC(variant,
		 "variant of that pattern run by 'echo 1 > run' (a variant name)");

static unsigned int mmrace_default_threads(void)
{
	unsigned int n = READ_ONCE(threads);

	if (!n)
		n = num_online_cpus();
	return min(n, num_online_cpus() * MMRACE_THREADS_PER_CPU);
}

static u64 mmrace_default_duration_ms(void)
{
	return READ_ONCE(duration_ms);
}

/* ---- the registry ------------------------------------------------------ */

static const struct mmrace_pattern *mmrace_pattern_get(u64 id)
{
	if (id >= MMRACE_NR_PATTERNS)
		return NULL;
	return mmrace_patterns[id];
}

static const struct mmrace_pattern *mmrace_pattern_by_name(const char *name)
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

static int mmrace_variant_by_name(const struct mmrace_pattern *pat,
				  const char *name)
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

/* ---- mms shared by a device's interval notifier and P3's subscribers ---- */

/*
 * One mm a device (P5's interval notifier) or P3's real subscribers (B's
 * failing non-blocking start) use, from any open file. The entry holds
 * the mm grabbed: once an interval notifier was inserted, the mm's
 * interval tree stays in every invalidation (the kernel never clears
 * has_itree), so B stays refused on that mm until the mm is gone.
 */
struct mmrace_mm_claim {
	struct list_head node;
	struct mm_struct *mm;
	unsigned int users[MMRACE_MM_NR_USES];
	bool had_itree;
};

static LIST_HEAD(mmrace_mm_claims);
static DEFINE_MUTEX(mmrace_mm_claims_lock);

static void mmrace_mm_claim_free(struct mmrace_mm_claim *c)
{
	list_del(&c->node);
	mmdrop(c->mm);
	kfree(c);
}

/*
 * Find @mm's entry; drop, on the way, entries no file uses any more whose
 * mm has exited (nothing can be registered or inserted there again).
 */
static struct mmrace_mm_claim *mmrace_mm_claim_find(struct mm_struct *mm)
{
	struct mmrace_mm_claim *c, *tmp, *found = NULL;

	list_for_each_entry_safe(c, tmp, &mmrace_mm_claims, node) {
		if (c->mm == mm)
			found = c;
		else if (!c->users[MMRACE_MM_ITREE] &&
			 !c->users[MMRACE_MM_FAILING_HLIST] &&
			 !atomic_read(&c->mm->mm_users))
			mmrace_mm_claim_free(c);
	}
	return found;
}

/**
 * mmrace_mm_claim() - record a use of @mm that the interval-notifier hang
 *	needs, refusing the second kind unless the caller opts in
 * @mm: the opener's mm (grabbed by the caller's file)
 * @use: MMRACE_MM_ITREE or MMRACE_MM_FAILING_HLIST
 * @allow_hang: the caller set its ioctl's ALLOW_ITREE_HANG flag
 *
 * An mm with both an mmu_interval_notifier and an hlist subscriber whose
 * non-blocking start fails can be left with its interval tree's
 * invalidation unended by a reap; every mmu_interval_read_begin() and
 * mmu_interval_notifier_remove() on it then waits forever, the caller in
 * D state and the module pinned (patterns/p3_mmunotif, found by this
 * project). The interval tree counts in every invalidation of an mm that
 * ever had an interval notifier, so a failing subscriber is refused on
 * such an mm for as long as it lives, a device only while a failing
 * subscriber is registered. Only the throw-away guests of the hang checks
 * opt in.
 *
 * Return: 0, -EDEADLK when @mm has (or, for a failing subscriber, had)
 * the other use and @allow_hang is false, -ENOMEM.
 */
int mmrace_mm_claim(struct mm_struct *mm, enum mmrace_mm_use use,
		    bool allow_hang)
{
	struct mmrace_mm_claim *c;
	bool other;
	int ret = 0;

	BUILD_BUG_ON(MMRACE_MM_NR_USES != 2);
	mutex_lock(&mmrace_mm_claims_lock);
	c = mmrace_mm_claim_find(mm);
	other = c && (c->users[!use] ||
		      (use == MMRACE_MM_FAILING_HLIST && c->had_itree));
	if (other && !allow_hang) {
		ret = -EDEADLK;
		goto out;
	}
	if (!c) {
		c = kzalloc_obj(*c, GFP_KERNEL);
		if (!c) {
			ret = -ENOMEM;
			goto out;
		}
		mmgrab(mm);
		c->mm = mm;
		list_add(&c->node, &mmrace_mm_claims);
	}
	c->users[use]++;
	if (use == MMRACE_MM_ITREE)
		c->had_itree = true;
out:
	mutex_unlock(&mmrace_mm_claims_lock);
	return ret;
}

/**
 * mmrace_mm_unclaim() - drop a use recorded by mmrace_mm_claim()
 * @mm: the mm
 * @use: the use claimed
 *
 * The entry stays while the mm had an interval notifier (see above).
 */
void mmrace_mm_unclaim(struct mm_struct *mm, enum mmrace_mm_use use)
{
	struct mmrace_mm_claim *c;

	mutex_lock(&mmrace_mm_claims_lock);
	c = mmrace_mm_claim_find(mm);
	if (!WARN_ON_ONCE(!c || !c->users[use]) && !--c->users[use] &&
	    !c->users[!use] && !c->had_itree)
		mmrace_mm_claim_free(c);
	mutex_unlock(&mmrace_mm_claims_lock);
}

/* Module exit: no file is open, drop every entry. */
static void mmrace_mm_claims_exit(void)
{
	struct mmrace_mm_claim *c, *tmp;

	list_for_each_entry_safe(c, tmp, &mmrace_mm_claims, node)
		mmrace_mm_claim_free(c);
}

/* ---- results ------------------------------------------------------------ */

static DEFINE_MUTEX(mmrace_results_lock);
static struct mmrace_run mmrace_results[MMRACE_NR_PATTERNS][MMRACE_MAX_VARIANTS];
static u64 mmrace_results_seq[MMRACE_NR_PATTERNS][MMRACE_MAX_VARIANTS];
static struct mmrace_run mmrace_last;
static u64 mmrace_last_seq;	/* 0: no run yet */
static atomic64_t mmrace_runs;

/*
 * Record a run's result, unless a later run (@seq: the harness's order)
 * was recorded first: the harness lets the next run in before this one
 * is recorded.
 */
static void mmrace_record_result(const struct mmrace_pattern *pat,
				 const struct mmrace_run *res, u64 seq)
{
	mutex_lock(&mmrace_results_lock);
	if (res->variant < MMRACE_MAX_VARIANTS &&
	    seq > mmrace_results_seq[pat->id][res->variant]) {
		mmrace_results[pat->id][res->variant] = *res;
		mmrace_results_seq[pat->id][res->variant] = seq;
	}
	if (seq > mmrace_last_seq) {
		mmrace_last = *res;
		mmrace_last_seq = seq;
	}
	mutex_unlock(&mmrace_results_lock);
	atomic64_inc(&mmrace_runs);
}

/*
 * Check a request against its pattern and the module's limits, and fill
 * in the defaults (threads, duration, seed): what the harness runs.
 */
static int mmrace_resolve(struct mmrace_run *req,
			  const struct mmrace_pattern **patp)
{
	unsigned int max_threads = num_online_cpus() * MMRACE_THREADS_PER_CPU;
	const struct mmrace_pattern *pat;
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
	if (req->threads == 0) {
		req->threads = mmrace_default_threads();
		if (pat->thread_step > 1)
			req->threads -= req->threads % pat->thread_step;
		req->threads = max_t(u64, req->threads, pat->min_threads);
	}
	if (req->threads < pat->min_threads || req->threads > max_threads)
		return -EINVAL;
	if (pat->thread_step > 1 && req->threads % pat->thread_step)
		return -EINVAL;
	if (req->duration_ms > MMRACE_MAX_DURATION_MS ||
	    req->iterations > MMRACE_MAX_ITERATIONS ||
	    req->window_ns > MMRACE_MAX_WINDOW_NS)
		return -EINVAL;
	if (!req->duration_ms && !req->iterations)
		req->duration_ms = mmrace_default_duration_ms();
	if (!req->seed)
		req->seed = get_random_u64() | 1;
	*patp = pat;
	return 0;
}

/*
 * One run, from /dev/mmrace or debugfs: resolve, run in the harness,
 * record. Its errors are mmrace_harness_run()'s and -EINVAL.
 */
static int mmrace_run(struct mmrace_run *req, struct mm_struct *mm)
{
	const struct mmrace_pattern *pat;
	u64 seq;
	int ret;

	ret = mmrace_resolve(req, &pat);
	if (ret)
		return ret;
	ret = mmrace_harness_run(pat, req, mm, &seq);
	if (!ret)
		mmrace_record_result(pat, req, seq);
	return ret;
}

static u64 mmrace_ns_per_op(const struct mmrace_run *r)
{
	return r->ops ? div64_u64(r->elapsed_ns * r->threads, r->ops) : 0;
}

static void mmrace_show_run(struct seq_file *m, const struct mmrace_run *r)
{
	const struct mmrace_pattern *pat = mmrace_pattern_get(r->pattern);
	unsigned int c;

	seq_printf(m, "pattern: %s\nvariant: %s\n", pat->name,
		   pat->variants[r->variant].name);
	seq_printf(m, "threads: %llu\nduration_ms: %llu\niterations: %llu\n",
		   r->threads, r->duration_ms, r->iterations);
	seq_printf(m, "window_ns: %llu\nseed: %llu\nflags: %llu\n",
		   r->window_ns, r->seed, r->flags);
	for (c = 0; c < MMRACE_NR_ARGS; c++)
		seq_printf(m, "arg%u: %llu\n", c, r->arg[c]);
	seq_printf(m, "ops: %llu\nelapsed_ns: %llu\nns_per_op: %llu\n",
		   r->ops, r->elapsed_ns, mmrace_ns_per_op(r));
	seq_printf(m, "violations: %llu\n", r->violations);
	if (r->first_detect_ns == U64_MAX)
		seq_puts(m, "first_detect_ns: none\n");
	else
		seq_printf(m, "first_detect_ns: %llu\n", r->first_detect_ns);
	for (c = 0; c < pat->nr_counters; c++)
		seq_printf(m, "%s: %llu\n", pat->counters[c].name,
			   r->counters[c]);
}

static int mmrace_last_show(struct seq_file *m, void *unused)
{
	mutex_lock(&mmrace_results_lock);
	if (mmrace_last_seq)
		mmrace_show_run(m, &mmrace_last);
	mutex_unlock(&mmrace_results_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mmrace_last);

static int mmrace_results_show(struct seq_file *m, void *unused)
{
	unsigned int p, v;

	seq_printf(m, "%-14s %-14s %7s %12s %10s %10s %14s\n", "pattern",
		   "variant", "threads", "ops", "ns/op", "violations",
		   "first_detect");
	mutex_lock(&mmrace_results_lock);
	for (p = 0; p < MMRACE_NR_PATTERNS; p++) {
		const struct mmrace_pattern *pat = mmrace_patterns[p];

		for (v = 0; v < pat->nr_variants && v < MMRACE_MAX_VARIANTS; v++) {
			const struct mmrace_run *r = &mmrace_results[p][v];

			if (!r->threads)
				continue;
			seq_printf(m, "%-14s %-14s %7llu %12llu %10llu %10llu ",
				   pat->name, pat->variants[v].name,
				   r->threads, r->ops, mmrace_ns_per_op(r),
				   r->violations);
			if (r->first_detect_ns == U64_MAX)
				seq_printf(m, "%14s\n", "-");
			else
				seq_printf(m, "%14llu\n", r->first_detect_ns);
		}
	}
	mutex_unlock(&mmrace_results_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mmrace_results);

static int mmrace_patterns_show(struct seq_file *m, void *unused)
{
	unsigned int p, i;

	for (p = 0; p < MMRACE_NR_PATTERNS; p++) {
		const struct mmrace_pattern *pat = mmrace_patterns[p];

		seq_printf(m, "%s: %s\n", pat->name, pat->title);
		for (i = 0; i < pat->nr_variants; i++)
			seq_printf(m, "  variant %-14s %-6s %s\n",
				   pat->variants[i].name,
				   pat->variants[i].flags & MMRACE_DF_BROKEN ?
				   "broken" : "fixed", pat->variants[i].desc);
		for (i = 0; i < pat->nr_counters; i++)
			seq_printf(m, "  counter %-14s %-6s %s\n",
				   pat->counters[i].name,
				   pat->counters[i].flags & MMRACE_DF_VIOLATION ?
				   "check" : "", pat->counters[i].desc);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mmrace_patterns);

/* ---- debugfs "run" ------------------------------------------------------- */

/* Longest line accepted by the run file. */
#define MMRACE_RUN_LINE		256

static const char mmrace_run_usage[] =
	"usage: echo '<pattern> <variant> [threads=N] [duration_ms=N] [iterations=N]\n"
	"             [window_ns=N] [seed=N] [flags=N] [argK=N]...' > run\n"
	"       echo 1 > run   (module parameters pattern, variant, threads, ...)\n"
	"results: cat last; cat results; names: cat patterns\n";

static ssize_t mmrace_run_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, count, ppos, mmrace_run_usage,
				       sizeof(mmrace_run_usage) - 1);
}

static int mmrace_parse_kv(struct mmrace_run *req, char *tok)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "threads", offsetof(struct mmrace_run, threads) },
		{ "duration_ms", offsetof(struct mmrace_run, duration_ms) },
		{ "iterations", offsetof(struct mmrace_run, iterations) },
		{ "window_ns", offsetof(struct mmrace_run, window_ns) },
		{ "seed", offsetof(struct mmrace_run, seed) },
		{ "flags", offsetof(struct mmrace_run, flags) },
	};
	char *val = strchr(tok, '=');
	unsigned int i;
	u64 v;

	if (!val)
		return -EINVAL;
	*val++ = '\0';
	if (kstrtou64(val, 0, &v))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strcmp(tok, keys[i].key)) {
			*(u64 *)((char *)req + keys[i].off) = v;
			return 0;
		}
	}
	if (!strncmp(tok, "arg", 3) && tok[3] >= '0' &&
	    tok[3] < '0' + MMRACE_NR_ARGS && !tok[4]) {
		req->arg[tok[3] - '0'] = v;
		return 0;
	}
	pr_err("run: unknown key '%s'\n", tok);
	return -EINVAL;
}

static int mmrace_parse_run(struct mmrace_run *req, char *line)
{
	char pbuf[MMRACE_NAME_LEN], vbuf[MMRACE_NAME_LEN];
	const struct mmrace_pattern *pat;
	char *pname, *vname, *tok;
	int v, ret;

	line = strim(line);
	req->window_ns = READ_ONCE(window_ns);
	if (!strcmp(line, "1")) {
		/* A copy: the parameters may be written meanwhile. */
		kernel_param_lock(THIS_MODULE);
		strscpy(pbuf, pattern, sizeof(pbuf));
		strscpy(vbuf, variant, sizeof(vbuf));
		kernel_param_unlock(THIS_MODULE);
		pname = pbuf;
		vname = vbuf;
		line = NULL;
	} else {
		pname = strsep(&line, " \t");
		vname = strsep(&line, " \t");
		if (!vname || !*vname)
			return -EINVAL;
	}
	pat = mmrace_pattern_by_name(pname);
	if (!pat)
		return -EINVAL;
	v = mmrace_variant_by_name(pat, vname);
	if (v < 0)
		return v;
	req->pattern = pat->id;
	req->variant = v;
	while ((tok = strsep(&line, " \t"))) {
		if (!*tok)
			continue;
		ret = mmrace_parse_kv(req, tok);
		if (ret)
			return ret;
	}
	return 0;
}

static ssize_t mmrace_run_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct mmrace_run *req;
	char *line;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (count >= MMRACE_RUN_LINE)
		return -E2BIG;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);
	req = kzalloc_obj(*req, GFP_KERNEL);
	if (!req) {
		kfree(line);
		return -ENOMEM;
	}
	ret = mmrace_parse_run(req, line);
	if (!ret)
		ret = mmrace_run(req, current->mm);
	kfree(req);
	kfree(line);
	return ret ? ret : count;
}

static const struct file_operations mmrace_run_fops = {
	.owner = THIS_MODULE,
	.read = mmrace_run_read,
	.write = mmrace_run_write,
	.llseek = default_llseek,
};

static struct dentry *mmrace_debugfs;

static void mmrace_debugfs_init(void)
{
	mmrace_debugfs = debugfs_create_dir("mmrace", NULL);
	debugfs_create_file("patterns", 0444, mmrace_debugfs, NULL,
			    &mmrace_patterns_fops);
	debugfs_create_file("results", 0444, mmrace_debugfs, NULL,
			    &mmrace_results_fops);
	debugfs_create_file("last", 0444, mmrace_debugfs, NULL,
			    &mmrace_last_fops);
	debugfs_create_file("run", 0600, mmrace_debugfs, NULL,
			    &mmrace_run_fops);
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

/* Whether the patterns fit the tables and no ioctl number is taken twice. */
static bool mmrace_patterns_valid(void)
{
	unsigned int p, i;

	for (p = 0; p < MMRACE_NR_PATTERNS; p++) {
		const struct mmrace_pattern *pat = mmrace_patterns[p];

		if (!pat || pat->id != p ||
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

	if (WARN_ON(!mmrace_patterns_valid()))
		return -EINVAL;
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
	debugfs_remove_recursive(mmrace_debugfs);
	misc_deregister(&mmrace_misc);
	for (p = MMRACE_NR_PATTERNS; p--; )
		mmrace_pattern_exit(mmrace_patterns[p]);
	mmrace_mm_claims_exit();
}

module_init(mmrace_init);
module_exit(mmrace_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("mmrace developers");
MODULE_DESCRIPTION("Reproduce, measure and verify mm concurrency patterns");
MODULE_INFO(test, "Y");
