/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>

#include "mem/buddy.h"
#include "mem/memmap.h"
#include "mem/pageblock.h"
#include "mm/page.h"

/* The RAM range holding pfn, or -1; *next is the next RAM pfn above pfn. */
static int
ram_range_of(const struct phys *p, pfn_t pfn, uint64_t *end,
	     uint64_t *next)
{
	*next = UINT64_MAX;
	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t s = p->range[i].base >> p->page_shift;
		uint64_t e = s + (p->range[i].size >> p->page_shift);

		if (pfn >= s && pfn < e) {
			*end = e;
			return (int)i;
		}
		if (s > pfn && s < *next)
			*next = s;
	}
	return -1;
}

/* Initialize [pfn, pfn + n) of one zone with one template. */
static int
init_span(struct hvo_machine *m, pfn_t pfn, uint64_t n, unsigned zone,
	  bool reserved)
{
	uint8_t tpl[256];

	page_template(m, zone, reserved, reserved ? 1 : 0, tpl);
	return memmap_write_pages(m, pfn, n, tpl);
}

/*
 * Walk [pfn, end) of one section in runs of one kind, initializing what boot
 * initializes. @online: free memory at or above the zone's
 * first_deferred_pfn is initialized too (deferred_grow_zone()), else it is
 * skipped and counted as deferred. Holes and reserved memory are only
 * written at boot (@online false).
 */
static int
init_runs(struct hvo_machine *m, pfn_t pfn, uint64_t end, bool online,
	  uint64_t *added)
{
	const unsigned shift = m->arch.page_shift;

	while (pfn < end) {
		uint64_t rend, next, stop;
		int rc = 0;

		if (ram_range_of(&m->phys, pfn, &rend, &next) < 0) {
			/* A hole inside a populated section. */
			stop = min64(next, end);
			if (!online)
				rc = init_span(m, pfn, stop - pfn, pfn_zone(m, pfn), true);
			if (rc)
				return rc;
			pfn = stop;
			continue;
		}
		enum zone_type z = pfn_zone(m, pfn);
		struct zone *zone = &m->zones[z];
		bool reserved;

		stop = min64(min64(rend, end), zone_end_pfn(zone));
		stop = memblock_reserved_run(&m->memblock, pfn << shift,
					     stop << shift, &reserved) >> shift;
		if (!reserved && zone->first_deferred_pfn > pfn)
			stop = min64(stop, zone->first_deferred_pfn);
		/*
		 * memmap_init_range() marks the pageblocks of present memory
		 * MIGRATE_MOVABLE, reserved ones too; deferred init marks the
		 * free ranges it brings up (deferred_free_pages()). A
		 * pageblock starting in a hole, or in deferred reserved
		 * memory, keeps its zeroed bits: MIGRATE_UNMOVABLE.
		 */
		if (reserved) {
			if (!online) {
				/*
				 * memmap_init_range() stops at the first
				 * deferred pfn; reserve_bootmem_region()
				 * initializes reserved pages above it
				 * without a migratetype.
				 */
				if (pfn < zone->first_deferred_pfn)
					pageblock_init_range(m, pfn,
							     min64(stop, zone->first_deferred_pfn) - pfn,
							     MIGRATE_MOVABLE);
				rc = init_span(m, pfn, stop - pfn, z, true);
			}
		} else if (pfn >= zone->first_deferred_pfn && !online) {
			zone->deferred_pages += stop - pfn;
		} else if (pfn < zone->first_deferred_pfn || online) {
			if (online || pfn < zone->first_deferred_pfn) {
				if (online)
					deferred_init_pageblocks(m, pfn, stop - pfn);
				else
					pageblock_init_range(m, pfn, stop - pfn,
							     MIGRATE_MOVABLE);
				rc = init_span(m, pfn, stop - pfn, z, false);
				if (!rc)
					rc = buddy_free_range(m, pfn, stop - pfn);
				if (added)
					*added += stop - pfn;
			}
		}
		if (rc)
			return rc;
		pfn = stop;
	}
	return 0;
}

/*
 * defer_init(): the highest zone keeps one section's worth of present
 * pages, up to a section boundary, and defers the rest.
 */
static void
set_first_deferred(struct hvo_machine *m)
{
	uint64_t pps = pages_per_section(m);
	struct zone *top = NULL;
	uint64_t seen = 0;

	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		if (m->zones[z].present_pages)
			top = &m->zones[z];
	if (!top)
		return;
	for (uint64_t pfn = round_up64(top->zone_start_pfn, pps);
	     pfn < zone_end_pfn(top); pfn += pps) {
		for (unsigned i = 0; i < m->phys.nr_ranges; i++) {
			uint64_t s = m->phys.range[i].base >> m->phys.page_shift;
			uint64_t e = s + (m->phys.range[i].size >> m->phys.page_shift);

			s = s > top->zone_start_pfn ? s : top->zone_start_pfn;
			e = e < pfn ? e : pfn;
			if (e > s)
				seen += e - s;
		}
		if (seen >= pps) {
			top->first_deferred_pfn = pfn;
			return;
		}
		seen = 0;
	}
}

