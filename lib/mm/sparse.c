/* SPDX-License-Identifier: MIT */
/*
 * The sparse vmemmap at boot: mm/sparse.c (sparse_init_nid(), the
 * node's memmap buffer) and mm/sparse-vmemmap.c (vmemmap_populate_*()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>

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
	m->page_layout.whole = !(a->page_size % cfg->struct_page_size) &&
			       !(m->vmemmap_base % cfg->struct_page_size);
	m->page_layout.per_page = a->page_size / cfg->struct_page_size;
	m->vmemmap_pfn_lo = m->phys.lo >> a->page_shift;
	m->vmemmap_pfn_hi = m->phys.hi >> a->page_shift;

	return 0;
}

/*
 * The node's memmap buffer, sparsemap_buf and sparsemap_buf_end of
 * mm/sparse.c: [buf, end) is what is left to hand out; buf is 0 when
 * there is none. The kernel keeps them in two globals; sparse_init()
 * here passes them down.
 */
struct sparse_buffer {
	phys_addr_t buf, end;
	/* Blocks handed out back to back, not yet in page_owner: recorded
	 * as one range, in few entries, not one per block (host memory). */
	phys_addr_t run, run_end;
	/* The PMD table the last block went into: the next section's block
	 * goes into the entry beside it (host time: a petabyte has 2^25);
	 * and the PTE table the last vmemmap page went into. */
	struct pt_cursor pmd, pte;
};

/* page_owner learns of the blocks of the pending run. */
static void
sparse_buffer_flush(struct hvo_machine *m, struct sparse_buffer *sb)
{
	if (sb->run_end > sb->run)
		page_owner_set_range(&m->owner, sb->run >> m->arch.page_shift,
				     (sb->run_end - sb->run) >> m->arch.page_shift,
				     HVO_PAGES_VMEMMAP);
	sb->run = sb->run_end = 0;
}

/*
 * section_map_size() with SPARSEMEM_VMEMMAP: one section's struct pages,
 * rounded up to PMD_SIZE.
 */
static uint64_t
section_map_size(const struct hvo_machine *m)
{
	return round_up64(pages_per_section(m) * m->cfg.struct_page_size,
			  arch_level_size(&m->arch, pmd_depth(m)));
}

/*
 * sparse_buffer_init(): memblock_alloc_exact_nid_raw() of @size bytes
 * aligned to section_map_size(), top-down like every memblock
 * allocation. The kernel asks for it above __pa(MAX_DMA_ADDRESS) and
 * retries from 0; top-down, the first try wins whenever anything does,
 * so the model asks once. Without it the buffer is empty and every
 * vmemmap page comes from vmemmap_alloc_block().
 */
static void
sparse_buffer_init(struct hvo_machine *m, struct sparse_buffer *sb,
		   uint64_t size)
{
	phys_addr_t pa;

	sb->buf = sb->end = 0;
	sb->run = sb->run_end = 0;
	sb->pmd = sb->pte = (struct pt_cursor){ 0 };
	if (!size || memblock_phys_alloc(&m->memblock, size,
					 section_map_size(m), 0, &pa))
		return;
	sb->buf = pa;
	sb->end = pa + size;
}

/* sparse_buffer_free(): the first @size bytes go back to memblock. */
static void
sparse_buffer_free(struct hvo_machine *m, struct sparse_buffer *sb,
		   uint64_t size)
{
	memblock_phys_free(&m->memblock, sb->buf, size);
}

/* sparse_buffer_fini(): what was not handed out goes back to memblock. */
static void
sparse_buffer_fini(struct hvo_machine *m, struct sparse_buffer *sb)
{
	sparse_buffer_flush(m, sb);
	if (sb->buf && sb->end > sb->buf)
		sparse_buffer_free(m, sb, sb->end - sb->buf);
	sb->buf = sb->end = 0;
}

/*
 * sparse_buffer_alloc(): the next @size bytes of the buffer, aligned to
 * @size, in ascending order; the gap the alignment skips is freed.
 * Returns false when the buffer cannot serve it.
 */
static bool
sparse_buffer_alloc(struct hvo_machine *m, struct sparse_buffer *sb,
		    uint64_t size, phys_addr_t *pa)
{
	phys_addr_t ptr;

	if (!sb->buf)
		return false;
	ptr = round_up64(sb->buf, size);
	if (ptr + size > sb->end)
		return false;
	if (ptr > sb->buf)
		sparse_buffer_free(m, sb, ptr - sb->buf);
	sb->buf = ptr + size;
	*pa = ptr;
	return true;
}

/*
 * vmemmap_alloc_block_buf(): a piece of the node's buffer, or else
 * vmemmap_alloc_block(), one block from memblock (top-down, so these
 * fall as the pfn rises).
 */
