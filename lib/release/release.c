/* SPDX-License-Identifier: MIT */
/*
 * The table of releases, and the parser of release strings. See
 * release.h; the facts behind each row are in doc/KERNEL-FACTS.md,
 * "Release history".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "release/release.h"

#define ARCH_BIT(a) (UINT64_C(1) << (a))
#define X86 ARCH_BIT(HVO_ARCH_X86_64)
#define ARM64 ARCH_BIT(HVO_ARCH_ARM64)
#define RISCV ARCH_BIT(HVO_ARCH_RISCV64)

/* A row of mainline MAJOR.MINOR. */
#define ROW(ma, mi) .major = (ma), .minor = (mi)
/* ... also backported to the stable line ma.mi from point su on. */
#define STABLE(ma, mi, su) .stable = { (ma), (mi), (su) }

/*
 * In release order; within a release, any order. The rows of 0.0 are
 * the values before HVO.
 */
static const struct release_row rows[] = {
	/* Before HVO. */
	{ ROW(0, 0), .prop = RP_PCP_HIGH_AUTO, .value = 0,
	  .what = "pcp->high is zone_highsize() of the low watermark, fixed; frees past it give back batch << free_factor pages (free_factor grows per drain, halves per allocation, at most CONFIG_PCP_BATCH_SCALE_MAX 5), a high-order free after a drain without allocation gives back every pcp page [6.1.192's form; bounded by 51a755c56dc0 above]",
	  .source = "L6.1 mm/page_alloc.c:3422-3492 (nr_pcp_free(), nr_pcp_high(), free_unref_page_commit()), :3852-3856, :7096-7135 (zone_highsize())" },
	{ ROW(0, 0), .prop = RP_RMQUEUE_FALLBACK, .value = FALLBACK_STEAL_SUITABLE,
	  .what = "an allocation whose own lists are empty takes the largest block of a fallback type (a movable one that may not claim: the smallest), moves it, or every free page of its pageblock, to its own lists, and splits from its own lists; free pages may sit on another type's list than their pageblock's [6.1's form; bounded by c0cd6f557b90 above, unverified before 4.13]",
	  .source = "L6.1 mm/page_alloc.c:2725-2900, :3032-3141 (can_steal_fallback(), steal_suitable_fallback(), find_suitable_fallback(), __rmqueue_fallback(), __rmqueue())" },
	{ ROW(0, 0), .prop = RP_HVO_ARCHES, .value = 0,
	  .what = "no arch builds HVO",
	  .source = "before CONFIG_HUGETLB_PAGE_FREE_VMEMMAP" },
	{ ROW(0, 0), .prop = RP_VARIANT, .value = HVO_VARIANT_OFF,
	  .what = "no HVO", .source = "before 5.14" },
	{ ROW(0, 0), .prop = RP_HEAD_COPY, .value = HEAD_KEEP,
	  .what = "the first vmemmap page is the reuse page",
	  .source = "f41f2ed43ca5 vmemmap_remap_free(start, end, reuse)" },
	{ ROW(0, 0), .prop = RP_STRUCT_PAGE_POW2, .value = 0,
	  .what = "no rule", .source = "before 5.14" },
	{ ROW(0, 0), .prop = RP_SYSCTL, .value = 0,
	  .what = "no vm.hugetlb_optimize_vmemmap", .source = "before 5.19" },
	{ ROW(0, 0), .prop = RP_BOOT_PARAM, .value = BOOT_PARAM_NONE,
	  .what = "hugetlb_free_vmemmap= is an unknown parameter",
	  .source = "before 5.14" },
	{ ROW(0, 0), .prop = RP_X86_RO_DIRTY, .value = 1,
	  .what = "x86 PAGE_KERNEL_RO is P|A|D|G|NX: read-only PTEs end in 0x161",
	  .source = "L6.1 arch/x86/include/asm/pgtable_types.h:197" },
	{ ROW(0, 0), .prop = RP_ARM64_SECT_WRITE, .value = 0,
	  .what = "arm64 PROT_SECT_NORMAL has neither PTE_WRITE nor PTE_DIRTY",
	  .source = "L6.1 arch/arm64/include/asm/pgtable-prot.h:43" },
	{ ROW(0, 0), .prop = RP_ARM64_KPTI, .value = 0,
	  .what = "arm64 has no KPTI: the kernel's own entries are global (no nG)",
	  .source = "before CONFIG_UNMAP_KERNEL_AT_EL0 (4.16)" },
	{ ROW(0, 0), .prop = RP_ARM64_LPA2, .value = 0,
	  .what = "arm64 52-bit VA needs 64K pages: no 4K or 16K machine with va=52",
	  .source = "L6.1 arch/arm64/Kconfig:1352-1354" },
	{ ROW(0, 0), .prop = RP_BATCHED, .value = 0,
	  .what = "each hugepage is optimized and restored on its own, with its own flushes",
	  .source = "L6.1 mm/hugetlb_vmemmap.c:82, :205" },
	{ ROW(0, 0), .prop = RP_RCU, .value = RCU_NONE,
	  .what = "no synchronize_rcu()", .source = "before 6.10" },
	{ ROW(0, 0), .prop = RP_VMEMMAP_FOLIO_ALIGN, .value = 0,
	  .what = "riscv's vmemmap starts at the struct page of the first RAM page's section",
	  .source = "L6.12 arch/riscv/include/asm/pgtable.h (vmemmap)" },
	{ ROW(0, 0), .prop = RP_BOOT_GIGANTIC_FIRST, .value = 0,
	  .what = "hugepages= runs after setup_arch(): the vmemmap is populated before boot gigantic pages are taken from memblock",
	  .source = "L6.12 init/main.c:896, :911-912; mm/hugetlb.c:4618-4701" },
	{ ROW(0, 0), .prop = RP_RESET_PAGES, .value = 0,
	  .what = "a restored page is a verbatim copy of the reuse page",
	  .source = "ad2fa3717b74 (keep2: the reuse page holds only tails)" },
	{ ROW(0, 0), .prop = RP_PAGEFLAGS, .value = PAGEFLAGS_V6_1,
	  .what = "PG_reserved is bit 12, PG_head 16, PG_hwpoison 23 on x86_64 (after PG_uncached), 22 on arm64 [6.1's order; older releases unverified]",
	  .source = "L6.1 include/linux/page-flags.h:100-141" },
	{ ROW(0, 0), .prop = RP_FOLIO_LAYOUT, .value = FOLIO_LAYOUT_V6_1,
	  .what = "page[1] holds the destructor and order bytes and the subpool (_private_1, over index); the cgroups and the hwpoison list are .private of page[2], [3] and [4] [6.1's layout; older releases unverified]",
	  .source = "L6.1 include/linux/mm_types.h:137-149, :393-401; include/linux/hugetlb.h:41-52, :760-783; include/linux/hugetlb_cgroup.h:100-112" },
	{ ROW(0, 0), .prop = RP_VMEMMAP_REPORT, .value = 0,
	  .what = "no \"vmemmap can be freed\" line in the boot log",
	  .source = "before 6.0 (5.14 and 5.19 worded it otherwise; the text was not read)" },
	{ ROW(0, 0), .prop = RP_INIT_ON_ALLOC, .value = 0,
	  .what = "init_on_alloc= and init_on_free= are unknown parameters",
	  .source = "before 5.3" },
	{ ROW(0, 0), .prop = RP_DEMOTE, .value = 0,
	  .what = "no demote or demote_size file: a pool shrinks only by freeing its pages",
	  .source = "before 5.16" },
	{ ROW(0, 0), .prop = RP_BOOTMEM_PREHVO, .value = 0,
	  .what = "boot gigantic pages get a full vmemmap; HVO frees it at hugetlb init (PMD splits, memblock vmemmap freed)",
	  .source = "L6.12 mm/hugetlb.c:3320-3321, mm/hugetlb_vmemmap.c:602-648" },
	{ ROW(0, 0), .prop = RP_BOOTMEM_PREHVO_LATE, .value = 0,
	  .what = "no deferred population of a boot page's vmemmap",
	  .source = "before 7.1" },
	{ ROW(0, 0), .prop = RP_BATCH_SKIP_EMPTY, .value = 0,
	  .what = "a batch flushes all twice, with something to optimize or not",
	  .source = "L6.12 mm/hugetlb_vmemmap.c:602-648 (hugetlb_vmemmap_optimize_folios())" },
	{ ROW(0, 0), .prop = RP_DEMOTE_BATCHED, .value = 0,
	  .what = "demote restores each source page, then optimizes each new page, one at a time, with their own flushes",
	  .source = "L6.1 mm/hugetlb.c:3638-3699 (demote_free_huge_page())" },
	{ ROW(0, 0), .prop = RP_UNACCEPTED_MEMORY, .value = 0,
	  .what = "no Unaccepted line in /proc/meminfo, no nr_unaccepted in /proc/vmstat, whatever the arch",
	  .source = "L6.1 fs/proc/meminfo.c and mm/vmstat.c (no CONFIG_UNACCEPTED_MEMORY)" },
	{ ROW(0, 0), .prop = RP_ZONE_DEVICE_ARCHES, .value = X86 | ARM64,
	  .what = "ZONE_DEVICE can be built on x86_64 (Debian's 6.1 amd64 config has it) and arm64, not on riscv: no memory hotplug, no ARCH_HAS_PTE_DEVMAP",
	  .source = "L6.1 mm/Kconfig (ZONE_DEVICE depends on MEMORY_HOTPLUG, ARCH_HAS_PTE_DEVMAP), L6.1 arch/riscv/Kconfig (selects neither)" },
	{ ROW(0, 0), .prop = RP_VMSTAT_MEMMAP, .value = 0,
	  .what = "/proc/vmstat has no memmap counters",
	  .source = "L6.1 mm/vmstat.c vmstat_text (ends its node items with nr_dirty_background_threshold)" },

	/* 5.3 */
	{ ROW(5, 3), .prop = RP_INIT_ON_ALLOC, .value = 1,
	  .what = "init_on_alloc= and init_on_free= (early_param, kstrtobool()); either turns on the page checks",
	  .source = "6471384af2a6 mm: security: introduce init_on_alloc=1 and init_on_free=1 boot options; L6.12 mm/mm_init.c:2495-2508" },

	/* 4.16: arm64 KPTI, forced on by KASLR. */
	{ ROW(4, 16), .prop = RP_ARM64_KPTI, .value = 1,
	  .what = "with a KASLR seed the arm64 kernel unmaps itself at EL0 even on a CPU Meltdown spares: every kernel entry is nG",
	  .source = "\"arm64: mm: Use non-global mappings for kernel space\" (Will Deacon, 4.16); "
		    "L6.1 arch/arm64/kernel/cpufeature.c:1597-1626, :1679-1685, setup.c:301; "
		    "L6.12 arch/arm64/include/asm/mmu.h:84-110, kernel/cpufeature.c:1781-1787, kernel/pi/map_kernel.c:251-256" },

	/* 5.14: HVO, x86_64 only, two pages kept. */
	{ ROW(5, 14), .prop = RP_HVO_ARCHES, .value = X86,
	  .what = "x86_64 builds HVO (CONFIG_HUGETLB_PAGE_FREE_VMEMMAP)",
	  .source = "f41f2ed43ca5" },
	{ ROW(5, 14), .prop = RP_VARIANT, .value = HVO_VARIANT_KEEP2,
	  .what = "two vmemmap pages kept; 6 of 8 freed per 2M page",
	  .source = "f41f2ed43ca5 mm: hugetlb: free the vmemmap pages associated with each HugeTLB page" },
	{ ROW(5, 14), .prop = RP_STRUCT_PAGE_POW2, .value = 1,
	  .what = "HVO only when sizeof(struct page) is a power of two",
	  .source = "e9fdff87e893" },
	{ ROW(5, 14), .prop = RP_BOOT_PARAM, .value = BOOT_PARAM_ON_OFF,
	  .what = "hugetlb_free_vmemmap=on|off (early_param)",
	  .source = "e9fdff87e893" },

	/* 5.16: demote. */
	{ ROW(5, 16), .prop = RP_DEMOTE, .value = 1,
	  .what = "hugepages-<size>kB/demote (write-only) and demote_size for an hstate with a smaller one: free hugepages split into pages of the smaller size",
	  .source = "Mike Kravetz's demote series (hugetlb: add demote hugetlb page sysfs interfaces), committed 2021-11-06 for 5.16; L6.1 mm/hugetlb.c:3638-3725, :3931-4024" },

	/* 5.18: one page kept, fake heads. */
	{ ROW(5, 18), .prop = RP_VARIANT, .value = HVO_VARIANT_FAKEHEAD,
	  .what = "one vmemmap page kept; 7 of 8 freed per 2M page; tails read as fake heads",
	  .source = "e7d324850bfc mm: hugetlb: free the 2nd vmemmap page associated with each HugeTLB page" },
	{ ROW(5, 18), .prop = RP_RESET_PAGES, .value = 3,
	  .what = "a restored tail page resets its first 3 struct pages (NR_RESET_STRUCT_PAGE)",
	  .source = "e7d324850bfc; L6.1 mm/hugetlb_vmemmap.c:251-259" },

	/* 5.19: the sysctl; arm64. */
	{ ROW(5, 19), .prop = RP_SYSCTL, .value = 1,
	  .what = "vm.hugetlb_optimize_vmemmap (0 or 1) for pages allocated later",
	  .source = "78f39084b41d" },
	{ ROW(5, 19), .prop = RP_BOOT_PARAM, .value = BOOT_PARAM_KSTRTOBOOL,
	  .what = "hugetlb_free_vmemmap= read by kstrtobool()",
	  .source = "9c54c522bb76" },
	{ ROW(5, 19), .prop = RP_HVO_ARCHES, .value = X86 | ARM64,
	  .what = "arm64 builds HVO",
	  .source = "1e63ac088f20" },

	/* 6.0 */
	{ ROW(6, 0), .prop = RP_BOOT_PARAM, .value = BOOT_PARAM_BOOL,
	  .what = "hugetlb_free_vmemmap is a bool core_param: a bare name means on",
	  .source = "30152245c63b; L6.1 mm/hugetlb_vmemmap.c:415-416" },
	{ ROW(6, 0), .prop = RP_VMEMMAP_REPORT, .value = 1,
	  .what = "\"HugeTLB: N KiB vmemmap can be freed for a SIZE page\" for every hugepage size at boot, HVO on or off",
	  .source = "L6.1 mm/hugetlb.c:3410 (report_hugepages()); 0 KiB where HVO is not built (GT, Debian 6.1 arm64)" },

	/* 6.2: a new head page. */
	{ ROW(6, 2), .prop = RP_HEAD_COPY, .value = HEAD_COPY_OR_KEEP,
	  .what = "a new page takes a copy of the head page, or the first page stays if none can be had",
	  .source = "11aad2631bf7 mm/hugetlb_vmemmap: remap head page to newly allocated page" },

	/* 6.2: the hugetlb fields become folio fields of page[2]. */
	{ ROW(6, 2), .prop = RP_FOLIO_LAYOUT, .value = FOLIO_LAYOUT_V6_2,
	  .what = "the subpool, cgroups and hwpoison list lie over page[2]'s lru.prev, mapping, index and private (over the deferred list) [page[1] as 6.12's: 6.2 to 6.10 differ there]",
	  .source = "dad6a5eb5556 mm,hugetlb: use folio fields in second tail page; 6.14's page[2] in lore 20250303163014.1128035-5-david@redhat.com" },

	/* 6.3, and 6.1.16: arm64 HVO reverted (break-before-make). */
	{ ROW(6, 3), STABLE(6, 1, 16), .prop = RP_HVO_ARCHES, .value = X86,
	  .what = "arm64 no longer builds HVO",
	  .source = "060a2c92d1b6 arm64: mm: hugetlb: Disable HUGETLB_PAGE_OPTIMIZE_VMEMMAP" },

	/* 6.4: riscv. */
	{ ROW(6, 4), .prop = RP_HVO_ARCHES, .value = X86 | RISCV,
	  .what = "riscv64 builds HVO (its PAGE_KERNEL_RO is PAGE_KERNEL)",
	  .source = "riscv-for-linus-6.4-mw1; L6.12 arch/riscv/Kconfig:82-83" },

	/* 6.5 */
	{ ROW(6, 5), .prop = RP_ARM64_SECT_WRITE, .value = 1,
	  .what = "arm64 PROT_SECT_NORMAL gains PTE_WRITE (PMD blocks of the vmemmap)",
	  .source = "L6.1 arch/arm64/include/asm/pgtable-prot.h:43 vs L6.12 :50" },

	/* 6.6 */
	{ ROW(6, 6), .prop = RP_X86_RO_DIRTY, .value = 0,
	  .what = "x86 PAGE_KERNEL_RO loses _PAGE_DIRTY: read-only PTEs end in 0x121",
	  .source = "f788b71768ff x86/mm: Remove _PAGE_DIRTY from kernel RO pages" },

	/* 6.6: PG_head moves to bit 6, next to the order in _flags_1. */
	{ ROW(6, 6), .prop = RP_PAGEFLAGS, .value = PAGEFLAGS_V6_6,
	  .what = "PG_writeback is bit 1 and PG_head bit 6; PG_reserved 14, PG_hwpoison 23 on x86_64, 22 on arm64",
	  .source = "c704ae979784 mm: rearrange page flags (MM 6.6-rc1 pull, lore 20230828184251.bfbc164280503903eacf498c@linux-foundation.org)" },

	/* 6.7: batches. */
	{ ROW(6, 7), .prop = RP_BATCHED, .value = 1,
	  .what = "a pool grow splits, flushes all, remaps, flushes all; a shrink restores, then flushes all once",
	  .source = "f4b7e3efaddb, 91f386bf0772; L6.12 mm/hugetlb_vmemmap.c:602-648" },

	/* 6.9: LPA2. */
	{ ROW(6, 9), .prop = RP_ARM64_LPA2, .value = 1,
	  .what = "arm64 52-bit VA with 4K and 16K pages (LPA2): SH leaves the kernel prots (PTE_MAYBE_SHARED) to hold OA[51:50]",
	  .source = "Ard Biesheuvel's LPA2 series (6.9); L6.12 arch/arm64/Kconfig:1461-1463, "
		    "arch/arm64/include/asm/pgtable-prot.h:77-90" },

	/* 6.10, 6.12: RCU grace periods; page flags freed. */
	{ ROW(6, 10), .prop = RP_PAGEFLAGS, .value = PAGEFLAGS_V6_10,
	  .what = "PG_slab becomes a page type: PG_reserved is bit 13, PG_hwpoison 22 on x86_64, 21 on arm64",
	  .source = "46df8e73a4a3 mm: free up PG_slab" },
	{ ROW(6, 10), .prop = RP_RCU, .value = RCU_PER_CALL,
	  .what = "synchronize_rcu() once per optimize or restore request (a batch, or one hugepage), HVO on or off",
	  .source = "bd225530a4c7 mm/hugetlb_vmemmap: fix race with speculative PFN walkers" },
	{ ROW(6, 12), .prop = RP_RCU, .value = RCU_PER_BATCH,
	  .what = "one synchronize_rcu() per batch, only when a page is optimized or restored",
	  .source = "c2a967f6ab0e; L6.12 mm/hugetlb_vmemmap.c:49, :457-486" },
	{ ROW(6, 12), .prop = RP_PAGEFLAGS, .value = PAGEFLAGS_V6_12,
	  .what = "PG_error and x86's PG_uncached go, PG_mappedtodisk becomes PG_owner_2 at bit 11: PG_hwpoison is bit 20",
	  .source = "09022bc196d2 mm: remove PG_error; 02e1960aafac; 7a87225ae2c6 x86: remove PG_uncached (MM 6.12-rc1 pull); L6.12 include/linux/page-flags.h:93-129" },

	/* 6.14: a page flag added. */
	{ ROW(6, 14), .prop = RP_PAGEFLAGS, .value = PAGEFLAGS_V6_14,
	  .what = "PG_dropbehind comes before PG_mlocked: PG_hwpoison is bit 21 [releases after 6.14 unverified]",
	  .source = "cceba6f7e46c mm: add PG_dropbehind folio flag (RWF_DONTCACHE, 6.14)" },

	{ ROW(6, 5), .prop = RP_UNACCEPTED_MEMORY, .value = 1,
	  .what = "/proc/meminfo prints Unaccepted and /proc/vmstat nr_unaccepted where the build has CONFIG_UNACCEPTED_MEMORY (x86: Debian's amd64 6.12 config has it)",
	  .source = "Kirill A. Shutemov, \"mm: Add support for unaccepted memory\" (6.5 merge window); L6.12 fs/proc/meminfo.c:161-164, mm/vmstat.c:1207-1209" },
	{ ROW(6, 11), .prop = RP_ZONE_DEVICE_ARCHES, .value = X86 | ARM64 | RISCV,
	  .what = "riscv64 selects ARCH_ENABLE_MEMORY_HOTPLUG and ARCH_HAS_PTE_DEVMAP, so ZONE_DEVICE can be built there too [6.11 from the series' merge window; 6.12 read, 6.1 read]",
	  .source = "Björn Töpel, \"riscv: Memory Hot(Un)Plug support\" (6.11 merge window); L6.12 arch/riscv/Kconfig:22,44" },
	{ ROW(0, 0), .prop = RP_VMSTAT_TEXT, .value = 0,
	  .what = "vmstat_text as 6.1 has it: pgdemote_kswapd and pgdemote_direct are events after pgsteal_direct; no khugepaged reclaim, zswpwb, zone_reclaim_success, nr_iommu_pages or 6.12's swap and THP-split events (checked: a real Debian 6.1.192 guest, tests/data/guest/)",
	  .source = "L6.1 mm/vmstat.c:1180-1400 vmstat_text" },
	{ ROW(6, 2), .prop = RP_VMSTAT_TEXT, .value = VMSTAT_KHUGEPAGED_RECLAIM,
	  .what = "pgsteal_khugepaged and pgscan_khugepaged split from the direct reclaim counters [release from the upstream log, not read in a 6.2 tree]",
	  .source = "Johannes Weiner, \"mm: vmscan: split khugepaged stats from direct reclaim stats\" (6.2 merge window)" },
	{ ROW(6, 8), .prop = RP_VMSTAT_TEXT,
	  .value = VMSTAT_KHUGEPAGED_RECLAIM | VMSTAT_PGDEMOTE_NODE | VMSTAT_ZSWPWB,
	  .what = "pgdemote_* move from the events to the node stats (pgdemote_khugepaged with them), and zswpwb counts zswap writebacks [release from the upstream log, not read in a 6.8 tree]",
	  .source = "Li Zhijian, \"mm/vmstat: move pgdemote_* to per-node stats\"; Domenico Cerasuolo, \"mm: memcg: add per-memcg zswap writeback stat\" (6.8 merge window)" },
	{ ROW(6, 11), .prop = RP_VMSTAT_TEXT,
	  .value = VMSTAT_KHUGEPAGED_RECLAIM | VMSTAT_PGDEMOTE_NODE | VMSTAT_ZSWPWB |
		   VMSTAT_IOMMU_PAGES,
	  .what = "nr_iommu_pages, where the build has IOMMU support [release from the upstream log, not read in a 6.11 tree]",
	  .source = "Pasha Tatashin, \"iommu: observability of the IOMMU allocations\" (6.11 merge window); L6.12 mm/vmstat.c:1266" },
	{ ROW(6, 12), .prop = RP_VMSTAT_TEXT,
	  .value = VMSTAT_KHUGEPAGED_RECLAIM | VMSTAT_PGDEMOTE_NODE | VMSTAT_ZSWPWB |
		   VMSTAT_IOMMU_PAGES | VMSTAT_6_12_EVENTS | VMSTAT_ZONE_RECLAIM_SUCCESS,
	  .what = "thp_underused_split_page, swpin_zero and swpout_zero; zone_reclaim_success is there by 6.12 [its first release unverified] (checked: a real Debian 6.12.118 guest, tests/data/guest/)",
	  .source = "Usama Arif, \"mm: split underused THPs\"; Barry Song, \"mm: count zeromap read and set for swapout and swapin\" (6.12 merge window); L6.12 mm/vmstat.c:1319, :1390, :1420-1421" },
	{ ROW(0, 0), .prop = RP_WMARK_MOVABLE_AS_HIGHMEM, .value = 0,
	  .what = "ZONE_MOVABLE counts as lowmem and gets its share of min_free_kbytes: empty, its watermarks read 0 (a real 6.1.192 guest, tests/data/guest/)",
	  .source = "L6.1 mm/page_alloc.c:8728-8746 __setup_per_zone_wmarks()" },
	{ ROW(6, 12), .prop = RP_WMARK_MOVABLE_AS_HIGHMEM, .value = 1,
	  .what = "ZONE_MOVABLE is left out of lowmem and its min is clamped to 32..128 pages as highmem's: empty, it reads min/low/high 32 [first release between 6.2 and 6.12 unverified; 6.12.118 read in a real guest]",
	  .source = "L6.12 mm/page_alloc.c:6123-6143 __setup_per_zone_wmarks()" },
	{ ROW(0, 0), .prop = RP_ZONEINFO_PROMO, .value = 0,
	  .what = "/proc/zoneinfo prints no promo watermark (6.1.192 in a real guest)",
	  .source = "L6.1 mm/vmstat.c zoneinfo_show_print()" },
	{ ROW(6, 12), .prop = RP_ZONEINFO_PROMO, .value = 1,
	  .what = "/proc/zoneinfo prints the promo watermark after high [first release between 6.2 and 6.12 unverified]",
	  .source = "L6.12 mm/vmstat.c zoneinfo_show_print(); a real Debian 6.12.118 guest (tests/data/guest/)" },
	{ ROW(6, 11), .prop = RP_VMSTAT_MEMMAP, .value = 1,
	  .what = "/proc/vmstat prints nr_memmap_pages and nr_memmap_boot_pages: struct page metadata from the buddy allocator and from memblock, which HVO moves page by page",
	  .source = "Sourav Panda, \"mm: report per-page metadata information\" (6.11 merge window); L6.12 mm/vmstat.c:1046-1054, :1281-1282, mm/hugetlb_vmemmap.c:183-189" },
	{ ROW(6, 12), .prop = RP_DEMOTE_BATCHED, .value = 1,
	  .what = "demote restores every source page as one batch (one flush_tlb_all()) and optimizes every new page as one batch (two); demote_pool_huge_page() takes up to the count asked, reserved pages too, and enqueues the new pages without free_huge_folio(), which freed pieces while the smaller size had surplus pages",
	  .source = "c0f398c3b2cf mm/hugetlb_vmemmap: batch HVO work when demoting (Yu Zhao, lore 20240811041703.2775153-1-yuzhao@google.com); L6.12 mm/hugetlb.c:3833-3946" },

	/* 6.7, 6.10, 6.15 (6.12.29): the page allocator's lists. */
	{ ROW(6, 7), .prop = RP_PCP_HIGH_AUTO, .value = 1,
	  .what = "pcp->high moves between high_min (the low watermark's share) and high_max (1/8 of the zone): up by a batch per refill and to hold what is freed, down when the zone is below its high watermark or high-order pages are freed in a run; frees give back free_count pages, refills take batch << alloc_factor [decay_pcp_high() of the vmstat worker not modelled]",
	  .source = "Huang Ying, \"mm: PCP high auto-tuning\" v3 (6.7 merge window): 51a755c56dc0 mm: tune PCP high automatically, with \"mm, page_alloc: scale the number of pages that are batch allocated\" and \"mm, pcp: decrease PCP high if free pages < high watermark\" [their ids and the 6.7 merge not read in a tree]; L6.12 mm/page_alloc.c:2603-2716, :3021-3061" },
	{ ROW(6, 10), .prop = RP_RMQUEUE_FALLBACK, .value = FALLBACK_HYGIENE,
	  .what = "a free page stays on its pageblock's list: the fallback claims the whole pageblock (free or alike pages at least half of it) and splits from the asking type's lists, or takes just the block asked for, its remainder left on the fallback type's lists; a merge across pageblocks gives both the freed page's type",
	  .source = "Johannes Weiner, \"mm: page_alloc: freelist migratetype hygiene\" (6.10 merge window): c0cd6f557b90 mm: page_alloc: fix freelist movement during block conversion; \"mm: page_alloc: fix up block types when merging compatible blocks\" [the 6.10 merge not read in a tree]" },
	{ ROW(6, 15), STABLE(6, 12, 29), .prop = RP_RMQUEUE_FALLBACK, .value = FALLBACK_CLAIM_STEAL,
	  .what = "__rmqueue_claim() tries whole pageblocks, largest block first; failing that __rmqueue_steal() takes the smallest fallback block; rmqueue_bulk() resumes in the mode that last worked",
	  .source = "c2f6ea38fc1b mm: page_alloc: don't steal single pages from biggest buddy; 90abee6d7895 mm: page_alloc: speed up fallbacks in rmqueue_bulk() (both in Linux 6.12.29's shortlog); L6.12 mm/page_alloc.c:1955-2370 (Debian 6.12.118)" },
	{ ROW(6, 15), STABLE(6, 14, 7), .prop = RP_RMQUEUE_FALLBACK, .value = FALLBACK_CLAIM_STEAL,
	  .what = "the same backport in the 6.14 line",
	  .source = "Linux 6.14.7's shortlog: Johannes Weiner, the two commits above" },

	/* 6.15, 7.0: boot gigantic pages before sparse_init(). */
	{ ROW(6, 15), .prop = RP_BOOT_GIGANTIC_FIRST, .value = X86,
	  .what = "x86_64 takes boot gigantic pages from memblock (hugetlb_bootmem_alloc()) before sparse_init()",
	  .source = "Frank van der Linden's series, MM 6.15-rc1 pull; lore 20250228182928.2645936-1-fvdl@google.com" },
	{ ROW(7, 0), .prop = RP_BOOT_GIGANTIC_FIRST, .value = X86 | ARM64 | RISCV,
	  .what = "every arch: hugetlb_bootmem_alloc() in mm_core_init_early(), before sparse_init()",
	  .source = "d49004c5f0c1 arch, mm: consolidate initialization of nodes, zones and memory map" },

	/* 6.15: bootmem pre-HVO (x86_64 selects ARCH_WANT_HUGETLB_VMEMMAP_PREINIT). */
	{ ROW(6, 15), .prop = RP_BOOTMEM_PREHVO, .value = X86,
	  .what = "x86_64: a boot gigantic page aligned to a section and to the RAM one vmemmap PMD describes gets 1 vmemmap page and read-only mirrors at populate time: no PMD split, no memblock vmemmap to free, 1 flush_tlb_all for a batch of only such pages",
	  .source = "752fe17af693 mm/hugetlb: add pre-HVO framework; Frank van der Linden, \"mm/hugetlb: do pre-HVO for bootmem allocated pages\" and \"x86/mm: set ARCH_WANT_HUGETLB_VMEMMAP_PREINIT\" (v5, lore 20250228182928.2645936-1-fvdl@google.com; MM 6.15-rc1 pull 20250330165732.f4c1493615375623f67e38eb@linux-foundation.org): "
		    "vmemmap_should_optimize_bootmem_page(), hugetlb_vmemmap_init_early(), vmemmap_populate_hvo(), vmemmap_wrprotect_hvo()" },
	{ ROW(6, 15), .prop = RP_BATCH_SKIP_EMPTY, .value = 1,
	  .what = "__hugetlb_vmemmap_optimize_folios() counts what it has to optimize: none (an empty batch, or only pre-HVO pages) skips the first flush_tlb_all()",
	  .source = "the same series (nr_to_optimize in __hugetlb_vmemmap_optimize_folios())" },
	{ ROW(7, 1), .prop = RP_BOOTMEM_PREHVO_LATE, .value = 1,
	  .what = "the pre-HVO vmemmap is populated in hugetlb_vmemmap_init_late(), once zones are known: a head page and the zone's shared tail page for the order, both from memblock",
	  .source = "Kiryl Shutsemau, \"mm/hugetlb: Defer vmemmap population for bootmem hugepages\" (PATCHv7 09/18, lore 20260227193030.272078-9-kas@kernel.org) and PATCHv7 10/18 (c0b495b91a47, vmemmap_populate_hvo() with vmemmap_get_tail())" },

	/* 6.15, and 6.12.111: hugetlb fields in page[3]. */
	{ ROW(6, 15), STABLE(6, 12, 111), .prop = RP_RESET_PAGES, .value = 4,
	  .what = "a restored tail page resets its first 4 struct pages",
	  .source = "274fe92de2c4 mm, hugetlb: increment the number of pages to be reset on HVO" },
	{ ROW(6, 15), STABLE(6, 12, 111), .prop = RP_FOLIO_LAYOUT, .value = FOLIO_LAYOUT_V6_15,
	  .what = "the hugetlb fields move to page[3] (lru.prev, mapping, index, private); page[2] keeps the deferred list",
	  .source = "4eeec8c89a0c mm: move hugetlb specific things in folio to page[3]; L6.12 include/linux/mm_types.h:367-405" },
	{ ROW(6, 15), .prop = RP_BOOT_PARAM, .value = BOOT_PARAM_EARLY_BOOL,
	  .what = "hugetlb_free_vmemmap= is an early_param again: a bare name is refused [derived]",
	  .source = "lore 20250218181656.207178-8-fvdl@google.com" },

	/* 7.1, and 6.12.114: Kiryl Shutsemau's series. */
	{ ROW(7, 1), STABLE(6, 12, 114), .prop = RP_HEAD_COPY, .value = HEAD_COPY,
	  .what = "a new head page always; if none can be had the hugepage stays unoptimized; restore walks from the 2nd page",
	  .source = "mm/hugetlb: refactor code around vmemmap_walk; L6.12 mm/hugetlb_vmemmap.c:394-427" },
	{ ROW(7, 1), STABLE(6, 12, 114), .prop = RP_RESET_PAGES, .value = 0,
	  .what = "a restored page is a verbatim copy of the page mapped there (no reset)",
	  .source = "L6.12 mm/hugetlb_vmemmap.c:236-261 (6.12.114 backport)" },
	{ ROW(7, 1), .prop = RP_VARIANT, .value = HVO_VARIANT_SHAREDTAIL,
	  .what = "mask-encoded compound_info; one shared read-only tail page per zone and order",
	  .source = "c0b495b91a47 (PATCHv7 10/18, Kiryl Shutsemau)" },
	{ ROW(7, 1), .prop = RP_VMEMMAP_FOLIO_ALIGN, .value = 1,
	  .what = "riscv aligns the vmemmap to the largest folio, so the mask encoding can find heads",
	  .source = "Kiryl Shutsemau's series: VMEMMAP_ADDR_ALIGN (riscv, loongarch)" },
	{ ROW(7, 1), .prop = RP_RCU, .value = RCU_NONE,
	  .what = "no synchronize_rcu(): without fake heads there is no race",
	  .source = "Kiryl Shutsemau's series, v7 (27 Feb 2026)" },
};

