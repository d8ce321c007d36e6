// SPDX-License-Identifier: GPL-2.0
/*
 * mmrace_ctl: list, run and tabulate mmrace patterns through /dev/mmrace.
 *
 *   mmrace_ctl list
 *   mmrace_ctl run PATTERN VARIANT [threads=N] [duration_ms=N]
 *                  [iterations=N] [window_ns=N] [seed=N] [flags=N] [argK=N]
 *   mmrace_ctl table [-d MS] [-w NS] [-t THREADS] [-r RUNS] [-c]
 *   mmrace_ctl bench [-d MS] [-w NS] [-r RUNS] [-T N,N,...] [-p PATTERN]...
 *
 * "table" runs every variant of every pattern with its defaults, at window
 * 0 and at the widened window, and prints one row each (-c: CSV, one row
 * per run).
 *
 * "bench" is the benchmark matrix behind `make bench`: every variant of
 * every pattern at each thread count of -T (default 1, 2 and every online
 * CPU), at window 0 and widened (the baseline at window 0 only), plus P2's
 * read lock alone (no writers); RUNS runs each, one CSV row per run; -p
 * (repeatable) limits it to the patterns named.
 * Thread counts a pattern cannot run at (P4 needs pairs) are left out.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <linux/mmrace/p2_vmalock.h>

#include "mmrace_lib.h"

static int fd;

/*
 * What DESCRIBE does not tell, by pattern name: the baseline has no race
 * window to widen (table and bench run it at window 0 only); bench adds
 * P2's read lock alone (no writers), the refscale anchors, as a cell of
 * its own for each variant and thread count.
 */
static const struct ctl_extra {
	const char *pattern;
	bool no_window;
	const char *suffix;	/* bench: one more cell, named VARIANT:suffix, */
	unsigned int arg;	/* with this argument set to 1 */
} ctl_extras[] = {
	{ .pattern = "baseline", .no_window = true },
	{ .pattern = "p2_vmalock", .suffix = ":read_only",
	  .arg = MMRACE_P2_ARG_READ_ONLY },
};

/* The extra of the pattern named @name (one with nothing extra if none). */
static const struct ctl_extra *ctl_extra(const char *name)
{
	static const struct ctl_extra none;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ctl_extras); i++)
		if (!strcmp(ctl_extras[i].pattern, name))
			return &ctl_extras[i];
	return &none;
}

static void die(const char *what)
{
	fprintf(stderr, "mmrace_ctl: %s: %s\n", what, strerror(errno));
	exit(1);
}

static const char *name_of(__u64 p, __u64 v, __u64 c, __u64 *flags)
{
	static struct mmrace_describe d;

	if (mmrace_describe(fd, p, v, c, &d))
		die("describe");
	if (flags)
		*flags = d.flags;
	return d.name;
}

static int find(const char *pname, const char *vname, __u64 *p, __u64 *v)
{
	struct mmrace_info info;
	struct mmrace_describe d;

	if (ioctl(fd, MMRACE_IOC_INFO, &info))
		die("info");
	for (*p = 0; *p < info.nr_patterns; (*p)++) {
		if (mmrace_describe(fd, *p, MMRACE_NONE, MMRACE_NONE, &d))
			die("describe");
		if (strcmp(d.name, pname))
			continue;
		for (*v = 0; *v < d.nr_variants; (*v)++)
			if (!strcmp(name_of(*p, *v, MMRACE_NONE, NULL), vname))
				return 0;
		fprintf(stderr, "mmrace_ctl: no variant %s of %s\n", vname, pname);
		return -1;
	}
	fprintf(stderr, "mmrace_ctl: no pattern %s\n", pname);
	return -1;
}

static void cmd_list(void)
{
	struct mmrace_describe d;
	struct mmrace_info info;
	__u64 p, i, flags;

	if (ioctl(fd, MMRACE_IOC_INFO, &info))
		die("info");
	printf("abi %llu, %llu patterns, %llu CPUs, kernel flags %#llx\n",
	       info.abi_version, info.nr_patterns, info.online_cpus,
	       info.kernel_flags);
	for (p = 0; p < info.nr_patterns; p++) {
		if (mmrace_describe(fd, p, MMRACE_NONE, MMRACE_NONE, &d))
			die("describe");
		printf("%s: %s\n", d.name, d.desc);
		for (i = 0; i < d.nr_variants; i++) {
			const char *n = name_of(p, i, MMRACE_NONE, &flags);

			printf("  %-14s %s\n", n,
			       flags & MMRACE_DF_BROKEN ? "broken" : "fixed");
		}
	}
}

