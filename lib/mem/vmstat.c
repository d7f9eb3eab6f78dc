/* SPDX-License-Identifier: MIT */
/*
 * /proc/vmstat and the global page counts /proc/meminfo reads. Names
 * follow mm/vmstat.c (vmstat_text, global_zone_page_state()),
 * mm/show_mem.c (si_mem_available()) and mm/page-writeback.c
 * (global_dirty_limits()) of 6.12.
 *
 * The list is 6.12's vmstat_text as the distribution build configures
 * it (the arch says which options its build turns on: struct hvo_arch),
 * with the names that came and went since 6.1 on the release's rows
 * (RP_VMSTAT_TEXT); a real 6.1 and 6.12 guest print the same names in
 * the same order (tests/test-guest.c).
 * Lines for what the machine does not have (page cache, swap, reclaim,
 * THP, slab, ...) read 0, as they would on a kernel that never used
 * them; the counters the machine keeps are in enum vm_event_item and
 * enum vm_stat_item (core/counters.h).
 */
#include <errno.h>
#include <stdbool.h>

#include "mem/buddy.h"
#include "mem/vmstat.h"

/* Which build option a line depends on (#ifdef in vmstat_text). */
enum vmstat_cond {
	VC_ALWAYS,
	VC_ZONE_DMA,          /* CONFIG_ZONE_DMA: the machine has the zone */
	VC_ZONE_DMA32,        /* CONFIG_ZONE_DMA32 */
	VC_ZONE_DEVICE,       /* CONFIG_ZONE_DEVICE */
	VC_UNACCEPTED_MEMORY, /* CONFIG_UNACCEPTED_MEMORY */
	VC_CMA,               /* CONFIG_CMA */
	VC_X86,               /* CONFIG_X86: the direct-map split events */
	VC_THP_PUD,           /* CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD */
	VC_MEMMAP,            /* 6.11+: the memmap counters (release) */
	/* the release's vmstat_text groups (enum release_vmstat_text) */
	VC_KHUGEPAGED_RECLAIM,
	VC_PGDEMOTE_NODE,
	VC_PGDEMOTE_EVENT,    /* before VMSTAT_PGDEMOTE_NODE */
	VC_ZSWPWB,
	VC_ZONE_RECLAIM_SUCCESS,
	VC_IOMMU_PAGES,       /* and CONFIG_IOMMU_SUPPORT */
	VC_6_12_EVENTS,
};

/* Where a line's value comes from. */
enum vmstat_src {
	VS_ZERO,              /* the machine never has any */
	VS_FREE_PAGES,        /* NR_FREE_PAGES */
	VS_EVENT,             /* m->vm_events[idx] */
	VS_STAT,              /* m->vm_stat[idx] */
	VS_DIRTY,             /* nr_dirty_threshold */
	VS_DIRTY_BG,          /* nr_dirty_background_threshold */
};

struct vmstat_line {
	const char *name;
	unsigned char cond;
	unsigned char src;
	unsigned char idx;
};

#define Z(name) { name, VC_ALWAYS, VS_ZERO, 0 }
#define ZC(name, c) { name, c, VS_ZERO, 0 }
#define EV(name, item) { name, VC_ALWAYS, VS_EVENT, item }
/* TEXTS_FOR_ZONES(): _dma, _dma32, _normal, _movable, _device. */
#define ZONES(prefix, ev)						\
	{ prefix "_dma", VC_ZONE_DMA, (ev) ? VS_EVENT : VS_ZERO,	\
	  (ev) ? PGALLOC_DMA : 0 },					\
	{ prefix "_dma32", VC_ZONE_DMA32, (ev) ? VS_EVENT : VS_ZERO,	\
	  (ev) ? PGALLOC_DMA32 : 0 },					\
	{ prefix "_normal", VC_ALWAYS, (ev) ? VS_EVENT : VS_ZERO,	\
	  (ev) ? PGALLOC_NORMAL : 0 },					\
	{ prefix "_movable", VC_ALWAYS, (ev) ? VS_EVENT : VS_ZERO,	\
	  (ev) ? PGALLOC_MOVABLE : 0 },					\
	{ prefix "_device", VC_ZONE_DEVICE, VS_ZERO, 0 }

