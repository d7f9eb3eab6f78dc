/* SPDX-License-Identifier: MIT */
/*
 * hstates, pools and compound pages (mm/hugetlb.c), compound_head() and
 * /proc/kpageflags, and the checker's hugetlb rules.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hugetlb/hugetlb.h"
#include "hugetlb/vmemmap_host.h"
#include "mm/compound.h"

#define HPG_vmemmap_optimized 4

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_BUDDY		10
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_HUGE		17
#define KPF_HWPOISON		19
#define KPF_NOPAGE		20
#define KPF_RESERVED		32

/*
 * prep_compound_page() and init_new_hugetlb_folio() (6.1:
 * __prep_compound_gigantic_page() for a gigantic page, and
 * __prep_new_huge_page()), in the machine's folio layout (mm/folio.h):
 * every tail becomes a plain tail (written from one template per vmemmap
 * page, as the memmap is); then the head (PG_head, no HPG flags, no
 * references), page[1] (prep_compound_head(): the order, the mapcounts,
 * nr_pages), the deferred list where prep initializes one, the hugetlb
 * mark (the head's page type, or 6.1's destructor) and the hugetlb fields
 * (hugetlb_set_folio_subpool(), set_hugetlb_cgroup(),
 * set_hugetlb_cgroup_rsvd(): no subpool, no cgroups), wherever the
 * release keeps them. The kernel leaves the hwpoison list as the tail
 * prep left it, 0. With @nr_tails below the hugepage's, only the first
 * tails are written: hugetlb_folio_init_vmemmap() of a pre-HVO boot page
 * with HUGETLB_VMEMMAP_RESERVE_PAGES, whose other tails are mirrors.
 */
static int
__prep_new_hugetlb_folio(struct hvo_machine *m, struct hstate *h, pfn_t pfn,
			 uint64_t nr_tails)
{
	const struct folio_layout *fl = folio_layout(m);
	uint64_t nr = UINT64_C(1) << h->order;
	page_t head = pfn_to_page(m, pfn);
	unsigned zone = pfn_zone(m, pfn);
	uint64_t zone_flags = (uint64_t)zone << ZONES_PGSHIFT;
	pfn_t fix = compound_info_has_mask(m) ? MEMMAP_NO_HEAD : pfn;
	int *cached = &m->hugetlb->tail_tpl[h - m->hugetlb->hstates][zone];
	int tid = *cached - 1;
	uint8_t tpl[256];
	int rc;

	/* The same tail bytes for every hugepage of the zone: built once. */
	if (tid < 0) {
		init_compound_tail(m, tpl, h->order, zone);
		if (!compound_info_has_mask(m)) {
			uint64_t info = compound_info(m, head, h->order);

			memcpy(tpl + page_layout(m)->lru, &info, 8);
		}
		tid = page_layout(m)->whole ?
		      memmap_tpl_id(m, tpl, memmap_tails_patch(fix)) :
		      -1;
		*cached = tid + 1;
	}
	rc = tid >= 0 ?
	     memmap_write_tails_id(m, pfn + 1, nr_tails, (unsigned)tid, fix) :
	     memmap_write_tails(m, pfn + 1, nr_tails, tpl, fix);
	if (rc)
		return rc;

	/* The head: PG_head, the hugetlb mark, no HPG flags, no references. */
	set_page_flags(m, head, zone_flags | pg_mask(m, PG_head));
	set_page_lru_next(m, head, page_lru_va(m, head));
	set_page_lru_prev(m, head, page_lru_va(m, head));
	set_page_mapping(m, head, 0);
	set_page_private(m, head, 0);
	if (!fl->hugetlb_page_type)
		page_clear_type(m, head);
	set_page_count(m, head, 0);

	/*
	 * page[1]: prep_compound_head(). folio_set_order() puts the order in
	 * _flags_1's low byte (6.6 on); set_compound_order() in
	 * compound_order (6.1). Either sets the number of pages.
	 */
	set_folio_flags_1(m, head, zone_flags |
				   (fl->order_in_flags_1 ? h->order : 0));
	if (!fl->order_in_flags_1)
		FOLIO_SET(m, head, order, h->order);
	set_folio_nr_pages(m, head, nr);
	set_folio_large_mapcount(m, head, UINT32_MAX);
	set_folio_entire_mapcount(m, head, UINT32_MAX);
	set_folio_nr_pages_mapped(m, head, 0);
	set_folio_pincount(m, head, 0);
	if (fl->deferred_list_init)
		folio_init_deferred_list(m, head);
	folio_set_hugetlb(m, head);

	/* No subpool, no cgroups, no hwpoison list. */
	set_folio_hugetlb_subpool(m, head, 0);
	set_folio_hugetlb_cgroup(m, head, 0);
	set_folio_hugetlb_cgroup_rsvd(m, head, 0);
	set_folio_hugetlb_hwpoison(m, head, 0);
	return machine_oops_rc(m, 0);
}

int
prep_new_hugetlb_folio(struct hvo_machine *m, struct hstate *h, pfn_t pfn)
{
	return __prep_new_hugetlb_folio(m, h, pfn, (UINT64_C(1) << h->order) - 1);
}

void
folio_set_vmemmap_optimized(struct hvo_machine *m, pfn_t pfn, bool on)
{
	const uint64_t bit = UINT64_C(1) << HPG_vmemmap_optimized;

	/*
	 * A batch sets (or clears) it on thousands of heads whose vmemmap
	 * pages the host compacted since their prep: the page stays so.
	 */
	page_update64_described(m, pfn_to_page(m, pfn), page_layout(m)->private_,
				bit, on ? bit : 0);
}

int
hugetlb_restore_folio(struct hvo_machine *m, struct hstate *h,
		      struct huge_page *hp)
{
	return hugetlb_vmemmap_restore_folio(m, h, hp);
}

unsigned
variant_kept_pages(enum hvo_variant v)
{
	switch (v) {
	case HVO_VARIANT_RELEASE: /* never a hugepage's: resolved at boot */
	case HVO_VARIANT_OFF: return 0;
	case HVO_VARIANT_KEEP2: return 2;
	case HVO_VARIANT_FAKEHEAD:
	case HVO_VARIANT_SHAREDTAIL: return 1;
	}
	return 0;
}

/* HVO's rule since 5.14: a struct page must not cross a page boundary. */
static bool
struct_page_crosses(const struct hvo_machine *m)
{
	/* The size first: the release is asked only about an odd one. */
	return !is_pow2(m->cfg.struct_page_size) &&
	       kernel_get(m, RP_STRUCT_PAGE_POW2);
}

const char *
hvo_disabled_reason(const struct hvo_machine *m)
{
	if (m->hugetlb->hvo_variant == HVO_VARIANT_OFF)
		return HVO_REASON_OFF;
	if (struct_page_crosses(m))
		return HVO_REASON_NOT_POW2;
	return NULL;
}

bool
hugetlb_vmemmap_optimizable(const struct hvo_machine *m, const struct hstate *h,
			    const char **why)
{
	const char *reason = NULL;

	if (struct_page_crosses(m))
		reason = HVO_REASON_NOT_POW2;
	else if (m->hugetlb->hvo_variant == HVO_VARIANT_SHAREDTAIL && !compound_info_has_mask(m))
		reason = "the vmemmap is not aligned to the largest folio, so compound_info cannot be a mask and no tail page can be shared";
	else if (h->vmemmap_pages <= 1 ||
		 (m->hugetlb->hvo_variant == HVO_VARIANT_KEEP2 && h->vmemmap_pages <= 2))
		reason = "the struct pages of this size fit in the pages HVO keeps";
	if (why)
		*why = reason;
	return reason == NULL;
}

/*
 * hugetlb_vmemmap_optimizable_size(): the vmemmap bytes of a hugepage
 * beyond the one page HVO keeps (HUGETLB_VMEMMAP_RESERVE_SIZE), or 0
 * where HVO is not built or struct page is not a power of two. It is what
 * the kernel announces, whichever page it keeps in fact.
 */
