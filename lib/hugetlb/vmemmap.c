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
 * "RO" is PAGE_KERNEL_RO, which is PAGE_KERNEL on riscv. Each variant's
 * choices are two small functions (keep2_plan() and keep2_restore(), and
 * their kin); every other function is the kernel's, under its name. What
 * the simulation adds to save host memory and time is in vmemmap_host.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hugetlb/hugetlb.h"
#include "hugetlb/vmemmap_host.h"
#include "mm/page.h"
#include "mm/sparse.h"

/*
 * As vmemmap_head: no new page, the first PTE of the walk stays as it is.
 * As vmemmap_tail: the other PTEs map the first PTE's page, which the walk
 * catches (the reuse page of 5.14-6.x).
 */
#define VMEMMAP_KEEP_FIRST UINT64_MAX

struct vmemmap_remap_walk {
	int (*remap_pte)(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
			 struct vmemmap_remap_walk *walk);
	uint64_t nr_walked;
	uint64_t vmemmap_head;  /* the page for the first PTE */
	uint64_t vmemmap_tail;  /* the page for every other PTE */
	struct pfn_list *vmemmap_pages;
	unsigned flags;
	bool only_tail;         /* restore only PTEs on vmemmap_tail (2026) */
	/* fakehead restore: reset_struct_pages() each copy (vmemmap_host.h) */
	struct restore_tails *reset;
	/*
	 * The host bytes of the PTE the callback is at: the walk translates
	 * each PTE table once (the kernel's pte_offset_kernel() pointer),
	 * the reads and writes through it are counted as pt_get()'s and
	 * pt_set()'s.
	 */
	uint64_t *pte_host;
	/*
	 * For that table, worked out once: the counters of its reads and
	 * writes, and whether a write only counts and stores
	 * (pt_set_host_plain()).
	 */
	uint64_t *pte_reads, *pte_writes;
	bool pte_set_plain;
	/*
	 * The read-only entry every tail gets, made with the walk and again
	 * when the walk catches the reuse page.
	 */
	pte_t tail_entry;
	/*
	 * vmemmap_head still wants its copy of the page the first PTE maps:
	 * made when the walk reads that PTE, not by a look-up of its own.
	 */
	bool copy_head;
	/*
	 * vmemmap_check_head()'s grain test by address, worked out once per
	 * walk: the struct page at @addr is on the grain of the smallest
	 * hugepage where addr - grain_va has no bit of grain_mask set.
	 */
	uint64_t grain_va, grain_mask;
};

/* ptep_get() of the PTE the walk is at. */
static inline pte_t
walk_ptep_get(struct hvo_machine *m, const struct vmemmap_remap_walk *walk)
{
	(void)m;
	(*walk->pte_reads)++;
	return *walk->pte_host;
}

/* set_pte_at() of the PTE the walk is at, @ptep. */
static inline void
walk_set_pte_at(struct hvo_machine *m, struct vmemmap_remap_walk *walk,
		uint64_t addr, uint64_t ptep, pte_t pte)
{
	if (!walk->pte_set_plain) {
		__pt_set_host(m, pte_depth(m), addr, ptep, walk->pte_host, pte);
		return;
	}
	(*walk->pte_writes)++;
	*walk->pte_host = pte;
}

/*
 * A check the kernel makes with VM_WARN_ON_ONCE() or BUG_ON() in a walk's
 * callback failed: stop the walk with the reason, counted.
 */
#define VMEMMAP_BUG(m, rc, ...) \
	(count((m), CNT_HVO_SANITY), machine_err((m), (rc), __VA_ARGS__))

/* Whether the struct page at @addr heads a hugepage of the pool. */
static bool
vmemmap_heads_hugepage(struct hvo_machine *m, uint64_t addr)
{
	/* page_to_pfn(), by a shift: HVO needs a power-of-two struct page. */
	uint64_t pfn = (addr - m->vmemmap_base) >>
		       __builtin_ctzll(m->cfg.struct_page_size);

	return find_huge_page(m, pfn, NULL);
}

/*
 * The kernel's VM_WARN_ON_ONCE(!PageHead(addr)) where @head, else its
 * PageHead() and !PageTail() warnings: whether the struct page at @addr
 * heads a hugepage, answered by the pool instead of a load through the
 * vmemmap. The checks are gone from a production kernel, so they must not
 * count TLB accesses.
 */
static int
vmemmap_check_head(struct hvo_machine *m, const struct vmemmap_remap_walk *walk,
		   const char *who, uint64_t addr, bool head)
{
	/*
	 * No hugepage starts off the grain of the smallest: most tails, so
	 * the look-up and its pfn stay out of a walk's way.
	 */
	bool grain = unlikely(!((addr - walk->grain_va) & walk->grain_mask));

	if ((grain && vmemmap_heads_hugepage(m, addr)) == head)
		return 0;
	return VMEMMAP_BUG(m, -EFAULT,
			   "%s: the struct page at 0x%" PRIx64 " should %s a head, and is%s",
			   who, addr, head ? "be" : "not be", head ? " not" : "");
}

/*
 * The walk's grain for vmemmap_check_head(): the pfns from the pool
 * index's base in steps of its grain, as vmemmap addresses.
 */
static void
vmemmap_check_init(struct hvo_machine *m, struct vmemmap_remap_walk *walk)
{
	const struct hp_index *ix = &m->hugetlb->hp_index;
	unsigned shift = (unsigned)__builtin_ctzll(m->cfg.struct_page_size);

	walk->grain_va = m->vmemmap_base + (ix->base_pfn << shift);
	walk->grain_mask = ((UINT64_C(1) << ix->shift) - 1) << shift;
}

static uint64_t
hugetlb_vmemmap_size(const struct hvo_machine *m, const struct hstate *h)
{
	return h->vmemmap_pages * m->arch.page_size;
}

/*
 * copy_page() of simulated frames, as the kernel copies through the direct
 * map. Inline: a restore makes one per PTE it rebuilds.
 */
static HVO_ALWAYS_INLINE void
copy_page_pfn(struct hvo_machine *m, uint64_t to, uint64_t from)
{
	phys_copy_frame(&m->phys, to, from, false);
	memmap_compact_copied(m, to, from, false);
}

/*
 * copy_page_pfn() of @from for a caller that makes many copies of it:
 * where its frame is described (@lazy, @payload: phys_lazy_payload() of
 * a frame with a slot, looked up once), each copy takes the description,
 * as phys_copy_frame() would.
 */
static HVO_ALWAYS_INLINE void
copy_page_pfn_lazy(struct hvo_machine *m, uint64_t to, uint64_t from,
		   bool lazy, uint64_t payload)
{
	if (lazy && phys_set_lazy(&m->phys, to, payload))
		memmap_compact_copied(m, to, from, false);
	else
		copy_page_pfn(m, to, from);
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
	/*
	 * A block from the buddy becomes pages that can be freed one by one;
	 * memblock's is reserved memory, each page freed on its own anyway.
	 * PageReserved() is all the split reads of that struct page: where
	 * its vmemmap page is described, it stays so, not held as a host page
	 * per split until the batch ends.
	 */
	flags = page_load64_described(m, pfn_to_page(m, block), PAGE_FLAGS_OFF);
	if (machine_oopsed(m))
		return m->oops;
	if (!flag_test(m, flags, PG_reserved)) {
		rc = split_page(m, block, order);
		if (rc)
			return rc;
	} else {
		page_owner_split(&m->owner, block, order);
	}
	pmd_populate_kernel(m, start, pmdp, table);
	count(m, CNT_HVO_SPLIT_PMD);
	if (!(walk->flags & VMEMMAP_SPLIT_NO_TLB_FLUSH))
		flush_tlb_kernel_range(m, start, start + arch_level_size(a, depth));
	return 0;
}