/*
 * vmstat_text of 6.12 (mm/vmstat.c:1192-1468). Options every 64-bit
 * distribution build of the three arches turns on are not conditions:
 * ZSMALLOC, NUMA, SWAP, NUMA_BALANCING, MIGRATION, COMPACTION,
 * HUGETLB_PAGE, TRANSPARENT_HUGEPAGE, MEMORY_BALLOON,
 * BALLOON_COMPACTION, KSM, ZSWAP, VM_EVENT_COUNTERS; nor are the ones
 * they leave off: HIGHMEM, SHADOW_CALL_STACK, DEBUG_TLBFLUSH,
 * PER_VMA_LOCK_STATS, DEBUG_STACK_USAGE.
 */
static const struct vmstat_line zone_stat_text[] = {
	/* enum zone_stat_item */
	{ "nr_free_pages", VC_ALWAYS, VS_FREE_PAGES, 0 },
	Z("nr_zone_inactive_anon"),
	Z("nr_zone_active_anon"),
	Z("nr_zone_inactive_file"),
	Z("nr_zone_active_file"),
	Z("nr_zone_unevictable"),
	Z("nr_zone_write_pending"),
	Z("nr_mlock"),
	Z("nr_bounce"),
	Z("nr_zspages"),
	Z("nr_free_cma"),
	ZC("nr_unaccepted", VC_UNACCEPTED_MEMORY),
};

static const struct vmstat_line numa_stat_text[] = {
	/* enum numa_stat_item: zone_statistics(), one node */
	EV("numa_hit", NUMA_HIT),
	Z("numa_miss"),
	Z("numa_foreign"),
	Z("numa_interleave"),
	EV("numa_local", NUMA_LOCAL),
	Z("numa_other"),
};

static const struct vmstat_line node_stat_text[] = {
	/* enum node_stat_item */
	Z("nr_inactive_anon"),
	Z("nr_active_anon"),
	Z("nr_inactive_file"),
	Z("nr_active_file"),
	Z("nr_unevictable"),
	Z("nr_slab_reclaimable"),
	Z("nr_slab_unreclaimable"),
	Z("nr_isolated_anon"),
	Z("nr_isolated_file"),
	Z("workingset_nodes"),
	Z("workingset_refault_anon"),
	Z("workingset_refault_file"),
	Z("workingset_activate_anon"),
	Z("workingset_activate_file"),
	Z("workingset_restore_anon"),
	Z("workingset_restore_file"),
	Z("workingset_nodereclaim"),
	Z("nr_anon_pages"),
	Z("nr_mapped"),
	Z("nr_file_pages"),
	Z("nr_dirty"),
	Z("nr_writeback"),
	Z("nr_writeback_temp"),
	Z("nr_shmem"),
	Z("nr_shmem_hugepages"),
	Z("nr_shmem_pmdmapped"),
	Z("nr_file_hugepages"),
	Z("nr_file_pmdmapped"),
	Z("nr_anon_transparent_hugepages"),
	Z("nr_vmscan_write"),
	Z("nr_vmscan_immediate_reclaim"),
	Z("nr_dirtied"),
	Z("nr_written"),
	Z("nr_throttled_written"),
	Z("nr_kernel_misc_reclaimable"),
	Z("nr_foll_pin_acquired"),
	Z("nr_foll_pin_released"),
	Z("nr_kernel_stack"),
	/* pte_alloc_one_kernel() has no ctor: init_mm's tables are not here */
	Z("nr_page_table_pages"),
	Z("nr_sec_page_table_pages"),
	ZC("nr_iommu_pages", VC_IOMMU_PAGES),
	Z("nr_swapcached"),
	Z("pgpromote_success"),
	Z("pgpromote_candidate"),
	ZC("pgdemote_kswapd", VC_PGDEMOTE_NODE),
	ZC("pgdemote_direct", VC_PGDEMOTE_NODE),
	ZC("pgdemote_khugepaged", VC_PGDEMOTE_NODE),
};

