/* SPDX-License-Identifier: MIT */
/*
 * Zones: their layout, free_area_init() over the arch's zone limits, and
 * their watermarks and reserves as mm/page_alloc.c computes them
 * (init_per_zone_wmark_min(), __setup_per_zone_wmarks(),
 * setup_per_zone_lowmem_reserve()), with the watermark check
 * (__zone_watermark_ok()) and the vm sysctl handlers behind them.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "mem/buddy.h"
#include "mem/pageblock.h"

static const char *const zone_names[MAX_NR_ZONES] = {
	[ZONE_DMA] = "DMA",
	[ZONE_DMA32] = "DMA32",
	[ZONE_NORMAL] = "Normal",
	[ZONE_MOVABLE] = "Movable",
	[ZONE_DEVICE] = "Device",
};

/* RAM pages in [lo, hi). */
static uint64_t
present_in(const struct phys *p, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t s = p->range[i].base >> p->page_shift;
		uint64_t e = s + (p->range[i].size >> p->page_shift);

		if (s < lo)
			s = lo;
		if (e > hi)
			e = hi;
		if (e > s)
			n += e - s;
	}
	return n;
}

void
zones_init(struct hvo_machine *m)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t ram_lo = m->phys.lo >> a->page_shift;
	uint64_t ram_hi = m->phys.hi >> a->page_shift;
	uint64_t limit[MAX_NR_ZONES] = {
		[ZONE_DMA] = a->zone_dma_limit >> a->page_shift,
		[ZONE_DMA32] = a->zone_dma32_limit >> a->page_shift,
		[ZONE_NORMAL] = UINT64_MAX,
		[ZONE_MOVABLE] = 0,
		[ZONE_DEVICE] = 0,
	};
	/* The distribution build sets it where the arch's Kconfig allows. */
	bool zone_device = a->cfg_zone_device &&
			   release_arch_has(&m->release, RP_ZONE_DEVICE_ARCHES,
					    m->cfg.arch);
	uint64_t lo = 0;

	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &m->zones[z];
		uint64_t s, e;

		memset(zone, 0, sizeof(*zone));
		zone->name = zone_names[z];
		zone->first_deferred_pfn = UINT64_MAX;
		zone->early_free_lo = UINT64_MAX;
		zone_init_free_lists(m, (enum zone_type)z);
		/*
		 * ZONE_MOVABLE exists but stays empty: no movablecore=.
		 * ZONE_DEVICE exists where the build configures it and stays
		 * empty: no device memory is modelled.
		 */
		zone->configured = z == ZONE_MOVABLE || z == ZONE_NORMAL ||
				   (z == ZONE_DMA && a->zone_dma_limit) ||
				   (z == ZONE_DMA32 && a->zone_dma32_limit) ||
				   (z == ZONE_DEVICE && zone_device);
		if (!zone->configured || z == ZONE_MOVABLE || z == ZONE_DEVICE)
			continue;
		s = lo > ram_lo ? lo : ram_lo;
		e = limit[z] < ram_hi ? limit[z] : ram_hi;
		if (e > s) {
			zone->zone_start_pfn = s;
			zone->spanned_pages = e - s;
			zone->present_pages = present_in(&m->phys, s, e);
		} else {
			zone->zone_start_pfn = s < ram_hi ? s : ram_hi;
		}
		if (limit[z] > lo)
			lo = limit[z];
	}
}

/* ---------------------------------------------------------------------- */
/* Watermarks and reserves (mm/page_alloc.c)                              */
/* ---------------------------------------------------------------------- */

/*
 * zone_managed_pages() as a booted kernel reads it. The kernel has given
 * its deferred memory to the buddy allocator before any initcall runs
 * (page_alloc_init_late()); libhvo initializes it lazily, so the pages it
 * has not reached yet are counted here as the kernel would count them.
 */
uint64_t
zone_managed_pages(const struct zone *zone)
{
	return zone->managed_pages + zone->deferred_pages;
}