/*
 * vmemmap_pmd_entry(): HVO remaps PTEs, so a PMD block is split first.
 * @w is the walk to @addr; it is walked again after a split.
 */
static int
vmemmap_pmd_entry(struct hvo_machine *m, struct pt_walk *w, uint64_t addr,
		  struct vmemmap_remap_walk *walk)
{
	unsigned pmd = pmd_depth(m);
	int rc;

	/* pmd_leaf(): the walk stopped at a leaf of the PMD level. */
	if (w->leaf == (int)pmd) {
		rc = vmemmap_split_pmd(m, w->lvl[pmd].entry_pa,
				       w->lvl[pmd].entry, addr, walk);
		if (rc)
			return rc;
		pt_walk_leaf(m, addr, w, true);
	}
	if (w->leaf != (int)pte_depth(m))
		return machine_err(m, -EFAULT,
				   "vmemmap at 0x%" PRIx64 " is not mapped by a PTE", addr);
	return 0;
}

static int
vmemmap_remap_pte(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		  struct vmemmap_remap_walk *walk);
static int
vmemmap_restore_pte(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		    struct vmemmap_remap_walk *walk);

typedef int (*vmemmap_remap_pte_fn)(struct hvo_machine *m, uint64_t ptep,
				    uint64_t addr,
				    struct vmemmap_remap_walk *walk);

static HVO_ALWAYS_INLINE int
vmemmap_pte_entry(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		  struct vmemmap_remap_walk *walk, vmemmap_remap_pte_fn remap_pte)
{
	int rc = remap_pte(m, ptep, addr, walk);

	if (!rc)
		walk->nr_walked++;
	return rc;
}

/*
 * The PTEs of [addr, next), one table's from @ptep on: walk->remap_pte()
 * of each. Inline with @remap_pte a constant, the two that run per
 * hugepage get a loop each with the callback inlined: a PTE costs no
 * indirect call, no frame and no test of which callback it is.
 */
static HVO_ALWAYS_INLINE int
vmemmap_pte_range(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		  uint64_t next, struct vmemmap_remap_walk *walk,
		  vmemmap_remap_pte_fn remap_pte)
{
	int rc = 0;

	for (; addr < next && !rc; addr += m->arch.page_size) {
		rc = vmemmap_pte_entry(m, ptep, addr, walk, remap_pte);
		ptep += sizeof(pte_t);
		walk->pte_host++;
	}
	return rc;
}

/*
 * How many of the pages from @addr on, 1 << @shift bytes apart, are off the
 * grain of vmemmap_check_head(): at most as many as lie before the next
 * grain address (0 if @addr is one). The grain test's mask covers bits
 * from the struct page's size up, so the grain recurs every (mask |
 * those below it) + 1 bytes from grain_va, for one struct page's bytes.
 */
static inline uint64_t
vmemmap_off_grain(const struct vmemmap_remap_walk *walk, uint64_t addr,
		  unsigned shift)
{
	const uint64_t mask = walk->grain_mask, low = (mask & -mask) - 1;
	const uint64_t period = (mask | low) + 1;
	uint64_t off = (addr - walk->grain_va) & (period - 1);

	if (!mask || off <= low)
		return 0;
	return (period - off + (UINT64_C(1) << shift) - 1) >> shift;
}

/*
 * The end of a quick run of @n PTEs: each counted as read and written,
 * as the PTE-by-PTE walk counts it, and the walk moved past them.
 */
static HVO_ALWAYS_INLINE uint64_t
vmemmap_quick_done(struct vmemmap_remap_walk *walk, uint64_t n)
{
	*walk->pte_reads += n;
	*walk->pte_writes += n;
	walk->nr_walked += n;
	walk->pte_host += n;
	return n;
}

/*
 * vmemmap_remap_pte() of the tail PTEs from walk->pte_host on, for as
 * long as nothing can stop one: a write only counts and stores (no
 * trace, so nothing looks at the counters before the run ends), no
 * fault is armed, the list has room, no struct page is on the grain
 * vmemmap_check_head() looks up, and the arch's PTE format is data.
 * Each PTE's page goes on the list and the tail entry takes its place,
 * counted as read and written. Returns how many, at most (@next -
 * @addr) / page size; the walk goes on from there PTE by PTE. With
 * nothing to call, what the PTEs share stays in registers: through the
 * walk and the machine, the host would load it again for every PTE.
 */
static HVO_ALWAYS_INLINE uint64_t
vmemmap_remap_tails_quick(struct hvo_machine *m, uint64_t addr, uint64_t next,
			  struct vmemmap_remap_walk *walk)
{
	const struct hvo_arch *a = &m->arch;
	struct pfn_list *list = walk->vmemmap_pages;
	/* pte_pfn(), the PTE format held here (arch_pte_pa()) */
	const uint64_t present = a->pte_present, pa_mask = a->pte_pa_mask;
	const unsigned shift = a->page_shift;
	const pte_t entry = walk->tail_entry;
	uint64_t *host = walk->pte_host, *slot, *end;
	uint64_t n = (next - addr) >> shift, i;

	if (!walk->pte_set_plain || should_fail_armed(&m->fail_vmemmap_pte) ||
	    !pa_mask)
		return 0;
	slot = list->pfn + list->n;
	end = list->pfn + list->max;
	if ((uint64_t)(end - slot) < n)
		n = (uint64_t)(end - slot);
	i = vmemmap_off_grain(walk, addr, shift);
	if (i < n)
		n = i;
	for (i = 0; i < n; i++) {
		slot[i] = pte_pa_by_mask(present, pa_mask, host[i]) >> shift;
		host[i] = entry;
	}
	list->n += i;
	return vmemmap_quick_done(walk, i);
}

/*
 * vmemmap_restore_pte() of the PTEs from walk->pte_host on that map the
 * tail page, for as long as nothing can stop one: a write only counts
 * and stores (no trace, so nothing looks at the counters before the run
 * ends), the copies are verbatim (no reset), the list has pages left,
 * no struct page is on the grain vmemmap_check_head() looks up, and the
 * arch's PTE format is data. A walk that catches its reuse page has
 * caught it already. Each PTE gets the next page of the list with a
 * copy of the tail page, counted as read and written. Returns how many,
 * at most (@next - @addr) / page size; the walk goes on from there PTE
 * by PTE. With little to call, what the PTEs share stays in locals, not
 * loaded from the walk and the machine again for every PTE.
 */
static HVO_ALWAYS_INLINE uint64_t
vmemmap_restore_tails_quick(struct hvo_machine *m, uint64_t addr,
			    uint64_t next, struct vmemmap_remap_walk *walk)
{
	struct pfn_list *list = walk->vmemmap_pages;
	const uint64_t src = walk->vmemmap_tail;
	const pgprot_t prot = m->arch.page_kernel;
	/* mk_pte(), the PTE format held here (arch_mk_pte()) */
	const uint64_t pa_mask = m->arch.pte_pa_mask;
	const unsigned shift = m->arch.page_shift;
	uint64_t *host = walk->pte_host, *pages, payload = 0;
	uint64_t n = (next - addr) >> m->arch.page_shift, i;
	bool lazy;
	pte_t seen;

	if (!walk->pte_set_plain || walk->reset ||
	    (!walk->only_tail && !walk->nr_walked) || !pa_mask)
		return 0;
	if (list->n - list->next < n)
		n = list->n - list->next;
	i = vmemmap_off_grain(walk, addr, m->arch.page_shift);
	if (i < n)
		n = i;
	if (!n)
		return 0;
	/*
	 * An entry seen to map the tail page: the same bits map it again.
	 * None is yet: no entry is its own complement.
	 */
	seen = ~host[0];
	pages = list->pfn + list->next;
	lazy = phys_slot(&m->phys, src) &&
	       phys_lazy_payload(&m->phys, src, &payload);
	for (i = 0; i < n; i++) {
		if (host[i] != seen) {
			if (pte_pfn(m, host[i]) != src)
				break;
			seen = host[i];
		}
		copy_page_pfn_lazy(m, pages[i], src, lazy, payload);
		host[i] = mk_pte_by_mask(pa_mask, pages[i] << shift, prot);
	}
	list->next += i;
	return vmemmap_quick_done(walk, i);
}