static const struct vmstat_line vm_stat_text[] = {
	/* system-wide enum vm_stat_item */
	{ "nr_dirty_threshold", VC_ALWAYS, VS_DIRTY, 0 },
	{ "nr_dirty_background_threshold", VC_ALWAYS, VS_DIRTY_BG, 0 },
	{ "nr_memmap_pages", VC_MEMMAP, VS_STAT, NR_MEMMAP_PAGES },
	{ "nr_memmap_boot_pages", VC_MEMMAP, VS_STAT, NR_MEMMAP_BOOT_PAGES },
};

static const struct vmstat_line vm_event_text[] = {
	/* enum vm_event_item */
	Z("pgpgin"),
	Z("pgpgout"),
	Z("pswpin"),
	Z("pswpout"),
	ZONES("pgalloc", true),
	ZONES("allocstall", false),
	ZONES("pgskip", false),
	EV("pgfree", PGFREE),
	Z("pgactivate"),
	Z("pgdeactivate"),
	Z("pglazyfree"),
	Z("pgfault"),
	Z("pgmajfault"),
	Z("pglazyfreed"),
	Z("pgrefill"),
	Z("pgreuse"),
	Z("pgsteal_kswapd"),
	Z("pgsteal_direct"),
	ZC("pgsteal_khugepaged", VC_KHUGEPAGED_RECLAIM),
	ZC("pgdemote_kswapd", VC_PGDEMOTE_EVENT),
	ZC("pgdemote_direct", VC_PGDEMOTE_EVENT),
	Z("pgscan_kswapd"),
	Z("pgscan_direct"),
	ZC("pgscan_khugepaged", VC_KHUGEPAGED_RECLAIM),
	Z("pgscan_direct_throttle"),
	Z("pgscan_anon"),
	Z("pgscan_file"),
	Z("pgsteal_anon"),
	Z("pgsteal_file"),
	ZC("zone_reclaim_success", VC_ZONE_RECLAIM_SUCCESS),
	Z("zone_reclaim_failed"),
	Z("pginodesteal"),
	Z("slabs_scanned"),
	Z("kswapd_inodesteal"),
	Z("kswapd_low_wmark_hit_quickly"),
	Z("kswapd_high_wmark_hit_quickly"),
	Z("pageoutrun"),
	Z("pgrotated"),
	Z("drop_pagecache"),
	Z("drop_slab"),
	Z("oom_kill"),
	Z("numa_pte_updates"),
	Z("numa_huge_pte_updates"),
	Z("numa_hint_faults"),
	Z("numa_hint_faults_local"),
	Z("numa_pages_migrated"),
	Z("pgmigrate_success"),
	Z("pgmigrate_fail"),
	Z("thp_migration_success"),
	Z("thp_migration_fail"),
	Z("thp_migration_split"),
	/*
	 * Compaction: the machine never compacts; alloc_contig_range()
	 * isolates free pages through the compaction code, which counts
	 * them in compact_isolated (COMPACTISOLATED).
	 */
	Z("compact_migrate_scanned"),
	Z("compact_free_scanned"),
	EV("compact_isolated", COMPACTISOLATED),
	Z("compact_stall"),
	Z("compact_fail"),
	Z("compact_success"),
	Z("compact_daemon_wake"),
	Z("compact_daemon_migrate_scanned"),
	Z("compact_daemon_free_scanned"),
	EV("htlb_buddy_alloc_success", HTLB_BUDDY_PGALLOC),
	EV("htlb_buddy_alloc_fail", HTLB_BUDDY_PGALLOC_FAIL),
	ZC("cma_alloc_success", VC_CMA),
	ZC("cma_alloc_fail", VC_CMA),
	Z("unevictable_pgs_culled"),
	Z("unevictable_pgs_scanned"),
	Z("unevictable_pgs_rescued"),
	Z("unevictable_pgs_mlocked"),
	Z("unevictable_pgs_munlocked"),
	Z("unevictable_pgs_cleared"),
	Z("unevictable_pgs_stranded"),
	Z("thp_fault_alloc"),
	Z("thp_fault_fallback"),
	Z("thp_fault_fallback_charge"),
	Z("thp_collapse_alloc"),
	Z("thp_collapse_alloc_failed"),
	Z("thp_file_alloc"),
	Z("thp_file_fallback"),
	Z("thp_file_fallback_charge"),
	Z("thp_file_mapped"),
	Z("thp_split_page"),
	Z("thp_split_page_failed"),
	Z("thp_deferred_split_page"),
	ZC("thp_underused_split_page", VC_6_12_EVENTS),
	Z("thp_split_pmd"),
	Z("thp_scan_exceed_none_pte"),
	Z("thp_scan_exceed_swap_pte"),
	Z("thp_scan_exceed_share_pte"),
	ZC("thp_split_pud", VC_THP_PUD),
	Z("thp_zero_page_alloc"),
	Z("thp_zero_page_alloc_failed"),
	Z("thp_swpout"),
	Z("thp_swpout_fallback"),
	Z("balloon_inflate"),
	Z("balloon_deflate"),
	Z("balloon_migrate"),
	Z("swap_ra"),
	Z("swap_ra_hit"),
	ZC("swpin_zero", VC_6_12_EVENTS),
	ZC("swpout_zero", VC_6_12_EVENTS),
	Z("ksm_swpin_copy"),
	Z("cow_ksm"),
	Z("zswpin"),
	Z("zswpout"),
	ZC("zswpwb", VC_ZSWPWB),
	/* split_page_count(): the machine never splits its direct map */
	ZC("direct_map_level2_splits", VC_X86),
	ZC("direct_map_level3_splits", VC_X86),
	/* vmstat_show() ends with it: deprecated, kept for userspace */
	Z("nr_unstable"),
};

