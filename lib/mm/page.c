/* SPDX-License-Identifier: MIT */
/*
 * struct page: its layout, the page flags of a release, the field
 * accessors that are not inline, and the memmap templates with which
 * whole vmemmap pages are described instead of written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mm/folio.h"
#include "mm/memmap_compact.h"
#include "mm/page.h"

void
page_layout_init(struct page_layout *l, unsigned size)
{
	l->size = size;
	l->shift = is_pow2(size) ? (unsigned)__builtin_ctz(size) : 0;
	l->whole = false; /* until the vmemmap is placed */
	l->per_page = 0;
	l->flags = PAGE_FLAGS_OFF;
	l->lru = PAGE_LRU_OFF;
	l->lru_prev = PAGE_LRU_PREV_OFF;
	if (size >= 56) {
		l->mapping = 24;
		l->index = 32;
		l->private_ = 40;
		l->page_type = 48;
		l->refcount = 52;
	} else {
		/* Too small for the kernel: keep what the allocator needs. */
		l->mapping = PAGE_FIELD_ABSENT;
		l->index = PAGE_FIELD_ABSENT;
		l->private_ = 24;
		l->page_type = 32;
		l->refcount = 36;
	}
}

/*
 * The kernel's enum pageflags, entry by entry, in each release's order
 * (doc/KERNEL-FACTS.md, "Page flags and page types"): the flags libhvo
 * names are enum pageflags, the others are here only to be counted. An
 * entry counts when the configuration has it: PG_mlocked with CONFIG_MMU
 * (always here), PG_uncached with ARCH_USES_PG_UNCACHED, PG_hwpoison with
 * MEMORY_FAILURE. Only the entries up to PG_hwpoison are listed: the ones
 * after it (PG_young, PG_idle, PG_arch_2, PG_arch_3) move no flag libhvo
 * names.
 */
enum {
	K_workingset = NR_PAGEFLAGS_NAMED, K_waiters, K_error,
	K_owner_priv_1, K_owner_2, K_arch_1, K_mappedtodisk, K_reclaim,
	K_swapbacked, K_dropbehind, K_uncached, K_END
};

/* L6.1 include/linux/page-flags.h:100-141 (and 6.2 to 6.5). */
static const uint8_t pageflags_v6_1[] = {
	PG_locked, PG_referenced, PG_uptodate, PG_dirty, PG_lru, PG_active,
	K_workingset, K_waiters, K_error, PG_slab, K_owner_priv_1, K_arch_1,
	PG_reserved, PG_private, PG_private_2, PG_writeback, PG_head,
	K_mappedtodisk, K_reclaim, K_swapbacked, PG_unevictable, PG_mlocked,
	K_uncached, PG_hwpoison, K_END,
};

/* c704ae979784: PG_writeback, PG_head and PG_waiters in the low byte. */
static const uint8_t pageflags_v6_6[] = {
	PG_locked, PG_writeback, PG_referenced, PG_uptodate, PG_dirty, PG_lru,
	PG_head, K_waiters, PG_active, K_workingset, K_error, PG_slab,
	K_owner_priv_1, K_arch_1, PG_reserved, PG_private, PG_private_2,
	K_mappedtodisk, K_reclaim, K_swapbacked, PG_unevictable, PG_mlocked,
	K_uncached, PG_hwpoison, K_END,
};

/* 46df8e73a4a3: no PG_slab. */
static const uint8_t pageflags_v6_10[] = {
	PG_locked, PG_writeback, PG_referenced, PG_uptodate, PG_dirty, PG_lru,
	PG_head, K_waiters, PG_active, K_workingset, K_error, K_owner_priv_1,
	K_arch_1, PG_reserved, PG_private, PG_private_2, K_mappedtodisk,
	K_reclaim, K_swapbacked, PG_unevictable, PG_mlocked, K_uncached,
	PG_hwpoison, K_END,
};

/* L6.12 include/linux/page-flags.h:93-129. */
static const uint8_t pageflags_v6_12[] = {
	PG_locked, PG_writeback, PG_referenced, PG_uptodate, PG_dirty, PG_lru,
	PG_head, K_waiters, PG_active, K_workingset, K_owner_priv_1, K_owner_2,
	K_arch_1, PG_reserved, PG_private, PG_private_2, K_reclaim,
	K_swapbacked, PG_unevictable, PG_mlocked, PG_hwpoison, K_END,
};