/* A quick run of tail PTEs: how many it set, the walk past them. */
typedef uint64_t (*vmemmap_quick_fn)(struct hvo_machine *m, uint64_t addr,
				     uint64_t next,
				     struct vmemmap_remap_walk *walk);

/*
 * The walk's PTEs of [addr, next), one table's from @ptep on: the walk's
 * first PTE, where it maps the head (@head), by @remap_pte, the tails
 * after it in a quick run (@quick) where they can be, the rest by
 * @remap_pte again. Both callbacks are constants of the caller, so an
 * optimizing compiler calls them directly, inline.
 */
static HVO_ALWAYS_INLINE int
vmemmap_quick_pte_range(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
			uint64_t next, struct vmemmap_remap_walk *walk,
			bool head, vmemmap_remap_pte_fn remap_pte,
			vmemmap_quick_fn quick)
{
	uint64_t done;

	if (head && !walk->nr_walked && addr < next) {
		int rc = vmemmap_pte_range(m, ptep, addr, addr + m->arch.page_size,
					   walk, remap_pte);

		if (rc)
			return rc;
		ptep += sizeof(pte_t);
		addr += m->arch.page_size;
	}
	done = quick(m, addr, next, walk);
	ptep += done * sizeof(pte_t);
	addr += done << m->arch.page_shift;
	return vmemmap_pte_range(m, ptep, addr, next, walk, remap_pte);
}

/*
 * The walk to @addr's PTE and pte_offset_kernel(), where the walker's
 * memo holds the levels above it (pt_walk_leaf()'s inline case) and the
 * table has a host page of its own: the PTE's slot (*@ptep) and host
 * bytes (*@host), the walk counted as pt_walk_leaf() counts it. False,
 * nothing read or counted, for anything else: a PMD block to split, a
 * PTE not present, a table whose frame is described, not a page.
 */
static inline bool
vmemmap_pte_offset(struct hvo_machine *m, uint64_t addr, uint64_t *ptep,
		   uint64_t **host)
{
	unsigned nr = pte_depth(m);
	phys_addr_t table;
	struct pt_decoded d;

	if (!pwc_last_table(m, addr, &table))
		return false;
	*ptep = pt_offset(&m->arch, nr, table, addr);
	*host = phys_host_own(&m->phys, *ptep);
	if (!*host)
		return false;
	arch_decode(&m->arch, nr, **host, &d);
	if (d.kind != PTK_LEAF)
		return false;
	pt_count_walk(m);
	return true;
}

/*
 * vmemmap_remap_range(): walk [start, end) a PMD at a time, splitting
 * blocks, then call remap_pte for each PTE (a NULL remap_pte only splits).
 * The flush comes even after a failure: the PTEs changed so far are live.
 */
static int
vmemmap_remap_range(struct hvo_machine *m, uint64_t start, uint64_t end,
		    struct vmemmap_remap_walk *walk)
{
	uint64_t next;
	int rc = 0;

	vmemmap_check_init(m, walk);
	for (uint64_t addr = start; addr < end && !rc; addr = next) {
		struct pt_walk w;
		uint64_t ptep;

		next = pmd_addr_end(m, addr, end);
		if (!vmemmap_pte_offset(m, addr, &ptep, &walk->pte_host)) {
			pt_walk_leaf(m, addr, &w, true);
			rc = vmemmap_pmd_entry(m, &w, addr, walk);
			/* Only splitting, not remapping the vmemmap pages. */
			if (rc || !walk->remap_pte)
				continue;
			/* pte_offset_kernel(): the walk ended at that very slot. */
			ptep = w.lvl[w.leaf].entry_pa;
			walk->pte_host = phys_to_host(&m->phys, ptep);
		} else if (!walk->remap_pte) {
			/* A PTE table already: nothing to split. */
			continue;
		}
		walk->pte_reads = pt_read_counter(m, pte_depth(m));
		walk->pte_writes = pt_write_counter(m, pte_depth(m));
		walk->pte_set_plain = pt_set_host_plain(m, pte_depth(m));
		if (walk->remap_pte == vmemmap_restore_pte)
			rc = vmemmap_quick_pte_range(m, ptep, addr, next, walk,
						     !walk->only_tail,
						     vmemmap_restore_pte,
						     vmemmap_restore_tails_quick);
		else if (walk->remap_pte == vmemmap_remap_pte)
			rc = vmemmap_quick_pte_range(m, ptep, addr, next, walk,
						     true, vmemmap_remap_pte,
						     vmemmap_remap_tails_quick);
		else
			rc = vmemmap_pte_range(m, ptep, addr, next, walk,
					       walk->remap_pte);
	}
	/* Before 6.2 the reuse page is walked first, not flushed. */
	if (walk->flags & VMEMMAP_FLUSH_AFTER_REUSE)
		start += m->arch.page_size;
	if (walk->remap_pte && !(walk->flags & VMEMMAP_REMAP_NO_TLB_FLUSH))
		flush_tlb_kernel_range(m, start, end);
	return rc;
}

/*
 * free_vmemmap_page()'s counts of @nr pages, @boot of them boot memory:
 * what HVO freed, and the memmap's pages by where they came from.
 */
static void
free_vmemmap_acct(struct hvo_machine *m, uint64_t nr, uint64_t boot)
{
	m->counter[CNT_HVO_VMEMMAP_FREED] += nr;
	memmap_boot_pages_add(m, -(int64_t)boot);
	memmap_pages_add(m, -(int64_t)(nr - boot));
}

/*
 * free_vmemmap_page_list(): the kernel list_add()s each old page, so the
 * list's head is the end of the array here: the page added last is freed
 * first (vmemmap page 7 of a 2M hugepage before page 1). Each page is
 * free_vmemmap_page(): boot memory by the bootmem path, the rest to the
 * buddy; free_pages_n() does both. Eight pages at a time, the next eight
 * prefetched first. Once those eight are freed, the vmemmap pages their
 * struct pages lie in are noted for compaction, each once: a hugepage's
 * eight pages are mostly a run, their struct pages in one vmemmap page.
 */
static int
free_vmemmap_page_list(struct hvo_machine *m, struct pfn_list *l)
{
	const size_t first = l->next;
	const uint64_t page_mask = ~(m->arch.page_size - 1);
	size_t hi = l->n;
	int rc = 0;

	while (hi > first && !rc) {
		size_t lo = hi - first > 8 ? hi - 8 : first;
		uint64_t noted = 0;

		for (size_t i = hi; i-- > lo;)
			prefetch_vmemmap_list(m, l, i);
		rc = free_pages_n(m, &l->pfn[lo], hi - lo, free_vmemmap_acct);
		/* Below half the budget every note is dropped: none is made. */
		for (size_t i = hi; memmap_compact_host_reach(m, 1) && i-- > lo;) {
			uint64_t va = pfn_to_page(m, l->pfn[i]);

			if ((va & page_mask) != noted)
				memmap_compact_note(m, va);
			noted = va & page_mask;
		}
		hi = lo;
	}
	l->n = l->next = 0;
	return rc;
}

