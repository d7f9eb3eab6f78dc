/* SPDX-License-Identifier: MIT */
/*
 * kernel=RELEASE: each release behaves as that Linux release does.
 *
 * The figures of Linux 6.1 and 6.12 measured on real x86_64 kernels
 * (doc/KERNEL-FACTS.md, "Release history"; facts Parts 6 and 8), then one
 * test per row of the release table (lib/release/release.c), each naming
 * the rows it covers; test_every_row_is_tested fails when a row has none.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "mm/page.h"
#include "release/release.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define SZ_2M (2 * MIB)

/* ------------------------------------------------------------------ */
/* Which rows the tests cover                                          */
/* ------------------------------------------------------------------ */

#define MAX_COVERED 128

static struct {
	enum release_prop prop;
	unsigned major, minor;
} covered[MAX_COVERED];
static size_t nr_covered;

/* The row of @prop first shipped in @major.@minor is tested here. */
static void
covers(enum release_prop prop, unsigned major, unsigned minor)
{
	assert_true(nr_covered < MAX_COVERED);
	covered[nr_covered].prop = prop;
	covered[nr_covered].major = major;
	covered[nr_covered].minor = minor;
	nr_covered++;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/*
 * MemTotal and MemFree in pages, as /proc/meminfo adds them up once
 * deferred struct page init is over (as on a booted kernel).
 */
static void
meminfo(struct hvo_machine *m, uint64_t *total, uint64_t *free)
{
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	tu_meminfo(m, total, free);
}

static struct hvo_kernel_info
kernel_of(struct hvo_machine *m)
{
	struct hvo_kernel_info k;

	assert_int_equal(hvo_machine_kernel(m, &k), 0);
	return k;
}

/* The PTE of vmemmap page @i, after a split. */
static uint64_t
vmemmap_pte(struct hvo_machine *m, uint64_t pfn, unsigned i)
{
	struct hvo_walk w = tu_vmemmap_walk(m, pfn, i);

	assert_int_equal(w.leaf_size, tu_geometry(m).page_size);
	return w.level[w.nr_levels - 1].entry;
}

/* One 2M hugepage allocated with HVO off, then optimized by the release. */
static uint64_t
one_unoptimized(struct hvo_machine *m)
{
	struct hvo_kernel_info k = kernel_of(m);
	uint64_t pfn;

	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 1), 0);
	assert_int_equal(hvo_hugepage_pfn(m, SZ_2M, 0, &pfn), 0);
	assert_int_equal(hvo_set_variant(m, k.variant), 0);
	return pfn;
}

/* ------------------------------------------------------------------ */
/* Linux 6.1 (facts Part 6) and 6.12 (Part 8) on x86_64                 */
/* ------------------------------------------------------------------ */

/*
 * 6.1 keeps the head's vmemmap page (vmemmap_remap_free() with the reuse
 * page first, L6.1 mm/hugetlb_vmemmap.c:304-346): its pfn stays and stays
 * RW (...163); the 7 tails map it read-only with Dirty (...161, 6.1's
 * __PAGE_KERNEL_RO). The range flush skips the reuse page: 7 single-page
 * flushes; the first hugepage in 128M also splits its PMD (a full flush).
 */
static void
test_linux_6_1_mapping(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,kernel=6.1");
	uint64_t pfn, page0, e0, fp, fa, fr;

	(void)state;
	covers(RP_HEAD_COPY, 0, 0);
	covers(RP_X86_RO_DIRTY, 0, 0);
	covers(RP_VARIANT, 5, 18);
	pfn = one_unoptimized(m);
	page0 = tu_vmemmap_frame(m, pfn, 0);
	fp = tu_counter(m, "tlb.flush_page");
	fa = tu_counter(m, "tlb.flush_all");
	fr = tu_counter(m, "tlb.flush_range");
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	e0 = vmemmap_pte(m, pfn, 0);
	assert_int_equal(tu_vmemmap_frame(m, pfn, 0), page0);
	assert_int_equal(e0 & 0xfff, 0x163);
	for (unsigned i = 1; i < 8; i++) {
		assert_int_equal(tu_vmemmap_frame(m, pfn, i), page0);
		assert_int_equal(vmemmap_pte(m, pfn, i) & 0xfff, 0x161);
	}
	assert_int_equal(tu_counter(m, "tlb.flush_page") - fp, 7);
	assert_int_equal(tu_counter(m, "tlb.flush_all") - fa,
			 tu_counter(m, "hvo.split_pmd"));
	assert_int_equal(tu_counter(m, "tlb.flush_range") - fr,
			 1 + tu_counter(m, "hvo.split_pmd"));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* The distinct @region-sized pieces of RAM the first @n hugepages touch. */
static uint64_t
regions_touched(struct hvo_machine *m, uint64_t size, unsigned n,
		uint64_t region)
{
	struct hvo_geometry g = tu_geometry(m);
	uint64_t seen[64], nr = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t pfn, r;
		bool dup = false;

		assert_int_equal(hvo_hugepage_pfn(m, size, i, &pfn), 0);
		r = (pfn << g.page_shift) / region;
		for (uint64_t k = 0; k < nr; k++)
			dup |= seen[k] == r;
		if (!dup) {
			assert_true(nr < 64);
			seen[nr++] = r;
		}
	}
	return nr;
}

/*
 * 6.1 at run time: 512 x 2M on a 6G machine raise MemTotal by 14336 kB
 * (7 pages of boot memmap each); MemFree falls by the hugepages, less the
 * 7 pages each, plus the page tables of the PMD splits. The shrink gives
 * back no page table (the split is never undone) and MemTotal stays.
 */
static void
test_linux_6_1_runtime_meminfo(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G,kernel=6.1");
	uint64_t t0, f0, t1, f1, t2, f2, splits, pt0;

	(void)state;
	meminfo(m, &t0, &f0);
	pt0 = tu_pages(m, HVO_PAGES_PAGETABLE);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 512), 0);
	meminfo(m, &t1, &f1);
	splits = tu_counter(m, "hvo.split_pmd");
	/*
	 * A split per 128M the hugepages touch: 10 here. Memory comes in
	 * ascending pfn order (FPI_TO_TAIL at boot), the odd 2M block left
	 * at the zone's end first (__rmqueue_smallest()), and the first
	 * unmovable page HVO allocates claims the next free MAX_PAGE_ORDER
	 * block (__rmqueue_claim()), which the pool then skips: 1G + 2M
	 * from 4G up, one more 128M region.
	 */
	assert_int_equal(splits, regions_touched(m, SZ_2M, 512, 128 << 20));
	assert_int_equal((t1 - t0) * 4, 14336);
	assert_int_equal(f0 - f1, 512 * 512 - 512 * 7 + splits);
	assert_int_equal(tu_pages(m, HVO_PAGES_PAGETABLE) - pt0, splits);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 0), 0);
	meminfo(m, &t2, &f2);
	assert_int_equal(t2, t1);
	assert_int_equal(f0 - f2, splits);
	assert_int_equal(tu_pages(m, HVO_PAGES_PAGETABLE) - pt0, splits);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* MemTotal of a booted machine, in pages. */
static uint64_t
boot_total(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t t, f;

	meminfo(m, &t, &f);
	tu_assert_check(m);
	hvo_machine_free(m);
	return t;
}

/*
 * Boot-time gigantic pages (hugepagesz=1G hugepages=2) come from memblock
 * with a memblock memmap: HVO at boot raises MemTotal by what it frees,
 * 2 x 4095 pages on 6.1 (32760 kB) and 2 x 4096 on 6.12 (32768 kB, the
 * head page copied too).
 */