/* int_sqrt(): the largest r with r * r <= x. */
static uint64_t
int_sqrt(uint64_t x)
{
	uint64_t r = 0;

	for (uint64_t bit = UINT64_C(1) << 62; bit; bit >>= 2) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

/* mult_frac(): x * n / d without overflowing the product. */
static uint64_t
mult_frac(uint64_t x, uint64_t n, uint64_t d)
{
	return (x / d) * n + (x % d) * n / d;
}

void
vm_watermarks_init(struct hvo_machine *m)
{
	struct vm_watermarks *w = &m->wmark;

	/* The initial values of mm/page_alloc.c. */
	w->min_free_kbytes = 1024;
	w->user_min_free_kbytes = -1;
	w->watermark_scale_factor = 10;
	w->watermark_boost_factor = 15000;
	w->percpu_pagelist_high_fraction = 0;
	/* sysctl_lowmem_reserve_ratio[] with ZONE_DMA and ZONE_DMA32 built. */
	w->lowmem_reserve_ratio[ZONE_DMA] = 256;
	w->lowmem_reserve_ratio[ZONE_DMA32] = 256;
	w->lowmem_reserve_ratio[ZONE_NORMAL] = 32;
	w->lowmem_reserve_ratio[ZONE_MOVABLE] = 0;
	/* Not in the initializer: 0, no protection. */
	w->lowmem_reserve_ratio[ZONE_DEVICE] = 0;
	w->totalreserve_pages = 0;
}

/*
 * nr_free_zone_pages() of gfp_zone(GFP_USER): the managed pages above the
 * high watermark of every zone up to ZONE_NORMAL.
 */
static uint64_t
nr_free_buffer_pages(const struct hvo_machine *m)
{
	uint64_t sum = 0;

	for (unsigned z = 0; z <= ZONE_NORMAL; z++) {
		const struct zone *zone = &m->zones[z];
		uint64_t size = zone_managed_pages(zone);
		uint64_t high = zone->_watermark[WMARK_HIGH];

		if (zone->configured && size > high)
			sum += size - high;
	}
	return sum;
}

/*
 * calculate_min_free_kbytes(): 4 * sqrt(lowmem in kB), kept between 128 kB
 * and 256 MiB, unless a user's value is larger.
 */
static void
calculate_min_free_kbytes(struct hvo_machine *m)
{
	struct vm_watermarks *w = &m->wmark;
	uint64_t lowmem_kbytes = nr_free_buffer_pages(m) <<
				 (m->arch.page_shift - 10);
	uint64_t v = int_sqrt(lowmem_kbytes * 16);

	if ((int64_t)v > w->user_min_free_kbytes)
		w->min_free_kbytes = v < 128 ? 128 : v > 262144 ? 262144 : (int)v;
	else
		machine_printk(m, "min_free_kbytes is not updated to %d because user defined value %d is preferred",
			       (int)v, w->user_min_free_kbytes);
}

/*
 * calculate_totalreserve_pages(): per zone the largest protection it
 * keeps plus its high watermark, at most its managed pages.
 */
static void
calculate_totalreserve_pages(struct hvo_machine *m)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < MAX_NR_ZONES; i++) {
		const struct zone *zone = &m->zones[i];
		uint64_t max = 0;

		for (unsigned j = i; j < MAX_NR_ZONES; j++)
			if (zone->lowmem_reserve[j] > max)
				max = zone->lowmem_reserve[j];
		max += zone->_watermark[WMARK_HIGH];
		if (max > zone_managed_pages(zone))
			max = zone_managed_pages(zone);
		total += max;
	}
	m->wmark.totalreserve_pages = total;
}

/*
 * setup_per_zone_lowmem_reserve(): zone i keeps, against allocations
 * whose highest zone is j > i, the managed pages of zones i+1..j divided
 * by its lowmem_reserve_ratio (nothing with a ratio of 0 or no pages).
 */
void
setup_per_zone_lowmem_reserve(struct hvo_machine *m)
{
	for (unsigned i = 0; i < MAX_NR_ZONES - 1; i++) {
		struct zone *zone = &m->zones[i];
		int ratio = m->wmark.lowmem_reserve_ratio[i];
		bool clear = !ratio || !zone_managed_pages(zone);
		uint64_t managed = 0;

		for (unsigned j = i + 1; j < MAX_NR_ZONES; j++) {
			managed += zone_managed_pages(&m->zones[j]);
			zone->lowmem_reserve[j] = clear ? 0 : managed / (uint64_t)ratio;
		}
	}
	calculate_totalreserve_pages(m);
}

/*
 * __setup_per_zone_wmarks(): min_free_kbytes shared among the lowmem
 * zones by size (ZONE_MOVABLE, where the release treats it as highmem,
 * gets a small fixed min instead), then low and high each a step above,
 * the step the larger of a quarter of min and watermark_scale_factor /
 * 10000 of the zone; promo one step above high.
 */