static uint64_t
hugetlb_vmemmap_optimizable_size(const struct hvo_machine *m,
				 const struct hstate *h)
{
	uint64_t size = (UINT64_C(1) << h->order) * m->cfg.struct_page_size;

	if (m->hvo_variant == HVO_VARIANT_OFF ||
	    !is_pow2(m->cfg.struct_page_size) || size <= m->arch.page_size)
		return 0;
	return size - m->arch.page_size;
}

/*
 * In libhvo's order of the hstates (smallest first); the kernel lists
 * them in the order they were registered, which depends on the arch's
 * initcalls and on hugepagesz=. Both lines are worded as 6.1's and
 * 6.12's report_hugepages() word them; releases before 6.0 worded them
 * otherwise and log neither here.
 */
void
report_hugepages(struct hvo_machine *m)
{
	if (!kernel_get(m, RP_VMEMMAP_REPORT))
		return;
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++) {
		const struct hstate *h = &m->hugetlb->hstates[i];
		char size[32];

		string_get_size_pow2(h->size, size, sizeof(size));
		machine_printk(m, "HugeTLB: registered %s page size, pre-allocated %" PRIu64 " pages",
			       size, h->free);
		machine_printk(m, "HugeTLB: %" PRIu64 " KiB vmemmap can be freed for a %s page",
			       hugetlb_vmemmap_optimizable_size(m, h) >> 10,
			       size);
	}
}

/*
 * hugetlb_hstate_alloc_pages_errcheck(), and for a count given per node
 * hugetlb_hstate_alloc_pages_onenode(): a boot pool that fell short is
 * a warning, and the pool is what was allocated.
 */
static void
boot_pool_errcheck(struct hvo_machine *m, const struct hstate *h,
		   uint64_t allocated)
{
	char size[32];

	if (allocated >= h->boot_want)
		return;
	string_get_size_pow2(h->size, size, sizeof(size));
	if (h->boot_per_node)
		machine_printk(m, "HugeTLB: allocating %" PRIu64 " of page size %s failed node0.  Only allocated %" PRIu64 " hugepages.",
			       h->boot_want, size, allocated);
	else
		machine_printk(m, "HugeTLB: allocating %" PRIu64 " of page size %s failed.  Only allocated %" PRIu64 " hugepages.",
			       h->boot_want, size, allocated);
}

#define HP_INDEX_K_MASK ((UINT64_C(1) << 56) - 1)

static void
hp_index_fini(struct hp_index *ix)
{
	if (ix->slot)
		munmap(ix->slot, ix->nr * sizeof(*ix->slot));
	memset(ix, 0, sizeof(*ix));
}

static int
hp_index_init(struct hp_index *ix, uint64_t base_pfn, uint64_t nr_pfns,
	      unsigned shift)
{
	void *p;

	memset(ix, 0, sizeof(*ix));
	/*
	 * Hugepages are aligned to their size in pfns, not relative to where
	 * RAM starts: slot 0 starts at RAM's first pfn rounded down to the
	 * grain, or a head in RAM that starts off the grain has no slot.
	 */
	ix->base_pfn = round_down64(base_pfn, UINT64_C(1) << shift);
	ix->shift = shift;
	ix->nr = ((nr_pfns + (base_pfn - ix->base_pfn)) >> shift) + 1;
	p = mmap(NULL, ix->nr * sizeof(*ix->slot), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		ix->nr = 0;
		return -ENOMEM;
	}
#ifdef MADV_HUGEPAGE
	/* Touched where pools are: whole huge pages of slots at once. */
	madvise(p, ix->nr * sizeof(*ix->slot), MADV_HUGEPAGE);
#endif
	ix->slot = p;
	return 0;
}

/* The slot of a head pfn, or NULL if no hugepage can start there. */
static uint64_t *
hp_index_slot(const struct hp_index *ix, pfn_t pfn)
{
	uint64_t d = pfn - ix->base_pfn, i = d >> ix->shift;

	/*
	 * Below the base, d wraps past every slot; without a table nr is 0
	 * (hp_index_init(), hp_index_fini()): i >= nr says both.
	 */
	if (i >= ix->nr || (d & ((UINT64_C(1) << ix->shift) - 1)))
		return NULL;
	return &ix->slot[i];
}

static void
hp_index_set(struct hp_index *ix, pfn_t pfn, uint32_t hstate, uint64_t k)
{
	uint64_t *sl = hp_index_slot(ix, pfn);

	ix->n += !*sl;
	*sl = ((uint64_t)hstate << 56) | (k + 1);
}

static void
hp_index_del(struct hp_index *ix, pfn_t pfn)
{
	uint64_t *sl = hp_index_slot(ix, pfn);

	if (sl && *sl) {
		*sl = 0;
		ix->n--;
	}
}

int
hugetlb_init(struct hvo_machine *m)
{
	const struct hvo_arch *a = &m->arch;

	m->hugetlb = calloc(1, sizeof(*m->hugetlb));
	if (!m->hugetlb)
		return -ENOMEM;
	m->hugetlb->hvo_variant = m->hvo_default ? m->hvo_variant : HVO_VARIANT_OFF;
	for (unsigned i = 0; i < a->nr_hugetlb_sizes && i < HUGE_MAX_HSTATE; i++) {
		struct hstate *h = &m->hugetlb->hstates[m->hugetlb->nr_hstates++];
		uint64_t size = a->hugetlb_size[i];

		memset(h, 0, sizeof(*h));
		h->size = size;
		h->order = ilog2_u64(size) - a->page_shift;
		if (size >= (UINT64_C(1) << 30))
			snprintf(h->name, sizeof(h->name), "%" PRIu64 "G", size >> 30);
		else if (size >= (UINT64_C(1) << 20))
			snprintf(h->name, sizeof(h->name), "%" PRIu64 "M", size >> 20);
		else
			snprintf(h->name, sizeof(h->name), "%" PRIu64 "K", size >> 10);
		/* Whole pages of struct pages only: a fraction is not remappable. */
		h->vmemmap_pages = ((UINT64_C(1) << h->order) * m->cfg.struct_page_size) /
				   a->page_size;
		if (((UINT64_C(1) << h->order) * m->cfg.struct_page_size) % a->page_size)
			h->vmemmap_pages = 0;
	}
	if (!m->hugetlb->nr_hstates)
		return 0;
	/* The smallest hugepage sets the index's grain. */
	unsigned grain = m->hugetlb->hstates[0].order;

	for (unsigned i = 1; i < m->hugetlb->nr_hstates; i++)
		if (m->hugetlb->hstates[i].order < grain)
			grain = m->hugetlb->hstates[i].order;
	return hp_index_init(&m->hugetlb->hp_index, m->phys.base_pfn, m->phys.nr_frames,
			     grain);
}

void
hugetlb_fini(struct hvo_machine *m)
{
	if (!m->hugetlb)
		return;
	hp_index_fini(&m->hugetlb->hp_index);
	host_array_free(m->hugetlb->batch_pages,
			m->hugetlb->batch_pages_max * sizeof(struct huge_page *));
	host_array_free(m->hugetlb->batch_pfns,
			m->hugetlb->batch_pfns_max * sizeof(uint64_t));
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++)
		host_array_free(m->hugetlb->hstates[i].pages,
				m->hugetlb->hstates[i].cap * sizeof(struct huge_page));
	free(m->hugetlb);
	m->hugetlb = NULL;
}

struct hstate *
size_to_hstate(struct hvo_machine *m, uint64_t size)
{
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++)
		if (m->hugetlb->hstates[i].size == size)
			return &m->hugetlb->hstates[i];
	return NULL;
}

struct huge_page *
find_huge_page(struct hvo_machine *m, pfn_t pfn, struct hstate **hs)
{
	const uint64_t *sl = hp_index_slot(&m->hugetlb->hp_index, pfn);
	struct hstate *h;

	if (!sl || !*sl)
		return NULL;
	h = &m->hugetlb->hstates[*sl >> 56];
	if (hs)
		*hs = h;
	return &h->pages[(*sl & HP_INDEX_K_MASK) - 1];
}

