/* SPDX-License-Identifier: MIT */
/*
 * bench-hvo: what the HugeTLB Vmemmap Optimization costs, per variant
 * (off, keep2, fakehead, sharedtail).
 *
 * hugepage_optimize, hugepage_restore: the single-folio operations
 *   hvo_hugepage_optimize() and hvo_hugepage_restore() over every page of a
 *   pool grown with HVO off, on x86_64 (2M, 1G), arm64 16K/48 (32M) and
 *   riscv64 Sv48 (2M). Optimize and restore passes alternate (optimizing an
 *   optimized page is a no-op); every pass is timed on its own, and the
 *   medians are reported per hugepage, with the counters of one steady-state
 *   pass: PTEs written, TLB flushes by kind, vmemmap pages freed and
 *   allocated. The first optimize pass also splits the vmemmap PMDs: it is
 *   reported apart ("first_pass_*"). With HVO off there is nothing to
 *   optimize: the result says so.
 * pool_grow, pool_shrink: hvo_set_nr_hugepages() to N and back to 0 on the
 *   same machines: seconds each way, flushes per batch (a grow with HVO
 *   flushes all exactly twice, a shrink once, and nothing else), PTEs
 *   written per hugepage. The first cycle (deferred struct page init, PMD
 *   splits) is reported apart.
 * big_pool_grow, big_pool_shrink: the kernel's batching measurement on
 *   x86_64 with 1 TiB of RAM (--big-mem; 64T is the largest the issue
 *   asks for): as many 2M (or, --big-size=1G, 1G) hugepages as fit (about
 *   500,000 at 1 TiB; the count is reported), grown and shrunk BIG_CYCLES
 *   times (--big-cycles) on one
 *   machine; the median against a 1 s target each way, the first cycle
 *   (which also pays for host memory never touched before) beside it; host
 *   RSS at the end of the first grow against the vmemmap and page tables
 *   the simulated kernel keeps (at most 120%), with the kernel's own
 *   figures. One such machine at a time; a variant is skipped (and says
 *   why) when the host has not enough memory available for it.
 *
 * Timing is reported, never asserted. The exit status reflects errors, the
 * counter checks (flushes per batch, vmemmap pages per hugepage, pool
 * counts) and hvo_machine_check().
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hvo/hvo.h>

#include "benchutil.h"

#define MB (UINT64_C(1) << 20)
#define GB (UINT64_C(1) << 30)

#define BIG_TARGET_NS 1e9
#define BIG_RSS_TARGET 1.20
#define BIG_CYCLES 3

static const enum hvo_variant variants[] = {
	HVO_VARIANT_OFF,
	HVO_VARIANT_KEEP2,
	HVO_VARIANT_FAKEHEAD,
	HVO_VARIANT_SHAREDTAIL,
};
#define NR_VARIANTS (sizeof(variants) / sizeof(variants[0]))

/* One hugepage size on one machine, for the single and batched runs. */
struct size_case {
	const char *preset;
	uint64_t size;
	const char *mem;       /* the full run */
	uint64_t single_nr;
	uint64_t batch_nr;
	const char *quick_mem; /* --quick */
	uint64_t quick_single_nr;
	uint64_t quick_batch_nr;
};

static const struct size_case cases[] = {
	{ "x86_64-4l", 2 * MB, "mem=8G", 256, 1024, "mem=1G", 4, 8 },
	{ "x86_64-4l", 1 * GB, "mem=8G", 4, 4, "mem=3G", 1, 1 },
	{ "arm64-16k-48", 32 * MB, "mem=8G", 64, 64, "mem=1G", 2, 4 },
	{ "riscv64-sv48", 2 * MB, "mem=8G", 256, 1024, "mem=1G", 4, 8 },
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

static bool
want_case(const struct size_case *c, const char *preset)
{
	return !preset || strcmp(c->preset, preset) == 0;
}

/* The counters reported, and their JSON keys. */
enum {
	C_PTE,
	C_PMD,
	C_FLUSH_ALL,
	C_FLUSH_PAGE,
	C_FLUSH_RANGE,
	C_FREED,
	C_ALLOCED,
	C_SPLIT_PMD,
	C_TABLE_ALLOC,
	C_HOST_RELEASE,
	C_MEMMAP_FILL,
	C_MEMMAP_COMPACT,
	C_NR
};

static const char *const cnt_name[C_NR] = {
	"pt.write.pte", "pt.write.pmd", "tlb.flush_all", "tlb.flush_page",
	"tlb.flush_range", "hvo.vmemmap_freed", "hvo.vmemmap_alloced",
	"hvo.split_pmd", "pt.table_alloc", "host.release", "host.memmap_fill",
	"host.memmap_compact",
};

static const char *const cnt_key[C_NR] = {
	"pte_writes", "pmd_writes", "flush_all", "flush_page", "flush_range",
	"vmemmap_freed", "vmemmap_alloced", "pmd_splits", "table_allocs",
	"host_releases", "memmap_fills", "memmap_compactions",
};

struct snap {
	uint64_t v[C_NR];
};

/* Kept by main: set when any check fails. */
static bool failed;

static void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-hvo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failed = true;
}

static void
snap_take(const struct hvo_machine *m, struct snap *s)
{
	for (unsigned i = 0; i < C_NR; i++) {
		s->v[i] = 0;
		if (hvo_machine_counter_get(m, cnt_name[i], &s->v[i]))
			fail("no counter '%s'", cnt_name[i]);
	}
}

/* d = now - before */
static void
snap_delta(const struct hvo_machine *m, const struct snap *before,
	   struct snap *d)
{
	snap_take(m, d);
	for (unsigned i = 0; i < C_NR; i++)
		d->v[i] -= before->v[i];
}

