/* SPDX-License-Identifier: MIT */
/*
 * struct page: its layout for a given size, and the kernel's accessors.
 *
 * A struct page is never a C struct here. It is struct_page_size bytes at
 * pfn_to_page(pfn) in the vmemmap, and every field is read and written with
 * kernel loads and stores through the simulated MMU, so that remapping the
 * vmemmap (HVO) changes what these accessors see, exactly as in the kernel.
 *
 * Layout (doc/KERNEL-FACTS.md, "struct page"): flags 0, lru/compound_head 8 (16 bytes),
 * mapping 24, index 32, private 40, page_type/_mapcount 48, _refcount 52,
 * memcg_data 56 when there is room. A struct page smaller than the kernel's
 * minimum of 56 bytes keeps flags, lru, private, page_type and _refcount and
 * drops mapping and index (their offsets are then PAGE_FIELD_ABSENT).
 */
#ifndef HVO_PAGE_H
#define HVO_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"
#include "mm/sparse.h"
#include "mmu/mmu.h"

/*
 * The page flags (enum pageflags in core/mm_types.h) are names: their bits
 * are the release's, resolved at boot for the machine's release and arch
 * (doc/KERNEL-FACTS.md, "Page flags and page types").
 */
void
pageflags_init(struct page_flag_bits *b, enum release_pageflags order,
	       const struct hvo_arch *a);

/* The bit of page->flags that flag @f has on @m (1 << its number), or 0. */
static inline uint64_t
pg_mask(const struct hvo_machine *m, enum pageflags f)
{
	return m->pgflags.mask[f];
}

/* PageFoo() on a flags word already loaded. */
static inline bool
flag_test(const struct hvo_machine *m, uint64_t flags, enum pageflags f)
{
	return (flags & m->pgflags.mask[f]) != 0;
}

/*
 * PAGE_FLAGS_CHECK_AT_FREE (include/linux/page-flags.h): flags a page
 * must not carry when it is freed, at the machine's bits (PG_slab only
 * before 6.10, PG_hwpoison absent without MEMORY_FAILURE). The multi-gen
 * LRU's bits are not modeled. Resolved at boot (pageflags_init()).
 */
static inline uint64_t
page_flags_check_at_free(const struct hvo_machine *m)
{
	return m->pgflags.check_at_free;
}

/*
 * PAGE_FLAGS_CHECK_AT_PREP: every flag but PG_hwpoison, which is what a
 * free clears of a page it accepts; the zone and node bits stay.
 */
static inline uint64_t
page_flags_check_at_prep(const struct hvo_machine *m)
{
	return m->pgflags.check_at_prep;
}

/*
 * PAGE_FLAGS_SECOND: the bits page[1] of a compound page keeps in its
 * flags (the order in the low byte), which a free clears before it checks
 * page[1], since they overlap PAGE_FLAGS_CHECK_AT_FREE. Only where the
 * folio layout keeps the order there (folio_layout()->order_in_flags_1);
 * 6.1 keeps it in a byte of its own and clears no flag of page[1].
 */
static inline uint64_t
page_flags_second(const struct hvo_machine *m)
{
	return m->pgflags.second;
}

/*
 * The zone and node live in the top bits of page->flags
 * (ZONES_PGSHIFT / NODES_PGSHIFT): 10 node bits and 3 zone bits, as a
 * Debian x86-64 kernel with SPARSEMEM_VMEMMAP lays them out, 6.1 and 6.12
 * alike.
 */
#define NODES_SHIFT	10
#define ZONES_WIDTH	3
#define NODES_PGSHIFT	(64 - NODES_SHIFT)
#define ZONES_PGSHIFT	(NODES_PGSHIFT - ZONES_WIDTH)
#define ZONES_MASK	((UINT64_C(1) << ZONES_WIDTH) - 1)

/* Page types in the top byte of page_type (enum pagetype). */
#define PGTY_buddy	0xf0u
#define PGTY_table	0xf2u
#define PGTY_hugetlb	0xf4u
#define PAGE_TYPE_NONE	0xffffffffu /* _mapcount == -1: no type */