/*
 * enqueue_hugetlb_folio(): list_move() to the head of the free list, so
 * the list is LIFO: the page enqueued last is dequeued first.
 */
void
enqueue_hugetlb_folio(struct hstate *h, struct huge_page *hp)
{
	hp->lru = ++h->lru_seq;
}

/* A new page joins the pool free, at the head of the free list. */
int
pool_add(struct hvo_machine *m, struct hstate *h, pfn_t pfn, bool bootmem)
{
	if (h->nr == h->cap) {
		uint64_t cap = h->cap ? h->cap * 2 : 16;
		struct huge_page *p = host_array_grow(h->pages, h->cap * sizeof(*p),
						      cap * sizeof(*p));

		if (!p)
			return machine_err(m, -ENOMEM, "out of host memory");
		h->pages = p;
		h->cap = cap;
	}
	hp_index_set(&m->hugetlb->hp_index, pfn, (uint32_t)(h - m->hugetlb->hstates), h->nr);
	h->pages[h->nr++] = (struct huge_page){
		.pfn = pfn,
		.variant = HVO_VARIANT_OFF,
		.bootmem = bootmem,
	};
	enqueue_hugetlb_folio(h, &h->pages[h->nr - 1]);
	h->free++;
	return 0;
}

/*
 * alloc_fresh_hugetlb_folio(): from the buddy, or the contiguous allocator.
 * htlb_alloc_mask() is GFP_HIGHUSER_MOVABLE for the sizes that migrate
 * (highest zone ZONE_MOVABLE) and GFP_HIGHUSER for gigantic ones
 * (page_category_gfp()); every size the buddy allocator can give
 * migrates on the modelled arches (the generic
 * arch_hugetlb_migration_supported() takes PMD and PUD sizes, arm64's and
 * riscv's every size they offer), so those pages come from the movable
 * lists. alloc_contig_pages() isolates with MIGRATE_MOVABLE whatever the
 * mask says.
 */
static int
alloc_fresh_hugetlb_folio(struct hvo_machine *m, struct hstate *h, pfn_t *pfn)
{
	int rc;

	if (h->order > m->arch.max_page_order)
		return alloc_contig_pages(m, h->order, ZONE_NORMAL,
					  HVO_PAGES_HUGETLB, pfn);
	/* alloc_buddy_hugetlb_folio() counts its successes and failures. */
	rc = alloc_pages(m, h->order, ZONE_MOVABLE, HVO_PAGES_HUGETLB, pfn);

	count_vm_events(m, rc ? HTLB_BUDDY_PGALLOC_FAIL : HTLB_BUDDY_PGALLOC, 1);
	return rc;
}

static int
free_huge_frames(struct hvo_machine *m, struct hstate *h, pfn_t pfn)
{
	if (h->order > m->arch.max_page_order)
		return free_contig_range(m, pfn, h->order);
	return free_pages(m, pfn, h->order);
}

/*
 * update_and_free_hugetlb_folio(): restore the vmemmap, drop the hugetlb
 * type, and hand the compound page to the page allocator. A restore that
 * fails leaves the hugepage in the pool, optimized. With page checks on,
 * free_pages_prepare() checks every struct page first; if one fails, the
 * kernel reports it (bad_page(): "BUG: Bad page state") and returns
 * without freeing anything: the hugepage has left the pool, but neither
 * its frames nor the vmemmap pages just restored behind its struct pages
 * are ever given back (debian-6.12-restore, doc/KERNEL-BUGS.md). That is
 * the kernel's behaviour, not a failure of the call: it returns 0.
 */
static int
update_and_free_hugetlb_folio(struct hvo_machine *m, struct hstate *h,
			      struct huge_page *hp)
{
	uint64_t nr = UINT64_C(1) << h->order;
	page_t head = pfn_to_page(m, hp->pfn);
	struct free_check fc;
	uint8_t tpl[256];
	unsigned zone;
	int tid, rc = hugetlb_restore_folio(m, h, hp);

	if (rc)
		return rc;
	if (m->check_pages) {
		/* __folio_clear_hugetlb(), then folio_put() frees it. */
		page_clear_type(m, head);
		rc = free_pages_check(m, hp->pfn, h->order, &fc);
		if (rc)
			return rc;
		if (fc.bad) {
			leak_pages(m, hp->pfn);
			machine_err(m, -EUCLEAN,
				    "BUG: Bad page state: pfn 0x%" PRIx64 ": %s (%" PRIu64 " bad page reports); the %s hugepage at pfn 0x%" PRIx64 " is never freed",
				    fc.first_pfn, fc.first_why, fc.bad, h->name,
				    hp->pfn);
			return 0;
		}
	}
	/*
	 * free_pages_prepare(): every struct page clean, as a free page: the
	 * same template for every hugepage of the zone, registered once.
	 */
	zone = pfn_zone(m, hp->pfn);
	tid = m->hugetlb->free_tpl[zone] - 1;
	if (tid < 0) {
		page_template(m, zone, false, 0, tpl);
		tid = page_layout(m)->whole ?
		      memmap_tpl_id(m, tpl, TPL_LRU_SELF) : -1;
		m->hugetlb->free_tpl[zone] = tid + 1;
	}
	rc = tid >= 0 ? memmap_write_pages_id(m, hp->pfn, nr, (unsigned)tid) :
			memmap_write_pages(m, hp->pfn, nr, tpl);
	if (rc)
		return rc;
	set_page_count(m, head, 1);
	if (machine_oopsed(m))
		return m->oops;
	return free_huge_frames(m, h, hp->pfn);
}

/* Take slot k out of the pool; the last page moves into it. */
void
pool_remove(struct hvo_machine *m, struct hstate *h, uint64_t k)
{
	hp_index_del(&m->hugetlb->hp_index, h->pages[k].pfn);
	h->pages[k] = h->pages[--h->nr];
	if (k < h->nr)
		hp_index_set(&m->hugetlb->hp_index, h->pages[k].pfn,
			     (uint32_t)(h - m->hugetlb->hstates), k);
}

/* The batch list, room for @n hugepages; NULL when the host is out of memory. */
struct huge_page **
batch_list(struct hvo_machine *m, uint64_t n)
{
	if (n > m->hugetlb->batch_pages_max) {
		struct huge_page **l =
			host_array_grow(m->hugetlb->batch_pages,
					m->hugetlb->batch_pages_max * sizeof(*l),
					n * sizeof(*l));

		if (!l)
			return NULL;
		m->hugetlb->batch_pages = l;
		m->hugetlb->batch_pages_max = n;
	}
	return m->hugetlb->batch_pages;
}

/*
 * The pages a grow allocates: all of them first, then (6.7 on) one HVO
 * batch; before 6.7 each page is optimized as it comes. With @partial a
 * grow keeps what it got; without, one that cannot complete is undone.
 */