static void print_run(const struct mmrace_run *r)
{
	__u64 c, flags;

	printf("pattern: %s\n", name_of(r->pattern, MMRACE_NONE, MMRACE_NONE, NULL));
	printf("variant: %s\n", name_of(r->pattern, r->variant, MMRACE_NONE, NULL));
	printf("threads: %llu\nops: %llu\nelapsed_ns: %llu\nns_per_op: %.1f\n",
	       r->threads, r->ops, r->elapsed_ns, mmrace_ns_per_op(r));
	printf("window_ns: %llu\nseed: %llu\nviolations: %llu\n", r->window_ns,
	       r->seed, r->violations);
	if (r->first_detect_ns == MMRACE_NONE)
		printf("first_detect_ns: none\n");
	else
		printf("first_detect_ns: %llu\n", r->first_detect_ns);
	for (c = 0; c < r->nr_counters; c++) {
		const char *n = name_of(r->pattern, MMRACE_NONE, c, &flags);
		bool bad = (flags & MMRACE_DF_VIOLATION) && r->counters[c];

		printf("%s: %llu%s\n", n, r->counters[c], bad ? "  !!!" : "");
	}
}

static int cmd_run(int argc, char **argv)
{
	struct mmrace_run r;
	__u64 p, v;
	int i;

	if (argc < 2 || find(argv[0], argv[1], &p, &v))
		return 2;
	mmrace_run_init(&r, p, v);
	for (i = 2; i < argc; i++) {
		if (mmrace_run_set_kv(&r, argv[i])) {
			fprintf(stderr, "mmrace_ctl: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	if (mmrace_run(fd, &r)) {
		fprintf(stderr, "mmrace_ctl: run: %s\n", strerror(errno));
		return 1;
	}
	print_run(&r);
	return 0;
}

struct table_opts {
	__u64 duration_ms;
	__u64 window_ns;
	__u64 threads;
	unsigned int runs;
	bool csv;
	/* Rows: races seen by broken variants, clean fixed ones, others. */
	unsigned int seen, not_seen, clean, unexpected, errors;
};

static void table_row(struct table_opts *o, __u64 p, __u64 v,
		      __u64 window, unsigned int run)
{
	const char *pn = name_of(p, MMRACE_NONE, MMRACE_NONE, NULL);
	char pname[MMRACE_NAME_LEN];
	struct mmrace_run r;
	double rate;
	__u64 flags;
	int ret;

	snprintf(pname, sizeof(pname), "%s", pn);
	mmrace_run_init(&r, p, v);
	r.duration_ms = o->duration_ms;
	r.window_ns = window;
	r.threads = o->threads;
	ret = mmrace_run(fd, &r);
	const char *vn = name_of(p, v, MMRACE_NONE, &flags);

	if (ret) {
		o->errors++;
		printf(o->csv ? "%s,%s,%llu,%u,error,%s\n" :
				"%-12s %-18s %6llu run %u: %s\n",
		       pname, vn, (unsigned long long)window, run,
		       strerror(-ret));
		return;
	}
	rate = r.ops ? 1e6 * r.violations / r.ops : 0;
	if (o->csv) {
		printf("%s,%s,%s,%llu,%u,%llu,%llu,%llu,%.2f,%llu,%.3f,%lld\n",
		       pname, vn, flags & MMRACE_DF_BROKEN ? "broken" : "fixed",
		       r.window_ns, run, r.threads, r.ops, r.elapsed_ns,
		       mmrace_ns_per_op(&r), r.violations, rate,
		       r.first_detect_ns == MMRACE_NONE ? -1LL :
		       (long long)r.first_detect_ns);
		return;
	}
	printf("%-12s %-18s %-6s %6llu %3llu %11llu %8.1f %10llu %10.1f ",
	       pname, vn, flags & MMRACE_DF_BROKEN ? "broken" : "fixed",
	       r.window_ns, r.threads, r.ops, mmrace_ns_per_op(&r),
	       r.violations, rate);
	if (r.first_detect_ns == MMRACE_NONE)
		printf("%12s", "-");
	else
		printf("%12.1f", r.first_detect_ns / 1e3);
	/* A broken variant should show its race, a fixed one never. */
	if (flags & MMRACE_DF_BROKEN)
		printf("  %s\n", r.violations ? "race seen" : "race not seen");
	else
		printf("  %s\n", r.violations ? "VIOLATION" : "ok");
	if (r.violations)
		*(flags & MMRACE_DF_BROKEN ? &o->seen : &o->unexpected) += 1;
	else
		*(flags & MMRACE_DF_BROKEN ? &o->not_seen : &o->clean) += 1;
	fflush(stdout);
}

static int cmd_table(int argc, char **argv)
{
	struct table_opts o = { .duration_ms = 1000, .window_ns = 2000,
				.runs = 1 };
	const struct ctl_extra *x;
	struct mmrace_describe d;
	struct mmrace_info info;
	__u64 p, v, w;
	unsigned int run;
	int opt;

	while ((opt = getopt(argc, argv, "d:w:t:r:c")) != -1) {
		switch (opt) {
		case 'd': o.duration_ms = strtoull(optarg, NULL, 0); break;
		case 'w': o.window_ns = strtoull(optarg, NULL, 0); break;
		case 't': o.threads = strtoull(optarg, NULL, 0); break;
		case 'r': o.runs = strtoul(optarg, NULL, 0); break;
		case 'c': o.csv = true; break;
		default: return 2;
		}
	}
	if (ioctl(fd, MMRACE_IOC_INFO, &info))
		die("info");
	if (o.csv)
		printf("pattern,variant,kind,window_ns,run,threads,ops,elapsed_ns,ns_per_op,violations,violations_per_mop,first_detect_ns\n");
	else
		printf("%-12s %-18s %-6s %6s %3s %11s %8s %10s %10s %12s\n",
		       "pattern", "variant", "kind", "window", "thr", "ops",
		       "ns/op", "violations", "per Mop", "first(us)");
	for (p = 0; p < info.nr_patterns; p++) {
		if (mmrace_describe(fd, p, MMRACE_NONE, MMRACE_NONE, &d))
			die("describe");
		fprintf(stderr, "mmrace_ctl: pattern %llu/%llu: %s, %llu variants\n",
			p + 1, info.nr_patterns, d.name, d.nr_variants);
		x = ctl_extra(d.name);
		for (v = 0; v < d.nr_variants; v++)
			for (w = 0; w < (x->no_window ? 1 : 2); w++)
				for (run = 0; run < o.runs; run++)
					table_row(&o, p, v, w ? o.window_ns : 0,
						  run);
	}
	if (!o.csv)
		printf("\n%u rows: broken variants showed their race in %u (not in %u: rare at window 0, or never on this CPU), fixed variants clean in %u, with violations in %u; %u runs failed\n",
		       o.seen + o.not_seen + o.clean + o.unexpected + o.errors,
		       o.seen, o.not_seen, o.clean, o.unexpected, o.errors);
	return o.unexpected || o.errors;
}

struct bench_opts {
	__u64 duration_ms;
	__u64 window_ns;
	unsigned int runs;
	__u64 threads[8];
	unsigned int nr_threads;
	const char *only[8];
	unsigned int nr_only;
};

static bool bench_wanted(const struct bench_opts *o, const char *name)
{
	unsigned int i;

	for (i = 0; i < o->nr_only; i++)
		if (!strcmp(o->only[i], name))
			return true;
	return !o->nr_only;
}

/* One CSV row per run; a thread count the pattern refuses is left out. */
static void bench_cell(const struct bench_opts *o, __u64 p, __u64 v,
		       const char *suffix, __u64 threads, __u64 window,
		       const __u64 *arg, __u64 run_flags)
{
	char pname[MMRACE_NAME_LEN], vname[MMRACE_NAME_LEN + 16];
	struct mmrace_run r;
	unsigned int run, i;
	__u64 flags;
	int ret;

	snprintf(pname, sizeof(pname), "%s",
		 name_of(p, MMRACE_NONE, MMRACE_NONE, NULL));
	snprintf(vname, sizeof(vname), "%s%s", name_of(p, v, MMRACE_NONE, &flags),
		 suffix);
	for (run = 0; run < o->runs; run++) {
		mmrace_run_init(&r, p, v);
		r.threads = threads;
		r.duration_ms = o->duration_ms;
		r.window_ns = window;
		r.flags = run_flags;
		for (i = 0; arg && i < MMRACE_NR_ARGS; i++)
			r.arg[i] = arg[i];
		ret = mmrace_run(fd, &r);
		if (ret == -EINVAL && run == 0)
			return;
		if (ret) {
			fprintf(stderr, "mmrace_ctl: %s %s threads %llu: %s\n",
				pname, vname, threads, strerror(-ret));
			continue;
		}
		printf("%s,%s,%s,%llu,%llu,%u,%llu,%llu,%.2f,%.4f,%llu,%.3f,%lld\n",
		       pname, vname, flags & MMRACE_DF_BROKEN ? "broken" : "fixed",
		       r.threads, r.window_ns, run, r.ops, r.elapsed_ns,
		       mmrace_ns_per_op(&r),
		       r.elapsed_ns ? 1e3 * r.ops / r.elapsed_ns : 0.0,
		       r.violations, r.ops ? 1e6 * r.violations / r.ops : 0.0,
		       r.first_detect_ns == MMRACE_NONE ? -1LL :
		       (long long)r.first_detect_ns);
		fflush(stdout);
	}
}

static int parse_threads(struct bench_opts *o, char *list)
{
	char *tok, *save = NULL, *end;

	o->nr_threads = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nr_threads == sizeof(o->threads) / sizeof(o->threads[0]))
			return -1;
		o->threads[o->nr_threads] = strtoull(tok, &end, 10);
		if (*end || !o->threads[o->nr_threads])
			return -1;
		o->nr_threads++;
	}
	return o->nr_threads ? 0 : -1;
}

