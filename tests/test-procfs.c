/* SPDX-License-Identifier: MIT */
/*
 * /proc/meminfo, /proc/vmstat, /proc/kpageflags and /proc/buddyinfo as
 * Linux 6.12 shows them (fs/proc/meminfo.c, mm/vmstat.c, fs/proc/page.c),
 * and the memmap laid out as sparse_init_nid() lays it (mm/sparse.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "testutil.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * vmstat_text of 6.12 (mm/vmstat.c:1192-1468) with the #ifdefs of
 * Debian's 6.12 amd64 config (config.amd64_none_amd64) evaluated:
 * ZSMALLOC, UNACCEPTED_MEMORY, NUMA, IOMMU_SUPPORT, SWAP, NUMA_BALANCING,
 * MIGRATION, COMPACTION, HUGETLB_PAGE, TRANSPARENT_HUGEPAGE with
 * HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD, MEMORY_BALLOON, BALLOON_COMPACTION,
 * KSM, ZSWAP, X86, ZONE_DMA, ZONE_DMA32, ZONE_DEVICE on; CMA,
 * SHADOW_CALL_STACK, HIGHMEM, DEBUG_TLBFLUSH, PER_VMA_LOCK_STATS,
 * DEBUG_STACK_USAGE off.
 */
static const char *const vmstat_6_12_amd64[] = {
	"nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon",
	"nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
	"nr_zone_write_pending", "nr_mlock", "nr_bounce", "nr_zspages",
	"nr_free_cma", "nr_unaccepted", "numa_hit", "numa_miss", "numa_foreign",
	"numa_interleave", "numa_local", "numa_other", "nr_inactive_anon",
	"nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
	"nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon",
	"nr_isolated_file", "workingset_nodes", "workingset_refault_anon",
	"workingset_refault_file", "workingset_activate_anon",
	"workingset_activate_file", "workingset_restore_anon",
	"workingset_restore_file", "workingset_nodereclaim", "nr_anon_pages",
	"nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
	"nr_writeback_temp", "nr_shmem", "nr_shmem_hugepages", "nr_shmem_pmdmapped",
	"nr_file_hugepages", "nr_file_pmdmapped", "nr_anon_transparent_hugepages",
	"nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied",
	"nr_written", "nr_throttled_written", "nr_kernel_misc_reclaimable",
	"nr_foll_pin_acquired", "nr_foll_pin_released", "nr_kernel_stack",
	"nr_page_table_pages", "nr_sec_page_table_pages", "nr_iommu_pages",
	"nr_swapcached", "pgpromote_success", "pgpromote_candidate",
	"pgdemote_kswapd", "pgdemote_direct", "pgdemote_khugepaged",
	"nr_dirty_threshold", "nr_dirty_background_threshold", "nr_memmap_pages",
	"nr_memmap_boot_pages", "pgpgin", "pgpgout", "pswpin", "pswpout",
	"pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable",
	"pgalloc_device", "allocstall_dma", "allocstall_dma32", "allocstall_normal",
	"allocstall_movable", "allocstall_device", "pgskip_dma", "pgskip_dma32",
	"pgskip_normal", "pgskip_movable", "pgskip_device", "pgfree", "pgactivate",
	"pgdeactivate", "pglazyfree", "pgfault", "pgmajfault", "pglazyfreed",
	"pgrefill", "pgreuse", "pgsteal_kswapd", "pgsteal_direct",
	"pgsteal_khugepaged", "pgscan_kswapd", "pgscan_direct", "pgscan_khugepaged",
	"pgscan_direct_throttle", "pgscan_anon", "pgscan_file", "pgsteal_anon",
	"pgsteal_file", "zone_reclaim_success", "zone_reclaim_failed",
	"pginodesteal", "slabs_scanned", "kswapd_inodesteal",
	"kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly",
	"pageoutrun", "pgrotated", "drop_pagecache", "drop_slab", "oom_kill",
	"numa_pte_updates", "numa_huge_pte_updates", "numa_hint_faults",
	"numa_hint_faults_local", "numa_pages_migrated", "pgmigrate_success",
	"pgmigrate_fail", "thp_migration_success", "thp_migration_fail",
	"thp_migration_split", "compact_migrate_scanned", "compact_free_scanned",
	"compact_isolated", "compact_stall", "compact_fail", "compact_success",
	"compact_daemon_wake", "compact_daemon_migrate_scanned",
	"compact_daemon_free_scanned", "htlb_buddy_alloc_success",
	"htlb_buddy_alloc_fail", "unevictable_pgs_culled",
	"unevictable_pgs_scanned", "unevictable_pgs_rescued",
	"unevictable_pgs_mlocked", "unevictable_pgs_munlocked",
	"unevictable_pgs_cleared", "unevictable_pgs_stranded", "thp_fault_alloc",
	"thp_fault_fallback", "thp_fault_fallback_charge", "thp_collapse_alloc",
	"thp_collapse_alloc_failed", "thp_file_alloc", "thp_file_fallback",
	"thp_file_fallback_charge", "thp_file_mapped", "thp_split_page",
	"thp_split_page_failed", "thp_deferred_split_page",
	"thp_underused_split_page", "thp_split_pmd", "thp_scan_exceed_none_pte",
	"thp_scan_exceed_swap_pte", "thp_scan_exceed_share_pte", "thp_split_pud",
	"thp_zero_page_alloc", "thp_zero_page_alloc_failed", "thp_swpout",
	"thp_swpout_fallback", "balloon_inflate", "balloon_deflate",
	"balloon_migrate", "swap_ra", "swap_ra_hit", "swpin_zero", "swpout_zero",
	"ksm_swpin_copy", "cow_ksm", "zswpin", "zswpout", "zswpwb",
	"direct_map_level2_splits", "direct_map_level3_splits",
	/* vmstat_show()'s deprecated last line */
	"nr_unstable",
};