static int
alloc_pool_pages(struct hvo_machine *m, struct hstate *h, uint64_t want,
		 bool partial)
{
	bool batched = kernel_get(m, RP_BATCHED);
	uint64_t got = 0, first = h->nr, freep;
	struct huge_page **list;
	int rc = 0;

	freep = machine_pages(m, HVO_PAGES_FREE);
	/* Size the pfn index and the pool once, not by doubling. */
	if (!partial || want <= freep >> h->order) {
		struct huge_page *p = h->cap >= h->nr + want ? h->pages :
			host_array_grow(h->pages, h->cap * sizeof(*p),
					(h->nr + want) * sizeof(*p));

		if (!p)
			return machine_err(m, -ENOMEM, "out of host memory");
		h->pages = p;
		if (h->cap < h->nr + want)
			h->cap = h->nr + want;
	}
	for (; got < want; got++) {
		uint64_t pfn;

		rc = alloc_fresh_hugetlb_folio(m, h, &pfn);
		if (rc)
			break;
		rc = pool_add(m, h, pfn, false);
		if (rc) {
			free_huge_frames(m, h, pfn);
			break;
		}
		rc = prep_new_hugetlb_folio(m, h, pfn);
		if (rc)
			break;
		if (!batched) {
			memmap_compact_note(m, pfn_to_page(m, pfn));
			hugetlb_vmemmap_optimize_folio(m, h,
						       &h->pages[h->nr - 1]);
		} else if (h->order <= m->arch.max_page_order) {
			memmap_compact_now(m, pfn_to_page(m, pfn));
		} else {
			/* A gigantic page's allocation writes much else. */
			memmap_compact_note(m, pfn_to_page(m, pfn));
		}
	}
	if (rc && !partial) {
		machine_err_hold(m);
		while (h->nr > first) {
			struct huge_page *hp = &h->pages[h->nr - 1];

			h->free--;
			update_and_free_hugetlb_folio(m, h, hp);
			pool_remove(m, h, h->nr - 1);
		}
		machine_err_release(m);
		return rc;
	}
	if (!batched)
		return rc && got == 0 ? rc : 0;
	/*
	 * prep_and_add_allocated_folios(): one HVO batch. set_max_huge_pages()
	 * list_add()s each page it allocates, so the batch runs newest
	 * first, and enqueues in that order: the oldest ends at the head of
	 * the free list.
	 */
	list = batch_list(m, h->nr - first + 1);
	if (!list)
		return machine_err(m, -ENOMEM, "out of host memory");
	for (uint64_t k = first; k < h->nr; k++)
		list[h->nr - 1 - k] = &h->pages[k];
	hugetlb_vmemmap_optimize_folios(m, h, list, h->nr - first);
	for (uint64_t i = 0; i < h->nr - first; i++)
		enqueue_hugetlb_folio(h, list[i]);
	return rc && got == 0 ? rc : 0;
}

/*
 * add_hugetlb_folio(h, folio, true): a page whose vmemmap could not be
 * restored goes back to the pool, free, as a surplus page. It never left
 * this pool's array: only the count changes.
 */
static void
add_hugetlb_folio_surplus(struct hstate *h, struct huge_page *hp)
{
	hp->freed = false;
	h->surplus++;
	enqueue_hugetlb_folio(h, hp);
}

/*
 * __update_and_free_hugetlb_folio() for a page taken off the pool: freed
 * (marked, for pool_compact()), or kept as a surplus page when its
 * vmemmap cannot be restored.
 */
static int
free_pool_folio(struct hvo_machine *m, struct hstate *h, struct huge_page *hp)
{
	bool opt = hp->variant != HVO_VARIANT_OFF;
	int rc = update_and_free_hugetlb_folio(m, h, hp);

	if (rc == -ENOMEM && opt && hp->variant != HVO_VARIANT_OFF) {
		add_hugetlb_folio_surplus(h, hp);
		return 0;
	}
	if (rc)
		return rc;
	hp->freed = true;
	return 0;
}

/*
 * Take the pages freed by update_and_free_pages_bulk() out of the pool,
 * from the highest slot down: pool_remove() moves the last page into the
 * hole, which then is one already looked at.
 */
static void
pool_compact(struct hvo_machine *m, struct hstate *h)
{
	for (uint64_t k = h->nr; k-- > 0;) {
		if (!h->pages[k].freed)
			continue;
		h->pages[k].freed = false;
		h->free--;
		pool_remove(m, h, k);
	}
}

/*
 * Free @n hugepages taken off the pool, @list in the kernel's list order,
 * with what the release does when a vmemmap restore fails.
 *
 * Before 6.7 (update_and_free_pages_bulk() of 6.1) each page is restored
 * and freed on its own; one that cannot be restored stays as a surplus
 * page (__update_and_free_page()).
 *
 * 6.7 on, update_and_free_pages_bulk() restores the list as one batch.
 * When that fails, bulk_vmemmap_restore_error() frees the pages restored
 * so far and retries the rest; when none was restored, it restores page
 * by page, keeps each it cannot as a surplus page, and goes back to the
 * batch after the first it could restore and free. The pages a batch
 * restored are moved to the head of non_hvo_folios as they come, so they
 * are freed last restored first.
 */
static int
update_and_free_pages_bulk(struct hvo_machine *m, struct hstate *h,
			   struct huge_page **list, uint64_t n)
{
	uint64_t first = 0, stop;
	int rc = 0;

	if (!kernel_get(m, RP_BATCHED)) {
		for (uint64_t i = 0; i < n && !rc; i++) {
			/* Its first vmemmap page is rewritten whole below. */
			if (i + 4 < n)
				prefetch_vmemmap_page(m, list[i + 4]->pfn);
			rc = free_pool_folio(m, h, list[i]);
		}
		goto out;
	}
	while (first < n && !rc) {
		hugetlb_vmemmap_restore_folios(m, h, list + first, n - first);
		/* What it restored, or found not optimized: up to the failure. */
		for (stop = first; stop < n; stop++)
			if (list[stop]->variant != HVO_VARIANT_OFF)
				break;
		for (uint64_t i = stop; i-- > first && !rc;) {
			if (i >= first + 4)
				prefetch_vmemmap_page(m, list[i - 4]->pfn);
			rc = free_pool_folio(m, h, list[i]);
			hugetlb_host_freed(m, h, list[i]->pfn);
		}
		if (stop == n || stop > first) {
			first = stop;
			continue;
		}
		/* bulk_vmemmap_restore_error(): nothing restored. */
		while (first < n && !rc) {
			struct huge_page *hp = list[first++];

			if (hugetlb_restore_folio(m, h, hp)) {
				add_hugetlb_folio_surplus(h, hp);
				continue;
			}
			rc = free_pool_folio(m, h, hp);
			break;
		}
	}
out:
	pool_compact(m, h);
	return rc;
}

/*
 * The head of the free list: the free page enqueued last. A scan, where
 * the kernel reads one pointer; the pools are arrays here.
 */
static struct huge_page *
freelist_head(struct hstate *h)
{
	struct huge_page *best = NULL;

	for (uint64_t k = 0; k < h->nr; k++) {
		struct huge_page *hp = &h->pages[k];

		if (!hp->in_use && !hp->freed && (!best || hp->lru > best->lru))
			best = hp;
	}
	return best;
}

static int
lru_newest_first(const void *a, const void *b)
{
	const struct huge_page *x = *(struct huge_page *const *)a;
	const struct huge_page *y = *(struct huge_page *const *)b;

	return x->lru < y->lru ? 1 : x->lru > y->lru ? -1 : 0;
}

static void
reverse_pages(struct huge_page **list, uint64_t n)
{
	for (uint64_t i = 0; i < n / 2; i++) {
		struct huge_page *t = list[i];

		list[i] = list[n - 1 - i];
		list[n - 1 - i] = t;
	}
}

void
sort_newest_first(struct huge_page **list, uint64_t n)
{
	uint64_t up = 1, down = 1;

	/*
	 * The pool's array often lies in one order already, oldest first
	 * (reversed, not sorted) or newest first.
	 */
	while (up < n && list[up - 1]->lru < list[up]->lru)
		up++;
	while (down < n && list[down - 1]->lru > list[down]->lru)
		down++;
	if (up >= n)
		reverse_pages(list, n);
	else if (down < n)
		qsort(list, n, sizeof(*list), lru_newest_first);
}

/*
 * remove_pool_hugetlb_folio() @n times: the free pages from the head of
 * the free list, on @list (room for every free page), in the kernel's
 * list order: each taken page is list_add()ed, so the list runs from the
 * last one taken. One sort, where calling freelist_head() per page would
 * cost a scan each. @return how many were taken.
 */
static uint64_t
remove_pool_hugetlb_folios(struct hstate *h, struct huge_page **list,
			   uint64_t n)
{
	uint64_t f = 0;

	for (uint64_t k = 0; k < h->nr; k++)
		if (!h->pages[k].in_use)
			list[f++] = &h->pages[k];
	sort_newest_first(list, f);
	if (n > f)
		n = f;
	reverse_pages(list, n);
	return n;
}

