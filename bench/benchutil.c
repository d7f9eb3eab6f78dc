/* SPDX-License-Identifier: MIT */
/*
 * The benchmark harness: see benchutil.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <time.h>

#include <hvo/hvo.h>

#include "benchutil.h"

volatile uint64_t bench_sink;

void
bench_opts_init(struct bench_opts *o, bool quick)
{
	memset(o, 0, sizeof(*o));
	o->quick = quick;
	if (quick) {
		o->min_batch_ns = 2e6;
		o->min_batches = 3;
		o->max_batches = 3;
		o->max_total_ns = 1e8;
		o->max_spread = 1.0;
	} else {
		o->min_batch_ns = 2e7;
		o->min_batches = BENCH_WINDOW;
		o->max_batches = 50;
		o->max_total_ns = 2e9;
		o->max_spread = 0.02;
	}
}

int
bench_parse_args(struct bench_opts *o, int argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			bench_opts_init(o, true);
		} else if (strcmp(argv[i], "--help") == 0 ||
			   strcmp(argv[i], "-h") == 0) {
			printf("Usage: %s [--quick] [--help]\n"
			       "  --quick  a few short batches: a smoke test, not a measurement\n"
			       "Results are written to stdout as JSON.\n",
			       argv[0]);
			return -1;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

uint64_t
bench_rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t
bench_host_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_median(const double *v, unsigned n, double *tmp)
{
	if (!n)
		return 0;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	if (n % 2)
		return tmp[n / 2];
	return (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

struct hvo_machine *
bench_machine_new(const char *prog, const char *spec)
{
	struct hvo_config cfg;
	struct hvo_machine *m = NULL;
	char err[512];

	if (hvo_config_parse(&cfg, spec, err, sizeof(err)) ||
	    hvo_machine_new(&cfg, &m, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", prog, spec, err);
		return NULL;
	}
	return m;
}

/* Run one batch of @n operations; its length in ns. */
static double
time_batch(bench_fn fn, void *ctx, uint64_t n)
{
	uint64_t t0 = bench_now_ns();

	fn(ctx, n);
	return (double)(bench_now_ns() - t0);
}

/* Grow the batch until one takes at least min_batch_ns. */
static uint64_t
calibrate(const struct bench_opts *o, bench_fn fn, void *ctx)
{
	uint64_t n = 1;

	for (;;) {
		double t = time_batch(fn, ctx, n);
		double scale;

		if (t >= o->min_batch_ns)
			return n;
		/* Aim 20% past the goal; at least double, at most x100. */
		scale = t > 0 ? o->min_batch_ns * 1.2 / t : 100;
		if (scale < 2)
			scale = 2;
		if (scale > 100)
			scale = 100;
		if ((double)n * scale > (double)(UINT64_MAX / 2))
			return n;
		n = (uint64_t)((double)n * scale);
	}
}

int
bench_run(const struct bench_opts *o, bench_fn fn, void *ctx,
	  struct bench_result *r)
{
	unsigned cap = o->max_batches ? o->max_batches : 1;
	double *per_op = calloc(cap, sizeof(*per_op));
	double *medians = calloc(cap, sizeof(*medians));
	double *tmp = calloc(cap, sizeof(*tmp));
	double total = 0;
	unsigned b;