static void
__setup_per_zone_wmarks(struct hvo_machine *m)
{
	uint64_t pages_min = (uint64_t)m->wmark.min_free_kbytes >>
			     (m->arch.page_shift - 10);
	uint64_t lowmem_pages = 0;
	bool movable_as_highmem = kernel_get(m, RP_WMARK_MOVABLE_AS_HIGHMEM);

	/* No ZONE_HIGHMEM on a 64-bit kernel. */
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		if (z != ZONE_MOVABLE || !movable_as_highmem)
			lowmem_pages += zone_managed_pages(&m->zones[z]);
	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &m->zones[z];
		uint64_t managed = zone_managed_pages(zone);
		uint64_t tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;

		if (z == ZONE_MOVABLE && movable_as_highmem) {
			uint64_t min_pages = managed / 1024;

			/* clamp(SWAP_CLUSTER_MAX, 128) */
			min_pages = min_pages < 32 ? 32 : min_pages > 128 ? 128 : min_pages;
			zone->_watermark[WMARK_MIN] = min_pages;
		} else {
			zone->_watermark[WMARK_MIN] = tmp;
		}
		uint64_t step = mult_frac(managed,
					  (uint64_t)m->wmark.watermark_scale_factor,
					  10000);

		if (tmp >> 2 > step)
			step = tmp >> 2;
		/*
		 * watermark_boost is raised only when an allocation claims
		 * another migratetype's pageblock (boost_watermark()), and
		 * kswapd clears it once it has run; neither is modelled, so
		 * it reads 0, as it does once kswapd has caught up.
		 */
		zone->watermark_boost = 0;
		zone->_watermark[WMARK_LOW] = zone->_watermark[WMARK_MIN] + step;
		zone->_watermark[WMARK_HIGH] = zone->_watermark[WMARK_LOW] + step;
		zone->_watermark[WMARK_PROMO] = zone->_watermark[WMARK_HIGH] + step;
	}
	calculate_totalreserve_pages(m);
}

/* setup_per_zone_wmarks(): then zone_pcp_update(), since high follows low. */
void
setup_per_zone_wmarks(struct hvo_machine *m)
{
	__setup_per_zone_wmarks(m);
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		zone_pcp_init(m, (enum zone_type)z);
}

/* fls(): the 1-based index of the highest set bit, 0 for 0. */
static unsigned
fls64(uint64_t x)
{
	unsigned n = 0;

	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

/*
 * refresh_zone_stat_thresholds() with calculate_normal_threshold() for the
 * populated zones: 2 * fls(online CPUs) * (1 + fls(managed in 128 MiB
 * units)), at most 125. The machine has one CPU online.
 */
static void
refresh_zone_stat_thresholds(struct hvo_machine *m)
{
	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &m->zones[z];
		uint64_t mem = zone_managed_pages(zone) >> (27 - m->arch.page_shift);
		unsigned threshold = 2 * fls64(1) * (1 + fls64(mem));

		if (!zone->present_pages)
			continue;
		zone->stat_threshold = threshold < 125 ? threshold : 125;
	}
}

/*
 * init_per_zone_wmark_min(), the postcore initcall: after deferred init,
 * before hugetlb_init() and the boot hugepages. Its call of
 * khugepaged_min_free_kbytes_update() does nothing at boot: khugepaged
 * is not running yet (khugepaged_start() raises the minimum later).
 */
void
init_per_zone_wmark_min(struct hvo_machine *m)
{
	calculate_min_free_kbytes(m);
	setup_per_zone_wmarks(m);
	refresh_zone_stat_thresholds(m);
	setup_per_zone_lowmem_reserve(m);
}

/*
 * set_recommended_min_free_kbytes() (mm/khugepaged.c), run when
 * hugepage_init(), a subsys initcall linked after hugetlb_init() (mm/Makefile
 * puts hugetlb.o first), starts khugepaged: with THP enabled, two
 * pageblocks per populated zone up to ZONE_NORMAL (gfp_zone(GFP_USER);
 * ZONE_MOVABLE needs no help), plus MIGRATE_PCPTYPES^2 more, so that each
 * migratetype finds a pageblock to fall back to, at most 5% of lowmem.
 * It only ever raises min_free_kbytes. The watermarks the boot hugepages
 * were allocated under are the lower ones, as in the kernel. A real
 * Debian 6.12 or 6.1 guest of 4 or 6 GiB reads 67584 from
 * /proc/sys/vm/min_free_kbytes: 512 * 3 * (2 + 9) pages
 * (tests/data/guest/).
 */