/* list_del() poison: LIST_POISON1/2 plus POISON_POINTER_DELTA. */
#define POISON_POINTER_DELTA UINT64_C(0xdead000000000000)
#define LIST_POISON1	(UINT64_C(0x100) + POISON_POINTER_DELTA)
#define LIST_POISON2	(UINT64_C(0x122) + POISON_POINTER_DELTA)
/* A compound tail's ->mapping (TAIL_MAPPING, mm/internal.h). */
#define TAIL_MAPPING	(UINT64_C(0x400) + POISON_POINTER_DELTA)

/*
 * flags, lru.next and lru.prev sit at these offsets in every layout
 * (page_layout_init()): the accessors take them as constants, which no
 * store through the vmemmap makes the compiler load again.
 */
#define PAGE_FLAGS_OFF		0u
#define PAGE_LRU_OFF		8u
#define PAGE_LRU_PREV_OFF	16u

/* The offsets of struct page's fields for a struct page of @size bytes. */
void
page_layout_init(struct page_layout *l, unsigned struct_page_size);

/*
 * What the machine's release decides of struct page: the bits of its page
 * flags (RP_PAGEFLAGS, with the arch's Kconfig) and its folio layout
 * (RP_FOLIO_LAYOUT). After arch_init() and page_layout_init().
 */
void
page_release_init(struct hvo_machine *m);

static inline const struct page_layout *
page_layout(const struct hvo_machine *m)
{
	return &m->page_layout;
}

/*
 * The miss of a struct page access: kaccess_slow(), and on a fault the
 * oops. The host address, or NULL after a fault. A call, not more: the
 * hit is what the fast paths inline.
 */
static inline void *
page_access_slow(struct hvo_machine *m, kva_t va, unsigned size, bool write)
{
	return kaccess_slow(m, va, size, write, NULL);
}

/*
 * Loads and stores of struct page fields, through the vmemmap and the MMU,
 * as kernel code dereferences a struct page *. A fault is what the kernel
 * would oops on: it is recorded on the machine (machine_oops(), with the
 * fault's reason), a load gives 0 and a store is dropped. Code reads like
 * the kernel's, a field at a time; where a value read from a struct page
 * goes on into host state (a list head, an array index) the code checks
 * machine_oopsed() first, and every operation checks at its edge.
 *
 * page_load64_hit() is page_load64() that also tells, in *@hit, where a
 * TLB hit found the field (NULL after the slow path): a load of it again,
 * with nothing through the TLB in between, hits the same entry.
 */
static inline uint64_t
page_load64_hit(struct hvo_machine *m, page_t page, unsigned off,
		const uint64_t **hit)
{
	void *p;
	uint64_t v;

	if (likely(kaccess_hit(m, page + off, 8, false, &p))) {
		*hit = p;
		memcpy(&v, p, 8);
		return v;
	}
	*hit = NULL;
	p = page_access_slow(m, page + off, 8, false);
	v = 0;
	if (p)
		memcpy(&v, p, 8);
	return v;
}

static inline uint64_t
page_load64(struct hvo_machine *m, page_t page, unsigned off)
{
	const uint64_t *hit;

	return page_load64_hit(m, page, off, &hit);
}

static inline void
page_store64(struct hvo_machine *m, page_t page, unsigned off, uint64_t v)
{
	void *p;

	if (likely(kaccess_hit(m, page + off, 8, true, &p)) ||
	    (p = page_access_slow(m, page + off, 8, true)))
		memcpy(p, &v, 8);
}

/*
 * A field's bits @clear cleared and @set set, a page_load64() and a
 * page_store64(), where the kernel touches that field alone in a struct
 * page it leaves untouched for long (a flag of a hugepage's head, in a
 * batch of thousands): the same loads, stores and counts, but a vmemmap
 * page the host has compacted stays so (kaccess_described64()) instead
 * of being filled, then compacted again. Returns the old value.
 */
uint64_t
__page_update64_described(struct hvo_machine *m, kva_t va, uint64_t clear,
			  uint64_t set);

/*
 * A page_load64() of a field the kernel reads alone in a struct page
 * nothing else touches for long (one per PMD a batch splits): the same
 * load and counts, but a vmemmap page phys describes stays so
 * (kaccess_described64()) instead of being filled for one word.
 */
static inline uint64_t
page_load64_described(struct hvo_machine *m, page_t page, unsigned off)
{
	uint64_t v;

	/* Nothing compacted: nothing to keep so. */
	if (unlikely(m->compact)) {
		kaccess_described64(m, page + off, false, &v);
		return v;
	}
	return page_load64(m, page, off);
}

