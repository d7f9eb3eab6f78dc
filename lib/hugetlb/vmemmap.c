/* SPDX-License-Identifier: MIT */
/*
 * HugeTLB Vmemmap Optimization, in the shape of mm/hugetlb_vmemmap.c: a
 * range walk over the vmemmap of one hugepage that splits PMD blocks and
 * calls one callback per PTE, and the variants built on it.
 *
 *   variant     walk starts at   first PTE            other PTEs
 *   keep2       2nd page         kept (reuse page)    -> reuse page, RO
 *   fakehead    1st page         -> new copy of head  -> same copy, RO
 *   sharedtail  1st page         -> new copy of head  -> shared tail, RO
 *
 * "RO" is PAGE_KERNEL_RO, which is PAGE_KERNEL on riscv.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hugetlb/hugetlb.h"
#include "hugetlb/vmemmap_host.h"
#include "mm/page.h"

#define PFN_NONE UINT64_MAX

struct vmemmap_remap_walk {
	int (*remap_pte)(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
			 struct vmemmap_remap_walk *walk);
	uint64_t nr_walked;
	uint64_t vmemmap_head;  /* the page for the first PTE, or PFN_NONE */
	uint64_t vmemmap_tail;  /* the page for every other PTE */
	struct pfn_list *vmemmap_pages;
	unsigned flags;
	bool only_tail;          /* 2026 restore: only PTEs on vmemmap_tail */
	/* fakehead restore: reset_struct_pages() each copy (vmemmap_host.h) */
	struct restore_tails *reset;
};

/* copy_page() of simulated frames, as the kernel copies through the direct map. */
static void
copy_page_pfn(struct hvo_machine *m, uint64_t to, uint64_t from)
{
	phys_copy_frame(&m->phys, to, from, false);
}

/*
 * vmemmap_split_pmd(): replace the PMD block at @pmdp, which maps @addr,
 * by a PTE table that maps the same pages with PAGE_KERNEL. The table page
 * is never given back.
 */
static int
vmemmap_split_pmd(struct hvo_machine *m, uint64_t pmdp, pmd_t pmd,
		  uint64_t addr, struct vmemmap_remap_walk *walk)
{
	const struct hvo_arch *a = &m->arch;
	unsigned depth = pmd_depth(m);
	uint64_t start = addr & ~(arch_level_size(a, depth) - 1);
	uint64_t block = pmd_pfn(m, pmd);
	unsigned order = a->level[depth].shift - a->page_shift;
	uint64_t table, flags;
	int rc;

	if (should_fail(m, &m->fail_vmemmap_pmd))
		return machine_err(m, -ENOMEM,
				   "vmemmap_split_pmd at 0x%" PRIx64 " failed (fault injection)",
				   start);
	rc = pagetable_alloc_page(m, &table);
	if (rc)
		return rc;
	pt_fill_table(m, pte_depth(m), table, block << a->page_shift,
		      a->page_kernel);
	/* A block from the buddy becomes pages that can be freed one by one;
	 * memblock's is reserved memory, each page freed on its own anyway. */
	rc = page_flags(m, pfn_to_page(m, block), &flags);
	if (rc)
		return rc;
	if (!flag_test(flags, PG_reserved)) {
		rc = split_page(m, block, order);
		if (rc)
			return rc;
	} else {
		page_owner_split(&m->owner, block, order);
	}
	pmd_populate_kernel(m, pmdp, table);
	count(m, CNT_HVO_SPLIT_PMD);
	if (!(walk->flags & VMEMMAP_SPLIT_NO_TLB_FLUSH))
		flush_tlb_kernel_range(m, start, start + arch_level_size(a, depth));
	return 0;
}

/*
 * vmemmap_remap_range(): walk [start, end) a PMD at a time, splitting
 * blocks, then call remap_pte for each PTE (a NULL remap_pte only splits).
 */
static int
vmemmap_remap_range(struct hvo_machine *m, uint64_t start, uint64_t end,
		    struct vmemmap_remap_walk *walk)
{
	unsigned pmd = pmd_depth(m);
	int rc = 0;