void
khugepaged_start(struct hvo_machine *m)
{
	struct vm_watermarks *w = &m->wmark;
	uint64_t nr_zones = 0, recommended_min, cap;

	if (!m->release.build->thp_enabled) {
		/* the other branch: no khugepaged, nothing to raise */
		return;
	}
	for (unsigned z = 0; z <= ZONE_NORMAL; z++)
		if (m->zones[z].present_pages)
			nr_zones++;
	recommended_min = pageblock_nr_pages(m) * nr_zones * 2;
	recommended_min += pageblock_nr_pages(m) * nr_zones *
			   MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
	cap = nr_free_buffer_pages(m) / 20;
	if (recommended_min > cap)
		recommended_min = cap;
	recommended_min <<= m->arch.page_shift - 10;
	if (recommended_min > (uint64_t)w->min_free_kbytes) {
		if (w->user_min_free_kbytes >= 0)
			machine_printk(m, "raising min_free_kbytes from %d to %" PRIu64 " to help transparent hugepage allocations",
				       w->min_free_kbytes, recommended_min);
		w->min_free_kbytes = (int)recommended_min;
	}
	setup_per_zone_wmarks(m);
}

/* zone_batchsize(): ~0.1% of the zone or 1 MiB, as 2^n - 1, at least 1. */
uint64_t
zone_batchsize(const struct hvo_machine *m, const struct zone *zone)
{
	uint64_t batch = zone_managed_pages(zone) >> 10;
	uint64_t cap = (UINT64_C(1) << 20) >> m->arch.page_shift;

	if (batch > cap)
		batch = cap;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	batch += batch / 2;
	while (batch & (batch - 1))
		batch &= batch - 1;
	/* zone_set_pageset_high_and_batch() takes max(1, ...) */
	return batch - 1 ? batch - 1 : 1;
}

/*
 * zone_highsize(): the low watermark (@high_fraction 0) or a fraction of
 * the managed pages, split over the CPUs of the node -- one here, with
 * cpu_online 0 -- and at least four batches.
 */
uint64_t
zone_highsize(const struct zone *zone, uint64_t batch, unsigned high_fraction)
{
	uint64_t total = high_fraction ?
			 zone_managed_pages(zone) / high_fraction :
			 zone->_watermark[WMARK_LOW];
	unsigned nr_split_cpus = 1;
	uint64_t high = total / nr_split_cpus;

	return high > batch << 2 ? high : batch << 2;
}

/* ---------------------------------------------------------------------- */
/* gfp flags and the watermark check                                      */
/* ---------------------------------------------------------------------- */

/*
 * gfp_to_alloc_flags(): the slow path's flags. ALLOC_CPUSET and ALLOC_CMA
 * change nothing here (no cpusets, no CMA pages) and are left out.
 */
unsigned
gfp_to_alloc_flags(gfp_t gfp, unsigned order)
{
	unsigned alloc_flags = ALLOC_WMARK_MIN;

	if (gfp & __GFP_HIGH)
		alloc_flags |= ALLOC_MIN_RESERVE;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		alloc_flags |= ALLOC_KSWAPD;
	if (!(gfp & __GFP_DIRECT_RECLAIM) && !(gfp & __GFP_NOMEMALLOC)) {
		alloc_flags |= ALLOC_NON_BLOCK;
		if (order > 0 && (alloc_flags & ALLOC_MIN_RESERVE))
			alloc_flags |= ALLOC_HIGHATOMIC;
	}
	return alloc_flags;
}

/*
 * __zone_watermark_ok(): after the allocation the zone keeps more than
 * @mark plus its protection against @highest free, and for a high order
 * a free block of at least that order exists. Neither highatomic
 * reserves nor CMA pages exist here, so only the allocation's own pages
 * beyond the first are unusable.
 */