static int
vmemmap_alloc_block_buf(struct hvo_machine *m, struct sparse_buffer *sb,
			uint64_t size, phys_addr_t *pa)
{
	if (sparse_buffer_alloc(m, sb, size, pa)) {
		/*
		 * Blocks (not single pages: free_reserved_page() frees
		 * those unsplit) that follow the run join it; a block is
		 * split in page_owner when its PMD is (page_owner_split()).
		 */
		if (size > m->arch.page_size && *pa == sb->run_end &&
		    sb->run_end > sb->run) {
			sb->run_end += size;
			return 0;
		}
		sparse_buffer_flush(m, sb);
		if (size > m->arch.page_size) {
			sb->run = *pa;
			sb->run_end = *pa + size;
			return 0;
		}
	} else {
		int rc = memblock_phys_alloc(&m->memblock, size, size, 0, pa);

		if (rc)
			return rc;
	}
	page_owner_set_range(&m->owner, *pa >> m->arch.page_shift,
			     size >> m->arch.page_shift, HVO_PAGES_VMEMMAP);
	return 0;
}

/*
 * vmemmap_alloc_block_buf() of up to @n single pages in a row, as that
 * many calls would hand them out: from the buffer, rising, or else from
 * memblock, falling. *@pa is the first, *@step the distance to the next;
 * returns how many (at least one), or 0 when not even one is there (the
 * caller's page-by-page path then fails as the kernel's does).
 */
static uint64_t
vmemmap_alloc_pages_run(struct hvo_machine *m, struct sparse_buffer *sb,
			uint64_t n, phys_addr_t *pa, uint64_t *step)
{
	const uint64_t psize = m->arch.page_size;
	uint64_t got, pfn;

	if (sparse_buffer_alloc(m, sb, psize, pa)) {
		got = (sb->end - sb->buf) / psize + 1;
		got = got < n ? got : n;
		sb->buf += (got - 1) * psize;
		*step = psize;
	} else {
		got = memblock_phys_alloc_down(&m->memblock, psize, n, pa);
		*step = -psize;
	}
	/* Single pages: each its own allocation, none joins a run. */
	if (got)
		sparse_buffer_flush(m, sb);
	pfn = *pa >> m->arch.page_shift;
	if (got)
		page_owner_alloc_pages(&m->owner,
				       *step == psize ? pfn : pfn - (got - 1),
				       got, HVO_PAGES_VMEMMAP);
	return got;
}

/*
 * The pages from @va on that go into the table the last one went into,
 * in one go: as many calls of the loop below would map them, when they
 * are all none there and nothing asks for them one by one. Returns how
 * many it mapped (0: go page by page).
 */
static uint64_t
vmemmap_populate_run(struct hvo_machine *m, struct sparse_buffer *sb,
		     kva_t va, kva_t end, int *rc)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t n, got, step;
	phys_addr_t pa;

	if (va < sb->pte.lo || va >= sb->pte.hi)
		return 0;
	n = ((end < sb->pte.hi ? end : sb->pte.hi) - va) >> a->page_shift;
	if (n < 2 || !pt_cursor_run_none(m, &sb->pte, va, n))
		return 0;
	got = vmemmap_alloc_pages_run(m, sb, n, &pa, &step);
	if (got)
		*rc = pt_cursor_map_run(m, &sb->pte, va, got, pa, step,
					a->page_kernel);
	return got;
}

/* vmemmap_populate_basepages(): a PTE per vmemmap page not yet mapped. */
static int
vmemmap_populate_basepages(struct hvo_machine *m, struct sparse_buffer *sb,
			   kva_t start, kva_t end)
{
	const struct hvo_arch *a = &m->arch;

	for (uint64_t va = start, n; va < end; va += a->page_size) {
		struct pt_walk w;
		struct pt_decoded d;
		bool cached;
		uint64_t pa;
		int rc = 0;

		n = vmemmap_populate_run(m, sb, va, end, &rc);
		if (rc)
			return rc;
		if (n) {
			va += (n - 1) * a->page_size;
			continue;
		}
		cached = pt_cursor_get(m, &sb->pte, va, &d);

		if (!cached)
			pt_walk_leaf(m, va, &w, true);
		if (cached ? d.kind == PTK_LEAF : w.leaf >= 0)
			continue; /* shared with the previous section */
		rc = vmemmap_alloc_block_buf(m, sb, a->page_size, &pa);
		if (rc)
			return machine_err(m, rc,
					   "out of memory for the vmemmap page at va 0x%" PRIx64,
					   va);
		rc = cached ? pt_cursor_map(m, &sb->pte, va, pa, a->page_kernel) :
			      pt_map(m, va, pa, pte_depth(m), a->page_kernel);
		if (rc)
			return rc;
		if (!cached)
			pt_cursor_remember(m, &sb->pte, va, pte_depth(m));
	}
	return 0;
}