	for (uint64_t addr = start; addr < end;) {
		uint64_t next = pmd_addr_end(m, addr, end), ptep;
		struct pt_walk w;

		pt_walk(m, addr, &w, true);
		if (w.nr > pmd && pmd_leaf(m, w.lvl[pmd].entry)) {
			rc = vmemmap_split_pmd(m, w.lvl[pmd].entry_pa,
					       w.lvl[pmd].entry, addr, walk);
			if (rc)
				break;
			pt_walk(m, addr, &w, true);
		}
		if (w.leaf != (int)pte_depth(m)) {
			rc = machine_err(m, -EFAULT,
					 "vmemmap at 0x%" PRIx64 " is not mapped by a PTE", addr);
			break;
		}
		if (!walk->remap_pte) {
			addr = next;
			continue;
		}
		ptep = pte_offset_kernel(m, w.lvl[pmd].entry_pa, addr);
		for (; addr < next; addr += m->arch.page_size) {
			rc = walk->remap_pte(m, ptep, addr, walk);
			if (rc)
				goto out;
			walk->nr_walked++;
			ptep += sizeof(pte_t);
		}
	}
out:
	if (walk->remap_pte && !(walk->flags & VMEMMAP_REMAP_NO_TLB_FLUSH))
		flush_tlb_kernel_range(m, start, end);
	return rc;
}

/*
 * vmemmap_remap_pte(): the optimize direction. The first PTE takes the
 * head page (or, with none, is kept as the reuse page every other PTE will
 * share); the others take the tail page read-only. Old pages go on the
 * list to be freed.
 */
static int
vmemmap_remap_pte(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		  struct vmemmap_remap_walk *walk)
{
	uint64_t old = pte_pfn(m, ptep_get(m, ptep));
	pte_t entry;
	int rc;

	if (should_fail(m, &m->fail_vmemmap_pte))
		return machine_err(m, -ENOMEM,
				   "vmemmap PTE step %" PRIu64 " failed (fault injection)",
				   walk->nr_walked);
	if (walk->nr_walked == 0 && walk->vmemmap_head == PFN_NONE) {
		/* Classic HVO: the first page stays, and is what tails share. */
		walk->vmemmap_tail = old;
		return 0;
	}
	if (walk->nr_walked == 0)
		entry = mk_pte(m, walk->vmemmap_head, m->arch.page_kernel);
	else /* read-only, to catch illegal writes to the tails */
		entry = mk_pte(m, walk->vmemmap_tail, m->arch.page_kernel_ro);
	rc = pfn_list_add(walk->vmemmap_pages, old);
	if (rc)
		return machine_err(m, rc, "out of host memory");
	set_pte_at(m, addr, ptep, entry);
	return 0;
}

/*
 * reset_struct_pages(): a tail page rebuilt from a copy of the head page
 * still holds the head, page[1] and page[2]; overwrite them with the plain
 * tails 3..5 (NR_RESET_STRUCT_PAGE).
 */
static void
reset_struct_pages(struct hvo_machine *m, uint64_t pfn)
{
	uint8_t *p = phys_to_host(&m->phys, pfn << m->arch.page_shift);
	unsigned sz = m->cfg.struct_page_size;

	memcpy(p, p + 3 * sz, 3 * sz);
}

/*
 * vmemmap_restore_pte(): the restore direction. A fresh page gets a copy
 * of what the PTE shows now and is mapped read-write. In the 2026 design
 * only PTEs on the shared tail are restored, so a head page is never
 * rebuilt from a tail (the May 2026 fix, R4); classic HVO catches the reuse
 * page first and rebuilds every other page from it.
 */
static int
vmemmap_restore_pte(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		    struct vmemmap_remap_walk *walk)
{
	uint64_t src = pte_pfn(m, ptep_get(m, ptep)), dst;

	if (walk->only_tail) {
		if (src != walk->vmemmap_tail)
			return 0;
	} else if (walk->nr_walked == 0) {
		walk->vmemmap_tail = src; /* the reuse page */
		return 0;
	}
	if (!pfn_list_take(walk->vmemmap_pages, &dst))
		return machine_err(m, -ENOMEM, "restore ran out of preallocated pages");
	if (!walk->reset ||
	    !restore_plain_tails(m, dst, walk->vmemmap_tail, walk->reset)) {
		copy_page_pfn(m, dst, walk->only_tail ? src : walk->vmemmap_tail);
		if (walk->reset)
			reset_struct_pages(m, dst);
	}
	set_pte_at(m, addr, ptep, mk_pte(m, dst, m->arch.page_kernel));
	return 0;
}

/* free_vmemmap_page(): boot memory by the bootmem path, the rest to the buddy. */
static int
free_vmemmap_page(struct hvo_machine *m, uint64_t pfn)
{
	uint64_t flags;
	int rc = page_flags(m, pfn_to_page(m, pfn), &flags);

	if (rc)
		return rc;
	count(m, CNT_HVO_VMEMMAP_FREED);
	if (flag_test(flags, PG_reserved))
		return free_reserved_page(m, pfn);
	return free_pages(m, pfn, 0);
}

