/* SPDX-License-Identifier: MIT */
/*
 * The MMU layer by example: TLB hits and misses, the flush ceiling, a missed
 * flush caught by the checker, break-before-make on arm64, the host cost of a
 * large machine, the kernel's page-table accessors, and NULL arguments
 * everywhere.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"
#include "base/util.h"
#include "phys/phys.h"
#include "core/machine.h"
#include "hugetlb/hugetlb.h"
#include "mm/memmap_compact.h"
#include "mm/page.h"
#include "mmu/mmu.h"

#define MIB (UINT64_C(1) << 20)

#define MAGIC_A UINT64_C(0x1111222233334444)
#define MAGIC_B UINT64_C(0x5555666677778888)

/* A page in the second half of the first RAM range: never used at boot. */
static uint64_t
free_pa(const struct hvo_machine *m)
{
	const struct hvo_config *cfg = hvo_machine_config(m);

	return cfg->mem[0].base + cfg->mem[0].size / 2;
}

/* Map one page of fresh memory at a free VA. */
static uint64_t
map_scratch_page(struct hvo_machine *m, uint64_t pa)
{
	struct hvo_geometry g = tu_geometry(m);
	uint64_t va = tu_free_kernel_va(m, g.levels - 1);

	assert_int_equal(hvo_map(m, va, pa, g.page_size, HVO_PROT_KERNEL), 0);
	return va;
}

static uint64_t
pt_reads(const struct hvo_machine *m)
{
	static const char *const names[] = {
		"pt.read.pgd", "pt.read.p4d", "pt.read.pud", "pt.read.pmd",
		"pt.read.pte",
	};
	uint64_t sum = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		sum += tu_counter(m, names[i]);
	return sum;
}

static void
check_hit_miss(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(m);
	uint64_t va = map_scratch_page(m, free_pa(m)), v;
	uint64_t before[HVO_MAX_LEVELS];
	char name[32];

	hvo_machine_counters_reset(m);
	for (unsigned d = 0; d < g.levels; d++) {
		snprintf(name, sizeof(name), "pt.read.%s", g.level_name[d]);
		before[d] = tu_counter(m, name);
	}

	/* The first load misses and walks every level once. */
	assert_int_equal(hvo_kread64(m, va, &v), 0);
	assert_int_equal(tu_counter(m, "tlb.miss"), 1);
	assert_int_equal(tu_counter(m, "tlb.hit"), 0);
	assert_int_equal(pt_reads(m), g.levels);
	for (unsigned d = 0; d < g.levels; d++) {
		snprintf(name, sizeof(name), "pt.read.%s", g.level_name[d]);
		assert_int_equal(tu_counter(m, name), before[d] + 1);
	}

	/* The same page again, at another offset: a hit, no walk. */
	assert_int_equal(hvo_kread64(m, va + 8, &v), 0);
	assert_int_equal(tu_counter(m, "tlb.hit"), 1);
	assert_int_equal(tu_counter(m, "tlb.miss"), 1);
	assert_int_equal(pt_reads(m), g.levels);

	/* A writable page was cached for stores too. */
	assert_int_equal(hvo_kwrite64(m, va + 16, MAGIC_A), 0);
	assert_int_equal(tu_counter(m, "tlb.hit"), 2);
	assert_int_equal(tu_counter(m, "tlb.miss"), 1);

	/* After a flush of that page the next load walks again. */
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + g.page_size), 0);
	assert_int_equal(hvo_kread64(m, va + 16, &v), 0);
	assert_int_equal(v, MAGIC_A);
	assert_int_equal(tu_counter(m, "tlb.miss"), 2);
	assert_int_equal(pt_reads(m), 2 * g.levels);

	/* And after flush_tlb_all(). */
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_int_equal(hvo_kread64(m, va, &v), 0);
	assert_int_equal(tu_counter(m, "tlb.miss"), 3);

	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_tlb_hit_miss(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=64M",
		"x86_64:levels=5,mem=64M",
		"arm64-4k-39:mem=64M",
		"arm64-64k-42:mem=64M",
		"riscv64-sv57:mem=64M",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		check_hit_miss(specs[i]);
}

static void
check_flush_ceiling(const char *spec, unsigned ceiling)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(m);
	uint64_t va = tu_free_kernel_va(m, g.levels - 1);
	uint64_t ps = g.page_size;

	assert_int_equal(g.tlb_flush_ceiling, ceiling);

	/* Exactly the ceiling: page by page. */
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + ceiling * ps), 0);
	assert_int_equal(tu_counter(m, "tlb.flush_range"), 1);
	assert_int_equal(tu_counter(m, "tlb.flush_page"), ceiling);
	assert_int_equal(tu_counter(m, "tlb.flush_all"), 0);

	/* One page more: everything, once, and no single-page flushes. */
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va,
						     va + (ceiling + 1) * ps), 0);
	assert_int_equal(tu_counter(m, "tlb.flush_range"), 1);
	assert_int_equal(tu_counter(m, "tlb.flush_page"), 0);
	assert_int_equal(tu_counter(m, "tlb.flush_all"), 1);

	/* A range is rounded out to pages: 16 bytes across a boundary are two. */
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va + ps - 8, va + ps + 8), 0);
	assert_int_equal(tu_counter(m, "tlb.flush_page"), 2);
	assert_int_equal(tu_counter(m, "tlb.flush_all"), 0);

	/* An empty range flushes nothing. */
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va), 0);
	assert_int_equal(tu_counter(m, "tlb.flush_page"), 0);
	assert_int_equal(tu_counter(m, "tlb.flush_all"), 0);

	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_flush_ceiling(void **state)
{
	(void)state;
	/* tlb_single_page_flush_ceiling, tlb_flush_all_threshold, MAX_DVM_OPS */
	check_flush_ceiling("x86_64:mem=64M", 33);
	check_flush_ceiling("x86_64:levels=5,mem=64M", 33);
	check_flush_ceiling("riscv64-sv39:mem=64M", 64);
	check_flush_ceiling("arm64-4k-48:mem=64M", 512);
	check_flush_ceiling("arm64-16k-47:mem=64M", 2048);
	check_flush_ceiling("arm64-64k-48:mem=64M", 8192);
}

/*
 * A hardware TLB holds a block as one entry, so a single-page flush of any
 * page of it drops the translation of every page of it.
 */
static void
test_flush_inside_block(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t page = g.vmemmap_base, v;
	struct hvo_walk w;

	(void)state;
	assert_int_equal(hvo_walk(m, page, &w), 0);
	assert_true(w.mapped);
	assert_true(w.leaf_size > g.page_size);

	assert_int_equal(hvo_kread64(m, page, &v), 0);
	assert_int_equal(hvo_kread64(m, page + g.page_size, &v), 0);
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_kread64(m, page, &v), 0);
	assert_int_equal(tu_counter(m, "tlb.hit"), 1);

	/* Flush a third page of the block: the first must miss again. */
	assert_int_equal(hvo_flush_tlb_kernel_range(m, page + 2 * g.page_size,
						    page + 3 * g.page_size), 0);
	assert_int_equal(hvo_kread64(m, page, &v), 0);
	assert_int_equal(tu_counter(m, "tlb.miss"), 1);
	assert_int_equal(hvo_kread64(m, page + g.page_size, &v), 0);
	assert_int_equal(tu_counter(m, "tlb.miss"), 2);

	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Remap a live page without a flush. The TLB still holds the old
 * translation and the load uses it, as hardware would.
 */
static void
check_stale(const char *spec, bool tlbcheck)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(m);
	uint64_t pa1 = free_pa(m), pa2 = pa1 + g.page_size;
	uint64_t va = map_scratch_page(m, pa1);
	uint64_t va2 = va - g.page_size, v, stale0;

	assert_int_equal(hvo_map(m, va2, pa2, g.page_size, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_kwrite64(m, va, MAGIC_A), 0);
	assert_int_equal(hvo_kwrite64(m, va2, MAGIC_B), 0);
	assert_int_equal(hvo_kread64(m, va, &v), 0);
	assert_int_equal(v, MAGIC_A);
	tu_assert_check(m);

	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_map(m, va, pa2, g.page_size, HVO_PROT_KERNEL), 0);

	stale0 = tu_counter(m, "check.stale_tlb");
	assert_int_equal(hvo_kread64(m, va, &v), 0);
	assert_int_equal(v, MAGIC_A);
	if (tlbcheck) {
		assert_int_equal(tu_counter(m, "check.stale_tlb"), stale0 + 1);
		assert_non_null(strstr(hvo_machine_error(m), "stale"));
	} else {
		/* Unchecked hits take the fast path and are not seen... */
		assert_int_equal(tu_counter(m, "check.stale_tlb"), stale0);
	}
	/* ...but the checker finds the stale entry either way. */
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_non_null(strstr(hvo_machine_error(m), "stale"));

	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + g.page_size), 0);
	assert_int_equal(hvo_kread64(m, va, &v), 0);
	assert_int_equal(v, MAGIC_B);
	if (tlbcheck)
		assert_int_equal(tu_counter(m, "check.stale_tlb"), stale0 + 1);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_stale_tlb(void **state)
{
	(void)state;
	check_stale("x86_64:mem=64M,tlbcheck=on", true);
	check_stale("x86_64:mem=64M", false);
	check_stale("arm64-16k-48:mem=64M,tlbcheck=on", true);
}

/*
 * The checker names how a cached translation went stale: the page table
 * no longer maps the page (an unmap with no flush), or maps it read-only
 * while the entry still takes stores (a protection change with no flush,
 * which the kernel follows with flush_tlb_kernel_range()).
 */
static void
test_stale_tlb_kinds(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t pa = free_pa(m), va = map_scratch_page(m, pa), v;

	(void)state;
	/* A store fills the entry for stores too. */
	assert_int_equal(hvo_kwrite64(m, va, MAGIC_A), 0);
	assert_int_equal(hvo_protect(m, va, HVO_PROT_KERNEL_RO), 0);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_non_null(strstr(hvo_machine_error(m), " RW, but the page table maps it differently"));
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + g.page_size), 0);
	tu_assert_check(m);

	/* Loaded while read-only: an entry for loads alone. The page goes. */
	assert_int_equal(hvo_kread64(m, va, &v), 0);
	assert_int_equal(v, MAGIC_A);
	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_non_null(strstr(hvo_machine_error(m), " RO, but the page table no longer maps it"));
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + g.page_size), 0);
	tu_assert_check(m);

	/* Writable, stored to, then mapped to another frame. */
	assert_int_equal(hvo_map(m, va, pa, g.page_size, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_kwrite64(m, va, MAGIC_B), 0);
	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_map(m, va, pa + g.page_size, g.page_size,
				 HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_non_null(strstr(hvo_machine_error(m), " RW, but the page table maps it differently"));
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + g.page_size), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Point the live leaf that maps @va at @pa with PAGE_KERNEL, in place. */
static void
retarget_leaf(struct hvo_machine *m, uint64_t va, uint64_t pa)
{
	struct hvo_walk w;
	unsigned d;

	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_true(w.mapped);
	d = w.nr_levels - 1;
	pt_set(m, d, va, w.level[d].entry_pa,
	       m->arch.ops.mk_leaf(&m->arch, d, pa, m->arch.page_kernel));
}

static void
check_bbm(const char *spec, bool counts)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(m);
	unsigned pmd = g.levels - 2;
	uint64_t pa1 = free_pa(m), pa2 = pa1 + g.page_size;
	uint64_t va = map_scratch_page(m, pa1), bva, bpa, bbm0;
	struct hvo_walk w;

	/* Filling an empty entry is not a change of a live one. */
	assert_int_equal(tu_counter(m, "check.bbm"), 0);

	/* A live PTE given another output address: forbidden on arm64. */
	retarget_leaf(m, va, pa2);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_int_equal(w.pa, pa2);
	assert_int_equal(tu_counter(m, "check.bbm"), counts ? 1 : 0);

	/* RW -> RO -> RW on the same page: permission changes are allowed. */
	bbm0 = tu_counter(m, "check.bbm");
	assert_int_equal(hvo_protect(m, va, HVO_PROT_KERNEL_RO), 0);
	assert_int_equal(hvo_protect(m, va, HVO_PROT_KERNEL), 0);
	assert_int_equal(tu_counter(m, "check.bbm"), bbm0);

	/* Break (unmap), then make (map): the safe sequence. */
	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_map(m, va, pa1, g.page_size, HVO_PROT_KERNEL), 0);
	assert_int_equal(tu_counter(m, "check.bbm"), bbm0);

	/*
	 * Splitting a live block replaces it by a table in one store: what
	 * the kernel's HVO does, and why arm64 cannot use it as is.
	 */
	assert_true(g.level_leaf_size[pmd] != 0);
	bva = tu_free_kernel_va(m, pmd);
	bpa = pa1 & ~(g.level_leaf_size[pmd] - 1);
	assert_int_equal(hvo_map(m, bva, bpa, g.level_leaf_size[pmd],
				 HVO_PROT_KERNEL), 0);
	assert_int_equal(tu_counter(m, "check.bbm"), bbm0);
	assert_int_equal(hvo_split(m, bva), 0);
	assert_int_equal(tu_counter(m, "check.bbm"), counts ? bbm0 + 1 : bbm0);

	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_bbm(void **state)
{
	(void)state;
	check_bbm("arm64-4k-48:mem=64M", true);
	check_bbm("arm64-16k-47:mem=64M", true);
	/* The checker can be turned off; the change is still made. */
	check_bbm("arm64-4k-48:mem=64M,bbmcheck=off", false);
	/* x86 and riscv do not require break-before-make. */
	check_bbm("x86_64:mem=64M", false);
	check_bbm("riscv64-sv48:mem=64M", false);
}

/* The leaf of a walk of @va: its raw entry, and the level's name. */
static uint64_t
leaf_entry(struct hvo_machine *m, uint64_t va, const char *level,
	   uint64_t *pa)
{
	struct hvo_walk w;
	const struct hvo_walk_level *l;

	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_true(w.mapped);
	l = &w.level[w.nr_levels - 1];
	if (strcmp(l->name, level) != 0)
		fail_msg("va 0x%llx: the leaf is a %s, not a %s",
			 (unsigned long long)va, l->name, level);
	*pa = w.pa;
	return l->entry;
}

/* An entry mapping @pa with @attrs: riscv keeps the pfn at bit 10. */
static uint64_t
mk_entry(const struct hvo_geometry *g, uint64_t pa, uint64_t attrs)
{
	if (strcmp(g->arch, "riscv64") == 0)
		return ((pa >> 12) << 10) | attrs;
	return pa | attrs;
}

/*
 * The entries the kernel's vmemmap holds, bit for bit: the PMD block
 * vmemmap_populate() wrote at boot (@block; 0 where the vmemmap is mapped
 * with pages, and @pk is what its PTEs hold), and after HVO split it, the
 * PTEs of the split (PAGE_KERNEL, @pk) and of the remapped tails
 * (PAGE_KERNEL_RO, @ro). @block, @pk and @ro are the attribute bits; the
 * output address is checked against the walk's translation.
 */