/*
 * set_max_huge_pages(): a grow first turns surplus pages into persistent
 * ones (adjust_pool_surplus(-1)), then allocates; a shrink frees free
 * pages down to what is in use and reserved, then counts the pages in use
 * beyond @count_ as surplus (adjust_pool_surplus(1)): each is freed when
 * put back. The sysctl reads max_huge_pages, the persistent pages when
 * the resize ends; sysfs reads nr_huge_pages.
 */
int
set_max_huge_pages(struct hvo_machine *m, struct hstate *h, uint64_t count_,
		   bool partial)
{
	uint64_t min_count, n = 0, surplus = h->surplus;
	struct huge_page **list;
	int rc = 0;

	/*
	 * libhvo's exact resize counts every page as persistent, or a free
	 * surplus page, which no kernel resize frees, would stay forever.
	 */
	if (!partial)
		h->surplus = 0;
	while (h->surplus && count_ > persistent_huge_pages(h))
		h->surplus--;
	if (count_ > persistent_huge_pages(h)) {
		uint64_t want = count_ - persistent_huge_pages(h);
		uint64_t freep = machine_pages(m, HVO_PAGES_FREE);

		if (!partial && want > freep >> h->order) {
			h->surplus = surplus;
			return machine_err(m, -ENOMEM,
					   "nr %" PRIu64 ": %" PRIu64 " more %s hugepages do not fit: %" PRIu64 " pages are free, room for %" PRIu64,
					   count_, want, h->name, freep,
					   freep >> h->order);
		}
		rc = alloc_pool_pages(m, h, want, partial);
		if (rc && !partial) {
			h->surplus = surplus;
			return rc;
		}
		goto out;
	}
	min_count = h->resv + h->nr - h->free;
	if (min_count < count_)
		min_count = count_;
	if (min_count < persistent_huge_pages(h)) {
		uint64_t drop = persistent_huge_pages(h) - min_count;

		list = batch_list(m, h->free + 1);
		if (!list)
			return machine_err(m, -ENOMEM, "out of host memory");
		n = remove_pool_hugetlb_folios(h, list, drop);
		surplus = h->surplus;
		rc = update_and_free_pages_bulk(m, h, list, n);
		if (rc)
			return rc;
		surplus = h->surplus - surplus;
	} else {
		surplus = 0;
	}
	if (!partial && surplus)
		rc = machine_err(m, -ENOMEM,
				 "%" PRIu64 " %s hugepages stay in the pool as surplus pages: their vmemmap could not be restored",
				 surplus, h->name);
	else if (!partial && count_ < persistent_huge_pages(h))
		rc = machine_err(m, -EBUSY,
				 "nr %" PRIu64 ": %" PRIu64 " %s hugepages are in use and %" PRIu64 " reserved; the pool keeps them",
				 count_, h->nr - h->free, h->name, h->resv);
	/* All or nothing: pages in use do not become surplus behind a refusal. */
	while (partial && count_ < persistent_huge_pages(h) && h->surplus < h->nr)
		h->surplus++;
out:
	h->max_huge_pages = persistent_huge_pages(h);
	/* Host memory: what the resize wrote may be described now. */
	memmap_compact_flush(m);
	return rc;
}

/*
 * alloc_surplus_hugetlb_folio(): never gigantic, never beyond
 * nr_overcommit_hugepages; a fresh page, optimized on its own (6.12's
 * alloc_fresh_hugetlb_folio()), counted as surplus. It joins the pool
 * free; the caller takes it.
 */
static int
alloc_surplus_hugetlb_folio(struct hvo_machine *m, struct hstate *h,
			    struct huge_page **out)
{
	uint64_t pfn;
	int rc;

	if (h->order > m->arch.max_page_order)
		return -ENOMEM;
	if (h->surplus >= h->nr_overcommit)
		return -ENOMEM;
	rc = alloc_fresh_hugetlb_folio(m, h, &pfn);
	if (rc)
		return rc;
	rc = pool_add(m, h, pfn, false);
	if (rc) {
		free_huge_frames(m, h, pfn);
		return rc;
	}
	h->surplus++;
	rc = prep_new_hugetlb_folio(m, h, pfn);
	if (rc)
		return rc;
	*out = &h->pages[h->nr - 1];
	/* Like a grow, the page is used whether its optimize worked or not. */
	hugetlb_vmemmap_optimize_folio(m, h, *out);
	return machine_oops_rc(m, 0);
}

/* dequeue_hugetlb_folio_node_exact(): the head of the free list. */
static struct huge_page *
dequeue_hugetlb_folio(struct hstate *h)
{
	return freelist_head(h);
}

int
alloc_hugetlb_folio(struct hvo_machine *m, struct hstate *h, bool reserved,
		    struct huge_page **out)
{
	struct huge_page *hp;
	int rc;

	if (reserved && !h->resv)
		return machine_err(m, -EINVAL,
				   "no %s hugepage is reserved: reserve one first (hugetlb_reserve_pages())",
				   h->name);
	/*
	 * dequeue_hugetlb_folio_vma(): a fault with a reservation takes the
	 * head of the free list; one without, only while
	 * available_huge_pages() (free - resv, an unsigned long) is not 0.
	 * With no page there, alloc_buddy_hugetlb_folio_with_mpol() makes a
	 * surplus page, which consumes the reservation all the same (a
	 * demote may have taken the reserved pages: demote-takes-reserved).
	 */
	hp = reserved || h->free - h->resv ? dequeue_hugetlb_folio(h) : NULL;
	if (!hp) {
		rc = alloc_surplus_hugetlb_folio(m, h, &hp);
		if (rc)
			return machine_err_wrap(m, -ENOMEM,
						"no free %s hugepage in the pool and no surplus page (%" PRIu64 " surplus of %" PRIu64 " overcommit): the fault gets SIGBUS",
						h->name, h->surplus,
						h->nr_overcommit);
	}
	if (reserved)
		h->resv--;
	hp->in_use = true;
	h->free--;
	*out = hp;
	return 0;
}

int
free_huge_folio(struct hvo_machine *m, struct hstate *h, struct huge_page *hp)
{
	int rc;

	hp->in_use = false;
	h->free++;
	if (!h->surplus) {
		enqueue_hugetlb_folio(h, hp);
		return 0;
	}
	/* remove_hugetlb_folio(h, folio, true), then the page allocator. */
	h->surplus--;
	rc = free_pool_folio(m, h, hp);
	pool_compact(m, h);
	return rc;
}

/*
 * gather_surplus_pages(): the free pages not yet reserved cover what
 * they can; surplus pages the rest. When they cannot all be allocated
 * (nr_overcommit_hugepages, memory), those allocated are freed again,
 * newest first, and nothing is reserved: the mmap fails with -ENOMEM.
 */
static int
gather_surplus_pages(struct hvo_machine *m, struct hstate *h, uint64_t delta)
{
	uint64_t needed, first = h->nr, room = 0, i;
	int rc = 0;

	if (h->resv + delta <= h->free) {
		h->resv += delta;
		return 0;
	}
	needed = h->resv + delta - h->free;
	/* alloc_surplus_hugetlb_folio() never makes a gigantic page. */
	if (h->order <= m->arch.max_page_order && h->nr_overcommit > h->surplus)
		room = h->nr_overcommit - h->surplus;
	for (i = 0; i < needed && !rc; i++) {
		struct huge_page *hp;

		rc = alloc_surplus_hugetlb_folio(m, h, &hp);
	}
	if (!rc) {
		/*
		 * surplus_list is built with list_add() and enqueued from
		 * its head: the newest first, the oldest ends at the head.
		 */
		for (uint64_t k = h->nr; k-- > first;)
			enqueue_hugetlb_folio(h, &h->pages[k]);
		h->resv += delta;
		return 0;
	}
	/* free_huge_folio() of each: they are surplus pages. */
	machine_err_hold(m);
	for (uint64_t k = h->nr; k-- > first;) {
		h->surplus--;
		free_pool_folio(m, h, &h->pages[k]);
	}
	pool_compact(m, h);
	machine_err_release(m);
	return machine_err(m, -ENOMEM,
			   "reserving %" PRIu64 " %s hugepages: %" PRIu64 " free, %" PRIu64 " reserved; %" PRIu64 " surplus pages needed, %" PRIu64 " allowed (nr_overcommit_hugepages %" PRIu64 ", %" PRIu64 " surplus%s)",
			   delta, h->name, h->free, h->resv, needed, room,
			   h->nr_overcommit, h->surplus,
			   h->order > m->arch.max_page_order ?
			   "; gigantic pages are never surplus" :
			   needed > room ? "" : "; out of memory");
}

