/* SPDX-License-Identifier: MIT */
/*
 * Pageblock flags: see pageblock.h. Names follow mm/page_alloc.c
 * (get_pfnblock_flags_mask(), set_pfnblock_flags_mask()).
 */
#include <errno.h>
#include <stdlib.h>

#include "mem/buddy.h"
#include "mem/pageblock.h"
#include "mm/sparse.h"
#include "release/release.h"

static const char *const migratetype_names[MIGRATE_TYPES] = {
	[MIGRATE_UNMOVABLE] = "Unmovable",
	[MIGRATE_MOVABLE] = "Movable",
	[MIGRATE_RECLAIMABLE] = "Reclaimable",
	[MIGRATE_HIGHATOMIC] = "HighAtomic",
	[MIGRATE_ISOLATE] = "Isolate",
};

const char *
migratetype_name(unsigned mt)
{
	return mt < MIGRATE_TYPES ? migratetype_names[mt] : NULL;
}

/* The first pfn the bitmap covers: the first section with a memmap. */
static pfn_t
pageblock_base_pfn(const struct hvo_machine *m)
{
	return round_down64(m->vmemmap_pfn_lo, pages_per_section(m));
}

static void
free_list_strays_free(struct hvo_machine *m)
{
	if (!m->strays)
		return;
	free(m->strays->key);
	free(m->strays->mt);
	free(m->strays);
	m->strays = NULL;
}

/* The slot of @pfn, or of the empty slot where it would go. */
static uint64_t
strays_slot(const struct free_list_strays *t, pfn_t pfn)
{
	uint64_t mask = t->cap - 1;
	uint64_t i = (pfn * UINT64_C(0x9e3779b97f4a7c15)) >> 20 & mask;

	while (t->key[i] && t->key[i] != pfn + 1)
		i = (i + 1) & mask;
	return i;
}

/* Twice the slots (at least 64), every entry placed again. */
static int
strays_grow(struct free_list_strays *t)
{
	struct free_list_strays n = { .cap = t->cap ? t->cap * 2 : 64 };

	n.key = calloc(n.cap, sizeof(*n.key));
	n.mt = calloc(n.cap, sizeof(*n.mt));
	if (!n.key || !n.mt) {
		free(n.key);
		free(n.mt);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < t->cap; i++) {
		uint64_t j;

		if (!t->key[i])
			continue;
		j = strays_slot(&n, t->key[i] - 1);
		n.key[j] = t->key[i];
		n.mt[j] = t->mt[i];
		n.nr++;
	}
	free(t->key);
	free(t->mt);
	*t = n;
	return 0;
}

enum migratetype
free_list_stray_mt(const struct hvo_machine *m, pfn_t pfn)
{
	const struct free_list_strays *t = m->strays;
	uint64_t i = strays_slot(t, pfn);

	return t->key[i] ? (enum migratetype)t->mt[i] :
			   get_pfnblock_migratetype(m, pfn);
}

void
free_list_strays_del(struct hvo_machine *m, pfn_t pfn)
{
	struct free_list_strays *t = m->strays;
	uint64_t mask, i, j;

	if (!t->nr)
		return;
	mask = t->cap - 1;
	i = strays_slot(t, pfn);
	if (!t->key[i])
		return;
	/* Linear probing's deletion: pull later entries of the run back. */
	t->key[i] = 0;
	t->nr--;
	for (j = (i + 1) & mask; t->key[j]; j = (j + 1) & mask) {
		uint64_t home = ((t->key[j] - 1) *
				 UINT64_C(0x9e3779b97f4a7c15)) >> 20 & mask;

		/* Does @j's entry belong at or before the hole at @i? */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->key[i] = t->key[j];
			t->mt[i] = t->mt[j];
			t->key[j] = 0;
			i = j;
		}
	}
}

void
free_list_strays_add(struct hvo_machine *m, pfn_t pfn, enum migratetype mt)
{
	struct free_list_strays *t = m->strays;
	uint64_t i;

	if (mt == get_pfnblock_migratetype(m, pfn)) {
		free_list_strays_del(m, pfn);
		return;
	}
	if ((t->nr + 1) * 2 > t->cap && strays_grow(t)) {
		machine_err(m, -ENOMEM, "out of host memory for the free lists");
		machine_oops(m, -ENOMEM);
		return;
	}
	i = strays_slot(t, pfn);
	if (!t->key[i]) {
		t->key[i] = pfn + 1;
		t->nr++;
	}
	t->mt[i] = (uint8_t)mt;
}