static void
check_vmemmap_entries(const char *spec, uint64_t block, uint64_t pk,
		      uint64_t ro)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(m);
	const struct hvo_config *cfg = hvo_machine_config(m);
	uint64_t ps = g.page_size, sp = g.struct_page_size;
	uint64_t pmd_size = g.level_leaf_size[g.levels - 2];
	uint64_t first = g.vmemmap_base +
			 (cfg->mem[0].base >> g.page_shift) * sp;
	uint64_t pa, head, other, other_pa, head_pa, e, pfn;

	if (!block) {
		/* vmemmap_populate_basepages(): PAGE_KERNEL PTEs. */
		e = leaf_entry(m, first, "pte", &pa);
		if (e != mk_entry(&g, pa, pk))
			fail_msg("%s: vmemmap PTE 0x%016llx, want 0x%016llx",
				 spec, (unsigned long long)e,
				 (unsigned long long)mk_entry(&g, pa, pk));
		tu_assert_check(m);
		hvo_machine_free(m);
		return;
	}
	e = leaf_entry(m, first, "pmd", &pa);
	pa &= ~(pmd_size - 1);
	if (e != mk_entry(&g, pa, block))
		fail_msg("%s: vmemmap PMD block 0x%016llx, want 0x%016llx",
			 spec, (unsigned long long)e,
			 (unsigned long long)mk_entry(&g, pa, block));

	/* One 2M hugepage, optimized: its PMD is split. */
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
	assert_int_equal(tu_pool_pfns(m, 2 * MIB, &pfn, 1), 1);
	head = g.vmemmap_base + pfn * sp;
	/* A vmemmap page of the same block outside the hugepage's. */
	other = head + 8 * ps;
	if ((other & ~(pmd_size - 1)) != (head & ~(pmd_size - 1)))
		other = head - ps;

	/* vmemmap_split_pmd(): PAGE_KERNEL PTEs onto the block's pages. */
	e = leaf_entry(m, other, "pte", &other_pa);
	if (e != mk_entry(&g, other_pa, pk))
		fail_msg("%s: split PTE 0x%016llx, want 0x%016llx", spec,
			 (unsigned long long)e,
			 (unsigned long long)mk_entry(&g, other_pa, pk));
	/* The head's page stays writable, the tails read it. */
	e = leaf_entry(m, head, "pte", &head_pa);
	if (e != mk_entry(&g, head_pa, pk))
		fail_msg("%s: head PTE 0x%016llx, want 0x%016llx", spec,
			 (unsigned long long)e,
			 (unsigned long long)mk_entry(&g, head_pa, pk));
	e = leaf_entry(m, head + ps, "pte", &pa);
	assert_int_equal(pa, head_pa);
	if (e != mk_entry(&g, pa, ro))
		fail_msg("%s: tail PTE 0x%016llx, want 0x%016llx", spec,
			 (unsigned long long)e,
			 (unsigned long long)mk_entry(&g, pa, ro));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * arm64 (L6.1 and L6.12 arch/arm64/include/asm/pgtable-prot.h; the blocks
 * from vmemmap_populate(), L6.1 arch/arm64/mm/mmu.c:1256, and
 * vmemmap_set_pmd(), L6.12 :1194): PROT_SECT_NORMAL has no PTE_DIRTY,
 * and no PTE_WRITE before 6.5; PAGE_KERNEL and PAGE_KERNEL_RO have
 * PTE_DIRTY. With KPTI every one of them is nG.
 */
static void
test_arm64_vmemmap_entries(void **state)
{
	static const struct {
		const char *spec;
		uint64_t block, pk, ro;
	} cases[] = {
		{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead,kernel=6.1,kpti=off",
		  UINT64_C(0x0060000000000701), UINT64_C(0x00e8000000000703),
		  UINT64_C(0x00e0000000000783) },
		{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead,kernel=6.1,kpti=on",
		  UINT64_C(0x0060000000000f01), UINT64_C(0x00e8000000000f03),
		  UINT64_C(0x00e0000000000f83) },
		/* 6.1.15, the last 6.1 with arm64 HVO, on its own. */
		{ "arm64:granule=4K,va=48,mem=1G,kernel=6.1.15",
		  UINT64_C(0x0060000000000f01), UINT64_C(0x00e8000000000f03),
		  UINT64_C(0x00e0000000000f83) },
		{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead,kernel=6.4,kpti=on",
		  UINT64_C(0x0060000000000f01), UINT64_C(0x00e8000000000f03),
		  UINT64_C(0x00e0000000000f83) },
		{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead,kernel=6.5,kpti=on",
		  UINT64_C(0x0068000000000f01), UINT64_C(0x00e8000000000f03),
		  UINT64_C(0x00e0000000000f83) },
		{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead,kernel=6.5,kpti=off",
		  UINT64_C(0x0068000000000701), UINT64_C(0x00e8000000000703),
		  UINT64_C(0x00e0000000000783) },
		{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead,kernel=6.12,kpti=off",
		  UINT64_C(0x0068000000000701), UINT64_C(0x00e8000000000703),
		  UINT64_C(0x00e0000000000783) },
		{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead,kernel=6.12,kpti=on",
		  UINT64_C(0x0068000000000f01), UINT64_C(0x00e8000000000f03),
		  UINT64_C(0x00e0000000000f83) },
		{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead,kernel=6.12",
		  UINT64_C(0x0068000000000f01), UINT64_C(0x00e8000000000f03),
		  UINT64_C(0x00e0000000000f83) },
		/* 16K and 64K map the vmemmap with pages only. */
		{ "arm64:granule=16K,va=48,mem=1G,kernel=6.1,kpti=off", 0,
		  UINT64_C(0x00e8000000000703), 0 },
		{ "arm64:granule=16K,va=48,mem=1G,kernel=6.1,kpti=on", 0,
		  UINT64_C(0x00e8000000000f03), 0 },
		{ "arm64:granule=16K,va=48,mem=1G,kernel=6.12,kpti=off", 0,
		  UINT64_C(0x00e8000000000703), 0 },
		{ "arm64:granule=16K,va=48,mem=1G,kernel=6.12,kpti=on", 0,
		  UINT64_C(0x00e8000000000f03), 0 },
		{ "arm64:granule=64K,va=48,mem=1G,kernel=6.1,kpti=off", 0,
		  UINT64_C(0x00e8000000000703), 0 },
		{ "arm64:granule=64K,va=48,mem=1G,kernel=6.1,kpti=on", 0,
		  UINT64_C(0x00e8000000000f03), 0 },
		{ "arm64:granule=64K,va=48,mem=1G,kernel=6.12,kpti=off", 0,
		  UINT64_C(0x00e8000000000703), 0 },
		{ "arm64:granule=64K,va=48,mem=1G,kernel=6.12,kpti=on", 0,
		  UINT64_C(0x00e8000000000f03), 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_vmemmap_entries(cases[i].spec, cases[i].block,
				      cases[i].pk, cases[i].ro);
}

/*
 * x86 and riscv map the vmemmap's blocks with their PAGE_KERNEL: x86's
 * vmemmap_set_pmd() writes PAGE_KERNEL_LARGE, P RW A D PS G NX
 * (L6.12 arch/x86/mm/init_64.c:1519-1526, pgtable_types.h:233), riscv's
 * PAGE_KERNEL (L6.12 arch/riscv/mm/init.c:1461-1465). The PTEs are
 * PAGE_KERNEL and PAGE_KERNEL_RO (x86 since 6.6: no D; riscv has no RO).
 */
static void
test_vmemmap_entries_x86_riscv(void **state)
{
	(void)state;
	check_vmemmap_entries("x86_64:mem=1G,hvo=fakehead",
			      UINT64_C(0x80000000000001e3),
			      UINT64_C(0x8000000000000163),
			      UINT64_C(0x8000000000000121));
	check_vmemmap_entries("x86_64:mem=1G,hvo=fakehead,kernel=6.1",
			      UINT64_C(0x80000000000001e3),
			      UINT64_C(0x8000000000000163),
			      UINT64_C(0x8000000000000161));
	/* No PAGE_KERNEL_RO on riscv: the tails stay V R W A D G. */
	check_vmemmap_entries("riscv64:mem=1G,hvo=fakehead", UINT64_C(0xe7),
			      UINT64_C(0xe7), UINT64_C(0xe7));
}

/*
 * Simulated RAM is address space only: 1 TiB of it costs the host nothing
 * until it is written.
 */
static void
test_1t_ram_is_lazy(void **state)
{
	struct hvo_mem_range r = { 0, UINT64_C(1) << 40 };
	struct phys p;
	uint64_t before = tu_rss_bytes(), cost;

	(void)state;
	assert_int_equal(phys_init(&p, &r, 1, 12), 0);
	/* Read a few frames: reads of untouched memory cost nothing either. */
	for (uint64_t pa = 0; pa < r.size; pa += UINT64_C(1) << 34)
		assert_int_equal(*(const volatile uint8_t *)phys_to_host_ro(&p, pa, NULL), 0);
	cost = tu_rss_bytes() - before;
	if (cost >= 64 * MIB)
		print_error("1 TiB of simulated RAM costs %llu MiB\n",
			    (unsigned long long)(cost / MIB));
	assert_true(cost < 64 * MIB);
	phys_fini(&p);
}

/*
 * A booted machine costs what its kernel wrote: the struct pages boot
 * initialized (low zones, the reserved frames, the first section of the
 * highest zone; the rest is deferred) and the page tables, within 10%
 * and 32 MiB of bookkeeping (page_owner, the sanitizers' own heap).
 */
static void
check_huge_machine(const char *spec)
{
	struct hvo_machine *m;
	struct hvo_geometry g;
	struct hvo_zone_info z;
	uint64_t before, cost, deferred = 0, pt, written;

	before = tu_rss_bytes();
	m = tu_machine(spec);
	cost = tu_rss_bytes() - before;
	g = tu_geometry(m);
	assert_int_equal(hvo_machine_total_pages(m) * g.page_size,
			 UINT64_C(1) << 40);
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++)
		deferred += z.deferred_pages;
	assert_true(deferred > 0);
	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_PAGETABLE, &pt), 0);
	written = (hvo_machine_total_pages(m) - deferred) * g.struct_page_size +
		  pt * g.page_size;
	if (cost > written + written / 10 + 32 * MIB)
		print_error("%s costs %llu MiB of host RSS for %llu MiB written\n",
			    spec, (unsigned long long)(cost / MIB),
			    (unsigned long long)(written / MIB));
	assert_true(cost <= written + written / 10 + 32 * MIB);
	/* Far below the vmemmap the kernel mapped for all of RAM. */
	assert_true(written < hvo_machine_total_pages(m) * g.struct_page_size / 2);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_1t_machine(void **state)
{
	(void)state;
	check_huge_machine("x86_64:mem=1T");
	check_huge_machine("arm64-64k-48:mem=1T");
}

/*
 * page_to_pfn() as the kernel's pointer subtraction: a shift where struct
 * page is a power of two, a division where it is not (56, 72 and 80
 * bytes), with the same answer for any offset, a struct page's start or
 * not; and per_page, the struct pages of a vmemmap page, on 4K and 64K.
 */