/*
 * vmemmap_remap_pte(): the optimize direction. The first PTE takes the
 * new head page (or, with none, is kept as the reuse page every other PTE
 * will share); the others take the tail page read-only. Old pages go on
 * the list to be freed.
 */
static inline int
vmemmap_remap_pte(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		  struct vmemmap_remap_walk *walk)
{
	uint64_t page = pte_pfn(m, walk_ptep_get(m, walk));
	bool head = walk->nr_walked == 0;
	pte_t entry;
	int rc;

	if (should_fail(m, &m->fail_vmemmap_pte))
		return machine_err(m, -ENOMEM,
				   "vmemmap PTE step %" PRIu64 " failed (fault injection)",
				   walk->nr_walked);
	if (head && walk->vmemmap_head == VMEMMAP_KEEP_FIRST) {
		/* vmemmap_pte_entry() of 6.12 catches the reuse page. */
		walk->vmemmap_tail = page;
		walk->tail_entry = mk_pte(m, page, m->arch.page_kernel_ro);
		return 0;
	}
	rc = vmemmap_check_head(m, walk, "vmemmap_remap_pte", addr, head);
	if (rc)
		return rc;
	if (head) {
		if (walk->copy_head) {
			vmemmap_copy_head(m, walk->vmemmap_head, page);
			walk->copy_head = false;
		}
		entry = mk_pte(m, walk->vmemmap_head, m->arch.page_kernel);
	} else {
		/* read-only, to catch illegal writes to the tails; one entry
		 * for all of them, made once */
		entry = walk->tail_entry;
	}
	rc = pfn_list_add(walk->vmemmap_pages, page);
	if (rc)
		return machine_err(m, rc, "out of host memory");
	walk_set_pte_at(m, walk, addr, ptep, entry);
	return 0;
}

/*
 * reset_struct_pages(): a tail page rebuilt from a copy of the head page
 * still holds the head and the first tails, whose folio fields a tail
 * must not carry; overwrite the first @n struct pages with the next @n
 * (NR_RESET_STRUCT_PAGE: 3 from 5.18, 4 from 6.15 and 6.12.111, when the
 * hugetlb fields moved to page[3]; RP_RESET_PAGES).
 */
static void
reset_struct_pages(struct hvo_machine *m, uint64_t pfn, unsigned n)
{
	uint8_t *p = phys_to_host(&m->phys, pfn << m->arch.page_shift);
	unsigned sz = m->cfg.struct_page_size;

	memcpy(p, p + n * sz, n * sz);
}

/*
 * vmemmap_restore_pte(): the restore direction. A fresh page gets a copy
 * of what the PTE shows now and is mapped read-write. In the 2026 design
 * only PTEs on the shared tail are restored, so a head page is never
 * rebuilt from a tail (the May 2026 fix of rollback-corrupts-head); classic HVO catches the reuse
 * page first and rebuilds every other page from it, and 6.12 BUG_ON()s a
 * PTE on any other page, and a walk that runs out of pages.
 */
static HVO_ALWAYS_INLINE int
vmemmap_restore_pte(struct hvo_machine *m, uint64_t ptep, uint64_t addr,
		    struct vmemmap_remap_walk *walk)
{
	uint64_t src = pte_pfn(m, walk_ptep_get(m, walk)), dst;

	if (walk->only_tail) {
		if (src != walk->vmemmap_tail)
			return 0;
	} else if (walk->nr_walked == 0) {
		walk->vmemmap_tail = src; /* the reuse page */
		return 0;
	} else if (src != walk->vmemmap_tail) {
		return VMEMMAP_BUG(m, -EFAULT,
				   "vmemmap_restore_pte: the PTE of 0x%" PRIx64 " maps pfn 0x%" PRIx64 ", not the reuse page 0x%" PRIx64,
				   addr, src, walk->vmemmap_tail);
	}
	/* 2026: a head is never rebuilt from a tail. */
	if (vmemmap_check_head(m, walk, "vmemmap_restore_pte", addr,
			       false))
		return -EFAULT;
	if (!pfn_list_take(walk->vmemmap_pages, &dst))
		return VMEMMAP_BUG(m, -ENOMEM,
				   "restore ran out of preallocated pages");
	if (!walk->reset) {
		copy_page_pfn(m, dst, src);
	} else if (!restore_plain_tails(m, dst, src, walk->reset)) {
		copy_page_pfn(m, dst, src);
		reset_struct_pages(m, dst, walk->reset->nr_reset);
	}
	walk_set_pte_at(m, walk, addr, ptep, mk_pte(m, dst, m->arch.page_kernel));
	return 0;
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
	bool head = walk->nr_walked == 0;
	uint64_t dst;

	if (head && walk->vmemmap_head == VMEMMAP_KEEP_FIRST)
		return 0;
	if (vmemmap_check_head(m, walk, "rollback", addr, head))
		return -EFAULT;
	if (!pfn_list_take(walk->vmemmap_pages, &dst))
		return VMEMMAP_BUG(m, -EFAULT,
				   "rollback lost track of a vmemmap page");
	walk_set_pte_at(m, walk, addr, ptep, mk_pte(m, dst, m->arch.page_kernel));
	return 0;
}

/*
 * vmemmap_remap_split(): split the PMD blocks that map [start, end) into
 * PTEs, without a flush.
 */
static int
vmemmap_remap_split(struct hvo_machine *m, uint64_t start, uint64_t end)
{
	struct vmemmap_remap_walk walk = {
		.remap_pte = NULL,
		.flags = VMEMMAP_SPLIT_NO_TLB_FLUSH,
	};

	return vmemmap_remap_range(m, start, end, &walk);
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
		/* Meaningless for a reuse page still to be caught. */
		.tail_entry = mk_pte(m, *tail, m->arch.page_kernel_ro),
		.vmemmap_pages = list,
		.flags = flags,
		.copy_head = head != VMEMMAP_KEEP_FIRST,
	};
	size_t first = list->n;
	int rc = vmemmap_remap_range(m, start, end, &walk);

	*tail = walk.vmemmap_tail;
	if (rc && walk.nr_walked) {
		uint64_t done = start + walk.nr_walked * m->arch.page_size;
		/*
		 * What this walk put on the list; none yet (and perhaps no
		 * list at all) when only a kept first page was walked.
		 */
		struct pfn_list back = {
			.pfn = list->n > first ? list->pfn + first : NULL,
			.n = list->n - first,
		};
		struct vmemmap_remap_walk undo = {
			.remap_pte = vmemmap_unremap_pte,
			.vmemmap_head = head,
			.vmemmap_pages = &back,
		};
		machine_err_hold(m);
		vmemmap_remap_range(m, start, done, &undo);
		machine_err_release(m);
		list->n = first;
		count(m, CNT_HVO_ROLLBACK);
	}
	/* A walk that failed before the first PTE: the copy, all the same. */
	if (walk.copy_head)
		vmemmap_copy_head(m, head, pfn_of_va(m, start));
	return rc;
}

/*
 * The kernel's list_add() puts each page at the head: the @n pfns from
 * @pfn on, in the order they were allocated, reversed, read from the
 * head, as pfn_list_take() (list_first_entry()) takes them.
 */
static void
pfn_run_reverse(uint64_t *pfn, size_t n)
{
	for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
		uint64_t t = pfn[i];

		pfn[i] = pfn[j - 1];
		pfn[j - 1] = t;
	}
}

/*
 * alloc_vmemmap_page_list(): @nr_pages pages on @list, or none and
 * -ENOMEM. The list runs from its head: the restore maps its first PTE
 * to the page allocated last. alloc_pages_n() is alloc_pages() of one
 * GFP_KERNEL (unmovable) page @nr_pages times, in a row.
 */
