/* SPDX-License-Identifier: MIT */
/*
 * bench-tlb: the cost of a kernel load through the software TLB, on every
 * preset, measured through the public hvo_kread64().
 *
 * kread64_hit:  the same struct page, over and over: every load hits.
 * kread64_miss: two or more vmemmap addresses exactly one TLB size apart
 *               (tlb_entries pages), so they share a direct-mapped slot and
 *               evict each other: every load misses and walks the table.
 *               The counters must confirm it (tlb.miss >= 99% of loads).
 *
 * Targets: a hit <= 5 ns; a miss <= 40 ns where the table has 4 levels.
 * Targets are reported, never enforced; the exit status only reflects
 * errors, the miss ratio and hvo_machine_check().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "benchutil.h"

#define HIT_TARGET_NS 5.0
#define MISS_TARGET_NS 40.0
#define MISS_TARGET_LEVELS 4
#define MISS_RATIO_MIN 0.99
#define MISS_MAX_ADDRS 4

/* The specs tried, in order, until two same-slot addresses fit. */
static const char *const miss_specs[] = {
	"mem=1G",
	"mem=1G,tlb=16",
	"mem=2G,tlb=16",
	"mem=4G,tlb=16",
};

struct load_ctx {
	struct hvo_machine *m;
	uint64_t va[MISS_MAX_ADDRS];
	uint64_t mask;  /* number of addresses - 1 (a power of two) */
	uint64_t calls; /* every load, calibration included */
	int err;        /* the first failing return code */
};

/* One address: every load after the first hits. */
static void
hit_body(void *p, uint64_t n)
{
	struct load_ctx *c = p;
	struct hvo_machine *m = c->m;
	uint64_t va = c->va[0], acc = 0;
	int rc = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v;

		rc |= hvo_kread64(m, va, &v);
		acc += v;
	}
	bench_sink += acc;
	c->calls += n;
	if (rc && !c->err)
		c->err = rc;
}

/* Rotate through addresses that share one TLB slot: every load misses. */
static void
miss_body(void *p, uint64_t n)
{
	struct load_ctx *c = p;
	struct hvo_machine *m = c->m;
	uint64_t mask = c->mask, acc = 0;
	int rc = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v;

		rc |= hvo_kread64(m, c->va[i & mask], &v);
		acc += v;
	}
	bench_sink += acc;
	c->calls += n;
	if (rc && !c->err)
		c->err = rc;
}

static uint64_t
counter(const struct hvo_machine *m, const char *name)
{
	uint64_t v = 0;

	if (hvo_machine_counter_get(m, name, &v)) {
		fprintf(stderr, "bench-tlb: no counter '%s'\n", name);
		exit(1);
	}
	return v;
}

/* Page-table entries read so far, all levels. */
static uint64_t
pt_reads(const struct hvo_machine *m)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < hvo_counter_count(); i++)
		if (strncmp(hvo_counter_name(i), "pt.read.", 8) == 0)
			sum += hvo_machine_counter(m, i);
	return sum;
}

/* The struct page of the first RAM pfn. */
static uint64_t
first_page_va(const struct hvo_machine *m, const struct hvo_geometry *g)
{
	const struct hvo_config *cfg = hvo_machine_config(m);
	uint64_t pfn = cfg->mem[0].base / g->page_size;

	return g->vmemmap_base + pfn * g->struct_page_size;
}

/*
 * Fill c->va with up to MISS_MAX_ADDRS mapped addresses, one TLB size
 * apart from the first RAM pfn's struct page; a power of two of them.
 * Returns how many.
 */
static unsigned
same_slot_addrs(struct hvo_machine *m, const struct hvo_geometry *g,
		struct load_ctx *c)
{
	uint64_t stride = (uint64_t)hvo_machine_config(m)->tlb_entries *
			  g->page_size;
	uint64_t va = first_page_va(m, g);
	unsigned n = 0;

	while (n < MISS_MAX_ADDRS) {
		struct hvo_walk w;

		if (hvo_walk(m, va, &w) || !w.mapped)
			break;
		c->va[n++] = va;
		va += stride;
	}
	while (n & (n - 1))
		n &= n - 1;
	c->mask = n ? n - 1 : 0;
	return n;
}

static void
report_line(const char *name, const char *preset, const struct bench_result *r)
{
	fprintf(stderr, "%-13s %-14s %8.2f ns/op (min %.2f max %.2f, %u batches%s)\n",
		name, preset, r->ns_per_op_median, r->ns_per_op_min,
		r->ns_per_op_max, r->batches, r->stable ? "" : ", not stable");
}

/* Check and free a machine; false if the check failed. */
static bool
machine_done(struct hvo_machine *m, const char *spec)
{
	bool ok = true;

	if (!m)
		return true;
	if (hvo_machine_check(m)) {
		fprintf(stderr, "bench-tlb: %s: hvo_machine_check: %s\n", spec,
			hvo_machine_error(m));
		ok = false;
	}
	hvo_machine_free(m);
	return ok;
}

