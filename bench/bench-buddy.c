/* SPDX-License-Identifier: MIT */
/*
 * Boot and page-allocator benchmarks:
 *  - boot of x86_64 with 64 GiB (deferred struct page init on and off):
 *    wall time, and host RSS against the vmemmap and page tables the
 *    simulated kernel wrote;
 *  - an order-0 and an order-9 alloc+free pair, per preset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "hvo/hvo.h"

#define BOOT_RUNS 5

/*
 * Boot BOOT_RUNS times; report the median time and the RSS the last boot
 * added, against the bytes of vmemmap written and of page tables.
 */
static int
bench_boot(struct bench_json *j, const char *spec, bool quick)
{
	double t[BOOT_RUNS], sorted[BOOT_RUNS];
	unsigned runs = quick ? 1 : BOOT_RUNS;
	uint64_t rss = 0, vmemmap = 0, pt = 0, written = 0, sp = 0;
	struct hvo_geometry g;
	struct bench_result r;

	for (unsigned i = 0; i < runs; i++) {
		uint64_t rss0 = bench_rss_bytes(), t0 = bench_now_ns();
		struct hvo_machine *m = bench_machine_new("bench-buddy", spec);

		if (!m)
			return -1;
		t[i] = (double)(bench_now_ns() - t0);
		rss = bench_rss_bytes() - rss0;
		hvo_machine_geometry(m, &g);
		hvo_machine_pages(m, HVO_PAGES_VMEMMAP, &vmemmap);
		hvo_machine_pages(m, HVO_PAGES_PAGETABLE, &pt);
		/* The struct pages boot wrote: all but the deferred ones. */
		struct hvo_zone_info z;
		uint64_t deferred = 0;

		for (unsigned k = 0; hvo_machine_zone(m, k, &z) == 0; k++)
			deferred += z.deferred_pages;
		sp = g.struct_page_size;
		written = (hvo_machine_total_pages(m) - deferred) * sp +
			  pt * g.page_size;
		if (hvo_machine_check(m)) {
			fprintf(stderr, "bench-buddy: check: %s\n",
				hvo_machine_error(m));
			hvo_machine_free(m);
			return -1;
		}
		hvo_machine_free(m);
	}
	memset(&r, 0, sizeof(r));
	r.ns_per_op_median = bench_median(t, runs, sorted);
	r.ns_per_op_min = sorted[0];
	r.ns_per_op_max = sorted[runs - 1];
	r.batches = runs;
	r.ops = runs;
	r.stable = true;
	bench_json_result_begin(j, "boot", spec, &r);
	bench_json_target(j, 1e9, &r);
	bench_json_u64(j, "rss_bytes", rss);
	bench_json_u64(j, "vmemmap_bytes", vmemmap * g.page_size);
	bench_json_u64(j, "pagetable_bytes", pt * g.page_size);
	bench_json_u64(j, "struct_pages_written_bytes", written);
	bench_json_double(j, "rss_over_vmemmap_and_pagetables",
			  (double)rss / (double)((vmemmap + pt) * g.page_size));
	bench_json_double(j, "rss_over_written", (double)rss / (double)written);
	bench_json_bool(j, "meets_rss_target",
			(double)rss <= 1.10 * (double)((vmemmap + pt) * g.page_size));
	bench_json_result_end(j);
	return 0;
}

struct pair_ctx {
	struct hvo_machine *m;
	unsigned order;
	int rc;
};

static void
alloc_free_pair(void *opaque, uint64_t n)
{
	struct pair_ctx *c = opaque;
	uint64_t pfn, sum = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (hvo_alloc_pages(c->m, c->order, HVO_GFP_KERNEL, &pfn) ||
		    hvo_free_pages(c->m, pfn, c->order)) {
			c->rc = -1;
			return;
		}
		sum += pfn;
	}
	bench_sink += sum;
}

static int
bench_pairs(struct bench_json *j, const struct bench_opts *o)
{
	static const struct {
		unsigned order;
		double target_ns;
	} pairs[] = { { 0, 100 }, { 9, 200 } };

	for (size_t p = 0; p < hvo_preset_count(); p++) {
		char spec[128];
		struct hvo_machine *m;

		snprintf(spec, sizeof(spec), "%s:mem=1G", hvo_preset_name(p));
		m = bench_machine_new("bench-buddy", spec);
		if (!m)
			return -1;
		for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
			struct pair_ctx c = { m, pairs[k].order, 0 };
			struct bench_result r;
			char name[64];

			if (bench_run(o, alloc_free_pair, &c, &r) || c.rc) {
				fprintf(stderr, "bench-buddy: %s order %u: %s\n",
					spec, pairs[k].order, hvo_machine_error(m));
				hvo_machine_free(m);
				return -1;
			}
			snprintf(name, sizeof(name), "alloc_free_order%u",
				 pairs[k].order);
			bench_json_result_begin(j, name, hvo_preset_name(p), &r);
			bench_json_target(j, pairs[k].target_ns, &r);
			bench_json_result_end(j);
		}
		if (hvo_machine_check(m)) {
			fprintf(stderr, "bench-buddy: check: %s\n",
				hvo_machine_error(m));
			hvo_machine_free(m);
			return -1;
		}
		hvo_machine_free(m);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_json j;
	int rc = 0;

	bench_opts_init(&o, false);
	if (bench_parse_args(&o, argc, argv) < 0)
		return 2;
	bench_json_begin(&j, stdout, "buddy");
	if (bench_boot(&j, o.quick ? "x86_64:mem=4G,deferred=off" :
		       "x86_64:mem=64G,deferred=off", o.quick) ||
	    bench_boot(&j, o.quick ? "x86_64:mem=4G" : "x86_64:mem=64G",
		       o.quick) ||
	    bench_pairs(&j, &o))
		rc = 1;
	if (bench_json_end(&j))
		rc = 1;
	return rc;
}