static int
alloc_vmemmap_page_list(struct hvo_machine *m, uint64_t nr_pages,
			struct pfn_list *list)
{
	uint64_t got = 0, *run = NULL;
	int rc = 0;

	/* Room first: a page once allocated always has its place. */
	while (list->max - list->n < nr_pages && !rc)
		rc = pfn_list_grow(list);
	if (!rc) {
		run = list->pfn + list->n;
		rc = alloc_pages_n(m, ZONE_NORMAL, HVO_PAGES_VMEMMAP, nr_pages,
				   run, &got);
		m->counter[CNT_HVO_VMEMMAP_ALLOCED] += got;
	}
	if (!rc) {
		pfn_run_reverse(run, nr_pages);
		list->n += nr_pages;
		memmap_pages_add(m, (int64_t)nr_pages);
		return 0;
	}
	/* The page allocated last first. */
	machine_err_hold(m);
	while (got)
		free_pages(m, run[--got], 0);
	machine_err_release(m);
	list->n = 0;
	return machine_err_wrap(m, -ENOMEM,
				"cannot restore the vmemmap (the hugepage stays optimized)");
}

/*
 * vmemmap_remap_alloc(): allocate every page first (all or nothing), then
 * walk and restore; pages left unused go back.
 */
static int
vmemmap_remap_alloc(struct hvo_machine *m, uint64_t start, uint64_t end,
		    struct vmemmap_remap_walk *walk, uint64_t nr_pages)
{
	struct pfn_list list;
	int rc;

	/* The batch's list: no pass is running, and its room is kept. */
	vmemmap_batch_list_get(m, &list, nr_pages);
	rc = alloc_vmemmap_page_list(m, nr_pages, &list);
	if (!rc) {
		walk->remap_pte = vmemmap_restore_pte;
		walk->vmemmap_pages = &list;
		rc = vmemmap_remap_range(m, start, end, walk);
		for (size_t i = list.next; i < list.n; i++) {
			memmap_pages_add(m, -1);
			free_pages(m, list.pfn[i], 0);
		}
	}
	vmemmap_batch_list_put(m, &list);
	return rc;
}

/*
 * init_compound_tail() over a whole shared tail page: with the mask
 * encoding every tail of (zone, order) is the same.
 */
static void
vmemmap_init_tail(struct hvo_machine *m, const struct hstate *h, unsigned zone,
		  uint64_t pfn)
{
	uint8_t tpl[256];

	init_compound_tail(m, tpl, h->order, zone);
	memmap_fill_frame(m, pfn, tpl, TPL_PLAIN, 0);
}

/* vmemmap_get_tail(): the shared, zeroed-then-filled tail page of (zone, order). */
static int
vmemmap_get_tail(struct hvo_machine *m, struct hstate *h, unsigned zone,
		 uint64_t *out)
{
	uint64_t pfn;
	int rc;

	if (h->tail_pfn[zone]) {
		*out = h->tail_pfn[zone];
		return 0;
	}
	rc = alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_VMEMMAP, &pfn);
	if (rc)
		return rc;
	/* struct page metadata from the buddy, counted as the head is. */
	memmap_pages_add(m, 1);
	vmemmap_init_tail(m, h, zone, pfn);
	h->tail_pfn[zone] = pfn;
	*out = pfn;
	return 0;
}

/*
 * A new head page, for a copy of the head's vmemmap page: the walk makes
 * it as it reads the first PTE (vmemmap_remap_pte()).
 */
static int
vmemmap_alloc_head(struct hvo_machine *m, uint64_t *head)
{
	uint64_t pfn;
	/* GFP_KERNEL, as the restore's pages: unmovable. */
	int rc = alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_VMEMMAP, &pfn);

	if (rc)
		return rc;
	count(m, CNT_HVO_VMEMMAP_ALLOCED);
	memmap_pages_add(m, 1); /* vmemmap_remap_free() in 6.11+ */
	*head = pfn;
	return 0;
}

/*
 * What a variant keeps of one hugepage's vmemmap and where the rest maps.
 * Optimizing walks [start, end): its first PTE gets vmemmap_head, the
 * others vmemmap_tail (either may be VMEMMAP_KEEP_FIRST). A restore walks
 * [start, end) too and rebuilds nr_pages pages.
 */
struct vmemmap_plan {
	uint64_t start, end;
	uint64_t vmemmap_head;
	uint64_t vmemmap_tail;
	uint64_t nr_pages;       /* restore */
	unsigned flags;          /* VMEMMAP_FLUSH_AFTER_REUSE */
	bool only_tail;          /* restore: only PTEs on vmemmap_tail */
	unsigned reset_pages;    /* restore: struct pages reset in each copy
				    of the head (0: a verbatim copy) */
};

/*
 * One variant's two small functions. Its plan sets HPG_vmemmap_optimized
 * before it returns 0 ("Very Subtle" in the kernel): without a flush,
 * stale TLB entries may still write the old struct pages, so both copies
 * carry the flag.
 */
struct vmemmap_variant {
	int (*plan)(struct hvo_machine *m, struct hstate *h,
		    struct huge_page *hp, struct vmemmap_plan *p);
	int (*restore)(struct hvo_machine *m, struct hstate *h,
		       struct huge_page *hp, struct vmemmap_plan *p);
	bool fake_heads;         /* tails read as copies of the head */
};

/*
 * keep2 (5.14-5.17): the head page and the first tail page stay. The walk
 * starts at the latter, the reuse page the other tails map.
 */
static int
keep2_plan(struct hvo_machine *m, struct hstate *h, struct huge_page *hp,
	   struct vmemmap_plan *p)
{
	(void)h;
	p->start += m->arch.page_size;
	p->flags |= VMEMMAP_FLUSH_AFTER_REUSE;
	folio_set_vmemmap_optimized(m, hp->pfn, true);
	return machine_oops_rc(m, 0);
}

static int
keep2_restore(struct hvo_machine *m, struct hstate *h, struct huge_page *hp,
	      struct vmemmap_plan *p)
{
	(void)hp;
	p->start += m->arch.page_size;
	p->flags |= VMEMMAP_FLUSH_AFTER_REUSE;
	p->nr_pages = h->vmemmap_pages - 2;
	return 0;
}

/*
 * fakehead (5.18-7.0): every PTE maps one page, the tails read-only, so
 * tails read as fake heads. Which page, by release (RP_HEAD_COPY): up to
 * 6.1 the head's own vmemmap page (the reuse page); from 6.2 a new page
 * with a copy of it, or the head's own if none can be had; from 6.12.114
 * a new page or nothing (the hugepage stays as it is).
 */
static int
fakehead_plan(struct hvo_machine *m, struct hstate *h, struct huge_page *hp,
	      struct vmemmap_plan *p)
{
	enum release_head_copy mode =
		variant_get(m, HVO_VARIANT_FAKEHEAD, RP_HEAD_COPY);
	int rc;

	(void)h;
	folio_set_vmemmap_optimized(m, hp->pfn, true);
	if (machine_oopsed(m))
		return m->oops;
	if (mode == HEAD_KEEP) {
		p->flags |= VMEMMAP_FLUSH_AFTER_REUSE;
		return 0;
	}
	rc = vmemmap_alloc_head(m, &p->vmemmap_head);
	if (rc == 0) {
		p->vmemmap_tail = p->vmemmap_head;
	} else if (mode == HEAD_COPY) {
		folio_set_vmemmap_optimized(m, hp->pfn, false);
		return rc;
	}
	return 0;
}