static int
free_vmemmap_page_list(struct hvo_machine *m, struct pfn_list *l)
{
	int rc = 0;

	for (size_t i = l->next; i < l->n && !rc; i++) {
		prefetch_vmemmap_list(m, l, i);
		rc = free_vmemmap_page(m, l->pfn[i]);
	}
	l->n = l->next = 0;
	return rc;
}

/*
 * The rollback callback: map the original page back, read-write. The
 * originals were unmapped, never written, so this is the exact pre-image;
 * the 2026 kernel gets the same bytes by copying the shared tail into them.
 * With a caught reuse page (classic HVO without a new head) the first PTE
 * was never changed.
 */
static int
vmemmap_unremap_pte(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		    struct vmemmap_remap_walk *walk)
{
	uint64_t dst;

	if (walk->nr_walked == 0 && walk->vmemmap_head == PFN_NONE)
		return 0;
	if (!pfn_list_take(walk->vmemmap_pages, &dst))
		return machine_err(m, -EFAULT, "rollback lost track of a vmemmap page");
	set_pte_at(m, addr, ptep, mk_pte(m, dst, m->arch.page_kernel));
	return 0;
}

/*
 * vmemmap_remap_free(): remap [start, end) and collect the old pages on
 * @list. If it fails part way, walk the PTEs done so far back to their
 * old pages, so the hugepage is exactly as before, and take those pages
 * off the list.
 */
static int
vmemmap_remap_free(struct hvo_machine *m, uint64_t start, uint64_t end,
		   uint64_t head, uint64_t *tail, unsigned flags,
		   struct pfn_list *list)
{
	struct vmemmap_remap_walk walk = {
		.remap_pte = vmemmap_remap_pte,
		.vmemmap_head = head,
		.vmemmap_tail = *tail,
		.vmemmap_pages = list,
		.flags = flags,
	};
	size_t first = list->n;
	int rc = vmemmap_remap_range(m, start, end, &walk);

	*tail = walk.vmemmap_tail;
	if (rc && walk.nr_walked) {
		uint64_t done = start + walk.nr_walked * m->arch.page_size;
		struct pfn_list back = {
			.pfn = list->pfn + first,
			.n = list->n - first,
		};
		struct vmemmap_remap_walk undo = {
			.remap_pte = vmemmap_unremap_pte,
			.vmemmap_head = head,
			.vmemmap_pages = &back,
		};
		char why[256];

		memcpy(why, m->error, sizeof(why));
		vmemmap_remap_range(m, start, done, &undo);
		list->n = first;
		count(m, CNT_HVO_ROLLBACK);
		memcpy(m->error, why, sizeof(why));
	}
	return rc;
}

/*
 * vmemmap_remap_alloc(): allocate every page first (all or nothing), then
 * walk and restore; pages left unused go back.
 */
static int
vmemmap_remap_alloc(struct hvo_machine *m, uint64_t start, uint64_t end,
		    struct vmemmap_remap_walk *walk, uint64_t nr_pages)
{
	struct pfn_list list = { 0 };
	int rc = 0;

	for (uint64_t i = 0; i < nr_pages && !rc; i++) {
		uint64_t pfn;

		rc = alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_VMEMMAP, &pfn);
		if (!rc)
			rc = pfn_list_add(&list, pfn);
		if (!rc)
			count(m, CNT_HVO_VMEMMAP_ALLOCED);
	}
	if (rc) {
		char why[256];

		memcpy(why, m->error, sizeof(why));
		for (size_t i = 0; i < list.n; i++)
			free_pages(m, list.pfn[i], 0);
		free(list.pfn);
		memcpy(m->error, why, sizeof(why));
		return machine_err(m, -ENOMEM,
				   "cannot restore the vmemmap: %s (the hugepage stays optimized)",
				   why);
	}
	walk->remap_pte = vmemmap_restore_pte;
	walk->vmemmap_pages = &list;
	rc = vmemmap_remap_range(m, start, end, walk);
	for (size_t i = list.next; i < list.n; i++)
		free_pages(m, list.pfn[i], 0);
	free(list.pfn);
	return rc;
}

/* vmemmap_get_tail(): the shared, zeroed-then-filled tail page of (zone, order). */
static int
vmemmap_get_tail(struct hvo_machine *m, struct hstate *h, unsigned zone,
		 uint64_t *out)
{
	uint8_t tpl[256];
	uint64_t pfn;
	int rc;

	if (h->tail_pfn[zone]) {
		*out = h->tail_pfn[zone];
		return 0;
	}
	rc = alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_VMEMMAP, &pfn);
	if (rc)
		return rc;
	/* With the mask encoding every tail of (zone, order) is the same. */
	init_compound_tail(m, tpl, h->order, zone);
	memmap_fill_frame(m, pfn, tpl, TPL_PLAIN, 0);
	h->tail_pfn[zone] = pfn;
	*out = pfn;
	return 0;
}