static inline uint64_t
page_update64_described(struct hvo_machine *m, page_t page, unsigned off,
			uint64_t clear, uint64_t set)
{
	uint64_t v;

	/* Nothing compacted: nothing to keep so. */
	if (unlikely(m->compact))
		return __page_update64_described(m, page + off, clear, set);
	v = page_load64(m, page, off);
	page_store64(m, page, off, (v & ~clear) | set);
	return v;
}

static inline uint32_t
page_load32(struct hvo_machine *m, page_t page, unsigned off)
{
	void *p;
	uint32_t v;

	if (likely(kaccess_hit(m, page + off, 4, false, &p))) {
		memcpy(&v, p, 4);
		return v;
	}
	p = page_access_slow(m, page + off, 4, false);
	v = 0;
	if (p)
		memcpy(&v, p, 4);
	return v;
}

static inline void
page_store32(struct hvo_machine *m, page_t page, unsigned off, uint32_t v)
{
	void *p;

	if (likely(kaccess_hit(m, page + off, 4, true, &p)) ||
	    (p = page_access_slow(m, page + off, 4, true)))
		memcpy(p, &v, 4);
}

/*
 * One struct page held through one translation, as kernel code holds a
 * struct page pointer: the first load (or the first store) goes through
 * the TLB and is counted; later ones of the same struct page reuse the
 * host address, where hardware would hit. For a few fields of one struct
 * page in a row, with no page-table change between them. A struct page
 * that straddles two vmemmap pages is accessed field by field.
 */
struct page_ref {
	page_t page;     /* the struct page's address */
	uint8_t *host;   /* its bytes, once translated */
	/*
	 * With @host: the TLB entry of its vmemmap page, where a store
	 * after loads looks without finding it again (kaccess_hit_slot()).
	 */
	const struct tlb_entry *slot;
	bool can_write;  /* @host came from a store's translation */
};

static inline void
page_ref_init(struct hvo_machine *m, struct page_ref *r, page_t page)
{
	(void)m;
	r->page = page;
	r->host = NULL;
	r->slot = NULL;
	r->can_write = false;
}

/*
 * Whether @r's struct page lies inside one vmemmap page, so one
 * translation reaches every field: asked only when one is kept.
 */
static inline bool
page_ref_whole(const struct hvo_machine *m, const struct page_ref *r)
{
	return m->page_layout.whole ||
	       (r->page & (m->arch.page_size - 1)) + m->page_layout.size <=
	       m->arch.page_size;
}

/* Copy @size bytes of a field in or out through the reference. */
static HVO_ALWAYS_INLINE void
page_ref_access(struct hvo_machine *m, struct page_ref *r, unsigned off,
		void *buf, unsigned size, bool write)
{
	void *vp;
	uint8_t *p;

	if (r->host && (!write || r->can_write)) {
		p = r->host + off;
	} else {
		kva_t va = r->page + off;
		const struct tlb_entry *slot = r->host ? r->slot :
					       kaccess_hit_slot(m, va);

		if (likely(kaccess_hit_in(m, slot, va, size, write, &vp))) {
			p = vp;
		} else {
			p = page_access_slow(m, va, size, write);
			if (unlikely(!p)) {
				if (!write)
					memset(buf, 0, size);
				return;
			}
		}
		if (page_ref_whole(m, r)) {
			r->host = p - off;
			r->slot = slot;
			r->can_write = write;
		}
	}
	if (write)
		memcpy(p, buf, size);
	else
		memcpy(buf, p, size);
}

/*
 * Something other than @r went through the TLB since @r's last access
 * (a neighbour's link, a buddy's loads, a trace listener): the entry @r
 * came through may have moved or gone, so its next access looks the
 * translation up again, and counts what that finds.
 */
static HVO_ALWAYS_INLINE void
page_ref_forget(struct page_ref *r)
{
	r->host = NULL;
}

/*
 * The kernel reaches the struct page of @r again, for a load (or a store
 * if @write), and nothing has gone through the TLB since @r last did: the
 * access would hit the entry @r came through. Count that hit and keep the
 * translation, else forget it, so the next access looks it up. With
 * tlb_check every access is looked up.
 */
static inline void
page_ref_again(struct hvo_machine *m, struct page_ref *r, bool write)
{
	if (r->host && (!write || r->can_write) && !m->tlb.force_slow)
		m->counter[CNT_TLB_HIT]++;
	else
		page_ref_forget(r);
}