int
vmemmap_alloc_page(struct hvo_machine *m, uint64_t *pfn)
{
	/* hugetlb_vmemmap_init_early() runs before sparse_buffer_init(). */
	struct sparse_buffer none = { 0 };
	phys_addr_t pa;
	int rc = vmemmap_alloc_block_buf(m, &none, m->arch.page_size, &pa);

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
	/* hugetlb_vmemmap_init_early(): HUGETLB_VMEMMAP_RESERVE_SIZE of it. */
	memmap_boot_pages_add(m, (int64_t)(headsize >> a->page_shift));
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
 * The PMD blocks from @va (the start of one) on that go into the table
 * the last one went into, in one go, as the loop below would map them one
 * by one: when their entries are all none and the node's buffer holds
 * them (a run of blocks, as vmemmap_alloc_block_buf() records them).
 * Returns how many it mapped (0: go block by block).
 */
static uint64_t
vmemmap_populate_blocks_run(struct hvo_machine *m, struct sparse_buffer *sb,
			    kva_t va, kva_t end, int *rc)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t size = arch_level_size(a, pmd_depth(m)), n, more;
	phys_addr_t pa;

	if (va < sb->pmd.lo || va >= sb->pmd.hi || (va & (size - 1)))
		return 0;
	n = ((end < sb->pmd.hi ? end : sb->pmd.hi) - va) / size;
	if (n < 2 || !pt_cursor_run_none(m, &sb->pmd, va, n) ||
	    !sparse_buffer_alloc(m, sb, size, &pa))
		return 0;
	more = (sb->end - sb->buf) / size;
	more = more < n - 1 ? more : n - 1;
	sb->buf += more * size;
	/* The first joins the pending run or starts one; the rest follow. */
	if (!(pa == sb->run_end && sb->run_end > sb->run)) {
		sparse_buffer_flush(m, sb);
		sb->run = pa;
		sb->run_end = pa;
	}
	sb->run_end += (more + 1) * size;
	*rc = pt_cursor_map_run(m, &sb->pmd, va, more + 1, pa, size,
				a->sect_normal);
	return more + 1;
}

/*
 * vmemmap_populate_hugepages(): a PMD block per PMD-sized piece of the span;
 * a block already there (from the previous section, when its memmap is not
 * a multiple of PMD_SIZE) covers us; without a block, fall back to pages.
 */