static bool
bench_hit(const struct bench_opts *o, struct bench_json *j, const char *preset)
{
	struct load_ctx c = { 0 };
	struct bench_result r;
	struct hvo_geometry g;
	uint64_t hit0, miss0, hits, misses;
	char spec[128], hex[24];
	bool ok = true;

	snprintf(spec, sizeof(spec), "%s:mem=1G", preset);
	c.m = bench_machine_new("bench-tlb", spec);
	if (!c.m)
		return false;
	hvo_machine_geometry(c.m, &g);
	c.va[0] = first_page_va(c.m, &g);
	hit0 = counter(c.m, "tlb.hit");
	miss0 = counter(c.m, "tlb.miss");
	if (bench_run(o, hit_body, &c, &r)) {
		fprintf(stderr, "bench-tlb: out of memory\n");
		machine_done(c.m, spec);
		return false;
	}
	hits = counter(c.m, "tlb.hit") - hit0;
	misses = counter(c.m, "tlb.miss") - miss0;
	if (c.err) {
		fprintf(stderr, "bench-tlb: %s: hvo_kread64(0x%" PRIx64 ") = %d: %s\n",
			spec, c.va[0], c.err, hvo_machine_error(c.m));
		ok = false;
	}

	bench_json_result_begin(j, "kread64_hit", preset, &r);
	bench_json_str(j, "spec", spec);
	bench_json_u64(j, "levels", g.levels);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, c.va[0]);
	bench_json_str(j, "va", hex);
	bench_json_u64(j, "loads", c.calls);
	bench_json_double(j, "hit_ratio",
			  c.calls ? (double)hits / (double)c.calls : 0);
	bench_json_u64(j, "tlb_misses", misses);
	bench_json_target(j, HIT_TARGET_NS, &r);
	report_line("kread64_hit", preset, &r);
	return machine_done(c.m, spec) && ok;
}

static bool
bench_miss(const struct bench_opts *o, struct bench_json *j,
	   const char *preset)
{
	struct load_ctx c = { 0 };
	struct bench_result r;
	struct hvo_geometry g;
	struct hvo_walk w;
	uint64_t miss0, reads0, misses, reads;
	unsigned n = 0;
	char spec[128];
	double ratio;
	bool ok = true;

	for (size_t i = 0; i < sizeof(miss_specs) / sizeof(miss_specs[0]); i++) {
		snprintf(spec, sizeof(spec), "%s:%s", preset, miss_specs[i]);
		c.m = bench_machine_new("bench-tlb", spec);
		if (!c.m)
			continue;
		hvo_machine_geometry(c.m, &g);
		n = same_slot_addrs(c.m, &g, &c);
		if (n >= 2)
			break;
		hvo_machine_free(c.m);
		c.m = NULL;
	}
	if (!c.m) {
		fprintf(stderr, "bench-tlb: %s: no spec puts two mapped vmemmap addresses in one TLB slot\n",
			preset);
		return false;
	}
	hvo_walk(c.m, c.va[0], &w);

	miss0 = counter(c.m, "tlb.miss");
	reads0 = pt_reads(c.m);
	if (bench_run(o, miss_body, &c, &r)) {
		fprintf(stderr, "bench-tlb: out of memory\n");
		machine_done(c.m, spec);
		return false;
	}
	misses = counter(c.m, "tlb.miss") - miss0;
	reads = pt_reads(c.m) - reads0;
	ratio = c.calls ? (double)misses / (double)c.calls : 0;
	if (c.err) {
		fprintf(stderr, "bench-tlb: %s: hvo_kread64 = %d: %s\n", spec,
			c.err, hvo_machine_error(c.m));
		ok = false;
	}
	if (ratio < MISS_RATIO_MIN) {
		fprintf(stderr, "bench-tlb: %s: only %.4f of %" PRIu64 " loads missed the TLB (want >= %.2f)\n",
			spec, ratio, c.calls, MISS_RATIO_MIN);
		ok = false;
	}

	bench_json_result_begin(j, "kread64_miss", preset, &r);
	bench_json_str(j, "spec", spec);
	bench_json_u64(j, "levels", g.levels);
	bench_json_u64(j, "levels_walked", w.nr_levels);
	bench_json_str(j, "leaf", w.nr_levels ? w.level[w.nr_levels - 1].name : NULL);
	bench_json_u64(j, "leaf_size", w.leaf_size);
	bench_json_double(j, "pt_reads_per_miss",
			  misses ? (double)reads / (double)misses : 0);
	bench_json_u64(j, "addresses", n);
	bench_json_u64(j, "stride",
		       (uint64_t)hvo_machine_config(c.m)->tlb_entries * g.page_size);
	bench_json_u64(j, "loads", c.calls);
	bench_json_u64(j, "tlb_misses", misses);
	bench_json_double(j, "miss_ratio", ratio);
	if (g.levels == MISS_TARGET_LEVELS)
		bench_json_target(j, MISS_TARGET_NS, &r);
	report_line("kread64_miss", preset, &r);
	return machine_done(c.m, spec) && ok;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_json j;
	const char *only = NULL;
	bool ok = true, found = false;

	bench_opts_init(&o, false);
	argc = bench_parse_args(&o, argc, argv);
	if (argc < 0) {
		printf("  --preset=NAME  measure one preset only\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--preset=", 9) == 0) {
			only = argv[i] + 9;
		} else {
			fprintf(stderr, "bench-tlb: unknown argument '%s' (try --help)\n",
				argv[i]);
			return 2;
		}
	}

	bench_json_begin(&j, stdout, "tlb");
	for (size_t i = 0; i < hvo_preset_count(); i++) {
		const char *preset = hvo_preset_name(i);

		if (only && strcmp(only, preset) != 0)
			continue;
		found = true;
		if (!bench_hit(&o, &j, preset))
			ok = false;
		if (!bench_miss(&o, &j, preset))
			ok = false;
	}
	if (bench_json_end(&j))
		ok = false;
	if (!found) {
		fprintf(stderr, "bench-tlb: no preset named '%s'\n", only);
		return 2;
	}
	return ok ? 0 : 1;
}