static inline uint64_t
page_ref_load64(struct hvo_machine *m, struct page_ref *r, unsigned off)
{
	uint64_t v;

	page_ref_access(m, r, off, &v, 8, false);
	return v;
}

static inline void
page_ref_store64(struct hvo_machine *m, struct page_ref *r, unsigned off,
		 uint64_t v)
{
	page_ref_access(m, r, off, &v, 8, true);
}

static inline uint32_t
page_ref_load32(struct hvo_machine *m, struct page_ref *r, unsigned off)
{
	uint32_t v;

	page_ref_access(m, r, off, &v, 4, false);
	return v;
}

static inline void
page_ref_store32(struct hvo_machine *m, struct page_ref *r, unsigned off,
		 uint32_t v)
{
	page_ref_access(m, r, off, &v, 4, true);
}

/*
 * The fields by name (struct page in include/linux/mm_types.h). mapping
 * and index are absent from a struct page smaller than the kernel's: a
 * load of one gives 0 and a store does nothing.
 */
static inline uint64_t
page_flags(struct hvo_machine *m, page_t page)
{
	return page_load64(m, page, PAGE_FLAGS_OFF);
}

/* page_flags() and where it hit (page_load64_hit()). */
static inline uint64_t
page_flags_hit(struct hvo_machine *m, page_t page, const uint64_t **hit)
{
	return page_load64_hit(m, page, PAGE_FLAGS_OFF, hit);
}

static inline void
set_page_flags(struct hvo_machine *m, page_t page, uint64_t flags)
{
	page_store64(m, page, PAGE_FLAGS_OFF, flags);
}

/*
 * SetPageX() / ClearPageX() for one page flag; nothing for a flag the
 * release or the arch does not have.
 */
void
page_set_flag(struct hvo_machine *m, page_t page, enum pageflags f, bool on);

static inline unsigned
flags_zonenum(uint64_t flags)
{
	return (unsigned)((flags >> ZONES_PGSHIFT) & ZONES_MASK);
}

/* page->lru, the list_head: next and prev. In a tail, next is compound_head. */
static inline uint64_t
page_lru_next(struct hvo_machine *m, page_t page)
{
	return page_load64(m, page, PAGE_LRU_OFF);
}

static inline uint64_t
page_lru_prev(struct hvo_machine *m, page_t page)
{
	return page_load64(m, page, PAGE_LRU_PREV_OFF);
}

static inline void
set_page_lru_next(struct hvo_machine *m, page_t page, uint64_t next)
{
	page_store64(m, page, PAGE_LRU_OFF, next);
}

static inline void
set_page_lru_prev(struct hvo_machine *m, page_t page, uint64_t prev)
{
	page_store64(m, page, PAGE_LRU_PREV_OFF, prev);
}

/*
 * A store to the list_head at @node (next, or prev with @prev), which a
 * list link names by its address -- page->lru of some struct page -- as
 * the kernel's list_add() writes next->prev through the pointer.
 */
static inline void
list_store(struct hvo_machine *m, kva_t node, bool prev, uint64_t v)
{
	page_store64(m, node, prev ? 8 : 0, v);
}

/* The address of page->lru itself (what list links point at), and back. */
static inline kva_t
page_lru_va(const struct hvo_machine *m, page_t page)
{
	return page + PAGE_LRU_OFF;
}

static inline page_t
lru_to_page(const struct hvo_machine *m, kva_t lru)
{
	return lru - PAGE_LRU_OFF;
}

/* A tail's compound_head (compound_info in the 2026 kernel): bit 0 set. */
static inline uint64_t
page_compound_info(struct hvo_machine *m, page_t page)
{
	return page_load64(m, page, PAGE_LRU_OFF);
}

static inline void
set_page_compound_info(struct hvo_machine *m, page_t page, uint64_t info)
{
	page_store64(m, page, PAGE_LRU_OFF, info);
}

static inline uint64_t
page_mapping(struct hvo_machine *m, page_t page)
{
	unsigned off = page_layout(m)->mapping;

	return off == PAGE_FIELD_ABSENT ? 0 : page_load64(m, page, off);
}