int
pageblock_flags_init(struct hvo_machine *m)
{
	pfn_t lo = pageblock_base_pfn(m);
	pfn_t hi = round_up64(m->vmemmap_pfn_hi, pages_per_section(m));
	uint64_t bits = ((hi - lo) >> m->arch.pageblock_order) *
			NR_PAGEBLOCK_BITS;

	free(m->pageblock_flags);
	m->pageblock_lo = lo;
	m->nr_pageblock_words = (bits + 63) / 64;
	m->pageblock_flags = calloc(m->nr_pageblock_words ?
				    m->nr_pageblock_words : 1,
				    sizeof(*m->pageblock_flags));
	if (!m->pageblock_flags) {
		m->nr_pageblock_words = 0;
		return machine_err(m, -ENOMEM,
				   "out of host memory for the pageblock flags");
	}
	m->rmqueue_fallback = (unsigned)release_get(&m->release,
						    RP_RMQUEUE_FALLBACK);
	free_list_strays_free(m);
	if (m->rmqueue_fallback == FALLBACK_STEAL_SUITABLE) {
		m->strays = calloc(1, sizeof(*m->strays));
		if (!m->strays)
			return machine_err(m, -ENOMEM,
					   "out of host memory for the free lists");
	}
	return 0;
}

void
pageblock_flags_fini(struct hvo_machine *m)
{
	free(m->pageblock_flags);
	m->pageblock_flags = NULL;
	m->nr_pageblock_words = 0;
	free_list_strays_free(m);
}

enum migratetype
get_pfnblock_migratetype(const struct hvo_machine *m, pfn_t pfn)
{
	return __get_pfnblock_migratetype(m, pfn);
}

void
set_pageblock_migratetype(struct hvo_machine *m, pfn_t pfn,
			  enum migratetype mt)
{
	uint64_t bit = pfn_to_bitidx(m, pfn);
	uint64_t *w;

	if (bit == UINT64_MAX)
		return;
	w = &m->pageblock_flags[bit / 64];
	*w = (*w & ~((uint64_t)MIGRATETYPE_MASK << (bit % 64))) |
	     ((uint64_t)mt << (bit % 64));
}

void
pageblock_init_range(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		     enum migratetype mt)
{
	uint64_t nr = pageblock_nr_pages(m);

	for (pfn_t p = round_up64(pfn, nr); p < pfn + n; p += nr)
		set_pageblock_migratetype(m, p, mt);
}

bool
pfn_has_memmap(const struct hvo_machine *m, pfn_t pfn)
{
	const struct phys *p = &m->phys;
	uint64_t pps = pages_per_section(m);
	pfn_t s = round_down64(pfn, pps), e = s + pps;

	if (pfn < m->vmemmap_pfn_lo || pfn >= m->vmemmap_pfn_hi)
		return false;
	for (unsigned i = 0; i < p->nr_ranges; i++) {
		pfn_t rs = p->range[i].base >> p->page_shift;
		pfn_t re = rs + (p->range[i].size >> p->page_shift);

		if (rs < e && re > s)
			return true;
	}
	return false;
}

/* The first pfn of the first section with RAM above @pfn, or UINT64_MAX. */
static pfn_t
next_memmap_pfn(const struct hvo_machine *m, pfn_t pfn)
{
	const struct phys *p = &m->phys;

	for (unsigned i = 0; i < p->nr_ranges; i++) {
		pfn_t rs = p->range[i].base >> p->page_shift;

		if (rs > pfn)
			return round_down64(rs, pages_per_section(m));
	}
	return UINT64_MAX;
}

void
zone_pageblock_counts(const struct hvo_machine *m, enum zone_type z,
		      uint64_t *count)
{
	const struct zone *zone = &m->zones[z];

	for (unsigned t = 0; t < MIGRATE_TYPES; t++)
		count[t] = 0;
	/*
	 * Pageblocks deferred init has not reached have no type yet; a
	 * booted kernel has none left when /proc can be read.
	 */
	for (pfn_t pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone) &&
	     pfn < zone->first_deferred_pfn; pfn += pageblock_nr_pages(m)) {
		if (!pfn_has_memmap(m, pfn)) {
			/* A hole: on to the section of the next RAM range,
			 * in the same pageblock steps (host time only). */
			pfn_t next = next_memmap_pfn(m, pfn);

			if (next > pfn + pageblock_nr_pages(m))
				pfn += round_down64(next - pfn, pageblock_nr_pages(m)) -
				       pageblock_nr_pages(m);
			continue;
		}
		if (pfn_zone(m, pfn) == z)
			count[get_pfnblock_migratetype(m, pfn)]++;
	}
}
