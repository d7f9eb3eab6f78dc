/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

struct hvo_machine *
tu_machine(const char *spec)
{
	struct hvo_config cfg;
	struct hvo_machine *m = NULL;
	char err[512];

	if (hvo_config_parse(&cfg, spec, err, sizeof(err)) != 0) {
		print_error("spec '%s': %s\n", spec, err);
		fail();
	}
	if (hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0) {
		print_error("machine '%s': %s\n", spec, err);
		fail();
	}
	return m;
}

struct hvo_machine *
tu_preset_machine(size_t preset, const char *extra)
{
	char spec[512];

	snprintf(spec, sizeof(spec), "%s%s%s", hvo_preset_name(preset),
		 extra && *extra ? ":" : "", extra ? extra : "");
	return tu_machine(spec);
}

uint64_t
tu_counter(const struct hvo_machine *m, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(hvo_machine_counter_get(m, name, &v), 0);
	return v;
}

struct hvo_geometry
tu_geometry(const struct hvo_machine *m)
{
	struct hvo_geometry g;

	assert_int_equal(hvo_machine_geometry(m, &g), 0);
	return g;
}

uint64_t
tu_pages(const struct hvo_machine *m, enum hvo_page_category c)
{
	uint64_t v = 0;

	assert_int_equal(hvo_machine_pages(m, c, &v), 0);
	return v;
}

struct tu_acct
tu_acct(const struct hvo_machine *m)
{
	struct tu_acct a = {
		.free = tu_pages(m, HVO_PAGES_FREE),
		.pt = tu_pages(m, HVO_PAGES_PAGETABLE),
		.vm = tu_pages(m, HVO_PAGES_VMEMMAP),
	};

	return a;
}

void
tu_meminfo(const struct hvo_machine *m, uint64_t *total, uint64_t *free)
{
	struct hvo_zone_info z;

	*total = *free = 0;
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		*total += z.managed_pages;
		*free += z.free_pages + z.pcp_pages + z.deferred_pages;
	}
}

struct hvo_hstate_info
tu_hstate(const struct hvo_machine *m, unsigned i)
{
	struct hvo_hstate_info h;

	assert_int_equal(hvo_machine_hstate(m, i, &h), 0);
	return h;
}

uint64_t
tu_free_kernel_va(struct hvo_machine *m, unsigned depth)
{
	struct hvo_geometry g = tu_geometry(m);
	uint64_t size = g.level_leaf_size[depth];
	uint64_t top = g.vmemmap_start & ~(size - 1);

	assert_true(size != 0);
	for (uint64_t k = 64; k; k /= 2) {
		struct hvo_walk w;
		uint64_t va = top - k * size;

		if (hvo_walk(m, va, &w) != 0)
			continue; /* below the kernel half */
		if (!w.mapped && w.nr_levels <= depth + 1 &&
		    !w.level[w.nr_levels - 1].valid)
			return va;
	}
	fail_msg("no free %s-sized kernel VA below 0x%llx",
		 g.level_name[depth], (unsigned long long)g.vmemmap_start);
	return 0;
}

size_t
tu_pool_pfns(struct hvo_machine *m, uint64_t size, uint64_t *pfn, size_t max)
{
	size_t n = 0;

	while (n < max && hvo_hugepage_pfn(m, size, n, &pfn[n]) == 0)
		n++;
	return n;
}

unsigned
tu_zone_of(const struct hvo_machine *m, uint64_t pfn)
{
	struct hvo_zone_info z;

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++)
		if (pfn >= z.start_pfn && pfn < z.start_pfn + z.spanned_pages)
			return i;
	fail_msg("pfn 0x%" PRIx64 " is in no zone", pfn);
	return 0;
}