static inline void
set_page_mapping(struct hvo_machine *m, page_t page, uint64_t mapping)
{
	unsigned off = page_layout(m)->mapping;

	if (off != PAGE_FIELD_ABSENT)
		page_store64(m, page, off, mapping);
}

static inline uint64_t
page_index(struct hvo_machine *m, page_t page)
{
	unsigned off = page_layout(m)->index;

	return off == PAGE_FIELD_ABSENT ? 0 : page_load64(m, page, off);
}

static inline void
set_page_index(struct hvo_machine *m, page_t page, uint64_t index)
{
	unsigned off = page_layout(m)->index;

	if (off != PAGE_FIELD_ABSENT)
		page_store64(m, page, off, index);
}

static inline uint64_t
page_private(struct hvo_machine *m, page_t page)
{
	return page_load64(m, page, page_layout(m)->private_);
}

static inline void
set_page_private(struct hvo_machine *m, page_t page, uint64_t v)
{
	page_store64(m, page, page_layout(m)->private_, v);
}

/* page_type (which shares its word with _mapcount): PageBuddy() and kin. */
static inline bool
page_type_is(uint32_t page_type, unsigned pgty)
{
	return (page_type >> 24) == pgty;
}

static inline uint32_t
page_type(struct hvo_machine *m, page_t page)
{
	return page_load32(m, page, page_layout(m)->page_type);
}

/*
 * __SetPageType(): only on a page without a type, as the kernel insists
 * (VM_BUG_ON_PAGE there): -EINVAL with a reason otherwise.
 */
int
page_set_type(struct hvo_machine *m, page_t page, unsigned pgty);

/* __ClearPageType(): back to no type (_mapcount -1). */
static inline void
page_clear_type(struct hvo_machine *m, page_t page)
{
	page_store32(m, page, page_layout(m)->page_type, PAGE_TYPE_NONE);
}

static inline uint32_t
page_ref_count(struct hvo_machine *m, page_t page)
{
	return page_load32(m, page, page_layout(m)->refcount);
}

static inline void
set_page_count(struct hvo_machine *m, page_t page, uint32_t v)
{
	page_store32(m, page, page_layout(m)->refcount, v);
}

/* The same fields through a reference (struct page_ref). */
static inline uint64_t
ref_flags(struct hvo_machine *m, struct page_ref *r)
{
	return page_ref_load64(m, r, PAGE_FLAGS_OFF);
}

static inline void
ref_set_flags(struct hvo_machine *m, struct page_ref *r, uint64_t flags)
{
	page_ref_store64(m, r, PAGE_FLAGS_OFF, flags);
}

static inline uint64_t
ref_lru_next(struct hvo_machine *m, struct page_ref *r)
{
	return page_ref_load64(m, r, PAGE_LRU_OFF);
}

static inline uint64_t
ref_lru_prev(struct hvo_machine *m, struct page_ref *r)
{
	return page_ref_load64(m, r, PAGE_LRU_PREV_OFF);
}

static inline void
ref_set_lru(struct hvo_machine *m, struct page_ref *r, uint64_t next,
	    uint64_t prev)
{
	page_ref_store64(m, r, PAGE_LRU_OFF, next);
	page_ref_store64(m, r, PAGE_LRU_PREV_OFF, prev);
}

static inline uint64_t
ref_private(struct hvo_machine *m, struct page_ref *r)
{
	return page_ref_load64(m, r, page_layout(m)->private_);
}

static inline void
ref_set_private(struct hvo_machine *m, struct page_ref *r, uint64_t v)
{
	page_ref_store64(m, r, page_layout(m)->private_, v);
}

static inline uint32_t
ref_page_type(struct hvo_machine *m, struct page_ref *r)
{
	return page_ref_load32(m, r, page_layout(m)->page_type);
}

static inline void
ref_set_page_count(struct hvo_machine *m, struct page_ref *r, uint32_t v)
{
	page_ref_store32(m, r, page_layout(m)->refcount, v);
}

static inline void
ref_clear_page_type(struct hvo_machine *m, struct page_ref *r)
{
	page_ref_store32(m, r, page_layout(m)->page_type, PAGE_TYPE_NONE);
}

/* page_set_type()'s refusal of a page whose type is @type: -EINVAL. */
int
page_type_taken(struct hvo_machine *m, page_t page, uint32_t type);

/*
 * page_set_type() through a reference. Inline, the reference stays in
 * registers: the buddy sets PageBuddy on every block it takes in.
 */
