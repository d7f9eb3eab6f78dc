/* SPDX-License-Identifier: MIT */
/*
 * The zone and free-list types struct hvo_machine embeds, as the kernel's
 * include/linux/mmzone.h holds struct zone for everyone. The allocator that
 * works on them is lib/mem/ (buddy.h); only the types live down here.
 */
#ifndef HVO_MMZONE_H
#define HVO_MMZONE_H

#include <stdbool.h>
#include <stdint.h>

enum zone_type {
	ZONE_DMA = 0,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_MOVABLE,
	/*
	 * CONFIG_ZONE_DEVICE: device memory (pmem, HMM) that memremap_pages()
	 * adds. The machine models no device memory, so where the arch's
	 * build has the zone (struct hvo_arch cfg_zone_device) it is always
	 * empty; where it has not, it is not configured.
	 */
	ZONE_DEVICE,
	MAX_NR_ZONES
};

/* MAX_PAGE_ORDER is at most 13 (arm64 64K): 14 orders. */
#define NR_PAGE_ORDERS_MAX 14

/*
 * enum migratetype (include/linux/mmzone.h) as a stock x86_64 6.12 build
 * has it: CONFIG_MEMORY_ISOLATION on, CONFIG_CMA off (Debian's amd64
 * config), so there is no MIGRATE_CMA and MIGRATE_TYPES is 5.
 */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES, /* the types the per-CPU lists keep */
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};

/*
 * include/linux/pageblock-flags.h: four bits per pageblock, the low
 * three the migratetype, the fourth PB_migrate_skip (compaction's).
 */
#define NR_PAGEBLOCK_BITS 4
#define MIGRATETYPE_MASK 7u

/* A list of free pages in host memory, with its length. */
struct free_list {
	uint64_t next;    /* lru address of the first page, or the head's own */
	uint64_t prev;    /* lru address of the last page, or the head's own */
	uint64_t nr;      /* blocks on this list */
	uint64_t head;    /* the head's own address (free_list_head_va()) */
};

/* struct free_area: one list per migratetype, nr_free over all of them. */
struct free_area {
	struct free_list free_list[MIGRATE_TYPES];
	uint64_t nr_free; /* blocks on the lists */
};

/*
 * per_cpu_pages, for the one CPU libhvo models: small frees park here and
 * small allocations are served from here, and the buddy lists are touched
 * only in batches (rmqueue_bulk(), free_pcppages_bulk()). Pages on these
 * lists are free but not PageBuddy, and not counted in the zone's free
 * pages, as in the kernel.
 *
 * The lists as 6.12 keeps them: one per migratetype below
 * MIGRATE_PCPTYPES and order up to PAGE_ALLOC_COSTLY_ORDER, then the two
 * lists of THP's order (CONFIG_TRANSPARENT_HUGEPAGE is built in on every
 * arch's stock config): unmovable and reclaimable share the first, movable
 * has the second (order_to_pindex()).
 */
#define PAGE_ALLOC_COSTLY_ORDER 3
#define NR_PCP_THP 2
#define NR_LOWORDER_PCP_LISTS (MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_LISTS (NR_LOWORDER_PCP_LISTS + NR_PCP_THP)

/* pcp->flags (6.7 on) */
#define PCPF_PREV_FREE_HIGH_ORDER 0x1u /* the last free was of order 1..3 */
#define PCPF_FREE_HIGH_BATCH      0x2u /* the CPU's data cache holds
					  more than 3 batches */

struct per_cpu_pages {
	uint64_t count;   /* pages on the lists */
	uint64_t high;    /* drain above this */
	uint64_t batch;   /* pages moved at a time */
	uint64_t high_min; /* the bounds the kernel tunes high between */
	uint64_t high_max;
	bool high_auto;   /* the release tunes high (6.7 on): else 6.1's rules */
	unsigned free_factor;  /* 6.1: frees since the last allocation scale
				  the pages a drain gives back */
	unsigned alloc_factor; /* 6.7 on: allocations since the last free
				  scale a refill */
	uint64_t free_count;   /* 6.7 on: pages freed in a row, halved by
				  each allocation */
	unsigned flags;        /* PCPF_* */
	struct free_list lists[NR_PCP_LISTS];
};

/* enum zone_watermarks */
enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	WMARK_PROMO,
	NR_WMARK
};

struct zone {
	const char *name;
	/* __setup_per_zone_wmarks() */
	uint64_t _watermark[NR_WMARK];
	uint64_t watermark_boost;
	/* setup_per_zone_lowmem_reserve(): kept free from allocations of
	 * which this is not the highest zone, by that highest zone */
	uint64_t lowmem_reserve[MAX_NR_ZONES];
	/* per_cpu_zonestat.stat_threshold (refresh_zone_stat_thresholds()) */
	unsigned stat_threshold;
	bool configured;          /* the kernel has this zone (it may be empty) */
	uint64_t zone_start_pfn;
	uint64_t spanned_pages;
	uint64_t present_pages;
	uint64_t managed_pages;   /* given to the buddy allocator */
	uint64_t free_pages;      /* in free_area */
	uint64_t first_deferred_pfn; /* struct pages from here are not yet
				      * initialized (UINT64_MAX: none) */
	uint64_t deferred_pages;  /* free pages still waiting for that */
	/*
	 * The pfns [lo, hi) of boot pages freed while their section was
	 * still deferred (HVO's boot vmemmap): only pageblocks there may
	 * hold free pages when deferred init reaches them. Host only.
	 */
	uint64_t early_free_lo, early_free_hi;
	struct free_area free_area[NR_PAGE_ORDERS_MAX];
	struct per_cpu_pages pcp;
	bool below_high;          /* ZONE_BELOW_HIGH (6.7 on) */
	/* zone_statistics(): NUMA_HIT and NUMA_LOCAL of this zone */
	uint64_t vm_numa_event[2];
};

/*
 * The tunables and totals of mm/page_alloc.c behind the watermarks:
 * vm.min_free_kbytes, vm.watermark_scale_factor, vm.lowmem_reserve_ratio
 * and totalreserve_pages.
 */
struct vm_watermarks {
	int min_free_kbytes;
	int user_min_free_kbytes;   /* -1 until a user writes it */
	int watermark_scale_factor;
	/* kept: try_to_steal_block() does not call boost_watermark(); kswapd,
	 * which would clear a boost, is not modelled either */
	int watermark_boost_factor;
	int percpu_pagelist_high_fraction;
	int lowmem_reserve_ratio[MAX_NR_ZONES];
	uint64_t totalreserve_pages;
};

static inline uint64_t
zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

#endif /* HVO_MMZONE_H */
