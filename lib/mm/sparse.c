/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>

#include "mm/sparse.h"
#include "mmu/mmu.h"

void
section_memmap_span(const struct hvo_machine *m, pfn_t pfn, kva_t *start,
		    kva_t *end)
{
	uint64_t first = round_down64(pfn, pages_per_section(m));

	/* Struct pages may straddle pages: round the span out. */
	*start = round_down64(pfn_to_page(m, first), m->arch.page_size);
	*end = round_up64(pfn_to_page(m, first + pages_per_section(m)),
			  m->arch.page_size);
}

/*
 * Where the vmemmap sits: the struct page of pfn 0 at vmemmap_base, and
 * the pfns that have one. Decides whether the mask encoding of
 * compound_info can stay (it needs the alignment below).
 */
int
vmemmap_base_init(struct hvo_machine *m)
{
	const struct hvo_config *cfg = &m->cfg;
	const struct hvo_arch *a = &m->arch;
	uint64_t ram0 = cfg->mem[0].base, memstart;

	/*
	 * The vmemmap pointer: on arches whose RAM may start high, pfn
	 * (memstart >> PAGE_SHIFT) sits at VMEMMAP_START.
	 */
	memstart = a->memstart_align ? round_down64(ram0, a->memstart_align) : 0;
	/*
	 * The 2026 mask encoding computes a head by masking a tail's
	 * address, so 7.1's riscv aligns the vmemmap to the struct pages of
	 * the largest folio ("Align vmemmap to maximal folio size"), whatever
	 * the variant. Where the vmemmap is not so aligned, the kernel keeps
	 * the pointer encoding.
	 */
	if (a->vmemmap_folio_align && a->memstart_align) {
		uint64_t max = 0;

		for (unsigned i = 0; i < a->nr_hugetlb_sizes; i++)
			max = a->hugetlb_size[i] > max ? a->hugetlb_size[i] : max;
		if (max > a->memstart_align)
			memstart = round_down64(ram0, max);
	}
	m->vmemmap_base = a->vmemmap_start -
			  (memstart >> a->page_shift) * cfg->struct_page_size;
	if (m->compound_mask) {
		for (unsigned i = 0; i < a->nr_hugetlb_sizes; i++) {
			uint64_t span = (a->hugetlb_size[i] >> a->page_shift) *
					cfg->struct_page_size;

			if (m->vmemmap_base & (span - 1))
				m->compound_mask = false;
		}
	}
	m->vmemmap_pfn_lo = m->phys.lo >> a->page_shift;
	m->vmemmap_pfn_hi = m->phys.hi >> a->page_shift;

	return 0;
}

/* One vmemmap page from memblock, as vmemmap_alloc_block(). */
static int
vmemmap_alloc_block(struct hvo_machine *m, uint64_t size, phys_addr_t *pa)
{
	int rc = memblock_phys_alloc(&m->memblock, size, size, 0, pa);

	if (rc)
		return rc;
	page_owner_set_range(&m->owner, *pa >> m->arch.page_shift,
			     size >> m->arch.page_shift, HVO_PAGES_VMEMMAP);
	return 0;
}

/* vmemmap_populate_basepages(): a PTE per vmemmap page not yet mapped. */
static int
vmemmap_populate_basepages(struct hvo_machine *m, kva_t start, kva_t end)
{
	const struct hvo_arch *a = &m->arch;

	for (uint64_t va = start; va < end; va += a->page_size) {
		struct pt_walk w;
		uint64_t pa;
		int rc;

		pt_walk(m, va, &w, true);
		if (w.leaf >= 0)
			continue; /* shared with the previous section */
		rc = vmemmap_alloc_block(m, a->page_size, &pa);
		if (rc)
			return machine_err(m, rc,
					   "out of memory for the vmemmap page at va 0x%" PRIx64,
					   va);
		rc = pt_map(m, va, pa, pte_depth(m), a->page_kernel);
		if (rc)
			return rc;
	}
	return 0;
}

int
vmemmap_alloc_page(struct hvo_machine *m, uint64_t *pfn)
{
	phys_addr_t pa;
	int rc = vmemmap_alloc_block(m, m->arch.page_size, &pa);

	if (rc)
		return machine_err(m, rc, "out of memory for a vmemmap page");
	*pfn = pa >> m->arch.page_shift;
	return 0;
}