static inline int
page_ref_set_type(struct hvo_machine *m, struct page_ref *r, unsigned pgty)
{
	uint32_t type = ref_page_type(m, r);

	if (machine_oopsed(m))
		return m->oops;
	if (unlikely(type != PAGE_TYPE_NONE))
		return page_type_taken(m, r->page, type);
	page_ref_store32(m, r, page_layout(m)->page_type, pgty << 24);
	return 0;
}

/*
 * The bytes of a struct page as __init_single_page() leaves it: zone and
 * node in flags, _refcount as given, _mapcount -1, the rest zero (the lru
 * self-links are filled in per page on write). @reserved adds PG_reserved.
 */
void
page_template(const struct hvo_machine *m, unsigned zone, bool reserved,
	      uint32_t refcount, uint8_t *tpl);

/*
 * Write n consecutive struct pages from the template, one kmap_page() per
 * vmemmap page (struct pages that straddle two pages are split), so that
 * initializing the memmap costs a copy, not a walk, per struct page.
 */
int
memmap_write_pages(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		   const uint8_t *tpl);

/*
 * Hints, for loops that know which pages they touch next: start loading
 * the struct page of @pfn if the TLB translates it and, for a frame about
 * to be freed, its page_owner entry and phys slot. Nothing is filled,
 * counted or cached.
 */
static inline void
prefetch_struct_page(struct hvo_machine *m, pfn_t pfn)
{
	const uint8_t *p = kaddr_hint(m, pfn_to_page(m, pfn));

	if (p)
		__builtin_prefetch(p);
}

/*
 * The whole vmemmap page from @pfn's struct page on (to its page's end):
 * for a pass that will read or rewrite every struct page of a hugepage's
 * first vmemmap page.
 */
static inline void
prefetch_vmemmap_page(struct hvo_machine *m, pfn_t pfn)
{
	const uint8_t *p = kaddr_hint(m, pfn_to_page(m, pfn));
	uint64_t off = pfn_to_page(m, pfn) & (m->arch.page_size - 1);

	for (uint64_t i = 0; p && off + i < m->arch.page_size; i += 64)
		__builtin_prefetch(p + i);
}

static inline void
prefetch_page_meta(struct hvo_machine *m, pfn_t pfn)
{
	prefetch_struct_page(m, pfn);
	page_owner_prefetch(&m->owner, pfn);
	phys_prefetch_slot(&m->phys, pfn);
}

#define MEMMAP_NO_HEAD UINT64_MAX

/*
 * What the tails of a compound page need patched per struct page: their
 * compound_head, or nothing with MEMMAP_NO_HEAD (the mask encoding).
 */
static inline enum tpl_patch
memmap_tails_patch(pfn_t head)
{
	return head == MEMMAP_NO_HEAD ? TPL_PLAIN : TPL_HEAD;
}

/*
 * The same for compound tails: each tail's lru (compound_head) is
 * pfn_to_page(@head) + 1, or, with MEMMAP_NO_HEAD, the template's own
 * (the 2026 mask encoding, the same in every tail).
 */
int
memmap_write_tails(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		   const uint8_t *tpl, pfn_t head);

/*
 * memmap_write_pages() and memmap_write_tails() of a template registered
 * already, m->tpl[@tid] (memmap_tpl_id() of the same template and patch),
 * for a caller that writes the same one again and again.
 */
int
memmap_write_pages_id(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		      unsigned tid);

int
memmap_write_tails_id(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		      unsigned tid, pfn_t head);

/*
 * Fill vmemmap frame @frame with struct pages from the template: lazily if
 * the frame has no host page yet. @pfn: the pfn of the first struct page
 * in the frame (TPL_LRU_SELF), or the head (TPL_HEAD).
 */
void
memmap_fill_frame(struct hvo_machine *m, uint64_t frame, const uint8_t *tpl,
		  enum tpl_patch patch, pfn_t pfn);

/*
 * The bytes a template is kept as in m->tpl[]: @tpl's struct page with the
 * fields @patch fills per page zeroed, into @bytes (page_layout()->size).
 */
void
memmap_tpl_key(const struct hvo_machine *m, const uint8_t *tpl,
	       enum tpl_patch patch, uint8_t *bytes);