/*
 * meminfo_proc_show() of 6.12 with Debian's amd64 config: 55 fields
 * (facts Part 8.7 counted 55 on the real 6 GiB guest). EarlyMemtestBad
 * is printed only after memtest= ran; HighTotal and the rest of HIGHMEM,
 * ShadowCallStack and the CMA lines are not built.
 */
static const char *const meminfo_6_12_amd64[] = {
	"MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached",
	"SwapCached", "Active", "Inactive", "Active(anon)", "Inactive(anon)",
	"Active(file)", "Inactive(file)", "Unevictable", "Mlocked",
	"SwapTotal", "SwapFree", "Zswap", "Zswapped", "Dirty", "Writeback",
	"AnonPages", "Mapped", "Shmem", "KReclaimable", "Slab",
	"SReclaimable", "SUnreclaim", "KernelStack", "PageTables",
	"SecPageTables", "NFS_Unstable", "Bounce", "WritebackTmp",
	"CommitLimit", "Committed_AS", "VmallocTotal", "VmallocUsed",
	"VmallocChunk", "Percpu", "HardwareCorrupted", "AnonHugePages",
	"ShmemHugePages", "ShmemPmdMapped", "FileHugePages", "FilePmdMapped",
	"Unaccepted", "HugePages_Total", "HugePages_Free", "HugePages_Rsvd",
	"HugePages_Surp", "Hugepagesize", "Hugetlb", "DirectMap4k",
	"DirectMap2M", "DirectMap1G",
};

/* The number of /proc/meminfo field @name (kB where it has a unit). */
static uint64_t
meminfo(struct hvo_machine *m, const char *name)
{
	char line[128];
	size_t len = strlen(name);

	for (unsigned i = 0; hvo_machine_meminfo(m, i, line, sizeof(line)) == 0;
	     i++)
		if (!strncmp(line, name, len) && line[len] == ':')
			return strtoull(line + len + 1, NULL, 10);
	fail_msg("/proc/meminfo has no %s", name);
	return 0;
}

static unsigned
meminfo_lines(struct hvo_machine *m)
{
	char line[128];
	unsigned i = 0;

	while (hvo_machine_meminfo(m, i, line, sizeof(line)) == 0)
		i++;
	return i;
}

/* Sum of the zones' free (buddy), pcp, deferred and managed pages. */
static void
zone_sums(struct hvo_machine *m, uint64_t *free, uint64_t *pcp,
	  uint64_t *managed)
{
	struct hvo_zone_info z;

	*free = *pcp = *managed = 0;
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		*free += z.free_pages + z.deferred_pages;
		*pcp += z.pcp_pages;
		*managed += z.managed_pages + z.deferred_pages;
	}
}

/*
 * The field list of a 6 GiB x86_64 guest on 6.12 (the real one: facts
 * Part 8.7), names and order, and the line format of show_val_kb(),
 * hugetlb_report_meminfo() and arch_report_meminfo().
 */
