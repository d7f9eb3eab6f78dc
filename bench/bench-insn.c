/* SPDX-License-Identifier: MIT */
/*
 * bench-insn: instructions and time per operation, for the budgets of
 * issue 14, comparable across machines.
 *
 * Each operation runs on a fresh machine, set up and warmed first; only
 * the run itself, inside bench_insn_measured(), is counted:
 *   optimize_2m        hvo_hugepage_optimize() of one 2M hugepage
 *                      (sharedtail, its PMD split already: steady state)
 *   restore_2m         hvo_hugepage_restore() of one
 *   pool_grow_2m       hvo_set_nr_hugepages() from 0 to N, per hugepage
 *                      (buddy allocation, prep and HVO)
 *   pool_shrink_2m     and back to 0, per hugepage
 *   arm64_alloc_free   hvo_alloc_pages() + hvo_free_pages() of order 0,
 *                      one pair, on arm64
 *   check_x86_64_64T   hvo_machine_check() of a 64 TiB machine just booted
 *                      (almost all of it never touched)
 *   boot_*             hvo_machine_new() of the largest machines
 *
 * Instructions are user-space only. They come from the CPU's counter
 * (perf_event_open(), PERF_COUNT_HW_INSTRUCTIONS) when the host has one;
 * else, for each operation, this program runs itself under valgrind's
 * callgrind, collecting inside bench_insn_measured() only, and divides
 * the total. Machines whose host address space valgrind cannot reserve
 * (the big boots) then report no instruction count, and say why. Time is
 * always measured natively: the median of the runs, per operation.
 *
 * Usage: bench-insn [--quick] [--no-valgrind] [--op NAME]
 * --op runs one operation once, in bench_insn_measured() (what the
 * callgrind child does). Results go to stdout as JSON. Numbers are
 * reported, never asserted; the exit status reflects errors and
 * hvo_machine_check().
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"
#include "hvo/hvo.h"

#define SZ_2M (UINT64_C(2) << 20)

struct ctx {
	struct hvo_machine *m;
	uint64_t *pfn;
	uint64_t n;
	bool quick;
};

struct op {
	const char *name;
	const char *spec;
	const char *quick_spec; /* with --quick, if not @spec: small boots */
	uint64_t n;          /* operations per run */
	uint64_t quick_n;    /* with --quick */
	int (*setup)(struct ctx *c);
	int (*run)(struct ctx *c);
	bool boot;           /* the run builds the machine itself */
	const char *budget;  /* issue 14's target, as text */
};

static int
fail(struct ctx *c, const char *what, int rc)
{
	fprintf(stderr, "bench-insn: %s: %d (%s)\n", what, rc,
		c->m ? hvo_machine_error(c->m) : "");
	return rc ? rc : -EIO;
}

/* A pool of n 2M hugepages, optimized at allocation, and their pfns. */
static int
setup_pool(struct ctx *c)
{
	int rc = hvo_set_nr_hugepages(c->m, SZ_2M, c->n);

	if (rc)
		return fail(c, "grow", rc);
	c->pfn = calloc(c->n, sizeof(*c->pfn));
	if (!c->pfn)
		return -ENOMEM;
	for (uint64_t i = 0; i < c->n; i++) {
		rc = hvo_hugepage_pfn(c->m, SZ_2M, i, &c->pfn[i]);
		if (rc)
			return fail(c, "hugepage pfn", rc);
	}
	return 0;
}

static int
pass(struct ctx *c, bool optimize)
{
	for (uint64_t i = 0; i < c->n; i++) {
		int rc = optimize ? hvo_hugepage_optimize(c->m, c->pfn[i]) :
				    hvo_hugepage_restore(c->m, c->pfn[i]);

		if (rc)
			return fail(c, optimize ? "optimize" : "restore", rc);
	}
	return 0;
}

static int
run_optimize(struct ctx *c)
{
	return pass(c, true);
}

static int
run_restore(struct ctx *c)
{
	return pass(c, false);
}

/* Restored, optimized, restored again: what run_optimize() starts from. */
static int
setup_optimize(struct ctx *c)
{
	int rc = setup_pool(c);

	if (!rc)
		rc = pass(c, false);
	if (!rc)
		rc = pass(c, true);
	if (!rc)
		rc = pass(c, false);
	return rc;
}

static int
setup_restore(struct ctx *c)
{
	int rc = setup_optimize(c);

	return rc ? rc : pass(c, true);
}

static int
run_grow(struct ctx *c)
{
	int rc = hvo_set_nr_hugepages(c->m, SZ_2M, c->n);

	return rc ? fail(c, "grow", rc) : 0;
}

static int
run_shrink(struct ctx *c)
{
	int rc = hvo_set_nr_hugepages(c->m, SZ_2M, 0);

	return rc ? fail(c, "shrink", rc) : 0;
}

/* One grow and shrink first: deferred init and PMD splits are done. */
static int
setup_grow(struct ctx *c)
{
	int rc = run_grow(c);

	return rc ? rc : run_shrink(c);
}