int
memmap_init(struct hvo_machine *m)
{
	const struct phys *p = &m->phys;
	uint64_t pps = pages_per_section(m), last = UINT64_MAX;
	int rc;

	zones_init(m);
	rc = pageblock_flags_init(m);
	if (rc)
		return rc;
	if (m->cfg.deferred_init)
		set_first_deferred(m);
	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t pfn = p->range[i].base >> p->page_shift;
		uint64_t end = pfn + (p->range[i].size >> p->page_shift);

		for (pfn = round_down64(pfn, pps); pfn < end; pfn += pps) {
			if (pfn == last)
				continue;
			last = pfn;
			rc = init_runs(m, pfn, pfn + pps, false, NULL);
			if (rc)
				return rc;
		}
	}
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		zone_pcp_init(m, (enum zone_type)z);
	return 0;
}

bool
deferred_grow_zone(struct hvo_machine *m, enum zone_type z, unsigned order)
{
	struct zone *zone = &m->zones[z];
	uint64_t pps = pages_per_section(m);
	uint64_t need = round_up64(UINT64_C(1) << order, pps), added = 0;
	uint64_t pfn = zone->first_deferred_pfn;

	if (pfn == UINT64_MAX)
		return false;
	while (pfn < zone_end_pfn(zone) && added < need) {
		uint64_t end = min64(pfn + pps, zone_end_pfn(zone)), n = 0;

		if (init_runs(m, pfn, end, true, &n))
			return false;
		zone->deferred_pages -= n;
		added += n;
		pfn = end;
	}
	zone->first_deferred_pfn = pfn >= zone_end_pfn(zone) ? UINT64_MAX : pfn;
	zone_pcp_init(m, z); /* zone_pcp_update(): more pages, larger batch */
	count(m, CNT_DEFERRED_GROW);
	return added > 0 || zone->first_deferred_pfn != UINT64_MAX;
}

int
memmap_init_deferred(struct hvo_machine *m)
{
	/*
	 * A grow that adds nothing may still finish the zone: the sections
	 * left were all reserved (boot gigantic pages at the top of RAM).
	 */
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		while (m->zones[z].first_deferred_pfn != UINT64_MAX)
			if (!deferred_grow_zone(m, (enum zone_type)z,
						m->arch.max_page_order) &&
			    m->zones[z].first_deferred_pfn != UINT64_MAX)
				return machine_err_wrap(m, -EFAULT,
							"deferred init of zone %s failed",
							m->zones[z].name);
	return 0;
}

/*
 * The free blocks deferred_init_memmap() will add to zone @z, per order,
 * into @nr_free: deferred_free_pages() frees each run of free memory
 * above first_deferred_pfn, and the buddy allocator merges what it frees
 * into the largest aligned blocks the run holds. first_deferred_pfn is a
 * section boundary, so none of these merges with a block below it.
 * Nothing is written: the machine keeps the host memory deferred init
 * would cost.
 */
void
deferred_free_view(const struct hvo_machine *m, enum zone_type z,
		   uint64_t *nr_free)
{
	const struct zone *zone = &m->zones[z];
	const unsigned shift = m->arch.page_shift, max = m->arch.max_page_order;
	uint64_t pfn = zone->first_deferred_pfn, run = UINT64_MAX;

	if (pfn == UINT64_MAX)
		return;
	while (pfn <= zone_end_pfn(zone)) {
		uint64_t rend = 0, next, stop = zone_end_pfn(zone);
		bool reserved = true;

		if (pfn < zone_end_pfn(zone) &&
		    ram_range_of(&m->phys, pfn, &rend, &next) >= 0) {
			stop = min64(rend, stop);
			stop = memblock_reserved_run(&m->memblock, pfn << shift,
						     stop << shift, &reserved) >> shift;
		} else if (pfn < zone_end_pfn(zone)) {
			stop = min64(next, stop); /* a hole */
		}
		if (!reserved && run == UINT64_MAX)
			run = pfn;
		if ((reserved || pfn >= zone_end_pfn(zone)) && run != UINT64_MAX) {
			/* The run [run, pfn) as the buddy allocator merges it. */
			while (run < pfn) {
				unsigned o = 0;

				uint64_t n = 1;

				while (o < max && !(run & ((UINT64_C(2) << o) - 1)) &&
				       run + (UINT64_C(2) << o) <= pfn)
					o++;
				/* Aligned to MAX_PAGE_ORDER: every block up to
				 * the last whole one is that order, counted at
				 * once. */
				if (o == max)
					n = (pfn - run) >> max;
				nr_free[o] += n;
				run += n << o;
			}
			run = UINT64_MAX;
		}
		if (pfn >= zone_end_pfn(zone))
			break;
		pfn = stop;
	}
}