/*
 * Up to 6.12.113 the walk catches the head page as the reuse page and
 * rebuilds the rest from it, each a copy of the head page whose first
 * struct pages are reset from the ones after them (RP_RESET_PAGES): 3
 * while the hugetlb fields lie over page[2] at most, 4 once they lie over
 * page[3]'s ->mapping (the fix of restore-tail-mapping,
 * doc/KERNEL-BUGS.md). The release table keeps the count and the folio
 * layout in step, so every copy is exactly the tails it stands for.
 * From 6.12.114 (RP_HEAD_COPY is HEAD_COPY) the walk starts at the 2nd
 * page and copies the page mapped there verbatim, resetting nothing
 * (RP_RESET_PAGES 0): the head's struct pages land in every tail page
 * (debian-6.12-restore, doc/KERNEL-BUGS.md).
 */
static int
fakehead_restore(struct hvo_machine *m, struct hstate *h, struct huge_page *hp,
		 struct vmemmap_plan *p)
{
	enum release_head_copy mode =
		variant_get(m, HVO_VARIANT_FAKEHEAD, RP_HEAD_COPY);

	p->nr_pages = h->vmemmap_pages - 1;
	if (mode == HEAD_KEEP)
		p->flags |= VMEMMAP_FLUSH_AFTER_REUSE;
	if (mode == HEAD_COPY) {
		p->only_tail = true;
		p->vmemmap_tail = hp->head_vmemmap;
		p->start += m->arch.page_size;
	}
	p->reset_pages =
		(unsigned)variant_get(m, HVO_VARIANT_FAKEHEAD, RP_RESET_PAGES);
	return 0;
}

/*
 * sharedtail (2026): a new page takes a copy of the head page; the tails
 * map the shared page of plain tails of (zone, order). Without either,
 * the hugepage stays as it is.
 */
static int
sharedtail_plan(struct hvo_machine *m, struct hstate *h, struct huge_page *hp,
		struct vmemmap_plan *p)
{
	int rc = vmemmap_get_tail(m, h, pfn_zone(m, hp->pfn), &p->vmemmap_tail);

	if (rc)
		return rc;
	folio_set_vmemmap_optimized(m, hp->pfn, true);
	if (machine_oopsed(m))
		return m->oops;
	rc = vmemmap_alloc_head(m, &p->vmemmap_head);
	if (rc)
		folio_set_vmemmap_optimized(m, hp->pfn, false);
	return rc;
}

/* Only the PTEs on the shared tail: the head page stays. */
static int
sharedtail_restore(struct hvo_machine *m, struct hstate *h,
		   struct huge_page *hp, struct vmemmap_plan *p)
{
	p->only_tail = true;
	p->vmemmap_tail = h->tail_pfn[pfn_zone(m, hp->pfn)];
	p->start += m->arch.page_size;
	p->nr_pages = h->vmemmap_pages - 1;
	return 0;
}

static const struct vmemmap_variant vmemmap_variants[] = {
	[HVO_VARIANT_KEEP2] = { keep2_plan, keep2_restore, false },
	[HVO_VARIANT_FAKEHEAD] = { fakehead_plan, fakehead_restore, true },
	[HVO_VARIANT_SHAREDTAIL] = { sharedtail_plan, sharedtail_restore, false },
};

/* The plan of @hp's vmemmap before its variant has its say. */
static struct vmemmap_plan
vmemmap_plan_init(struct hvo_machine *m, struct hstate *h, struct huge_page *hp)
{
	uint64_t start = pfn_to_page(m, hp->pfn);

	return (struct vmemmap_plan){
		.start = start,
		.end = start + hugetlb_vmemmap_size(m, h),
		.vmemmap_head = VMEMMAP_KEEP_FIRST,
		.vmemmap_tail = VMEMMAP_KEEP_FIRST,
	};
}

/*
 * synchronize_rcu(), counted. 6.10 and 6.11 wait once per request, batched
 * or not, before they look at the hugepages (@early: the entry points);
 * 6.12 to 7.0 in __hugetlb_vmemmap_{optimize,restore}_folio() when
 * @flags has VMEMMAP_SYNCHRONIZE_RCU, only for a hugepage really
 * optimized or restored (once per batch); 7.1 never. @v is the variant
 * whose machinery runs.
 */
static void
vmemmap_synchronize_rcu(struct hvo_machine *m, enum hvo_variant v, bool early,
			unsigned flags)
{
	enum release_rcu rcu = variant_get(m, v, RP_RCU);

	if (m->hvo_variant == HVO_VARIANT_OFF)
		return; /* HVO is not built: the calls are stubs */
	if (early ? rcu == RCU_PER_CALL :
		    rcu == RCU_PER_BATCH && (flags & VMEMMAP_SYNCHRONIZE_RCU))
		count(m, CNT_HVO_SYNCHRONIZE_RCU);
}

/* __hugetlb_vmemmap_restore_folio(): all pages first, or -ENOMEM and no change. */
static int
__hugetlb_vmemmap_restore_folio(struct hvo_machine *m, struct hstate *h,
				struct huge_page *hp, unsigned flags)
{
	struct vmemmap_plan p = vmemmap_plan_init(m, h, hp);
	struct vmemmap_remap_walk walk = { .flags = flags };
	struct restore_tails tails;
	int rc;

	if (hp->variant == HVO_VARIANT_OFF)
		return 0;
	vmemmap_synchronize_rcu(m, hp->variant, false, flags);
	rc = vmemmap_variants[hp->variant].restore(m, h, hp, &p);
	if (rc)
		return rc;
	walk.flags |= p.flags;
	walk.vmemmap_tail = p.vmemmap_tail;
	walk.only_tail = p.only_tail;
	if (p.reset_pages) {
		restore_tails_init(&tails, hp->pfn, h->order, p.reset_pages);
		walk.reset = &tails;
	}
	rc = vmemmap_remap_alloc(m, p.start, p.end, &walk, p.nr_pages);
	if (rc)
		return rc;
	folio_set_vmemmap_optimized(m, hp->pfn, false);
	if (machine_oopsed(m))
		return m->oops;
	if (vmemmap_variants[hp->variant].fake_heads)
		m->hvo_fake_heads--; /* static_branch_dec() */
	hp->variant = HVO_VARIANT_OFF;
	hp->head_vmemmap = hp->reuse_vmemmap = 0;
	h->optimized--;
	count(m, CNT_HVO_RESTORE);
	return 0;
}

/* Its callers restore only what is optimized. */
int
hugetlb_vmemmap_restore_folio(struct hvo_machine *m, struct hstate *h,
			      struct huge_page *hp)
{
	if (hp->variant == HVO_VARIANT_OFF)
		return 0;
	vmemmap_synchronize_rcu(m, hp->variant, true, 0);
	return __hugetlb_vmemmap_restore_folio(m, h, hp, VMEMMAP_SYNCHRONIZE_RCU);
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
	unsigned flags = VMEMMAP_REMAP_NO_TLB_FLUSH | VMEMMAP_SYNCHRONIZE_RCU;
	long restored = 0;
	int rc = 0;

	vmemmap_synchronize_rcu(m, m->hugetlb->hvo_variant, true, 0);
	for (uint64_t i = 0; i < n; i++) {
		prefetch_folio_to_restore(m, pages, i, n);
		if (pages[i]->variant == HVO_VARIANT_OFF)
			continue;
		rc = __hugetlb_vmemmap_restore_folio(m, h, pages[i], flags);
		hugetlb_host_freed(m, h, pages[i]->pfn);
		/* Only the first waits (6.12). */
		flags &= ~VMEMMAP_SYNCHRONIZE_RCU;
		if (rc)
			break;
		restored++;
	}
	if (restored)
		flush_tlb_all(m);
	return restored ? restored : rc;
}