#define PART(t) { t, sizeof(t) / sizeof((t)[0]) }

/*
 * vmstat_text in its order, in the parts zone_stat_name(),
 * numa_stat_name(), node_stat_name() and vm_event_name() index:
 * /proc/vmstat prints them all, /proc/zoneinfo the first three.
 */
static const struct vmstat_part {
	const struct vmstat_line *line;
	size_t nr;
} vmstat_text[NR_VMSTAT_PARTS] = {
	[VMSTAT_ZONE] = PART(zone_stat_text),
	[VMSTAT_NUMA] = PART(numa_stat_text),
	[VMSTAT_NODE] = PART(node_stat_text),
	[VMSTAT_GLOBAL] = PART(vm_stat_text),
	[VMSTAT_EVENT] = PART(vm_event_text),
};

static bool
vmstat_cond(const struct hvo_machine *m, enum vmstat_cond c)
{
	const struct hvo_arch *a = &m->arch;

	switch (c) {
	case VC_ALWAYS:
		return true;
	case VC_ZONE_DMA:
		return m->zones[ZONE_DMA].configured;
	case VC_ZONE_DMA32:
		return m->zones[ZONE_DMA32].configured;
	case VC_ZONE_DEVICE:
		return m->zones[ZONE_DEVICE].configured;
	case VC_UNACCEPTED_MEMORY:
		return a->cfg_unaccepted_memory &&
		       kernel_get(m, RP_UNACCEPTED_MEMORY);
	case VC_CMA:
		return a->cfg_cma;
	case VC_X86:
		return a->direct_map_report;
	case VC_THP_PUD:
		return a->cfg_thp_pud;
	case VC_MEMMAP:
		return kernel_get(m, RP_VMSTAT_MEMMAP) != 0;
	case VC_KHUGEPAGED_RECLAIM:
		return kernel_get(m, RP_VMSTAT_TEXT) & VMSTAT_KHUGEPAGED_RECLAIM;
	case VC_PGDEMOTE_NODE:
		return kernel_get(m, RP_VMSTAT_TEXT) & VMSTAT_PGDEMOTE_NODE;
	case VC_PGDEMOTE_EVENT:
		return !(kernel_get(m, RP_VMSTAT_TEXT) & VMSTAT_PGDEMOTE_NODE);
	case VC_ZSWPWB:
		return kernel_get(m, RP_VMSTAT_TEXT) & VMSTAT_ZSWPWB;
	case VC_ZONE_RECLAIM_SUCCESS:
		return kernel_get(m, RP_VMSTAT_TEXT) & VMSTAT_ZONE_RECLAIM_SUCCESS;
	case VC_IOMMU_PAGES:
		return a->cfg_iommu &&
		       (kernel_get(m, RP_VMSTAT_TEXT) & VMSTAT_IOMMU_PAGES);
	case VC_6_12_EVENTS:
		return kernel_get(m, RP_VMSTAT_TEXT) & VMSTAT_6_12_EVENTS;
	}
	return false;
}