/*
 * __hugetlb_vmemmap_optimize_folio(): one hugepage, old vmemmap pages
 * collected on @list (freed by the caller, after the flush it owes).
 */
static int
__hugetlb_vmemmap_optimize_folio(struct hvo_machine *m, struct hstate *h,
				 struct huge_page *hp, unsigned flags,
				 struct pfn_list *list)
{
	const struct hvo_arch *a = &m->arch;
	enum hvo_variant v = m->hugetlb->hvo_variant;
	uint64_t start = pfn_to_page(m, hp->pfn);
	uint64_t end = start + h->vmemmap_pages * a->page_size;
	uint64_t head = PFN_NONE, tail = PFN_NONE;
	unsigned zone = pfn_zone(m, hp->pfn);
	int rc;

	if (v == HVO_VARIANT_OFF || hp->variant != HVO_VARIANT_OFF ||
	    !hugetlb_vmemmap_optimizable(m, h, NULL))
		return 0;
	if (v == HVO_VARIANT_SHAREDTAIL) {
		rc = vmemmap_get_tail(m, h, zone, &tail);
		if (rc)
			return rc;
	}
	/*
	 * Set the flag before remapping: without a flush, stale TLB entries
	 * may still write the old struct pages, so both copies carry it.
	 */
	rc = folio_set_vmemmap_optimized(m, hp->pfn, true);
	if (rc)
		return rc;
	if (v != HVO_VARIANT_KEEP2) {
		rc = alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_VMEMMAP, &head);
		if (rc && v == HVO_VARIANT_SHAREDTAIL) {
			folio_set_vmemmap_optimized(m, hp->pfn, false);
			return rc;
		}
		if (rc) {
			/* Classic HVO falls back to reusing the mapped head. */
			head = PFN_NONE;
		} else {
			count(m, CNT_HVO_VMEMMAP_ALLOCED);
			vmemmap_copy_head(m, head, start);
			if (v == HVO_VARIANT_FAKEHEAD)
				tail = head;
		}
	} else {
		start += a->page_size; /* the walk starts at the reuse page */
	}
	rc = vmemmap_remap_free(m, start, end, head, &tail, flags, list);
	if (rc) {
		char why[256];

		memcpy(why, m->error, sizeof(why));
		/* The unused head goes back with the rest. */
		if (head != PFN_NONE)
			pfn_list_add(list, head);
		folio_set_vmemmap_optimized(m, hp->pfn, false);
		memcpy(m->error, why, sizeof(why));
		return rc;
	}
	hp->variant = v;
	hp->head_vmemmap = v == HVO_VARIANT_KEEP2 ?
			   pfn_of_va(m, pfn_to_page(m, hp->pfn)) :
			   (head != PFN_NONE ? head : tail);
	hp->reuse_vmemmap = v == HVO_VARIANT_KEEP2 ? tail : hp->head_vmemmap;
	if (v == HVO_VARIANT_FAKEHEAD)
		m->hvo_fake_heads++; /* static_branch_inc() */
	h->optimized++;
	count(m, CNT_HVO_OPTIMIZE);
	return 0;
}

int
hugetlb_vmemmap_optimize_folio(struct hvo_machine *m, struct hstate *h,
			       struct huge_page *hp)
{
	struct pfn_list list = { 0 };
	int rc, rc2;

	rc = __hugetlb_vmemmap_optimize_folio(m, h, hp, 0, &list);
	rc2 = free_vmemmap_page_list(m, &list);
	free(list.pfn);
	return rc ? rc : rc2;
}

/*
 * hugetlb_vmemmap_optimize_folios(): split every PMD first (no flush), one
 * flush_tlb_all(), remap every hugepage (no flush), one flush_tlb_all(),
 * then free. At the first -ENOMEM of the split pass, stop splitting: the
 * remap pass splits what is left with memory that deduplication frees. On
 * -ENOMEM in the remap pass with pages collected, flush, free them and
 * retry that hugepage once.
 */
int
hugetlb_vmemmap_optimize_folios(struct hvo_machine *m, struct hstate *h,
				struct huge_page **pages, uint64_t n)
{
	struct pfn_list list;
	bool any = false;
	int rc = 0;