/* cceba6f7e46c: PG_dropbehind before PG_mlocked. */
static const uint8_t pageflags_v6_14[] = {
	PG_locked, PG_writeback, PG_referenced, PG_uptodate, PG_dirty, PG_lru,
	PG_head, K_waiters, PG_active, K_workingset, K_owner_priv_1, K_owner_2,
	K_arch_1, PG_reserved, PG_private, PG_private_2, K_reclaim,
	K_swapbacked, PG_unevictable, K_dropbehind, PG_mlocked, PG_hwpoison,
	K_END,
};

static const uint8_t *const pageflags_orders[] = {
	[PAGEFLAGS_V6_1] = pageflags_v6_1,
	[PAGEFLAGS_V6_6] = pageflags_v6_6,
	[PAGEFLAGS_V6_10] = pageflags_v6_10,
	[PAGEFLAGS_V6_12] = pageflags_v6_12,
	[PAGEFLAGS_V6_14] = pageflags_v6_14,
};

void
pageflags_init(struct page_flag_bits *b, enum release_pageflags order,
	       const struct hvo_arch *a)
{
	const uint8_t *e = pageflags_orders[order];
	unsigned bit = 0;

	memset(b->bit, PG_ABSENT, sizeof(b->bit));
	memset(b->mask, 0, sizeof(b->mask));
	for (; *e != K_END; e++) {
		/* The entries the configuration's #ifdefs leave out. */
		if ((*e == K_uncached && !a->pg_uncached) ||
		    (*e == PG_hwpoison && !a->memory_failure))
			continue;
		if (*e < NR_PAGEFLAGS_NAMED) {
			b->bit[*e] = (uint8_t)bit;
			b->mask[*e] = UINT64_C(1) << bit;
		}
		bit++;
	}
	/* include/linux/page-flags.h, at this release's bits. */
	b->check_at_free = b->mask[PG_lru] | b->mask[PG_locked] |
			   b->mask[PG_private] | b->mask[PG_private_2] |
			   b->mask[PG_writeback] | b->mask[PG_reserved] |
			   b->mask[PG_slab] | b->mask[PG_active] |
			   b->mask[PG_unevictable] | b->mask[PG_mlocked];
	b->check_at_prep = ((UINT64_C(1) << ZONES_PGSHIFT) - 1) &
			   ~b->mask[PG_hwpoison];
	b->second = 0;
}

void
page_release_init(struct hvo_machine *m)
{
	pageflags_init(&m->pgflags,
		       (enum release_pageflags)kernel_get(m, RP_PAGEFLAGS),
		       &m->arch);
	folio_layout_resolve(m, (enum release_folio_layout)
				   kernel_get(m, RP_FOLIO_LAYOUT));
	/* PAGE_FLAGS_SECOND: the order byte, where the layout keeps it. */
	m->pgflags.second = folio_layout(m)->order_in_flags_1 ?
			    UINT64_C(0xff) : 0;
}

void
page_set_flag(struct hvo_machine *m, page_t page, enum pageflags f, bool on)
{
	uint64_t flags = page_flags(m, page);

	if (on)
		flags |= pg_mask(m, f);
	else
		flags &= ~pg_mask(m, f);
	set_page_flags(m, page, flags);
}

int
page_type_taken(struct hvo_machine *m, page_t page, uint32_t type)
{
	return machine_err(m, -EINVAL,
			   "struct page 0x%" PRIx64 " already has type 0x%08x",
			   page, type);
}

int
page_set_type(struct hvo_machine *m, page_t page, unsigned pgty)
{
	struct page_ref r;

	page_ref_init(m, &r, page);
	return page_ref_set_type(m, &r, pgty);
}

/* The bytes of a struct page fresh from __init_single_page(). */
void
page_template(const struct hvo_machine *m, unsigned zone, bool reserved,
	      uint32_t refcount, uint8_t *tpl)
{
	const struct page_layout *l = page_layout(m);
	uint64_t flags = ((uint64_t)zone << ZONES_PGSHIFT) |
			 (reserved ? pg_mask(m, PG_reserved) : 0);
	uint32_t type = PAGE_TYPE_NONE;

	memset(tpl, 0, l->size);
	memcpy(tpl + l->flags, &flags, 8);
	memcpy(tpl + l->page_type, &type, 4);
	memcpy(tpl + l->refcount, &refcount, 4);
	/* INIT_LIST_HEAD(&page->lru) points at itself: filled per page. */
}