static int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = { .duration_ms = 300, .window_ns = 2000,
				.runs = 5 };
	__u64 arg[MMRACE_NR_ARGS];
	const struct ctl_extra *x;
	struct mmrace_describe d;
	struct mmrace_info info;
	__u64 p, v, w;
	unsigned int t;
	int opt;

	if (ioctl(fd, MMRACE_IOC_INFO, &info))
		die("info");
	o.threads[o.nr_threads++] = 1;
	if (info.online_cpus >= 2)
		o.threads[o.nr_threads++] = 2;
	if (info.online_cpus > 2)
		o.threads[o.nr_threads++] = info.online_cpus;
	while ((opt = getopt(argc, argv, "d:w:r:T:p:")) != -1) {
		switch (opt) {
		case 'd': o.duration_ms = strtoull(optarg, NULL, 0); break;
		case 'w': o.window_ns = strtoull(optarg, NULL, 0); break;
		case 'r': o.runs = strtoul(optarg, NULL, 0); break;
		case 'T':
			if (parse_threads(&o, optarg)) {
				fprintf(stderr, "mmrace_ctl: bad -T %s\n", optarg);
				return 2;
			}
			break;
		case 'p':
			if (o.nr_only == sizeof(o.only) / sizeof(o.only[0]))
				return 2;
			o.only[o.nr_only++] = optarg;
			break;
		default: return 2;
		}
	}
	if (!o.runs || !o.duration_ms)
		return 2;
	printf("pattern,variant,kind,threads,window_ns,run,ops,elapsed_ns,ns_per_op,mops_per_s,violations,violations_per_mop,first_detect_ns\n");
	for (p = 0; p < info.nr_patterns; p++) {
		if (mmrace_describe(fd, p, MMRACE_NONE, MMRACE_NONE, &d))
			die("describe");
		if (!bench_wanted(&o, d.name))
			continue;
		fprintf(stderr, "bench: %s\n", d.name);
		x = ctl_extra(d.name);
		for (v = 0; v < d.nr_variants; v++)
			for (t = 0; t < o.nr_threads; t++) {
				for (w = 0; w < (x->no_window ? 1 : 2); w++)
					bench_cell(&o, p, v, "", o.threads[t],
						   w ? o.window_ns : 0, NULL, 0);
				/*
				 * Beside each batched cell at window 0, the
				 * same one call per operation: the harness's
				 * cost before and after batching, in one run.
				 */
				if (d.flags & MMRACE_DF_BATCH)
					bench_cell(&o, p, v, ":unbatched",
						   o.threads[t], 0, NULL,
						   MMRACE_RUN_NO_BATCH);
			}
		if (!x->suffix)
			continue;
		memset(arg, 0, sizeof(arg));
		arg[x->arg] = 1;
		for (v = 0; v < d.nr_variants; v++)
			for (t = 0; t < o.nr_threads; t++)
				bench_cell(&o, p, v, x->suffix, o.threads[t],
					   0, arg, 0);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mmrace_ctl list\n"
		"       mmrace_ctl run PATTERN VARIANT [key=value]...\n"
		"       mmrace_ctl table [-d MS] [-w NS] [-t THREADS] [-r RUNS] [-c]\n"
		"       mmrace_ctl bench [-d MS] [-w NS] [-r RUNS] [-T N,N,...] [-p PATTERN]...\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	fd = mmrace_open();
	if (fd < 0)
		die(MMRACE_DEV_PATH);
	if (!strcmp(argv[1], "list")) {
		cmd_list();
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "table"))
		return cmd_table(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 1, argv + 1);
	usage();
	return 2;
}
