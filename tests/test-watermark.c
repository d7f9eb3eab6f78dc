/* SPDX-License-Identifier: MIT */
/*
 * Watermarks, lowmem reserves and free-page counting against Linux 6.12's
 * mm/page_alloc.c, mm/vmstat.c and mm/show_mem.c: every expected number
 * is computed here from the zones' managed pages with the kernel's
 * formulas (tu_kernel_wmarks()) or written out with its derivation.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "testutil.h"
#include "mem/buddy.h"

#define SPEC_4G "x86_64:mem=4G"
#define SPEC_4G_OFF "x86_64:mem=4G,hvo=off"

/* The i-th listed zone. */
static struct hvo_zone_info
zone(const struct hvo_machine *m, unsigned i)
{
	struct hvo_zone_info z;

	assert_int_equal(hvo_machine_zone(m, i, &z), 0);
	return z;
}

/* A booted 4G x86-64 machine: DMA, DMA32, Normal (empty), Movable. */
static struct hvo_machine *
booted(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);

	/* page_alloc_init_late(): deferred init is over before userspace. */
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	return m;
}

/*
 * calculate_min_free_kbytes() and __setup_per_zone_wmarks(): 4G gives
 * lowmem 3840 + 1026045 pages = 4119540 kB, int_sqrt(65912640) = 8118 kB.
 * Then khugepaged starts (set_recommended_min_free_kbytes(), THP built
 * in and enabled): 2 populated zones up to Normal * 512 * (2 + 3 * 3) =
 * 11264 pages = 45056 kB, below 5% of lowmem, so it wins; 11264 pages
 * are shared by zone size; the step is the larger of min/4 and
 * managed * 10 / 10000. ZONE_MOVABLE, empty, gets clamp(0, 32, 128).
 */