/* The same with the template's index known: memmap_tpl_id(), -1 for none. */
int
memmap_tpl_id(struct hvo_machine *m, const uint8_t *tpl, enum tpl_patch patch);

void
memmap_fill_frame_id(struct hvo_machine *m, uint64_t frame, const uint8_t *tpl,
		     enum tpl_patch patch, pfn_t pfn, int tid);

/*
 * A lazy vmemmap frame's payload: the template index in bits 48..55, the
 * pfn its fix-ups need below.
 */
#define MEMMAP_PAYLOAD_PFN_BITS 48

static inline uint64_t
memmap_payload(unsigned tid, pfn_t pfn)
{
	return ((uint64_t)tid << MEMMAP_PAYLOAD_PFN_BITS) | pfn;
}

/*
 * The frames behind consecutive vmemmap pages, from the page table (no TLB
 * fill is needed to know a frame, nor to leave it lazy): one walk per
 * block, or per PTE table and then one entry per page.
 */
struct vmemmap_cursor {
	uint64_t lo, hi;  /* the VAs the cached block or table covers */
	uint64_t pa;      /* the block's pa, or the table's */
	/* The table's entries where its frame has a host page, else NULL. */
	const uint64_t *ptes;
	unsigned depth;
	bool table;
};

/* A cursor that caches nothing yet. */
#define VMEMMAP_CURSOR_INIT { .lo = 1, .hi = 0 }

/* The walk behind vmemmap_frame(): @va is outside what @c caches. */
int
vmemmap_frame_walk(struct hvo_machine *m, struct vmemmap_cursor *c, uint64_t va,
		   uint64_t *frame);

/*
 * The frame behind @va from what @c caches, a decode at most: false if
 * @va is outside it, or its entry there maps no page.
 */
static inline bool
vmemmap_cursor_frame(struct hvo_machine *m, const struct vmemmap_cursor *c,
		     uint64_t va, uint64_t *frame)
{
	const struct hvo_arch *a = &m->arch;
	struct pt_decoded d;
	uint64_t e, j;

	if (va < c->lo || va >= c->hi)
		return false;
	if (!c->table) {
		*frame = (c->pa + (va - c->lo)) >> a->page_shift;
		return true;
	}
	/* A table of PTEs: its entry j maps the page j of [lo, hi). */
	j = (va - c->lo) >> a->page_shift;
	e = c->ptes ? c->ptes[j] : pt_peek(m, c->pa + j * 8);
	/*
	 * Where a present PTE holds its address in place, no decode
	 * (pte_present is 0 on an arch without pte_pa_mask).
	 */
	if (e & a->pte_present) {
		*frame = (e & a->pte_pa_mask) >> a->page_shift;
		return true;
	}
	arch_decode(a, c->depth, e, &d);
	if (d.kind != PTK_LEAF)
		return false;
	*frame = d.pa >> a->page_shift;
	return true;
}

/* Inline, for the cached block or table: a frame costs a decode. */
static inline int
vmemmap_frame(struct hvo_machine *m, struct vmemmap_cursor *c, uint64_t va,
	      uint64_t *frame)
{
	if (vmemmap_cursor_frame(m, c, va, frame))
		return 0;
	return vmemmap_frame_walk(m, c, va, frame);
}

/* phys_filler callbacks: the bytes of a lazy vmemmap frame. */
void
memmap_fill(void *ctx, uint64_t frame, uint64_t payload, void *host);

/*
 * phys_filler.fill: memmap_fill() for phys, which makes a frame's bytes
 * from its description only for a page of the frame's own or a shared
 * copy, counted (host.memmap_fill).
 */
void
memmap_phys_fill(void *ctx, uint64_t frame, uint64_t payload, void *host);

/*
 * Word @j of a frame memmap_fill() fills from template payload @payload
 * (not a compacted frame's), for a layout whose struct pages tile a page.
 */
uint64_t
memmap_tpl_word(const struct hvo_machine *m, uint64_t payload, unsigned j);

/*
 * memmap_fill() of @payload at @host, which holds the fill of @old
 * (UINT64_MAX: anything): with the same template only the fix-ups are
 * written again. For a host page of the library's own (a scratch copy).
 */
void
memmap_refill(struct hvo_machine *m, uint64_t frame, uint64_t old,
	      uint64_t payload, void *host);

bool
memmap_shareable(void *ctx, uint64_t payload);

#endif /* HVO_PAGE_H */