/*
 * return_unused_surplus_pages(): the reservation goes, and as many
 * surplus pages as it held and are free leave the pool.
 */
static int
return_unused_surplus_pages(struct hvo_machine *m, struct hstate *h,
			    uint64_t unused)
{
	uint64_t nr_pages = unused < h->surplus ? unused : h->surplus, n = 0;
	struct huge_page **list;

	h->resv -= unused;
	list = batch_list(m, h->free + 1);
	if (!list)
		return machine_err(m, -ENOMEM, "out of host memory");
	/* remove_hugetlb_folio(h, folio, true): each leaves the surplus count. */
	n = remove_pool_hugetlb_folios(h, list, nr_pages);
	h->surplus -= n;
	return update_and_free_pages_bulk(m, h, list, n);
}

int
hugetlb_acct_memory(struct hvo_machine *m, struct hstate *h, int64_t delta)
{
	if (delta > 0)
		return gather_surplus_pages(m, h, (uint64_t)delta);
	if (delta < 0) {
		if ((uint64_t)-delta > h->resv)
			return machine_err(m, -EINVAL,
					   "unreserving %" PRIu64 " %s hugepages: only %" PRIu64 " are reserved",
					   (uint64_t)-delta, h->name, h->resv);
		return return_unused_surplus_pages(m, h, (uint64_t)-delta);
	}
	return 0;
}

int
hugetlb_reserve_bootmem(struct hvo_machine *m)
{
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++) {
		struct hstate *h = &m->hugetlb->hstates[i];

		/* Only gigantic pages come from memblock; the rest from the buddy. */
		if (h->order <= m->arch.max_page_order)
			continue;
		for (unsigned k = 0; k < h->boot_nr; k++) {
			uint64_t pa;

			if (memblock_phys_alloc(&m->memblock, h->size, h->size, 0, &pa)) {
				/* The kernel's command line: keep what fit. */
				if (m->cfg.boot_hugepages_partial)
					break;
				return machine_err(m, -ENOMEM,
						   "hugepages: no room at boot for %s hugepage %u of %u",
						   h->name, k + 1, h->boot_nr);
			}
			page_owner_set_range(&m->owner, pa >> m->arch.page_shift,
					     UINT64_C(1) << h->order, HVO_PAGES_HUGETLB);
			if (pool_add(m, h, pa >> m->arch.page_shift, true))
				return -ENOMEM;
		}
	}
	return 0;
}

/*
 * gather_bootmem_prealloc() and hugetlb_hstate_alloc_pages(): prepare the
 * boot pools (memblock pages join the managed memory) and optimize them,
 * one batch per hstate.
 */
int
hugetlb_gather_bootmem(struct hvo_machine *m)
{
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++) {
		struct hstate *h = &m->hugetlb->hstates[i];
		struct huge_page **list;
		int rc;

		if (h->order <= m->arch.max_page_order) {
			if (h->boot_nr) {
				bool partial = m->cfg.boot_hugepages_partial;

				rc = set_max_huge_pages(m, h, h->boot_nr, partial);
				if (rc && !partial)
					return rc;
				m->error[0] = '\0';
				boot_pool_errcheck(m, h, h->nr);
			}
			continue;
		}
		if (h->boot_nr)
			boot_pool_errcheck(m, h, h->nr);
		if (!h->nr)
			continue;
		for (uint64_t k = 0; k < h->nr; k++) {
			struct huge_page *hp = &h->pages[k];
			/* A pre-HVO page: the struct pages of its own page. */
			uint64_t tails = hp->prehvo ?
				m->arch.page_size / m->cfg.struct_page_size - 1 :
				(UINT64_C(1) << h->order) - 1;

			rc = __prep_new_hugetlb_folio(m, h, hp->pfn, tails);
			if (rc)
				return rc;
			if (hp->prehvo)
				hugetlb_vmemmap_prehvo_folio(m, h, hp);
			m->zones[pfn_zone(m, hp->pfn)].managed_pages +=
				UINT64_C(1) << h->order;
		}
		h->max_huge_pages = h->nr;
		/*
		 * huge_boot_pages is built with list_add(): its head is the
		 * page memblock gave last. 6.1's gather_bootmem_prealloc()
		 * walks it from there, optimizing and enqueueing each
		 * (prep_new_huge_page(), free_huge_page()), so the page
		 * allocated first ends at the head of the free list. From
		 * 6.7 the walk list_add()s each to a second list, which
		 * prep_and_add_bootmem_folios() optimizes and enqueues in
		 * allocation order, as pool_add() enqueued them.
		 */
		if (!kernel_get(m, RP_BATCHED)) {
			for (uint64_t k = h->nr; k-- > 0;) {
				hugetlb_vmemmap_optimize_folio(m, h, &h->pages[k]);
				enqueue_hugetlb_folio(h, &h->pages[k]);
			}
			continue;
		}
		list = batch_list(m, h->nr);
		if (!list)
			return -ENOMEM;
		for (uint64_t k = 0; k < h->nr; k++)
			list[k] = &h->pages[k];
		hugetlb_vmemmap_optimize_bootmem_folios(m, h, list, h->nr);
	}
	return 0;
}

/*
 * The page flags stable_page_flags() copies from the folio's flags word,
 * with their KPF_ bits (include/uapi/linux/kernel-page-flags.h and
 * include/linux/kernel-page-flags.h). PG_hwpoison is not here: it is
 * read from the folio only for hugetlb.
 */
static const struct {
	enum pageflags pg;
	unsigned kpf;
} kpf_copy[] = {
	{ PG_locked, 0 },	/* KPF_LOCKED */
	{ PG_dirty, 4 },	/* KPF_DIRTY */
	{ PG_uptodate, 3 },	/* KPF_UPTODATE */
	{ PG_writeback, 8 },	/* KPF_WRITEBACK */
	{ PG_lru, 5 },		/* KPF_LRU */
	{ PG_referenced, 2 },	/* KPF_REFERENCED */
	{ PG_active, 6 },	/* KPF_ACTIVE */
	{ PG_unevictable, 18 },	/* KPF_UNEVICTABLE */
	{ PG_mlocked, 33 },	/* KPF_MLOCKED */
	{ PG_reserved, KPF_RESERVED },
	{ PG_private, 35 },	/* KPF_PRIVATE */
	{ PG_private_2, 36 },	/* KPF_PRIVATE_2 */
};

/*
 * stable_page_flags() of 6.12's fs/proc/page.c: the flags come from the
 * folio (page_folio()), so a tail page reports its head's PG_reserved
 * and the rest; COMPOUND_HEAD is the head's PG_head, every other page of
 * a folio is a COMPOUND_TAIL; HWPOISON is the folio's for hugetlb and
 * the page's own otherwise; BUDDY is PageBuddy() on the first page of a
 * free block and, for a page with no references, is_free_buddy_page()
 * anywhere else in it. The machine has no user mappings, slab, LRU or
 * THP, so MMAP, ANON, SLAB, THP and the zero page never show; its kernel
 * page tables come from pte_alloc_one_kernel(), which does not make them
 * PageTable(), so PGTABLE does not either.
 */