/*
 * Lazy vmemmap pages. A vmemmap page wholly covered by one template is not
 * written: its frame is marked lazy with a payload naming the template and
 * the pfn its fix-ups need, and phys fills it the first time anyone touches
 * it. Vmemmap pages that HVO remaps and frees before that never cost host
 * memory. The payload: template index in bits 48..55, a pfn below.
 */
#define PAYLOAD_PFN_BITS MEMMAP_PAYLOAD_PFN_BITS

static uint64_t
payload_make(unsigned tid, pfn_t pfn)
{
	return memmap_payload(tid, pfn);
}

/*
 * Two words of a struct page at once: the common 64-byte struct page is
 * four of them, so a vmemmap page is written in four stores a struct page
 * (and two additions for the self-pointing lru), and a template compared
 * in four, with no call.
 */
typedef uint64_t words2 __attribute__((vector_size(16)));

void
memmap_tpl_key(const struct hvo_machine *m, const uint8_t *tpl,
	       enum tpl_patch patch, uint8_t *bytes)
{
	const struct page_layout *l = page_layout(m);

	memcpy(bytes, tpl, l->size);
	/* The patched fields are not part of what is shared. */
	if (patch != TPL_PLAIN)
		memset(bytes + l->lru, 0, 8);
	if (patch == TPL_LRU_SELF)
		memset(bytes + l->lru_prev, 0, 8);
}

/* Two words of the 64-byte struct page at @p, from word 2 * @k. */
static inline words2
words2_at(const uint8_t *p, unsigned k)
{
	words2 w;

	memcpy(&w, p + 16 * k, 16);
	return w;
}

/*
 * Whether @tpl with @patch is the last template used, for 64-byte struct
 * pages: memmap_tpl_key() and the compare of the first try, in registers.
 */
static bool
tpl_is_last64(const struct hvo_machine *m, const uint8_t *tpl,
	      enum tpl_patch patch)
{
	const struct memmap_tpl *t = &m->tpl[m->tpl_last];
	words2 b0 = words2_at(tpl, 0), b1 = words2_at(tpl, 1), d;

	if (patch != TPL_PLAIN)
		b0[1] = 0;
	if (patch == TPL_LRU_SELF)
		b1[0] = 0;
	d = (words2_at(t->bytes, 0) ^ b0) | (words2_at(t->bytes, 1) ^ b1) |
	    (words2_at(t->bytes, 2) ^ words2_at(tpl, 2)) |
	    (words2_at(t->bytes, 3) ^ words2_at(tpl, 3));
	return t->patch == patch && !(d[0] | d[1]);
}

/* memmap_tpl_id() past its first try. */
static int
tpl_id_search(struct hvo_machine *m, const uint8_t *tpl, enum tpl_patch patch)
{
	const struct page_layout *l = page_layout(m);
	uint8_t bytes[sizeof(m->tpl[0].bytes)];

	memmap_tpl_key(m, tpl, patch, bytes);
	for (unsigned k = 0; k <= m->nr_tpl; k++) {
		unsigned i = k ? k - 1 : m->tpl_last;

		if (i < m->nr_tpl && m->tpl[i].patch == patch &&
		    memcmp(m->tpl[i].bytes, bytes, l->size) == 0) {
			m->tpl_last = i;
			return (int)i;
		}
	}
	if (m->nr_tpl == MEMMAP_MAX_TPL)
		return -1;
	memcpy(m->tpl[m->nr_tpl].bytes, bytes, l->size);
	m->tpl[m->nr_tpl].patch = patch;
	m->tpl_last = m->nr_tpl;
	return (int)m->nr_tpl++;
}

/* The template's index, registered on first use; -1 if the table is full. */
int
memmap_tpl_id(struct hvo_machine *m, const uint8_t *tpl, enum tpl_patch patch)
{
	/* Callers come in runs of one template: try the last one first. */
	if (page_layout(m)->size == 64 && m->tpl_last < m->nr_tpl &&
	    tpl_is_last64(m, tpl, patch))
		return (int)m->tpl_last;
	return tpl_id_search(m, tpl, patch);
}

static inline void
store_page64(uint8_t *host, words2 w0, words2 w1, words2 w2, words2 w3)
{
	memcpy(host, &w0, 16);
	memcpy(host + 16, &w1, 16);
	memcpy(host + 32, &w2, 16);
	memcpy(host + 48, &w3, 16);
}

/*
 * fill_page() of 64-byte struct pages, @lru the first one's lru fix-up
 * (for TPL_LRU_SELF rising by 64 a page). page_layout_init() puts
 * lru.next at 8 and lru.prev at 16 in every layout: for TPL_LRU_SELF
 * both are one 16-byte store over the template's, { lru, lru }. Eight
 * struct pages a round, after the pages the count leaves over: a round's
 * stores outweigh its loop.
 */