/* vmemmap_should_optimize_folio(): HVO is on, can serve @h, and has not yet. */
static bool
vmemmap_should_optimize_folio(const struct hvo_machine *m,
			      const struct hstate *h, const struct huge_page *hp)
{
	if (hp->variant != HVO_VARIANT_OFF)
		return false;
	if (m->hugetlb->hvo_variant == HVO_VARIANT_OFF)
		return false;
	return hugetlb_vmemmap_optimizable(m, h, NULL);
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
	enum hvo_variant v = m->hugetlb->hvo_variant;
	struct vmemmap_plan p = vmemmap_plan_init(m, h, hp);
	int rc;

	if (!vmemmap_should_optimize_folio(m, h, hp))
		return 0;
	vmemmap_synchronize_rcu(m, v, false, flags);
	rc = vmemmap_variants[v].plan(m, h, hp, &p);
	if (rc)
		return rc;
	rc = vmemmap_remap_free(m, p.start, p.end, p.vmemmap_head,
				&p.vmemmap_tail, flags | p.flags, list);
	if (rc) {
		/* The unused head goes back with the rest. */
		if (p.vmemmap_head != VMEMMAP_KEEP_FIRST)
			pfn_list_add(list, p.vmemmap_head);
		folio_set_vmemmap_optimized(m, hp->pfn, false);
		return rc;
	}
	hp->variant = v;
	/* What the checker expects behind the pages kept. */
	if (p.vmemmap_head != VMEMMAP_KEEP_FIRST) {
		hp->head_vmemmap = hp->reuse_vmemmap = p.vmemmap_head;
	} else {
		hp->head_vmemmap = pfn_of_va(m, pfn_to_page(m, hp->pfn));
		hp->reuse_vmemmap = p.vmemmap_tail;
	}
	if (vmemmap_variants[v].fake_heads)
		m->hvo_fake_heads++; /* static_branch_inc() */
	h->optimized++;
	count(m, CNT_HVO_OPTIMIZE);
	return 0;
}

int
hugetlb_vmemmap_optimize_folio(struct hvo_machine *m, struct hstate *h,
			       struct huge_page *hp)
{
	struct pfn_list list;
	int rc, rc2;

	vmemmap_synchronize_rcu(m, m->hugetlb->hvo_variant, true, 0);
	/* The batch's list: no batch is running, and its room is kept. */
	vmemmap_batch_list_get(m, &list, h->vmemmap_pages + 1);
	rc = __hugetlb_vmemmap_optimize_folio(m, h, hp, VMEMMAP_SYNCHRONIZE_RCU,
					      &list);
	rc2 = free_vmemmap_page_list(m, &list);
	vmemmap_batch_list_put(m, &list);
	return rc ? rc : rc2;
}

static int
hugetlb_vmemmap_split_folio(struct hvo_machine *m, struct hstate *h,
			    struct huge_page *hp)
{
	uint64_t start = pfn_to_page(m, hp->pfn);

	if (!vmemmap_should_optimize_folio(m, h, hp))
		return 0;
	return vmemmap_remap_split(m, start, start + hugetlb_vmemmap_size(m, h));
}

/*
 * hugetlb_vmemmap_optimize_folios(): split every PMD first (no flush), one
 * flush_tlb_all(), remap every hugepage (no flush), one flush_tlb_all(),
 * then free. At the first -ENOMEM of the split pass, stop splitting: the
 * remap pass splits what is left with memory that deduplication frees. On
 * -ENOMEM in the remap pass with pages collected, flush, free them and
 * try that hugepage once more. The two flushes come whenever the kernel
 * has HVO, also when nothing is optimized (vm.hugetlb_optimize_vmemmap=0);
 * from 6.15 a batch with no hugepage to look at (an empty one, or at boot
 * only pre-HVO pages, whose mirrors it write-protects) gets only the last
 * (RP_BATCH_SKIP_EMPTY). Releases before 6.7 never get here: they
 * optimize each hugepage as it is allocated (RP_BATCHED).
 */
static int
__hugetlb_vmemmap_optimize_folios(struct hvo_machine *m, struct hstate *h,
				  struct huge_page **pages, uint64_t n,
				  bool boot)
{
	unsigned flags = VMEMMAP_REMAP_NO_TLB_FLUSH | VMEMMAP_SYNCHRONIZE_RCU;
	uint64_t nr_to_optimize = 0;
	struct pfn_list list;

	if (m->hvo_variant == HVO_VARIANT_OFF)
		return 0; /* HVO is not built */
	vmemmap_synchronize_rcu(m, m->hugetlb->hvo_variant, true, 0);
	vmemmap_batch_list_get(m, &list, n * h->vmemmap_pages);
	for (uint64_t i = 0; i < n; i++) {
		if (boot && pages[i]->prehvo &&
		    pages[i]->variant != HVO_VARIANT_OFF) {
			/*
			 * Optimized by pre-HVO: only write-protect the
			 * mirrors, all of them, as the fix of
			 * prehvo-wrprotect-range does (doc/KERNEL-BUGS.md:
			 * the kernel from 6.15 ends the range after
			 * pages_per_huge_page() bytes; not replayed).
			 */
			uint64_t start = pfn_to_page(m, pages[i]->pfn);

			vmemmap_wrprotect_hvo(m, start,
					      start + hugetlb_vmemmap_size(m, h),
					      m->arch.page_size);
			continue;
		}
		nr_to_optimize++;
		if (hugetlb_vmemmap_split_folio(m, h, pages[i]) == -ENOMEM)
			break;
	}
	/*
	 * From 6.15 a batch with nothing left to optimize (only pre-HVO
	 * pages, or none at all) skips to the last flush.
	 */
	if (!nr_to_optimize && kernel_get(m, RP_BATCH_SKIP_EMPTY))
		goto out;
	flush_tlb_all(m);
	for (uint64_t i = 0; i < n; i++) {
		int rc;

		prefetch_folio_to_optimize(m, pages, i, n);
		size_t old = list.n;

		rc = __hugetlb_vmemmap_optimize_folio(m, h, pages[i], flags, &list);
		vmemmap_host_optimized(m, pages[i]->pfn, &list, old);
		/* The first hugepage decides: one grace period per batch. */
		flags &= ~VMEMMAP_SYNCHRONIZE_RCU;
		if (rc == -ENOMEM && !pfn_list_empty(&list)) {
			flush_tlb_all(m);
			free_vmemmap_page_list(m, &list);
			__hugetlb_vmemmap_optimize_folio(m, h, pages[i], flags,
							 &list);
		}
		/* Best effort: a hugepage that cannot be optimized stays as is. */
	}
out:
	flush_tlb_all(m);
	free_vmemmap_page_list(m, &list);
	vmemmap_batch_list_put(m, &list);
	return 0;
}

int
hugetlb_vmemmap_optimize_folios(struct hvo_machine *m, struct hstate *h,
				struct huge_page **pages, uint64_t n)
{
	return __hugetlb_vmemmap_optimize_folios(m, h, pages, n, false);
}

int
hugetlb_vmemmap_optimize_bootmem_folios(struct hvo_machine *m,
					struct hstate *h,
					struct huge_page **pages, uint64_t n)
{
	return __hugetlb_vmemmap_optimize_folios(m, h, pages, n, true);
}