/* Every counter of @d divided by @per, as "<prefix><key>_per_hugepage". */
static void
json_counters_per(struct bench_json *j, const char *prefix,
		  const struct snap *d, uint64_t per)
{
	char key[96];

	for (unsigned i = 0; i < C_NR; i++) {
		snprintf(key, sizeof(key), "%s%s_per_hugepage", prefix, cnt_key[i]);
		bench_json_double(j, key, per ? (double)d->v[i] / (double)per : 0);
	}
}

/* Every counter of @d as it is, as "<prefix><key>". */
static void
json_counters_raw(struct bench_json *j, const char *prefix,
		  const struct snap *d)
{
	char key[96];

	for (unsigned i = 0; i < C_NR; i++) {
		snprintf(key, sizeof(key), "%s%s", prefix, cnt_key[i]);
		bench_json_u64(j, key, d->v[i]);
	}
}

/* A "Key:  N kB" line of a /proc file, in bytes; 0 if absent. */
static uint64_t
proc_kb(const char *path, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	uint64_t v = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, len) == 0 && line[len] == ':') {
			v = strtoull(line + len + 1, NULL, 10) * 1024;
			break;
		}
	}
	fclose(f);
	return v;
}

/* Reset VmHWM (the peak RSS) to the current RSS, where the kernel allows. */
static void
reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (!f)
		return;
	fputs("5", f);
	fclose(f);
}

/*
 * How fast this host hands out fresh memory: the first touch of @bytes of
 * anonymous memory (advised huge, as libhvo's dense ranges are), in bytes
 * per second. Every struct page a machine writes the first time pays this.
 */
static double
host_first_touch_rate(uint64_t bytes)
{
	volatile uint8_t *p;
	uint64_t t0, t;
	void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (map == MAP_FAILED)
		return 0;
#ifdef MADV_HUGEPAGE
	madvise(map, bytes, MADV_HUGEPAGE);
#endif
	p = map;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < bytes; i += 4096)
		p[i] = 1;
	t = bench_now_ns() - t0;
	munmap(map, bytes);
	return t ? (double)bytes * 1e9 / (double)t : 0;
}

/* Check and free a machine. */
static void
machine_done(struct hvo_machine *m, const char *spec)
{
	if (!m)
		return;
	if (hvo_machine_check(m))
		fail("%s: hvo_machine_check: %s", spec, hvo_machine_error(m));
	hvo_machine_free(m);
}