static int
setup_shrink(struct ctx *c)
{
	int rc = setup_grow(c);

	return rc ? rc : run_grow(c);
}

static int
run_alloc_free(struct ctx *c)
{
	for (uint64_t i = 0; i < c->n; i++) {
		uint64_t pfn;
		int rc = hvo_alloc_pages(c->m, 0, HVO_GFP_KERNEL, &pfn);

		if (!rc)
			rc = hvo_free_pages(c->m, pfn, 0);
		if (rc)
			return fail(c, "alloc/free", rc);
	}
	return 0;
}

static int
setup_alloc_free(struct ctx *c)
{
	return run_alloc_free(c);
}

static int
setup_none(struct ctx *c)
{
	(void)c;
	return 0;
}

static int
run_check(struct ctx *c)
{
	int rc = hvo_machine_check(c->m);

	return rc ? fail(c, "hvo_machine_check()", rc) : 0;
}

static const struct op ops[] = {
	{ "optimize_2m", "x86_64:mem=8G,hvo=sharedtail", NULL, 1024, 64,
	  setup_optimize, run_optimize, false, "3000 instructions" },
	{ "restore_2m", "x86_64:mem=8G,hvo=sharedtail", NULL, 1024, 64,
	  setup_restore, run_restore, false, "3000 instructions" },
	{ "pool_grow_2m", "x86_64:mem=8G,hvo=sharedtail", NULL, 2048, 64,
	  setup_grow, run_grow, false, "6000 instructions" },
	{ "pool_shrink_2m", "x86_64:mem=8G,hvo=sharedtail", NULL, 2048, 64,
	  setup_shrink, run_shrink, false, "5000 instructions" },
	{ "arm64_alloc_free", "arm64:mem=4G", NULL, 20000, 1000,
	  setup_alloc_free, run_alloc_free, false, "100 ns" },
	{ "check_x86_64_64T", "x86_64:mem=64T", "x86_64:mem=1T", 1, 1,
	  setup_none, run_check, false, "20 ms per TiB untouched" },
	{ "boot_x86_64_64T", "x86_64:mem=64T", "x86_64:mem=1T", 1, 1,
	  NULL, NULL, true, "2 s end to end with the check" },
	{ "boot_x86_64_5l_4P", "x86_64:levels=5,mem=4P",
	  "x86_64:levels=5,mem=1G@0+1G@4095T", 1, 1,
	  NULL, NULL, true, "2 s (the 4 PiB target)" },
	{ "boot_arm64_64k_52_3967T", "arm64-64k-52:mem=3967T",
	  "arm64-64k-52:mem=1G@0x40000000+1G@1P", 1, 1,
	  NULL, NULL, true, "2 s (the 4 PiB target; the vmemmap region ends below)" },
};

#define NR_OPS (sizeof(ops) / sizeof(ops[0]))

/*
 * The counted region, by name for callgrind's --toggle-collect: nothing
 * but the operation runs between entry and return.
 */
/* The machine an operation runs on. */
static const char *
op_spec(const struct op *op, bool quick)
{
	return quick && op->quick_spec ? op->quick_spec : op->spec;
}

__attribute__((noinline)) int
bench_insn_measured(const struct op *op, struct ctx *c);

__attribute__((noinline)) int
bench_insn_measured(const struct op *op, struct ctx *c)
{
	if (op->boot) {
		struct hvo_config cfg;
		char err[256];
		int rc = hvo_config_parse(&cfg, op_spec(op, c->quick), err,
					  sizeof(err));

		if (!rc)
			rc = hvo_machine_new(&cfg, &c->m, err, sizeof(err));
		if (rc)
			fprintf(stderr, "bench-insn: %s: %s\n",
				op_spec(op, c->quick), err);
		return rc;
	}
	return op->run(c);
}