int
vmemmap_populate_hvo(struct hvo_machine *m, kva_t start, kva_t end,
		     uint64_t headsize, uint64_t tail_pfn, uint64_t *head_pfn)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t va, pfn = 0;
	int rc;

	for (va = start; va < start + headsize; va += a->page_size) {
		rc = vmemmap_alloc_page(m, &pfn);
		if (!rc)
			rc = pt_map(m, va, pfn << a->page_shift, pte_depth(m),
				    a->page_kernel);
		if (rc)
			return rc;
		if (va == start)
			*head_pfn = pfn;
	}
	/* The rest mirror one page: the last head page, or the tail. */
	if (tail_pfn != VMEMMAP_TAIL_LAST)
		pfn = tail_pfn;
	for (; va < end; va += a->page_size) {
		rc = pt_map(m, va, pfn << a->page_shift, pte_depth(m),
			    a->page_kernel);
		if (rc)
			return rc;
	}
	return 0;
}

int
vmemmap_wrprotect_hvo(struct hvo_machine *m, kva_t start, kva_t end,
		      uint64_t headsize)
{
	for (uint64_t va = start + headsize; va < end; va += m->arch.page_size) {
		/* ptep_set_wrprotect(): not always PAGE_KERNEL_RO. */
		int rc = pt_protect(m, va, m->arch.page_kernel_wrprotect);

		if (rc)
			return rc;
	}
	return 0;
}

/*
 * vmemmap_populate_hugepages(): a PMD block per PMD-sized piece of the span;
 * a block already there (from the previous section, when its memmap is not
 * a multiple of PMD_SIZE) covers us; without a block, fall back to pages.
 */
static int
vmemmap_populate_hugepages(struct hvo_machine *m, kva_t start, kva_t end)
{
	const struct hvo_arch *a = &m->arch;
	unsigned pmd = pmd_depth(m);
	uint64_t pmd_size = arch_level_size(a, pmd);

	for (uint64_t va = start, next; va < end; va = next) {
		struct pt_walk w;
		uint64_t pa;
		int rc;

		next = pmd_addr_end(m, va, end);
		pt_walk(m, va, &w, true);
		if (w.nr > pmd && pmd_leaf(m, w.lvl[pmd].entry))
			continue;
		/* pmd_none(), or none further up: a block fits. */
		if (w.leaf < 0 && w.nr <= pmd + 1 &&
		    w.lvl[w.nr - 1].d.kind == PTK_NONE &&
		    vmemmap_alloc_block(m, pmd_size, &pa) == 0) {
			/* vmemmap_set_pmd(): the arch's block prot, which
			 * on arm64 is not PAGE_KERNEL's. */
			rc = pt_map(m, round_down64(va, pmd_size), pa, pmd,
				    a->sect_normal);
			if (rc)
				return rc;
			continue;
		}
		rc = vmemmap_populate_basepages(m, va, next);
		if (rc)
			return rc;
	}
	return 0;
}

int
sparse_init(struct hvo_machine *m)
{
	const struct phys *p = &m->phys;
	uint64_t last_section = UINT64_MAX;
	int rc = 0;

	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t pfn = p->range[i].base >> p->page_shift;
		uint64_t end = (p->range[i].base + p->range[i].size) >> p->page_shift;

		for (pfn = round_down64(pfn, pages_per_section(m)); pfn < end;
		     pfn += pages_per_section(m)) {
			uint64_t s, e;

			if (pfn == last_section)
				continue;
			last_section = pfn;
			/* SECTION_IS_VMEMMAP_PREINIT: hugetlb maps it. */
			if (m->hooks.section_preinit &&
			    m->hooks.section_preinit(m, pfn))
				continue;
			section_memmap_span(m, pfn, &s, &e);
			if (m->arch.vmemmap_pmd_blocks)
				rc = vmemmap_populate_hugepages(m, s, e);
			else
				rc = vmemmap_populate_basepages(m, s, e);
			if (rc)
				return rc;
		}
	}
	return rc;
}