bool
__zone_watermark_ok(const struct zone *zone, unsigned order, uint64_t mark,
		    enum zone_type highest, unsigned alloc_flags,
		    int64_t free_pages)
{
	int64_t min = (int64_t)mark;

	free_pages -= (INT64_C(1) << order) - 1;
	if (alloc_flags & ALLOC_RESERVES) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free_pages <= min + (int64_t)zone->lowmem_reserve[highest])
		return false;
	if (!order)
		return true;
	for (unsigned o = order; o < NR_PAGE_ORDERS_MAX; o++)
		if (zone->free_area[o].nr_free)
			return true;
	/* Deferred memory is free MAX_PAGE_ORDER blocks to a booted kernel. */
	return zone->deferred_pages >= (UINT64_C(1) << order);
}

/* ---------------------------------------------------------------------- */
/* The sysctl handlers                                                    */
/* ---------------------------------------------------------------------- */

/*
 * proc_dointvec_minmax()'s refusal: -EINVAL, with the sysctl's name and
 * its range in the reason, when @v is outside [@lo, @hi].
 */
static int
proc_dointvec_minmax(struct hvo_machine *m, const char *name, int64_t v,
		     int64_t lo, int64_t hi)
{
	if (v >= lo && v <= hi)
		return 0;
	return machine_err(m, -EINVAL,
			   "%s %" PRId64 ": allowed are %" PRId64 "..%" PRId64,
			   name, v, lo, hi);
}

/*
 * min_free_kbytes_sysctl_handler(): proc_dointvec_minmax() from 0, then
 * the value is the user's and the watermarks follow it.
 */
int
min_free_kbytes_sysctl_handler(struct hvo_machine *m, int64_t kbytes)
{
	int rc = proc_dointvec_minmax(m, "min_free_kbytes", kbytes, 0, INT_MAX);

	if (rc)
		return rc;
	m->wmark.min_free_kbytes = (int)kbytes;
	m->wmark.user_min_free_kbytes = (int)kbytes;
	setup_per_zone_wmarks(m);
	return 0;
}

/* watermark_scale_factor_sysctl_handler(): 1..3000, then the watermarks. */
int
watermark_scale_factor_sysctl_handler(struct hvo_machine *m, int64_t factor)
{
	int rc = proc_dointvec_minmax(m, "watermark_scale_factor", factor, 1,
				      3000);

	if (rc)
		return rc;
	m->wmark.watermark_scale_factor = (int)factor;
	setup_per_zone_wmarks(m);
	return 0;
}

/*
 * lowmem_reserve_ratio_sysctl_handler(): the first @n ratios, each below
 * 1 taken as 0, then the protections. The kernel's handler ignores what
 * proc_dointvec_minmax() refuses, so a value that is not an int stops the
 * write there and the write still succeeds; callers parse it so.
 */
void
lowmem_reserve_ratio_sysctl_handler(struct hvo_machine *m, const int *ratio,
				    unsigned n)
{
	for (unsigned i = 0; i < n && i < MAX_NR_ZONES; i++)
		m->wmark.lowmem_reserve_ratio[i] = ratio[i] < 1 ? 0 : ratio[i];
	setup_per_zone_lowmem_reserve(m);
}

/*
 * The vm.watermark_boost_factor write (proc_dointvec_minmax() from 0).
 * The value is kept; boost_watermark() is the only reader and needs a
 * migratetype fallback, which the allocator does not model.
 */
int
watermark_boost_factor_sysctl_handler(struct hvo_machine *m, int64_t factor)
{
	int rc = proc_dointvec_minmax(m, "watermark_boost_factor", factor, 0,
				      INT_MAX);

	if (rc)
		return rc;
	m->wmark.watermark_boost_factor = (int)factor;
	return 0;
}

/*
 * percpu_pagelist_high_fraction_sysctl_handler(): 0 (high from the low
 * watermark, tuned up to an eighth of the zone) or at least
 * MIN_PERCPU_PAGELIST_HIGH_FRACTION (high fixed at managed / fraction);
 * then zone_pcp_update() of every zone.
 */
int
percpu_pagelist_high_fraction_sysctl_handler(struct hvo_machine *m,
					     int64_t fraction)
{
	if (fraction < 0 || fraction > INT_MAX ||
	    (fraction && fraction < MIN_PERCPU_PAGELIST_HIGH_FRACTION))
		return machine_err(m, -EINVAL,
				   "percpu_pagelist_high_fraction %" PRId64 ": allowed are 0 and %d..%d",
				   fraction, MIN_PERCPU_PAGELIST_HIGH_FRACTION,
				   INT_MAX);
	m->wmark.percpu_pagelist_high_fraction = (int)fraction;
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		zone_pcp_init(m, (enum zone_type)z);
	return 0;
}