/*
 * Bootmem pre-HVO (6.15 on x86_64, RP_BOOTMEM_PREHVO): a boot gigantic
 * page never gets a full vmemmap. 6.15 to 7.0 populate it in
 * hugetlb_vmemmap_init_early(), before sparse_init(): one page for the
 * head and the struct pages HVO keeps, and every other vmemmap page a
 * read-write mirror of it; 7.1 (RP_BOOTMEM_PREHVO_LATE) only marks the
 * page there and populates it in hugetlb_vmemmap_init_late(), once zones
 * are known, with the mirrors on the zone's shared tail page of the
 * order. Either way the memory comes from memblock and sparse_init()
 * leaves the sections alone (hugetlb_section_preinit()). The gather step
 * marks the folio optimized (hugetlb_vmemmap_prehvo_folio()) and the boot
 * batch write-protects the mirrors.
 */
enum prehvo_mode {
	PREHVO_NONE,
	PREHVO_EARLY,
	PREHVO_LATE,
};

/*
 * Whether and how this boot pre-optimizes: HVO on at boot
 * (vmemmap_optimize_enabled), the boot gigantic pages taken from memblock
 * before sparse_init() (hugetlb_bootmem_allocated()), and the arch wanting
 * it in the release whose machinery the variant runs.
 */
static enum prehvo_mode
prehvo_mode(const struct hvo_machine *m)
{
	enum hvo_variant v = m->hugetlb->hvo_variant;

	if (v == HVO_VARIANT_OFF ||
	    !release_arch_has(&m->release, RP_BOOT_GIGANTIC_FIRST, m->cfg.arch) ||
	    !release_arch_has(&m->variant_release[v], RP_BOOTMEM_PREHVO,
			      m->cfg.arch))
		return PREHVO_NONE;
	return variant_get(m, v, RP_BOOTMEM_PREHVO_LATE) ? PREHVO_LATE :
							   PREHVO_EARLY;
}

/*
 * vmemmap_should_optimize_bootmem_page(): the size can be optimized, and
 * the page is aligned to a section and to the RAM whose struct pages fill
 * one vmemmap PMD (128M with 4K pages and a 64-byte struct page), so no
 * PMD is shared with memory outside it.
 */
static bool
vmemmap_should_optimize_bootmem_page(const struct hvo_machine *m,
				     const struct hstate *h,
				     const struct huge_page *hp)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t pa = hp->pfn << a->page_shift;
	uint64_t section = UINT64_C(1) << a->section_size_bits;
	uint64_t pmd_vmemmap_size =
		(arch_level_size(a, pmd_depth(m)) / m->cfg.struct_page_size) <<
		a->page_shift;

	if (!hp->bootmem || !hugetlb_vmemmap_optimizable(m, h, NULL))
		return false;
	if ((pa | h->size) & (section - 1))
		return false;
	return !((pa | h->size) & (pmd_vmemmap_size - 1));
}

/* Populate @hp's vmemmap pre-optimized, on @tail or its own mirrors. */
static int
vmemmap_populate_prehvo(struct hvo_machine *m, struct hstate *h,
			struct huge_page *hp, uint64_t tail)
{
	uint64_t start = pfn_to_page(m, hp->pfn);

	return vmemmap_populate_hvo(m, start, start + hugetlb_vmemmap_size(m, h),
				    m->arch.page_size, tail, &hp->head_vmemmap);
}

/* One step of boot for one boot hugepage (huge_boot_pages[nid]). */
typedef int (*prehvo_step)(struct hvo_machine *m, struct hstate *h,
			   struct huge_page *hp, enum prehvo_mode mode);

static int
for_each_boot_page(struct hvo_machine *m, prehvo_step step)
{
	enum prehvo_mode mode = prehvo_mode(m);

	if (mode == PREHVO_NONE)
		return 0;
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++) {
		struct hstate *h = &m->hugetlb->hstates[i];

		for (uint64_t k = 0; k < h->nr; k++) {
			int rc = step(m, h, &h->pages[k], mode);

			if (rc)
				return rc;
		}
	}
	return 0;
}

/* hugetlb_vmemmap_init_early(), for one page. */
static int
prehvo_init_early(struct hvo_machine *m, struct hstate *h,
		  struct huge_page *hp, enum prehvo_mode mode)
{
	if (!vmemmap_should_optimize_bootmem_page(m, h, hp))
		return 0;
	/* HUGE_BOOTMEM_HVO; the sections are PREINIT. */
	hp->prehvo = true;
	m->hugetlb->nr_prehvo++;
	if (mode == PREHVO_LATE)
		return 0;
	return vmemmap_populate_prehvo(m, h, hp, VMEMMAP_TAIL_LAST);
}

int
hugetlb_vmemmap_init_early(struct hvo_machine *m)
{
	return for_each_boot_page(m, prehvo_init_early);
}

/*
 * hugetlb_vmemmap_init_late(), for one page. A page whose RAM spans two
 * zones is dropped from the pool here (6.15: the HVO mapping undone; 7.1:
 * mapped normally), but no page can: the only zone limits (16M, 4G) are
 * never inside a section-aligned boot gigantic page above the firmware's
 * first megabyte. The model refuses to boot rather than pretend. 7.1
 * populates here: the shared tail of (zone, order) first, then the head
 * page.
 */
static int
prehvo_init_late(struct hvo_machine *m, struct hstate *h,
		 struct huge_page *hp, enum prehvo_mode mode)
{
	uint64_t last = hp->pfn + (UINT64_C(1) << h->order) - 1;
	unsigned zone = pfn_zone(m, hp->pfn);
	int rc;

	if (!hp->prehvo)
		return 0;
	if (pfn_zone(m, last) != zone)
		return machine_err(m, -EINVAL,
				   "the boot %s hugepage at pfn 0x%" PRIx64 " spans two zones: not modelled",
				   h->name, hp->pfn);
	if (mode == PREHVO_EARLY)
		return 0;
	if (!h->tail_pfn[zone]) {
		rc = vmemmap_alloc_page(m, &h->tail_pfn[zone]);
		if (rc)
			return rc;
	}
	return vmemmap_populate_prehvo(m, h, hp, h->tail_pfn[zone]);
}

int
hugetlb_vmemmap_init_late(struct hvo_machine *m)
{
	return for_each_boot_page(m, prehvo_init_late);
}

bool
hugetlb_section_preinit(struct hvo_machine *m, uint64_t pfn)
{
	/* The section flag is per section: a 4 PiB machine has 2^25 of them,
	 * and the pool index behind find_huge_page() is as sparse. */
	if (!m->hugetlb->nr_prehvo)
		return false;
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++) {
		struct hstate *h = &m->hugetlb->hstates[i], *hs;
		uint64_t head = round_down64(pfn, UINT64_C(1) << h->order);
		struct huge_page *hp = find_huge_page(m, head, &hs);

		if (hp && hs == h && hp->prehvo)
			return true;
	}
	return false;
}

/*
 * gather_bootmem_prealloc_node(): a pre-HVO page is optimized as it is.
 * 7.1 also initializes the shared tails here, after memmap_init()
 * (hugetlb_vmemmap_init()); the pointer encoding's mirrors are the head
 * page, which prep wrote.
 */
void
hugetlb_vmemmap_prehvo_folio(struct hvo_machine *m, struct hstate *h,
			     struct huge_page *hp)
{
	enum hvo_variant v = m->hugetlb->hvo_variant;
	unsigned zone = pfn_zone(m, hp->pfn);

	folio_set_vmemmap_optimized(m, hp->pfn, true);
	if (v == HVO_VARIANT_SHAREDTAIL)
		vmemmap_init_tail(m, h, zone, h->tail_pfn[zone]);
	hp->variant = v;
	hp->reuse_vmemmap = hp->head_vmemmap;
	if (vmemmap_variants[v].fake_heads)
		m->hvo_fake_heads++; /* static_branch_inc() */
	h->optimized++;
	count(m, CNT_HVO_PREHVO);
}
