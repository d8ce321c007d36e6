// SPDX-License-Identifier: GPL-2.0
/*
 * mmrace: the module's shell interface. Its parameters (the defaults every
 * run takes, and the pattern and variant of 'echo 1 > run') and
 * /sys/kernel/debug/mmrace/: the patterns with their variants and
 * counters, the results of recent runs, and the run file, whose line is
 * parsed into the same request MMRACE_IOC_RUN takes and run through
 * mmrace_run(). The core hands it each result and asks it for defaults.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mmrace_internal.h"

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
/* Whether a pattern (@is_pattern) or some pattern's variant is @name. */
static bool mmrace_name_known(bool is_pattern, const char *name)
{
	unsigned int p, v;

	for (p = 0; p < MMRACE_NR_PATTERNS; p++) {
		const struct mmrace_pattern *pat = mmrace_pattern_get(p);

		if (is_pattern && !strcmp(pat->name, name))
			return true;
		for (v = 0; !is_pattern && v < pat->nr_variants; v++)
			if (!strcmp(pat->variants[v].name, name))
				return true;
	}
	return false;
}

/*
 * The pattern and variant names of 'echo 1 > run': validated when they are
 * set, with the newline echo adds dropped (param_set_copystring() keeps
 * it). A variant is valid when some pattern has it; whether the pattern
 * set has it is checked when the run starts. Names given at load come
 * before the registry is filled: mmrace_params_check() validates them.
 */
static int mmrace_param_set_name(const char *val,
				 const struct kernel_param *kp)
{
	const struct kparam_string *kps = kp->str;
	char buf[MMRACE_NAME_LEN], *name;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -ENOSPC;
	name = strim(buf);
	if (mmrace_pattern_get(0) &&
	    !mmrace_name_known(kps->string == pattern, name))
		return -EINVAL;
	strscpy(kps->string, name, kps->maxlen);
	return 0;
}

/**
 * mmrace_params_check() - validate the names given at load
 *
 * Called once the registry is filled, before anything else reads them.
 *
 * Return: 0, or -EINVAL (logged) when the pattern or variant parameter
 * names none.
 */
int mmrace_params_check(void)
{
	if (!mmrace_name_known(true, pattern) ||
	    !mmrace_name_known(false, variant)) {
		pr_err("unknown pattern '%s' or variant '%s'\n", pattern,
		       variant);
		return -EINVAL;
	}
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
		 "pattern run by 'echo 1 > /sys/kernel/debug/mmrace/run' (a pattern name: cat /sys/kernel/debug/mmrace/patterns lists them with their variants)");
module_param_cb(variant, &mmrace_name_ops, &mmrace_variant_kps, 0644);
MODULE_PARM_DESC(variant,
		 "variant of that pattern run by 'echo 1 > run' (a variant name)");

/* The default of &mmrace_run.threads: the parameter, within the limit. */
unsigned int mmrace_default_threads(void)
{
	unsigned int n = READ_ONCE(threads);

	if (!n)
		n = num_online_cpus();
	return min(n, num_online_cpus() * MMRACE_THREADS_PER_CPU);
}

/* The default of &mmrace_run.duration_ms. */
u64 mmrace_default_duration_ms(void)
{
	return READ_ONCE(duration_ms);
}

/* ---- results of recent runs --------------------------------------------- */

static DEFINE_MUTEX(mmrace_results_lock);
static struct mmrace_run mmrace_results[MMRACE_NR_PATTERNS][MMRACE_MAX_VARIANTS];
static u64 mmrace_results_seq[MMRACE_NR_PATTERNS][MMRACE_MAX_VARIANTS];
static struct mmrace_run mmrace_last;
static u64 mmrace_last_seq;	/* 0: no run yet */

/**
 * mmrace_record_result() - keep a run's request and result for debugfs
 * @pat: its pattern
 * @res: the request with its result, as MMRACE_IOC_RUN returns it
 * @seq: the run's place in the harness's order
 *
 * Kept as the last run and its variant's, unless a later run was recorded
 * first: the harness lets the next run in before this one is recorded.
 */
void mmrace_record_result(const struct mmrace_pattern *pat,
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
		const struct mmrace_pattern *pat = mmrace_pattern_get(p);

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
		const struct mmrace_pattern *pat = mmrace_pattern_get(p);

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

/* Module load: the directory and its files (none is needed to run). */
void mmrace_debugfs_init(void)
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

/* Module unload, after the last run. */
void mmrace_debugfs_exit(void)
{
	debugfs_remove_recursive(mmrace_debugfs);
}