static void
test_meminfo_fields_linux_6_12_x86(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G,kernel=6.12");
	char line[128];
	unsigned i;

	(void)state;
	for (i = 0; hvo_machine_meminfo(m, i, line, sizeof(line)) == 0; i++) {
		size_t len = strlen(meminfo_6_12_amd64[i]);

		assert_true(i < ARRAY_SIZE(meminfo_6_12_amd64));
		if (strncmp(line, meminfo_6_12_amd64[i], len) || line[len] != ':')
			fail_msg("line %u is \"%s\", want %s", i, line,
				 meminfo_6_12_amd64[i]);
	}
	assert_int_equal(i, ARRAY_SIZE(meminfo_6_12_amd64));
	/* show_val_kb(): the label padded to 16, "%8lu kB". */
	assert_int_equal(hvo_machine_meminfo(m, 3, line, sizeof(line)), 0);
	assert_string_equal(line, "Buffers:               0 kB");
	assert_int_equal(hvo_machine_meminfo(m, 39, line, sizeof(line)), 0);
	assert_string_equal(line, "HardwareCorrupted:     0 kB");
	assert_int_equal(hvo_machine_meminfo(m, 46, line, sizeof(line)), 0);
	assert_string_equal(line, "HugePages_Total:       0");
	assert_int_equal(hvo_machine_meminfo(m, 50, line, sizeof(line)), 0);
	assert_string_equal(line, "Hugepagesize:       2048 kB");
	/* VMALLOC_SIZE_TB_L4: 32T less a byte. */
	assert_int_equal(hvo_machine_meminfo(m, 35, line, sizeof(line)), 0);
	assert_string_equal(line, "VmallocTotal:   34359738367 kB");
	tu_assert_check(m);
	hvo_machine_free(m);

	/* 5-level paging: VMALLOC_SIZE_TB_L5, 12800T. */
	m = tu_machine("x86_64:levels=5,mem=1G,kernel=6.12");
	assert_int_equal(meminfo(m, "VmallocTotal"), UINT64_C(13743895347199));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Before 6.5 (no CONFIG_UNACCEPTED_MEMORY) Debian's amd64 build prints the
 * same fields but Unaccepted: 54 (L6.1 fs/proc/meminfo.c), and vmstat
 * has no nr_unaccepted.
 */
static void
test_meminfo_no_unaccepted_before_6_5(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,kernel=6.1");
	char line[128];
	unsigned i, k = 0;

	(void)state;
	for (i = 0; hvo_machine_meminfo(m, i, line, sizeof(line)) == 0; i++, k++) {
		size_t len;

		if (!strcmp(meminfo_6_12_amd64[k], "Unaccepted"))
			k++;
		len = strlen(meminfo_6_12_amd64[k]);
		if (strncmp(line, meminfo_6_12_amd64[k], len) || line[len] != ':')
			fail_msg("line %u is \"%s\", want %s", i, line,
				 meminfo_6_12_amd64[k]);
	}
	assert_int_equal(i, ARRAY_SIZE(meminfo_6_12_amd64) - 1);
	assert_false(tu_vmstat_find(m, "nr_unaccepted", NULL));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * From 6.5 ("mm: Add support for unaccepted memory") the build with
 * CONFIG_UNACCEPTED_MEMORY prints Unaccepted and nr_unaccepted: x86's.
 */
static void
test_meminfo_unaccepted_linux_6_5(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,kernel=6.5");

	(void)state;
	assert_int_equal(meminfo(m, "Unaccepted"), 0);
	assert_int_equal(meminfo_lines(m), ARRAY_SIZE(meminfo_6_12_amd64));
	assert_true(tu_vmstat_find(m, "nr_unaccepted", NULL));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * No arch_report_meminfo() off x86, no HardwareCorrupted where the arch
 * has no memory failure (riscv), no Unaccepted where nothing selects
 * UNACCEPTED_MEMORY.
 */
static void
test_meminfo_fields_other_arches(void **state)
{
	struct hvo_machine *m = tu_machine("riscv64:mem=1G,kernel=6.12");
	char line[128];
	bool direct = false, hwc = false, unacc = false;

	(void)state;
	for (unsigned i = 0; hvo_machine_meminfo(m, i, line, sizeof(line)) == 0;
	     i++) {
		direct |= !strncmp(line, "DirectMap", 9);
		hwc |= !strncmp(line, "HardwareCorrupted:", 18);
		unacc |= !strncmp(line, "Unaccepted:", 11);
	}
	assert_false(direct);
	assert_false(hwc);
	assert_false(unacc);
	assert_int_equal(meminfo_lines(m), ARRAY_SIZE(meminfo_6_12_amd64) - 5);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The values that are kernel formulas: MemTotal is totalram_pages() (the
 * managed pages), MemFree is NR_FREE_PAGES (the buddy lists, not the
 * per-CPU lists), CommitLimit is vm_commit_limit() (half of what is not
 * hugetlb), Hugetlb every hstate's pool, HugePages_* the default hstate's
 * (hugetlb_report_meminfo()), and the direct map covers RAM
 * (split_mem_range()).
 */
static void
test_meminfo_values(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G,kernel=6.12,hvo=off");
	uint64_t free, pcp, managed, pfn;

	(void)state;
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 10), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, GIB, 1), 0);
	/* free_unref_page(): a page freed now waits on the per-CPU list. */
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);
	zone_sums(m, &free, &pcp, &managed);
	assert_true(pcp > 0);
	assert_int_equal(meminfo(m, "MemTotal"), managed * 4);
	assert_int_equal(meminfo(m, "MemFree"), free * 4);
	assert_int_equal(meminfo(m, "CommitLimit"),
			 (managed - 10 * 512 - 262144) * 50 / 100 * 4);
	assert_int_equal(meminfo(m, "HugePages_Total"), 10);
	assert_int_equal(meminfo(m, "Hugetlb"), 10 * 2048 + 1048576);
	assert_int_equal(meminfo(m, "PageTables"), 0);
	/* [0,1M) the ISA mapping, [1M,2M) the 4K head, 2M to 1G, 1G pages. */
	assert_int_equal(meminfo(m, "DirectMap4k"), 2048);
	assert_int_equal(meminfo(m, "DirectMap2M"), 1022 * 1024);
	assert_int_equal(meminfo(m, "DirectMap1G"), 5 * 1024 * 1024);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Where @name is in /proc/vmstat of @m, or -1. */
static int
vmstat_index(const struct hvo_machine *m, const char *want)
{
	const char *name;
	uint64_t v;

	for (int i = 0; hvo_machine_vmstat(m, (unsigned)i, &name, &v) == 0; i++)
		if (!strcmp(name, want))
			return i;
	return -1;
}

/*
 * The names vmstat_text gained between the two releases a real guest
 * printed (6.1.192 and 6.12.118, tests/test-guest.c): the khugepaged
 * reclaim counters in 6.2 (Johannes Weiner, "mm: vmscan: split
 * khugepaged stats from direct reclaim stats"), pgdemote_* moved from the
 * events to the node stats and zswpwb in 6.8, nr_iommu_pages in 6.11.
 */
static void
test_vmstat_names_by_release(void **state)
{
	static const struct {
		const char *kernel;
		bool khugepaged, demote_node, zswpwb, iommu;
	} rel[] = {
		{ "6.1", false, false, false, false },
		{ "6.2", true, false, false, false },
		{ "6.7", true, false, false, false },
		{ "6.8", true, true, true, false },
		{ "6.10", true, true, true, false },
		{ "6.11", true, true, true, true },
	};

	(void)state;
	for (size_t r = 0; r < ARRAY_SIZE(rel); r++) {
		char spec[64];
		struct hvo_machine *m;
		int demote, steal, pgpromote;

		snprintf(spec, sizeof(spec), "x86_64:mem=1G,kernel=%s", rel[r].kernel);
		m = tu_machine(spec);
		assert_int_equal(vmstat_index(m, "pgsteal_khugepaged") >= 0,
				 rel[r].khugepaged);
		assert_int_equal(vmstat_index(m, "pgscan_khugepaged") >= 0,
				 rel[r].khugepaged);
		assert_int_equal(vmstat_index(m, "pgdemote_khugepaged") >= 0,
				 rel[r].demote_node);
		/* A node stat comes before the events, an event after pgsteal_direct. */
		demote = vmstat_index(m, "pgdemote_kswapd");
		steal = vmstat_index(m, "pgsteal_direct");
		pgpromote = vmstat_index(m, "pgpromote_candidate");
		assert_true(demote >= 0 && steal >= 0 && pgpromote >= 0);
		if (rel[r].demote_node)
			assert_int_equal(demote, pgpromote + 1);
		else
			assert_true(demote > steal);
		assert_int_equal(vmstat_index(m, "zswpwb") >= 0, rel[r].zswpwb);
		assert_int_equal(vmstat_index(m, "nr_iommu_pages") >= 0, rel[r].iommu);
		assert_int_equal(vmstat_index(m, "swpin_zero"), -1);
		/* vmstat_show() ends every release's file with it */
		assert_true(vmstat_index(m, "nr_unstable") > vmstat_index(m, "pgfree"));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * vmstat_text of 6.12 with Debian's amd64 config, names and order
 * (/proc/vmstat of the real guest has htlb_buddy_alloc_* and both memmap
 * counters: facts Part 8.7).
 */
static void
test_vmstat_fields_linux_6_12_x86(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,kernel=6.12");
	const char *name;
	uint64_t v;
	unsigned i;

	(void)state;
	for (i = 0; hvo_machine_vmstat(m, i, &name, &v) == 0; i++) {
		assert_true(i < ARRAY_SIZE(vmstat_6_12_amd64));
		assert_string_equal(name, vmstat_6_12_amd64[i]);
	}
	assert_int_equal(i, ARRAY_SIZE(vmstat_6_12_amd64));
	tu_assert_check(m);
	hvo_machine_free(m);

	/* riscv: no ZONE_DMA, no direct-map split events, no PUD THP. */
	m = tu_machine("riscv64:mem=1G,kernel=6.12");
	assert_false(tu_vmstat_find(m, "pgalloc_dma", NULL));
	assert_true(tu_vmstat_find(m, "pgalloc_dma32", NULL));
	assert_false(tu_vmstat_find(m, "direct_map_level2_splits", NULL));
	assert_false(tu_vmstat_find(m, "thp_split_pud", NULL));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Before 6.11 /proc/vmstat has no memmap counters. */
static void
test_vmstat_no_memmap_before_6_11(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,kernel=6.10");

	(void)state;
	assert_false(tu_vmstat_find(m, "nr_memmap_pages", NULL));
	assert_false(tu_vmstat_find(m, "nr_memmap_boot_pages", NULL));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * 6.11 on (Sourav Panda, "mm: report per-page metadata information"):
 * sparse_init_nid() accounts DIV_ROUND_UP(PAGES_PER_SECTION * sizeof(struct
 * page), PAGE_SIZE) boot pages per present section; HVO's
 * free_vmemmap_page() takes one from nr_memmap_boot_pages for each
 * PageReserved page it frees (else from nr_memmap_pages), the new head
 * page of vmemmap_remap_free() adds one to nr_memmap_pages, and
 * alloc_vmemmap_page_list() adds what the restore allocates. On the real
 * 6.12 guest: -8 and +1 per 2M hugepage, +7 at restore (facts Part 8.2).
 */
static void
test_vmstat_memmap_linux_6_11(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G,kernel=6.12");
	uint64_t boot0, pages0;

	(void)state;
	/* 48 sections of 128M, 512 vmemmap pages each. */
	boot0 = tu_vmstat(m, "nr_memmap_boot_pages");
	pages0 = tu_vmstat(m, "nr_memmap_pages");
	assert_int_equal(boot0, 48 * 512);
	assert_int_equal(pages0, 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 4), 0);
	assert_int_equal(tu_vmstat(m, "nr_memmap_boot_pages"), boot0 - 4 * 8);
	assert_int_equal(tu_vmstat(m, "nr_memmap_pages"), pages0 + 4);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), 0);
	assert_int_equal(tu_vmstat(m, "nr_memmap_boot_pages"), boot0 - 4 * 8);
	assert_int_equal(tu_vmstat(m, "nr_memmap_pages"), pages0 + 4 * 8);
	/*
	 * Again: whichever pfns the pool gets (restored ones give buddy
	 * pages back, others boot pages), the memmap held is 7 pages less
	 * per optimized 2M page.
	 */
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 4), 0);
	assert_int_equal(tu_vmstat(m, "nr_memmap_boot_pages") +
			 tu_vmstat(m, "nr_memmap_pages"), boot0 - 4 * 7);
	/* A 1G page from boot memmap: 4096 boot pages go, one head comes. */
	boot0 = tu_vmstat(m, "nr_memmap_boot_pages");
	pages0 = tu_vmstat(m, "nr_memmap_pages");
	assert_int_equal(hvo_set_nr_hugepages(m, GIB, 1), 0);
	assert_int_equal(tu_vmstat(m, "nr_memmap_boot_pages"), boot0 - 4096);
	assert_int_equal(tu_vmstat(m, "nr_memmap_pages"), pages0 + 1);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * zoneinfo_show_print() names its counters from vmstat_text, as
 * /proc/vmstat does: a zone's counters are zone_stat_item and
 * numa_stat_item, /proc/vmstat's first lines, nr_free_pages the zone's
 * NR_FREE_PAGES, numa_hit the zone's share of the machine's
 * (zone_numa_event_state(), summed by /proc/vmstat); the per-node stats
 * are node_stat_item, the lines that follow.
 */
static void
test_zoneinfo_counters_are_vmstat_text(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,kernel=6.12");
	struct hvo_zone_info z;
	const char *name, *vname;
	uint64_t v, vv, free = 0, hit = 0, pfn;
	unsigned i, nz = 0, nn = 0;

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_DMA, &pfn), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	for (unsigned zi = 0; hvo_machine_zone(m, zi, &z) == 0; zi++) {
		for (i = 0; hvo_machine_zoneinfo_stat(m, zi, false, i, &name,
						      &v) == 0; i++) {
			assert_int_equal(hvo_machine_vmstat(m, i, &vname, &vv), 0);
			assert_string_equal(name, vname);
			if (!strcmp(name, "nr_free_pages")) {
				assert_int_equal(v, z.nr_free_pages);
				free += v;
			}
			if (!strcmp(name, "numa_hit"))
				hit += v;
		}
		nz = i;
		for (i = 0; hvo_machine_zoneinfo_stat(m, zi, true, i, &name,
						      &v) == 0; i++) {
			assert_int_equal(hvo_machine_vmstat(m, nz + i, &vname,
							    &vv), 0);
			assert_string_equal(name, vname);
			assert_int_equal(v, vv);
		}
		nn = i;
	}
	assert_int_equal(nz, 18); /* 12 zone items (nr_unaccepted), 6 NUMA */
	assert_true(nn > 40);
	assert_int_equal(free, tu_vmstat(m, "nr_free_pages"));
	assert_int_equal(hit, tu_vmstat(m, "numa_hit"));
	assert_true(hit >= 2);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * PGALLOC of the page's zone by 1 << order in rmqueue_pcplist() and
 * rmqueue_buddy(), PGFREE by 1 << order in free_unref_page_commit() and
 * free_one_page(), numa_hit and numa_local once per allocation
 * (zone_statistics()).
 */
static void
test_vmstat_pgalloc_pgfree(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,kernel=6.12");
	uint64_t a0, d0, f0, h0, pfn;

	(void)state;
	a0 = tu_vmstat(m, "pgalloc_normal");
	d0 = tu_vmstat(m, "pgalloc_dma");
	f0 = tu_vmstat(m, "pgfree");
	h0 = tu_vmstat(m, "numa_hit");
	/* There is no Normal below 4G: the DMA32 zone serves. */
	assert_int_equal(hvo_alloc_pages(m, 2, HVO_GFP_KERNEL, &pfn), 0);
	assert_int_equal(tu_vmstat(m, "pgalloc_dma32"), 4);
	assert_int_equal(tu_vmstat(m, "pgalloc_normal"), a0);
	assert_int_equal(tu_vmstat(m, "numa_hit"), h0 + 1);
	assert_int_equal(tu_vmstat(m, "numa_local"), h0 + 1);
	assert_int_equal(hvo_free_pages(m, pfn, 2), 0);
	assert_int_equal(tu_vmstat(m, "pgfree"), f0 + 4);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_DMA, &pfn), 0);
	assert_int_equal(tu_vmstat(m, "pgalloc_dma"), d0 + 1);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);
	assert_int_equal(tu_vmstat(m, "pgfree"), f0 + 5);
	tu_assert_check(m);
	hvo_machine_free(m);

	/* Boot frees every page once (__free_pages_core()). */
	m = tu_machine("x86_64:mem=1G,kernel=6.12,deferred=off,pcp=off");
	{
		uint64_t free, pcp, managed;

		zone_sums(m, &free, &pcp, &managed);
		assert_int_equal(tu_vmstat(m, "pgfree"), managed);
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * alloc_buddy_hugetlb_folio() counts HTLB_BUDDY_PGALLOC and _FAIL;
 * alloc_gigantic_folio() counts neither, and alloc_contig_range() takes
 * its free pages through isolate_freepages_range(), which counts them in
 * compact_isolated.
 */
static void
test_vmstat_htlb_buddy_and_contig(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,kernel=6.12");

	(void)state;
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 3), 0);
	assert_int_equal(tu_vmstat(m, "htlb_buddy_alloc_success"), 3);
	assert_int_equal(tu_vmstat(m, "htlb_buddy_alloc_fail"), 0);
	assert_int_equal(hvo_fail_page_alloc(m, 1, false), 0);
	hvo_set_nr_hugepages(m, 2 * MIB, 4);
	assert_int_equal(tu_vmstat(m, "htlb_buddy_alloc_fail"), 1);
	assert_int_equal(hvo_fail_page_alloc(m, 0, false), 0);
	assert_int_equal(tu_vmstat(m, "compact_isolated"), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, GIB, 1), 0);
	assert_int_equal(tu_vmstat(m, "compact_isolated"), 262144);
	assert_int_equal(tu_vmstat(m, "htlb_buddy_alloc_success"), 3);
	tu_assert_check(m);
	hvo_machine_free(m);
}