/*
 * Distribution builds: the config defaults that change what a user
 * sees. The mainline build is libhvo's own: HVO on from boot, so that a
 * machine optimizes without a command line (upstream's Kconfig default is
 * off, as in Debian; name the distribution, or hvo_default=off).
 */
static const struct kernel_build mainline_build = {
	.name = "mainline",
	.config = "libhvo's build: HUGETLB_PAGE_OPTIMIZE_VMEMMAP_DEFAULT_ON=y, "
		  "TRANSPARENT_HUGEPAGE_ALWAYS=y (mm/Kconfig's default)",
	.hvo_default_on = true,
	.thp_enabled = true,
};

static const struct kernel_build debian_build = {
	.name = "Debian",
	.config = "linux-config-6.1 6.1.192-3 and linux-config-6.12 6.12.118-1~deb12u1: "
		  "HUGETLB_PAGE_OPTIMIZE_VMEMMAP_DEFAULT_ON unset, INIT_ON_ALLOC_DEFAULT_ON=y, "
		  "TRANSPARENT_HUGEPAGE_ALWAYS=y",
	.hvo_default_on = false,
	.init_on_alloc = true,
	.thp_enabled = true,
};

static const char *const prop_names[RP__COUNT] = {
	[RP_HVO_ARCHES] = "hvo_arches",
	[RP_VARIANT] = "variant",
	[RP_HEAD_COPY] = "head_copy",
	[RP_STRUCT_PAGE_POW2] = "struct_page_pow2",
	[RP_SYSCTL] = "sysctl",
	[RP_BOOT_PARAM] = "boot_param",
	[RP_X86_RO_DIRTY] = "x86_ro_dirty",
	[RP_ARM64_SECT_WRITE] = "arm64_sect_write",
	[RP_ARM64_KPTI] = "arm64_kpti",
	[RP_ARM64_LPA2] = "arm64_lpa2",
	[RP_BATCHED] = "batched",
	[RP_RCU] = "synchronize_rcu",
	[RP_RESET_PAGES] = "reset_struct_pages",
	[RP_VMEMMAP_FOLIO_ALIGN] = "vmemmap_folio_align",
	[RP_BOOT_GIGANTIC_FIRST] = "boot_gigantic_first",
	[RP_PAGEFLAGS] = "pageflags",
	[RP_FOLIO_LAYOUT] = "folio_layout",
	[RP_VMEMMAP_REPORT] = "vmemmap_report",
	[RP_INIT_ON_ALLOC] = "init_on_alloc",
	[RP_DEMOTE] = "demote",
	[RP_DEMOTE_BATCHED] = "demote_batched",
	[RP_BOOTMEM_PREHVO] = "bootmem_prehvo",
	[RP_BOOTMEM_PREHVO_LATE] = "bootmem_prehvo_late",
	[RP_BATCH_SKIP_EMPTY] = "batch_skip_empty",
	[RP_VMSTAT_MEMMAP] = "vmstat_memmap",
	[RP_VMSTAT_TEXT] = "vmstat_text",
	[RP_ZONEINFO_PROMO] = "zoneinfo_promo",
	[RP_WMARK_MOVABLE_AS_HIGHMEM] = "wmark_movable_as_highmem",
	[RP_UNACCEPTED_MEMORY] = "unaccepted_memory",
	[RP_ZONE_DEVICE_ARCHES] = "zone_device_arches",
	[RP_RMQUEUE_FALLBACK] = "rmqueue_fallback",
	[RP_PCP_HIGH_AUTO] = "pcp_high_auto",
};

