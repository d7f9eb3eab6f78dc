/* SPDX-License-Identifier: MIT */
/*
 * Shared test helpers: CMocka in TAP mode (so Meson counts every test case),
 * machines built from specs, host RSS.
 */
#ifndef HVO_TESTUTIL_H
#define HVO_TESTUTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hvo/hvo.h"

/* Build a machine from a spec; fails the test with the reason if it cannot. */
struct hvo_machine *
tu_machine(const char *spec);

/* Build from "PRESET:extra" (extra may be NULL or ""). */
struct hvo_machine *
tu_preset_machine(size_t preset, const char *extra);

/* Assert hvo_machine_check() passes, printing the broken rule if not. */
#define tu_assert_check(m)                                                  \
	do {                                                                \
		int rc_ = hvo_machine_check(m);                             \
		if (rc_)                                                    \
			print_error("check failed: %s\n", hvo_machine_error(m)); \
		assert_int_equal(rc_, 0);                                   \
	} while (0)

/* The zone called @name ("DMA32"); fails the test if there is none. */
struct hvo_zone_info
tu_zone_named(const struct hvo_machine *m, const char *name);

/* A counter by name; fails the test if there is no such counter. */
uint64_t
tu_counter(const struct hvo_machine *m, const char *name);

/* The geometry of a machine. */
struct hvo_geometry
tu_geometry(const struct hvo_machine *m);

/* Frames of one category. */
uint64_t
tu_pages(const struct hvo_machine *m, enum hvo_page_category c);

/* The three counts an HVO operation moves. */
struct tu_acct {
	uint64_t free, pt, vm;
};

struct tu_acct
tu_acct(const struct hvo_machine *m);

/*
 * MemTotal and MemFree in pages, as /proc/meminfo adds them up
 * (si_meminfo(): the managed pages, and the free ones wherever they wait).
 */
void
tu_meminfo(const struct hvo_machine *m, uint64_t *total, uint64_t *free);

/* An hstate by index; fails the test if there is none. */
struct hvo_hstate_info
tu_hstate(const struct hvo_machine *m, unsigned i);

/*
 * An unmapped kernel VA aligned to the leaf size of @depth, below the
 * vmemmap (where vmalloc lives on every arch), where a leaf of that depth
 * can be created: nothing mapped and no table reaching past @depth.
 */
uint64_t
tu_free_kernel_va(struct hvo_machine *m, unsigned depth);

/* The head pfns of up to @max hugepages of the pool of @size, in pool order. */
size_t
tu_pool_pfns(struct hvo_machine *m, uint64_t size, uint64_t *pfn, size_t max);

/*
 * The watermarks Linux 6.12 gives zone @i (hvo_machine_zone() order) of
 * a machine just booted with the default tunables, computed here from
 * the zones' managed pages (deferred ones included, as after
 * page_alloc_init_late()): calculate_min_free_kbytes() (int_sqrt of
 * lowmem kB * 16, clamped to 128..262144), raised by khugepaged's
 * set_recommended_min_free_kbytes(), and __setup_per_zone_wmarks()
 * (watermark_scale_factor 10). The library is checked against these.
 */
struct tu_wmark {
	int min_free_kbytes;
	uint64_t min, low, high, promo;
};

void
tu_kernel_wmarks(const struct hvo_machine *m, unsigned i, struct tu_wmark *w);

/*
 * What allocations leave free when every zone has been allocated down
 * with a gfp whose highest zone it is: each populated zone's min
 * watermark (__zone_watermark_ok() refuses the page that would take it
 * to min; the slow path's drain gives back the pcp pages first).
 */
uint64_t
tu_kernel_min_total(const struct hvo_machine *m);

/* Which listed zone (hvo_machine_zone index) holds @pfn. */
unsigned
tu_zone_of(const struct hvo_machine *m, uint64_t pfn);

/* The walk to vmemmap page @i of the struct pages from @pfn's on (mapped). */
struct hvo_walk
tu_vmemmap_walk(struct hvo_machine *m, uint64_t pfn, unsigned i);

/* The frame behind vmemmap page @i of the hugepage at @pfn. */
uint64_t
tu_vmemmap_frame(struct hvo_machine *m, uint64_t pfn, unsigned i);

/* The struct pages of @bytes from pfn's, read through the vmemmap (malloc'd). */
uint64_t *
tu_read_struct_pages(struct hvo_machine *m, uint64_t pfn, uint64_t bytes);

/* hvo_machine_report_json() of @m with no walks, as a string (malloc'd). */
char *
tu_report_json(struct hvo_machine *m);

/* Whether /proc/vmstat has line @name, its value in *@val (may be NULL). */
bool
tu_vmstat_find(const struct hvo_machine *m, const char *name, uint64_t *val);

/* The value of /proc/vmstat line @name; fails the test without one. */
uint64_t
tu_vmstat(const struct hvo_machine *m, const char *name);

/* Resident set size of this process, in bytes (from /proc/self/statm). */
uint64_t
tu_rss_bytes(void);

/*
 * Run a group in TAP mode. Tests that are parameterised by preset are built
 * at run time; this takes a counted array.
 */
int
tu_run(const char *name, const struct CMUnitTest *tests, size_t n);

/*
 * The matrix: for each preset, one test case named "<test>/<preset>" whose
 * state is the preset index (cast from a size_t stored in the state array).
 */
struct tu_matrix_test {
	const char *name;
	CMUnitTestFunction fn;
};

int
tu_run_matrix(const char *group, const struct tu_matrix_test *tests,
	      size_t n);

/* In a matrix test: the preset index of this case. */
size_t
tu_preset_of(void **state);

#endif /* HVO_TESTUTIL_H */