#define KPF_BUDDY (UINT64_C(1) << 10)
#define KPF_COMPOUND_TAIL (UINT64_C(1) << 16)
#define KPF_HUGE (UINT64_C(1) << 17)
#define KPF_HWPOISON (UINT64_C(1) << 19)
#define KPF_RESERVED (UINT64_C(1) << 32)

static uint64_t
kpf(struct hvo_machine *m, uint64_t pfn)
{
	uint64_t f;

	assert_int_equal(hvo_kpageflags(m, pfn, &f), 0);
	return f;
}

/*
 * stable_page_flags(): PageBuddy() marks only the first page of a free
 * block; every other page of it is BUDDY through is_free_buddy_page().
 * Pages on the per-CPU lists are in no block: not BUDDY.
 */
static void
test_kpageflags_buddy_every_page(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M,kernel=6.12,pcp=off");
	uint64_t pfn;

	(void)state;
	/* An order-3 block freed whole: all 8 pages BUDDY. */
	assert_int_equal(hvo_alloc_pages(m, 3, HVO_GFP_KERNEL, &pfn), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_false(kpf(m, pfn + i) & KPF_BUDDY);
	assert_int_equal(hvo_free_pages(m, pfn, 3), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_true(kpf(m, pfn + i) & KPF_BUDDY);
	tu_assert_check(m);
	hvo_machine_free(m);

	m = tu_machine("x86_64:mem=64M,kernel=6.12");
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);
	/* free_unref_page(): on the pcp list, not in a buddy block. */
	assert_false(kpf(m, pfn) & KPF_BUDDY);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * stable_page_flags() reads PG_reserved from the folio (page_folio()),
 * and PG_hwpoison from the folio for hugetlb, from the page otherwise.
 * 6.12's x86 bits: PG_reserved 13, PG_hwpoison 20.
 */
static void
test_kpageflags_reserved_hwpoison_from_folio(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M,kernel=6.12,hvo=off");
	uint64_t pfn, head_va, tail_va, head_flags, tail_flags;

	(void)state;
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	assert_int_equal(hvo_pfn_to_page(m, pfn, &head_va), 0);
	assert_int_equal(hvo_pfn_to_page(m, pfn + 5, &tail_va), 0);
	assert_int_equal(hvo_kread64(m, head_va, &head_flags), 0);
	assert_int_equal(hvo_kread64(m, tail_va, &tail_flags), 0);
	assert_true(kpf(m, pfn + 5) & KPF_HUGE);
	assert_false(kpf(m, pfn + 5) & KPF_RESERVED);

	/* The head's PG_reserved shows on every tail. */
	assert_int_equal(hvo_kwrite64(m, head_va, head_flags | (UINT64_C(1) << 13)), 0);
	assert_true(kpf(m, pfn + 5) & KPF_RESERVED);
	assert_true(kpf(m, pfn + 5) & KPF_COMPOUND_TAIL);
	assert_int_equal(hvo_kwrite64(m, head_va, head_flags), 0);
	/* A tail's own PG_reserved does not. */
	assert_int_equal(hvo_kwrite64(m, tail_va, tail_flags | (UINT64_C(1) << 13)), 0);
	assert_false(kpf(m, pfn + 5) & KPF_RESERVED);
	/* Hugetlb: a tail's PG_hwpoison does not show, the head's does. */
	assert_int_equal(hvo_kwrite64(m, tail_va, tail_flags | (UINT64_C(1) << 20)), 0);
	assert_false(kpf(m, pfn + 5) & KPF_HWPOISON);
	assert_int_equal(hvo_kwrite64(m, tail_va, tail_flags), 0);
	assert_int_equal(hvo_kwrite64(m, head_va, head_flags | (UINT64_C(1) << 20)), 0);
	assert_true(kpf(m, pfn + 5) & KPF_HWPOISON);
	assert_true(kpf(m, pfn + 100) & KPF_HWPOISON);
	assert_int_equal(hvo_kwrite64(m, head_va, head_flags), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* A page that is not hugetlb reports its own PG_hwpoison. */
static void
test_kpageflags_hwpoison_own_page(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M,kernel=6.12");
	uint64_t pfn, va, flags;

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	assert_int_equal(hvo_kread64(m, va, &flags), 0);
	assert_int_equal(hvo_kwrite64(m, va, flags | (UINT64_C(1) << 20)), 0);
	assert_true(kpf(m, pfn) & KPF_HWPOISON);
	assert_int_equal(hvo_kwrite64(m, va, flags), 0);
	assert_false(kpf(m, pfn) & KPF_HWPOISON);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* The physical address behind the struct page of @pfn. */
static uint64_t
memmap_pa(struct hvo_machine *m, uint64_t pfn)
{
	struct hvo_walk w;
	uint64_t va;

	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_true(w.mapped);
	return w.pa;
}

/*
 * sparse_init_nid(): one buffer for the memmap of every present section
 * (sparse_buffer_init()), handed out by sparse_buffer_alloc() in
 * ascending order, so the memmap of section k sits at the buffer's start
 * plus k section memmaps, and a 1G page's 4096 vmemmap pages are one
 * physically consecutive run, as on the real kernel (facts Part 6/8).
 */
static void
test_sparse_buffer_ascending(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=3G@0+5G@4G,kernel=6.12");
	const uint64_t pps = 32768, map = 2 * MIB;
	uint64_t base = memmap_pa(m, 0), k = 0;

	(void)state;
	assert_int_equal(base % map, 0);
	for (uint64_t pfn = 0; pfn < (UINT64_C(9) << 18); pfn += pps) {
		if (pfn >= (UINT64_C(3) << 18) && pfn < (UINT64_C(4) << 18))
			continue; /* the hole: no section */
		assert_int_equal(memmap_pa(m, pfn), base + k * map);
		k++;
	}
	assert_int_equal(k, 64);
	/* Every vmemmap page of the 1G range at 4G, one after the other. */
	for (uint64_t i = 0; i < 4096; i++)
		assert_int_equal(memmap_pa(m, (UINT64_C(4) << 18) + i * 64),
				 memmap_pa(m, UINT64_C(4) << 18) + i * 4096);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Without the buffer (eight sections want 16M in one run, 2M aligned; the
 * largest free run, below the kernel image, has 15M), __populate_section_memmap()
 * takes each block from vmemmap_alloc_block(): memblock, top-down, so
 * the memmap falls as the pfn rises.
 */
static void
test_sparse_buffer_fallback(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=26M@0+4M@128M+4M@256M+"
					   "4M@384M+4M@512M+4M@640M+4M@768M+"
					   "4M@896M,kernel=6.12");
	uint64_t prev = UINT64_MAX;

	(void)state;
	for (uint64_t s = 0; s < 8; s++) {
		uint64_t pa = memmap_pa(m, s * 32768);

		assert_true(pa < prev);
		prev = pa;
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * /proc/buddyinfo of a booted kernel: deferred struct page init has run.
 * The machine defers it until memory is asked for, and shows the blocks
 * it will free (nr_free_booted) -- the same as after running it.
 */
static void
test_buddyinfo_after_deferred_init(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G,kernel=6.12,hugepages=1G:1");
	struct hvo_zone_info before[4], after;
	unsigned n = 0;
	bool deferred = false;

	(void)state;
	for (; n < 4 && hvo_machine_zone(m, n, &before[n]) == 0; n++)
		deferred |= before[n].deferred_pages != 0;
	assert_true(deferred);
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(hvo_machine_zone(m, i, &after), 0);
		assert_int_equal(after.deferred_pages, 0);
		for (unsigned o = 0; o < after.nr_orders; o++) {
			assert_int_equal(before[i].nr_free_booted[o], after.nr_free[o]);
			assert_int_equal(after.nr_free_booted[o], after.nr_free[o]);
		}
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* The name of the last zone /proc/zoneinfo lists (walk_zones_in_node()). */
static const char *
last_zone(struct hvo_machine *m)
{
	static char name[16];
	struct hvo_zone_info z;

	name[0] = '\0';
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++)
		snprintf(name, sizeof(name), "%s", z.name);
	return name;
}

/*
 * Before 6.11 riscv's Kconfig selects neither ARCH_ENABLE_MEMORY_HOTPLUG
 * nor ARCH_HAS_PTE_DEVMAP, so ZONE_DEVICE (mm/Kconfig) cannot be built:
 * the zones end with Movable, protection has one entry fewer, and
 * vmstat_text has no *_device lines. x86_64 and arm64 have it.
 */
static void
test_zone_device_before_6_11(void **state)
{
	struct hvo_machine *m = tu_machine("riscv64:mem=1G,kernel=6.1");

	(void)state;
	assert_string_equal(last_zone(m), "Movable");
	assert_false(tu_vmstat_find(m, "pgalloc_device", NULL));
	tu_assert_check(m);
	hvo_machine_free(m);
	m = tu_machine("x86_64:mem=1G,kernel=6.1");
	assert_string_equal(last_zone(m), "Device");
	assert_true(tu_vmstat_find(m, "pgalloc_device", NULL));
	tu_assert_check(m);
	hvo_machine_free(m);
	m = tu_machine("arm64:mem=1G,kernel=6.1");
	assert_string_equal(last_zone(m), "Device");
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * 6.11 on (Björn Töpel, "riscv: Memory Hot(Un)Plug support"): riscv64
 * can build ZONE_DEVICE too; the distribution build is taken to set it
 * (cfg_zone_device), so its last zone is an empty Device.
 */
static void
test_zone_device_linux_6_11(void **state)
{
	struct hvo_machine *m = tu_machine("riscv64:mem=1G,kernel=6.12");
	struct hvo_zone_info z;
	unsigned i = 0;

	(void)state;
	while (hvo_machine_zone(m, i + 1, &z) == 0)
		i++;
	assert_int_equal(hvo_machine_zone(m, i, &z), 0);
	assert_string_equal(z.name, "Device");
	assert_int_equal(z.present_pages, 0);
	assert_int_equal(z.managed_pages, 0);
	assert_true(tu_vmstat_find(m, "pgalloc_device", NULL));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The field name of a /proc/zoneinfo line: the zone header as it is, the
 * protection line up to its list, any other line without its leading
 * blanks and trailing number.
 */
static void
zoneinfo_field(const char *line, char *name, size_t len)
{
	const char *s = line + strspn(line, " ");
	const char *paren = strchr(s, '(');
	size_t n = strlen(s);

	if (!strncmp(s, "Node ", 5)) {
		snprintf(name, len, "%s", s);
		return;
	}
	if (paren)
		n = (size_t)(paren - s);
	else
		while (n && strchr("0123456789", s[n - 1]))
			n--;
	while (n && s[n - 1] == ' ')
		n--;
	snprintf(name, len, "%.*s", (int)n, s);
}

/* Entries in the "protection: (a, b, ...)" list of @p line. */
static unsigned
protection_entries(const char *line)
{
	unsigned n = 1;

	for (const char *p = strchr(line, '('); *p; p++)
		n += *p == ',';
	return n;
}

/*
 * /proc/zoneinfo of a 6 GiB x86_64 guest on 6.12, field names in order,
 * as zoneinfo_show() prints it: walk_zones_in_node() without
 * assert_populated, so every zone of the build including the empty ones
 * (Debian's amd64 config has CONFIG_ZONE_DEVICE: DMA, DMA32, Normal,
 * Movable, Device); zoneinfo_show_print() per zone: the header, the
 * node's stats on its first populated zone (is_zone_first_populated()),
 * the watermarks, spanned/present/managed/cma, the protection against
 * each of MAX_NR_ZONES = 5 zones, and only for a populated zone
 * (populated_zone()) its counters, the pageset and the rest.
 */
static void
test_zoneinfo_fields_linux_6_12_x86(void **state)
{
	static const char *const zones[] = {
		"     DMA", "   DMA32", "  Normal", " Movable", "  Device",
	};
	static const char *const wmarks[] = {
		"pages free", "boost", "min", "low", "high", "promo", "spanned",
		"present", "managed", "cma",
	};
	static const char *const tail[] = {
		"pagesets", "cpu:", "count:", "high:", "batch:",
		"vm stats threshold:", "node_unreclaimable:", "start_pfn:",
	};
	struct hvo_machine *m = tu_machine("x86_64:mem=6G,kernel=6.12");
	char *buf = NULL, *save = NULL, name[128], want[128];
	const char **expect = calloc(1024, sizeof(*expect));
	unsigned nexp = 0, nline = 0, nnode = 0;
	size_t size = 0;
	FILE *f;

	(void)state;
	assert_non_null(expect);
	/* node_stat_item: vmstat_text after the 18 zone and NUMA items. */
	while (strcmp(vmstat_6_12_amd64[18 + nnode], "nr_dirty_threshold"))
		nnode++;
	for (unsigned z = 0; z < ARRAY_SIZE(zones); z++) {
		bool populated = z < 3; /* 6 GiB: DMA, DMA32 and Normal */

		expect[nexp++] = zones[z];
		if (z == 0) {
			expect[nexp++] = "per-node stats";
			for (unsigned i = 0; i < nnode; i++)
				expect[nexp++] = vmstat_6_12_amd64[18 + i];
		}
		for (unsigned i = 0; i < ARRAY_SIZE(wmarks); i++)
			expect[nexp++] = wmarks[i];
		expect[nexp++] = "protection:";
		if (!populated)
			continue;
		for (unsigned i = 0; i < 18; i++)
			expect[nexp++] = vmstat_6_12_amd64[i];
		for (unsigned i = 0; i < ARRAY_SIZE(tail); i++)
			expect[nexp++] = tail[i];
	}

	f = open_memstream(&buf, &size);
	assert_non_null(f);
	procfs_zoneinfo(f, m);
	assert_int_equal(fclose(f), 0);
	for (char *l = strtok_r(buf, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save), nline++) {
		assert_true(nline < nexp);
		zoneinfo_field(l, name, sizeof(name));
		/* The zone names are "%8s", right-aligned: a leading blank. */
		if (expect[nline][0] == ' ')
			snprintf(want, sizeof(want), "Node 0, zone %s",
				 expect[nline]);
		else
			snprintf(want, sizeof(want), "%s", expect[nline]);
		if (strcmp(name, want))
			fail_msg("/proc/zoneinfo line %u: \"%s\", the kernel's \"%s\"",
				 nline + 1, name, want);
		if (!strcmp(name, "protection:"))
			assert_int_equal(protection_entries(l), 5);
	}
	assert_int_equal(nline, nexp);
	free(buf);
	free(expect);
	tu_assert_check(m);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo_fields_linux_6_12_x86),
		cmocka_unit_test(test_meminfo_fields_other_arches),
		cmocka_unit_test(test_meminfo_no_unaccepted_before_6_5),
		cmocka_unit_test(test_meminfo_unaccepted_linux_6_5),
		cmocka_unit_test(test_meminfo_values),
		cmocka_unit_test(test_vmstat_fields_linux_6_12_x86),
		cmocka_unit_test(test_vmstat_names_by_release),
		cmocka_unit_test(test_vmstat_no_memmap_before_6_11),
		cmocka_unit_test(test_vmstat_memmap_linux_6_11),
		cmocka_unit_test(test_vmstat_pgalloc_pgfree),
		cmocka_unit_test(test_zoneinfo_counters_are_vmstat_text),
		cmocka_unit_test(test_zoneinfo_fields_linux_6_12_x86),
		cmocka_unit_test(test_zone_device_before_6_11),
		cmocka_unit_test(test_zone_device_linux_6_11),
		cmocka_unit_test(test_vmstat_htlb_buddy_and_contig),
		cmocka_unit_test(test_kpageflags_buddy_every_page),
		cmocka_unit_test(test_kpageflags_reserved_hwpoison_from_folio),
		cmocka_unit_test(test_kpageflags_hwpoison_own_page),
		cmocka_unit_test(test_sparse_buffer_ascending),
		cmocka_unit_test(test_sparse_buffer_fallback),
		cmocka_unit_test(test_buddyinfo_after_deferred_init),
	};

	return tu_run("procfs", tests, ARRAY_SIZE(tests));
}