static int
vmemmap_populate_hugepages(struct hvo_machine *m, struct sparse_buffer *sb,
			   kva_t start, kva_t end)
{
	const struct hvo_arch *a = &m->arch;
	unsigned pmd = pmd_depth(m);
	uint64_t pmd_size = arch_level_size(a, pmd);

	for (uint64_t va = start, next, n; va < end; va = next) {
		struct pt_walk w;
		struct pt_decoded d;
		bool cached;
		uint64_t pa;
		int rc = 0;

		n = vmemmap_populate_blocks_run(m, sb, va, end, &rc);
		if (rc)
			return rc;
		if (n) {
			next = va + n * pmd_size;
			continue;
		}
		/* The walk, through the table the last block went into. */
		cached = pt_cursor_get(m, &sb->pmd, va, &d);
		next = pmd_addr_end(m, va, end);
		if (!cached)
			pt_walk(m, va, &w, true);
		if (cached ? d.kind == PTK_LEAF :
			     w.nr > pmd && pmd_leaf(m, w.lvl[pmd].entry))
			continue;
		/* pmd_none(), or none further up: a block fits. */
		if ((cached || (w.leaf < 0 && w.nr <= pmd + 1 &&
				w.lvl[w.nr - 1].d.kind == PTK_NONE)) &&
		    vmemmap_alloc_block_buf(m, sb, pmd_size, &pa) == 0) {
			/* vmemmap_set_pmd(): the arch's block prot, which
			 * on arm64 is not PAGE_KERNEL's. */
			rc = cached ? pt_cursor_map(m, &sb->pmd, round_down64(va, pmd_size),
						    pa, a->sect_normal) :
				      pt_map(m, round_down64(va, pmd_size), pa, pmd,
					     a->sect_normal);
			if (rc)
				return rc;
			if (!cached)
				pt_cursor_remember(m, &sb->pmd, va, pmd);
			continue;
		}
		rc = vmemmap_populate_basepages(m, sb, va, next);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Call @fn for the first pfn of every section that holds RAM, in
 * ascending order (for_each_present_section_nr()). Stops at the first
 * error and returns it.
 */
static int
for_each_present_section(struct hvo_machine *m,
			 int (*fn)(struct hvo_machine *m, pfn_t pfn,
				   void *ctx),
			 void *ctx)
{
	const struct phys *p = &m->phys;
	uint64_t last_section = UINT64_MAX;

	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t pfn = p->range[i].base >> p->page_shift;
		uint64_t end = (p->range[i].base + p->range[i].size) >> p->page_shift;

		for (pfn = round_down64(pfn, pages_per_section(m)); pfn < end;
		     pfn += pages_per_section(m)) {
			int rc;

			if (pfn == last_section)
				continue;
			last_section = pfn;
			rc = fn(m, pfn, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int
count_section(struct hvo_machine *m, pfn_t pfn, void *ctx)
{
	(void)m;
	(void)pfn;
	(*(uint64_t *)ctx)++;
	return 0;
}

/*
 * __populate_section_memmap() for one present section, and the boot
 * memmap it accounts: DIV_ROUND_UP(PAGES_PER_SECTION * sizeof(struct
 * page), PAGE_SIZE) pages, whatever of it an earlier section shared.
 */
static int
populate_section(struct hvo_machine *m, pfn_t pfn, void *ctx)
{
	struct sparse_buffer *sb = ctx;
	uint64_t s, e;
	int rc;

	/* SECTION_IS_VMEMMAP_PREINIT: hugetlb maps it and counts its pages. */
	if (m->hooks.section_preinit && m->hooks.section_preinit(m, pfn))
		return 0;
	section_memmap_span(m, pfn, &s, &e);
	if (m->arch.vmemmap_pmd_blocks)
		rc = vmemmap_populate_hugepages(m, sb, s, e);
	else
		rc = vmemmap_populate_basepages(m, sb, s, e);
	if (rc)
		return rc;
	memmap_boot_pages_add(m, (int64_t)round_up64(pages_per_section(m) *
						     m->cfg.struct_page_size,
						     m->arch.page_size) >>
				 m->arch.page_shift);
	return 0;
}

/*
 * Sections whose spans meet, one after another: one span for
 * vmemmap_populate_basepages() or _hugepages(), which map the same pages
 * in the same order as they would section by section (the spans do not
 * overlap, and with PMD blocks they start and end on a block: no entry
 * is looked at twice), so their runs can cross sections.
 */
struct section_batch {
	struct sparse_buffer *sb;
	kva_t start, end;
	uint64_t nr; /* sections in it */
};

static int
section_batch_flush(struct hvo_machine *m, struct section_batch *b)
{
	int rc = 0;

	if (b->nr && m->arch.vmemmap_pmd_blocks)
		rc = vmemmap_populate_hugepages(m, b->sb, b->start, b->end);
	else if (b->nr)
		rc = vmemmap_populate_basepages(m, b->sb, b->start, b->end);
	if (!rc)
		memmap_boot_pages_add(m, (int64_t)(b->nr *
			(round_up64(pages_per_section(m) * m->cfg.struct_page_size,
				    m->arch.page_size) >> m->arch.page_shift)));
	b->nr = 0;
	return rc;
}

static int
batch_section(struct hvo_machine *m, pfn_t pfn, void *ctx)
{
	struct section_batch *b = ctx;
	kva_t s, e;
	int rc;

	/* A section hugetlb maps (a question, nothing done): as it was. */
	if (m->hooks.section_preinit && m->hooks.section_preinit(m, pfn)) {
		rc = section_batch_flush(m, b);
		return rc ? rc : populate_section(m, pfn, b->sb);
	}
	section_memmap_span(m, pfn, &s, &e);
	if (b->nr && s == b->end &&
	    (!m->arch.vmemmap_pmd_blocks ||
	     !((s | e) & (arch_level_size(&m->arch, pmd_depth(m)) - 1)))) {
		b->end = e;
		b->nr++;
		return 0;
	}
	rc = section_batch_flush(m, b);
	b->start = s;
	b->end = e;
	b->nr = 1;
	return rc;
}

/*
 * sparse_init() and sparse_init_nid() for the one node: a buffer for the
 * memmap of every present section, handed out in ascending pfn order, so
 * the memmap of consecutive sections is physically consecutive.
 */
int
sparse_init(struct hvo_machine *m)
{
	struct sparse_buffer sb;
	uint64_t map_count = 0;
	int rc;

	for_each_present_section(m, count_section, &map_count);
	sparse_buffer_init(m, &sb, map_count * section_map_size(m));
	{
		struct section_batch b = { .sb = &sb };

		rc = for_each_present_section(m, batch_section, &b);
		if (!rc)
			rc = section_batch_flush(m, &b);
	}
	sparse_buffer_fini(m, &sb);
	return rc;
}