static void
test_boot_gigantic_meminfo(void **state)
{
	const char *base = "x86_64:mem=6G,hugepages=1G:2";
	char on[128], off[128];

	(void)state;
	snprintf(on, sizeof(on), "%s,kernel=6.1,hvo_default=on", base);
	snprintf(off, sizeof(off), "%s,kernel=6.1,hvo_default=off", base);
	assert_int_equal((boot_total(on) - boot_total(off)) * 4, 32760);
	snprintf(on, sizeof(on), "%s,kernel=6.12,hvo_default=on", base);
	snprintf(off, sizeof(off), "%s,kernel=6.12,hvo_default=off", base);
	assert_int_equal((boot_total(on) - boot_total(off)) * 4, 32768);
}

/*
 * 6.12: a new page takes a copy of the head page (6.2, 11aad2631bf7):
 * vm[0] moves, RW; the tails map the copy read-only without Dirty (...121,
 * f788b71768ff in 6.6). A pool grow is one batch (6.7): 2 flush_tlb_all()
 * and no single-page flush; one synchronize_rcu() (6.12, c2a967f6ab0e).
 * 512 hugepages raise MemTotal by 16384 kB.
 */
static void
test_linux_6_12(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G,kernel=6.12");
	uint64_t pfn, before0, e0, t0, f0, t1, f1, fa, fp, rcu;

	(void)state;
	covers(RP_HEAD_COPY, 6, 2);
	covers(RP_X86_RO_DIRTY, 6, 6);
	covers(RP_BATCHED, 6, 7);
	covers(RP_RCU, 6, 12);
	pfn = one_unoptimized(m);
	before0 = tu_vmemmap_frame(m, pfn, 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	e0 = vmemmap_pte(m, pfn, 0);
	assert_int_not_equal(tu_vmemmap_frame(m, pfn, 0), before0);
	assert_int_equal(e0 & 0xfff, 0x163);
	for (unsigned i = 1; i < 8; i++) {
		assert_int_equal(tu_vmemmap_frame(m, pfn, i), tu_vmemmap_frame(m, pfn, 0));
		assert_int_equal(vmemmap_pte(m, pfn, i) & 0xfff, 0x121);
	}
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 0), 0);

	meminfo(m, &t0, &f0);
	fa = tu_counter(m, "tlb.flush_all");
	fp = tu_counter(m, "tlb.flush_page");
	rcu = tu_counter(m, "hvo.synchronize_rcu");
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 512), 0);
	meminfo(m, &t1, &f1);
	assert_int_equal(tu_counter(m, "tlb.flush_all") - fa, 2);
	assert_int_equal(tu_counter(m, "tlb.flush_page") - fp, 0);
	assert_int_equal(tu_counter(m, "hvo.synchronize_rcu") - rcu, 1);
	/* The first hugepage's memory was optimized once already. */
	assert_int_equal((t1 - t0) * 4, 511 * 32);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ------------------------------------------------------------------ */
/* One test per row                                                    */
/* ------------------------------------------------------------------ */

/*
 * Flushes of a pool grow of 64 x 2M, by release: before 6.7 each hugepage
 * as it is allocated (split flushes, then a range flush of 6 pages for
 * keep2, 7 for 5.18-6.1, 8 for 6.2-6.6); from 6.7 one batch with two full
 * flushes, also when HVO is switched off (L6.12
 * mm/hugetlb_vmemmap.c:602-648); before 6.7 with HVO off, none.
 */
static void
grow_flushes(const char *spec, uint64_t *all, uint64_t *pages,
	     uint64_t *splits)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t a = tu_counter(m, "tlb.flush_all");
	uint64_t p = tu_counter(m, "tlb.flush_page");

	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 64), 0);
	*all = tu_counter(m, "tlb.flush_all") - a;
	*pages = tu_counter(m, "tlb.flush_page") - p;
	*splits = tu_counter(m, "hvo.split_pmd");
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_flush_pattern_by_release(void **state)
{
	static const struct {
		const char *kernel;
		uint64_t pages_each;  /* range flush per hugepage, before 6.7 */
	} before[] = {
		{ "5.17", 6 }, { "6.1", 7 }, { "6.6", 8 },
	};
	char spec[128];
	uint64_t all, pages, splits;

	(void)state;
	covers(RP_BATCHED, 0, 0);
	covers(RP_VARIANT, 5, 14);
	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
		snprintf(spec, sizeof(spec), "x86_64:mem=1G,kernel=%s",
			 before[i].kernel);
		grow_flushes(spec, &all, &pages, &splits);
		assert_true(splits >= 1);
		assert_int_equal(all, splits);
		assert_int_equal(pages, 64 * before[i].pages_each);
		snprintf(spec, sizeof(spec), "x86_64:mem=1G,kernel=%s,hvo_default=off",
			 before[i].kernel);
		grow_flushes(spec, &all, &pages, &splits);
		assert_int_equal(all + pages + splits, 0);
	}
	grow_flushes("x86_64:mem=1G,kernel=6.7", &all, &pages, &splits);
	assert_int_equal(all, 2);
	assert_int_equal(pages, 0);
	grow_flushes("x86_64:mem=1G,kernel=6.12,hvo_default=off", &all, &pages,
		     &splits);
	assert_int_equal(all, 2);
	assert_int_equal(splits, 0);
}

/*
 * synchronize_rcu() around HVO: none before 6.10; 6.10 and 6.11 once per
 * request, batched or not, before looking at the hugepages, so also with
 * HVO off and for a batch with nothing to do (bd225530a4c7; its hunks
 * are in c2a967f6ab0e's diff); 6.12 to 7.0 once per batch that optimizes
 * or restores (c2a967f6ab0e); none in 7.1.
 */
static uint64_t
rcu_of_cycle(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t r0 = tu_counter(m, "hvo.synchronize_rcu"), r;

	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 16), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 0), 0);
	r = tu_counter(m, "hvo.synchronize_rcu") - r0;
	tu_assert_check(m);
	hvo_machine_free(m);
	return r;
}

static void
test_synchronize_rcu_by_release(void **state)
{
	(void)state;
	covers(RP_RCU, 0, 0);
	covers(RP_RCU, 6, 10);
	covers(RP_RCU, 7, 1);
	assert_int_equal(rcu_of_cycle("x86_64:mem=256M,kernel=6.9"), 0);
	/* A grow batch and a shrink batch. */
	assert_int_equal(rcu_of_cycle("x86_64:mem=256M,kernel=6.10"), 2);
	assert_int_equal(rcu_of_cycle("x86_64:mem=256M,kernel=6.11,hvo_default=off"), 2);
	assert_int_equal(rcu_of_cycle("x86_64:mem=256M,kernel=6.12"), 2);
	assert_int_equal(rcu_of_cycle("x86_64:mem=256M,kernel=6.12,hvo_default=off"), 0);
	assert_int_equal(rcu_of_cycle("x86_64:mem=256M,kernel=7.0"), 2);
	assert_int_equal(rcu_of_cycle("x86_64:mem=256M,kernel=7.1"), 0);
}