static const char *
size_name(uint64_t size, char *buf, size_t len)
{
	if (size >= GB)
		snprintf(buf, len, "%" PRIu64 "G", size / GB);
	else
		snprintf(buf, len, "%" PRIu64 "M", size / MB);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Repeated measurements                                                  */
/* ---------------------------------------------------------------------- */

/* Times of one repeated measurement, and its running medians. */
struct series {
	double *v;
	double *medians;
	double *tmp;
	unsigned n, cap;
	double total;
};

static int
series_init(struct series *s, unsigned cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap ? cap : 1;
	s->v = calloc(s->cap, sizeof(double));
	s->medians = calloc(s->cap, sizeof(double));
	s->tmp = calloc(s->cap, sizeof(double));
	if (!s->v || !s->medians || !s->tmp) {
		fail("out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void
series_fini(struct series *s)
{
	free(s->v);
	free(s->medians);
	free(s->tmp);
}

/* The median so far; leaves s->tmp sorted. */
static double
series_median(struct series *s)
{
	return bench_median(s->v, s->n, s->tmp);
}

static void
series_add(struct series *s, double x)
{
	if (s->n == s->cap)
		return;
	s->v[s->n++] = x;
	s->total += x;
	s->medians[s->n - 1] = series_median(s);
}

/* The relative range of the last BENCH_WINDOW running medians (1 if fewer). */
static double
series_spread(const struct series *s)
{
	double lo, hi, last;

	if (s->n < BENCH_WINDOW)
		return 1;
	lo = hi = last = s->medians[s->n - 1];
	for (unsigned i = s->n - BENCH_WINDOW; i < s->n; i++) {
		lo = fmin(lo, s->medians[i]);
		hi = fmax(hi, s->medians[i]);
	}
	return last > 0 ? (hi - lo) / last : 0;
}

/* Should a loop that feeds these series stop? */
static bool
series_done(const struct bench_opts *o, struct series *a, struct series *b)
{
	if (a->n >= a->cap || a->n >= o->max_batches)
		return true;
	if (a->total + (b ? b->total : 0) >= o->max_total_ns)
		return true;
	if (a->n < o->min_batches)
		return false;
	return series_spread(a) < o->max_spread &&
	       (!b || series_spread(b) < o->max_spread);
}

/* The harness's result, each value divided by @per operations. */
static void
series_result(struct series *s, uint64_t per, const struct bench_opts *o,
	      struct bench_result *r)
{
	double d = per ? (double)per : 1;

	memset(r, 0, sizeof(*r));
	if (!s->n)
		return;
	r->ns_per_op_median = series_median(s) / d;
	r->ns_per_op_min = s->tmp[0] / d;
	r->ns_per_op_max = s->tmp[s->n - 1] / d;
	r->spread = s->n >= BENCH_WINDOW ? series_spread(s) : 0;
	r->stable = s->n >= BENCH_WINDOW && r->spread < o->max_spread;
	r->batches = s->n;
	r->batch_ops = per;
	r->ops = per * s->n;
}

/* ---------------------------------------------------------------------- */
/* 1. Single-folio optimize and restore                                   */
/* ---------------------------------------------------------------------- */

/* One pass of hvo_hugepage_optimize() or _restore() over @pfn. */
static int
folio_pass(struct hvo_machine *m, const uint64_t *pfn, uint64_t n,
	   bool optimize, double *ns)
{
	uint64_t t0 = bench_now_ns();

	for (uint64_t i = 0; i < n; i++) {
		int rc = optimize ? hvo_hugepage_optimize(m, pfn[i]) :
				    hvo_hugepage_restore(m, pfn[i]);

		if (rc) {
			fail("hvo_hugepage_%s(pfn 0x%" PRIx64 ") = %d: %s",
			     optimize ? "optimize" : "restore", pfn[i], rc,
			     hvo_machine_error(m));
			return rc;
		}
	}
	*ns = (double)(bench_now_ns() - t0);
	return 0;
}

/* The pool must say @want of its @n pages are optimized. */
static void
check_optimized(struct hvo_machine *m, const char *spec, uint64_t size,
		uint64_t want, const char *when)
{
	struct hvo_hstate_info h;

	if (hvo_machine_hstate_by_size(m, size, &h))
		fail("%s: no hstate of size %" PRIu64, spec, size);
	else if (h.optimized != want)
		fail("%s: %s: %" PRIu64 " hugepages optimized, want %" PRIu64,
		     spec, when, h.optimized, want);
}

/*
 * Vmemmap pages per hugepage must net out to what the variant frees, and
 * every hugepage must have been flushed for.
 */
static void
check_pass(const char *spec, const char *what, const struct snap *d,
	   uint64_t n, uint64_t freed_per_hugepage, bool optimize)
{
	int64_t net = optimize ?
		      (int64_t)d->v[C_FREED] - (int64_t)d->v[C_ALLOCED] :
		      (int64_t)d->v[C_ALLOCED] - (int64_t)d->v[C_FREED];
	uint64_t flushes = d->v[C_FLUSH_ALL] + d->v[C_FLUSH_RANGE];

	if (net != (int64_t)(freed_per_hugepage * n))
		fail("%s: %s: %" PRId64 " vmemmap pages net over %" PRIu64
		     " hugepages, the variant frees %" PRIu64 " each",
		     spec, what, net, n, freed_per_hugepage);
	if (flushes < n)
		fail("%s: %s: %" PRIu64 " TLB flushes for %" PRIu64 " hugepages",
		     spec, what, flushes, n);
}

static void
emit_skipped(struct bench_json *j, const char *name, const char *preset,
	     const char *spec, const char *variant, const char *size,
	     const char *why)
{
	struct bench_result r;

	memset(&r, 0, sizeof(r));
	bench_json_result_begin(j, name, preset, &r);
	bench_json_str(j, "spec", spec);
	bench_json_str(j, "variant", variant);
	if (size)
		bench_json_str(j, "hugepage_size", size);
	bench_json_bool(j, "skipped", true);
	bench_json_str(j, "reason", why);
	bench_json_result_end(j);
}

static void
bench_single(struct bench_json *j, const struct bench_opts *o,
	     const struct size_case *c, enum hvo_variant v)
{
	const char *vname = hvo_variant_name(v);
	uint64_t n = o->quick ? c->quick_single_nr : c->single_nr;
	uint64_t *pfn = NULL;
	struct hvo_machine *m;
	struct hvo_hstate_info h;
	struct series so = { 0 }, sr = { 0 };
	struct snap s0, d_first, d_opt, d_res;
	struct bench_result r;
	double ns, first_ns = 0;
	char spec[128], sz[16];

	size_name(c->size, sz, sizeof(sz));
	snprintf(spec, sizeof(spec), "%s:%s,hvo=%s", c->preset,
		 o->quick ? c->quick_mem : c->mem, vname);
	if (v == HVO_VARIANT_OFF) {
		emit_skipped(j, "hugepage_optimize", c->preset, spec, vname, sz,
			     "HVO is off: there is nothing to optimize or restore");
		return;
	}
	m = bench_machine_new("bench-hvo", spec);
	if (!m) {
		failed = true;
		return;
	}
	if (series_init(&so, o->max_batches) || series_init(&sr, o->max_batches))
		goto out;

	/* A pool grown with HVO off, then the variant back on. */
	if (hvo_set_variant(m, HVO_VARIANT_OFF) ||
	    hvo_set_nr_hugepages(m, c->size, n) ||
	    hvo_set_variant(m, v) || hvo_machine_hstate_by_size(m, c->size, &h)) {
		fail("%s: pool of %" PRIu64 " %s: %s", spec, n, sz,
		     hvo_machine_error(m));
		goto out;
	}
	if (!h.optimizable) {
		emit_skipped(j, "hugepage_optimize", c->preset, spec, vname, sz,
			     h.reason);
		goto out;
	}
	pfn = calloc(n, sizeof(*pfn));
	if (!pfn) {
		fail("out of memory");
		goto out;
	}
	/* Their head pfns: take every page, then give them back. */
	for (uint64_t i = 0; i < n; i++) {
		if (hvo_hugepage_get(m, c->size, &pfn[i])) {
			fail("%s: hvo_hugepage_get: %s", spec, hvo_machine_error(m));
			goto out;
		}
	}
	for (uint64_t i = 0; i < n; i++)
		hvo_hugepage_put(m, pfn[i]);

	/* Warm-up: the first optimize splits the PMDs. */
	snap_take(m, &s0);
	if (folio_pass(m, pfn, n, true, &first_ns))
		goto out;
	snap_delta(m, &s0, &d_first);
	check_optimized(m, spec, c->size, n, "after the first optimize pass");
	check_pass(spec, "first optimize pass", &d_first, n,
		   h.vmemmap_pages_freed_per_hugepage, true);

	snap_take(m, &s0);
	if (folio_pass(m, pfn, n, false, &ns))
		goto out;
	snap_delta(m, &s0, &d_res);
	check_optimized(m, spec, c->size, 0, "after a restore pass");
	check_pass(spec, "restore pass", &d_res, n,
		   h.vmemmap_pages_freed_per_hugepage, false);

	/* Steady state: alternate passes, each timed. */
	do {
		snap_take(m, &s0);
		if (folio_pass(m, pfn, n, true, &ns))
			goto out;
		if (so.n == 0) {
			snap_delta(m, &s0, &d_opt);
			check_optimized(m, spec, c->size, n, "after an optimize pass");
			check_pass(spec, "optimize pass", &d_opt, n,
				   h.vmemmap_pages_freed_per_hugepage, true);
		}
		series_add(&so, ns);
		if (folio_pass(m, pfn, n, false, &ns))
			goto out;
		series_add(&sr, ns);
	} while (!series_done(o, &so, &sr));
	check_optimized(m, spec, c->size, 0, "after the last restore pass");

	series_result(&so, n, o, &r);
	bench_json_result_begin(j, "hugepage_optimize", c->preset, &r);
	bench_json_str(j, "spec", spec);
	bench_json_str(j, "variant", vname);
	bench_json_str(j, "hugepage_size", sz);
	bench_json_u64(j, "pool_hugepages", n);
	bench_json_u64(j, "vmemmap_pages_per_hugepage", h.vmemmap_pages_per_hugepage);
	bench_json_u64(j, "vmemmap_pages_saved_per_hugepage",
		       h.vmemmap_pages_freed_per_hugepage);
	json_counters_per(j, "", &d_opt, n);
	bench_json_double(j, "first_pass_ns_per_hugepage", first_ns / (double)n);
	json_counters_per(j, "first_pass_", &d_first, n);
	bench_json_result_end(j);
	fprintf(stderr, "%-13s %-13s %-4s %-10s %10.0f ns/hugepage (first pass %.0f)\n",
		"optimize", c->preset, sz, vname, r.ns_per_op_median,
		first_ns / (double)n);

	series_result(&sr, n, o, &r);
	bench_json_result_begin(j, "hugepage_restore", c->preset, &r);
	bench_json_str(j, "spec", spec);
	bench_json_str(j, "variant", vname);
	bench_json_str(j, "hugepage_size", sz);
	bench_json_u64(j, "pool_hugepages", n);
	json_counters_per(j, "", &d_res, n);
	bench_json_result_end(j);
	fprintf(stderr, "%-13s %-13s %-4s %-10s %10.0f ns/hugepage\n",
		"restore", c->preset, sz, vname, r.ns_per_op_median);
out:
	free(pfn);
	series_fini(&so);
	series_fini(&sr);
	machine_done(m, spec);
}

/* ---------------------------------------------------------------------- */
/* 2. Batched pool resize                                                 */
/* ---------------------------------------------------------------------- */

/*
 * The flushes of one batch: a grow that optimized flushes all twice, a
 * shrink that restored once; nothing else, and nothing at all with HVO off.
 */
static void
check_batch_flushes(const char *spec, const char *what, const struct snap *d,
		    uint64_t want_all)
{
	if (d->v[C_FLUSH_ALL] != want_all || d->v[C_FLUSH_PAGE] ||
	    d->v[C_FLUSH_RANGE])
		fail("%s: %s: %" PRIu64 " flush_all, %" PRIu64 " flush_range, %"
		     PRIu64 " flush_page; want %" PRIu64 ", 0, 0",
		     spec, what, d->v[C_FLUSH_ALL], d->v[C_FLUSH_RANGE],
		     d->v[C_FLUSH_PAGE], want_all);
}

static void
check_pool(struct hvo_machine *m, const char *spec, uint64_t size,
	   uint64_t nr, uint64_t optimized, const char *when)
{
	struct hvo_hstate_info h;

	if (hvo_machine_hstate_by_size(m, size, &h)) {
		fail("%s: no hstate of size %" PRIu64, spec, size);
		return;
	}
	if (h.nr != nr || h.free != nr || h.optimized != optimized)
		fail("%s: %s: pool %" PRIu64 " (%" PRIu64 " free, %" PRIu64
		     " optimized), want %" PRIu64 " (all free, %" PRIu64
		     " optimized)", spec, when, h.nr, h.free, h.optimized, nr,
		     optimized);
}

/*
 * Gigantic pages need whole aligned ranges without unmovable pages, which
 * boot memory breaks up (the memmap of a 64 GiB machine is 1 GiB): the
 * count the free pages allow may not fit, and the exact grow fails with
 * nothing changed. The pool is then as large as `echo N > nr_hugepages`
 * makes it, found by one such write and emptied again. 0 (reported) if
 * that fails or none fits.
 */
static uint64_t
gigantic_fit(struct hvo_machine *m, const char *spec, uint64_t size,
	     uint64_t n)
{
	struct hvo_hstate_info h;

	if (hvo_write_nr_hugepages(m, size, n) ||
	    hvo_machine_hstate_by_size(m, size, &h) ||
	    hvo_set_nr_hugepages(m, size, 0)) {
		fail("%s: nr_hugepages %" PRIu64 ": %s", spec, n,
		     hvo_machine_error(m));
		return 0;
	}
	if (!h.nr) {
		fail("%s: no gigantic page fits", spec);
		return 0;
	}
	fprintf(stderr, "bench-hvo: %s: %" PRIu64 " of %" PRIu64 " gigantic pages fit; the first grow follows this one\n",
		spec, h.nr, n);
	return h.nr;
}

/* One grow to @n and shrink to 0, timed and counted. */
static int
resize_cycle(struct hvo_machine *m, const char *spec, uint64_t size,
	     uint64_t n, bool hvo, double *grow_ns, double *shrink_ns,
	     struct snap *dg, struct snap *ds)
{
	struct snap s0;
	uint64_t t0;
	int rc;

	snap_take(m, &s0);
	t0 = bench_now_ns();
	rc = hvo_set_nr_hugepages(m, size, n);
	*grow_ns = (double)(bench_now_ns() - t0);
	snap_delta(m, &s0, dg);
	if (rc) {
		fail("%s: grow to %" PRIu64 ": %s", spec, n, hvo_machine_error(m));
		return rc;
	}
	check_pool(m, spec, size, n, hvo ? n : 0, "after a grow");
	check_batch_flushes(spec, "grow", dg, hvo ? 2 : 0);

	snap_take(m, &s0);
	t0 = bench_now_ns();
	rc = hvo_set_nr_hugepages(m, size, 0);
	*shrink_ns = (double)(bench_now_ns() - t0);
	snap_delta(m, &s0, ds);
	if (rc) {
		fail("%s: shrink to 0: %s", spec, hvo_machine_error(m));
		return rc;
	}
	check_pool(m, spec, size, 0, 0, "after a shrink");
	check_batch_flushes(spec, "shrink", ds, hvo ? 1 : 0);
	return 0;
}

static void
emit_resize(struct bench_json *j, const char *name, const char *preset,
	    const char *spec, const char *vname, const char *sz, uint64_t n,
	    const struct bench_result *r, const struct snap *d,
	    double first_ns, const struct snap *dfirst)
{
	bench_json_result_begin(j, name, preset, r);
	bench_json_str(j, "spec", spec);
	bench_json_str(j, "variant", vname);
	bench_json_str(j, "hugepage_size", sz);
	bench_json_u64(j, "nr_hugepages", n);
	bench_json_double(j, "seconds", r->ns_per_op_median / 1e9);
	bench_json_double(j, "ns_per_hugepage", r->ns_per_op_median / (double)n);
	bench_json_u64(j, "flush_all_per_batch", d->v[C_FLUSH_ALL]);
	bench_json_u64(j, "flush_range_per_batch", d->v[C_FLUSH_RANGE]);
	bench_json_u64(j, "flush_page_per_batch", d->v[C_FLUSH_PAGE]);
	json_counters_per(j, "", d, n);
	bench_json_double(j, "first_seconds", first_ns / 1e9);
	json_counters_raw(j, "first_", dfirst);
	bench_json_result_end(j);
}

static void
bench_batch(struct bench_json *j, const struct bench_opts *o,
	    const struct size_case *c, enum hvo_variant v)
{
	const char *vname = hvo_variant_name(v);
	uint64_t n = o->quick ? c->quick_batch_nr : c->batch_nr;
	struct hvo_machine *m;
	struct hvo_hstate_info h;
	struct series sg = { 0 }, ss = { 0 };
	struct snap dg, ds, dg1, ds1;
	struct bench_result r;
	double g, s, g1, s1;
	bool hvo;
	char spec[128], sz[16];

	size_name(c->size, sz, sizeof(sz));
	snprintf(spec, sizeof(spec), "%s:%s,hvo=%s", c->preset,
		 o->quick ? c->quick_mem : c->mem, vname);
	m = bench_machine_new("bench-hvo", spec);
	if (!m) {
		failed = true;
		return;
	}
	if (series_init(&sg, o->max_batches) || series_init(&ss, o->max_batches))
		goto out;
	if (hvo_machine_hstate_by_size(m, c->size, &h)) {
		fail("%s: no %s hugepages", spec, sz);
		goto out;
	}
	hvo = h.optimizable;

	/* The first cycle initializes struct pages and splits PMDs. */
	if (resize_cycle(m, spec, c->size, n, hvo, &g1, &s1, &dg1, &ds1))
		goto out;
	do {
		if (resize_cycle(m, spec, c->size, n, hvo, &g, &s, &dg, &ds))
			goto out;
		series_add(&sg, g);
		series_add(&ss, s);
	} while (!series_done(o, &sg, &ss));

	series_result(&sg, 1, o, &r);
	emit_resize(j, "pool_grow", c->preset, spec, vname, sz, n, &r, &dg, g1,
		    &dg1);
	fprintf(stderr, "%-13s %-13s %-4s %-10s %10.0f ns/hugepage (%" PRIu64
		" hugepages, %.4f s)\n", "pool_grow", c->preset, sz, vname,
		r.ns_per_op_median / (double)n, n, r.ns_per_op_median / 1e9);
	series_result(&ss, 1, o, &r);
	emit_resize(j, "pool_shrink", c->preset, spec, vname, sz, n, &r, &ds, s1,
		    &ds1);
	fprintf(stderr, "%-13s %-13s %-4s %-10s %10.0f ns/hugepage (%" PRIu64
		" hugepages, %.4f s)\n", "pool_shrink", c->preset, sz, vname,
		r.ns_per_op_median / (double)n, n, r.ns_per_op_median / 1e9);
out:
	series_fini(&sg);
	series_fini(&ss);
	machine_done(m, spec);
}

/* ---------------------------------------------------------------------- */
/* 3. The big pool                                                        */
/* ---------------------------------------------------------------------- */

/*
 * The kernel's numbers (doc/KERNEL-FACTS.md, "Measured costs"): 500,000 2 MB hugepages, batched,
 * lore:20231019023113.345257-1-mike.kravetz@oracle.com.
 */
static void
json_kernel_reference(struct bench_json *j)
{
	fprintf(j->f,
		",\n      \"kernel_reference\": {"
		"\"source\": \"lore:20231019023113.345257-1-mike.kravetz@oracle.com\", "
		"\"machine\": \"bare metal, 8-socket Intel Xeon E7-8895\", "
		"\"batched\": true, \"nr_hugepages\": 500000, "
		"\"hugepage_size\": \"2M\", "
		"\"hvo_on\": {\"alloc_s\": 7.267, \"free_s\": 13.199, "
		"\"alloc_ns_per_hugepage\": %.0f, \"free_ns_per_hugepage\": %.0f}, "
		"\"hvo_off\": {\"alloc_s\": 4.719, \"free_s\": 4.245, "
		"\"alloc_ns_per_hugepage\": %.0f, \"free_ns_per_hugepage\": %.0f}}",
		7.267e9 / 500000, 13.199e9 / 500000,
		4.719e9 / 500000, 4.245e9 / 500000);
}

static double
max_of(const double *v, unsigned n)
{
	double m = v[0];

	for (unsigned i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

struct big_opts {
	const char *mem;      /* "1T" */
	const char *size_name; /* "2M" or "1G" */
	uint64_t size;
	unsigned cycles;      /* 1 .. BIG_CYCLES */
	double touch_rate;    /* host_first_touch_rate() */
	bool variant[NR_VARIANTS];
};

static void
emit_big(struct bench_json *j, const char *name, const char *spec,
	 const char *vname, const char *size_name, uint64_t n, double ns,
	 const struct snap *d)
{
	struct bench_result r;

	memset(&r, 0, sizeof(r));
	r.ns_per_op_median = r.ns_per_op_min = r.ns_per_op_max = ns;
	r.batches = 1;
	r.ops = 1;
	r.batch_ops = 1;
	bench_json_result_begin(j, name, "x86_64-4l", &r);
	bench_json_str(j, "spec", spec);
	bench_json_str(j, "variant", vname);
	bench_json_str(j, "hugepage_size", size_name);
	bench_json_u64(j, "nr_hugepages", n);
	bench_json_double(j, "seconds", ns / 1e9);
	bench_json_double(j, "ns_per_hugepage", ns / (double)n);
	bench_json_target(j, BIG_TARGET_NS, &r);
	bench_json_u64(j, "flush_all_per_batch", d->v[C_FLUSH_ALL]);
	bench_json_u64(j, "flush_range_per_batch", d->v[C_FLUSH_RANGE]);
	bench_json_u64(j, "flush_page_per_batch", d->v[C_FLUSH_PAGE]);
	json_counters_per(j, "", d, n);
	json_kernel_reference(j);
}

static void
bench_big(struct bench_json *j, const struct bench_opts *o,
	  const struct big_opts *b, enum hvo_variant v)
{
	const char *vname = hvo_variant_name(v);
	uint64_t t_start = bench_now_ns(), t0, free_pages, vmemmap, pt, n;
	uint64_t rss0, rss_boot, rss_grow = 0, rss_shrink = 0, peak = 0, avail, need;
	uint64_t rss_check0 = 0, rss_check1 = 0;
	bool checked = false;
	uint64_t size = b->size, total, per;
	const char *sz = b->size_name;
	const unsigned cycles = b->cycles;
	double boot_ns, grow_ns, shrink_ns, check_ns = 0, kept = 0, ratio = 0;
	double per_hugepage = 0;
	double grow_each[BIG_CYCLES], shrink_each[BIG_CYCLES];
	double sorted[BIG_CYCLES];
	/* Host page faults taken by each cycle's grow and shrink. */
	uint64_t grow_faults[BIG_CYCLES], shrink_faults[BIG_CYCLES], f0;
	struct hvo_machine *m;
	struct hvo_geometry g;
	struct hvo_hstate_info h;
	struct hvo_mem_available avail_info;
	uint64_t usable;
	struct snap s0, dg, ds;
	char spec[128], why[256];
	bool hvo;
	int rc;

	snprintf(spec, sizeof(spec), "x86_64:mem=%s,hvo=%s", b->mem, vname);

	/* Every struct page may be written once: refuse what cannot fit. */
	{
		struct hvo_config cfg;
		char err[256];

		if (hvo_config_parse(&cfg, spec, err, sizeof(err)) ||
		    hvo_config_validate(&cfg, err, sizeof(err))) {
			fail("%s: %s", spec, err);
			return;
		}
		total = 0;
		for (unsigned i = 0; i < cfg.nr_mem_ranges; i++)
			total += cfg.mem[i].size;
		/*
		 * What the host holds at most: 512 bytes per 2M hugepage
		 * (the peak of a cycle was 520 at 1 TiB, 361 at 4 TiB:
		 * page tables, phys's frame table, free arena pages, head
		 * pages described by shape), the vmemmap 1G hugepages keep
		 * (a page per hugepage, 4 KiB at most, and 4 KiB more),
		 * 1G of slack.
		 */
		need = (total / size) * (size > 2 * MB ? 8192 : 512) + GB;
	}
	avail = proc_kb("/proc/meminfo", "MemAvailable");
	if (avail && avail < need) {
		snprintf(why, sizeof(why),
			 "the host has %" PRIu64 " MiB available, this machine may need %" PRIu64 " MiB",
			 avail >> 20, need >> 20);
		emit_skipped(j, "big_pool_grow", "x86_64-4l", spec, vname, sz, why);
		fprintf(stderr, "bench-hvo: %s skipped: %s\n", spec, why);
		return;
	}

	reset_peak_rss();
	rss0 = bench_rss_bytes();
	t0 = bench_now_ns();
	m = bench_machine_new("bench-hvo", spec);
	boot_ns = (double)(bench_now_ns() - t0);
	if (!m) {
		failed = true;
		return;
	}
	rss_boot = bench_rss_bytes();
	hvo_machine_geometry(m, &g);
	hvo_machine_pages(m, HVO_PAGES_FREE, &free_pages);
	if (hvo_mem_available(m, &avail_info) == 0)
		usable = avail_info.available_pages;
	else
		usable = free_pages;
	if (hvo_machine_hstate_by_size(m, size, &h)) {
		fail("%s: no %s hugepages", spec, sz);
		goto out;
	}
	hvo = h.optimizable;
	/*
	 * The most that fits: each hugepage takes 512 pages, and the grow
	 * needs one more page per hugepage for its new head and a PTE table
	 * per 64 hugepages before the old vmemmap is freed; the allocator
	 * keeps every zone's watermarks (MemAvailable leaves the high ones
	 * and the protections out); keep a margin.
	 */
	per = size / g.page_size;
	n = usable > 16384 ? (usable - 16384) / (per + 2) : 0;

	/*
	 * Grow and shrink BIG_CYCLES times on the same machine. The first
	 * grow also pays for the host memory the process has never had (on
	 * a VM, each new page is the hypervisor's first touch too); later
	 * ones reuse it, as a long-running kernel reuses its memory. The
	 * median is the figure; the first is reported beside it.
	 */
	for (unsigned c = 0; c < cycles; c++) {
		snap_take(m, &s0);
		f0 = bench_host_faults();
		t0 = bench_now_ns();
		rc = hvo_set_nr_hugepages(m, size, n);
		grow_each[c] = (double)(bench_now_ns() - t0);
		grow_faults[c] = bench_host_faults() - f0;
		snap_delta(m, &s0, &dg);
		if (rc == -ENOMEM && c == 0 && n &&
		    per > (UINT64_C(1) << g.max_page_order)) {
			n = gigantic_fit(m, spec, size, n);
			if (!n)
				goto out;
			c--;
			continue;
		}
		if (rc) {
			fail("%s: grow to %" PRIu64 ": %s", spec, n, hvo_machine_error(m));
			goto out;
		}
		check_pool(m, spec, size, n, hvo ? n : 0, "after the grow");
		check_batch_flushes(spec, "grow", &dg, hvo ? 2 : 0);
		if (c == 0) {
			rss_grow = bench_rss_bytes();
			peak = proc_kb("/proc/self/status", "VmHWM");
			per_hugepage = n ? (double)(rss_grow - rss_boot) / (double)n : 0;
			hvo_machine_pages(m, HVO_PAGES_VMEMMAP, &vmemmap);
			hvo_machine_pages(m, HVO_PAGES_PAGETABLE, &pt);
			kept = (double)((vmemmap + pt) * g.page_size);
			ratio = kept > 0 ? (double)rss_grow / kept : 0;
		}

		snap_take(m, &s0);
		f0 = bench_host_faults();
		t0 = bench_now_ns();
		rc = hvo_set_nr_hugepages(m, size, 0);
		shrink_each[c] = (double)(bench_now_ns() - t0);
		shrink_faults[c] = bench_host_faults() - f0;
		snap_delta(m, &s0, &ds);
		if (rc) {
			fail("%s: shrink to 0: %s", spec, hvo_machine_error(m));
			goto out;
		}
		check_pool(m, spec, size, 0, 0, "after the shrink");
		check_batch_flushes(spec, "shrink", &ds, hvo ? 1 : 0);
		rss_shrink = bench_rss_bytes();
		fprintf(stderr, "%-13s %-13s %-4s %-10s cycle %u: grow %.3f s, shrink %.3f s; host page faults %" PRIu64 " / %" PRIu64 "\n",
			"big", b->mem, sz, vname, c + 1, grow_each[c] / 1e9,
			shrink_each[c] / 1e9, grow_faults[c], shrink_faults[c]);
	}
	grow_ns = bench_median(grow_each, cycles, sorted);
	shrink_ns = bench_median(shrink_each, cycles, sorted);
	/* The figure that matters for the largest machines: all of it. */
	peak = proc_kb("/proc/self/status", "VmHWM");

	/*
	 * The check of the machine with its pool empty again: its cost
	 * should follow what was touched, and reading described struct
	 * pages should not give them host memory.
	 */
	rss_check0 = bench_rss_bytes();
	t0 = bench_now_ns();
	if (hvo_machine_check(m))
		fail("%s: hvo_machine_check: %s", spec, hvo_machine_error(m));
	check_ns = (double)(bench_now_ns() - t0);
	rss_check1 = bench_rss_bytes();
	checked = true;

	emit_big(j, "big_pool_grow", spec, vname, sz, n, grow_ns, &dg);
	bench_json_u64(j, "cycles", cycles);
	bench_json_double(j, "first_seconds", grow_each[0] / 1e9);
	bench_json_double(j, "max_seconds", max_of(grow_each, cycles) / 1e9);
	bench_json_u64(j, "first_host_faults", grow_faults[0]);
	bench_json_u64(j, "last_host_faults", grow_faults[cycles - 1]);
	bench_json_u64(j, "free_pages_at_boot", free_pages);
	bench_json_double(j, "boot_seconds", boot_ns / 1e9);
	bench_json_u64(j, "rss_before_boot_bytes", rss0);
	bench_json_u64(j, "rss_after_boot_bytes", rss_boot);
	bench_json_double(j, "host_first_touch_gib_per_s", b->touch_rate / (double)GB);
	bench_json_u64(j, "rss_bytes", rss_grow);
	/* VmHWM of the whole run, before the final check. */
	bench_json_u64(j, "peak_rss_bytes", peak);
	bench_json_double(j, "host_bytes_per_hugepage", per_hugepage);
	bench_json_u64(j, "vmemmap_bytes", vmemmap * g.page_size);
	bench_json_u64(j, "pagetable_bytes", pt * g.page_size);
	bench_json_u64(j, "kept_vmemmap_bytes", (uint64_t)kept);
	bench_json_double(j, "rss_ratio", ratio);
	bench_json_double(j, "rss_target_ratio", BIG_RSS_TARGET);
	bench_json_bool(j, "meets_rss_target", ratio <= BIG_RSS_TARGET);
	bench_json_result_end(j);

	emit_big(j, "big_pool_shrink", spec, vname, sz, n, shrink_ns, &ds);
	bench_json_u64(j, "cycles", cycles);
	bench_json_double(j, "first_seconds", shrink_each[0] / 1e9);
	bench_json_double(j, "max_seconds", max_of(shrink_each, cycles) / 1e9);
	bench_json_u64(j, "first_host_faults", shrink_faults[0]);
	bench_json_u64(j, "last_host_faults", shrink_faults[cycles - 1]);
	bench_json_u64(j, "rss_bytes", rss_shrink);
	bench_json_double(j, "check_seconds", check_ns / 1e9);
	bench_json_u64(j, "rss_before_check_bytes", rss_check0);
	bench_json_u64(j, "rss_after_check_bytes", rss_check1);
	bench_json_result_end(j);

	fprintf(stderr, "%-13s %-13s %-4s %-10s median grow %.3f s, shrink %.3f s (%"
		PRIu64 " hugepages), RSS %.2f GiB / kept %.2f GiB = %.3f, %.0f host bytes per hugepage, peak %.2f GiB\n",
		"big", b->mem, sz, vname, grow_ns / 1e9, shrink_ns / 1e9, n,
		(double)rss_grow / (double)GB, kept / (double)GB, ratio,
		per_hugepage, (double)peak / (double)GB);
	/* The host's vmemmap work, the same on any host (host.memmap_*). */
	if (n)
		fprintf(stderr, "%-13s %-13s %-4s %-10s vmemmap frames filled / compacted per hugepage: grow %.2f / %.2f, shrink %.2f / %.2f\n",
			"big", b->mem, sz, vname,
			(double)dg.v[C_MEMMAP_FILL] / (double)n,
			(double)dg.v[C_MEMMAP_COMPACT] / (double)n,
			(double)ds.v[C_MEMMAP_FILL] / (double)n,
			(double)ds.v[C_MEMMAP_COMPACT] / (double)n);
out:
	if (!checked) {
		t0 = bench_now_ns();
		if (hvo_machine_check(m))
			fail("%s: hvo_machine_check: %s", spec, hvo_machine_error(m));
		check_ns = (double)(bench_now_ns() - t0);
		rss_check0 = rss_check1 = bench_rss_bytes();
	}
	hvo_machine_free(m);
	fprintf(stderr, "%-13s %-13s %-4s %-10s wall %.1f s (boot %.1f s, check %.1f s, RSS %.2f -> %.2f GiB)\n",
		"big", b->mem, sz, vname,
		(double)(bench_now_ns() - t_start) / 1e9, boot_ns / 1e9,
		check_ns / 1e9, (double)rss_check0 / (double)GB,
		(double)rss_check1 / (double)GB);
}

/* ---------------------------------------------------------------------- */

static int
parse_variants(const char *list, bool *on)
{
	char buf[128], *save = NULL;

	memset(on, 0, NR_VARIANTS * sizeof(*on));
	if (strcmp(list, "none") == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < NR_VARIANTS; i++)
			if (strcmp(t, hvo_variant_name(variants[i])) == 0)
				break;
		if (i == NR_VARIANTS) {
			fprintf(stderr, "bench-hvo: unknown variant '%s': allowed are off, keep2, fakehead, sharedtail, all, none\n",
				t);
			return -1;
		}
		on[i] = true;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_json j;
	struct big_opts b = {
		.mem = "1T", .size_name = "2M", .size = 2 * MB, .cycles = BIG_CYCLES,
	};
	bool single, batch;
	const char *big_list = "all", *only = NULL, *preset = NULL;

	bench_opts_init(&o, false);
	argc = bench_parse_args(&o, argc, argv);
	if (argc < 0) {
		printf("  --big-mem=SIZE       RAM of the big machine (default 1T; --quick: 4G)\n"
		       "  --big-size=2M|1G     hugepage size of the big pool (default 2M)\n"
		       "  --big-cycles=N       grow and shrink cycles, 1 to 3 (default 3)\n"
		       "  --big-variants=LIST  variants of the big run: off,keep2,fakehead,\n"
		       "                       sharedtail, all (default) or none\n"
		       "  --only=single|batch|big  one part only\n"
		       "  --preset=NAME        single and batch runs of one preset only\n");
		return 0;
	}
	if (o.quick)
		b.mem = "4G";
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--big-mem=", 10) == 0) {
			b.mem = argv[i] + 10;
		} else if (strcmp(argv[i], "--big-size=2M") == 0) {
			b.size_name = "2M";
			b.size = 2 * MB;
		} else if (strcmp(argv[i], "--big-size=1G") == 0) {
			b.size_name = "1G";
			b.size = GB;
		} else if (strncmp(argv[i], "--big-cycles=", 13) == 0) {
			char *end;
			unsigned long c = strtoul(argv[i] + 13, &end, 10);

			if (*end || c < 1 || c > BIG_CYCLES) {
				fprintf(stderr, "bench-hvo: --big-cycles=%s: allowed are 1 to %d\n",
					argv[i] + 13, BIG_CYCLES);
				return 2;
			}
			b.cycles = (unsigned)c;
		} else if (strncmp(argv[i], "--big-variants=", 15) == 0) {
			big_list = argv[i] + 15;
		} else if (strncmp(argv[i], "--only=", 7) == 0) {
			only = argv[i] + 7;
		} else if (strncmp(argv[i], "--preset=", 9) == 0) {
			preset = argv[i] + 9;
		} else {
			fprintf(stderr, "bench-hvo: unknown argument '%s' (try --help)\n",
				argv[i]);
			return 2;
		}
	}
	if (only && strcmp(only, "single") != 0 && strcmp(only, "batch") != 0 &&
	    strcmp(only, "big") != 0) {
		fprintf(stderr, "bench-hvo: --only=%s: allowed are single, batch, big\n",
			only);
		return 2;
	}
	single = !only || strcmp(only, "single") == 0;
	batch = !only || strcmp(only, "batch") == 0;
	if (only && strcmp(only, "big") != 0)
		big_list = "none";
	if (strcmp(big_list, "all") == 0) {
		for (size_t i = 0; i < NR_VARIANTS; i++)
			b.variant[i] = true;
	} else if (parse_variants(big_list, b.variant)) {
		return 2;
	}

	bench_json_begin(&j, stdout, "hvo");
	for (size_t k = 0; single && k < NR_CASES; k++)
		for (size_t i = 0; i < NR_VARIANTS && want_case(&cases[k], preset); i++)
			bench_single(&j, &o, &cases[k], variants[i]);
	for (size_t k = 0; batch && k < NR_CASES; k++)
		for (size_t i = 0; i < NR_VARIANTS && want_case(&cases[k], preset); i++)
			bench_batch(&j, &o, &cases[k], variants[i]);
	for (size_t i = 0; i < NR_VARIANTS; i++) {
		if (!b.variant[i])
			continue;
		if (b.touch_rate == 0)
			b.touch_rate = host_first_touch_rate(o.quick ? 16 * MB : 512 * MB);
		bench_big(&j, &o, &b, variants[i]);
	}
	if (bench_json_end(&j))
		failed = true;
	return failed ? 1 : 0;
}