int
stable_page_flags(struct hvo_machine *m, pfn_t pfn, uint64_t *out)
{
	page_t page, head;
	uint64_t flags, k;
	uint32_t type;

	if (!pfn_valid(&m->phys, pfn)) {
		*out = UINT64_C(1) << KPF_NOPAGE;
		return 0;
	}
	page = pfn_to_page(m, pfn);
	flags = page_flags(m, page);
	/* page_folio(): a tail's head (fake heads fixed up), else itself. */
	head = compound_head(m, page);
	k = head == page ? flags : page_flags(m, head);
	type = page_type(m, page);
	*out = 0;
	if (head == page) {
		if (flag_test(m, k, PG_head))
			*out |= UINT64_C(1) << KPF_COMPOUND_HEAD;
	} else {
		*out |= UINT64_C(1) << KPF_COMPOUND_TAIL;
	}
	/* folio_test_hugetlb(): the page type, or 6.1's destructor. */
	if ((head != page || flag_test(m, k, PG_head)) &&
	    folio_test_hugetlb(m, head))
		*out |= UINT64_C(1) << KPF_HUGE;
	if (page_type_is(type, PGTY_buddy) ||
	    (page_ref_count(m, head) == 0 && is_free_buddy_page(m, pfn)))
		*out |= UINT64_C(1) << KPF_BUDDY;
	for (size_t i = 0; i < sizeof(kpf_copy) / sizeof(kpf_copy[0]); i++)
		if (flag_test(m, k, kpf_copy[i].pg))
			*out |= UINT64_C(1) << kpf_copy[i].kpf;
	if (flag_test(m, (*out & (UINT64_C(1) << KPF_HUGE)) ? k : flags,
		      PG_hwpoison))
		*out |= UINT64_C(1) << KPF_HWPOISON;
	if (machine_oopsed(m))
		*out = 0;
	return machine_oops_rc(m, 0);
}

#define FAIL(m, ...) machine_err((m), -EUCLEAN, __VA_ARGS__)

/* A rule met a struct page it cannot read: the fault, said as the rule's. */
static int
check_unreadable(struct hvo_machine *m, pfn_t pfn)
{
	machine_oops_take(m, 0);
	return machine_err_wrap(m, -EUCLEAN,
				"hvo: struct page of pfn 0x%" PRIx64 " unreadable",
				pfn);
}

/*
 * The folio rules: the struct pages that hold a pool hugepage's metadata
 * read what prep_new_hugetlb_folio() wrote and what the pool's state
 * implies, whichever vmemmap frames now lie behind them, in the machine's
 * folio layout. A fixed number of struct pages per hugepage: the head, the
 * first tails (to page[4] in 6.1) and the tails in the head's vmemmap page
 * (the page every variant keeps or copies).
 * Each rule's reason names the hugepage, the struct page and the field.
 */
#define FOLIO_FAIL(m, rule, h, hp, i, field, got, want)			\
	FAIL(m, rule ": the %s hugepage at pfn 0x%" PRIx64 ": struct page %u (pfn 0x%" PRIx64 ") %s is 0x%" PRIx64 ", expected 0x%" PRIx64, \
	     (h)->name, (hp)->pfn, (unsigned)(i), (hp)->pfn + (i), field,	\
	     (uint64_t)(got), (uint64_t)(want))

/* A hugetlb field is 0 on a pool page: no subpool, cgroup or poison. */
static int
check_hugetlb_field(struct hvo_machine *m, struct hstate *h,
		    struct huge_page *hp, const struct folio_field *f,
		    const char *rule, const char *field)
{
	uint64_t v = folio_field_get(m, pfn_to_page(m, hp->pfn), f);

	if (v != 0)
		return FAIL(m, "%s: the %s hugepage at pfn 0x%" PRIx64 ": struct page %u (pfn 0x%" PRIx64 ") %s is 0x%" PRIx64 ", expected 0x0",
			    rule, h->name, hp->pfn, (unsigned)f->page,
			    hp->pfn + f->page, field, v);
	return 0;
}

static int
check_folio_fields(struct hvo_machine *m, struct hstate *h,
		   struct huge_page *hp)
{
	const struct page_layout *l = page_layout(m);
	const struct folio_layout *fl = folio_layout(m);
	page_t head = pfn_to_page(m, hp->pfn);
	uint64_t nr = UINT64_C(1) << h->order;
	uint64_t zone_flags = (uint64_t)pfn_zone(m, hp->pfn) << ZONES_PGSHIFT;
	uint64_t tail_mapping = folio_tail_mapping(m, h->order);
	bool has_mapping = l->mapping != PAGE_FIELD_ABSENT;
	bool opt = hp->variant != HVO_VARIANT_OFF;
	uint32_t type_want = fl->hugetlb_page_type ?
			     (uint32_t)PGTY_hugetlb << 24 : PAGE_TYPE_NONE;
	uint64_t v, want, info;
	uint64_t per_page;
	int rc;

	/* The head: PG_head and its zone, the hugetlb mark, no references. */
	v = page_flags(m, head);
	want = zone_flags | pg_mask(m, PG_head);
	if (machine_oopsed(m))
		return check_unreadable(m, hp->pfn);
	if (v != want)
		return FOLIO_FAIL(m, "folio.head_flags", h, hp, 0, "flags", v, want);
	v = page_type(m, head);
	if (v != type_want)
		return FOLIO_FAIL(m, "folio.page_type", h, hp, 0, "page_type", v,
				  type_want);
	v = FOLIO_GET(m, head, dtor);
	if (FOLIO_HAS(m, dtor) && v != HUGETLB_PAGE_DTOR)
		return FOLIO_FAIL(m, "folio.dtor", h, hp, 1, "compound_dtor", v,
				  HUGETLB_PAGE_DTOR);
	/* A pool page holds no reference (libhvo's in_use takes none either). */
	v = page_ref_count(m, head);
	if (v != 0)
		return FOLIO_FAIL(m, "folio.refcount", h, hp, 0, "_refcount", v, 0);
	/* HPG_vmemmap_optimized iff optimized; no other HPG flag is set. */
	v = page_private(m, head);
	want = opt ? UINT64_C(1) << HPG_vmemmap_optimized : 0;
	if (v != want)
		return FOLIO_FAIL(m, "folio.vmemmap_optimized", h, hp, 0,
				  "private (HPG flags)", v, want);

	/* page[1]: the order, the mapcounts, the number of pages. */
	v = folio_flags_1(m, head);
	want = zone_flags | (fl->order_in_flags_1 ? h->order : 0);
	if (v != want)
		return FOLIO_FAIL(m, "folio.order", h, hp, 1, "_flags_1", v,
				  want);
	v = FOLIO_GET(m, head, order);
	if (!fl->order_in_flags_1 && v != h->order)
		return FOLIO_FAIL(m, "folio.order", h, hp, 1, "compound_order",
				  v, h->order);
	v = folio_large_mapcount(m, head);
	if (FOLIO_HAS(m, large_mapcount) && v != UINT32_MAX)
		return FOLIO_FAIL(m, "folio.mapcount", h, hp, 1, "_large_mapcount",
				  v, UINT32_MAX);
	v = folio_entire_mapcount(m, head);
	if (v != UINT32_MAX)
		return FOLIO_FAIL(m, "folio.mapcount", h, hp, 1,
				  fl->large_mapcount.size ? "_entire_mapcount" :
							    "compound_mapcount",
				  v, UINT32_MAX);
	v = folio_nr_pages_mapped(m, head);
	if (v != 0)
		return FOLIO_FAIL(m, "folio.pincount", h, hp, 1,
				  "_nr_pages_mapped", v, 0);
	v = folio_pincount(m, head);
	if (v != 0)
		return FOLIO_FAIL(m, "folio.pincount", h, hp, 1, "_pincount",
				  v, 0);
	v = folio_nr_pages(m, head);
	if (FOLIO_HAS(m, nr_pages) && v != nr)
		return FOLIO_FAIL(m, "folio.nr_pages", h, hp, 1, "_folio_nr_pages",
				  v, nr);