	memset(r, 0, sizeof(*r));
	if (!per_op || !medians || !tmp) {
		free(per_op);
		free(medians);
		free(tmp);
		return -ENOMEM;
	}
	r->batch_ops = calibrate(o, fn, ctx);
	for (b = 0; b < cap; b++) {
		double t = time_batch(fn, ctx, r->batch_ops);

		total += t;
		per_op[b] = t / (double)r->batch_ops;
		medians[b] = bench_median(per_op, b + 1, tmp);
		if (b + 1 < o->min_batches)
			continue;
		if (b + 1 >= BENCH_WINDOW) {
			const double *w = &medians[b + 1 - BENCH_WINDOW];
			double lo = w[0], hi = w[0];

			for (unsigned i = 1; i < BENCH_WINDOW; i++) {
				lo = fmin(lo, w[i]);
				hi = fmax(hi, w[i]);
			}
			r->spread = medians[b] > 0 ? (hi - lo) / medians[b] : 0;
			if (r->spread < o->max_spread) {
				r->stable = true;
				b++;
				break;
			}
		}
		if (total >= o->max_total_ns) {
			b++;
			break;
		}
	}
	r->batches = b;
	r->ops = r->batch_ops * b;
	r->ns_per_op_median = bench_median(per_op, b, tmp);
	r->ns_per_op_min = per_op[0];
	r->ns_per_op_max = per_op[0];
	for (unsigned i = 1; i < b; i++) {
		r->ns_per_op_min = fmin(r->ns_per_op_min, per_op[i]);
		r->ns_per_op_max = fmax(r->ns_per_op_max, per_op[i]);
	}
	free(per_op);
	free(medians);
	free(tmp);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                   */
/* ---------------------------------------------------------------------- */

/* One JSON string writer for the project: the library's. */
static void
json_string(FILE *f, const char *s)
{
	hvo_json_string(f, s ? s : "");
}

static void
json_key(struct bench_json *j, const char *key)
{
	fputs(",\n      ", j->f);
	json_string(j->f, key);
	fputs(": ", j->f);
}

void
bench_json_begin(struct bench_json *j, FILE *f, const char *benchmark)
{
	j->f = f;
	j->nr_results = 0;
	j->in_result = false;
	/* format_version and libhvo_version, as every libhvo document. */
	hvo_json_begin(f, 0);
	fputs(",\n  \"benchmark\": ", f);
	json_string(f, benchmark);
	fputs(",\n  \"results\": [", f);
}

void
bench_json_result_begin(struct bench_json *j, const char *name,
			const char *preset, const struct bench_result *r)
{
	if (j->in_result)
		bench_json_result_end(j);
	fputs(j->nr_results ? ",\n    {\n      \"name\": " : "\n    {\n      \"name\": ",
	      j->f);
	json_string(j->f, name);
	j->nr_results++;
	j->in_result = true;
	bench_json_str(j, "preset", preset);
	bench_json_double(j, "ns_per_op_median", r->ns_per_op_median);
	bench_json_double(j, "ns_per_op_min", r->ns_per_op_min);
	bench_json_double(j, "ns_per_op_max", r->ns_per_op_max);
	bench_json_u64(j, "batches", r->batches);
	bench_json_u64(j, "ops", r->ops);
	bench_json_double(j, "spread", r->spread);
	bench_json_bool(j, "stable", r->stable);
}

void
bench_json_str(struct bench_json *j, const char *key, const char *val)
{
	json_key(j, key);
	if (val)
		json_string(j->f, val);
	else
		fputs("null", j->f);
}

void
bench_json_u64(struct bench_json *j, const char *key, uint64_t val)
{
	json_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void
bench_json_double(struct bench_json *j, const char *key, double val)
{
	json_key(j, key);
	if (isfinite(val))
		fprintf(j->f, "%.4f", val);
	else
		fputs("null", j->f);
}

void
bench_json_bool(struct bench_json *j, const char *key, bool val)
{
	json_key(j, key);
	fputs(val ? "true" : "false", j->f);
}

bool
bench_json_target(struct bench_json *j, double target_ns,
		  const struct bench_result *r)
{
	bool ok = r->ns_per_op_median <= target_ns;

	bench_json_double(j, "target_ns", target_ns);
	bench_json_bool(j, "meets_target", ok);
	return ok;
}

void
bench_json_result_end(struct bench_json *j)
{
	if (!j->in_result)
		return;
	fputs("\n    }", j->f);
	j->in_result = false;
}

int
bench_json_end(struct bench_json *j)
{
	bench_json_result_end(j);
	fputs(j->nr_results ? "\n  ]\n}\n" : "]\n}\n", j->f);
	if (fflush(j->f) || ferror(j->f))
		return -EIO;
	return 0;
}