/* What a release builds for @arch: HVO, the sysctl, its variant. */
static void
expect_kernel(const char *spec, bool has_hvo, bool has_sysctl,
	      enum hvo_variant v)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_kernel_info k = kernel_of(m);
	struct hvo_hstate_info h = tu_hstate(m, 0);

	if (k.has_hvo != has_hvo || k.has_sysctl != has_sysctl || k.variant != v)
		print_error("%s: has_hvo %d, has_sysctl %d, variant %s\n", spec,
			    k.has_hvo, k.has_sysctl, hvo_variant_name(k.variant));
	assert_int_equal(k.has_hvo, has_hvo);
	assert_int_equal(k.has_sysctl, has_sysctl);
	assert_int_equal(k.variant, v);
	assert_true(k.variant_from_release);
	/* Without HVO a pool saves nothing. */
	if (!has_hvo) {
		assert_false(h.optimizable);
		assert_int_equal(hvo_set_nr_hugepages(m, h.size, 2), 0);
		assert_int_equal(tu_hstate(m, 0).saved_bytes, 0);
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Which arches build HVO, by release: x86_64 from 5.14 (f41f2ed43ca5),
 * arm64 from 5.19 (1e63ac088f20) until 6.3 and 6.1.16 (060a2c92d1b6),
 * riscv64 from 6.4. The sysctl from 5.19 (78f39084b41d).
 */
static void
test_arches_and_sysctl_by_release(void **state)
{
	const enum hvo_variant OFF = HVO_VARIANT_OFF, K2 = HVO_VARIANT_KEEP2,
		FH = HVO_VARIANT_FAKEHEAD, ST = HVO_VARIANT_SHAREDTAIL;

	(void)state;
	covers(RP_HVO_ARCHES, 0, 0);
	covers(RP_HVO_ARCHES, 5, 14);
	covers(RP_HVO_ARCHES, 5, 19);
	covers(RP_HVO_ARCHES, 6, 3);
	covers(RP_HVO_ARCHES, 6, 4);
	covers(RP_VARIANT, 0, 0);
	covers(RP_VARIANT, 7, 1);
	covers(RP_SYSCTL, 0, 0);
	covers(RP_SYSCTL, 5, 19);
	expect_kernel("x86_64:mem=256M,kernel=5.13", false, false, OFF);
	expect_kernel("x86_64:mem=256M,kernel=5.14", true, false, K2);
	expect_kernel("x86_64:mem=256M,kernel=5.18", true, false, FH);
	expect_kernel("x86_64:mem=256M,kernel=5.19", true, true, FH);
	expect_kernel("x86_64:mem=256M,kernel=7.1", true, true, ST);
	expect_kernel("arm64:mem=256M,kernel=5.18", false, false, OFF);
	expect_kernel("arm64:mem=256M,kernel=5.19", true, true, FH);
	expect_kernel("arm64:mem=256M,kernel=6.1.15", true, true, FH);
	/* "6.1" is the line as maintained: the revert is in. */
	expect_kernel("arm64:mem=256M,kernel=6.1", false, false, OFF);
	expect_kernel("arm64:mem=256M,kernel=6.1.16", false, false, OFF);
	expect_kernel("arm64:mem=256M,kernel=6.2", true, true, FH);
	expect_kernel("arm64:mem=256M,kernel=6.12", false, false, OFF);
	expect_kernel("arm64:mem=256M", false, false, OFF);
	expect_kernel("riscv64:mem=256M,kernel=6.3", false, false, OFF);
	expect_kernel("riscv64:mem=256M,kernel=6.4", true, true, FH);
}

/*
 * A struct page that is not a power of two: HVO cannot run (5.14's
 * e9fdff87e893, "struct page crosses page boundaries").
 */
static void
test_struct_page_rule(void **state)
{
	struct hvo_machine *m;

	(void)state;
	covers(RP_STRUCT_PAGE_POW2, 0, 0);
	covers(RP_STRUCT_PAGE_POW2, 5, 14);
	m = tu_machine("x86_64:mem=256M,kernel=5.14,struct_page=72");
	assert_false(tu_hstate(m, 0).optimizable);
	assert_non_null(strstr(tu_hstate(m, 0).reason, "crosses page boundaries"));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The head page when no new page can be had: 6.2 falls back to the old
 * head page (11aad2631bf7); from 6.12.114 and 7.1 the hugepage stays
 * unoptimized (Kiryl Shutsemau's refactor of vmemmap_walk).
 */
static void
test_head_copy_fallback(void **state)
{
	static const struct {
		const char *kernel;
		bool optimized;
	} cases[] = {
		{ "6.2", true }, { "6.12.113", true }, { "6.12.114", false },
		{ "7.1", false },
	};

	(void)state;
	covers(RP_HEAD_COPY, 7, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char spec[96];
		struct hvo_machine *m;
		uint64_t pfn, f0;
		int rc;

		snprintf(spec, sizeof(spec), "x86_64:mem=256M,kernel=%s",
			 cases[i].kernel);
		m = tu_machine(spec);
		pfn = one_unoptimized(m);
		f0 = tu_vmemmap_frame(m, pfn, 0);
		/* sharedtail's first page is its shared tail: fail the head. */
		assert_int_equal(hvo_fail_page_alloc(m, strcmp(cases[i].kernel, "7.1") ? 1 : 2,
						     false), 0);
		rc = hvo_hugepage_optimize(m, pfn);
		if (cases[i].optimized) {
			assert_int_equal(rc, 0);
			assert_int_equal(tu_vmemmap_frame(m, pfn, 0), f0);
			assert_int_equal(tu_vmemmap_frame(m, pfn, 1), f0);
		} else {
			assert_int_equal(rc, -ENOMEM);
			assert_int_equal(tu_vmemmap_frame(m, pfn, 0), f0);
			assert_int_equal(tu_hstate(m, 0).optimized, 0);
		}
		hvo_fail_page_alloc(m, 0, false);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * What a restore writes into the tail pages it rebuilds: 5.18 to
 * 6.12.110 copy the head page and reset its first 3 struct pages
 * (NR_RESET_STRUCT_PAGE), 6.15 and 6.12.111 the first 4 (274fe92de2c4);
 * 6.12.114 and 7.1 copy the page mapped there verbatim. keep2 (5.14)
 * copies the 2nd page, which holds only tails. Struct page 64 (the first
 * of the 2nd vmemmap page) shows which.
 */
static bool
restored_page64_is_head(const char *kernel)
{
	char spec[96];
	struct hvo_machine *m;
	struct hvo_geometry g;
	uint64_t pfn, *sp;
	bool same;

	snprintf(spec, sizeof(spec), "x86_64:mem=256M,kernel=%s", kernel);
	m = tu_machine(spec);
	g = tu_geometry(m);
	pfn = one_unoptimized(m);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	sp = tu_read_struct_pages(m, pfn, 2 * g.page_size);
	/* The flags word of struct page 64 against the head's. */
	same = sp[g.page_size / 8] == sp[0];
	free(sp);
	hvo_machine_free(m);
	return same;
}

static void
test_restore_reset_by_release(void **state)
{
	(void)state;
	covers(RP_RESET_PAGES, 0, 0);
	covers(RP_RESET_PAGES, 5, 18);
	covers(RP_RESET_PAGES, 6, 15);
	covers(RP_RESET_PAGES, 7, 1);
	assert_false(restored_page64_is_head("5.17"));
	assert_false(restored_page64_is_head("6.1"));
	assert_false(restored_page64_is_head("6.12.110"));
	assert_false(restored_page64_is_head("6.12.113"));
	assert_true(restored_page64_is_head("6.12.114"));
	assert_false(restored_page64_is_head("7.1"));
}

/*
 * Boot gigantic pages against the vmemmap: up to 6.14 the hugepages=
 * handler runs after setup_arch() populated the vmemmap (whose memblock
 * blocks took the top of RAM), so a 1G page lands below them; from 6.15
 * on x86 (7.0 on every arch) it is taken first, at the top of RAM.
 */
static uint64_t
boot_gigantic_pfn(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t pfn;

	assert_int_equal(hvo_hugepage_pfn(m, GIB, 0, &pfn), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
	return pfn;
}

static void
test_boot_gigantic_order(void **state)
{
	const uint64_t top_x86 = (3 * GIB) >> 12;
	const uint64_t top_arm = (GIB + 3 * GIB) >> 12;

	(void)state;
	covers(RP_BOOT_GIGANTIC_FIRST, 0, 0);
	covers(RP_BOOT_GIGANTIC_FIRST, 6, 15);
	covers(RP_BOOT_GIGANTIC_FIRST, 7, 0);
	assert_int_not_equal(boot_gigantic_pfn("x86_64:mem=4G,hugepages=1G:1,kernel=6.14"),
			     top_x86);
	assert_int_equal(boot_gigantic_pfn("x86_64:mem=4G,hugepages=1G:1,kernel=6.15"),
			 top_x86);
	assert_int_not_equal(boot_gigantic_pfn("arm64:mem=4G,hugepages=1G:1,kernel=6.15"),
			     top_arm);
	assert_int_equal(boot_gigantic_pfn("arm64:mem=4G,hugepages=1G:1,kernel=7.0"),
			 top_arm);
}

/*
 * Bootmem pre-HVO: hugepagesz=1G hugepages=2 with HVO on. Up to 6.14 HVO
 * at hugetlb init splits the 16 PMDs and flushes all twice; from 6.15 on
 * x86_64 (not riscv) the pages are populated optimized: no split, one
 * flush_tlb_all() (nr_to_optimize 0). 6.15 to 7.0 mirror each page's own
 * head page; 7.1 populates late, on one shared tail page. An empty batch
 * flushes once from 6.15 (tests/test-prehvo.c has the rest).
 */
static void
test_bootmem_prehvo_by_release(void **state)
{
	static const struct {
		const char *spec;
		uint64_t prehvo, splits, flushes;
		bool shared;
	} cases[] = {
		{ "x86_64:mem=8G,hugepages=1G:2,hvo_default=on,kernel=6.14", 0, 16, 2, false },
		{ "x86_64:mem=8G,hugepages=1G:2,hvo_default=on,kernel=6.15", 2, 0, 1, false },
		{ "x86_64:mem=8G,hugepages=1G:2,hvo_default=on,kernel=7.0", 2, 0, 1, false },
		{ "x86_64:mem=8G,hugepages=1G:2,hvo_default=on,kernel=7.1", 2, 0, 1, true },
		{ "riscv64:mem=8G,hugepages=1G:2,hvo_default=on,kernel=7.1", 0, 16, 2, true },
	};

	(void)state;
	covers(RP_BOOTMEM_PREHVO, 0, 0);
	covers(RP_BOOTMEM_PREHVO, 6, 15);
	covers(RP_BOOTMEM_PREHVO_LATE, 0, 0);
	covers(RP_BOOTMEM_PREHVO_LATE, 7, 1);
	covers(RP_BATCH_SKIP_EMPTY, 0, 0);
	covers(RP_BATCH_SKIP_EMPTY, 6, 15);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hvo_machine *m = tu_machine(cases[i].spec);
		uint64_t p0, p1;

		assert_int_equal(hvo_hugepage_pfn(m, GIB, 0, &p0), 0);
		assert_int_equal(hvo_hugepage_pfn(m, GIB, 1, &p1), 0);
		assert_int_equal(tu_counter(m, "hvo.prehvo"), cases[i].prehvo);
		assert_int_equal(tu_counter(m, "hvo.split_pmd"), cases[i].splits);
		assert_int_equal(tu_counter(m, "tlb.flush_all"), cases[i].flushes);
		/* The tails of both pages on one page, or each on its own. */
		assert_int_equal(tu_vmemmap_frame(m, p0, 1) == tu_vmemmap_frame(m, p1, 1),
				 cases[i].shared);
		if (cases[i].prehvo && !cases[i].shared)
			assert_int_equal(tu_vmemmap_frame(m, p0, 1),
					 tu_vmemmap_frame(m, p0, 0));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/* The leaf entry of the first struct page, whatever its level. */
static uint64_t
first_struct_page_leaf(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(m);
	struct hvo_walk w;
	uint64_t va, e;

	assert_int_equal(hvo_pfn_to_page(m, g.first_pfn, &va), 0);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_true(w.mapped);
	e = w.level[w.nr_levels - 1].entry;
	tu_assert_check(m);
	hvo_machine_free(m);
	return e;
}

/*
 * arm64 entries by release (test-arch and test-mmu pin every value; this
 * is the row's consequence): PROT_SECT_NORMAL gains PTE_WRITE (bit 51) in
 * 6.5 and never has PTE_DIRTY (bit 55); kernel entries are nG (bit 11)
 * from 4.16 (KPTI with KASLR); 52-bit VA with 4K pages from 6.9 (LPA2).
 */
static void
test_arm64_entries_by_release(void **state)
{
	const uint64_t write = UINT64_C(1) << 51, dirty = UINT64_C(1) << 55;
	const uint64_t ng = UINT64_C(1) << 11;
	struct hvo_config cfg;
	char err[512];
	uint64_t e;

	(void)state;
	covers(RP_ARM64_SECT_WRITE, 0, 0);
	covers(RP_ARM64_SECT_WRITE, 6, 5);
	covers(RP_ARM64_KPTI, 0, 0);
	covers(RP_ARM64_KPTI, 4, 16);
	covers(RP_ARM64_LPA2, 0, 0);
	covers(RP_ARM64_LPA2, 6, 9);
	e = first_struct_page_leaf("arm64:granule=4K,mem=256M,kernel=6.4");
	assert_int_equal(e & (write | dirty), 0);
	e = first_struct_page_leaf("arm64:granule=4K,mem=256M,kernel=6.5");
	assert_int_equal(e & (write | dirty), write);
	assert_int_equal(first_struct_page_leaf("arm64:granule=4K,mem=256M,kernel=4.15") & ng, 0);
	assert_int_equal(first_struct_page_leaf("arm64:granule=4K,mem=256M,kernel=4.16") & ng, ng);
	assert_int_equal(hvo_config_parse(&cfg, "arm64:granule=4K,va=52,kernel=6.8",
					  err, sizeof(err)), -EINVAL);
	assert_int_equal(hvo_config_parse(&cfg, "arm64:granule=4K,va=52,kernel=6.9",
					  err, sizeof(err)), 0);
}

/* ------------------------------------------------------------------ */
/* struct page by release: page flags and the folio layout             */
/* ------------------------------------------------------------------ */

/* include/uapi/linux/kernel-page-flags.h (and KPF_RESERVED, 32). */
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_HUGE 17
#define KPF_HWPOISON 19
#define KPF_RESERVED 32
/* ZONE_DMA32 << ZONES_PGSHIFT (bit 51: 10 node bits, 3 zone bits). */
#define ZONE_DMA32_FLAGS (UINT64_C(1) << 51)

/*
 * enum pageflags by release and arch (doc/KERNEL-FACTS.md, "Page flags
 * and page types"): where PG_reserved sits in a boot-reserved page, PG_head
 * in a hugepage's head, and PG_hwpoison once set (riscv has none: no
 * MEMORY_FAILURE); kpageflags keeps its uapi bits whatever the release.
 */
static const struct {
	const char *spec;
	uint64_t reserved_pfn; /* the kernel image, or firmware: PG_reserved */
	int reserved, head, hwpoison; /* bit numbers; -1: no such flag */
} pageflag_cases[] = {
	/* L6.1 include/linux/page-flags.h:100-141, x86 PG_uncached at 22 */
	{ "x86_64:mem=1G,kernel=6.1", 0x1000, 12, 16, 23 },
	/* arm64 selects no ARCH_USES_PG_UNCACHED */
	{ "arm64:mem=1G,kernel=6.1.15", 0x40200, 12, 16, 22 },
	/* c704ae979784: PG_writeback 1, PG_head 6 */
	{ "x86_64:mem=1G,kernel=6.6", 0x1000, 14, 6, 23 },
	/* 46df8e73a4a3: no PG_slab */
	{ "x86_64:mem=1G,kernel=6.10", 0x1000, 13, 6, 22 },
	/* L6.12 include/linux/page-flags.h:93-129 */
	{ "x86_64:mem=1G,kernel=6.12", 0x1000, 13, 6, 20 },
	{ "riscv64:mem=1G,kernel=6.12", 0x80000, 13, 6, -1 },
	/* cceba6f7e46c: PG_dropbehind before PG_mlocked */
	{ "x86_64:mem=1G,kernel=6.14", 0x1000, 13, 6, 21 },
	{ "x86_64:mem=1G", 0x1000, 13, 6, 21 },
};

static void
test_page_flags_by_release(void **state)
{
	(void)state;
	covers(RP_PAGEFLAGS, 0, 0);
	covers(RP_PAGEFLAGS, 6, 6);
	covers(RP_PAGEFLAGS, 6, 10);
	covers(RP_PAGEFLAGS, 6, 12);
	covers(RP_PAGEFLAGS, 6, 14);
	for (size_t i = 0; i < ARRAY_SIZE(pageflag_cases); i++) {
		const char *spec = pageflag_cases[i].spec;
		struct hvo_machine *m = tu_machine(spec);
		uint64_t rpfn = pageflag_cases[i].reserved_pfn, pfn, kpf;
		uint64_t *w, want;
		int hw = pageflag_cases[i].hwpoison;

		/* A boot-reserved page: PG_reserved and nothing else low. */
		w = tu_read_struct_pages(m, rpfn, 8);
		want = UINT64_C(1) << pageflag_cases[i].reserved;
		if ((w[0] & 0xffffffff) != want)
			fail_msg("%s: flags of reserved pfn 0x%" PRIx64 " are 0x%" PRIx64 ", want PG_reserved alone (0x%" PRIx64 ")",
				 spec, rpfn, w[0], want);
		free(w);
		assert_int_equal(hvo_kpageflags(m, rpfn, &kpf), 0);
		assert_int_equal(kpf, UINT64_C(1) << KPF_RESERVED);

		/* PG_hwpoison, set as memory_failure() would. */
		page_set_flag(m, pfn_to_page(m, rpfn), PG_hwpoison, true);
		w = tu_read_struct_pages(m, rpfn, 8);
		if (hw >= 0)
			want |= UINT64_C(1) << hw;
		if ((w[0] & 0xffffffff) != want)
			fail_msg("%s: flags with PG_hwpoison are 0x%" PRIx64 ", want 0x%" PRIx64,
				 spec, w[0], want);
		free(w);
		assert_int_equal(hvo_kpageflags(m, rpfn, &kpf), 0);
		assert_int_equal(kpf, (UINT64_C(1) << KPF_RESERVED) |
				      (hw >= 0 ? UINT64_C(1) << KPF_HWPOISON :
						 0));
		page_set_flag(m, pfn_to_page(m, rpfn), PG_hwpoison, false);

		/* PG_head in a hugepage's head, and nothing else low. */
		assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 1), 0);
		assert_int_equal(hvo_hugepage_pfn(m, SZ_2M, 0, &pfn), 0);
		w = tu_read_struct_pages(m, pfn, 8);
		want = UINT64_C(1) << pageflag_cases[i].head;
		if ((w[0] & 0xffffffff) != want)
			fail_msg("%s: head flags 0x%" PRIx64 ", want PG_head at bit %d",
				 spec, w[0], pageflag_cases[i].head);
		free(w);
		/* PageHuge(): the page type, or 6.1's destructor in page[1]. */
		assert_int_equal(hvo_kpageflags(m, pfn, &kpf), 0);
		assert_int_equal(kpf, (UINT64_C(1) << KPF_COMPOUND_HEAD) |
				      (UINT64_C(1) << KPF_HUGE));
		assert_int_equal(hvo_kpageflags(m, pfn + 5, &kpf), 0);
		assert_int_equal(kpf, (UINT64_C(1) << KPF_COMPOUND_TAIL) |
				      (UINT64_C(1) << KPF_HUGE));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * Struct pages 0 to 4 of a fresh 2M hugepage, grown with HVO off so that
 * only prep wrote them, against @want (five 64-byte struct pages, their
 * words in order); @head_va is the head's address, for the words that
 * point into the vmemmap.
 */
static void
check_fresh_folio(const char *spec,
		  void (*expect)(uint64_t want[5][8], uint64_t head_va))
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t want[5][8], pfn, va, *w;

	pfn = one_unoptimized(m);
	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	expect(want, va);
	w = tu_read_struct_pages(m, pfn, 5 * 64);
	for (unsigned p = 0; p < 5; p++)
		for (unsigned k = 0; k < 8; k++)
			if (w[p * 8 + k] != want[p][k])
				fail_msg("%s: struct page %u +%u is 0x%016" PRIx64 ", want 0x%016" PRIx64,
					 spec, p, 8 * k, w[p * 8 + k], want[p][k]);
	free(w);
	tu_assert_check(m);
	/* And it is freed clean, its tails passing the free-time checks. */
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 0), 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * A plain tail of the compound page at @head_va (prep_compound_tail()):
 * the zone, compound_head, TAIL_MAPPING, private 0, _mapcount -1,
 * _refcount 0 (frozen).
 */
static void
plain_tail(uint64_t w[8], uint64_t zone_flags, uint64_t head_va)
{
	w[0] = zone_flags;
	w[1] = head_va + 1;
	w[2] = 0;
	w[3] = TAIL_MAPPING;
	w[4] = 0;
	w[5] = 0;
	w[6] = 0x00000000ffffffff; /* _mapcount -1, _refcount 0 */
	w[7] = 0;
}

/*
 * 6.1 (L6.1 mm/page_alloc.c:807-834 prep_compound_page(),
 * mm/hugetlb.c:1989-1997 __prep_new_huge_page(); the layout in
 * include/linux/mm_types.h:137-149): the head has PG_head (bit 16) and no
 * page type; page[1] the destructor and order bytes and compound_mapcount
 * over lru.prev, compound_pincount and compound_nr over mapping, the
 * subpool (_private_1) over index; the cgroups and the hwpoison list are
 * .private of page[2], [3] and [4]; the tails keep TAIL_MAPPING.
 */
static void
expect_6_1(uint64_t want[5][8], uint64_t zone_flags, uint64_t head_va)
{
	for (unsigned p = 1; p < 5; p++)
		plain_tail(want[p], zone_flags, head_va);
	want[0][0] = zone_flags | UINT64_C(1) << 16;
	want[0][1] = want[0][2] = head_va + 8; /* INIT_LIST_HEAD(&page->lru) */
	want[0][3] = want[0][4] = want[0][5] = 0;
	want[0][6] = 0x00000000ffffffff; /* no page type, frozen */
	want[0][7] = 0;
	/* HUGETLB_PAGE_DTOR 2, order 9, compound_mapcount -1 */
	want[1][2] = 0xffffffff00000902;
	/* compound_pincount 0, compound_nr 512 */
	want[1][3] = UINT64_C(512) << 32;
	want[1][4] = 0; /* hugetlb_set_page_subpool(page, NULL) */
	/* set_hugetlb_cgroup(), _rsvd(): page[2] and [3].private 0 */
}

static void
expect_x86_6_1(uint64_t want[5][8], uint64_t head_va)
{
	expect_6_1(want, ZONE_DMA32_FLAGS, head_va);
}

/* arm64's 1G of RAM at 1G is all ZONE_DMA (below 4G): zone 0. */
static void
expect_arm64_6_1(uint64_t want[5][8], uint64_t head_va)
{
	expect_6_1(want, 0, head_va);
}

/*
 * 6.12 (L6.12 mm/internal.h:709-729 prep_compound_head() and
 * prep_compound_tail(), mm/hugetlb.c:1970-1977 init_new_hugetlb_folio();
 * include/linux/mm_types.h:367-405): PG_head at bit 6 and the hugetlb
 * page type (0xf4) in the head; page[1] the order in _flags_1's low byte,
 * _large_mapcount and _entire_mapcount -1, _nr_pages_mapped and _pincount
 * 0, _folio_nr_pages 512; page[2] an empty _deferred_list. Before 6.12.111
 * (and from 6.2) the hugetlb fields lie over page[2] instead of page[3]:
 * then the list's words are the subpool and the cgroup, 0, and page[3] is
 * a plain tail.
 */
static void
expect_6_12(uint64_t want[5][8], uint64_t zone_flags, uint64_t head_va,
	    bool page3)
{
	for (unsigned p = 1; p < 5; p++)
		plain_tail(want[p], zone_flags, head_va);
	want[0][0] = zone_flags | UINT64_C(1) << 6;
	want[0][1] = want[0][2] = head_va + 8;
	want[0][3] = want[0][4] = want[0][5] = 0;
	want[0][6] = 0x00000000f4000000; /* PGTY_hugetlb, frozen */
	want[0][7] = 0;
	want[1][0] = zone_flags | 9;
	want[1][2] = 0xffffffffffffffff;
	want[1][3] = 0;
	want[1][4] = 512;
	if (page3) {
		/* INIT_LIST_HEAD(&folio->_deferred_list) */
		want[2][2] = want[2][3] = head_va + 2 * 64 + 16;
		/* page[3]: subpool, cgroup, cgroup_rsvd, hwpoison, all 0 */
		want[3][2] = want[3][3] = want[3][4] = want[3][5] = 0;
	} else {
		want[2][2] = want[2][3] = want[2][4] = want[2][5] = 0;
	}
}

static void
expect_x86_6_12(uint64_t want[5][8], uint64_t head_va)
{
	expect_6_12(want, ZONE_DMA32_FLAGS, head_va, true);
}

/*
 * 7.1: 6.12.111's layout; the tails' compound_info is the mask of an
 * order-9 folio of 64-byte struct pages, ~((1 << 15) - 1) with bit 0 set
 * (doc/KERNEL-FACTS.md, "Compound pages and compound_head()").
 */
static void
expect_x86_7_1(uint64_t want[5][8], uint64_t head_va)
{
	expect_6_12(want, ZONE_DMA32_FLAGS, head_va, true);
	for (unsigned p = 1; p < 5; p++)
		want[p][1] = 0xffffffffffff8001;
}

static void
expect_x86_6_12_110(uint64_t want[5][8], uint64_t head_va)
{
	expect_6_12(want, ZONE_DMA32_FLAGS, head_va, false);
}

/*
 * riscv's RAM at 2G: ZONE_DMA32. libhvo numbers the zones as x86 does
 * (DMA32 is 1); riscv's kernel, without ZONE_DMA, numbers it 0
 * (doc/KERNEL-FACTS.md, "Zone and node bits in page->flags").
 */
static void
expect_riscv_6_12(uint64_t want[5][8], uint64_t head_va)
{
	expect_6_12(want, ZONE_DMA32_FLAGS, head_va, true);
}

static void
test_fresh_folio_by_release(void **state)
{
	(void)state;
	covers(RP_FOLIO_LAYOUT, 0, 0);
	covers(RP_FOLIO_LAYOUT, 6, 2);
	covers(RP_FOLIO_LAYOUT, 6, 15);
	check_fresh_folio("x86_64:mem=1G,kernel=6.1,checkpages=on", expect_x86_6_1);
	check_fresh_folio("arm64:mem=1G,kernel=6.1.15,checkpages=on",
			  expect_arm64_6_1);
	check_fresh_folio("x86_64:mem=1G,kernel=6.12.110,checkpages=on",
			  expect_x86_6_12_110);
	check_fresh_folio("x86_64:mem=1G,kernel=6.12,checkpages=on",
			  expect_x86_6_12);
	check_fresh_folio("x86_64:mem=1G,checkpages=on", expect_x86_7_1);
	check_fresh_folio("riscv64:mem=1G,kernel=6.12,checkpages=on",
			  expect_riscv_6_12);
}

/*
 * 6.1's gigantic pages are built by hand (L6.1 mm/hugetlb.c:2007-2064
 * __prep_compound_gigantic_page()): their tails get compound_head but no
 * TAIL_MAPPING. 6.12's come from the compound allocator like the rest.
 */
static uint64_t
gigantic_tail_mapping(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t pfn, *w, map;

	assert_int_equal(hvo_hugepage_pfn(m, GIB, 0, &pfn), 0);
	w = tu_read_struct_pages(m, pfn, 8 * 64);
	map = w[5 * 8 + 3];
	assert_int_equal(w[5 * 8 + 1] & 1, 1);
	free(w);
	tu_assert_check(m);
	assert_int_equal(hvo_set_nr_hugepages(m, GIB, 0), 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
	return map;
}

static void
test_gigantic_tails_by_release(void **state)
{
	(void)state;
	assert_int_equal(gigantic_tail_mapping("x86_64:mem=4G,hugepages=1G:1,kernel=6.1,checkpages=on"),
			 0);
	assert_int_equal(gigantic_tail_mapping("x86_64:mem=4G,hugepages=1G:1,kernel=6.12.113,checkpages=on"),
			 TAIL_MAPPING);
}

/*
 * Every release's restore gives the tails back exactly: a fakehead copy
 * of the head page resets 3 struct pages while the hugetlb fields lie over
 * page[2] at most, and 4 once they lie over page[3] (the table keeps
 * RP_RESET_PAGES and RP_FOLIO_LAYOUT in step: resetting 3 with page[3]'s
 * layout is restore-tail-mapping); keep2 copies a page of tails, and
 * sharedtail the shared tail. The 512 struct pages of a 2M hugepage after
 * optimize and restore are the ones before, byte for byte, and free clean.
 * (6.12.114 to 6.12.118 copy the head page verbatim: not here.)
 */
static void
check_restore_exact(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t pfn = one_unoptimized(m), *pre, *now;

	pre = tu_read_struct_pages(m, pfn, 512 * 64);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	tu_assert_check(m);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	now = tu_read_struct_pages(m, pfn, 512 * 64);
	for (unsigned i = 0; i < 512 * 8; i++)
		if (now[i] != pre[i])
			fail_msg("%s: struct page %u +%u is 0x%" PRIx64 " after the restore, 0x%" PRIx64 " before",
				 spec, i / 8, 8 * (i % 8), now[i], pre[i]);
	free(pre);
	free(now);
	tu_assert_check(m);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 0), 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_restore_tails_exact(void **state)
{
	static const char *const kernels[] = {
		"5.14", "5.17", "5.18", "6.1", "6.2", "6.6", "6.10", "6.12.0",
		"6.12.110", "6.12.111", "6.12.113", "6.14", "6.15", "7.0", "7.1",
	};
	char spec[96];

	(void)state;
	/* The table: no release resets 3 with the hugetlb fields in page[3]. */
	for (unsigned ma = 5; ma <= 7; ma++) {
		for (unsigned mi = 0; mi < 20; mi++) {
			for (unsigned su = 0; su <= 120; su += ma == 6 && mi == 12 ? 1 : 120) {
				struct kernel_release r;

				snprintf(spec, sizeof(spec), "%u.%u.%u", ma, mi, su);
				assert_int_equal(release_parse(spec, &r, NULL, 0), 0);
				if (release_get(&r, RP_FOLIO_LAYOUT) == FOLIO_LAYOUT_V6_15 &&
				    release_get(&r, RP_RESET_PAGES) == 3)
					fail_msg("%s resets 3 struct pages with the page[3] layout",
						 spec);
			}
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(kernels); i++) {
		snprintf(spec, sizeof(spec), "x86_64:mem=256M,kernel=%s,checkpages=on",
			 kernels[i]);
		check_restore_exact(spec);
	}
	/* Overrides run their variant's release, with the machine's layout. */
	check_restore_exact("x86_64:mem=256M,kernel=6.1,hvo=keep2,checkpages=on");
	check_restore_exact("x86_64:mem=256M,kernel=6.1,hvo=sharedtail,checkpages=on");
	check_restore_exact("x86_64:mem=256M,kernel=5.17,hvo=fakehead,checkpages=on");
	check_restore_exact("x86_64:mem=256M,hvo=fakehead,checkpages=on");
	check_restore_exact("arm64:mem=256M,kernel=6.1.15,checkpages=on");
	check_restore_exact("riscv64:mem=256M,kernel=6.12.113,checkpages=on");
}

/* ------------------------------------------------------------------ */
/* Parsing and builds                                                  */
/* ------------------------------------------------------------------ */

static void
test_release_strings(void **state)
{
	static const char *const bad[] = {
		"6", "six", "6.", "6.x", "6.1.", "6.1.x", "6..1", "1.0", "100.1",
		"6.1-foo", "6.1.0 ", "1234.1", "6.1234",
	};
	struct hvo_config cfg;
	char spec[96], err[512];
	struct hvo_machine *m;
	struct hvo_kernel_info k;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(spec, sizeof(spec), "x86_64:kernel=%s", bad[i]);
		err[0] = '\0';
		assert_int_equal(hvo_config_parse(&cfg, spec, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, "kernel="))
			print_error("%s: %s\n", spec, err);
		assert_non_null(strstr(err, "kernel="));
	}
	/* Debian's builds: HVO off at boot, page checks on (init_on_alloc). */
	m = tu_machine("x86_64:mem=256M,kernel=6.12.117+deb12-amd64");
	k = kernel_of(m);
	assert_string_equal(k.build, "Debian");
	assert_false(k.hvo_default);
	assert_true(k.check_pages);
	assert_int_equal(k.variant, HVO_VARIANT_FAKEHEAD);
	tu_assert_check(m);
	hvo_machine_free(m);
	m = tu_machine("x86_64:mem=256M,kernel=6.1.0-28-amd64,init_on_alloc=0");
	k = kernel_of(m);
	assert_string_equal(k.build, "Debian");
	assert_false(k.check_pages);
	assert_string_equal(k.release, "6.1.0-28-amd64");
	tu_assert_check(m);
	hvo_machine_free(m);
	/* The mainline build, and an override. */
	m = tu_machine("x86_64:mem=256M,kernel=6.12-rc3,hvo=keep2");
	k = kernel_of(m);
	assert_string_equal(k.build, "mainline");
	assert_true(k.hvo_default);
	assert_false(k.check_pages);
	assert_int_equal(k.variant, HVO_VARIANT_KEEP2);
	assert_false(k.variant_from_release);
	tu_assert_check(m);
	hvo_machine_free(m);
	/* No variant before HVO existed. */
	assert_int_equal(hvo_config_parse(&cfg, "x86_64:kernel=5.10,hvo=fakehead",
					  err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "predates HVO"));
	/* The canonical spec names the release and keeps the override. */
	assert_int_equal(hvo_config_parse(&cfg, "x86_64:kernel=6.1,hvo=keep2,hvo_default=off",
					  err, sizeof(err)), 0);
	assert_int_equal(hvo_config_format(&cfg, spec, sizeof(spec)), -ENOSPC);
	{
		char buf[512];

		assert_int_equal(hvo_config_format(&cfg, buf, sizeof(buf)), 0);
		assert_non_null(strstr(buf, ",kernel=6.1,"));
		assert_non_null(strstr(buf, ",hvo=keep2,"));
		assert_non_null(strstr(buf, ",hvo_default=off"));
	}
}

/* An override runs that variant's own machinery: keep2 on 6.12 as 5.17. */
static void
test_override_runs_its_release(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12,hvo=keep2");
	uint64_t pfn, f1, fp;

	(void)state;
	pfn = one_unoptimized(m);
	f1 = tu_vmemmap_frame(m, pfn, 1);
	fp = tu_counter(m, "tlb.flush_page");
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	assert_int_equal(tu_counter(m, "tlb.flush_page") - fp, 6);
	for (unsigned i = 2; i < 8; i++)
		assert_int_equal(tu_vmemmap_frame(m, pfn, i), f1);
	/* ... with 6.12's read-only entry. */
	assert_int_equal(vmemmap_pte(m, pfn, 2) & 0xfff, 0x121);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * riscv's vmemmap is aligned to the largest folio only from 7.1
 * (VMEMMAP_ADDR_ALIGN): with RAM at 2G+512M, the base moves by the
 * struct pages of 512M.
 */
static void
test_riscv_vmemmap_align(void **state)
{
	struct hvo_machine *a = tu_machine("riscv64:va=39,mem=256M@0xa0000000,kernel=6.12");
	struct hvo_machine *b = tu_machine("riscv64:va=39,mem=256M@0xa0000000,kernel=7.1");
	struct hvo_geometry ga = tu_geometry(a), gb = tu_geometry(b);

	(void)state;
	covers(RP_VMEMMAP_FOLIO_ALIGN, 0, 0);
	covers(RP_VMEMMAP_FOLIO_ALIGN, 7, 1);
	assert_int_equal(ga.vmemmap_start - ga.vmemmap_base,
			 (UINT64_C(0xa0000000) >> 12) * 64);
	assert_int_equal(gb.vmemmap_start - gb.vmemmap_base,
			 (UINT64_C(0x80000000) >> 12) * 64);
	tu_assert_check(a);
	tu_assert_check(b);
	hvo_machine_free(a);
	hvo_machine_free(b);
}

/*
 * Rows whose test lives in another program: the file (under tests/) and
 * the test function, which must be there.
 */
static const struct {
	enum release_prop prop;
	unsigned major, minor;
	const char *file, *test;
} elsewhere[] = {
	{ RP_BOOT_PARAM, 0, 0, "test-release-bugs.c", "test_cmdline_5_10_unknown" },
	{ RP_BOOT_PARAM, 5, 14, "test-release-bugs.c", "test_cmdline_5_14_on_off" },
	{ RP_BOOT_PARAM, 5, 19, "test-release-bugs.c", "test_cmdline_5_19_kstrtobool" },
	{ RP_BOOT_PARAM, 6, 0, "test-release-bugs.c", "test_cmdline_6_1_bare_means_on" },
	{ RP_BOOT_PARAM, 6, 15, "test-release-bugs.c", "test_cmdline_6_15_bare_refused" },
	{ RP_VMEMMAP_REPORT, 0, 0, "test-release-bugs.c", "test_boot_log_vmemmap_report" },
	{ RP_VMEMMAP_REPORT, 6, 0, "test-release-bugs.c", "test_boot_log_vmemmap_report" },
	{ RP_INIT_ON_ALLOC, 0, 0, "test-release-bugs.c", "test_cmdline_init_on_alloc" },
	{ RP_INIT_ON_ALLOC, 5, 3, "test-release-bugs.c", "test_cmdline_init_on_alloc" },
	{ RP_DEMOTE, 0, 0, "test-demote.c", "test_demote_before_5_16" },
	{ RP_DEMOTE, 5, 16, "test-demote.c", "test_demote_linux_5_16" },
	{ RP_DEMOTE_BATCHED, 0, 0, "test-demote.c", "test_demote_1g_linux_6_1" },
	{ RP_DEMOTE_BATCHED, 6, 12, "test-demote.c", "test_demote_1g_linux_6_12" },
	{ RP_UNACCEPTED_MEMORY, 0, 0, "test-procfs.c", "test_meminfo_no_unaccepted_before_6_5" },
	{ RP_UNACCEPTED_MEMORY, 6, 5, "test-procfs.c", "test_meminfo_unaccepted_linux_6_5" },
	{ RP_VMSTAT_TEXT, 0, 0, "test-guest.c", "test_proc_files_have_the_kernels_fields" },
	{ RP_VMSTAT_TEXT, 6, 2, "test-procfs.c", "test_vmstat_names_by_release" },
	{ RP_VMSTAT_TEXT, 6, 8, "test-procfs.c", "test_vmstat_names_by_release" },
	{ RP_VMSTAT_TEXT, 6, 11, "test-procfs.c", "test_vmstat_names_by_release" },
	{ RP_VMSTAT_TEXT, 6, 12, "test-guest.c", "test_proc_files_have_the_kernels_fields" },
	{ RP_WMARK_MOVABLE_AS_HIGHMEM, 0, 0, "test-guest.c", "test_layout_and_tunables_match" },
	{ RP_WMARK_MOVABLE_AS_HIGHMEM, 6, 12, "test-guest.c", "test_layout_and_tunables_match" },
	{ RP_ZONEINFO_PROMO, 0, 0, "test-guest.c", "test_proc_files_have_the_kernels_fields" },
	{ RP_ZONEINFO_PROMO, 6, 12, "test-guest.c", "test_proc_files_have_the_kernels_fields" },
	{ RP_VMSTAT_MEMMAP, 0, 0, "test-procfs.c", "test_vmstat_no_memmap_before_6_11" },
	{ RP_VMSTAT_MEMMAP, 6, 11, "test-procfs.c", "test_vmstat_memmap_linux_6_11" },
	{ RP_ZONE_DEVICE_ARCHES, 0, 0, "test-procfs.c", "test_zone_device_before_6_11" },
	{ RP_ZONE_DEVICE_ARCHES, 6, 11, "test-procfs.c", "test_zone_device_linux_6_11" },
	{ RP_RMQUEUE_FALLBACK, 0, 0, "test-release-alloc.c", "test_fallback_single_page_by_release" },
	{ RP_RMQUEUE_FALLBACK, 6, 10, "test-release-alloc.c", "test_merge_across_pageblocks_by_release" },
	{ RP_RMQUEUE_FALLBACK, 6, 15, "test-release-alloc.c", "test_fallback_biggest_buddy_by_release" },
	{ RP_PCP_HIGH_AUTO, 0, 0, "test-release-alloc.c", "test_pcp_free_high_by_release" },
	{ RP_PCP_HIGH_AUTO, 6, 7, "test-release-alloc.c", "test_pcp_refill_by_release" },
};

/* The directory of the test sources (the program's argument). */
static const char *tests_dir;

/* Whether tests/@file defines @test(void **state). */
static bool
defined_in(const char *file, const char *test)
{
	char path[512], want[160];
	char *text;
	size_t len;
	bool found;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tests_dir, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	text = malloc(1 << 20);
	assert_non_null(text);
	len = fread(text, 1, (1 << 20) - 1, f);
	text[len] = '\0';
	fclose(f);
	snprintf(want, sizeof(want), "\n%s(void **state)\n", test);
	found = strstr(text, want) != NULL;
	free(text);
	return found;
}

/*
 * A release built by hand (resolved false) is looked up in the table at
 * every release_get(); it must answer as the one-pass resolution of
 * release_parse() does, for every property of releases on both sides
 * of the table's rows. release_prop_name() names each property once.
 */
static void
test_release_by_hand_matches_resolved(void **state)
{
	static const char *const specs[] = {
		"5.10", "5.17", "6.1", "6.1.0-28-amd64", "6.12", "6.12.117+deb12-amd64",
		"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct kernel_release r, hand;

		assert_int_equal(release_parse(specs[i], &r, NULL, 0), 0);
		assert_true(r.resolved);
		hand = r;
		hand.resolved = false;
		for (unsigned p = 0; p < RP__COUNT; p++) {
			assert_ptr_equal(release_row_of(&hand, (enum release_prop)p),
					 r.row[p]);
			assert_ptr_equal(release_row_of(&r, (enum release_prop)p),
					 r.row[p]);
			assert_int_equal(release_get(&hand, (enum release_prop)p),
					 release_get(&r, (enum release_prop)p));
		}
		assert_null(release_row_of(&hand, RP__COUNT));
		assert_int_equal(release_get(&hand, RP__COUNT), 0);
	}
	for (unsigned p = 0; p < RP__COUNT; p++) {
		const char *name = release_prop_name((enum release_prop)p);

		assert_non_null(name);
		for (unsigned q = 0; q < p; q++)
			assert_string_not_equal(name,
				release_prop_name((enum release_prop)q));
	}
	assert_null(release_prop_name(RP__COUNT));
}

/*
 * release_parse() at the edges of its grammar: NULL is the newest, as
 * ""; a name longer than the field, a part of four digits or more and an
 * unknown suffix are refused; a Debian flavour without an ABI number
 * keeps the line's stable updates; "+" that is not "+deb" is a local
 * version of a mainline release.
 */
static void
test_release_parse_edges(void **state)
{
	struct kernel_release r, newest;
	char err[256], longname[sizeof(r.name) + 8];

	(void)state;
	assert_int_equal(release_parse("", &newest, NULL, 0), 0);
	assert_int_equal(release_parse(NULL, &r, NULL, 0), 0);
	assert_string_equal(r.name, newest.name);
	assert_int_equal(r.major, newest.major);
	assert_int_equal(r.minor, newest.minor);

	memset(longname, '1', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(release_parse(longname, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(release_parse("1234.1", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(release_parse("6.1234", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(release_parse("6.1-foo", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a release"));

	assert_int_equal(release_parse("6.1-amd64", &r, NULL, 0), 0);
	assert_int_equal(r.major, 6);
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.sublevel, RELEASE_NEWEST_POINT);
	assert_int_equal(release_parse("6.1.5+foo-amd64", &r, NULL, 0), 0);
	assert_int_equal(r.sublevel, 5);
	assert_int_equal(release_parse("6.12.3-rc1", &r, NULL, 0), 0);
	assert_int_equal(r.minor, 12);
	assert_int_equal(r.sublevel, 3);

	/*
	 * A variant no release ran leaves the release as it is; an arch
	 * past the 64 a property's set can name is in no set.
	 */
	{
		struct kernel_release out;

		release_for_variant(&r, (enum hvo_variant)99, &out);
		assert_string_equal(out.name, r.name);
		assert_int_equal(out.sublevel, r.sublevel);
		assert_true(out.resolved);
	}
	assert_false(release_arch_has(&r, RP_ZONE_DEVICE_ARCHES,
				      (enum hvo_arch_id)64));
}

/* Every row of the table is named by some test. */
static void
test_every_row_is_tested(void **state)
{
	size_t n, missing = 0;
	const struct release_row *rows = release_table(&n);

	(void)state;
	if (!tests_dir)
		fail_msg("give the directory of the test sources as the argument");
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < nr_covered && !found; j++)
			found = covered[j].prop == rows[i].prop &&
				covered[j].major == rows[i].major &&
				covered[j].minor == rows[i].minor;
		for (size_t j = 0; j < sizeof(elsewhere) / sizeof(elsewhere[0]) && !found; j++)
			found = elsewhere[j].prop == rows[i].prop &&
				elsewhere[j].major == rows[i].major &&
				elsewhere[j].minor == rows[i].minor &&
				defined_in(elsewhere[j].file, elsewhere[j].test);
		if (!found) {
			print_error("row %u.%u %s (%s) has no test\n", rows[i].major,
				    rows[i].minor, release_prop_name(rows[i].prop),
				    rows[i].what);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_6_1_mapping),
		cmocka_unit_test(test_linux_6_1_runtime_meminfo),
		cmocka_unit_test(test_boot_gigantic_meminfo),
		cmocka_unit_test(test_linux_6_12),
		cmocka_unit_test(test_flush_pattern_by_release),
		cmocka_unit_test(test_synchronize_rcu_by_release),
		cmocka_unit_test(test_arches_and_sysctl_by_release),
		cmocka_unit_test(test_struct_page_rule),
		cmocka_unit_test(test_head_copy_fallback),
		cmocka_unit_test(test_restore_reset_by_release),
		cmocka_unit_test(test_release_strings),
		cmocka_unit_test(test_override_runs_its_release),
		cmocka_unit_test(test_riscv_vmemmap_align),
		cmocka_unit_test(test_boot_gigantic_order),
		cmocka_unit_test(test_bootmem_prehvo_by_release),
		cmocka_unit_test(test_page_flags_by_release),
		cmocka_unit_test(test_fresh_folio_by_release),
		cmocka_unit_test(test_gigantic_tails_by_release),
		cmocka_unit_test(test_restore_tails_exact),
		cmocka_unit_test(test_arm64_entries_by_release),
		/* last: it reads what the tests above covered */
		cmocka_unit_test(test_release_by_hand_matches_resolved),
		cmocka_unit_test(test_release_parse_edges),
		cmocka_unit_test(test_every_row_is_tested),
	};

	tests_dir = argc > 1 ? argv[1] : NULL;
	return tu_run("release", tests, sizeof(tests) / sizeof(tests[0]));
}