static void
test_struct_page_arithmetic(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=256M", "x86_64:mem=256M,struct_page=72",
		"x86_64:mem=256M,struct_page=56", "x86_64:mem=256M,struct_page=128",
		"x86_64:mem=256M,struct_page=80", "arm64-64k-48:mem=1G",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct hvo_machine *m = tu_machine(specs[i]);
		const struct page_layout *l;
		unsigned size;

		assert_non_null(m);
		l = page_layout(m);
		size = m->cfg.struct_page_size;
		assert_int_equal(l->size, size);
		assert_int_equal(l->per_page, m->arch.page_size / size);
		if (is_pow2(size))
			assert_int_equal(UINT64_C(1) << l->shift, size);
		else
			assert_int_equal(l->shift, 0);
		for (uint64_t x = 0; x < 4 * UINT64_C(4096); x += 3)
			assert_int_equal(page_layout_div(l, x), x / size);
		assert_int_equal(page_layout_div(l, UINT64_MAX), UINT64_MAX / size);
		for (pfn_t pfn = m->vmemmap_pfn_lo; pfn < m->vmemmap_pfn_hi;
		     pfn += 4099) {
			page_t page = pfn_to_page(m, pfn);

			assert_int_equal(page_to_pfn(m, page), pfn);
			assert_int_equal(page_to_pfn(m, page + size - 1), pfn);
		}
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/* The entries of every counter, to see what a call reads and writes. */
static void
counters_of(const struct hvo_machine *m, uint64_t *c)
{
	for (size_t i = 0; i < hvo_counter_count(); i++)
		c[i] = hvo_machine_counter(m, i);
}

/*
 * The kernel's accessors on every preset find the slots a walk reports,
 * folding the levels the arch lacks into the one above as the kernel
 * does; the offsets count nothing, ptep_get() and set_pte_at() one each.
 */
static void
test_kernel_accessors(void **state)
{
	static const enum pt_role roles[] = { PT_P4D, PT_PUD, PT_PMD };

	(void)state;
	for (size_t i = 0; i < hvo_preset_count(); i++) {
		struct hvo_machine *m = tu_preset_machine(i, "mem=256M");
		struct hvo_geometry g = tu_geometry(m);
		uint64_t va = g.vmemmap_base + g.first_pfn * g.struct_page_size;
		uint64_t before[CNT__COUNT], after[CNT__COUNT], slot, ptep;
		unsigned pte = g.levels - 1;
		struct hvo_walk w;
		pte_t e;

		assert_int_equal(hvo_walk(m, va, &w), 0);
		if (w.leaf_size > g.page_size) {
			assert_true(pmd_leaf(m, w.level[pte - 1].entry));
			assert_int_equal(pmd_pfn(m, w.level[pte - 1].entry),
					 w.pa >> g.page_shift);
			assert_int_equal(hvo_split(m, va), 0);
			assert_int_equal(hvo_walk(m, va, &w), 0);
		}
		assert_int_equal(w.nr_levels, g.levels);
		assert_false(pmd_leaf(m, w.level[pte - 1].entry));

		counters_of(m, before);
		slot = pgd_offset_k(m, va);
		assert_int_equal(slot, w.level[0].entry_pa);
		for (size_t r = 0; r < 3; r++) {
			int d = arch_depth_of_role(&m->arch, roles[r]);

			slot = pt_level_offset(m, roles[r], slot, va);
			assert_int_equal(slot, w.level[d > 0 ? d : 0].entry_pa);
		}
		assert_int_equal(pmd_off_k(m, va), slot);
		ptep = pte_offset_kernel(m, slot, va);
		assert_int_equal(ptep, w.level[pte].entry_pa);
		counters_of(m, after);
		assert_memory_equal(before, after, sizeof(before));

		e = ptep_get(m, ptep);
		assert_int_equal(e, w.level[pte].entry);
		assert_int_equal(pte_pfn(m, e), w.pa >> g.page_shift);
		assert_int_equal(pte_pfn(m, mk_pte(m, pte_pfn(m, e),
						   m->arch.page_kernel_ro)),
				 w.pa >> g.page_shift);
		set_pte_at(m, va, ptep, e);
		counters_of(m, after);
		assert_int_equal(after[CNT_PT_READ_PTE], before[CNT_PT_READ_PTE] + 1);
		assert_int_equal(after[CNT_PT_WRITE_PTE], before[CNT_PT_WRITE_PTE] + 1);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * A malformed entry above a page stops every edit that must walk through
 * it (map, unmap, split, protect) with -EINVAL naming the entry, as a
 * load through it faults; nothing changes. Put back, all of them work.
 */
static void
test_malformed_entry_refused(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_geometry g = tu_geometry(m);
	const struct hvo_arch *a = &m->arch;
	unsigned pmd = pmd_depth(m);
	uint64_t pa = free_pa(m), va = map_scratch_page(m, pa);
	uint64_t pmdp = pmd_off_k(m, va), good, bad, v, writes;
	char what[256];

	(void)state;
	good = pt_get(m, pmd, pmdp);
	/* A 2M leaf with bit 13, a reserved address bit, set. */
	bad = a->ops.mk_leaf(a, pmd, 0, a->page_kernel) | (UINT64_C(1) << 13);
	pt_set(m, pmd, va, pmdp, bad);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	writes = tu_counter(m, "pt.write.pte");

	assert_int_equal(hvo_kread64(m, va, &v), -EFAULT);
	snprintf(what, sizeof(what),
		 "malformed %s entry 0x%016" PRIx64 ": reserved address bits set in a large leaf",
		 a->level[pmd].name, bad);
	assert_int_equal(hvo_map(m, va + g.page_size, pa + g.page_size,
				 g.page_size, HVO_PROT_KERNEL), -EINVAL);
	assert_string_equal(hvo_machine_error(m), what);

	snprintf(what, sizeof(what),
		 "malformed %s entry for va 0x%" PRIx64 ": reserved address bits set in a large leaf",
		 a->level[pmd].name, va);
	assert_int_equal(hvo_unmap(m, va), -EINVAL);
	assert_string_equal(hvo_machine_error(m), what);
	assert_int_equal(hvo_split(m, va), -EINVAL);
	assert_string_equal(hvo_machine_error(m), what);
	assert_int_equal(hvo_protect(m, va, HVO_PROT_KERNEL_RO), -EINVAL);
	assert_string_equal(hvo_machine_error(m), what);
	assert_int_equal(tu_counter(m, "pt.write.pte"), writes);
	assert_int_equal(pt_get(m, pmd, pmdp), bad);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);

	pt_set(m, pmd, va, pmdp, good);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	assert_int_equal(hvo_protect(m, va, HVO_PROT_KERNEL_RO), 0);
	assert_int_equal(hvo_map(m, va + g.page_size, pa + g.page_size,
				 g.page_size, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * A map that needs a new table, and a split, both get the table from the
 * page allocator after boot: when that fails they fail with -ENOMEM and
 * leave the page table as it was.
 */
static void
test_table_alloc_fails(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M,pcp=off");
	struct hvo_geometry g = tu_geometry(m);
	unsigned pmd = pmd_depth(m);
	uint64_t size = g.level_leaf_size[pmd];
	uint64_t pa = (hvo_machine_config(m)->mem[0].size / 2) & ~(size - 1);
	uint64_t va = tu_free_kernel_va(m, pmd - 1), tables;
	struct hvo_walk w;

	(void)state;
	/* Nothing below the PUD yet: a page needs a PMD and a PTE table. */
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_false(w.level[pmd - 1].valid);
	tables = tu_pages(m, HVO_PAGES_PAGETABLE);
	assert_int_equal(hvo_fail_page_alloc(m, 1, false), 0);
	assert_int_equal(hvo_map(m, va, pa, g.page_size, HVO_PROT_KERNEL),
			 -ENOMEM);
	assert_string_equal(hvo_machine_error(m),
			    "page allocation failed (fault injection)");
	assert_int_equal(tu_pages(m, HVO_PAGES_PAGETABLE), tables);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_false(w.mapped);
	assert_false(w.level[pmd - 1].valid);
	tu_assert_check(m);

	/* A 2M leaf maps with no new table below the PMD one... */
	assert_int_equal(hvo_map(m, va, pa, size, HVO_PROT_KERNEL), 0);
	tables = tu_pages(m, HVO_PAGES_PAGETABLE);
	/* ...and its split needs one. */
	assert_int_equal(hvo_fail_page_alloc(m, 1, false), 0);
	assert_int_equal(hvo_split(m, va), -ENOMEM);
	assert_string_equal(hvo_machine_error(m),
			    "page allocation failed (fault injection)");
	assert_int_equal(tu_pages(m, HVO_PAGES_PAGETABLE), tables);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_int_equal(w.leaf_size, size);
	assert_int_equal(w.pa, pa);
	tu_assert_check(m);

	assert_int_equal(hvo_split(m, va), 0);
	assert_int_equal(tu_pages(m, HVO_PAGES_PAGETABLE), tables + 1);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_int_equal(w.leaf_size, g.page_size);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Host pages of freed frames are reused only once no TLB entry can reach
 * them. Frames freed while a translation of one is still cached (no flush
 * yet) pass lib/phys's reclaim threshold (16384 dropped host pages), so
 * the reclaim asks the TLB which pages are live (tlb_mark_live()): the
 * cached page stays pending while every other one is reused, and the
 * stale translation keeps reading the bytes it cached, never another
 * frame's. After the flush the frame reads as what it is now.
 */
#define RECLAIM_BLOCKS 34 /* PMD-sized: 34 * 512 frames > 16384 */

static bool
host_page_in(const uint32_t *v, uint64_t n, uint64_t idx)
{
	for (uint64_t i = 0; i < n; i++)
		if (v[i] == idx)
			return true;
	return false;
}

static void
test_reclaim_spares_cached_pages(void **state)
{
	/* A TLB large enough that nothing below evicts the cached entry. */
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,pcp=off,tlb=65536");
	struct hvo_geometry g = tu_geometry(m);
	unsigned pmd = pmd_depth(m), order = 0;
	uint64_t size = g.level_leaf_size[pmd], pages = size / g.page_size;
	uint64_t base = tu_free_kernel_va(m, pmd - 1), cached = base + 2 * size;
	uint64_t pfn[2][RECLAIM_BLOCKS], v, idx, hits;
	const struct tlb_entry *e = tlb_slot(&m->tlb, cached);

	(void)state;
	while ((UINT64_C(1) << order) < pages)
		order++;
	/* Every frame of the blocks gets a host page of its own. */
	for (unsigned i = 0; i < RECLAIM_BLOCKS; i++) {
		uint64_t va = base + i * size;

		assert_int_equal(hvo_alloc_pages(m, order, HVO_GFP_KERNEL,
						 &pfn[0][i]), 0);
		assert_int_equal(hvo_map(m, va, pfn[0][i] << g.page_shift, size,
					 HVO_PROT_KERNEL), 0);
		for (uint64_t k = 0; k < pages; k++)
			assert_int_equal(hvo_kwrite64(m, va + k * g.page_size,
						      MAGIC_A), 0);
	}
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	/* One translation cached: the TLB's only entry for those frames. */
	assert_int_equal(hvo_kread64(m, cached, &v), 0);
	assert_int_equal(v, MAGIC_A);
	assert_int_equal(e->tag_read, cached);
	idx = (e->addend + cached - (uintptr_t)m->phys.arena) >> g.page_shift;

	for (unsigned i = 0; i < RECLAIM_BLOCKS; i++)
		assert_int_equal(hvo_free_pages(m, pfn[0][i], order), 0);
	/* The reclaim ran, and spared the page the TLB still reaches. */
	assert_int_equal(e->tag_read, cached);
	assert_true(m->phys.nr_free >= 16384 - 1);
	assert_true(host_page_in(m->phys.pending, m->phys.nr_pending, idx));
	assert_false(host_page_in(m->phys.free_pages, m->phys.nr_free, idx));

	/* New frames written take every reusable page... */
	for (unsigned i = 0; i < RECLAIM_BLOCKS; i++) {
		uint64_t va = base + (RECLAIM_BLOCKS + i) * size;

		assert_int_equal(hvo_alloc_pages(m, order, HVO_GFP_KERNEL,
						 &pfn[1][i]), 0);
		assert_int_equal(hvo_map(m, va, pfn[1][i] << g.page_shift, size,
					 HVO_PROT_KERNEL), 0);
		for (uint64_t k = 0; k < pages; k++)
			assert_int_equal(hvo_kwrite64(m, va + k * g.page_size,
						      MAGIC_B), 0);
	}
	assert_int_equal(m->phys.nr_free, 0);
	/* ...but not the cached one: a hit still reads what it cached. */
	hits = tu_counter(m, "tlb.hit");
	assert_int_equal(hvo_kread64(m, cached, &v), 0);
	assert_int_equal(tu_counter(m, "tlb.hit"), hits + 1);
	assert_int_equal(v, MAGIC_A);

	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_int_equal(hvo_kread64(m, cached, &v), 0);
	assert_true(v != MAGIC_A);

	for (unsigned i = 0; i < 2 * RECLAIM_BLOCKS; i++)
		assert_int_equal(hvo_unmap(m, base + i * size), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	for (unsigned i = 0; i < RECLAIM_BLOCKS; i++)
		assert_int_equal(hvo_free_pages(m, pfn[1][i], order), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Host memory only: vmemmap pages described as a template plus the words
 * that differ (mm/memmap_compact.c) read back, byte for byte, what the
 * same operations leave on a machine that keeps every written page, and
 * every counter agrees. The pool follows alloc_pool_huge_folios() and
 * update_and_free_pages_bulk() (6.12) on both machines.
 */
static void
compare_memmaps(struct hvo_machine *a, struct hvo_machine *b)
{
	uint64_t lo, hi, va, x, y;

	assert_int_equal(hvo_pfn_to_page(a, a->vmemmap_pfn_lo, &lo), 0);
	assert_int_equal(hvo_pfn_to_page(a, a->vmemmap_pfn_hi - 1, &hi), 0);
	for (va = lo; va < hi + a->cfg.struct_page_size; va += 8) {
		/* The same reads on both: their TLB counters stay equal. */
		assert_int_equal(hvo_kread64(a, va, &x), 0);
		assert_int_equal(hvo_kread64(b, va, &y), 0);
		if (x != y)
			print_error("va 0x%" PRIx64 ": 0x%" PRIx64 " != 0x%" PRIx64 "\n",
				    va, x, y);
		assert_int_equal(x, y);
	}
	/* Every counter of simulated work; host.* counts the host's. */
	for (size_t i = 0; i < hvo_counter_count(); i++) {
		if (strncmp(hvo_counter_name(i), "host.", 5) == 0)
			continue;
		if (hvo_machine_counter(a, i) != hvo_machine_counter(b, i))
			print_error("counter %s: %" PRIu64 " != %" PRIu64 "\n",
				    hvo_counter_name(i), hvo_machine_counter(a, i),
				    hvo_machine_counter(b, i));
		assert_int_equal(hvo_machine_counter(a, i),
				 hvo_machine_counter(b, i));
	}
}

static void
test_compact_vmemmap_reads_back(void **state)
{
	const char *spec = "x86_64:mem=2G,hvo=sharedtail";
	struct hvo_machine *a = tu_machine(spec), *b = tu_machine(spec);
	const uint64_t sizes[] = { 2 << 20, 2 << 20 };
	const uint64_t nrs[] = { 400, 0 };

	(void)state;
	/* Machine a compacts whatever it can; b never does. */
	assert_int_equal(memmap_compact_set_budget(a, 0), 0);
	assert_int_equal(memmap_compact_set_budget(b, UINT64_MAX), 0);
	for (unsigned k = 0; k < 2; k++) {
		uint64_t held_a, held_b, fills;

		assert_int_equal(hvo_set_nr_hugepages(a, sizes[k], nrs[k]), 0);
		assert_int_equal(hvo_set_nr_hugepages(b, sizes[k], nrs[k]), 0);
		/* Described, with fewer host pages written. */
		held_a = phys_host_frames(&a->phys);
		held_b = phys_host_frames(&b->phys);
		assert_true(a->counter[CNT_HOST_MEMMAP_COMPACT] > 0);
		assert_int_equal(b->counter[CNT_HOST_MEMMAP_COMPACT], 0);
		assert_true(held_a < held_b);
		fills = a->counter[CNT_HOST_MEMMAP_FILL];
		compare_memmaps(a, b);
		/* Reading the described frames back made their bytes again. */
		assert_true(a->counter[CNT_HOST_MEMMAP_FILL] > fills);
		tu_assert_check(a);
		tu_assert_check(b);
	}
	hvo_machine_free(a);
	hvo_machine_free(b);
}

/*
 * Twin machines of @spec with @nr 2M hugepages: a compacts every page it
 * can, b none. Their first hugepage's pfn; the TLBs flushed, a's vmemmap
 * compacted, so that its first hugepage's head page is described.
 */
static uint64_t
described_twins(const char *spec, uint64_t nr, struct hvo_machine **a,
		struct hvo_machine **b)
{
	uint64_t pfn;

	*a = tu_machine(spec);
	*b = tu_machine(spec);
	assert_int_equal(memmap_compact_set_budget(*a, 0), 0);
	assert_int_equal(memmap_compact_set_budget(*b, UINT64_MAX), 0);
	assert_int_equal(hvo_set_nr_hugepages(*a, 2 << 20, nr), 0);
	assert_int_equal(hvo_set_nr_hugepages(*b, 2 << 20, nr), 0);
	assert_int_equal(tu_pool_pfns(*a, 2 << 20, &pfn, 1), 1);
	assert_int_equal(hvo_flush_tlb_all(*a), 0);
	assert_int_equal(hvo_flush_tlb_all(*b), 0);
	memmap_compact_flush(*a);
	return pfn;
}

/* The twins agree byte for byte and count for count, and pass the check. */
static void
described_twins_end(struct hvo_machine *a, struct hvo_machine *b)
{
	compare_memmaps(a, b);
	tu_assert_check(a);
	tu_assert_check(b);
	hvo_machine_free(a);
	hvo_machine_free(b);
}

/*
 * kaccess_described64() (as folio_set_vmemmap_optimized() uses it) on a
 * vmemmap page the host compacted: a load misses and walks as any load
 * and leaves the TLB entry without a host page, the frame described; a
 * store through the entry hits and changes the description, not the
 * frame; a plain load then hits and reads the store; a single page
 * flush drops the entry. Machine b, which never compacts, makes the same
 * accesses with kread64()/kwrite64(): the bytes and every counter of
 * simulated work agree.
 */
static void
test_described_word_access(void **state)
{
	struct hvo_machine *a, *b;
	uint64_t pfn, va, frame, payload, before, v, w, fills;
	static uint8_t bytes[2][4096];
	const struct tlb_entry *e;
	unsigned off;

	(void)state;
	pfn = described_twins("x86_64:mem=2G,hvo=sharedtail", 100, &a, &b);
	assert_int_equal(a->arch.page_size, sizeof(bytes[0]));
	off = page_layout(a)->private_;
	va = pfn_to_page(a, pfn) + off;
	frame = tu_vmemmap_frame(a, pfn, 0);
	assert_int_equal(tu_vmemmap_frame(b, pfn, 0), frame); /* one walk each */
	assert_true(phys_lazy_payload(&a->phys, frame, &before));
	assert_int_equal(before >> MEMMAP_PAYLOAD_PFN_BITS, MEMMAP_TPL_COMPACT);
	memmap_compact_peek(a, frame, before, bytes[0]);
	fills = a->counter[CNT_HOST_MEMMAP_FILL];

	/* A load: a miss and a walk, the frame still described. */
	assert_true(kaccess_described64(a, va, false, &v));
	assert_int_equal(hvo_kread64(b, va, &w), 0);
	assert_int_equal(v, w);
	assert_true(v != 0); /* HPG_vmemmap_optimized */
	assert_true(phys_lazy_payload(&a->phys, frame, &payload));
	assert_int_equal(payload, before);
	e = tlb_slot(&a->tlb, va);
	assert_true(tlb_entry_hostless(e, va & a->tlb.page_mask));
	assert_true(tlb_check_stale(a) == 0);

	/* The flag cleared: a load and a store that hit, a new description. */
	folio_set_vmemmap_optimized(a, pfn, false);
	folio_set_vmemmap_optimized(b, pfn, false);
	assert_true(phys_lazy_payload(&a->phys, frame, &payload));
	assert_true(payload != before);
	assert_int_equal(payload >> MEMMAP_PAYLOAD_PFN_BITS, MEMMAP_TPL_COMPACT);
	assert_true(kaccess_described64(a, va, false, &v));
	assert_int_equal(hvo_kread64(b, va, &w), 0);
	assert_int_equal(v, 0);
	assert_int_equal(w, 0);
	/* Set again: the bytes it had. */
	folio_set_vmemmap_optimized(a, pfn, true);
	folio_set_vmemmap_optimized(b, pfn, true);
	assert_true(phys_lazy_payload(&a->phys, frame, &payload));
	assert_int_equal(payload >> MEMMAP_PAYLOAD_PFN_BITS, MEMMAP_TPL_COMPACT);
	memmap_compact_peek(a, frame, payload, bytes[1]);
	assert_memory_equal(bytes[0], bytes[1], sizeof(bytes[0]));
	assert_int_equal(a->counter[CNT_HOST_MEMMAP_FILL], fills);

	/*
	 * The flag cleared and set again on more heads, each described by
	 * the same shape: the same edits, built once or twice, then
	 * remembered.
	 */
	{
		uint64_t pfns[6];

		assert_int_equal(tu_pool_pfns(a, 2 << 20, pfns, 6), 6);
		for (unsigned k = 1; k < 6; k++) {
			folio_set_vmemmap_optimized(a, pfns[k], false);
			folio_set_vmemmap_optimized(b, pfns[k], false);
			folio_set_vmemmap_optimized(a, pfns[k], true);
			folio_set_vmemmap_optimized(b, pfns[k], true);
		}
		assert_true(a->compact->edit_hits > 0);
		assert_int_equal(a->counter[CNT_HOST_MEMMAP_FILL], fills);
	}

	/* A plain load hits the entry, which gets its host page. */
	assert_int_equal(hvo_kread64(a, va - off, &v), 0);
	assert_int_equal(hvo_kread64(b, va - off, &w), 0);
	assert_int_equal(v, w);
	assert_false(tlb_entry_hostless(e, va & a->tlb.page_mask));
	assert_int_equal(a->counter[CNT_HOST_MEMMAP_FILL], fills + 1);

	/* A flush of the page drops a hostless entry too. */
	flush_tlb_kernel_range(a, va & a->tlb.page_mask,
			       (va & a->tlb.page_mask) + a->arch.page_size);
	flush_tlb_kernel_range(b, va & b->tlb.page_mask,
			       (va & b->tlb.page_mask) + b->arch.page_size);
	memmap_compact_flush(a);
	assert_true(kaccess_described64(a, va, false, &v));
	assert_int_equal(hvo_kread64(b, va, &w), 0);
	assert_int_equal(v, w);
	e = tlb_slot(&a->tlb, va);
	assert_true(tlb_entry_hostless(e, va & a->tlb.page_mask));
	/* The checker puts the machine's TLB back as it was. */
	tu_assert_check(a);
	assert_true(tlb_entry_hostless(e, va & a->tlb.page_mask));
	flush_tlb_kernel_range(a, va & a->tlb.page_mask,
			       (va & a->tlb.page_mask) + a->arch.page_size);
	flush_tlb_kernel_range(b, va & b->tlb.page_mask,
			       (va & b->tlb.page_mask) + b->arch.page_size);
	assert_false(tlb_entry_hostless(e, va & a->tlb.page_mask));
	assert_true(kaccess_described64(a, va, false, &v));
	assert_int_equal(hvo_kread64(b, va, &w), 0);

	described_twins_end(a, b);
}

/*
 * vmemmap_split_pmd() reads PageReserved() of the first struct page of
 * the block it splits (split_vmemmap_huge_pmd(), 6.12: a block from the
 * buddy is split_page()d, memblock's is not). With the compaction's state
 * up, that load is answered by the description of the vmemmap page it
 * lies in, a template alone: the page stays described instead of taking
 * a host page for one word (at 8 TiB, 250 MiB of them before the batch's
 * first compaction). Machine a keeps every page it writes, so only
 * the load could have given one; machine b, without the compaction's
 * state, loads plainly: the bytes and every counter agree.
 */
static void
test_described_split_load(void **state)
{
	const char *spec = "x86_64:mem=2G,hvo=sharedtail";
	struct hvo_machine *a = tu_machine(spec), *b = tu_machine(spec);
	const unsigned shift = a->arch.page_shift;
	uint64_t frame[32], lo, hi, va, payload;
	unsigned n = 0;

	(void)state;
	assert_int_equal(memmap_compact_set_budget(a, UINT64_MAX), 0);
	assert_null(b->compact);
	assert_int_equal(hvo_pfn_to_page(a, a->vmemmap_pfn_lo, &lo), 0);
	assert_int_equal(hvo_pfn_to_page(a, a->vmemmap_pfn_hi - 1, &hi), 0);
	/* Each PMD block of the memmap, and the frame of its first struct page. */
	for (va = lo & ~(UINT64_C(0x1fffff)); va <= hi; va += 2 << 20) {
		struct hvo_walk w;
		uint64_t block;

		assert_int_equal(hvo_walk(a, va, &w), 0);
		assert_int_equal(hvo_walk(b, va, &w), 0);
		assert_true(w.mapped);
		assert_int_equal(w.leaf_size, 2 << 20);
		block = (w.pa & ~(w.leaf_size - 1)) >> shift;
		assert_true(n < sizeof(frame) / sizeof(frame[0]));
		frame[n] = tu_vmemmap_frame(a, block, 0);
		assert_int_equal(tu_vmemmap_frame(b, block, 0), frame[n]);
		/* Boot memory's struct pages: a template, nothing more. */
		assert_true(phys_lazy_payload(&a->phys, frame[n], &payload));
		assert_true(payload >> MEMMAP_PAYLOAD_PFN_BITS !=
			    MEMMAP_TPL_COMPACT);
		n++;
	}
	/* One hugepage: one block split, none of its first pages freed. */
	assert_int_equal(hvo_set_nr_hugepages(a, 2 << 20, 1), 0);
	assert_int_equal(hvo_set_nr_hugepages(b, 2 << 20, 1), 0);
	assert_int_equal(a->counter[CNT_HVO_SPLIT_PMD], 1);
	for (unsigned i = 0; i < n; i++)
		assert_true(phys_lazy_payload(&a->phys, frame[i], &payload));
	described_twins_end(a, b);
}

/*
 * Twins (described_twins()) whose first hugepage's head struct page had
 * its private word flipped by a store: its vmemmap page written, and a
 * TLB entry holding it. The word's address in *@va, its old value in
 * *@v; returns the frame.
 */
static uint64_t
written_twins(struct hvo_machine **a, struct hvo_machine **b, uint64_t *va,
	      uint64_t *v)
{
	uint64_t pfn, frame, payload, w;

	pfn = described_twins("x86_64:mem=2G,hvo=sharedtail", 100, a, b);
	*va = pfn_to_page(*a, pfn) + page_layout(*a)->private_;
	assert_int_equal(hvo_kread64(*a, *va, v), 0);
	assert_int_equal(hvo_kread64(*b, *va, &w), 0);
	assert_int_equal(hvo_kwrite64(*a, *va, *v ^ 1), 0);
	assert_int_equal(hvo_kwrite64(*b, *va, w ^ 1), 0);
	frame = tu_vmemmap_frame(*a, pfn, 0);
	assert_int_equal(tu_vmemmap_frame(*b, pfn, 0), frame);
	assert_false(phys_lazy_payload(&(*a)->phys, frame, &payload));
	assert_true(tlb_reaches_pfn(&(*a)->tlb, frame));
	return frame;
}

/*
 * After written_twins()'s page was described on a, its entry holding no
 * host page: a load hits on both and reads the store; the word is put
 * back, and the twins compared.
 */
static void
written_twins_end(struct hvo_machine *a, struct hvo_machine *b, uint64_t va,
		  uint64_t v)
{
	uint64_t w, hits = tu_counter(a, "tlb.hit");

	assert_int_equal(tlb_check_stale(a), 0);
	assert_int_equal(hvo_kread64(a, va, &w), 0);
	assert_int_equal(w, v ^ 1);
	assert_int_equal(hvo_kread64(b, va, &w), 0);
	assert_int_equal(tu_counter(a, "tlb.hit"), hits + 1);
	assert_int_equal(hvo_kwrite64(a, va, v), 0);
	assert_int_equal(hvo_kwrite64(b, va, v), 0);
	described_twins_end(a, b);
}

/*
 * compact_pending() compacts a noted vmemmap page though the TLB still
 * reaches it: tlb_unhost_pfn() leaves those entries their translation
 * without the host page.
 */
static void
test_compact_reached(void **state)
{
	struct hvo_machine *a, *b;
	uint64_t va, v, frame, payload;

	(void)state;
	frame = written_twins(&a, &b, &va, &v);
	memmap_compact_note(a, va);
	memmap_compact_flush(a);
	assert_true(phys_lazy_payload(&a->phys, frame, &payload));
	assert_false(tlb_reaches_pfn(&a->tlb, frame));
	assert_true(tlb_entry_hostless(tlb_slot(&a->tlb, va),
				       va & a->tlb.page_mask));
	written_twins_end(a, b, va, v);
}

/*
 * memmap_compact_now() (a buddy hugepage just prepared, in a batch) over
 * the budget compacts the written vmemmap page at once, though the TLB
 * reaches it, and notes nothing: no pass runs, the list of notes is as
 * it was.
 */
static void
test_compact_now(void **state)
{
	struct hvo_machine *a, *b;
	uint64_t va, v, frame, payload;
	unsigned nr_pend;

	(void)state;
	frame = written_twins(&a, &b, &va, &v);
	nr_pend = a->compact->nr_pend;
	memmap_compact_now(a, va);
	assert_true(phys_lazy_payload(&a->phys, frame, &payload));
	assert_int_equal(a->compact->nr_pend, nr_pend);
	assert_false(tlb_reaches_pfn(&a->tlb, frame));
	written_twins_end(a, b, va, v);
}

/*
 * A compacted vmemmap page mapped read-only (fakehead: the tails' vmemmap
 * pages map the head's): kaccess_described64() loads through a TLB entry
 * without a host page, and a store through that entry walks and faults
 * as through any read-only entry, on both machines alike.
 */
static void
test_described_word_read_only(void **state)
{
	struct hvo_machine *a, *b;
	struct hvo_walk w0, w1;
	uint64_t pfn, va, payload, v, w;

	(void)state;
	pfn = described_twins("x86_64:mem=2G,hvo=fakehead", 20, &a, &b);
	w0 = tu_vmemmap_walk(a, pfn, 0);
	w1 = tu_vmemmap_walk(a, pfn, 1);
	(void)tu_vmemmap_walk(b, pfn, 0);
	(void)tu_vmemmap_walk(b, pfn, 1);
	assert_int_equal(w1.pa, w0.pa);
	assert_true(w0.writable);
	assert_false(w1.writable);
	va = pfn_to_page(a, pfn) + a->arch.page_size;
	assert_true(phys_lazy_payload(&a->phys, w0.pa >> a->arch.page_shift,
				      &payload));
	assert_int_equal(payload >> MEMMAP_PAYLOAD_PFN_BITS, MEMMAP_TPL_COMPACT);

	assert_true(kaccess_described64(a, va, false, &v));
	assert_int_equal(hvo_kread64(b, va, &w), 0);
	assert_int_equal(v, w);
	assert_true(tlb_entry_hostless(tlb_slot(&a->tlb, va), va));
	assert_int_equal(hvo_kwrite64(a, va, MAGIC_A), -EFAULT);
	assert_int_equal(hvo_kwrite64(b, va, MAGIC_A), -EFAULT);
	assert_false(tlb_entry_hostless(tlb_slot(&a->tlb, va), va));
	assert_int_equal(tu_counter(a, "fault.write_protect"), 1);

	described_twins_end(a, b);
}

/*
 * kaccess_described64() faults as a struct page access does: a misaligned
 * address or one nothing maps oopses the machine, a load gives 0, and the
 * fault is counted as any access's.
 */
static void
test_described_word_faults(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	uint64_t va = tu_free_kernel_va(m, tu_geometry(m).levels - 1);
	uint64_t v = 1, page;

	(void)state;
	assert_int_equal(hvo_pfn_to_page(m, m->vmemmap_pfn_lo, &page), 0);
	assert_false(kaccess_described64(m, page + 4, false, &v));
	assert_int_equal(v, 0);
	assert_int_equal(machine_oops_take(m, 0), -EINVAL);
	v = 1;
	assert_false(kaccess_described64(m, va, false, &v));
	assert_int_equal(v, 0);
	assert_int_equal(machine_oops_take(m, 0), -EFAULT);
	assert_false(kaccess_described64(m, va, true, &v));
	assert_int_equal(machine_oops_take(m, 0), -EFAULT);
	assert_int_equal(tu_counter(m, "fault.not_present"), 2);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The struct pages of free memory at @pfn's vmemmap page, @n of their
 * words (4 to 7 of each 64-byte struct page) set to small values through
 * the TLB, or back to @orig; then, the TLB flushed, the page compacted.
 */
static void
write_words_and_compact(struct hvo_machine *m, uint64_t pfn, unsigned n,
			uint64_t *orig, bool back)
{
	uint64_t page = pfn_to_page(m, pfn), frame = tu_vmemmap_frame(m, pfn, 0);

	for (unsigned k = 0; k < n; k++) {
		uint64_t va = page + (k / 4) * 64 + (4 + k % 4) * 8;

		if (!back)
			assert_int_equal(hvo_kread64(m, va, &orig[k]), 0);
		assert_int_equal(hvo_kwrite64(m, va, back ? orig[k] : 0x100 + k), 0);
	}
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_true(memmap_compact_frame(m, frame, page, UINT64_MAX));
}

/*
 * memmap_compact_word()'s edges: a store that leaves no word differing
 * describes the frame by its template alone; one that makes the record
 * larger than a record may be fills the frame instead, with the store in
 * it. Both read back what the stores wrote.
 */
static void
test_described_word_edges(void **state)
{
	/*
	 * Struct pages initialized at boot (deferred ones are zeros), in the
	 * middle of a free block: its head's words differ from the rest.
	 */
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,deferred=off");
	uint64_t pfn = (free_pa(m) >> m->arch.page_shift) + 64, orig[220];
	uint64_t page = pfn_to_page(m, pfn), frame, fills, payload, v;

	(void)state;
	assert_int_equal(page_layout(m)->size, 64);
	assert_int_equal(memmap_compact_set_budget(m, 0), 0);
	frame = tu_vmemmap_frame(m, pfn, 0);

	/* One word off its template, then back: the template alone. */
	write_words_and_compact(m, pfn, 1, orig, false);
	assert_true(phys_lazy_payload(&m->phys, frame, &payload));
	assert_int_equal(payload >> MEMMAP_PAYLOAD_PFN_BITS, MEMMAP_TPL_COMPACT);
	fills = m->counter[CNT_HOST_MEMMAP_FILL];
	assert_true(kaccess_described64(m, page + 32, true, &orig[0]));
	assert_true(phys_lazy_payload(&m->phys, frame, &payload));
	assert_true(payload >> MEMMAP_PAYLOAD_PFN_BITS != MEMMAP_TPL_COMPACT);
	assert_int_equal(m->counter[CNT_HOST_MEMMAP_FILL], fills);
	assert_true(kaccess_described64(m, page + 32, false, &v));
	assert_int_equal(v, orig[0]);

	/* 219 words off: a record of 1,362 bytes; a 220th does not fit. */
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	write_words_and_compact(m, pfn, 219, orig, false);
	assert_true(phys_lazy_payload(&m->phys, frame, &payload));
	assert_int_equal(payload >> MEMMAP_PAYLOAD_PFN_BITS, MEMMAP_TPL_COMPACT);
	assert_int_equal(hvo_kread64(m, page + 54 * 64 + 7 * 8, &orig[219]), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	v = 0x100 + 219;
	assert_true(kaccess_described64(m, page + 54 * 64 + 7 * 8, true, &v));
	assert_false(phys_lazy_payload(&m->phys, frame, &payload));
	assert_int_equal(hvo_kread64(m, page + 54 * 64 + 7 * 8, &v), 0);
	assert_int_equal(v, 0x100 + 219);
	assert_int_equal(hvo_kread64(m, page + 4 * 8, &v), 0);
	assert_int_equal(v, 0x100);

	/* Every struct page as it was, for the check. */
	write_words_and_compact(m, pfn, 220, orig, true);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * memmap_write_pages() over a vmemmap page its PTE table does not map, in
 * a region the walker's memo names (vmemmap_frame_walk()): the struct
 * pages are "not mapped", -EFAULT, as a walk from the top says.
 */
static void
test_memmap_write_unmapped_vmemmap_page(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G");
	uint64_t P = m->arch.page_size;
	uint64_t per = P / page_layout(m)->size;
	uint64_t span = arch_level_size(&m->arch, m->arch.levels - 2);
	pfn_t pfn = round_up64(m->vmemmap_pfn_lo + span / page_layout(m)->size,
			       span / page_layout(m)->size);
	kva_t va = pfn_to_page(m, pfn);
	uint8_t tpl[256];
	phys_addr_t pa;

	(void)state;
	assert_true(pfn + 8 * per <= m->vmemmap_pfn_hi);
	assert_int_equal(va % span, 0);
	/* The boot maps the vmemmap by PMD blocks: this one as PTEs. */
	assert_int_equal(pt_split(m, va, true, 0), 0);
	assert_int_equal(pt_unmap(m, va + 3 * P), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	/* A walk of the region's first page leaves its table in the memo. */
	assert_int_equal(pt_lookup(m, va, &pa, NULL), 0);
	page_template(m, pfn_zone(m, pfn), false, 1, tpl);
	assert_int_equal(memmap_write_pages(m, pfn, 8 * per, tpl), -EFAULT);
	hvo_machine_free(m);
}

/*
 * The same comparison over the variants, arches, a TLB small enough to
 * evict (its copies and aliases of described pages), page checks, 1G
 * pages, demote and a shrink that restores: each step on both machines,
 * then every struct page and counter compared.
 */
static void
test_compact_vmemmap_reads_back_configs(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=4G,hvo=fakehead",
		"x86_64:mem=4G,hvo=keep2,tlb=16",
		"x86_64:mem=4G,hvo=sharedtail,tlbcheck=on,checkpages=on",
		"x86_64:mem=4G,hvo=off",
		"arm64:granule=4K,mem=4G,kernel=6.1.15",
		"arm64:granule=64K,va=48,mem=4G",
		"arm64:granule=64K,va=48,mem=4G,hvo=sharedtail",
		"riscv64:mem=4G",
		"x86_64:mem=4G,struct_page=72",
	};
	static const struct {
		uint64_t size, nr;
		bool demote;
	} steps[] = {
		{ 2 << 20, 300, false },
		{ UINT64_C(512) << 20, 2, false },
		{ UINT64_C(1) << 30, 1, false },
		{ 2 << 20, 50, false },
		{ UINT64_C(1) << 30, 1, true },
		{ UINT64_C(1) << 30, 0, false },
		{ UINT64_C(512) << 20, 0, false },
		{ 2 << 20, 0, false },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(specs) / sizeof(specs[0]); c++) {
		struct hvo_machine *a = tu_machine(specs[c]);
		struct hvo_machine *b = tu_machine(specs[c]);

		assert_int_equal(memmap_compact_set_budget(a, 0), 0);
		assert_int_equal(memmap_compact_set_budget(b, UINT64_MAX), 0);
		/*
		 * The machines compare and write with the host's widest
		 * vectors, 32-byte ones, or none, in turn.
		 */
		a->compact->vec = (enum memmap_host_vec)(c % 3);
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct hvo_machine *both[2] = { a, b };
			uint64_t done[2] = { 0, 0 };
			int rc[2];

			/*
			 * Both machines answer alike, success or not (a 1G
			 * page may find no free aligned range).
			 */
			for (unsigned i = 0; i < 2; i++)
				rc[i] = steps[k].demote ?
					hvo_demote(both[i], steps[k].size, 1,
						   &done[i]) :
					hvo_set_nr_hugepages(both[i], steps[k].size,
							     steps[k].nr);
			assert_int_equal(rc[0], rc[1]);
			assert_int_equal(done[0], done[1]);
			compare_memmaps(a, b);
			tu_assert_check(a);
			tu_assert_check(b);
		}
		/*
		 * Buddy pages allocated and freed around a resize (its safe
		 * point describes what they wrote: poisoned list links,
		 * taken-off pages), then given back.
		 */
		{
			static uint64_t pfn[4096];
			unsigned n = 0;

			while (n < 4096 &&
			       hvo_alloc_pages(a, 0, HVO_GFP_KERNEL, &pfn[n]) == 0) {
				uint64_t same;

				assert_int_equal(hvo_alloc_pages(b, 0, HVO_GFP_KERNEL,
								 &same), 0);
				assert_int_equal(same, pfn[n]);
				n++;
			}
			/* Even pages, a resize to 8; odd ones, back to 0. */
			for (unsigned odd = 0; odd < 2; odd++) {
				for (unsigned i = odd; i < n; i += 2) {
					assert_int_equal(hvo_free_pages(a, pfn[i], 0), 0);
					assert_int_equal(hvo_free_pages(b, pfn[i], 0), 0);
				}
				assert_int_equal(hvo_set_nr_hugepages(a, 2 << 20,
								      odd ? 0 : 8), 0);
				assert_int_equal(hvo_set_nr_hugepages(b, 2 << 20,
								      odd ? 0 : 8), 0);
				compare_memmaps(a, b);
			}
		}
		tu_assert_check(a);
		tu_assert_check(b);
		/*
		 * Described pages on all but two. struct_page=72 does not
		 * divide a page (memmap_compact_frame() refuses). The 64K
		 * arm64 machine without HVO (its release builds none there)
		 * never flushes its TLB, whose 1024 entries of 64 KiB reach
		 * the whole 4 MiB vmemmap of 4 GiB of RAM: every page written
		 * stays reachable, and a page the TLB reaches is not
		 * described. With HVO, whose batches flush, it describes
		 * them.
		 */
		if (strcmp(specs[c], "arm64:granule=64K,va=48,mem=4G") != 0 &&
		    !strstr(specs[c], "struct_page=72"))
			assert_true(a->counter[CNT_HOST_MEMMAP_COMPACT] > 0);
		hvo_machine_free(a);
		hvo_machine_free(b);
	}
}

/* The first vmemmap page of @m described by a record, or 0. */
static uint64_t
described_vmemmap_page(struct hvo_machine *m)
{
	uint64_t lo, hi, pa, pl;

	assert_int_equal(hvo_pfn_to_page(m, m->vmemmap_pfn_lo, &lo), 0);
	assert_int_equal(hvo_pfn_to_page(m, m->vmemmap_pfn_hi - 1, &hi), 0);
	for (uint64_t va = lo; va < hi; va += m->arch.page_size)
		if (pt_lookup(m, va, &pa, NULL) == 0 &&
		    phys_lazy_payload(&m->phys, pa >> m->arch.page_shift, &pl) &&
		    pl >> MEMMAP_PAYLOAD_PFN_BITS == MEMMAP_TPL_COMPACT)
			return va & ~(m->arch.page_size - 1);
	return 0;
}

/*
 * Host memory only: the checker reads described struct pages through
 * scratch pages (tlb_scratch_begin()), so a check gives no frame a host
 * page of its own; what it reads is what a machine that keeps every page
 * holds, through more frames than there are scratch pages; and a store
 * made meanwhile gives its frame its own bytes, as any store does.
 */
/*
 * Twins for the compaction tests: @a compacts everything, @b nothing, each
 * with a pool of @n 2M hugepages.
 */
static void
compact_twin_pools(struct hvo_machine *a, struct hvo_machine *b, uint64_t n)
{
	assert_int_equal(memmap_compact_set_budget(a, 0), 0);
	assert_int_equal(memmap_compact_set_budget(b, UINT64_MAX), 0);
	assert_int_equal(hvo_set_nr_hugepages(a, 2 << 20, n), 0);
	assert_int_equal(hvo_set_nr_hugepages(b, 2 << 20, n), 0);
}

static void
test_check_reads_described_pages_in_scratch(void **state)
{
	const char *spec = "x86_64:mem=2G,hvo=sharedtail";
	struct hvo_machine *a = tu_machine(spec), *b = tu_machine(spec);
	uint64_t lo, hi, held, x, y, va, pa, pl, old;
	void (*peek)(void *, uint64_t, uint64_t, void *);

	(void)state;
	compact_twin_pools(a, b, 400);
	assert_int_equal(hvo_set_nr_hugepages(a, 2 << 20, 0), 0);
	assert_int_equal(hvo_set_nr_hugepages(b, 2 << 20, 0), 0);
	va = described_vmemmap_page(a);
	assert_true(va != 0);

	/* The check reads the freed blocks' heads, described: no page. */
	held = phys_host_frames(&a->phys);
	tu_assert_check(a);
	assert_int_equal(phys_host_frames(&a->phys), held);
	assert_int_equal(described_vmemmap_page(a), va);

	/* Every struct page, through far more frames than scratch pages. */
	assert_int_equal(hvo_pfn_to_page(a, a->vmemmap_pfn_lo, &lo), 0);
	assert_int_equal(hvo_pfn_to_page(a, a->vmemmap_pfn_hi - 1, &hi), 0);
	assert_int_equal(tlb_scratch_begin(a), 0);
	for (uint64_t v = lo; v < hi + a->cfg.struct_page_size; v += 8) {
		assert_int_equal(hvo_kread64(a, v, &x), 0);
		assert_int_equal(hvo_kread64(b, v, &y), 0);
		assert_int_equal(x, y);
	}
	assert_int_equal(phys_host_frames(&a->phys), held);
	/* Read again after the scratch pages went round: still alike. */
	assert_int_equal(hvo_kread64(a, va + 8, &x), 0);
	assert_int_equal(hvo_kread64(b, va + 8, &y), 0);
	assert_int_equal(x, y);

	/* A store through an entry a scratch page filled: the frame's own. */
	assert_int_equal(hvo_kread64(a, va + 16, &old), 0);
	assert_int_equal(hvo_kwrite64(a, va + 16, old ^ 1), 0);
	assert_int_equal(hvo_kwrite64(b, va + 16, old ^ 1), 0);
	assert_int_equal(phys_host_frames(&a->phys), held + 1);
	assert_int_equal(pt_lookup(a, va, &pa, NULL), 0);
	assert_false(phys_lazy_payload(&a->phys, pa >> a->arch.page_shift, &pl));
	for (uint64_t v = va; v < va + a->arch.page_size; v += 8) {
		assert_int_equal(hvo_kread64(a, v, &x), 0);
		assert_int_equal(hvo_kread64(b, v, &y), 0);
		assert_int_equal(x, y);
	}
	/* The word back as it was: it may be a list link the check follows. */
	assert_int_equal(hvo_kwrite64(a, va + 16, old), 0);
	assert_int_equal(hvo_kwrite64(b, va + 16, old), 0);
	assert_true(tlb_scratch_end(a) > TLB_SCRATCH_PAGES);
	assert_int_equal(tlb_scratch_end(a), 0);

	/* Without a peek the frames are filled, as before. */
	peek = a->phys.filler.peek;
	a->phys.filler.peek = NULL;
	va = described_vmemmap_page(a);
	assert_true(va != 0);
	assert_int_equal(tlb_scratch_begin(a), 0);
	assert_int_equal(hvo_kread64(a, va, &x), 0);
	assert_int_equal(tlb_scratch_end(a), 0);
	assert_int_equal(phys_host_frames(&a->phys), held + 2);
	a->phys.filler.peek = peek;
	tu_assert_check(a);
	tu_assert_check(b);
	hvo_machine_free(a);
	hvo_machine_free(b);
}

/* Described vmemmap frames of @m: by shapes, records, templates alone. */
struct described {
	uint64_t shaped, recs, bare, shaped_va;
};

static struct described
count_described(struct hvo_machine *m)
{
	const uint64_t shape_bit = UINT64_C(1) << (MEMMAP_PAYLOAD_PFN_BITS - 1);
	struct described d = { 0, 0, 0, 0 };
	uint64_t lo, hi, pa, pl;

	assert_int_equal(hvo_pfn_to_page(m, m->vmemmap_pfn_lo, &lo), 0);
	assert_int_equal(hvo_pfn_to_page(m, m->vmemmap_pfn_hi - 1, &hi), 0);
	for (uint64_t va = lo & ~(m->arch.page_size - 1); va < hi;
	     va += m->arch.page_size) {
		if (pt_lookup(m, va, &pa, NULL) ||
		    !phys_lazy_payload(&m->phys, pa >> m->arch.page_shift, &pl))
			continue;
		if (pl >> MEMMAP_PAYLOAD_PFN_BITS != MEMMAP_TPL_COMPACT) {
			/* Fresh from boot, or a template alone. */
			d.bare++;
		} else if (pl & shape_bit) {
			d.shaped++;
			d.shaped_va = va;
		} else {
			d.recs++;
		}
	}
	return d;
}

/*
 * Host memory only: a hugepage's head vmemmap page differs from its tails
 * in the same words wherever it is, so a few shapes describe the head
 * pages of a whole pool, with no record each; a page no word of which
 * differs from a template (struct pages written back as they were) is
 * that template alone. What they read back is a machine's that keeps
 * every page. A copy of a shaped frame (copy_page(), as vmemmap_copy_head()
 * makes) is described by the same shape. Once the table of shapes is
 * full, words seen again get records of their own.
 */
static void
test_compact_shapes(void **state)
{
	const char *spec = "x86_64:mem=2G,hvo=sharedtail";
	struct hvo_machine *a = tu_machine(spec), *b = tu_machine(spec);
	uint8_t *x = malloc(4096), *y = malloc(4096);
	uint64_t pa, from, to, pl, pl_to, bare;
	struct described d;
	unsigned nr_shape;

	(void)state;
	assert_non_null(x);
	assert_non_null(y);
	compact_twin_pools(a, b, 400);
	d = count_described(a);
	/* Every head page but the first of its words: one shape. */
	assert_true(d.shaped >= 390);
	assert_true(a->compact->nr_shape >= 1 && a->compact->nr_shape < 32);
	assert_true(a->compact->shaped >= d.shaped);
	assert_true(a->compact->bare > 0);
	/* Far less than a record per head page (40 bytes each, and more). */
	assert_true(a->compact->bytes < 400 * 16);

	/*
	 * A copy of a shaped frame: described alike, bytes for bytes. The
	 * page allocated and freed on both machines: their counters agree.
	 */
	assert_int_equal(pt_lookup(a, d.shaped_va, &pa, NULL), 0);
	from = pa >> a->arch.page_shift;
	assert_true(phys_lazy_payload(&a->phys, from, &pl));
	assert_int_equal(hvo_alloc_pages(a, 0, HVO_GFP_KERNEL, &to), 0);
	assert_int_equal(hvo_alloc_pages(b, 0, HVO_GFP_KERNEL, &pl_to), 0);
	assert_int_equal(pl_to, to);
	phys_copy_frame(&a->phys, to, from, false);
	memmap_compact_copied(a, to, from, false);
	assert_true(phys_lazy_payload(&a->phys, to, &pl_to));
	assert_int_equal(pl_to, pl);
	memmap_compact_peek(a, from, pl, x);
	memmap_compact_peek(a, to, pl_to, y);
	assert_memory_equal(x, y, 4096);
	assert_int_equal(hvo_free_pages(a, to, 0), 0);
	assert_int_equal(hvo_free_pages(b, to, 0), 0);
	compare_memmaps(a, b);
	tu_assert_check(a);
	tu_assert_check(b);

	/*
	 * Indices that name nothing read as zeros (a described frame always
	 * has its record or shape): past the records, past the shapes, and
	 * on a machine that never compacted.
	 */
	{
		const uint64_t shape_bit = UINT64_C(1) << (MEMMAP_PAYLOAD_PFN_BITS - 1);
		const uint64_t bad[] = {
			memmap_payload(MEMMAP_TPL_COMPACT, a->compact->nr + 5),
			memmap_payload(MEMMAP_TPL_COMPACT,
				       shape_bit | (shape_bit - 1)),
		};
		struct hvo_machine *c = tu_machine("x86_64:mem=1G");

		assert_null(c->compact);
		for (unsigned k = 0; k < 3; k++) {
			memset(x, 0xff, 4096);
			memmap_compact_peek(k < 2 ? a : c, from, bad[k % 2], x);
			for (unsigned i = 0; i < 4096; i++)
				assert_int_equal(x[i], 0);
		}
		tu_assert_check(c);
		hvo_machine_free(c);
	}

	/* The table full: the shrink's new words get records. */
	nr_shape = a->compact->nr_shape;
	bare = a->compact->bare;
	a->compact->nr_shape = MEMMAP_COMPACT_SHAPES;
	assert_int_equal(hvo_set_nr_hugepages(a, 2 << 20, 0), 0);
	assert_int_equal(hvo_set_nr_hugepages(b, 2 << 20, 0), 0);
	a->compact->nr_shape = nr_shape;
	d = count_described(a);
	assert_true(d.recs > 0);
	assert_true(a->compact->live > 0);
	assert_true(a->compact->bare > bare);
	compare_memmaps(a, b);
	tu_assert_check(a);
	tu_assert_check(b);
	free(x);
	free(y);
	hvo_machine_free(a);
	hvo_machine_free(b);
}

/*
 * Whether the frame behind vmemmap address @va is described: by a record,
 * a shape, or a template alone (no word differs).
 */
static bool
frame_described(struct hvo_machine *m, uint64_t va)
{
	uint64_t pa, pl;

	assert_int_equal(pt_lookup(m, va, &pa, NULL), 0);
	return phys_lazy_payload(&m->phys, pa >> m->arch.page_shift, &pl);
}

/*
 * Host memory only: a page noted again and again while the TLB still
 * reaches it takes one place in the list of notes (before, each note took
 * one, the repeats filled the room kept for reachable pages and pages
 * noted later were dropped unseen: an 8 TiB shrink held 12 GiB), and once
 * the TLB is flushed all of them are described.
 */
static void
test_compact_notes_each_page_once(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=2G");
	const struct hvo_config *cfg = hvo_machine_config(m);
	uint64_t pfn = (cfg->mem[0].base + cfg->mem[0].size / 2) >> 12;
	uint64_t va[3], v, per = m->arch.page_size / m->cfg.struct_page_size;

	(void)state;
	assert_int_equal(memmap_compact_set_budget(m, 0), 0);
	/* Three vmemmap frames written (with what they held), in the TLB. */
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(hvo_pfn_to_page(m, pfn + i * per, &va[i]), 0);
		assert_int_equal(hvo_kread64(m, va[i], &v), 0);
		assert_int_equal(hvo_kwrite64(m, va[i], v), 0);
	}
	for (unsigned k = 0; k < 2 * MEMMAP_COMPACT_PENDING; k++) {
		memmap_compact_note(m, va[0]);
		memmap_compact_note(m, va[1]);
		if (k == MEMMAP_COMPACT_PENDING / 2)
			memmap_compact_note(m, va[2]);
	}
	/* Reachable all along: none described yet. */
	for (unsigned i = 0; i < 3; i++)
		assert_false(frame_described(m, va[i]));
	assert_true(m->compact->nr_pend <= 3);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	memmap_compact_flush(m);
	for (unsigned i = 0; i < 3; i++)
		assert_true(frame_described(m, va[i]));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Host memory only: memmap_compact_note_hosted() notes the frames that
 * hold a host page and passes over the described ones (after a restore,
 * seven of a hugepage's eight), and with nothing to note still reads the
 * TLB's log once it holds an eighth of what it can: a shrink that noted
 * nothing for thousands of hugepages lost the log's oldest pages, never
 * compacted (1 TiB: peak RSS 0.26 -> 0.42 GiB).
 */
static void
test_compact_notes_hosted_only(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=2G");
	const struct hvo_config *cfg = hvo_machine_config(m);
	uint64_t pfn = (cfg->mem[0].base + cfg->mem[0].size / 2) >> 12;
	uint64_t per = m->arch.page_size / m->cfg.struct_page_size;
	uint64_t va, v, pa, nr = TLB_OWN_LOG / 8 + 1;
	unsigned nr_pend;

	(void)state;
	assert_int_equal(memmap_compact_set_budget(m, 0), 0);
	/* One frame written, the next never: noted, passed over. */
	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	assert_int_equal(hvo_kread64(m, va, &v), 0);
	assert_int_equal(hvo_kwrite64(m, va, v), 0);
	assert_false(frame_described(m, va));
	assert_int_equal(pt_lookup(m, va + m->arch.page_size, &pa, NULL), 0);
	assert_null(phys_host_hint(&m->phys, pa));
	nr_pend = m->compact->nr_pend;
	memmap_compact_note_hosted(m, va, 2);
	assert_int_equal(m->compact->nr_pend, nr_pend + 1);
	memmap_compact_flush(m);
	assert_true(frame_described(m, va));

	/* An eighth of the log and one more written, nothing noted... */
	for (uint64_t i = 1; i <= nr; i++) {
		assert_int_equal(hvo_pfn_to_page(m, pfn + 2 * i * per, &va), 0);
		assert_int_equal(hvo_kread64(m, va, &v), 0);
		assert_int_equal(hvo_kwrite64(m, va, v), 0);
	}
	assert_false(frame_described(m, va));
	/* ... a look at a described page reads the log, and compacts. */
	assert_int_equal(hvo_pfn_to_page(m, pfn + per, &va), 0);
	memmap_compact_note_hosted(m, va, 1);
	for (uint64_t i = 1; i <= nr; i++) {
		assert_int_equal(hvo_pfn_to_page(m, pfn + 2 * i * per, &va), 0);
		assert_true(frame_described(m, va));
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* The first vmemmap page of @m described by a record of its own, or 0. */
static uint64_t
record_vmemmap_page(struct hvo_machine *m)
{
	const uint64_t shape_bit = UINT64_C(1) << (MEMMAP_PAYLOAD_PFN_BITS - 1);
	uint64_t lo, hi, pa, pl;

	assert_int_equal(hvo_pfn_to_page(m, m->vmemmap_pfn_lo, &lo), 0);
	assert_int_equal(hvo_pfn_to_page(m, m->vmemmap_pfn_hi - 1, &hi), 0);
	for (uint64_t va = lo & ~(m->arch.page_size - 1); va < hi;
	     va += m->arch.page_size)
		if (pt_lookup(m, va, &pa, NULL) == 0 &&
		    phys_lazy_payload(&m->phys, pa >> m->arch.page_shift, &pl) &&
		    pl >> MEMMAP_PAYLOAD_PFN_BITS == MEMMAP_TPL_COMPACT &&
		    !(pl & shape_bit))
			return va;
	return 0;
}

/* Whether the record compact payload @pl names (no shape) is held. */
static bool
payload_rec_held(struct hvo_machine *m, uint64_t pl)
{
	uint64_t idx = pl & ((UINT64_C(1) << MEMMAP_PAYLOAD_PFN_BITS) - 1);

	assert_int_equal(pl >> MEMMAP_PAYLOAD_PFN_BITS, MEMMAP_TPL_COMPACT);
	assert_true(idx < m->compact->nr);
	return m->compact->rec[idx] != NULL;
}

/* A store of the word it holds at @va on both: the frame gets its bytes. */
static void
rewrite_word(struct hvo_machine *a, struct hvo_machine *b, uint64_t va)
{
	uint64_t v;

	assert_int_equal(hvo_kread64(a, va, &v), 0);
	assert_int_equal(hvo_kwrite64(a, va, v), 0);
	assert_int_equal(hvo_kread64(b, va, &v), 0);
	assert_int_equal(hvo_kwrite64(b, va, v), 0);
}

/* Frame @pfn's bytes: its own page, or what its description reads. */
static void
assert_frame_bytes(struct hvo_machine *m, uint64_t pfn, const uint8_t *want)
{
	uint8_t *got = phys_to_host(&m->phys, pfn << m->arch.page_shift);

	assert_non_null(got);
	assert_memory_equal(got, want, m->arch.page_size);
}

/* A free page allocated on both twins: the same frame. */
static uint64_t
alloc_twins(struct hvo_machine *a, struct hvo_machine *b)
{
	uint64_t pa, pb;

	assert_int_equal(hvo_alloc_pages(a, 0, HVO_GFP_KERNEL, &pa), 0);
	assert_int_equal(hvo_alloc_pages(b, 0, HVO_GFP_KERNEL, &pb), 0);
	assert_int_equal(pa, pb);
	return pa;
}

/*
 * Host memory only: records of their own (the table of shapes full).
 * Records no frame names any more are freed by compact_gc(); a frame
 * copied (copy_page(), memmap_compact_copied()) from a frame that dies
 * takes its place in the record, owner or alias, and one whose source
 * lives gets its own bytes; a frame and its alias (copy_page() sharing
 * the page, as vmemmap_copy_head() leaves them) are described by one
 * record, freed once both have their bytes back, whichever comes first;
 * an alias with a page of its own, or no frame at all, is left alone;
 * and a note of an unmapped page, a store outside the vmemmap and the
 * hash's generation wrapping change nothing the kernel reads. Every
 * struct page and counter is a twin's that keeps every page.
 */
static void
test_compact_records_copied_and_freed(void **state)
{
	const char *spec = "x86_64:mem=2G,hvo=sharedtail";
	struct hvo_machine *a = tu_machine(spec), *b = tu_machine(spec);
	const uint64_t no_frame = UINT64_MAX, bad_pfn = UINT64_MAX / 2;
	uint8_t *x = malloc(4096), *y = malloc(4096);
	uint64_t va, pa, from, pl, p2, t[7], live, hi, dva, v;
	unsigned nr_shape;

	(void)state;
	assert_non_null(x);
	assert_non_null(y);
	compact_twin_pools(a, b, 400);

	/* Records only, each new one looking for records nobody names. */
	nr_shape = a->compact->nr_shape;
	a->compact->nr_shape = MEMMAP_COMPACT_SHAPES;
	a->compact->gc_at = 1;
	assert_int_equal(hvo_set_nr_hugepages(a, 2 << 20, 0), 0);
	assert_int_equal(hvo_set_nr_hugepages(b, 2 << 20, 0), 0);
	assert_true(a->compact->gc_at >= 4096);
	assert_int_equal(a->compact->live + a->compact->nr_free, a->compact->nr);
	assert_true(a->compact->live > 0);

	/* A record's frame copied: the copy takes the dying source's place. */
	va = record_vmemmap_page(a);
	assert_true(va != 0);
	assert_int_equal(pt_lookup(a, va, &pa, NULL), 0);
	from = pa >> a->arch.page_shift;
	assert_true(phys_lazy_payload(&a->phys, from, &pl));
	memmap_compact_peek(a, from, pl, x);
	t[0] = alloc_twins(a, b);
	/* (Allocating wrote struct pages: their frames have their bytes.) */
	live = a->compact->live;
	phys_copy_frame(&a->phys, t[0], from, false);
	assert_true(phys_lazy_payload(&a->phys, t[0], &p2));
	assert_int_equal(p2, pl);
	/* A copy whose source lives: its own bytes, the record kept. */
	memmap_compact_copied(a, t[0], from, false);
	assert_false(phys_lazy_payload(&a->phys, t[0], &p2));
	assert_frame_bytes(a, t[0], x);
	assert_true(payload_rec_held(a, pl));
	assert_int_equal(a->compact->live, live);
	/* @from filled: nobody else named the record, it is freed. */
	rewrite_word(a, b, va);
	assert_false(payload_rec_held(a, pl));
	assert_int_equal(a->compact->live, live - 1);
	/* A freed record's index reads as zeros. */
	memset(y, 0xff, 4096);
	memmap_compact_peek(a, from, pl, y);
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(y[i], 0);
	assert_frame_bytes(a, from, x);

	/*
	 * An alias sharing @from's page, described by the same record;
	 * copied while it dies, its copy is the alias. The copy filled
	 * first, then the owner: the record freed with the last.
	 */
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	t[1] = alloc_twins(a, b);
	t[2] = alloc_twins(a, b);
	t[3] = alloc_twins(a, b);
	phys_copy_frame(&a->phys, t[1], from, true);
	assert_true(memmap_compact_frame(a, from, va, t[1]));
	assert_true(phys_lazy_payload(&a->phys, from, &pl));
	assert_true(phys_lazy_payload(&a->phys, t[1], &p2));
	assert_int_equal(p2, pl);
	assert_int_equal(a->compact->live, live);
	phys_copy_frame(&a->phys, t[2], t[1], false);
	memmap_compact_copied(a, t[2], t[1], true);
	assert_frame_bytes(a, t[2], x);
	assert_true(payload_rec_held(a, pl));
	/* The dead alias named by nobody: filling it keeps the record. */
	assert_frame_bytes(a, t[1], x);
	assert_true(payload_rec_held(a, pl));
	rewrite_word(a, b, va);
	assert_false(payload_rec_held(a, pl));
	assert_frame_bytes(a, from, x);

	/* The owner filled first: the alias holds the record alone. */
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	phys_copy_frame(&a->phys, t[3], from, true);
	assert_true(memmap_compact_frame(a, from, va, t[3]));
	assert_true(phys_lazy_payload(&a->phys, from, &pl));
	rewrite_word(a, b, va);
	assert_true(payload_rec_held(a, pl));
	memmap_compact_peek(a, t[3], pl, y);
	assert_memory_equal(y, x, 4096);
	/* The alias copied while it dies: the copy takes its place. */
	t[6] = alloc_twins(a, b);
	phys_copy_frame(&a->phys, t[6], t[3], false);
	memmap_compact_copied(a, t[6], t[3], true);
	assert_frame_bytes(a, t[3], x);
	assert_true(payload_rec_held(a, pl));
	assert_frame_bytes(a, t[6], x);
	assert_false(payload_rec_held(a, pl));
	assert_int_equal(a->compact->live, live - 1);

	/*
	 * Again, but the alias written over by a copy of a page never
	 * written (a description too): nobody names the record, which
	 * compact_gc() frees when the next record is made.
	 */
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	t[5] = alloc_twins(a, b);
	phys_copy_frame(&a->phys, t[5], from, true);
	assert_true(memmap_compact_frame(a, from, va, t[5]));
	assert_true(phys_lazy_payload(&a->phys, from, &pl));
	rewrite_word(a, b, va);
	t[4] = alloc_twins(a, b);
	phys_copy_frame(&a->phys, t[5], t[4], false);
	assert_true(payload_rec_held(a, pl));
	assert_int_equal(a->compact->live, live);
	a->compact->gc_at = live;
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	assert_true(memmap_compact_frame(a, from, va, no_frame));
	assert_int_equal(a->compact->live, live);
	assert_true(a->compact->gc_at >= 4096);
	memset(y, 0, 4096);
	assert_frame_bytes(a, t[5], y);
	rewrite_word(a, b, va);
	assert_int_equal(a->compact->live, live - 1);

	/* An alias with its own page, and none at all: left alone. */
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	assert_true(memmap_compact_frame(a, from, va, t[0]));
	assert_false(phys_lazy_payload(&a->phys, t[0], &p2));
	assert_frame_bytes(a, t[0], x);
	rewrite_word(a, b, va);
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	assert_true(memmap_compact_frame(a, from, va, bad_pfn));
	rewrite_word(a, b, va);
	/* No frame: nothing described. */
	assert_false(memmap_compact_frame(a, bad_pfn, va, no_frame));

	/*
	 * The table of shapes with room again: the words seen once (while
	 * it was full) make a shape, which describes the alias too.
	 */
	a->compact->nr_shape = nr_shape;
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	phys_copy_frame(&a->phys, t[4], from, true);
	assert_false(phys_lazy_payload(&a->phys, t[4], &p2));
	assert_true(memmap_compact_frame(a, from, va, t[4]));
	assert_true(phys_lazy_payload(&a->phys, from, &pl));
	assert_true(phys_lazy_payload(&a->phys, t[4], &p2));
	assert_int_equal(p2, pl);
	assert_true(pl & (UINT64_C(1) << (MEMMAP_PAYLOAD_PFN_BITS - 1)));
	assert_int_equal(a->compact->nr_shape, nr_shape + 1);
	memmap_compact_peek(a, t[4], pl, y);
	assert_memory_equal(y, x, 4096);
	for (unsigned i = 0; i < 7; i++) {
		assert_int_equal(hvo_free_pages(a, t[i], 0), 0);
		assert_int_equal(hvo_free_pages(b, t[i], 0), 0);
	}
	compare_memmaps(a, b);
	tu_assert_check(a);
	tu_assert_check(b);

	/*
	 * A store outside the vmemmap (the TLB's log names it: not noted),
	 * a note of a vmemmap page nothing maps (skipped), the hash's
	 * generation wrapping (every slot forgotten).
	 */
	dva = map_scratch_page(a, free_pa(a));
	assert_int_equal(map_scratch_page(b, free_pa(b)), dva);
	assert_int_equal(hvo_kwrite64(a, dva, MAGIC_A), 0);
	assert_int_equal(hvo_kwrite64(b, dva, MAGIC_A), 0);
	assert_int_equal(hvo_pfn_to_page(a, a->vmemmap_pfn_hi - 1, &hi), 0);
	hi = (hi + (UINT64_C(64) << 20)) & ~(a->arch.page_size - 1);
	assert_true(pt_lookup(a, hi, &pa, NULL) != 0);
	rewrite_word(a, b, va);
	memmap_compact_note(a, va);
	memmap_compact_note(a, hi);
	memmap_compact_note(a, va + a->arch.page_size);
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	a->compact->gen = UINT32_MAX;
	memmap_compact_flush(a);
	assert_int_equal(a->compact->gen, 1);
	assert_int_equal(a->compact->nr_pend, 0);
	for (unsigned i = 0; i < MEMMAP_COMPACT_HASH; i++)
		assert_int_equal(a->compact->hgen[i], 0);
	assert_true(frame_described(a, va));
	assert_int_equal(hvo_kread64(a, dva, &v), 0);
	assert_int_equal(v, MAGIC_A);
	assert_int_equal(hvo_kread64(b, dva, &v), 0);
	assert_int_equal(v, MAGIC_A);
	assert_int_equal(hvo_unmap(a, dva), 0);
	assert_int_equal(hvo_unmap(b, dva), 0);
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	assert_int_equal(hvo_flush_tlb_all(b), 0);
	compare_memmaps(a, b);
	tu_assert_check(a);
	tu_assert_check(b);

	/* A machine that never compacted fills an index with zeros. */
	{
		struct hvo_machine *c = tu_machine("x86_64:mem=1G");

		memset(y, 0xff, 4096);
		memmap_compact_fill(c, 0, 5, y);
		for (unsigned i = 0; i < 4096; i++)
			assert_int_equal(y[i], 0);
		assert_null(c->compact);
		tu_assert_check(c);
		hvo_machine_free(c);
	}
	free(x);
	free(y);
	hvo_machine_free(a);
	hvo_machine_free(b);
}

/* How many of the host pages wholly inside [@p, @p + @bytes) are resident. */
static size_t
resident_pages(const void *p, size_t bytes)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + bytes) & ~(page - 1);
	unsigned char vec[4096];
	size_t n = 0;

	assert_true(hi - lo <= sizeof(vec) * page);
	assert_int_equal(mincore((void *)lo, hi - lo, vec), 0);
	for (size_t i = 0; i < (hi - lo) / page; i++)
		n += vec[i] & 1;
	return n;
}

/* Whether [@p, @p + @size) lies in one of @s's pieces. */
static bool
in_slab_piece(const struct host_slab *s, const void *p, size_t size)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < s->nr_piece; i++) {
		const uint8_t *lo = s->piece[i];

		if (b >= lo && b + size <= lo + HOST_ARRAY_HUGE)
			return true;
	}
	return false;
}

/* How many objects @s's free list for @size holds, each checked in a piece. */
static unsigned
slab_free_count(const struct host_slab *s, size_t size)
{
	unsigned n = 0;

	for (void *f = s->free[size / 8]; f; memcpy(&f, f, sizeof(f))) {
		assert_true(in_slab_piece(s, f, size));
		n++;
	}
	return n;
}

/*
 * Host memory only: host_slab_alloc() carves objects from 2 MiB pieces,
 * a new piece when one is used up; a freed object goes on the free list
 * of its size and is the next of that size, whatever the other sizes do;
 * objects over HOST_SLAB_MAX are malloc()'s. Under AddressSanitizer all
 * are malloc()'s.
 */
static void
test_host_slab(void **state)
{
	enum { N = 3000, SIZE = 1024 };
	struct host_slab s = { 0 };
	static uint8_t *obj[N];
	uint8_t *big, *p;

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		obj[i] = host_slab_alloc(&s, SIZE);
		assert_non_null(obj[i]);
		memset(obj[i], (int)(i & 0xff), SIZE);
	}
	big = host_slab_alloc(&s, HOST_SLAB_MAX + 8);
	assert_non_null(big);
	memset(big, 0x77, HOST_SLAB_MAX + 8);
	if (!host_slab_takes(SIZE)) {
		assert_int_equal(s.nr_piece, 0);
		goto out;
	}
	assert_false(host_slab_takes(HOST_SLAB_MAX + 8));
	/* 3 MiB of them: two pieces, every object in one, none overlapping. */
	assert_int_equal(s.nr_piece, 2);
	assert_false(in_slab_piece(&s, big, 1));
	for (unsigned i = 0; i < N; i++) {
		assert_true(in_slab_piece(&s, obj[i], SIZE));
		for (unsigned k = 0; k < SIZE; k += 97)
			assert_int_equal(obj[i][k], i & 0xff);
	}
	/* Freed: the newest free is the next taken, of its size only. */
	for (unsigned i = 0; i < N; i += 2)
		host_slab_free(&s, obj[i], SIZE);
	assert_int_equal(slab_free_count(&s, SIZE), N / 2);
	p = host_slab_alloc(&s, 64);
	assert_non_null(p);
	assert_int_equal(slab_free_count(&s, SIZE), N / 2);
	assert_ptr_equal(host_slab_alloc(&s, SIZE), obj[N - 2]);
	for (unsigned i = 2; i < N; i += 2)
		assert_non_null(host_slab_alloc(&s, SIZE));
	assert_int_equal(slab_free_count(&s, SIZE), 0);
	assert_int_equal(s.nr_piece, 2);
	host_slab_free(&s, p, 64);
	host_slab_free(&s, NULL, 64);
	assert_int_equal(slab_free_count(&s, 64), 1);
out:
	host_slab_free(&s, big, HOST_SLAB_MAX + 8);
	if (!host_slab_takes(SIZE))
		for (unsigned i = 0; i < N; i++)
			host_slab_free(&s, obj[i], SIZE);
	host_slab_fini(&s);
	assert_int_equal(s.nr_piece, 0);
	assert_null(s.piece);
}

/*
 * Host memory only: the compaction's records (records alone here, no new
 * shapes) live in its slab, through shrinks and grows; no record held is
 * on a free list. The twin that never compacts reads the same bytes.
 */
static void
test_compact_record_slab(void **state)
{
	const char *spec = "x86_64:mem=8G,hvo=sharedtail";
	struct hvo_machine *a = tu_machine(spec), *b = tu_machine(spec);
	struct memmap_compact *c;
	unsigned nr_shape;

	(void)state;
	compact_twin_pools(a, b, 3000);
	c = a->compact;
	nr_shape = c->nr_shape;
	c->nr_shape = MEMMAP_COMPACT_SHAPES;
	for (int round = 0; round < 2; round++) {
		unsigned nr_free = 0;

		assert_int_equal(hvo_set_nr_hugepages(a, 2 << 20, 0), 0);
		assert_int_equal(hvo_set_nr_hugepages(b, 2 << 20, 0), 0);
		assert_true(c->live > 0);
		if (!host_slab_takes(8)) {
			assert_int_equal(c->slab.nr_piece, 0);
			break;
		}
		assert_int_equal(c->slab.nr_piece, 1);
		for (uint64_t i = 0; i < c->nr; i++)
			if (c->rec[i])
				assert_true(in_slab_piece(&c->slab, c->rec[i], 8));
		for (unsigned k = 1; k <= HOST_SLAB_MAX / 8; k++) {
			nr_free += slab_free_count(&c->slab, 8 * k);
			for (void *f = c->slab.free[k]; f; memcpy(&f, f, sizeof(f)))
				for (uint64_t i = 0; i < c->nr; i++)
					assert_ptr_not_equal(c->rec[i], f);
		}
		assert_true(nr_free > 0);
		assert_int_equal(hvo_set_nr_hugepages(a, 2 << 20, 3000), 0);
		assert_int_equal(hvo_set_nr_hugepages(b, 2 << 20, 3000), 0);
	}
	c->nr_shape = nr_shape;
	described_twins_end(a, b);
}

/*
 * Host memory only: host_array_grow() keeps an array's bytes as it grows
 * from malloc()'s heap into a mapping of its own and on, the new bytes of
 * a mapping read as zeros, a grow within the mapped span keeps the
 * address, and asking for less changes nothing.
 */
static void
test_host_array_grow(void **state)
{
	const size_t small = 4096, big = HOST_ARRAY_HUGE + 8;
	uint8_t *p = host_array_grow(NULL, 0, small), *q;

	(void)state;
	assert_non_null(p);
	memset(p, 0x5a, small);
	assert_ptr_equal(host_array_grow(p, small, small / 2), p);
	q = host_array_grow(p, small, big);
	assert_non_null(q);
	for (size_t i = 0; i < big; i++)
		assert_int_equal(q[i], i < small ? 0x5a : 0);
	memset(q + small, 0xa5, big - small);
	/* The same span of huge pages: the same place. */
	assert_ptr_equal(host_array_grow(q, big, 2 * HOST_ARRAY_HUGE), q);
	p = host_array_grow(q, 2 * HOST_ARRAY_HUGE, 3 * HOST_ARRAY_HUGE);
	assert_non_null(p);
	for (size_t i = 0; i < 3 * HOST_ARRAY_HUGE; i += 4093)
		assert_int_equal(p[i], i < small ? 0x5a : i < big ? 0xa5 : 0);
	host_array_free(p, 3 * HOST_ARRAY_HUGE);
	host_array_free(NULL, 0);
	/* Mapped from the first call. */
	p = host_array_grow(NULL, 0, big);
	assert_non_null(p);
	assert_int_equal(p[big - 1], 0);
	host_array_free(p, big);
}

/*
 * Host memory only: the list of a large HVO batch (17,000 hugepages of
 * eight vmemmap pages, over 1 MiB) keeps its host pages once the batch is
 * done, and the next batch uses the same room: a resize of a big pool
 * faults nothing in for it again. __hugetlb_vmemmap_optimize_folios()
 * (6.12) is the batch.
 */
static void
test_batch_list_kept(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=40G,hvo=sharedtail");
	const uint64_t nr = 17000;
	uint64_t *list;
	size_t bytes, resident;

	(void)state;
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, nr), 0);
	list = m->hugetlb->batch_pfns;
	bytes = m->hugetlb->batch_pfns_max * sizeof(*list);
	assert_true(bytes > (1u << 20));
	resident = resident_pages(list, bytes);
	/* Every page wholly inside what it wrote (a part page at each end). */
	assert_true(resident + 1 >= nr * 8 * sizeof(*list) / (size_t)sysconf(_SC_PAGESIZE));
	tu_assert_check(m);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 0), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, nr), 0);
	assert_ptr_equal(m->hugetlb->batch_pfns, list);
	assert_int_equal(m->hugetlb->batch_pfns_max * sizeof(*list), bytes);
	assert_int_equal(resident_pages(list, bytes), resident);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Every valid entry is listed once, under its frame's hash, and no other. */
static void
assert_tlb_pfn_lists(const struct tlb *t)
{
	static uint8_t seen[65536];
	uint64_t listed = 0, valid = 0;

	memset(seen, 0, sizeof(seen));
	for (unsigned b = 0; b < TLB_PFN_BUCKETS; b++) {
		uint32_t prev = TLB_PFN_NONE;

		for (uint32_t i = t->pfn_head[b]; i != TLB_PFN_NONE;
		     prev = i, i = t->pfn_next[i]) {
			assert_true(i <= t->mask);
			assert_int_equal(t->pfn_prev[i], prev);
			assert_int_equal(tlb_pfn_bucket(t, tlb_entry_pa(&t->e[i])), b);
			assert_true(t->e[i].tag_read != TLB_TAG_INVALID);
			assert_int_equal(seen[i]++, 0);
			listed++;
		}
	}
	for (uint64_t i = 0; i <= t->mask; i++)
		valid += t->e[i].tag_read != TLB_TAG_INVALID;
	assert_int_equal(listed, valid);
}

/*
 * Host bookkeeping only: the TLB's lists of entries per frame hash
 * (tlb_pfn_bucket(), through which tlb_unshare_pfn() finds the entries
 * that may reach a frame) hold every valid entry once, through fills,
 * single page flushes, unshares, copies shared and written, HVO both
 * ways, a small TLB that evicts, and the checker's reads through scratch
 * pages; and unsharing a frame keeps every entry that reached it, listed,
 * reading the frame where its bytes are now.
 */
static void
test_tlb_pfn_lists(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=2G,hvo=sharedtail,tlb=16",
		"x86_64:mem=2G,hvo=fakehead",
		"arm64:granule=4K,mem=2G,hvo=keep2",
	};

	(void)state;
	for (size_t c = 0; c < sizeof(specs) / sizeof(specs[0]); c++) {
		struct hvo_machine *m = tu_machine(specs[c]);
		const uint64_t nrs[] = { 300, 20, 0 };

		assert_int_equal(memmap_compact_set_budget(m, 0), 0);
		for (unsigned k = 0; k < 3; k++) {
			uint64_t pfn = UINT64_MAX;

			uint64_t va, v;

			assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, nrs[k]), 0);
			assert_tlb_pfn_lists(&m->tlb);
			tu_assert_check(m);
			assert_tlb_pfn_lists(&m->tlb);
			/*
			 * A struct page read: an entry with a host page (the
			 * compaction left those it found without theirs).
			 */
			assert_int_equal(hvo_pfn_to_page(m, m->vmemmap_pfn_lo, &va), 0);
			assert_int_equal(hvo_kread64(m, va, &v), 0);
			assert_tlb_pfn_lists(&m->tlb);
			/* The frame of the first valid entry, unshared. */
			for (uint64_t i = 0; i <= m->tlb.mask && pfn == UINT64_MAX; i++)
				if (m->tlb.e[i].tag_read != TLB_TAG_INVALID)
					pfn = tlb_entry_pa(&m->tlb.e[i]) >> m->arch.page_shift;
			assert_true(pfn != UINT64_MAX);
			unsigned before = 0, after = 0;

			for (uint64_t i = 0; i <= m->tlb.mask; i++)
				before += m->tlb.e[i].tag_read != TLB_TAG_INVALID &&
					  tlb_entry_pa(&m->tlb.e[i]) >> m->arch.page_shift == pfn;
			tlb_unshare_pfn(m, pfn);
			for (uint64_t i = 0; i <= m->tlb.mask; i++) {
				const struct tlb_entry *e = &m->tlb.e[i];

				if (e->tag_read == TLB_TAG_INVALID ||
				    tlb_entry_pa(e) >> m->arch.page_shift != pfn)
					continue;
				after++;
				assert_ptr_equal((const void *)(uintptr_t)(e->tag_read + e->addend),
						 phys_to_host_ro(&m->phys, tlb_entry_pa(e), NULL));
			}
			assert_int_equal(after, before);
			assert_tlb_pfn_lists(&m->tlb);
		}
		/*
		 * A load of a page never written (the shared zeros), then a
		 * store: the entry the frame's unsharing rehosted is valid,
		 * and listed.
		 */
		{
			uint64_t va = map_scratch_page(m, free_pa(m)), v;

			assert_int_equal(hvo_kread64(m, va, &v), 0);
			assert_int_equal(hvo_kwrite64(m, va, MAGIC_A), 0);
			assert_tlb_pfn_lists(&m->tlb);
			assert_int_equal(hvo_kread64(m, va, &v), 0);
			assert_int_equal(v, MAGIC_A);
			assert_int_equal(hvo_unmap(m, va), 0);
			assert_int_equal(hvo_flush_tlb_all(m), 0);
		}
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * A TLB caches where a page is, not its bytes (Intel SDM vol. 3, 4.10.2:
 * an entry holds the translation and its permissions). A page read
 * through one mapping while never written (the host's shared zeros),
 * then written through another: the first mapping's entry stays, its
 * next load and store hit without a walk and see the store. The host
 * once dropped that entry when the frame got a page of its own, which
 * counted a miss and a walk that hardware never makes.
 */
static void
test_tlb_entry_survives_unshare(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t pa = free_pa(m), va1 = map_scratch_page(m, pa), va2;
	uint64_t v, miss, hit, walks;

	(void)state;
	va2 = va1 + g.page_size;
	assert_int_equal(hvo_map(m, va2, pa, g.page_size, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_kread64(m, va1 + 8, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(hvo_kwrite64(m, va2 + 8, MAGIC_A), 0);
	miss = tu_counter(m, "tlb.miss");
	hit = tu_counter(m, "tlb.hit");
	walks = pt_reads(m);
	assert_int_equal(hvo_kread64(m, va1 + 8, &v), 0);
	assert_int_equal(v, MAGIC_A);
	assert_int_equal(hvo_kwrite64(m, va1 + 16, MAGIC_B), 0);
	assert_int_equal(hvo_kread64(m, va2 + 16, &v), 0);
	assert_int_equal(v, MAGIC_B);
	assert_int_equal(tu_counter(m, "tlb.miss"), miss);
	assert_int_equal(tu_counter(m, "tlb.hit"), hit + 3);
	assert_int_equal(pt_reads(m), walks);
	assert_int_equal(hvo_unmap(m, va2), 0);
	assert_int_equal(hvo_unmap(m, va1), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_null_arguments(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_machine *out = m;
	struct hvo_geometry g = tu_geometry(m);
	struct hvo_config cfg;
	struct hvo_walk w;
	uint64_t v, va = tu_free_kernel_va(m, g.levels - 1), one = va;
	char buf[64], err[128];
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);

	/* Configuration. */
	assert_int_equal(hvo_config_init(NULL, HVO_ARCH_X86_64), -EINVAL);
	assert_int_equal(hvo_config_init(&cfg, (enum hvo_arch_id)99), -EINVAL);
	assert_int_equal(hvo_config_parse(NULL, "x86_64", NULL, 0), -EINVAL);
	assert_int_equal(hvo_config_parse(&cfg, NULL, NULL, 0), -EINVAL);
	assert_int_equal(hvo_config_parse(&cfg, NULL, err, sizeof(err)), -EINVAL);
	assert_true(err[0] != '\0');
	assert_int_equal(hvo_config_validate(NULL, NULL, 0), -EINVAL);
	assert_int_equal(hvo_config_format(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(hvo_config_init(&cfg, HVO_ARCH_X86_64), 0);
	assert_int_equal(hvo_config_format(&cfg, NULL, 16), -EINVAL);
	assert_null(hvo_arch_name((enum hvo_arch_id)99));
	assert_null(hvo_variant_name((enum hvo_variant)99));
	assert_null(hvo_preset_name(hvo_preset_count()));
	assert_null(hvo_preset_spec(hvo_preset_count()));

	/* Machines. */
	assert_int_equal(hvo_machine_new(NULL, &out, NULL, 0), -EINVAL);
	assert_null(out);
	assert_int_equal(hvo_machine_new(&cfg, NULL, err, sizeof(err)), -EINVAL);
	hvo_machine_free(NULL);
	assert_non_null(hvo_machine_error(NULL));
	assert_null(hvo_machine_config(NULL));
	assert_int_equal(hvo_machine_check(NULL), -EINVAL);
	assert_int_equal(hvo_machine_geometry(NULL, &g), -EINVAL);
	assert_int_equal(hvo_machine_geometry(m, NULL), -EINVAL);
	assert_null(hvo_page_category_name(HVO_PAGES__COUNT));
	assert_int_equal(hvo_machine_pages(NULL, HVO_PAGES_FREE, &v), -EINVAL);
	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_FREE, NULL), -EINVAL);
	assert_int_equal(hvo_machine_pages(m, HVO_PAGES__COUNT, &v), -EINVAL);
	assert_int_equal(hvo_machine_total_pages(NULL), 0);

	/* Page tables. */
	assert_int_equal(hvo_walk(NULL, va, &w), -EINVAL);
	assert_int_equal(hvo_walk(m, va, NULL), -EINVAL);
	assert_int_equal(hvo_entry_describe(NULL, 0, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(hvo_entry_describe(m, 0, 0, NULL, sizeof(buf)), -EINVAL);
	assert_int_equal(hvo_entry_describe(m, 0, 0, buf, 0), -EINVAL);
	assert_int_equal(hvo_entry_describe(m, HVO_MAX_LEVELS, 0, buf,
					    sizeof(buf)), -EINVAL);
	assert_int_equal(hvo_map(NULL, va, 0, 4096, HVO_PROT_KERNEL), -EINVAL);
	assert_int_equal(hvo_unmap(NULL, va), -EINVAL);
	assert_int_equal(hvo_split(NULL, va), -EINVAL);
	assert_int_equal(hvo_protect(NULL, va, HVO_PROT_KERNEL), -EINVAL);

	/* Memory access and the TLB. */
	assert_int_equal(hvo_kread64(NULL, va, &v), -EINVAL);
	assert_int_equal(hvo_kread64(m, g.vmemmap_base, NULL), -EINVAL);
	assert_int_equal(hvo_kwrite64(NULL, va, 0), -EINVAL);
	assert_int_equal(hvo_flush_tlb_kernel_range(NULL, va, va + 4096), -EINVAL);
	assert_int_equal(hvo_flush_tlb_all(NULL), -EINVAL);

	/* Counters and reports. */
	assert_null(hvo_counter_name(hvo_counter_count()));
	assert_int_equal(hvo_machine_counter(NULL, 0), 0);
	assert_int_equal(hvo_machine_counter(m, hvo_counter_count()), 0);
	assert_int_equal(hvo_machine_counter_get(NULL, "tlb.hit", &v), -EINVAL);
	assert_int_equal(hvo_machine_counter_get(m, NULL, &v), -EINVAL);
	assert_int_equal(hvo_machine_counter_get(m, "tlb.hit", NULL), -EINVAL);
	assert_int_equal(hvo_machine_counter_get(m, "no.such", &v), -ENOENT);
	hvo_machine_counters_reset(NULL);
	assert_int_equal(hvo_machine_report_json(NULL, &one, 1, f), -EINVAL);
	assert_int_equal(hvo_machine_report_json(m, &one, 1, NULL), -EINVAL);
	assert_int_equal(hvo_machine_report_json(m, NULL, 1, f), -EINVAL);
	/* No walks needs no array. */
	assert_int_equal(hvo_machine_report_json(m, NULL, 0, f), 0);

	fclose(f);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The cursor sparse_init() maps the vmemmap through (pt_cursor_get(),
 * pt_cursor_map()) counts what pt_walk() and pt_map() would, entry for
 * entry, and writes the same entries; a table below, or an address
 * outside its table, is left to the walk with nothing counted.
 */
static void
test_pt_cursor_counts_as_walks(void **state)
{
	struct hvo_machine *slow = tu_machine("x86_64:mem=4G");
	struct hvo_machine *fast = tu_machine("x86_64:mem=4G");
	const unsigned pmd = pmd_depth(fast);
	const uint64_t blk = arch_level_size(&fast->arch, pmd);
	const uint64_t va0 = fast->vmemmap_base + (UINT64_C(1) << 39);
	const uint64_t pa0 = UINT64_C(1) << 30;
	struct pt_cursor c = { 0 };
	struct pt_decoded d;
	struct pt_walk w;
	uint64_t before[CNT__COUNT];

	(void)state;
	assert_int_equal(slow->vmemmap_base, fast->vmemmap_base);
	for (unsigned i = 0; i < 4; i++) {
		pt_walk(slow, va0 + i * blk, &w, true);
		assert_int_equal(w.leaf, -1);
		assert_int_equal(pt_map(slow, va0 + i * blk, pa0 + i * blk, pmd,
					slow->arch.sect_normal), 0);
	}
	/* Walk again over a leaf: counted as the walk reads it. */
	pt_walk(slow, va0 + blk, &w, true);
	assert_int_equal(w.leaf, (int)pmd);

	assert_false(pt_cursor_get(fast, &c, va0, &d));
	pt_walk(fast, va0, &w, true);
	assert_int_equal(pt_map(fast, va0, pa0, pmd, fast->arch.sect_normal), 0);
	pt_cursor_remember(fast, &c, va0, pmd);
	for (unsigned i = 1; i < 4; i++) {
		assert_true(pt_cursor_get(fast, &c, va0 + i * blk, &d));
		assert_int_equal(d.kind, PTK_NONE);
		assert_int_equal(pt_cursor_map(fast, &c, va0 + i * blk, pa0 + i * blk,
					       fast->arch.sect_normal), 0);
	}
	assert_true(pt_cursor_get(fast, &c, va0 + blk, &d));
	assert_int_equal(d.kind, PTK_LEAF);
	assert_memory_equal(slow->counter, fast->counter, sizeof(slow->counter));
	for (unsigned i = 0; i < 4; i++) {
		phys_addr_t a, b;

		assert_int_equal(pt_lookup(slow, va0 + i * blk, &a, NULL), 0);
		assert_int_equal(pt_lookup(fast, va0 + i * blk, &b, NULL), 0);
		assert_int_equal(a, b);
		assert_int_equal(a, pa0 + i * blk);
	}

	/* A table below the entry, or another table: the walk's, uncounted. */
	assert_int_equal(pt_map(fast, va0 + 4 * blk, pa0, pte_depth(fast),
				fast->arch.page_kernel), 0);
	memcpy(before, fast->counter, sizeof(before));
	assert_false(pt_cursor_get(fast, &c, va0 + 4 * blk, &d));
	assert_false(pt_cursor_get(fast, &c, va0 - blk, &d));
	assert_false(pt_cursor_get(fast, &c, c.hi, &d));
	assert_memory_equal(before, fast->counter, sizeof(before));
	/* Mapping over a leaf through the cursor is refused, as pt_map() does. */
	assert_int_equal(pt_cursor_map(fast, &c, va0 + blk, pa0, fast->arch.sect_normal),
			 -EEXIST);
	assert_int_equal(pt_cursor_map(fast, &c, va0 + 5 * blk + 4096, pa0,
				       fast->arch.sect_normal), -EINVAL);
	tu_assert_check(slow);
	tu_assert_check(fast);
	hvo_machine_free(slow);
	hvo_machine_free(fast);
}

/* Two records of one level, field by field (their padding differs). */
static void
assert_level_equal(const struct pt_level_rec *a, const struct pt_level_rec *b)
{
	assert_int_equal(a->depth, b->depth);
	assert_int_equal(a->index, b->index);
	assert_int_equal(a->table_pa, b->table_pa);
	assert_int_equal(a->entry_pa, b->entry_pa);
	assert_int_equal(a->entry, b->entry);
	assert_int_equal(a->d.kind, b->d.kind);
	assert_int_equal(a->d.pa, b->d.pa);
	assert_int_equal(a->d.prot, b->d.prot);
	assert_int_equal(a->d.writable, b->d.writable);
	assert_int_equal(a->d.global, b->d.global);
	assert_ptr_equal(a->d.why, b->d.why);
}

/* Forget the walker's memo: the next walk reads every level. */
static void
pwc_forget(struct hvo_machine *m)
{
	for (unsigned i = 0; i < PWC_ENTRIES; i++)
		m->tlb.pwc[i].key = 0;
}

/*
 * pt_walk() and pt_walk_leaf() of @va, each from a forgotten memo and
 * again from the memo: the same result, the same counts; pt_walk()
 * fills every level alike, pt_walk_leaf() the one the walk stopped at.
 */
static void
check_walk_leaf(struct hvo_machine *m, uint64_t va, int rc, int leaf)
{
	struct pt_walk full[2], last[2];
	uint64_t before[CNT__COUNT], reads[4][CNT__COUNT];

	for (unsigned k = 0; k < 4; k++) {
		struct pt_walk *w = k < 2 ? &full[k] : &last[k - 2];

		if (!(k & 1))
			pwc_forget(m);
		memcpy(before, m->counter, sizeof(before));
		assert_int_equal(k < 2 ? pt_walk(m, va, w, true) :
				 pt_walk_leaf(m, va, w, true), rc);
		for (unsigned i = 0; i < CNT__COUNT; i++)
			reads[k][i] = m->counter[i] - before[i];
		assert_memory_equal(reads[k], reads[0], sizeof(reads[0]));
		assert_int_equal(w->leaf, leaf);
		assert_int_equal(w->nr, full[0].nr);
		assert_int_equal(w->bad, full[0].bad);
		if (w->nr)
			assert_level_equal(&w->lvl[w->nr - 1],
					   &full[0].lvl[full[0].nr - 1]);
	}
	for (unsigned d = 0; d < full[0].nr; d++)
		assert_level_equal(&full[1].lvl[d], &full[0].lvl[d]);
}

/*
 * pt_walk_leaf() stands for pt_walk() where only the walk's end counts:
 * a page, a block, nothing mapped, no kernel address; on every shape of
 * table.
 */
static void
test_pt_walk_leaf_as_walk(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=4G", "x86_64:levels=5,mem=4G",
		"arm64:granule=64K,va=42,mem=4G", "riscv64:va=39,mem=4G",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct hvo_machine *m = tu_machine(specs[i]);
		const unsigned pte = pte_depth(m), pmd = pmd_depth(m);
		uint64_t va = map_scratch_page(m, free_pa(m));
		uint64_t blk = tu_free_kernel_va(m, pmd);

		check_walk_leaf(m, va, 0, (int)pte);
		check_walk_leaf(m, blk, 0, -1);
		assert_int_equal(pt_map(m, blk, free_pa(m) & ~(arch_level_size(&m->arch, pmd) - 1),
					pmd, m->arch.page_kernel), 0);
		check_walk_leaf(m, blk, 0, (int)pmd);
		check_walk_leaf(m, 0x1000, -EINVAL, -1);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

static void
ignore_event(void *ctx, const struct hvo_event *ev)
{
	(void)ev;
	(void)ctx;
}

/*
 * pt_cursor_map_run() maps a run of pages into the cursor's table as the
 * loop of vmemmap_populate_basepages() would page by page
 * (pt_cursor_get(), pt_cursor_map()): the same counters, the same
 * entries; the table stays a description, no host page; entries already
 * there, or a trace that wants each write, send the caller page by page.
 */
static void
test_pt_cursor_map_run_counts_as_pages(void **state)
{
	const char *spec = "arm64:granule=16K,va=52,mem=8G";
	struct hvo_machine *slow = tu_machine(spec), *fast = tu_machine(spec);
	const uint64_t psize = fast->arch.page_size, n = 600;
	const unsigned pte = pte_depth(fast);
	/* Far above the memmap, at the start of a PTE table of its own. */
	const uint64_t va0 = round_up64(fast->vmemmap_base + (UINT64_C(1) << 40),
					psize * fast->arch.level[pte].entries);
	const uint64_t pa0 = UINT64_C(2) << 30;
	struct pt_cursor cs = { 0 }, cf = { 0 };
	struct pt_decoded d;
	struct pt_walk w;
	uint64_t held, table;

	(void)state;
	/* The first page as the loop maps it: walk, map, remember. */
	pt_walk(slow, va0, &w, true);
	assert_int_equal(pt_map(slow, va0, pa0, pte, slow->arch.page_kernel), 0);
	pt_cursor_remember(slow, &cs, va0, pte);
	pt_walk(fast, va0, &w, true);
	assert_int_equal(pt_map(fast, va0, pa0, pte, fast->arch.page_kernel), 0);
	pt_cursor_remember(fast, &cf, va0, pte);
	/* The rest falling, as memblock hands pages out. */
	for (uint64_t k = 1; k < n; k++) {
		assert_true(pt_cursor_get(slow, &cs, va0 + k * psize, &d));
		assert_int_equal(d.kind, PTK_NONE);
		assert_int_equal(pt_cursor_map(slow, &cs, va0 + k * psize,
					       pa0 - (k + 1) * psize,
					       slow->arch.page_kernel), 0);
	}
	held = phys_host_frames(&fast->phys);
	assert_true(pt_cursor_run_none(fast, &cf, va0 + psize, n - 1));
	assert_false(pt_cursor_run_none(fast, &cf, va0, 2));
	assert_false(pt_cursor_run_none(fast, &cf, va0 + psize, cf.hi));
	assert_int_equal(pt_cursor_map_run(fast, &cf, va0 + psize, n - 1,
					   pa0 - 2 * psize, -psize,
					   fast->arch.page_kernel), 0);
	assert_memory_equal(slow->counter, fast->counter, sizeof(slow->counter));
	for (uint64_t k = 0; k < n + 2; k++) {
		phys_addr_t a = 0, b = 0;
		int ra = pt_lookup(slow, va0 + k * psize, &a, NULL);

		assert_int_equal(pt_lookup(fast, va0 + k * psize, &b, NULL), ra);
		assert_int_equal(a, b);
	}
	table = cf.table;
	assert_non_null(phys_words_of(&fast->phys, table >> fast->arch.page_shift));
	assert_int_equal(phys_host_frames(&fast->phys), held);
	assert_false(pt_cursor_run_none(fast, &cf, va0 + 10 * psize, 2));
	/* A traced machine goes page by page. */
	assert_int_equal(hvo_set_trace(fast, ignore_event, NULL), 0);
	assert_false(pt_cursor_run_none(fast, &cf, va0 + n * psize, 2));
	assert_int_equal(hvo_set_trace(fast, NULL, NULL), 0);
	/* A run that is not RAM is refused, nothing counted. */
	assert_int_equal(pt_cursor_map_run(fast, &cf, va0 + n * psize, 3,
					   UINT64_C(1) << 50, psize,
					   fast->arch.page_kernel), -EINVAL);
	tu_assert_check(slow);
	tu_assert_check(fast);
	hvo_machine_free(slow);
	hvo_machine_free(fast);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlb_hit_miss),
		cmocka_unit_test(test_flush_ceiling),
		cmocka_unit_test(test_flush_inside_block),
		cmocka_unit_test(test_stale_tlb),
		cmocka_unit_test(test_stale_tlb_kinds),
		cmocka_unit_test(test_bbm),
		cmocka_unit_test(test_arm64_vmemmap_entries),
		cmocka_unit_test(test_vmemmap_entries_x86_riscv),
		cmocka_unit_test(test_1t_ram_is_lazy),
		cmocka_unit_test(test_1t_machine),
		cmocka_unit_test(test_struct_page_arithmetic),
		cmocka_unit_test(test_kernel_accessors),
		cmocka_unit_test(test_malformed_entry_refused),
		cmocka_unit_test(test_table_alloc_fails),
		cmocka_unit_test(test_reclaim_spares_cached_pages),
		cmocka_unit_test(test_compact_vmemmap_reads_back),
		cmocka_unit_test(test_described_word_access),
		cmocka_unit_test(test_described_split_load),
		cmocka_unit_test(test_compact_reached),
		cmocka_unit_test(test_compact_now),
		cmocka_unit_test(test_described_word_read_only),
		cmocka_unit_test(test_described_word_faults),
		cmocka_unit_test(test_described_word_edges),
		cmocka_unit_test(test_compact_vmemmap_reads_back_configs),
		cmocka_unit_test(test_memmap_write_unmapped_vmemmap_page),
		cmocka_unit_test(test_check_reads_described_pages_in_scratch),
		cmocka_unit_test(test_compact_notes_each_page_once),
		cmocka_unit_test(test_compact_notes_hosted_only),
		cmocka_unit_test(test_compact_shapes),
		cmocka_unit_test(test_compact_records_copied_and_freed),
		cmocka_unit_test(test_host_slab),
		cmocka_unit_test(test_compact_record_slab),
		cmocka_unit_test(test_host_array_grow),
		cmocka_unit_test(test_batch_list_kept),
		cmocka_unit_test(test_tlb_pfn_lists),
		cmocka_unit_test(test_tlb_entry_survives_unshare),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_pt_cursor_counts_as_walks),
		cmocka_unit_test(test_pt_cursor_map_run_counts_as_pages),
		cmocka_unit_test(test_pt_walk_leaf_as_walk),
	};

	return tu_run("mmu", tests, sizeof(tests) / sizeof(tests[0]));
}