static void
fill_page64(const struct memmap_tpl *t, uint64_t lru, uint64_t n,
	    uint8_t *host)
{
	const words2 one = { 64, 64 }, eight = 8 * one;
	uint8_t *end = host + n * 64;
	words2 w0, w1, w2, w3, s0, s1, s2, s3, s4, s5, s6, s7;

	memcpy(&w0, t->bytes, 16);
	memcpy(&w1, t->bytes + 16, 16);
	memcpy(&w2, t->bytes + 32, 16);
	memcpy(&w3, t->bytes + 48, 16);
	if (t->patch != TPL_PLAIN)
		w0[1] = lru;
	if (t->patch == TPL_LRU_SELF) {
		s0 = (words2){ lru, lru };
		for (; n & 7; n--, host += 64, s0 += one) {
			store_page64(host, w0, w1, w2, w3);
			memcpy(host + 8, &s0, 16);
		}
		/* Each page of a round has its own links, stepping by eight. */
		s1 = s0 + one;
		s2 = s1 + one;
		s3 = s2 + one;
		s4 = s3 + one;
		s5 = s4 + one;
		s6 = s5 + one;
		s7 = s6 + one;
		for (; host < end; host += 512) {
			store_page64(host, w0, w1, w2, w3);
			memcpy(host + 8, &s0, 16);
			store_page64(host + 64, w0, w1, w2, w3);
			memcpy(host + 64 + 8, &s1, 16);
			store_page64(host + 128, w0, w1, w2, w3);
			memcpy(host + 128 + 8, &s2, 16);
			store_page64(host + 192, w0, w1, w2, w3);
			memcpy(host + 192 + 8, &s3, 16);
			store_page64(host + 256, w0, w1, w2, w3);
			memcpy(host + 256 + 8, &s4, 16);
			store_page64(host + 320, w0, w1, w2, w3);
			memcpy(host + 320 + 8, &s5, 16);
			store_page64(host + 384, w0, w1, w2, w3);
			memcpy(host + 384 + 8, &s6, 16);
			store_page64(host + 448, w0, w1, w2, w3);
			memcpy(host + 448 + 8, &s7, 16);
			s0 += eight;
			s1 += eight;
			s2 += eight;
			s3 += eight;
			s4 += eight;
			s5 += eight;
			s6 += eight;
			s7 += eight;
		}
		return;
	}
	for (; n & 7; n--, host += 64)
		store_page64(host, w0, w1, w2, w3);
	for (; host < end; host += 512) {
		store_page64(host, w0, w1, w2, w3);
		store_page64(host + 64, w0, w1, w2, w3);
		store_page64(host + 128, w0, w1, w2, w3);
		store_page64(host + 192, w0, w1, w2, w3);
		store_page64(host + 256, w0, w1, w2, w3);
		store_page64(host + 320, w0, w1, w2, w3);
		store_page64(host + 384, w0, w1, w2, w3);
		store_page64(host + 448, w0, w1, w2, w3);
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_FILL_AVX2 1

typedef uint64_t words4 __attribute__((vector_size(32)));

/*
 * fill_page64() with 32-byte stores, on a host CPU that has them: a
 * struct page is two, and for TPL_LRU_SELF its first half rises by
 * { 0, 64, 64, 0 } a page, lru.next and lru.prev at once.
 */
__attribute__((target("avx2"))) static void
fill_page64_avx2(const struct memmap_tpl *t, uint64_t lru, uint64_t n,
		 uint8_t *host)
{
	uint8_t *end = host + n * 64;
	words4 lo, hi;

	memcpy(&lo, t->bytes, 32);
	memcpy(&hi, t->bytes + 32, 32);
	if (t->patch != TPL_PLAIN)
		lo[1] = lru;
	if (t->patch == TPL_LRU_SELF) {
		const words4 one = { 0, 64, 64, 0 }, eight = 8 * one;
		words4 l0, l1, l2, l3, l4, l5, l6, l7;

		lo[2] = lru;
		for (; n & 7; n--, host += 64, lo += one) {
			memcpy(host, &lo, 32);
			memcpy(host + 32, &hi, 32);
		}
		l0 = lo;
		l1 = l0 + one;
		l2 = l1 + one;
		l3 = l2 + one;
		l4 = l3 + one;
		l5 = l4 + one;
		l6 = l5 + one;
		l7 = l6 + one;
		for (; host < end; host += 512) {
			memcpy(host, &l0, 32);
			memcpy(host + 32, &hi, 32);
			memcpy(host + 64, &l1, 32);
			memcpy(host + 96, &hi, 32);
			memcpy(host + 128, &l2, 32);
			memcpy(host + 160, &hi, 32);
			memcpy(host + 192, &l3, 32);
			memcpy(host + 224, &hi, 32);
			memcpy(host + 256, &l4, 32);
			memcpy(host + 288, &hi, 32);
			memcpy(host + 320, &l5, 32);
			memcpy(host + 352, &hi, 32);
			memcpy(host + 384, &l6, 32);
			memcpy(host + 416, &hi, 32);
			memcpy(host + 448, &l7, 32);
			memcpy(host + 480, &hi, 32);
			l0 += eight;
			l1 += eight;
			l2 += eight;
			l3 += eight;
			l4 += eight;
			l5 += eight;
			l6 += eight;
			l7 += eight;
		}
		return;
	}
	for (; n & 7; n--, host += 64) {
		memcpy(host, &lo, 32);
		memcpy(host + 32, &hi, 32);
	}
	for (; host < end; host += 512)
		for (unsigned k = 0; k < 512; k += 64) {
			memcpy(host + k, &lo, 32);
			memcpy(host + k + 32, &hi, 32);
		}
}
#endif

/*
 * The fix-ups of @n struct pages of template @t at @host: for
 * TPL_LRU_SELF @pfn is the first one's pfn, for TPL_HEAD the head's.
 */
static void
fill_fixups(struct hvo_machine *m, const struct memmap_tpl *t, pfn_t pfn,
	    uint64_t n, uint8_t *host)
{
	const struct page_layout *l = page_layout(m);
	const unsigned size = l->size, lru = l->lru, lru_prev = l->lru_prev;
	uint64_t head_info = pfn_to_page(m, pfn) + 1;
	uint64_t self = pfn_to_page(m, pfn) + lru;

	if (t->patch == TPL_LRU_SELF) {
		for (uint64_t k = 0; k < n; k++, host += size, self += size) {
			memcpy(host + lru, &self, 8);
			memcpy(host + lru_prev, &self, 8);
		}
	} else if (t->patch == TPL_HEAD) {
		for (uint64_t k = 0; k < n; k++, host += size)
			memcpy(host + lru, &head_info, 8);
	}
}

uint64_t
__page_update64_described(struct hvo_machine *m, kva_t va, uint64_t clear,
			  uint64_t set)
{
	uint64_t v, n;

	kaccess_described64(m, va, false, &v);
	n = (v & ~clear) | set;
	kaccess_described64(m, va, true, &n);
	return v;
}

uint64_t
memmap_tpl_word(const struct hvo_machine *m, uint64_t payload, unsigned j)
{
	const struct page_layout *l = page_layout(m);
	const struct memmap_tpl *t = &m->tpl[payload >> PAYLOAD_PFN_BITS];
	const pfn_t pfn = payload & ((UINT64_C(1) << PAYLOAD_PFN_BITS) - 1);
	const unsigned k = (unsigned)page_layout_div(l, j * 8);
	const unsigned off = j * 8 - k * l->size;
	uint64_t v;

	/* fill_fixups()'s words, else the template's bytes. */
	if (t->patch == TPL_LRU_SELF && (off == l->lru || off == l->lru_prev))
		return pfn_to_page(m, pfn + k) + l->lru;
	if (t->patch == TPL_HEAD && off == l->lru)
		return pfn_to_page(m, pfn) + 1;
	memcpy(&v, t->bytes + off, 8);
	return v;
}

/*
 * fill_page() of any other size: the bytes first, then the fix-ups, each
 * loop branch-free. Apart, so that the 64-byte case saves no registers.
 */
static __attribute__((noinline)) void
fill_page_any(struct hvo_machine *m, const struct memmap_tpl *t, pfn_t pfn,
	      uint64_t n, uint8_t *host)
{
	const unsigned size = page_layout(m)->size;

	for (uint64_t k = 0; k < n; k++)
		memcpy(host + k * size, t->bytes, size);
	fill_fixups(m, t, pfn, n, host);
}

/* @n struct pages from the template at @host, with the fix-ups. */
static void
fill_page(struct hvo_machine *m, const struct memmap_tpl *t, pfn_t pfn,
	  uint64_t n, uint8_t *host)
{
	uint64_t va = pfn_to_page(m, pfn);

	if (page_layout(m)->size != 64) {
		fill_page_any(m, t, pfn, n, host);
		return;
	}
#ifdef HAVE_FILL_AVX2
	if (memmap_host_avx2(m->compact)) {
		fill_page64_avx2(t, t->patch == TPL_HEAD ? va + 1 :
				 va + PAGE_LRU_OFF, n, host);
		return;
	}
#endif
	fill_page64(t, t->patch == TPL_HEAD ? va + 1 : va + PAGE_LRU_OFF, n,
		    host);
}

void
memmap_fill(void *ctx, uint64_t frame, uint64_t payload, void *host)
{
	struct hvo_machine *m = ctx;

	/* A frame described as a template and the words that differ. */
	if (payload >> PAYLOAD_PFN_BITS == MEMMAP_TPL_COMPACT) {
		memmap_compact_fill(m, frame,
				    payload & ((UINT64_C(1) << PAYLOAD_PFN_BITS) - 1),
				    host);
		return;
	}
	fill_page(m, &m->tpl[payload >> PAYLOAD_PFN_BITS],
		  payload & ((UINT64_C(1) << PAYLOAD_PFN_BITS) - 1),
		  page_layout(m)->per_page, host);
}

void
memmap_phys_fill(void *ctx, uint64_t frame, uint64_t payload, void *host)
{
	count(ctx, CNT_HOST_MEMMAP_FILL);
	memmap_fill(ctx, frame, payload, host);
}

void
memmap_refill(struct hvo_machine *m, uint64_t frame, uint64_t old,
	      uint64_t payload, void *host)
{
	const uint64_t pfn_mask = (UINT64_C(1) << PAYLOAD_PFN_BITS) - 1;
	const unsigned tid = (unsigned)(payload >> PAYLOAD_PFN_BITS);

	/* The same template: its bytes are there, the fix-ups may differ. */
	if (old >> PAYLOAD_PFN_BITS == tid && tid != MEMMAP_TPL_COMPACT) {
		if (old != payload)
			fill_fixups(m, &m->tpl[tid], payload & pfn_mask,
				    page_layout(m)->per_page,
				    host);
		return;
	}
	memmap_fill(m, frame, payload, host);
}

bool
memmap_shareable(void *ctx, uint64_t payload)
{
	struct hvo_machine *m = ctx;

	return payload >> PAYLOAD_PFN_BITS != MEMMAP_TPL_COMPACT &&
	       m->tpl[payload >> PAYLOAD_PFN_BITS].patch == TPL_PLAIN;
}

/* The template as memmap_tpl_id() keeps it, when the table is full. */
static void
tpl_canonical(struct hvo_machine *m, const uint8_t *tpl, enum tpl_patch patch,
	      struct memmap_tpl *t)
{
	const struct page_layout *l = page_layout(m);

	memcpy(t->bytes, tpl, l->size);
	t->patch = patch;
}

/* memmap_fill_frame() with the template known: @tid its index, or -1. */
static inline void
fill_frame(struct hvo_machine *m, uint64_t frame, const struct memmap_tpl *t,
	   pfn_t pfn, int tid)
{
	if (tid >= 0 && phys_set_lazy(&m->phys, frame, payload_make((unsigned)tid, pfn)))
		return;
	fill_page(m, t, pfn, page_layout(m)->per_page,
		  phys_to_host(&m->phys, frame << m->arch.page_shift));
}

void
memmap_fill_frame_id(struct hvo_machine *m, uint64_t frame, const uint8_t *tpl,
		     enum tpl_patch patch, pfn_t pfn, int tid)
{
	struct memmap_tpl local;

	if (tid < 0)
		tpl_canonical(m, tpl, patch, &local);
	fill_frame(m, frame, tid >= 0 ? &m->tpl[tid] : &local, pfn, tid);
}

void
memmap_fill_frame(struct hvo_machine *m, uint64_t frame, const uint8_t *tpl,
		  enum tpl_patch patch, pfn_t pfn)
{
	memmap_fill_frame_id(m, frame, tpl, patch, pfn,
			     memmap_tpl_id(m, tpl, patch));
}

/* Write struct pages [i, end) of the span one at a time (ragged ends). */
static int
write_each(struct hvo_machine *m, pfn_t pfn, uint64_t n,
	   const uint8_t *tpl, enum tpl_patch patch, pfn_t head)
{
	const struct page_layout *l = page_layout(m);
	uint64_t psize = m->arch.page_size;
	uint64_t cur_page = UINT64_MAX;
	uint64_t head_info = pfn_to_page(m, head) + 1;
	uint8_t *host = NULL;
	int rc = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t va = pfn_to_page(m, pfn + i);
		uint64_t lru = va + l->lru;

		for (unsigned off = 0; off < l->size;) {
			uint64_t at = va + off;
			uint64_t pg = at & ~(psize - 1);
			unsigned chunk = l->size - off;

			if (pg != cur_page) {
				host = kmap_page(m, pg, true, &rc);
				if (!host)
					return rc ? rc : -EFAULT;
				cur_page = pg;
			}
			if (at - pg + chunk > psize)
				chunk = (unsigned)(psize - (at - pg));
			memcpy(host + (at - pg), tpl + off, chunk);
			/* The lru list head points at itself, or the head. */
			for (unsigned k = 0; patch != TPL_PLAIN && k < 2; k++) {
				unsigned f = l->lru + 8 * k;
				const uint64_t *v = patch == TPL_LRU_SELF ? &lru : &head_info;

				if (patch == TPL_HEAD && k)
					break;
				if (f >= off && f + 8 <= off + chunk)
					memcpy(host + (at - pg) + (f - off), v, 8);
			}
			off += chunk;
		}
	}
	return 0;
}

int
vmemmap_frame_walk(struct hvo_machine *m, struct vmemmap_cursor *c, uint64_t va,
		   uint64_t *frame)
{
	const struct hvo_arch *a = &m->arch;
	unsigned nr = a->levels - 1;
	phys_addr_t table;
	struct pt_walk w;
	uint64_t size;

	/*
	 * The walker's memo of @va's region names its PTE table, the one
	 * pt_walk_leaf() would read the entry from: the cursor takes the
	 * table from there, and the entry as any cursor hit.
	 */
	if (pwc_last_table(m, va, &table)) {
		size = arch_level_size(a, nr - 1);
		c->depth = nr;
		c->table = true;
		c->pa = table;
		c->lo = va & ~(size - 1);
		c->hi = c->lo + size;
		c->ptes = (const uint64_t *)phys_host_hint(&m->phys, c->pa);
		if (vmemmap_cursor_frame(m, c, va, frame))
			return 0;
	}
	pt_walk_leaf(m, va, &w, false);
	if (w.leaf < 0 || w.bad >= 0)
		return -EFAULT;
	size = arch_level_size(a, (unsigned)w.leaf);
	c->depth = (unsigned)w.leaf;
	c->table = size == a->page_size && w.leaf > 0;
	if (c->table) {
		uint64_t span = arch_level_size(a, (unsigned)w.leaf - 1);

		c->pa = w.lvl[w.leaf].table_pa;
		c->lo = va & ~(span - 1);
		c->hi = c->lo + span;
		/*
		 * Nothing a memmap write does moves the table's host page:
		 * read the entries there while the cursor lasts.
		 */
		c->ptes = (const uint64_t *)phys_host_hint(&m->phys, c->pa);
	} else {
		c->ptes = NULL;
		c->pa = w.lvl[w.leaf].d.pa;
		c->lo = va & ~(size - 1);
		c->hi = c->lo + size;
	}
	*frame = (w.lvl[w.leaf].d.pa + (va & (size - 1))) >> a->page_shift;
	return 0;
}

/* Struct pages [p, p + cnt) of one vmemmap page, through its mapping. */
static int
memmap_write_part(struct hvo_machine *m, const struct memmap_tpl *t,
		  pfn_t fix, pfn_t p, uint64_t cnt)
{
	uint64_t va = pfn_to_page(m, p);
	int rc = 0;
	uint8_t *host = kmap_page(m, va, true, &rc);

	if (!host)
		return rc ? rc : -EFAULT;
	fill_page(m, t, fix, cnt, host + (va & (m->arch.page_size - 1)));
	return rc;
}

/*
 * memmap_write()'s whole vmemmap pages from @p on, while the cursor's PTE
 * table maps them with present entries whose address is in place: the
 * loop keeps what it needs in registers, which its stores to the frames'
 * slots could otherwise overwrite. Returns the pfn after the last page
 * written.
 */
static pfn_t
fill_frames_ptes(struct hvo_machine *m, const struct vmemmap_cursor *c,
		 const struct memmap_tpl *t, int tid, pfn_t p, pfn_t end,
		 bool self, uint64_t fix)
{
	const uint64_t present = m->arch.pte_present;
	const uint64_t pa_mask = m->arch.pte_pa_mask;
	const unsigned shift = m->arch.page_shift;
	const uint64_t per_page = page_layout(m)->per_page;
	const uint64_t *pte = c->ptes + ((pfn_to_page(m, p) - c->lo) >> shift);
	const uint64_t *last = c->ptes + ((c->hi - c->lo) >> shift);

	for (; end - p >= per_page && pte < last && (*pte & present);
	     pte++, p += per_page)
		fill_frame(m, (*pte & pa_mask) >> shift, t, self ? p : fix,
			   tid);
	return p;
}

/*
 * @n struct pages from @pfn from the template @tpl, @patch its fix-ups;
 * @tid its index if the caller knows it (memmap_write_id()), else -1.
 */
static int
memmap_write(struct hvo_machine *m, pfn_t pfn, uint64_t n,
	     const uint8_t *tpl, enum tpl_patch patch, pfn_t head, int tid)
{
	const struct page_layout *l = page_layout(m);
	uint64_t psize = m->arch.page_size;
	uint64_t per_page = l->per_page, end = pfn + n, frame, p = pfn, cnt;
	/* What the fix-ups need; a plain template needs nothing, so all its
	 * frames share one payload (and one read-only copy). */
	uint64_t fix = patch == TPL_HEAD ? head : 0;
	bool self = patch == TPL_LRU_SELF;
	struct vmemmap_cursor c = VMEMMAP_CURSOR_INIT;
	const struct memmap_tpl *t;
	struct memmap_tpl local;
	int rc;

	/* Struct pages that straddle two pages go one by one. */
	if (per_page * l->size != psize)
		return write_each(m, pfn, n, tpl, patch, head);
	/*
	 * Else page by page: a whole vmemmap page is one template (filled
	 * now, or lazily); part of one, at either end, is filled through
	 * its mapping.
	 */
	if (tid < 0)
		tid = memmap_tpl_id(m, tpl, patch);
	if (tid < 0)
		tpl_canonical(m, tpl, patch, &local);
	t = tid >= 0 ? &m->tpl[tid] : &local;
	/* None when @pfn starts a vmemmap page (or @n is 0). */
	cnt = round_up64(p, per_page) - p;
	if (cnt > n)
		cnt = n;
	if (cnt) {
		rc = memmap_write_part(m, t, self ? p : fix, p, cnt);
		if (rc)
			return rc;
		p += cnt;
	}
	while (end - p >= per_page) {
		uint64_t va = pfn_to_page(m, p);

		if (vmemmap_frame(m, &c, va, &frame))
			return machine_err(m, -EFAULT,
					   "struct page of pfn 0x%" PRIx64 " is not mapped", p);
		/*
		 * A whole leaf of frames inside one block: described as a run
		 * (the memmap of a petabyte's reserved memory), the fix-up
		 * pfn rising page by page.
		 */
		if (tid >= 0 && !c.table &&
		    end - p >= per_page * PHYS_LEAF_FRAMES &&
		    (c.hi - va) >> m->arch.page_shift >= PHYS_LEAF_FRAMES &&
		    phys_set_lazy_leaf(&m->phys, frame,
				       payload_make((unsigned)tid, self ? p : fix),
				       self ? per_page : 0)) {
			p += per_page * PHYS_LEAF_FRAMES;
			continue;
		}
		fill_frame(m, frame, t, self ? p : fix, tid);
		p += per_page;
		if (c.ptes)
			p = fill_frames_ptes(m, &c, t, tid, p, end, self, fix);
	}
	return p < end ? memmap_write_part(m, t, self ? p : fix, p, end - p) : 0;
}

int
memmap_write_pages(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		   const uint8_t *tpl)
{
	return memmap_write(m, pfn, n, tpl, TPL_LRU_SELF, 0, -1);
}

int
memmap_write_tails(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		   const uint8_t *tpl, pfn_t head)
{
	return memmap_write(m, pfn, n, tpl, memmap_tails_patch(head), head, -1);
}

int
memmap_write_pages_id(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		      unsigned tid)
{
	return memmap_write(m, pfn, n, m->tpl[tid].bytes, TPL_LRU_SELF, 0,
			    (int)tid);
}

int
memmap_write_tails_id(struct hvo_machine *m, pfn_t pfn, uint64_t n,
		      unsigned tid, pfn_t head)
{
	return memmap_write(m, pfn, n, m->tpl[tid].bytes, memmap_tails_patch(head),
			    head, (int)tid);
}
