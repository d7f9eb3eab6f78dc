/* SPDX-License-Identifier: MIT */
/*
 * A small benchmark harness: repeat-until-stable timing and a JSON writer.
 *
 * A benchmark hands bench_run() a body that performs n operations. The
 * harness first grows n until one batch takes at least min_batch_ns (these
 * calibration runs double as warm-up and are not recorded), then runs
 * batches of that fixed size. After every batch it takes the median ns per
 * operation of all batches so far; once there are at least min_batches
 * batches it stops as soon as the last BENCH_WINDOW of those running
 * medians lie within max_spread of each other (relative), or when
 * max_batches or max_total_ns is reached.
 *
 * Results go to stdout as one JSON object:
 *   {"benchmark": "...", "results": [ {"name": ..., "preset": ...,
 *    "ns_per_op_median": ..., "ns_per_op_min": ..., "ns_per_op_max": ...,
 *    "batches": ..., "ops": ..., ...}, ... ]}
 * Timing is reported, never asserted: a missed target only shows up as
 * "meets_target": false.
 *
 * It also builds the simulated machines the benchmarks measure.
 */
#ifndef HVO_BENCHUTIL_H
#define HVO_BENCHUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct hvo_machine;

/* Running medians compared for stability. */
#define BENCH_WINDOW 7

struct bench_opts {
	double min_batch_ns;  /* a batch runs at least this long */
	unsigned min_batches; /* never fewer batches */
	unsigned max_batches; /* never more batches */
	double max_total_ns;  /* stop after this much measured time */
	double max_spread;    /* stable: (max - min) / median of the window */
	bool quick;           /* smoke-test mode: few short batches */
};

struct bench_result {
	double ns_per_op_median;
	double ns_per_op_min;
	double ns_per_op_max;
	double spread;     /* relative spread of the last window (0 if none) */
	unsigned batches;  /* measured batches */
	uint64_t ops;      /* operations in the measured batches */
	uint64_t batch_ops; /* operations per batch */
	bool stable;       /* the spread fell below max_spread */
};

/* The measured closure: perform @n operations on @ctx. */
typedef void (*bench_fn)(void *ctx, uint64_t n);

/*
 * Anything stored here is observable, so loads whose results feed it cannot
 * be optimized away. Accumulate in a local and store once per batch.
 */
extern volatile uint64_t bench_sink;

/* Defaults; @quick selects the smoke-test settings. */
void
bench_opts_init(struct bench_opts *o, bool quick);

/*
 * Parse the common options (--quick, --help) out of argv; unknown options
 * are left for the caller: argv is compacted and the new argc returned.
 * Returns -1 after printing usage for --help.
 */
int
bench_parse_args(struct bench_opts *o, int argc, char **argv);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t
bench_now_ns(void);

/* Resident set size of this process in bytes (/proc/self/statm), or 0. */
uint64_t
bench_rss_bytes(void);

/*
 * Page faults this process has taken from the host (getrusage()'s minor
 * and major ones): each is a page the host gives it for the first time,
 * zeroed, which on a VM can cost more than the work that touched it.
 */
uint64_t
bench_host_faults(void);

/*
 * The median of the @n values of @v, the mean of the middle two for an
 * even @n, 0 for none. @tmp has room for @n values and ends up holding
 * them sorted, so tmp[0] and tmp[n - 1] are the least and the greatest.
 */
double
bench_median(const double *v, unsigned n, double *tmp);

/*
 * The machine of @spec, as hvo_config_parse() and hvo_machine_new() make
 * it; NULL after printing "@prog: SPEC: reason" to stderr if they refuse.
 */
struct hvo_machine *
bench_machine_new(const char *prog, const char *spec);

/* Time @fn until stable. Returns 0, or -ENOMEM. */
int
bench_run(const struct bench_opts *o, bench_fn fn, void *ctx,
	  struct bench_result *r);

/* The JSON document on a stream: begin, results, end. */
struct bench_json {
	FILE *f;
	unsigned nr_results;
	bool in_result;
};

void
bench_json_begin(struct bench_json *j, FILE *f, const char *benchmark);

/* Open a result object with the standard timing fields. */
void
bench_json_result_begin(struct bench_json *j, const char *name,
			const char *preset, const struct bench_result *r);

/* Extra fields of the open result. */
void
bench_json_str(struct bench_json *j, const char *key, const char *val);

void
bench_json_u64(struct bench_json *j, const char *key, uint64_t val);

void
bench_json_double(struct bench_json *j, const char *key, double val);

void
bench_json_bool(struct bench_json *j, const char *key, bool val);

/* "target_ns" and "meets_target" (median <= target). Returns the latter. */
bool
bench_json_target(struct bench_json *j, double target_ns,
		  const struct bench_result *r);

void
bench_json_result_end(struct bench_json *j);

/* Close the document. Returns 0, or -EIO if writing failed. */
int
bench_json_end(struct bench_json *j);

#endif /* HVO_BENCHUTIL_H */
