/* SPDX-License-Identifier: MIT */
/*
 * Zone layout: free_area_init() over the arch's zone limits.
 */
#include <string.h>

#include "mem/buddy.h"

static const char *const zone_names[MAX_NR_ZONES] = {
	[ZONE_DMA] = "DMA",
	[ZONE_DMA32] = "DMA32",
	[ZONE_NORMAL] = "Normal",
	[ZONE_MOVABLE] = "Movable",
};

enum zone_type
pfn_zone(const struct hvo_machine *m, pfn_t pfn)
{
	uint64_t pa = pfn << m->arch.page_shift;

	if (m->arch.zone_dma_limit && pa < m->arch.zone_dma_limit)
		return ZONE_DMA;
	if (m->arch.zone_dma32_limit && pa < m->arch.zone_dma32_limit)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

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
	};
	uint64_t lo = 0;

	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &m->zones[z];
		uint64_t s, e;

		memset(zone, 0, sizeof(*zone));
		zone->name = zone_names[z];
		zone->first_deferred_pfn = UINT64_MAX;
		zone_init_free_lists(m, (enum zone_type)z);
		/* ZONE_MOVABLE exists but stays empty: no movablecore=. */
		zone->configured = z == ZONE_MOVABLE || z == ZONE_NORMAL ||
				   (z == ZONE_DMA && a->zone_dma_limit) ||
				   (z == ZONE_DMA32 && a->zone_dma32_limit);
		if (!zone->configured || z == ZONE_MOVABLE)
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