static void
test_init_per_zone_wmark_min(void **state)
{
	static const uint64_t want[4][4] = {
		{ 41, 51, 61, 71 },         /* DMA: 11264 * 3840 / 1029885 */
		{ 11222, 14027, 16832, 19637 }, /* DMA32: step 2805 */
		{ 0, 0, 0, 0 },             /* Normal: no pages */
		{ 32, 32, 32, 32 },         /* Movable: SWAP_CLUSTER_MAX */
	};
	struct hvo_machine *m = booted(SPEC_4G);
	int kb;

	(void)state;
	assert_int_equal(hvo_min_free_kbytes_get(m, &kb), 0);
	assert_int_equal(kb, 45056);
	for (unsigned i = 0; i < 4; i++) {
		struct hvo_zone_info z = zone(m, i);
		struct tu_wmark w;

		tu_kernel_wmarks(m, i, &w);
		assert_int_equal(w.min_free_kbytes, kb);
		assert_int_equal(z.wmark_min, w.min);
		assert_int_equal(z.wmark_low, w.low);
		assert_int_equal(z.wmark_high, w.high);
		assert_int_equal(z.wmark_promo, w.promo);
		assert_int_equal(z.wmark_min, want[i][0]);
		assert_int_equal(z.wmark_low, want[i][1]);
		assert_int_equal(z.wmark_high, want[i][2]);
		assert_int_equal(z.wmark_promo, want[i][3]);
		/* boost_watermark() needs a migratetype fallback: none here. */
		assert_int_equal(z.watermark_boost, 0);
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* The same formulas on other page sizes and zone layouts. */
static void
test_init_per_zone_wmark_min_arches(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=1G,deferred=off",
		"x86_64:mem=64M",
		"x86_64:mem=16G",
		"arm64:granule=4K,va=48,mem=2G",
		"arm64:granule=64K,va=48,mem=4G",
		"riscv64:mem=2G",
	};

	(void)state;
	for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		struct hvo_machine *m = booted(specs[s]);
		struct hvo_zone_info z;
		int kb;

		assert_int_equal(hvo_min_free_kbytes_get(m, &kb), 0);
		for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
			struct tu_wmark w;

			tu_kernel_wmarks(m, i, &w);
			if (kb != w.min_free_kbytes || z.wmark_min != w.min ||
			    z.wmark_low != w.low || z.wmark_high != w.high ||
			    z.wmark_promo != w.promo)
				fail_msg("%s zone %s: min_free_kbytes %d min/low/high/promo %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 ", the kernel's %d %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
					 specs[s], z.name, kb, z.wmark_min,
					 z.wmark_low, z.wmark_high, z.wmark_promo,
					 w.min_free_kbytes, w.min, w.low, w.high,
					 w.promo);
		}
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * setup_per_zone_lowmem_reserve(): ZONE_DMA (ratio 256) keeps the managed
 * pages above it / 256 = 1026045 / 256 = 4007 against DMA32, Normal and
 * Movable and Device (CONFIG_ZONE_DEVICE: empty, so it adds nothing);
 * DMA32 has only empty zones above; Normal has no pages.
 * calculate_totalreserve_pages(): DMA min(4007 + 61, 3840) = 3840, DMA32
 * 0 + 16832, the empty zones 0: 20672. si_mem_available(): free - 20672.
 */
static void
test_setup_per_zone_lowmem_reserve(void **state)
{
	static const uint64_t want[5][5] = {
		{ 0, 4007, 4007, 4007, 4007 },
		{ 0, 0, 0, 0, 0 },
		{ 0, 0, 0, 0, 0 },
		{ 0, 0, 0, 0, 0 },
		{ 0, 0, 0, 0, 0 },
	};
	struct hvo_machine *m = booted(SPEC_4G);
	struct hvo_mem_available a;
	uint64_t free = 0;
	int ratio[HVO_MAX_ZONES];
	unsigned nr;

	(void)state;
	assert_int_equal(hvo_lowmem_reserve_ratio_get(m, ratio, HVO_MAX_ZONES, &nr), 0);
	assert_int_equal(nr, 5);
	assert_int_equal(ratio[0], 256);
	assert_int_equal(ratio[1], 256);
	assert_int_equal(ratio[2], 32);
	assert_int_equal(ratio[3], 0);
	assert_int_equal(ratio[4], 0); /* ZONE_DEVICE: not in the initializer */
	for (unsigned i = 0; i < 5; i++) {
		struct hvo_zone_info z = zone(m, i);

		assert_int_equal(z.nr_protection, 5);
		assert_memory_equal(z.protection, want[i], sizeof(want[i]));
		free += z.nr_free_pages;
	}
	assert_int_equal(hvo_mem_available(m, &a), 0);
	assert_int_equal(a.totalreserve_pages, 20672);
	assert_int_equal(a.free_pages, free);
	assert_int_equal(a.available_pages, free - 20672);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The example: 4G, echo 10000 > nr_hugepages. Each 2M page is
 * GFP_HIGHUSER_MOVABLE (highest zone ZONE_MOVABLE) with
 * __GFP_RETRY_MAYFAIL: the fast path needs the low watermark, the slow
 * path the min one (gfp_to_alloc_flags()), after draining the pcp lists.
 * DMA32's k-th page (from 0) needs F - 512k - 511 > min (11222, raised
 * by khugepaged), so k <= (F - 512 - 11222) / 512: 1982 pages;
 * ZONE_DMA's 3840 free pages never exceed 41 + 4007 + 511 (its min, its
 * protection against ZONE_MOVABLE and the order's pages): it is left
 * whole, where the allocator without watermarks took its 7 order-9
 * blocks and made 2010 pages. (A real 6.12 guest of 4 GiB has a Normal
 * zone above 4 GiB, three zones and min_free_kbytes 67584: see
 * test-guest.c for that machine.)
 */
static void
check_pool_stops_at_min(const char *spec)
{
	struct hvo_machine *m = booted(spec);
	struct hvo_zone_info dma = zone(m, 0), dma32 = zone(m, 1), z;
	uint64_t f = dma32.nr_free_pages, blocks = 0, n, pfn;

	for (unsigned o = 9; o < dma32.nr_orders; o++)
		blocks += dma32.nr_free[o] << (o - 9);
	n = (f - 512 - dma32.wmark_min) / 512 + 1;
	/* The watermark stops it, not a lack of order-9 blocks. */
	assert_true(blocks > n);
	assert_int_equal(n, 1982);

	assert_int_equal(hvo_set_max_huge_pages(m, 2 * 1024 * 1024, 10000), 0);
	assert_int_equal(tu_hstate(m, 0).nr, n);
	z = zone(m, 0);
	assert_int_equal(z.nr_free_pages, dma.nr_free_pages);
	z = zone(m, 1);
	/*
	 * With HVO off nothing comes back: DMA32 ends at its min. With HVO
	 * on, the 7 vmemmap pages each hugepage frees wait on the per-CPU
	 * list (its high, the low watermark 14027, is not reached) until
	 * the slow path drains it; those freed since the last drain are
	 * there still, and no order-9 block is left above the min.
	 */
	if (strstr(spec, "hvo=off"))
		assert_true(z.nr_free_pages + z.pcp_pages <= dma32.wmark_min + 511);
	else
		assert_true(z.pcp_pages > 0 && z.pcp_pages < n * 7);
	tu_assert_check(m);

	/*
	 * GFP_DMA has ZONE_DMA as its highest zone, where the protection is
	 * 0: the order-9 block the pool could not have is there for it.
	 */
	assert_int_equal(hvo_alloc_pages(m, 9, HVO_GFP_DMA, &pfn), 0);
	assert_int_equal(tu_zone_of(m, pfn), 0);
	assert_int_equal(hvo_free_pages(m, pfn, 9), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_hugetlb_pool_stops_at_min_watermark(void **state)
{
	(void)state;
	check_pool_stops_at_min(SPEC_4G_OFF);
	check_pool_stops_at_min(SPEC_4G);
}

/*
 * __zone_watermark_ok() with the caller's highest zone, on 1G: GFP_KERNEL
 * order-0 pages come from DMA32 down to its min watermark, then from
 * ZONE_DMA down to its min plus its protection against ZONE_NORMAL
 * (DMA32's managed pages / 256); GFP_DMA, whose highest zone ZONE_DMA
 * is, then takes ZONE_DMA down to its min. A failure leaves a reason.
 */
static void
test_zone_watermark_ok_highest_zone(void **state)
{
	struct hvo_machine *m = booted("x86_64:mem=1G,deferred=off");
	struct hvo_zone_info dma0 = zone(m, 0);
	struct tu_wmark w0, w1;
	uint64_t *pfn, n = 0, nd = 0;

	(void)state;
	tu_kernel_wmarks(m, 0, &w0);
	tu_kernel_wmarks(m, 1, &w1);
	pfn = calloc(tu_pages(m, HVO_PAGES_FREE) + 1, sizeof(*pfn));
	assert_non_null(pfn);
	uint64_t protect = (zone(m, 1).managed_pages + zone(m, 1).deferred_pages) / 256;

	assert_true(dma0.nr_free_pages > w0.min + protect);
	for (;;) {
		bool above_low = zone(m, 1).nr_free_pages > w1.low;

		if (hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn[n]))
			break;
		/*
		 * The fast path walks the zonelist at the low watermark:
		 * DMA32 while above it, ZONE_DMA after; the slow path's min
		 * comes only when both are below low.
		 */
		if (above_low)
			assert_int_equal(tu_zone_of(m, pfn[n]), 1);
		n++;
	}
	assert_non_null(strstr(hvo_machine_error(m), "out of memory"));
	assert_int_equal(zone(m, 1).nr_free_pages, w1.min);
	assert_int_equal(zone(m, 1).pcp_pages, 0);
	assert_int_equal(zone(m, 0).nr_free_pages, w0.min + protect);
	assert_int_equal(zone(m, 0).protection[2], protect);
	while (hvo_alloc_pages(m, 0, HVO_GFP_DMA, &pfn[n]) == 0) {
		assert_int_equal(tu_zone_of(m, pfn[n++]), 0);
		nd++;
	}
	assert_int_equal(nd, protect);
	assert_int_equal(zone(m, 0).nr_free_pages, w0.min);
	tu_assert_check(m);
	while (n--)
		assert_int_equal(hvo_free_pages(m, pfn[n], 0), 0);
	free(pfn);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * min_free_kbytes_sysctl_handler(): proc_dointvec_minmax() from 0; a
 * write becomes user_min_free_kbytes and setup_per_zone_wmarks() shares
 * it anew. 65536 kB on 4G: 16384 pages, DMA 16384 * 3840 / 1029885 = 61,
 * DMA32 16384 * 1026045 / 1029885 = 16322; steps min/4 (15, 4080).
 */
static void
test_min_free_kbytes_sysctl_handler(void **state)
{
	struct hvo_machine *m = booted(SPEC_4G);
	struct hvo_zone_info dma, dma32;
	int kb;

	(void)state;
	assert_int_equal(hvo_min_free_kbytes_set(m, 65536), 0);
	assert_int_equal(hvo_min_free_kbytes_get(m, &kb), 0);
	assert_int_equal(kb, 65536);
	dma = zone(m, 0);
	dma32 = zone(m, 1);
	assert_int_equal(dma.wmark_min, 61);
	assert_int_equal(dma.wmark_low, 61 + 15);
	assert_int_equal(dma.wmark_high, 61 + 30);
	assert_int_equal(dma32.wmark_min, 16322);
	assert_int_equal(dma32.wmark_low, 16322 + 4080);
	assert_int_equal(dma32.wmark_high, 16322 + 8160);
	assert_int_equal(dma32.wmark_promo, 16322 + 12240);
	/* zone_pcp_update(): high_min follows the low watermark. */
	assert_int_equal(dma32.pcp_high_min, 16322 + 4080);

	/* The kernel's -EINVAL, nothing changed. */
	assert_int_equal(hvo_min_free_kbytes_set(m, -1), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "min_free_kbytes"));
	assert_int_equal(hvo_min_free_kbytes_set(m, (int64_t)INT_MAX + 1), -EINVAL);
	assert_int_equal(hvo_min_free_kbytes_get(m, &kb), 0);
	assert_int_equal(kb, 65536);
	assert_int_equal(zone(m, 1).wmark_min, 16322);

	/* 0 is allowed: no min, and the steps from watermark_scale_factor. */
	assert_int_equal(hvo_min_free_kbytes_set(m, 0), 0);
	assert_int_equal(zone(m, 1).wmark_min, 0);
	assert_int_equal(zone(m, 1).wmark_low, 1026);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * watermark_scale_factor_sysctl_handler(): 1..3000. 1000 on 4G: DMA32's
 * step is 1026045 * 1000 / 10000 = 102604 (mult_frac), DMA's 384.
 */
static void
test_watermark_scale_factor_sysctl_handler(void **state)
{
	struct hvo_machine *m = booted(SPEC_4G);
	int f;

	(void)state;
	assert_int_equal(hvo_watermark_scale_factor_get(m, &f), 0);
	assert_int_equal(f, 10);
	assert_int_equal(hvo_watermark_scale_factor_set(m, 1000), 0);
	assert_int_equal(zone(m, 1).wmark_min, 11222);
	assert_int_equal(zone(m, 1).wmark_low, 11222 + 102604);
	assert_int_equal(zone(m, 1).wmark_high, 11222 + 2 * 102604);
	assert_int_equal(zone(m, 0).wmark_low, 41 + 384);
	assert_int_equal(hvo_watermark_scale_factor_set(m, 0), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "1..3000"));
	assert_int_equal(hvo_watermark_scale_factor_set(m, 3001), -EINVAL);
	assert_int_equal(hvo_watermark_scale_factor_get(m, &f), 0);
	assert_int_equal(f, 1000);
	assert_int_equal(zone(m, 1).wmark_low, 11222 + 102604);
	assert_int_equal(hvo_watermark_scale_factor_set(m, 3000), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * lowmem_reserve_ratio_sysctl_handler(): ratios below 1 are 0 (no
 * protection); setup_per_zone_lowmem_reserve() follows. With ZONE_DMA's
 * ratio 0, GFP_KERNEL may take it down to its min watermark.
 */
static void
test_lowmem_reserve_ratio_sysctl_handler(void **state)
{
	struct hvo_machine *m = booted(SPEC_4G);
	int64_t set[2] = { -5, 128 };
	int ratio[HVO_MAX_ZONES];
	struct hvo_mem_available a;
	unsigned nr;

	(void)state;
	assert_int_equal(hvo_lowmem_reserve_ratio_set(m, set, 2), 0);
	assert_int_equal(hvo_lowmem_reserve_ratio_get(m, ratio, HVO_MAX_ZONES, &nr), 0);
	assert_int_equal(ratio[0], 0);
	assert_int_equal(ratio[1], 128);
	assert_int_equal(ratio[2], 32);
	assert_int_equal(zone(m, 0).protection[1], 0);
	assert_int_equal(zone(m, 0).protection[3], 0);
	/* DMA32 over empty zones: 0 / 128. */
	assert_int_equal(zone(m, 1).protection[2], 0);
	/* totalreserve: DMA 0 + 61, DMA32 16832. */
	assert_int_equal(hvo_mem_available(m, &a), 0);
	assert_int_equal(a.totalreserve_pages, 61 + 16832);

	/* Refused: nothing changes. */
	set[1] = (int64_t)INT_MAX + 1;
	assert_int_equal(hvo_lowmem_reserve_ratio_set(m, set, 2), -EINVAL);
	assert_int_equal(hvo_lowmem_reserve_ratio_set(m, set, 5), -EINVAL);
	assert_int_equal(hvo_lowmem_reserve_ratio_get(m, ratio, HVO_MAX_ZONES, &nr), 0);
	assert_int_equal(ratio[1], 128);

	/* Unprotected, ZONE_DMA serves the pool down to its min. */
	assert_int_equal(hvo_set_max_huge_pages(m, 2 * 1024 * 1024, 10000), 0);
	assert_int_equal(tu_hstate(m, 0).nr, 1982 + 7);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * NR_FREE_PAGES leaves the per-CPU lists out: after one order-0
 * allocation, rmqueue_bulk() moved a batch (63) to the list and handed
 * out one, so NR_FREE_PAGES fell by 63 while 62 wait on the list; MemFree
 * (si_meminfo()) is the sum of the zones' NR_FREE_PAGES.
 */
static void
test_nr_free_pages_excludes_pcp(void **state)
{
	struct hvo_machine *m = booted(SPEC_4G);
	struct hvo_zone_info before = zone(m, 1), after;
	struct hvo_mem_available a;
	uint64_t pfn, sum = 0;

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	after = zone(m, 1);
	assert_int_equal(after.pcp_pages, 62);
	assert_int_equal(after.nr_free_pages, before.nr_free_pages - 63);
	for (unsigned i = 0; i < 4; i++)
		sum += zone(m, i).nr_free_pages;
	assert_int_equal(hvo_mem_available(m, &a), 0);
	assert_int_equal(a.free_pages, sum);
	assert_int_equal(a.available_pages, sum - a.totalreserve_pages);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * An order-0 allocation with a page on its pcp list takes it at once only
 * while the zone is above its high watermark; a zone that fell below the
 * mark without an allocation seeing it (the marks raised by a sysctl)
 * takes the zonelist walk, which then checks the low watermark.
 */
static void
test_alloc_pcp_below_high(void **state)
{
	/* 8G: ZONE_NORMAL, listed third, is populated and serves. */
	struct hvo_machine *m = booted("x86_64:mem=8G");
	struct hvo_zone_info z;
	uint64_t pfn, pfn2;

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, UINT64_C(2) << 20, 1024), 0);
	assert_int_equal(watermark_scale_factor_sysctl_handler(m, 3000), 0);
	z = zone(m, 2);
	assert_true(z.pcp_pages > 0);
	assert_true(z.free_pages > z.wmark_low && z.free_pages <= z.wmark_high);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn2), 0);
	assert_int_equal(zone(m, 2).pcp_pages, z.pcp_pages - 1);
	assert_int_equal(hvo_free_pages(m, pfn2, 0), 0);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * zone_batchsize() and zone_highsize() with percpu_pagelist_high_fraction
 * 0, one CPU: DMA32 batch min(1001, 256) / 4 = 64 -> 96 -> 64 - 1 = 63;
 * high_min the low watermark 14027; high_max 1026045 / 8 = 128255. DMA:
 * 3840 >> 10 = 3, / 4 = 0 -> 1 -> 0, at least 1; high_min max(51, 4),
 * high_max 480. refresh_zone_stat_thresholds(): 2 * fls(1) * (1 +
 * fls(managed >> 15)): DMA 2, DMA32 2 * 6 = 12.
 */
static void
test_zone_batchsize_and_highsize(void **state)
{
	struct hvo_machine *m = booted(SPEC_4G);
	struct hvo_zone_info dma = zone(m, 0), dma32 = zone(m, 1);

	(void)state;
	assert_int_equal(dma32.pcp_batch, 63);
	assert_int_equal(dma32.pcp_high_min, 14027);
	/* untouched since boot: BOOT_PAGESET_HIGH until first use */
	assert_int_equal(dma32.pcp_high, 0);
	assert_int_equal(dma32.pcp_high_max, 128255);
	assert_int_equal(dma.pcp_batch, 1);
	assert_int_equal(dma.pcp_high_min, 51);
	assert_int_equal(dma.pcp_high_max, 480);
	assert_int_equal(dma.stat_threshold, 2);
	assert_int_equal(dma32.stat_threshold, 12);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * percpu_pagelist_high_fraction_sysctl_handler(): 0 or 8 and more; with
 * 8, high_min = high_max = 1026045 / 8 = 128255 on DMA32
 * (zone_highsize() of the fraction); back to 0, the low watermark.
 * watermark_boost_factor: proc_dointvec_minmax() from 0, 15000 at boot.
 */
static void
test_percpu_pagelist_high_fraction_sysctl_handler(void **state)
{
	struct hvo_machine *m = booted(SPEC_4G);
	int v;

	(void)state;
	assert_int_equal(hvo_percpu_pagelist_high_fraction_get(m, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(hvo_percpu_pagelist_high_fraction_set(m, 8), 0);
	/* pageset_update() sets the bounds; an unused list's high stays 0 */
	assert_int_equal(zone(m, 1).pcp_high, 0);
	assert_int_equal(zone(m, 1).pcp_high_min, 128255);
	assert_int_equal(zone(m, 1).pcp_high_max, 128255);
	/* DMA: 3840 / 8 = 480. */
	assert_int_equal(zone(m, 0).pcp_high_min, 480);
	assert_int_equal(hvo_percpu_pagelist_high_fraction_set(m, 7), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "percpu_pagelist_high_fraction"));
	assert_int_equal(hvo_percpu_pagelist_high_fraction_get(m, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(zone(m, 1).pcp_high_min, 128255);
	assert_int_equal(hvo_percpu_pagelist_high_fraction_set(m, 0), 0);
	assert_int_equal(zone(m, 1).pcp_high_min, 14027);
	assert_int_equal(zone(m, 1).pcp_high_max, 128255);
	/* The first use clamps high into the bounds (nr_pcp_alloc()). */
	uint64_t pfn;

	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	assert_true(zone(m, 1).pcp_high >= 14027);
	assert_true(zone(m, 1).pcp_high <= 128255);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);

	assert_int_equal(hvo_watermark_boost_factor_get(m, &v), 0);
	assert_int_equal(v, 15000);
	assert_int_equal(hvo_watermark_boost_factor_set(m, -1), -EINVAL);
	assert_int_equal(hvo_watermark_boost_factor_set(m, 0), 0);
	assert_int_equal(hvo_watermark_boost_factor_get(m, &v), 0);
	assert_int_equal(v, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * gfp_to_alloc_flags() (6.12): __GFP_HIGH reaches into the min reserve
 * (ALLOC_MIN_RESERVE), __GFP_KSWAPD_RECLAIM wakes kswapd, and a caller
 * that cannot sleep and did not forbid reserves (no __GFP_NOMEMALLOC) is
 * ALLOC_NON_BLOCK; with both and a high order, ALLOC_HIGHATOMIC.
 * GFP_ATOMIC is __GFP_HIGH | __GFP_KSWAPD_RECLAIM, GFP_NOWAIT
 * __GFP_KSWAPD_RECLAIM | __GFP_NOWARN (include/linux/gfp_types.h).
 */
static void
test_gfp_to_alloc_flags(void **state)
{
	const gfp_t atomic = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
	const gfp_t nowait = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN;

	(void)state;
	assert_int_equal(gfp_to_alloc_flags(GFP_KERNEL, 0),
			 ALLOC_WMARK_MIN | ALLOC_KSWAPD);
	assert_int_equal(gfp_to_alloc_flags(GFP_HIGHUSER_MOVABLE, 9),
			 ALLOC_WMARK_MIN | ALLOC_KSWAPD);
	assert_int_equal(gfp_to_alloc_flags(atomic, 0),
			 ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE | ALLOC_KSWAPD |
			 ALLOC_NON_BLOCK);
	assert_int_equal(gfp_to_alloc_flags(atomic, 2),
			 ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE | ALLOC_KSWAPD |
			 ALLOC_NON_BLOCK | ALLOC_HIGHATOMIC);
	assert_int_equal(gfp_to_alloc_flags(atomic | __GFP_NOMEMALLOC, 2),
			 ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE | ALLOC_KSWAPD);
	assert_int_equal(gfp_to_alloc_flags(nowait, 1),
			 ALLOC_WMARK_MIN | ALLOC_KSWAPD | ALLOC_NON_BLOCK);
	assert_int_equal(gfp_to_alloc_flags(0, 0),
			 ALLOC_WMARK_MIN | ALLOC_NON_BLOCK);
}

/*
 * __zone_watermark_ok() (6.12) with the reserves: ALLOC_MIN_RESERVE takes
 * half of the mark away, ALLOC_NON_BLOCK a quarter of what is left,
 * ALLOC_OOM half again; the order's other pages are not usable; for a
 * high order a free block of that order must exist. Mark 1000 on an
 * otherwise empty zone: 1000, 500, 375, 188 (375 - 187), 500.
 */
static void
test_zone_watermark_ok_reserves(void **state)
{
	static const struct {
		unsigned flags;
		int64_t min;
	} cases[] = {
		{ 0, 1000 },
		{ ALLOC_MIN_RESERVE, 500 },
		{ ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 375 },
		{ ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK | ALLOC_OOM, 188 },
		{ ALLOC_OOM, 500 },
		{ ALLOC_NON_BLOCK, 1000 },
	};
	struct zone zone;

	(void)state;
	memset(&zone, 0, sizeof(zone));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t min = cases[i].min;

		assert_false(__zone_watermark_ok(&zone, 0, 1000, ZONE_NORMAL,
						 cases[i].flags, min));
		assert_true(__zone_watermark_ok(&zone, 0, 1000, ZONE_NORMAL,
						cases[i].flags, min + 1));
		/* order 2: three pages more, and a block of order 2 */
		assert_false(__zone_watermark_ok(&zone, 2, 1000, ZONE_NORMAL,
						 cases[i].flags, min + 4));
		zone.free_area[3].nr_free = 1;
		assert_true(__zone_watermark_ok(&zone, 2, 1000, ZONE_NORMAL,
						cases[i].flags, min + 4));
		assert_false(__zone_watermark_ok(&zone, 2, 1000, ZONE_NORMAL,
						 cases[i].flags, min + 3));
		zone.free_area[3].nr_free = 0;
	}
	/* The protection against the caller's highest zone counts on top. */
	zone.lowmem_reserve[ZONE_NORMAL] = 100;
	assert_false(__zone_watermark_ok(&zone, 0, 1000, ZONE_NORMAL, 0, 1100));
	assert_true(__zone_watermark_ok(&zone, 0, 1000, ZONE_NORMAL, 0, 1101));
	assert_true(__zone_watermark_ok(&zone, 0, 1000, ZONE_DMA32, 0, 1001));
}

/*
 * set_recommended_min_free_kbytes() run again after a user's write, as
 * start_stop_khugepaged() does when THP is switched on through sysfs: it
 * raises a smaller user value to the recommendation, and says so
 * ("raising min_free_kbytes from ... to help transparent hugepage
 * allocations"); a larger one stays.
 */
static void
test_khugepaged_raises_a_user_value(void **state)
{
	static char log[HVO_DMESG_MAX + 1];
	struct hvo_machine *m = booted(SPEC_4G);
	int kb;

	(void)state;
	assert_int_equal(hvo_min_free_kbytes_set(m, 1024), 0);
	khugepaged_start(m);
	assert_int_equal(hvo_min_free_kbytes_get(m, &kb), 0);
	assert_int_equal(kb, 45056);
	assert_int_equal(zone(m, 1).wmark_min, 11222);
	assert_int_equal(hvo_machine_dmesg(m, log, sizeof(log)), 0);
	assert_non_null(strstr(log, "raising min_free_kbytes from 1024 to 45056 to help transparent hugepage allocations"));
	assert_int_equal(hvo_min_free_kbytes_set(m, 100000), 0);
	khugepaged_start(m);
	assert_int_equal(hvo_min_free_kbytes_get(m, &kb), 0);
	assert_int_equal(kb, 100000);
	/*
	 * init_per_zone_wmark_min() again (memory hotplug calls it):
	 * calculate_min_free_kbytes() keeps the larger user value and says
	 * why.
	 */
	init_per_zone_wmark_min(m);
	assert_int_equal(hvo_min_free_kbytes_get(m, &kb), 0);
	assert_int_equal(kb, 100000);
	assert_int_equal(hvo_machine_dmesg(m, log, sizeof(log)), 0);
	/*
	 * lowmem is now the managed pages above the high watermarks that
	 * 100000 kB set: (3840 - 139) + (1026045 - 37358) = 992388 pages,
	 * int_sqrt(3969552 * 16) = 7969.
	 */
	assert_non_null(strstr(log, "min_free_kbytes is not updated to 7969 because user defined value 100000 is preferred"));
	tu_assert_check(m);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_per_zone_wmark_min),
		cmocka_unit_test(test_init_per_zone_wmark_min_arches),
		cmocka_unit_test(test_setup_per_zone_lowmem_reserve),
		cmocka_unit_test(test_hugetlb_pool_stops_at_min_watermark),
		cmocka_unit_test(test_zone_watermark_ok_highest_zone),
		cmocka_unit_test(test_min_free_kbytes_sysctl_handler),
		cmocka_unit_test(test_watermark_scale_factor_sysctl_handler),
		cmocka_unit_test(test_lowmem_reserve_ratio_sysctl_handler),
		cmocka_unit_test(test_nr_free_pages_excludes_pcp),
		cmocka_unit_test(test_alloc_pcp_below_high),
		cmocka_unit_test(test_zone_batchsize_and_highsize),
		cmocka_unit_test(test_percpu_pagelist_high_fraction_sysctl_handler),
		cmocka_unit_test(test_gfp_to_alloc_flags),
		cmocka_unit_test(test_zone_watermark_ok_reserves),
		cmocka_unit_test(test_khugepaged_raises_a_user_value),
	};

	return tu_run("watermark", tests, sizeof(tests) / sizeof(tests[0]));
}
