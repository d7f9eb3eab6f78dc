/* SPDX-License-Identifier: MIT */
/*
 * The counters every machine keeps: one list, so the public names, the JSON
 * report and the code that counts cannot drift apart.
 */
#ifndef HVO_COUNTERS_H
#define HVO_COUNTERS_H

/* Page-table levels by Linux name; the top level is always "pgd". */
enum pt_stat_level {
	PTS_PTE = 0,
	PTS_PMD,
	PTS_PUD,
	PTS_P4D,
	PTS_PGD,
	PTS_NR
};

#define HVO_COUNTERS(X)                                                  \
	X(PT_READ_PGD, "pt.read.pgd", "page-table entries read at the top level") \
	X(PT_READ_P4D, "pt.read.p4d", "P4D entries read")                \
	X(PT_READ_PUD, "pt.read.pud", "PUD entries read")                \
	X(PT_READ_PMD, "pt.read.pmd", "PMD entries read")                \
	X(PT_READ_PTE, "pt.read.pte", "PTE entries read")                \
	X(PT_WRITE_PGD, "pt.write.pgd", "top-level entries written")     \
	X(PT_WRITE_P4D, "pt.write.p4d", "P4D entries written")           \
	X(PT_WRITE_PUD, "pt.write.pud", "PUD entries written")           \
	X(PT_WRITE_PMD, "pt.write.pmd", "PMD entries written")           \
	X(PT_WRITE_PTE, "pt.write.pte", "PTE entries written")           \
	X(PT_TABLE_ALLOC, "pt.table_alloc", "page-table pages allocated") \
	X(PT_TABLE_FREE, "pt.table_free", "page-table pages freed")      \
	X(PT_SPLIT, "pt.split", "blocks split into tables")              \
	X(TLB_HIT, "tlb.hit", "TLB hits")                                \
	X(TLB_MISS, "tlb.miss", "TLB misses (full walks)")               \
	X(TLB_FLUSH_RANGE, "tlb.flush_range", "flush_tlb_kernel_range() calls") \
	X(TLB_FLUSH_PAGE, "tlb.flush_page", "single-page invalidations") \
	X(TLB_FLUSH_ALL, "tlb.flush_all", "full TLB flushes")            \
	X(FAULT_NOT_PRESENT, "fault.not_present", "accesses to unmapped addresses") \
	X(FAULT_WRITE_PROTECT, "fault.write_protect", "stores to read-only mappings") \
	X(FAULT_BAD_ENTRY, "fault.bad_entry", "walks that met a malformed entry") \
	X(CHECK_STALE_TLB, "check.stale_tlb", "uses of a stale TLB entry (missed flush)") \
	X(CHECK_BBM, "check.bbm", "live entries changed without break-before-make") \
	X(BUDDY_ALLOC, "buddy.alloc", "page allocations") \
	X(BUDDY_FREE, "buddy.free", "page frees") \
	X(DEFERRED_GROW, "buddy.deferred_grow", "deferred sections brought online") \
	X(FAULT_INJECTED, "fault.injected", "allocations failed on purpose") \
	X(HOST_RELEASE, "host.release", "frees that gave written frames' host pages back") \
	X(HVO_OPTIMIZE, "hvo.optimize", "hugepages whose vmemmap was optimized") \
	X(HVO_RESTORE, "hvo.restore", "hugepages whose vmemmap was restored") \
	X(HVO_SPLIT_PMD, "hvo.split_pmd", "vmemmap PMD blocks split into PTEs") \
	X(HVO_VMEMMAP_FREED, "hvo.vmemmap_freed", "vmemmap pages freed") \
	X(HVO_VMEMMAP_ALLOCED, "hvo.vmemmap_alloced", "vmemmap pages allocated (heads, restores)") \
	X(HVO_PREHVO, "hvo.prehvo", "boot hugepages whose vmemmap was populated already optimized (6.15+)") \
	X(HVO_ROLLBACK, "hvo.rollback", "optimizations undone after a failure") \
	X(HVO_BAD_PAGE, "hvo.bad_page", "bad_page() reports of struct pages found bad when pages were freed, logged or not") \
	X(HVO_SANITY, "hvo.sanity_fail", "remap or restore steps whose kernel sanity check failed") \
	X(HVO_SYNCHRONIZE_RCU, "hvo.synchronize_rcu", "RCU grace periods HVO waited for (6.10-7.0)") \
	X(BUDDY_CLAIM, "buddy.claim", "pageblocks claimed for another migratetype (__rmqueue_claim())") \
	X(BUDDY_STEAL, "buddy.steal", "blocks taken from another migratetype's pageblock (__rmqueue_steal())") \
	X(HOST_MEMMAP_FILL, "host.memmap_fill", "described vmemmap frames whose bytes the host made again, for a page of their own or a shared copy (host work, not the kernel's)") \
	X(HOST_MEMMAP_COMPACT, "host.memmap_compact", "written vmemmap frames the host described again, giving their page back (host work, not the kernel's)")

/*
 * The kernel's own statistics the machine keeps, as /proc/vmstat prints
 * them (lib/mem/vmstat.c). vm_event_item follows
 * include/linux/vm_event_item.h, only the events the machine can have:
 * PGALLOC_DMA..PGALLOC_MOVABLE are indexed by enum zone_type, as
 * __count_zid_vm_events() indexes them.
 */
enum vm_event_item {
	PGALLOC_DMA,
	PGALLOC_DMA32,
	PGALLOC_NORMAL,
	PGALLOC_MOVABLE,
	PGFREE,
	COMPACTISOLATED,
	HTLB_BUDDY_PGALLOC,
	HTLB_BUDDY_PGALLOC_FAIL,
	/* enum numa_stat_item, counted per allocation by zone_statistics() */
	NUMA_HIT,
	NUMA_LOCAL,
	NR_VM_EVENT_ITEMS
};

/*
 * The system-wide enum vm_stat_item counters of include/linux/vmstat.h
 * the machine keeps: struct page metadata from the buddy allocator and
 * from memblock (memmap_pages_add(), memmap_boot_pages_add()).
 */
enum vm_stat_item {
	NR_MEMMAP_PAGES,
	NR_MEMMAP_BOOT_PAGES,
	NR_VM_STAT_ITEMS
};

enum hvo_counter_id {
#define X(id, name, help) CNT_##id,
	HVO_COUNTERS(X)
#undef X
	CNT__COUNT
};

#endif /* HVO_COUNTERS_H */