/* The floor of the square root, by bisection: independent of the library's. */
static uint64_t
tu_isqrt(uint64_t x)
{
	uint64_t lo = 0, hi = UINT64_C(1) << 32;

	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (mid * mid <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* __setup_per_zone_wmarks() of @managed pages of @lowmem, for @kb. */
static void
wmarks_for(int kb, unsigned page_shift, uint64_t managed, uint64_t lowmem,
	   bool movable, struct tu_wmark *w)
{
	uint64_t pages_min = (uint64_t)kb >> (page_shift - 10);
	uint64_t tmp = lowmem ? pages_min * managed / lowmem : 0;
	uint64_t step;

	w->min_free_kbytes = kb;
	if (movable) {
		w->min = managed / 1024;
		w->min = w->min < 32 ? 32 : w->min > 128 ? 128 : w->min;
	} else {
		w->min = tmp;
	}
	/* mult_frac(managed, 10, 10000) */
	step = managed / 10000 * 10 + managed % 10000 * 10 / 10000;
	if (tmp / 4 > step)
		step = tmp / 4;
	w->low = w->min + step;
	w->high = w->low + step;
	w->promo = w->high + step;
}

void
tu_kernel_wmarks(const struct hvo_machine *m, unsigned i, struct tu_wmark *w)
{
	struct hvo_geometry g = tu_geometry(m);
	struct hvo_zone_info z;
	uint64_t lowmem = 0, managed = 0, kb, buffer = 0, nr_zones = 0, rec;
	bool movable = false;
	int min_free_kbytes;

	for (unsigned j = 0; hvo_machine_zone(m, j, &z) == 0; j++) {
		uint64_t n = z.managed_pages + z.deferred_pages;

		if (strcmp(z.name, "Movable"))
			lowmem += n;
		if (j == i) {
			managed = n;
			movable = !strcmp(z.name, "Movable");
		}
	}
	/* nr_free_buffer_pages(): no high watermark yet at the first call. */
	kb = tu_isqrt((lowmem << (g.page_shift - 10)) * 16);
	min_free_kbytes = kb < 128 ? 128 : kb > 262144 ? 262144 : (int)kb;
	/*
	 * set_recommended_min_free_kbytes() when khugepaged starts (every
	 * build libhvo models enables THP): 11 pageblocks per populated zone
	 * up to Normal, at most 5% of the managed pages above the high
	 * watermarks the first value gave.
	 */
	for (unsigned j = 0; hvo_machine_zone(m, j, &z) == 0; j++) {
		struct tu_wmark first;
		uint64_t n = z.managed_pages + z.deferred_pages;

		if (!strcmp(z.name, "Movable") || !strcmp(z.name, "Device"))
			continue;
		if (z.present_pages)
			nr_zones++;
		wmarks_for(min_free_kbytes, g.page_shift, n, lowmem, false, &first);
		if (n > first.high)
			buffer += n - first.high;
	}
	rec = (UINT64_C(1) << g.pageblock_order) * nr_zones * (2 + 3 * 3);
	if (rec > buffer / 20)
		rec = buffer / 20;
	rec <<= g.page_shift - 10;
	if (rec > (uint64_t)min_free_kbytes)
		min_free_kbytes = (int)rec;
	wmarks_for(min_free_kbytes, g.page_shift, managed, lowmem, movable, w);
}

uint64_t
tu_kernel_min_total(const struct hvo_machine *m)
{
	struct hvo_zone_info z;
	uint64_t sum = 0;

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		struct tu_wmark w;

		if (!z.present_pages)
			continue;
		tu_kernel_wmarks(m, i, &w);
		sum += w.min;
	}
	return sum;
}

struct hvo_walk
tu_vmemmap_walk(struct hvo_machine *m, uint64_t pfn, unsigned i)
{
	struct hvo_geometry g = tu_geometry(m);
	struct hvo_walk w;
	uint64_t va;

	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	va = (va & ~(uint64_t)(g.page_size - 1)) + (uint64_t)i * g.page_size;
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_true(w.mapped);
	return w;
}

uint64_t
tu_vmemmap_frame(struct hvo_machine *m, uint64_t pfn, unsigned i)
{
	return tu_vmemmap_walk(m, pfn, i).pa >> tu_geometry(m).page_shift;
}

uint64_t *
tu_read_struct_pages(struct hvo_machine *m, uint64_t pfn, uint64_t bytes)
{
	uint64_t *buf = malloc(bytes), va;
	int rc = 0;

	assert_non_null(buf);
	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	/* One assert for millions of loads: cmocka's are slow under ASan. */
	for (uint64_t i = 0; i < bytes / 8 && !rc; i++)
		rc = hvo_kread64(m, va + i * 8, &buf[i]);
	if (rc)
		fail_msg("reading the struct pages of pfn 0x%" PRIx64 ": %s", pfn,
			 hvo_machine_error(m));
	return buf;
}

bool
tu_vmstat_find(const struct hvo_machine *m, const char *name, uint64_t *val)
{
	const char *n;
	uint64_t v;

	for (unsigned i = 0; hvo_machine_vmstat(m, i, &n, &v) == 0; i++) {
		if (!strcmp(n, name)) {
			if (val)
				*val = v;
			return true;
		}
	}
	return false;
}

uint64_t
tu_vmstat(const struct hvo_machine *m, const char *name)
{
	uint64_t v = 0;

	if (!tu_vmstat_find(m, name, &v))
		fail_msg("/proc/vmstat has no %s", name);
	return v;
}

char *
tu_report_json(struct hvo_machine *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(hvo_machine_report_json(m, NULL, 0, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

uint64_t
tu_rss_bytes(void)
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

int
tu_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}

size_t
tu_preset_of(void **state)
{
	return *(size_t *)*state;
}

int
tu_run_matrix(const char *group, const struct tu_matrix_test *tests, size_t n)
{
	size_t np = hvo_preset_count(), total = n * np;
	struct CMUnitTest *cases = calloc(total, sizeof(*cases));
	size_t *idx = calloc(np, sizeof(*idx));
	char **names = calloc(total, sizeof(*names));
	int rc;

	if (!cases || !idx || !names) {
		free(cases);
		free(idx);
		free(names);
		return 1;
	}
	for (size_t p = 0; p < np; p++)
		idx[p] = p;
	for (size_t t = 0; t < n; t++) {
		for (size_t p = 0; p < np; p++) {
			size_t k = t * np + p;
			size_t len = strlen(tests[t].name) +
				     strlen(hvo_preset_name(p)) + 2;

			names[k] = malloc(len);
			if (names[k])
				snprintf(names[k], len, "%s/%s", tests[t].name,
					 hvo_preset_name(p));
			cases[k].name = names[k] ? names[k] : tests[t].name;
			cases[k].test_func = tests[t].fn;
			cases[k].initial_state = &idx[p];
		}
	}
	rc = tu_run(group, cases, total);
	for (size_t k = 0; k < total; k++)
		free(names[k]);
	free(names);
	free(cases);
	free(idx);
	return rc;
}

struct hvo_zone_info
tu_zone_named(const struct hvo_machine *m, const char *name)
{
	struct hvo_zone_info z;

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++)
		if (!strcmp(z.name, name))
			return z;
	fail_msg("no zone %s", name);
	return z;
}
