/* SPDX-License-Identifier: MIT */
/*
 * Initializing the memmap at boot (memmap_init(), memblock_free_all()) and
 * later for deferred sections (deferred_grow_zone()).
 */
#ifndef HVO_MEMMAP_H
#define HVO_MEMMAP_H

#include "core/machine.h"

/*
 * Lay out the zones, write every struct page that boot writes, and give
 * free memory to the buddy allocator. With deferred init, the highest zone
 * initializes one section and defers the rest, as DEFERRED_STRUCT_PAGE_INIT.
 */
int
memmap_init(struct hvo_machine *m);

/* Finish all deferred initialization (page_alloc_init_late()). */
int
memmap_init_deferred(struct hvo_machine *m);

/*
 * Add to @nr_free (per order) the free blocks deferred struct page init
 * will give zone @z once it runs, without running it.
 */
void
deferred_free_view(const struct hvo_machine *m, enum zone_type z,
		   uint64_t *nr_free);

#endif /* HVO_MEMMAP_H */