const char *
release_prop_name(enum release_prop p)
{
	return (unsigned)p < RP__COUNT ? prop_names[p] : NULL;
}

const struct release_row *
release_table(size_t *n)
{
	*n = ARRAY_SIZE(rows);
	return rows;
}

/* Whether mainline release a.b is at or after c.d. */
static bool
at_or_after(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a != c ? a > c : b >= d;
}

static bool
row_applies(const struct release_row *row, const struct kernel_release *r)
{
	if (r->before)
		return !at_or_after(row->major, row->minor, r->major, r->minor);
	if (at_or_after(r->major, r->minor, row->major, row->minor))
		return true;
	return row->stable.major && r->major == row->stable.major &&
	       r->minor == row->stable.minor &&
	       r->sublevel >= row->stable.sublevel;
}

/* Each property's deciding row, in one pass over the table. */
static void
release_resolve(struct kernel_release *r)
{
	for (size_t p = 0; p < RP__COUNT; p++)
		r->row[p] = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		if (row_applies(&rows[i], r))
			r->row[rows[i].prop] = &rows[i];
	r->resolved = true;
}

const struct release_row *
release_row_of(const struct kernel_release *r, enum release_prop p)
{
	const struct release_row *found = NULL;

	if ((unsigned)p >= RP__COUNT)
		return NULL;
	if (r->resolved)
		return r->row[p];
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		if (rows[i].prop == p && row_applies(&rows[i], r))
			found = &rows[i];
	return found;
}