	if (m->hugetlb->hvo_variant == HVO_VARIANT_OFF ||
	    !hugetlb_vmemmap_optimizable(m, h, NULL))
		return 0;
	vmemmap_batch_list_get(m, &list, n * h->vmemmap_pages);
	for (uint64_t i = 0; i < n; i++) {
		struct vmemmap_remap_walk split = {
			.flags = VMEMMAP_SPLIT_NO_TLB_FLUSH,
		};
		uint64_t start = pfn_to_page(m, pages[i]->pfn);

		if (pages[i]->variant != HVO_VARIANT_OFF)
			continue;
		any = true;
		if (vmemmap_remap_range(m, start,
					start + h->vmemmap_pages * m->arch.page_size,
					&split) == -ENOMEM)
			break;
	}
	if (!any)
		return 0;
	flush_tlb_all(m);
	for (uint64_t i = 0; i < n; i++) {
		bool retried = false;

		prefetch_folio_to_optimize(m, pages, i, n);
again:
		rc = __hugetlb_vmemmap_optimize_folio(m, h, pages[i],
						      VMEMMAP_REMAP_NO_TLB_FLUSH,
						      &list);
		if (rc == -ENOMEM && !pfn_list_empty(&list) && !retried) {
			flush_tlb_all(m);
			free_vmemmap_page_list(m, &list);
			retried = true;
			goto again;
		}
		/* Best effort: a hugepage that cannot be optimized stays as is. */
	}
	flush_tlb_all(m);
	free_vmemmap_page_list(m, &list);
	vmemmap_batch_list_put(m, &list);
	return 0;
}

/* __hugetlb_vmemmap_restore_folio(): all pages first, or -ENOMEM and no change. */
static int
__hugetlb_vmemmap_restore_folio(struct hvo_machine *m, struct hstate *h,
				struct huge_page *hp, unsigned flags)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t start = pfn_to_page(m, hp->pfn);
	uint64_t end = start + h->vmemmap_pages * a->page_size;
	struct vmemmap_remap_walk walk = { .flags = flags };
	struct restore_tails tails;
	uint64_t nr = 0;
	int rc;

	switch (hp->variant) {
	case HVO_VARIANT_OFF:
		return 0;
	case HVO_VARIANT_SHAREDTAIL:
		walk.only_tail = true;
		walk.vmemmap_tail = h->tail_pfn[pfn_zone(m, hp->pfn)];
		start += a->page_size;
		nr = h->vmemmap_pages - 1;
		break;
	case HVO_VARIANT_FAKEHEAD:
		/*
		 * Rebuilding tails from a copy of the head page would copy
		 * page[3]'s _hugetlb_cgroup (which overlays ->mapping) into
		 * tail slots: reset it to TAIL_MAPPING first (R5).
		 */
		rc = folio_reset_hugetlb_cgroup(m, hp->pfn);
		if (rc)
			return rc;
		restore_tails_init(&tails, hp->pfn, h->order);
		walk.reset = &tails;
		nr = h->vmemmap_pages - 1;
		break;
	case HVO_VARIANT_KEEP2:
		start += a->page_size;
		nr = h->vmemmap_pages - 2;
		break;
	}
	rc = vmemmap_remap_alloc(m, start, end, &walk, nr);
	if (rc)
		return rc;
	rc = folio_set_vmemmap_optimized(m, hp->pfn, false);
	if (rc)
		return rc;
	if (hp->variant == HVO_VARIANT_FAKEHEAD)
		m->hvo_fake_heads--;
	hp->variant = HVO_VARIANT_OFF;
	hp->head_vmemmap = hp->reuse_vmemmap = 0;
	h->optimized--;
	count(m, CNT_HVO_RESTORE);
	return 0;
}

int
hugetlb_vmemmap_restore_folio(struct hvo_machine *m, struct hstate *h,
			      struct huge_page *hp)
{
	return __hugetlb_vmemmap_restore_folio(m, h, hp, 0);
}

/*
 * hugetlb_vmemmap_restore_folios(): no flush per hugepage, one
 * flush_tlb_all() if any was restored. Stops at the first error; returns
 * how many were restored, or the error if none was.
 */
long
hugetlb_vmemmap_restore_folios(struct hvo_machine *m, struct hstate *h,
			       struct huge_page **pages, uint64_t n)
{
	long restored = 0;
	int rc = 0;

	for (uint64_t i = 0; i < n; i++) {
		prefetch_folio_to_restore(m, pages, i, n);
		if (pages[i]->variant == HVO_VARIANT_OFF)
			continue;
		rc = __hugetlb_vmemmap_restore_folio(m, h, pages[i],
						     VMEMMAP_REMAP_NO_TLB_FLUSH);
		if (rc)
			break;
		restored++;
	}
	if (restored)
		flush_tlb_all(m);
	return restored ? restored : rc;
}