uint64_t
global_free_pages(const struct hvo_machine *m)
{
	uint64_t nr = 0;

	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		nr += zone_nr_free_pages(&m->zones[z]);
	return nr;
}

uint64_t
totalram_pages(const struct hvo_machine *m)
{
	uint64_t nr = 0;

	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		nr += m->zones[z].managed_pages + m->zones[z].deferred_pages;
	return nr;
}

uint64_t
totalreserve_pages(const struct hvo_machine *m)
{
	/* calculate_totalreserve_pages(), kept by the watermarks */
	return m->wmark.totalreserve_pages;
}

uint64_t
si_mem_available(const struct hvo_machine *m)
{
	uint64_t free = global_free_pages(m), reserve = totalreserve_pages(m);

	/*
	 * Free pages less the reserve, plus the page cache and reclaimable
	 * slab that could be dropped: the machine has neither.
	 */
	return free > reserve ? free - reserve : 0;
}

void
global_dirty_limits(const struct hvo_machine *m, uint64_t *background,
		    uint64_t *dirty)
{
	uint64_t page_size = m->arch.page_size;
	uint64_t free = global_free_pages(m), reserve = totalreserve_pages(m);
	/* global_dirtyable_memory(): no file LRU pages, no highmem. */
	uint64_t avail = free - (free < reserve ? free : reserve) + 1;
	/* domain_dirty_limits(): vm_dirty_ratio 20, dirty_background_ratio
	 * 10, as fractions of a page; no byte limits set. */
	uint64_t thresh = (20 * page_size / 100) * avail / page_size;
	uint64_t bg_thresh = (10 * page_size / 100) * avail / page_size;

	if (thresh > UINT32_MAX)
		thresh = UINT32_MAX;
	if (bg_thresh >= thresh)
		bg_thresh = thresh / 2;
	*background = bg_thresh;
	*dirty = thresh;
}

/*
 * The value of @l: the machine's if @zone is NULL, else that zone's
 * (zone_page_state() and zone_numa_event_state()).
 */
static uint64_t
vmstat_value(const struct hvo_machine *m, const struct zone *zone,
	     const struct vmstat_line *l)
{
	uint64_t bg, dirty;

	switch ((enum vmstat_src)l->src) {
	case VS_ZERO:
		return 0;
	case VS_FREE_PAGES:
		return zone ? zone_nr_free_pages(zone) : global_free_pages(m);
	case VS_EVENT:
		if (zone && (l->idx == NUMA_HIT || l->idx == NUMA_LOCAL))
			return zone->vm_numa_event[l->idx - NUMA_HIT];
		return m->vm_events[l->idx];
	case VS_STAT:
		/* vmstat_start() reads the atomics as unsigned long */
		return (uint64_t)m->vm_stat[l->idx];
	case VS_DIRTY:
	case VS_DIRTY_BG:
		global_dirty_limits(m, &bg, &dirty);
		return l->src == VS_DIRTY ? dirty : bg;
	}
	return 0;
}

int
vmstat_part_item(const struct hvo_machine *m, const struct zone *zone,
		 enum vmstat_part_id first, enum vmstat_part_id last,
		 unsigned i, const char **name, uint64_t *value)
{
	unsigned seen = 0;

	for (unsigned p = first; p <= last; p++) {
		for (size_t k = 0; k < vmstat_text[p].nr; k++) {
			const struct vmstat_line *l = &vmstat_text[p].line[k];

			if (!vmstat_cond(m, (enum vmstat_cond)l->cond) ||
			    seen++ != i)
				continue;
			*name = l->name;
			*value = vmstat_value(m, zone, l);
			return 0;
		}
	}
	return -ENOENT;
}

int
vmstat_item(const struct hvo_machine *m, unsigned i, const char **name,
	    uint64_t *value)
{
	return vmstat_part_item(m, NULL, VMSTAT_ZONE, VMSTAT_EVENT, i, name,
				value);
}