void
release_for_variant(const struct kernel_release *r, enum hvo_variant v,
		    struct kernel_release *out)
{
	const struct release_row *since = NULL, *until = NULL;

	*out = *r;
	if (v == HVO_VARIANT_OFF || release_get(r, RP_VARIANT) == (uint64_t)v)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		if (rows[i].prop != RP_VARIANT)
			continue;
		if (since && !until)
			until = &rows[i];
		if (rows[i].value == (uint64_t)v)
			since = &rows[i];
	}
	if (!since)
		goto out;
	memset(out, 0, sizeof(*out));
	out->build = r->build;
	if (until) {
		out->major = until->major;
		out->minor = until->minor;
		out->before = true;
	} else {
		out->major = since->major;
		out->minor = since->minor;
		out->sublevel = RELEASE_NEWEST_POINT;
	}
	snprintf(out->name, sizeof(out->name), "%s%u.%u", until ? "before " : "",
		 out->major, out->minor);
out:
	release_resolve(out);
}

bool
release_arch_has(const struct kernel_release *r, enum release_prop p,
		 enum hvo_arch_id arch)
{
	return (unsigned)arch < 64 && (release_get(r, p) & ARCH_BIT(arch));
}

bool
release_has_hvo(const struct kernel_release *r, enum hvo_arch_id arch)
{
	return release_arch_has(r, RP_HVO_ARCHES, arch);
}