	/*
	 * page[2]: an empty _deferred_list points at itself both ways,
	 * where prep made one (from 6.15; 6.2 to 6.14 lay the hugetlb fields
	 * over it).
	 */
	if (fl->deferred_list_init && folio_has_deferred_list(m)) {
		want = folio_deferred_list_va(m, head);
		v = folio_deferred_list_next(m, head);
		if (v != want)
			return FOLIO_FAIL(m, "folio.deferred_list", h, hp, 2,
					  "_deferred_list.next", v, want);
		v = folio_deferred_list_prev(m, head);
		if (v != want)
			return FOLIO_FAIL(m, "folio.deferred_list", h, hp, 2,
					  "_deferred_list.prev", v, want);
	}

	/* No subpool, no cgroups, no hwpoison list, wherever they lie. */
	rc = check_hugetlb_field(m, h, hp, &fl->subpool,
				 "folio.hugetlb_subpool", "_hugetlb_subpool");
	if (!rc)
		rc = check_hugetlb_field(m, h, hp, &fl->cgroup,
					 "folio.hugetlb_cgroup",
					 "_hugetlb_cgroup");
	if (!rc)
		rc = check_hugetlb_field(m, h, hp, &fl->cgroup_rsvd,
					 "folio.hugetlb_cgroup_rsvd",
					 "_hugetlb_cgroup_rsvd");
	if (!rc)
		rc = check_hugetlb_field(m, h, hp, &fl->hwpoison,
					 "folio.hugetlb_hwpoison",
					 "_hugetlb_hwpoison");
	if (rc)
		return rc;
	if (machine_oopsed(m))
		return check_unreadable(m, hp->pfn);

	/*
	 * prep_compound_tail(): the tails link to the head, and where no
	 * folio field lies over their ->mapping it is TAIL_MAPPING (none for
	 * 6.1's gigantic pages). In an optimized hugepage only the tails in
	 * the head's vmemmap page, which no variant remaps, are its own; the
	 * rest read what the variant maps there. In one that is not
	 * optimized, every tail is its own, a restored one too: a restore
	 * that left a copy of the head or of the folio's first tails where a
	 * plain tail belongs is named here (debian-6.12-restore,
	 * doc/KERNEL-BUGS.md).
	 */
	per_page = (m->arch.page_size - (head & (m->arch.page_size - 1))) / l->size;
	if (!opt)
		per_page = nr;
	info = compound_info(m, head, h->order);
	for (uint64_t i = 1; i < nr && i < per_page; i++) {
		page_t page = folio_page(m, head, (unsigned)i);

		v = page_compound_info(m, page);
		if (machine_oopsed(m))
			return check_unreadable(m, hp->pfn + i);
		if (v != info)
			return FOLIO_FAIL(m, "folio.tail_compound_info", h, hp, i,
					  "compound_info", v, info);
		if (i < fl->plain_mapping_from || !has_mapping)
			continue;
		v = page_mapping(m, page);
		if (machine_oopsed(m))
			return check_unreadable(m, hp->pfn + i);
		if (v != tail_mapping)
			return FOLIO_FAIL(m, "folio.tail_mapping", h, hp, i,
					  "mapping", v, tail_mapping);
	}
	return 0;
}

/*
 * Rule "hvo": the vmemmap of each optimized hugepage maps exactly as its
 * variant says, its folio fields hold (the folio.* rules), and every struct
 * page of every hugepage resolves to its head.
 */
static int
check_huge_page(struct hvo_machine *m, struct hstate *h, struct huge_page *hp)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t start = pfn_to_page(m, hp->pfn), nr = UINT64_C(1) << h->order;
	uint64_t kept = variant_kept_pages(hp->variant);
	int rc;

	for (uint64_t i = 0; hp->variant != HVO_VARIANT_OFF && i < h->vmemmap_pages; i++) {
		uint64_t va = start + i * a->page_size, pa, want;
		bool w, want_w;

		if (pt_lookup(m, va, &pa, &w))
			return FAIL(m, "hvo: vmemmap page %" PRIu64 " of the %s hugepage at pfn 0x%" PRIx64 " is not mapped",
				    i, h->name, hp->pfn);
		if (i < kept) {
			want = i == 0 ? hp->head_vmemmap : hp->reuse_vmemmap;
			want_w = true;
		} else {
			want = hp->variant == HVO_VARIANT_SHAREDTAIL ?
			       h->tail_pfn[pfn_zone(m, hp->pfn)] : hp->reuse_vmemmap;
			want_w = !a->has_kernel_ro;
		}
		if (pa >> a->page_shift != want || w != want_w)
			return FAIL(m, "hvo: %s vmemmap page %" PRIu64 " of the %s hugepage at pfn 0x%" PRIx64 " maps pfn 0x%" PRIx64 " %s, the variant says pfn 0x%" PRIx64 " %s",
				    hvo_variant_name(hp->variant), i, h->name, hp->pfn,
				    pa >> a->page_shift, w ? "RW" : "RO", want,
				    want_w ? "RW" : "RO");
	}
	rc = check_folio_fields(m, h, hp);
	if (rc)
		return rc;
	for (uint64_t i = 0; i < nr; i++) {
		page_t page = start + i * m->cfg.struct_page_size;
		page_t head = compound_head(m, page);

		if (machine_oopsed(m))
			return check_unreadable(m, hp->pfn + i);
		if (head != start)
			return FAIL(m, "hvo: pfn 0x%" PRIx64 " of the %s hugepage at pfn 0x%" PRIx64 " resolves to head 0x%" PRIx64 ", not 0x%" PRIx64,
				    hp->pfn + i, h->name, hp->pfn, head, start);
	}
	return 0;
}

int
hugetlb_check(struct hvo_machine *m)
{
	uint64_t pooled = 0;

	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++)
		pooled += m->hugetlb->hstates[i].nr;
	if (pooled != m->hugetlb->hp_index.n)
		return FAIL(m, "hvo: %" PRIu64 " hugepages in the pools, %zu in the pfn index",
			    pooled, m->hugetlb->hp_index.n);
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++) {
		struct hstate *h = &m->hugetlb->hstates[i];
		uint64_t free = 0, opt = 0;

		for (uint64_t k = 0; k < h->nr; k++) {
			struct huge_page *hp = &h->pages[k];
			uint64_t head;
			unsigned order;
			enum hvo_page_category c;
			int rc;

			if (find_huge_page(m, hp->pfn, NULL) != hp)
				return FAIL(m, "hvo: the pfn index does not lead to the %s hugepage at pfn 0x%" PRIx64,
					    h->name, hp->pfn);
			if (!page_owner_lookup(&m->owner, hp->pfn, &head, &order, &c) ||
			    head != hp->pfn || order != h->order || c != HVO_PAGES_HUGETLB)
				return FAIL(m, "hvo: the %s hugepage at pfn 0x%" PRIx64 " is not a hugetlb allocation of order %u",
					    h->name, hp->pfn, h->order);
			rc = check_huge_page(m, h, hp);
			if (rc)
				return rc;
			free += !hp->in_use;
			opt += hp->variant != HVO_VARIANT_OFF;
		}
		if (free != h->free || opt != h->optimized)
			return FAIL(m, "hvo: %s pool counts %" PRIu64 " free and %" PRIu64 " optimized, the pages say %" PRIu64 " and %" PRIu64,
				    h->name, h->free, h->optimized, free, opt);
		/*
		 * The kernel's own invariants of the counts, which only its
		 * demote breaks (hstate.counts_broken).
		 */
		if (!h->counts_broken && (h->surplus > h->nr || h->resv > h->free))
			return FAIL(m, "hvo: %s pool counts %" PRIu64 " surplus of %" PRIu64 " and %" PRIu64 " reserved of %" PRIu64 " free",
				    h->name, h->surplus, h->nr, h->resv, h->free);
	}
	return 0;
}
