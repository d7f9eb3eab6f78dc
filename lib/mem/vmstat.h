/* SPDX-License-Identifier: MIT */
/*
 * The global page counts of mm/vmstat.c and mm/show_mem.c, and the lines
 * of /proc/vmstat (lib/mem/vmstat.c).
 */
#ifndef HVO_VMSTAT_H
#define HVO_VMSTAT_H

#include <stdint.h>

#include "core/machine.h"

/*
 * global_zone_page_state(NR_FREE_PAGES) once deferred struct page init
 * has run: the pages on the buddy lists (the per-CPU lists are not
 * counted, as in the kernel) and those deferred init will free.
 */
uint64_t
global_free_pages(const struct hvo_machine *m);

/* totalram_pages(): the managed pages, deferred ones included. */
uint64_t
totalram_pages(const struct hvo_machine *m);

/* totalreserve_pages, as calculate_totalreserve_pages() leaves it. */
uint64_t
totalreserve_pages(const struct hvo_machine *m);

/* si_mem_available(): MemAvailable in pages. */
uint64_t
si_mem_available(const struct hvo_machine *m);

/* global_dirty_limits(): the background and the dirty threshold, pages. */
void
global_dirty_limits(const struct hvo_machine *m, uint64_t *background,
		    uint64_t *dirty);

/*
 * Line @i of /proc/vmstat (vmstat_text in its order, the lines the
 * machine's build and release have): its @name and @value. 0, or
 * -ENOENT past the last line.
 */
int
vmstat_item(const struct hvo_machine *m, unsigned i, const char **name,
	    uint64_t *value);

/* The parts of vmstat_text, in its order. */
enum vmstat_part_id {
	VMSTAT_ZONE,   /* enum zone_stat_item */
	VMSTAT_NUMA,   /* enum numa_stat_item */
	VMSTAT_NODE,   /* enum node_stat_item */
	VMSTAT_GLOBAL, /* the system-wide enum vm_stat_item */
	VMSTAT_EVENT,  /* enum vm_event_item */
	NR_VMSTAT_PARTS
};

/*
 * Line @i of the parts @first..@last of vmstat_text (the lines the build
 * configures): the machine's value, or @zone's for the zone and NUMA
 * counters (zoneinfo_show_print()). 0, or -ENOENT past the last line.
 */
int
vmstat_part_item(const struct hvo_machine *m, const struct zone *zone,
		 enum vmstat_part_id first, enum vmstat_part_id last,
		 unsigned i, const char **name, uint64_t *value);

#endif /* HVO_VMSTAT_H */