/* A decimal number of at most 3 digits at *p; advances *p. */
static bool
parse_part(const char **p, unsigned *out)
{
	unsigned v = 0, n = 0;

	while (isdigit((unsigned char)**p) && n < 4) {
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n > 0 && n < 4;
}

/*
 * What follows the version in a `uname -r`: Debian's are "+debNN-FLAVOUR"
 * (6.12 backports) and "-ABI-FLAVOUR" (6.1: "6.1.0-28-amd64").
 */
static const char *const debian_flavours[] = {
	"-amd64", "-arm64", "-riscv64", "-cloud-amd64", "-cloud-arm64",
	"-rt-amd64", "-rt-arm64",
};

static bool
ends_with(const char *s, const char *tail)
{
	size_t ls = strlen(s), lt = strlen(tail);

	return ls >= lt && !strcmp(s + ls - lt, tail);
}

static bool
debian_suffix(const char *suffix, bool *abi_only)
{
	bool flavour = false;

	for (size_t i = 0; i < ARRAY_SIZE(debian_flavours); i++)
		flavour |= ends_with(suffix, debian_flavours[i]);
	if (!flavour)
		return false;
	/* "-28-amd64": an ABI number where the sublevel would be. */
	*abi_only = suffix[0] == '-' && isdigit((unsigned char)suffix[1]);
	return suffix[0] == '-' || !strncmp(suffix, "+deb", 4);
}

int
release_parse(const char *s, struct kernel_release *r, char *err,
	      size_t errlen)
{
	const char *p;
	bool has_sub = false, abi_only = false;
	unsigned sub = 0;

	if (!s || !*s)
		s = RELEASE_NEWEST;
	if (strlen(s) >= sizeof(r->name))
		return errf(err, errlen, -EINVAL,
			    "kernel=%.40s...: too long for a release (at most %zu characters)",
			    s, sizeof(r->name) - 1);
	memset(r, 0, sizeof(*r));
	p = s;
	if (!parse_part(&p, &r->major) || *p++ != '.' ||
	    !parse_part(&p, &r->minor))
		goto bad;
	if (*p == '.') {
		p++;
		if (!parse_part(&p, &sub))
			goto bad;
		has_sub = true;
	}
	r->build = &mainline_build;
	if (*p) {
		if (*p != '-' && *p != '+')
			goto bad;
		if (debian_suffix(p, &abi_only)) {
			r->build = &debian_build;
		} else if (*p == '+' || !strncmp(p, "-rc", 3)) {
			/* a local version, or a release candidate: the release */
		} else {
			goto bad;
		}
	}
	if (r->major < 2 || r->major > 99)
		goto bad;
	r->sublevel = has_sub && !abi_only ? sub : RELEASE_NEWEST_POINT;
	strcpy(r->name, s);
	release_resolve(r);
	return 0;
bad:
	return errf(err, errlen, -EINVAL,
		    "kernel=%s: not a release; allowed are MAJOR.MINOR (6.1: the line with its stable updates), "
		    "MAJOR.MINOR.SUBLEVEL (6.1.15), or a Debian uname -r (6.12.117+deb12-amd64, 6.1.0-28-amd64)",
		    s);
}