/* A user-space instruction counter, or -1. */
static int
counter_open(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static int
setup_ctx(const struct op *op, struct ctx *c, bool quick)
{
	memset(c, 0, sizeof(*c));
	c->n = quick ? op->quick_n : op->n;
	c->quick = quick;
	if (op->boot)
		return 0;
	c->m = bench_machine_new("bench-insn", op->spec);
	if (!c->m)
		return -EINVAL;
	return op->setup(c);
}

/* Check the machine after the run, and free it. */
static int
finish_ctx(struct ctx *c)
{
	int rc = 0;

	if (c->m && hvo_machine_check(c->m))
		rc = fail(c, "hvo_machine_check()", -EUCLEAN);
	hvo_machine_free(c->m);
	free(c->pfn);
	memset(c, 0, sizeof(*c));
	return rc;
}

/* One run: ns per operation, and instructions per operation if @fd >= 0. */
static int
run_once(const struct op *op, bool quick, int fd, double *ns, double *insn)
{
	struct ctx c;
	uint64_t t0, count = 0;
	int rc = setup_ctx(op, &c, quick);

	if (rc) {
		finish_ctx(&c);
		return rc;
	}
	if (fd >= 0) {
		ioctl(fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	}
	t0 = bench_now_ns();
	rc = bench_insn_measured(op, &c);
	*ns = (double)(bench_now_ns() - t0) / (double)c.n;
	if (fd >= 0) {
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		if (read(fd, &count, sizeof(count)) != sizeof(count))
			count = 0;
		*insn = (double)count / (double)c.n;
	}
	if (!rc)
		rc = finish_ctx(&c);
	else
		finish_ctx(&c);
	return rc;
}

/*
 * Instructions per operation under callgrind: this program again, with
 * --op, collecting inside bench_insn_measured() only. Returns false if
 * valgrind is missing or the child failed (*why says which).
 */
static bool
callgrind_count(const char *self, const struct op *op, bool quick,
		double *insn, const char **why)
{
	char out[] = "/tmp/bench-insn-XXXXXX", cmd[1024], line[256];
	uint64_t total = 0, n = quick ? op->quick_n : op->n;
	bool found = false;
	int fd = mkstemp(out), status;
	FILE *f;

	if (fd < 0) {
		*why = "no temporary file";
		return false;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "valgrind --tool=callgrind --callgrind-out-file=%s --collect-atstart=no "
		 "--toggle-collect=bench_insn_measured '%s' --op %s%s >/dev/null 2>&1",
		 out, self, op->name, quick ? " --quick" : "");
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*why = WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
		       "valgrind is not installed" :
		       "fails under valgrind (it cannot reserve the host address space this machine needs)";
		unlink(out);
		return false;
	}
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "totals: %" SCNu64, &total) == 1)
			found = true;
	if (f)
		fclose(f);
	unlink(out);
	if (!found) {
		*why = "no totals in callgrind's output";
		return false;
	}
	*insn = (double)total / (double)n;
	return true;
}

/* The child: one setup, one counted run. */
static int
run_op(const char *name, bool quick)
{
	for (size_t i = 0; i < NR_OPS; i++) {
		struct ctx c;
		int rc;

		if (strcmp(ops[i].name, name))
			continue;
		rc = setup_ctx(&ops[i], &c, quick);
		if (!rc)
			rc = bench_insn_measured(&ops[i], &c);
		if (!rc)
			rc = finish_ctx(&c);
		else
			finish_ctx(&c);
		return rc ? 1 : 0;
	}
	fprintf(stderr, "bench-insn: no operation %s\n", name);
	return 2;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_json j;
	bool valgrind = true;
	const char *only = NULL;
	int fd, status = 0;

	bench_opts_init(&o, false);
	argc = bench_parse_args(&o, argc, argv);
	if (argc < 0)
		return 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-valgrind") == 0) {
			valgrind = false;
		} else if (strcmp(argv[i], "--op") == 0 && i + 1 < argc) {
			only = argv[++i];
		} else {
			fprintf(stderr, "bench-insn: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (only)
		return run_op(only, o.quick);

	fd = counter_open();
	bench_json_begin(&j, stdout, "insn");
	for (size_t i = 0; i < NR_OPS; i++) {
		const struct op *op = &ops[i];
		unsigned runs = o.quick ? 1 : op->boot ? 3 : 5;
		double ns[5], insn[5], tmp[5];
		struct bench_result r = { 0 };
		const char *method = NULL, *why = NULL;
		double per = 0;
		unsigned k;

		for (k = 0; k < runs; k++)
			if (run_once(op, o.quick, fd, &ns[k], &insn[k])) {
				status = 1;
				break;
			}
		if (k < runs)
			continue;
		r.ns_per_op_median = bench_median(ns, runs, tmp);
		r.ns_per_op_min = tmp[0];
		r.ns_per_op_max = tmp[runs - 1];
		r.batches = runs;
		r.batch_ops = o.quick ? op->quick_n : op->n;
		r.ops = r.batch_ops * runs;
		r.stable = true;
		if (fd >= 0) {
			method = "perf_event";
			per = bench_median(insn, runs, tmp);
		} else if (!valgrind) {
			why = "no instruction counter on this host, and --no-valgrind";
		} else if (callgrind_count(argv[0], op, o.quick, &per, &why)) {
			method = "callgrind";
		}
		bench_json_result_begin(&j, op->name, op_spec(op, o.quick), &r);
		bench_json_u64(&j, "ops_per_run", r.batch_ops);
		if (method)
			bench_json_double(&j, "instructions_per_op", per);
		else
			bench_json_str(&j, "instructions_per_op", NULL);
		bench_json_str(&j, "instructions_method", method);
		if (why)
			bench_json_str(&j, "instructions_missing", why);
		bench_json_str(&j, "budget", op->budget);
		bench_json_result_end(&j);
	}
	if (fd >= 0)
		close(fd);
	if (bench_json_end(&j))
		status = 1;
	return status;
}
