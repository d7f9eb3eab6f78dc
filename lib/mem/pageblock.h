/* SPDX-License-Identifier: MIT */
/*
 * Pageblock flags, as include/linux/pageblock-flags.h and the bitmap
 * helpers of mm/page_alloc.c: NR_PAGEBLOCK_BITS per pageblock, the
 * migratetype in the low three. With SPARSEMEM the kernel keeps one
 * bitmap per mem_section (its usemap) and indexes it by the pfn's offset
 * in the section; here the sections' bitmaps are laid end to end in one
 * host array from the first section with a memmap, which gives every
 * pageblock the same bits at the same offset of its section.
 */
#ifndef HVO_PAGEBLOCK_H
#define HVO_PAGEBLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"

/* The bitmap for every section of the memmap, all bits 0 (UNMOVABLE). */
int
pageblock_flags_init(struct hvo_machine *m);

void
pageblock_flags_fini(struct hvo_machine *m);

static inline uint64_t
pageblock_nr_pages(const struct hvo_machine *m)
{
	return UINT64_C(1) << m->arch.pageblock_order;
}

static inline pfn_t
pageblock_start_pfn(const struct hvo_machine *m, pfn_t pfn)
{
	return pfn & ~(pageblock_nr_pages(m) - 1);
}

/*
 * pfn_to_bitidx(): the pageblock's first bit, or UINT64_MAX outside the
 * bitmap (or without one: no words).
 */
static inline uint64_t
pfn_to_bitidx(const struct hvo_machine *m, pfn_t pfn)
{
	uint64_t bit;

	if (pfn < m->pageblock_lo)
		return UINT64_MAX;
	bit = ((pfn - m->pageblock_lo) >> m->arch.pageblock_order) *
	      NR_PAGEBLOCK_BITS;
	return bit / 64 < m->nr_pageblock_words ? bit : UINT64_MAX;
}

/*
 * get_pfnblock_migratetype() inline, for the order-0 free: the migratetype
 * bits of @pfn's pageblock.
 */
static inline enum migratetype
__get_pfnblock_migratetype(const struct hvo_machine *m, pfn_t pfn)
{
	uint64_t bit = pfn_to_bitidx(m, pfn);

	if (bit == UINT64_MAX)
		return MIGRATE_UNMOVABLE;
	return (enum migratetype)((m->pageblock_flags[bit / 64] >> (bit % 64)) &
				  MIGRATETYPE_MASK);
}

/* get_pfnblock_migratetype(): the migratetype bits of @pfn's pageblock. */
enum migratetype
get_pfnblock_migratetype(const struct hvo_machine *m, pfn_t pfn);

/* set_pageblock_migratetype() of the pageblock holding @pfn. */
void
set_pageblock_migratetype(struct hvo_machine *m, pfn_t pfn,
			  enum migratetype mt);

/*
 * memmap_init_range()'s marking: every pageblock-aligned pfn of
 * [@pfn, @pfn + @n) gets @mt.
 */
void
pageblock_init_range(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		     enum migratetype mt);

/*
 * pfn_to_online_page() != NULL: @pfn lies in a section with a memmap
 * (holes inside such a section have struct pages too).
 */
bool
pfn_has_memmap(const struct hvo_machine *m, pfn_t pfn);

/*
 * pagetypeinfo_showblockcount_print(): the pageblocks of zone @z by
 * migratetype, stepping from zone_start_pfn by a pageblock, counting
 * each pfn with a memmap in the zone, up to the first deferred pfn.
 * @count has MIGRATE_TYPES entries.
 */
void
zone_pageblock_counts(const struct hvo_machine *m, enum zone_type z,
		      uint64_t *count);

/*
 * Before 6.10 (FALLBACK_STEAL_SUITABLE) a free block may sit on the list
 * of another migratetype than its pageblock's: steal_suitable_fallback()
 * moves blocks to the asking type's lists and may leave the pageblock as
 * it was, expand() gives the remainder to the asking type's lists, and a
 * merge across pageblocks leaves the other pageblock's type alone. The
 * kernel's list_del() needs no list; the model's lists keep their heads
 * and lengths in host memory, so it has to know which list a free block
 * is on. The strays table says it for the blocks whose list is not their
 * pageblock's type (a host hash by first pfn; an entry may also name the
 * type the pageblock took after its blocks moved, which is still right).
 * The machine has one only when its release needs it; from 6.10 on every
 * free block is on its pageblock's list (freelist migratetype hygiene).
 */
struct free_list_strays {
	uint64_t *key;       /* pfn + 1 of a block's first page; 0: empty */
	uint8_t *mt;         /* the list it is on */
	uint64_t cap, nr;    /* slots (a power of two), entries */
};

/* The list the free block at @pfn is on. */
enum migratetype
free_list_stray_mt(const struct hvo_machine *m, pfn_t pfn);

static inline enum migratetype
free_list_mt(const struct hvo_machine *m, pfn_t pfn)
{
	if (!m->strays || !m->strays->nr)
		return get_pfnblock_migratetype(m, pfn);
	return free_list_stray_mt(m, pfn);
}

/*
 * The free block at @pfn went onto @mt's list (m->strays set): noted if
 * that is not its pageblock's type. Running out of host memory is an oops
 * of the operation (-ENOMEM).
 */
void
free_list_strays_add(struct hvo_machine *m, pfn_t pfn, enum migratetype mt);

/* The free block at @pfn left its list (m->strays set). */
void
free_list_strays_del(struct hvo_machine *m, pfn_t pfn);

/* migratetype_names[]: "Unmovable", ..., or NULL past MIGRATE_TYPES. */
const char *
migratetype_name(unsigned mt);

#endif /* HVO_PAGEBLOCK_H */
