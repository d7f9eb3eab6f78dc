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
	X(HVO_SYNCHRONIZE_RCU, "hvo.synchronize_rcu", "RCU grace periods HVO waited for (6.10-7.0)")

enum hvo_counter_id {
#define X(id, name, help) CNT_##id,
	HVO_COUNTERS(X)
#undef X
	CNT__COUNT
};

#endif /* HVO_COUNTERS_H */
