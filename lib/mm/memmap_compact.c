/* SPDX-License-Identifier: MIT */
/*
 * Compacted vmemmap frames (memmap_compact.h): host memory only.
 *
 * A record: the template payload it is based on, the frames it describes
 * (an owner and perhaps an alias), and the words that differ from the
 * template. Each differing word has a 16-bit code, its word offset and a
 * kind: a pointer near the frame's own struct pages (a list link: 32 bits
 * relative to them), a value that fits 32 bits, or a whole word. A frame
 * filled from the record gets its bytes back; once no frame is described
 * by it the record is freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "base/util.h"
#include "mm/memmap_compact.h"
#include "mm/page.h"
#include "phys/phys.h"

struct rec {
	uint64_t payload;   /* the template's */
	uint64_t frame[2];  /* the owner, an alias or NO_FRAME */
	uint64_t base;      /* VA of the first struct page: kind REL's origin */
	uint16_t nr;        /* differing words */
	uint16_t nr_wide;   /* of them whole words */
	uint32_t size;      /* bytes, this header included */
	/* uint32_t narrow[nr - nr_wide]; uint16_t code[nr]; uint64_t wide[],
	 * each aligned for its type */
};

_Static_assert(sizeof(struct rec) % 8 == 0, "the narrow words follow aligned");

/*
 * A shape: a record's words (its frame[] and base unused: kind REL words
 * are relative to the page's first struct page), the template and its
 * pfn: relative to the page's first pfn, but for a plain template.
 */
struct memmap_shape {
	uint64_t hash;
	unsigned tid;
	int64_t fix;
	struct rec *r;
};

/*
 * A record index with this bit names a shape (MEMMAP_COMPACT_SHAPE_BITS
 * above SHAPE_PAGE_BITS) and a vmemmap page (below: its index from the
 * vmemmap's start, room for 128 TiB of vmemmap).
 */
#define SHAPE_PAGE_BITS 35
#define SHAPE_BIT (UINT64_C(1) << (SHAPE_PAGE_BITS + MEMMAP_COMPACT_SHAPE_BITS))
#define SHAPE_PAGE_MASK ((UINT64_C(1) << SHAPE_PAGE_BITS) - 1)

_Static_assert(SHAPE_BIT << 1 == UINT64_C(1) << MEMMAP_PAYLOAD_PFN_BITS,
	       "a shape's payload fills a compact payload's pfn bits");

/* A code: the kind in its top bits, the word offset below. */
enum { KIND_REL, KIND_U32, KIND_WIDE };
#define KIND_SHIFT 14
#define OFF_MASK ((1u << KIND_SHIFT) - 1)

/* Templates this file may add: the rest of the table is the memmap's. */
#define COMPACT_TPL_LIMIT (MEMMAP_MAX_TPL - 16)

#define NO_FRAME UINT64_MAX

/* compact_get() the first time, or after host memory ran out. */
static __attribute__((noinline)) struct memmap_compact *
compact_new(struct hvo_machine *m)
{
	if (!m->compact) {
		m->compact = calloc(1, sizeof(*m->compact));
		if (m->compact) {
			m->compact->gc_at = 4096;
			m->compact->budget = MEMMAP_COMPACT_BUDGET;
			m->compact->gen = 1;
		}
	}
	/* A page to fill a template into, and room for a record after it. */
	if (m->compact && !m->compact->scratch) {
		m->compact->scratch = malloc(2 * m->arch.page_size);
		m->compact->scratch_payload = UINT64_MAX;
	}
	return m->compact && m->compact->scratch ? m->compact : NULL;
}

/* The machine's compaction state, made on first use; NULL without host memory. */
static inline struct memmap_compact *
compact_get(struct hvo_machine *m)
{
	/* Every call after the first: every note makes one. */
	if (likely(m->compact && m->compact->scratch))
		return m->compact;
	return compact_new(m);
}

static void
rec_free(struct memmap_compact *c, uint64_t idx)
{
	struct rec *r = c->rec[idx];

	c->bytes -= r->size;
	host_slab_free(&c->slab, r, r->size);
	c->rec[idx] = NULL;
	c->live--;
	/* Room for every index was made when it was handed out. */
	c->free_idx[c->nr_free++] = idx;
}

/* A new record index, or -1 without host memory. */
static int64_t
rec_idx(struct memmap_compact *c)
{
	if (c->nr_free)
		return (int64_t)c->free_idx[--c->nr_free];
	if (c->nr == c->max) {
		uint64_t max = c->max ? c->max * 2 : 1024;
		struct rec **r = realloc(c->rec, max * sizeof(*r));
		uint64_t *f;

		if (!r)
			return -1;
		c->rec = r;
		f = realloc(c->free_idx, max * sizeof(*f));
		if (!f)
			return -1;
		c->free_idx = f;
		c->max = max;
	}
	c->rec[c->nr] = NULL;
	return (int64_t)c->nr++;
}

static uint64_t
compact_payload(uint64_t idx)
{
	return memmap_payload(MEMMAP_TPL_COMPACT, idx);
}

/* Whether @frame is lazy with record @idx's payload. */
static bool
names(struct hvo_machine *m, uint64_t frame, uint64_t idx)
{
	uint64_t pl;

	return frame != NO_FRAME && phys_lazy_payload(&m->phys, frame, &pl) &&
	       pl == compact_payload(idx);
}

/*
 * Free the records no frame names any more (freed, or written over,
 * without being filled): a slot read or two per record.
 */
static void
compact_gc(struct hvo_machine *m, struct memmap_compact *c)
{
	for (uint64_t i = 0; i < c->nr; i++) {
		if (c->rec[i] && !names(m, c->rec[i]->frame[0], i) &&
		    !names(m, c->rec[i]->frame[1], i))
			rec_free(c, i);
	}
	c->gc_at = c->live * 2 > 4096 ? c->live * 2 : 4096;
}

/*
 * Words compared at once by next_diff_block(): a vmemmap page is mostly
 * its template, and one test passes over 128 bytes that agree.
 */
#define DIFF_BLOCK 16

/*
 * The first block of DIFF_BLOCK words at or after word @i (a multiple of
 * DIFF_BLOCK) where @a and @b differ; the last whole block's end if none.
 */
static uint64_t
next_diff_block_generic(const uint64_t *a, const uint64_t *b, uint64_t i,
			uint64_t words)
{
	for (; i + DIFF_BLOCK <= words; i += DIFF_BLOCK) {
		uint64_t x = 0;

		for (unsigned k = 0; k < DIFF_BLOCK; k++)
			x |= a[i + k] ^ b[i + k];
		if (x)
			break;
	}
	return i;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_DIFF_AVX2 1

/* The same with 32-byte vectors, on a host CPU that has them. */
__attribute__((target("avx2"))) static uint64_t
next_diff_block_avx2(const uint64_t *a, const uint64_t *b, uint64_t i,
		     uint64_t words)
{
	for (; i + DIFF_BLOCK <= words; i += DIFF_BLOCK) {
		__m256i x = _mm256_setzero_si256();

		for (unsigned k = 0; k < DIFF_BLOCK; k += 4) {
			__m256i u = _mm256_loadu_si256((const __m256i *)(a + i + k));
			__m256i v = _mm256_loadu_si256((const __m256i *)(b + i + k));

			x = _mm256_or_si256(x, _mm256_xor_si256(u, v));
		}
		if (!_mm256_testz_si256(x, x))
			break;
	}
	return i;
}
#endif

static uint64_t
next_diff_block(const struct memmap_compact *c, const uint64_t *a,
		const uint64_t *b, uint64_t i, uint64_t words)
{
#ifdef HAVE_DIFF_AVX2
	if (memmap_host_avx2(c))
		return next_diff_block_avx2(a, b, i, words);
#endif
	return next_diff_block_generic(a, b, i, words);
}

/*
 * Words of @a that differ from @b, up to @limit (then limit + 1), their
 * offsets in @pos (room for @limit).
 */
static unsigned
count_diffs(const struct memmap_compact *c, const uint64_t *a,
	    const uint64_t *b, uint64_t words, unsigned limit, uint16_t *pos)
{
	unsigned n = 0;
	uint64_t i = 0, end;

	while (i < words) {
		i = next_diff_block(c, a, b, i, words);
		/* A block that differs, or the words after the last block. */
		end = i + DIFF_BLOCK < words ? i + DIFF_BLOCK : words;
		for (; i < end; i++) {
			if (a[i] == b[i])
				continue;
			if (n == limit)
				return limit + 1;
			pos[n++] = (uint16_t)i;
		}
	}
	return n;
}

#ifdef HAVE_DIFF_AVX2
typedef uint64_t cwords4 __attribute__((vector_size(32)));

__attribute__((target("avx2"))) static inline cwords4
load4(const uint64_t *p)
{
	return (cwords4)_mm256_loadu_si256((const __m256i *)p);
}

/*
 * The words of block @i (DIFF_BLOCK words: two 64-byte struct pages) of
 * @a that differ from @lo, @hi and @lo1, @hi, at @pos from @n, up to
 * @limit; limit + 1 if more.
 */
__attribute__((target("avx2"))) static inline unsigned
block_diffs(const uint64_t *a, uint64_t i, cwords4 lo, cwords4 hi,
	    cwords4 lo1, unsigned n, unsigned limit, uint16_t *pos)
{
	uint64_t b[DIFF_BLOCK];

	memcpy(b, &lo, 32);
	memcpy(b + 4, &hi, 32);
	memcpy(b + 8, &lo1, 32);
	memcpy(b + 12, &hi, 32);
	for (unsigned k = 0; k < DIFF_BLOCK; k++) {
		if (a[i + k] == b[k])
			continue;
		if (n == limit)
			return limit + 1;
		pos[n++] = (uint16_t)(i + k);
	}
	return n;
}

/*
 * The first 64-byte struct page of template payload @payload's fill, as
 * the memmap's fill writes it, in @w; true if its lru words rise by 64 a
 * page (TPL_LRU_SELF), false if every page is the same.
 */
static inline bool
tpl64_first(const struct hvo_machine *m, uint64_t payload, uint64_t w[8])
{
	const struct memmap_tpl *t = &m->tpl[payload >> MEMMAP_PAYLOAD_PFN_BITS];
	const uint64_t va = pfn_to_page(m, payload &
				((UINT64_C(1) << MEMMAP_PAYLOAD_PFN_BITS) - 1));

	memcpy(w, t->bytes, 64);
	if (t->patch != TPL_PLAIN)
		w[1] = t->patch == TPL_HEAD ? va + 1 : va + PAGE_LRU_OFF;
	if (t->patch != TPL_LRU_SELF)
		return false;
	w[2] = w[1];
	return true;
}

/*
 * count_diffs() of @a against template payload @payload's fill, for
 * 64-byte struct pages on a host CPU with 32-byte vectors: the template's
 * words made in registers as the memmap's fill stores them (a struct page
 * is two vectors; for TPL_LRU_SELF the first rises by { 0, 64, 64, 0 } a
 * page), and no page filled to compare against. Two blocks a round, one
 * test for both. The same words, in the same order, as count_diffs()
 * finds in the fill. @words: a multiple of two blocks.
 */
__attribute__((target("avx2"))) static unsigned
count_diffs_tpl64_avx2(const struct hvo_machine *m, const uint64_t *a,
		       uint64_t payload, uint64_t words, unsigned limit,
		       uint16_t *pos)
{
	const cwords4 step = { 0, 64, 64, 0 };
	cwords4 one = { 0, 0, 0, 0 }, lo, hi;
	uint64_t w[8];
	unsigned n = 0;

	if (tpl64_first(m, payload, w))
		one = step;
	memcpy(&lo, w, 32);
	memcpy(&hi, w + 4, 32);
	for (uint64_t i = 0; i < words; i += 2 * DIFF_BLOCK, lo += 4 * one) {
		const cwords4 lo1 = lo + one, lo2 = lo1 + one, lo3 = lo2 + one;
		cwords4 x, y;

		x = (load4(a + i) ^ lo) | (load4(a + i + 4) ^ hi) |
		    (load4(a + i + 8) ^ lo1) | (load4(a + i + 12) ^ hi);
		y = (load4(a + i + 16) ^ lo2) | (load4(a + i + 20) ^ hi) |
		    (load4(a + i + 24) ^ lo3) | (load4(a + i + 28) ^ hi);
		if (_mm256_testz_si256((__m256i)(x | y), (__m256i)(x | y)))
			continue;
		if (!_mm256_testz_si256((__m256i)x, (__m256i)x)) {
			n = block_diffs(a, i, lo, hi, lo1, n, limit, pos);
			if (n > limit)
				return n;
		}
		if (!_mm256_testz_si256((__m256i)y, (__m256i)y)) {
			n = block_diffs(a, i + DIFF_BLOCK, lo2, hi, lo3, n, limit,
					pos);
			if (n > limit)
				return n;
		}
	}
	return n;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_DIFF_AVX512 1

/*
 * count_diffs_tpl64_avx2() with 64-byte vectors: a struct page is one,
 * its compare a mask of the words that differ (TPL_LRU_SELF's rising by
 * { 0, 64, 64, 0, ... } a page), four a round. The same words, in the
 * same order.
 */
__attribute__((target("avx512f"))) static unsigned
count_diffs_tpl64_avx512(const struct hvo_machine *m, const uint64_t *a,
			 uint64_t payload, uint64_t words, unsigned limit,
			 uint16_t *pos)
{
	__m512i tpl, step = _mm512_setzero_si512(), step4;
	uint64_t w[8];
	unsigned n = 0;

	if (tpl64_first(m, payload, w))
		step = _mm512_set_epi64(0, 0, 0, 0, 0, 64, 64, 0);
	tpl = _mm512_loadu_si512(w);
	step4 = _mm512_slli_epi64(step, 2);
	for (uint64_t i = 0; i < words; i += 32) {
		const __m512i t1 = _mm512_add_epi64(tpl, step);
		const __m512i t2 = _mm512_add_epi64(t1, step);
		const __m512i t3 = _mm512_add_epi64(t2, step);
		uint32_t k;

		k = (uint32_t)_mm512_cmpneq_epu64_mask(_mm512_loadu_si512(a + i), tpl) |
		    (uint32_t)_mm512_cmpneq_epu64_mask(_mm512_loadu_si512(a + i + 8), t1) << 8 |
		    (uint32_t)_mm512_cmpneq_epu64_mask(_mm512_loadu_si512(a + i + 16), t2) << 16 |
		    (uint32_t)_mm512_cmpneq_epu64_mask(_mm512_loadu_si512(a + i + 24), t3) << 24;
		tpl = _mm512_add_epi64(tpl, step4);
		for (; k; k &= k - 1) {
			if (n == limit)
				return limit + 1;
			pos[n++] = (uint16_t)(i + (unsigned)__builtin_ctz(k));
		}
	}
	return n;
}
#endif

/*
 * Words of the frame at @a that differ from template payload @payload's
 * fill, as count_diffs() counts them: filled into the scratch page (kept
 * there for the next guess) unless the fill can be compared in registers.
 */
static unsigned
count_diffs_tpl(struct hvo_machine *m, struct memmap_compact *c,
		uint64_t frame, const uint64_t *a, uint64_t payload,
		uint64_t words, unsigned limit, uint16_t *pos)
{
#ifdef HAVE_DIFF_AVX512
	if (page_layout(m)->size == 64 && words % (2 * DIFF_BLOCK) == 0 &&
	    memmap_host_avx512(c))
		return count_diffs_tpl64_avx512(m, a, payload, words, limit, pos);
#endif
#ifdef HAVE_DIFF_AVX2
	if (page_layout(m)->size == 64 && words % (2 * DIFF_BLOCK) == 0 &&
	    memmap_host_avx2(c))
		return count_diffs_tpl64_avx2(m, a, payload, words, limit, pos);
#endif
	memmap_refill(m, frame, c->scratch_payload, payload, c->scratch);
	c->scratch_payload = payload;
	return count_diffs(c, a, (const uint64_t *)c->scratch, words, limit,
			   pos);
}

/*
 * The index of a template known to the memmap (memmap_tpl_id()) that
 * struct page @sp is, with @patch's fields left out; -1 if none. Nothing
 * is registered: the table is the memmap's. Frames come in runs of one
 * kind: the last answer for @patch stands while its key and the table do.
 */
static int
tpl_find(const struct hvo_machine *m, struct memmap_compact *c,
	 const uint8_t *sp, enum tpl_patch patch)
{
	const struct page_layout *l = page_layout(m);
	struct memmap_tpl_memo *memo = &c->tpl_memo[patch];
	uint8_t bytes[sizeof(m->tpl[0].bytes)];

	memmap_tpl_key(m, sp, patch, bytes);
	if (memo->nr_tpl && memo->nr_tpl == m->nr_tpl &&
	    memcmp(memo->key, bytes, l->size) == 0)
		return memo->tid;
	memcpy(memo->key, bytes, l->size);
	memo->nr_tpl = m->nr_tpl;
	memo->tid = -1;
	for (unsigned i = 0; i < m->nr_tpl; i++)
		if (m->tpl[i].patch == patch &&
		    memcmp(m->tpl[i].bytes, bytes, l->size) == 0)
			return memo->tid = (int)i;
	return -1;
}

/*
 * The template payload the struct page at @k of the frame suggests, from
 * what its lru holds: a compound_head (a tail: the head's address + 1),
 * the same in every tail (the mask encoding), or linked to itself (fresh
 * from __init_single_page()). @alt: the second guess. False if none.
 */
static bool
guess_payload(struct hvo_machine *m, struct memmap_compact *c,
	      const uint8_t *host, uint64_t page_va, uint64_t k, bool alt,
	      uint64_t *payload)
{
	const struct page_layout *l = page_layout(m);
	const uint64_t per = l->per_page;
	const uint8_t *sp = host + k * l->size;
	enum tpl_patch patch = TPL_PLAIN;
	uint64_t next, head, fix = 0;
	int tid;

	memcpy(&next, sp + l->lru, 8);
	head = next - 1;
	if (!alt && (next & 1) && head >= m->vmemmap_base &&
	    page_layout_div(l, head - m->vmemmap_base) * l->size ==
	    head - m->vmemmap_base) {
		patch = TPL_HEAD;
		fix = page_to_pfn(m, head);
	} else if (!alt && !(next & 1)) {
		patch = TPL_LRU_SELF;
		fix = page_to_pfn(m, page_va);
	} else if (!alt) {
		return false;
	}
	if (fix >> MEMMAP_PAYLOAD_PFN_BITS)
		return false;
	tid = tpl_find(m, c, sp, patch);
	/*
	 * A plain struct page the memmap never wrote (pages allocated and
	 * taken off a list: poisoned links), the same in the frame's first,
	 * middle and last place: worth a template of its own, while the
	 * table has room to spare.
	 */
	if (tid < 0 && patch == TPL_PLAIN && m->nr_tpl < COMPACT_TPL_LIMIT &&
	    memcmp(sp, host, l->size) == 0 &&
	    memcmp(sp, host + (per / 2) * l->size, l->size) == 0 &&
	    memcmp(sp, host + (per - 1) * l->size, l->size) == 0)
		tid = memmap_tpl_id(m, sp, patch);
	if (tid < 0)
		return false;
	*payload = memmap_payload((unsigned)tid, fix);
	return true;
}

static unsigned
word_kind(uint64_t v, uint64_t base)
{
	if (v - base + (UINT64_C(1) << 31) < (UINT64_C(1) << 32))
		return KIND_REL;
	return v >> 32 ? KIND_WIDE : KIND_U32;
}

/*
 * The record of the @nr words of @host at @pos, built at @r (room for a
 * third of a page); NULL if too big. It is copied only if it is kept.
 * One pass over the words: the narrow ones go to their place, the codes
 * and the wide ones aside until their count places them.
 */
static struct rec *
rec_build(const uint64_t *host, const uint16_t *pos, uint64_t words,
	  unsigned nr, uint64_t payload, uint64_t frame, uint64_t base,
	  struct rec *r)
{
	uint16_t code[MEMMAP_COMPACT_MAX_WORDS];
	uint64_t wide[MEMMAP_COMPACT_MAX_WORDS];
	uint32_t *narrow = (uint32_t *)(r + 1);
	unsigned n32 = 0, n64 = 0;
	size_t size;

	for (unsigned k = 0; k < nr; k++) {
		uint64_t v = host[pos[k]];
		unsigned kind = word_kind(v, base);

		code[k] = (uint16_t)(kind << KIND_SHIFT | pos[k]);
		if (kind == KIND_WIDE)
			wide[n64++] = v;
		else if (kind == KIND_REL)
			narrow[n32++] = (uint32_t)(v - base);
		else
			narrow[n32++] = (uint32_t)v;
	}
	size = sizeof(*r) + 2 * nr + 4 * n32;
	size = (size + 7) & ~(size_t)7;
	size += 8 * n64;
	/* Worth it while it takes a third of the page at most. */
	if (size > words * 8 / 3)
		return NULL;
	*r = (struct rec){
		.payload = payload,
		.frame = { frame, NO_FRAME },
		.base = base,
		.nr = (uint16_t)nr,
		.nr_wide = (uint16_t)n64,
		.size = (uint32_t)size,
	};
	memcpy(narrow + n32, code, 2 * nr);
	/* The padding before wide[] too: shapes compare records whole. */
	memset((uint8_t *)(narrow + n32) + 2 * nr, 0,
	       size - 8 * n64 - (sizeof(*r) + 4 * n32 + 2 * nr));
	memcpy((uint8_t *)r + size - 8 * n64, wide, 8 * n64);
	return r;
}

/* A copy of record @r of its own, or NULL without host memory. */
static struct rec *
rec_dup(struct memmap_compact *c, const struct rec *r)
{
	struct rec *d = host_slab_alloc(&c->slab, r->size);

	if (d)
		memcpy(d, r, r->size);
	return d;
}

/* A hash of record @r's words, template @tid and pfn @fix. */
static uint64_t
shape_hash(const struct rec *r, unsigned tid, int64_t fix)
{
	const uint64_t *w = (const uint64_t *)(r + 1);
	uint64_t h = (uint64_t)tid << 48 ^ (uint64_t)r->nr << 16 ^ r->nr_wide;

	h ^= (uint64_t)fix * UINT64_C(0x9e3779b97f4a7c15);
	for (size_t i = 0; i < (r->size - sizeof(*r)) / 8; i++) {
		h = (h ^ w[i]) * UINT64_C(0xff51afd7ed558ccd);
		h ^= h >> 32;
	}
	return h;
}

static bool
shape_same(const struct memmap_shape *sh, const struct rec *r, unsigned tid,
	   int64_t fix)
{
	return sh->tid == tid && sh->fix == fix && sh->r->nr == r->nr &&
	       sh->r->nr_wide == r->nr_wide && sh->r->size == r->size &&
	       memcmp(sh->r + 1, r + 1, r->size - sizeof(*r)) == 0;
}

/*
 * The record index of a shape with record @r's words, for a frame whose
 * vmemmap page is at @page_va; NO_FRAME if none: @r stays a record of its
 * own. A shape made keeps a copy of @r.
 */
static uint64_t
shape_idx(struct hvo_machine *m, struct memmap_compact *c,
	  const struct rec *r, uint64_t page_va)
{
	const unsigned tid = (unsigned)(r->payload >> MEMMAP_PAYLOAD_PFN_BITS);
	const uint64_t pfn = r->payload &
			     ((UINT64_C(1) << MEMMAP_PAYLOAD_PFN_BITS) - 1);
	const uint64_t page = (page_va - m->vmemmap_base) >> m->arch.page_shift;
	const unsigned mask = 2 * MEMMAP_COMPACT_SHAPES - 1;
	struct memmap_shape *sh;
	uint64_t h, *seen;
	int64_t fix;
	unsigned i;

	/* (A page below the vmemmap's start would wrap to a large index.) */
	if (page > SHAPE_PAGE_MASK)
		return NO_FRAME;
	fix = (int64_t)pfn;
	if (m->tpl[tid].patch != TPL_PLAIN)
		fix -= (int64_t)page_to_pfn(m, page_va);
	h = shape_hash(r, tid, fix);
	for (i = h & mask; c->shape_hidx[i]; i = (i + 1) & mask) {
		sh = c->shape[c->shape_hidx[i] - 1];
		if (sh->hash == h && shape_same(sh, r, tid, fix))
			return SHAPE_BIT | page |
			       (uint64_t)(c->shape_hidx[i] - 1) << SHAPE_PAGE_BITS;
	}
	/* Words seen on a second page become a shape, while there is room. */
	seen = &c->seen[h % MEMMAP_COMPACT_SEEN];
	if (*seen != h || c->nr_shape == MEMMAP_COMPACT_SHAPES) {
		*seen = h;
		return NO_FRAME;
	}
	sh = malloc(sizeof(*sh));
	if (!sh)
		return NO_FRAME;
	*sh = (struct memmap_shape){ .hash = h, .tid = tid, .fix = fix,
				     .r = rec_dup(c, r) };
	if (!sh->r) {
		free(sh);
		return NO_FRAME;
	}
	c->bytes += sizeof(*sh) + r->size;
	c->shape[c->nr_shape] = sh;
	c->shape_hidx[i] = (uint16_t)++c->nr_shape;
	return SHAPE_BIT | page | (uint64_t)(c->nr_shape - 1) << SHAPE_PAGE_BITS;
}

/*
 * The record index that describes record @r's words (built in the
 * scratch space) for the frame of vmemmap page @page_va: a shape's, or a
 * record of its own, kept. -1 without host memory.
 */
static int64_t
rec_keep(struct hvo_machine *m, struct memmap_compact *c, const struct rec *r,
	 uint64_t page_va)
{
	uint64_t shaped = shape_idx(m, c, r, page_va);
	struct rec *d;
	int64_t idx;

	if (shaped != NO_FRAME) {
		c->shaped++;
		return (int64_t)shaped;
	}
	if (c->live >= c->gc_at)
		compact_gc(m, c);
	d = rec_dup(c, r);
	idx = d ? rec_idx(c) : -1;
	if (idx < 0) {
		if (d)
			host_slab_free(&c->slab, d, d->size);
		return -1;
	}
	c->rec[idx] = d;
	c->live++;
	c->bytes += d->size;
	return idx;
}

/* Start loading the host page of @frame, the next to be looked at. */
static void
prefetch_frame(const struct hvo_machine *m, uint64_t frame)
{
	const uint8_t *host;

	if (frame == NO_FRAME || !pfn_valid(&m->phys, frame))
		return;
	host = phys_host_hint(&m->phys, frame << m->arch.page_shift);
	if (!host)
		return;
	for (uint64_t off = 0; off < m->arch.page_size && off < 4096; off += 64)
		__builtin_prefetch(host + off);
}

/* Places guessed from, each twice (guess_payload()'s two guesses). */
#define NR_GUESSES 18

/* Differing words at or below which no other guess is tried. */
#define GOOD_ENOUGH (MEMMAP_COMPACT_MAX_WORDS / 2)

/*
 * memmap_compact_frame() of a frame with a host page of its own, at slot
 * @s. Apart: most frames noted have none (lazy, or sharing a page), and
 * their answer takes no frame.
 */
static __attribute__((noinline)) bool
compact_host_frame(struct hvo_machine *m, struct memmap_compact *c,
		   uint64_t frame, uint64_t va, uint64_t alias, uint64_t *s)
{
	const struct page_layout *l = page_layout(m);
	const uint64_t psize = m->arch.page_size, words = psize / 8;
	const uint64_t per = l->per_page;
	const uint64_t pos[NR_GUESSES / 2] = {
		per - 1, 0, per / 2, 1, 2, 3, per / 4, 3 * per / 4, per - 2,
	};
	const uint64_t *host = (const uint64_t *)phys_host_of(&m->phys, *s, 0);
	uint64_t tried[NR_GUESSES];
	unsigned nr_tried = 0;
	uint64_t page_va = va & ~(psize - 1), best_payload = 0;
	uint64_t page, payload, *as;
	unsigned best = MEMMAP_COMPACT_MAX_WORDS + 1;
	uint16_t diff[2][MEMMAP_COMPACT_MAX_WORDS], *best_pos = diff[0];
	struct rec *r;
	int64_t idx;

	/*
	 * Good enough: a guess leaving at most half the room. (A better one
	 * may exist: the struct pages of allocated buddy pages, plain ones
	 * with poisoned links, are described as fresh ones plus both links
	 * of each, 128 words; but those words are the same on every such
	 * page, one shape for all of them.) A payload already tried is not
	 * filled again.
	 */
	for (unsigned i = 0; i < NR_GUESSES && best > GOOD_ENOUGH; i++) {
		uint64_t guess, k = pos[i / 2];
		bool again = false;
		unsigned n;

		if (k >= per || !guess_payload(m, c, (const uint8_t *)host,
					       page_va, k, i % 2, &guess))
			continue;
		for (unsigned j = 0; j < nr_tried; j++)
			again |= tried[j] == guess;
		if (again)
			continue;
		tried[nr_tried++] = guess;
		uint16_t *try_pos = best_pos == diff[0] ? diff[1] : diff[0];

		n = count_diffs_tpl(m, c, frame, host, guess, words, best - 1,
				    try_pos);
		if (n < best) {
			best = n;
			best_payload = guess;
			best_pos = try_pos;
		}
	}
	if (best > MEMMAP_COMPACT_MAX_WORDS)
		return false;
	/* The template alone, or a shape, or a record of its own. */
	r = NULL;
	payload = best_payload;
	if (best) {
		r = rec_build(host, best_pos, words, best, best_payload, frame,
			      page_va,
			      (struct rec *)(c->scratch + m->arch.page_size));
		idx = r ? rec_keep(m, c, r, page_va) : -1;
		if (idx < 0)
			return false;
		r = idx & (int64_t)SHAPE_BIT ? NULL : c->rec[idx];
		payload = compact_payload((uint64_t)idx);
	} else {
		c->bare++;
	}
	count(m, CNT_HOST_MEMMAP_COMPACT);
	page = *s >> 3;
	/* The TLB's entries keep their translations, not the page. */
	tlb_unhost_pfn(m, frame);
	phys_release(&m->phys, frame << m->arch.page_shift, psize);
	phys_set_lazy(&m->phys, frame, payload);
	/*
	 * A frame sharing the host page (copy_page()) is described alike.
	 * A TLB entry may still reach it, but only to read: it is about to
	 * be freed, and the page is not reused until no entry reaches it
	 * (phys_reclaim()).
	 */
	as = alias != NO_FRAME && pfn_valid(&m->phys, alias) ?
	     phys_slot(&m->phys, alias) : NULL;
	if (as && (*as & PHYS_TAG_MASK) == PHYS_HOST && *as >> 3 == page) {
		phys_release(&m->phys, alias << m->arch.page_shift, psize);
		phys_set_lazy(&m->phys, alias, payload);
		if (r)
			r->frame[1] = alias;
	}
	return true;
}

bool
memmap_compact_frame(struct hvo_machine *m, uint64_t frame, uint64_t va,
		     uint64_t alias)
{
	const struct page_layout *l = page_layout(m);
	struct memmap_compact *c;
	uint64_t *s;

	/* While the checker's TLB stands in, the machine's cannot let go. */
	if (m->tlb.saved || !pfn_valid(&m->phys, frame))
		return false;
	s = phys_slot(&m->phys, frame);
	/*
	 * A page copy_page() shared stays with the other frame: only this
	 * frame's hold on it is given back.
	 */
	if (!s || (*s & PHYS_TAG_MASK) != PHYS_HOST ||
	    l->per_page * l->size != m->arch.page_size ||
	    m->arch.page_size / 8 > OFF_MASK + 1)
		return false;
	c = compact_get(m);
	if (!c)
		return false;
	return compact_host_frame(m, c, frame, va, alias, s);
}

/*
 * What compact record index @idx (a record's, or a shape's) describes:
 * the words, their base and the template payload. False for none (cannot
 * happen: a described frame always has its record or shape).
 */
static bool
words_of(const struct hvo_machine *m, uint64_t idx, const struct rec **r,
	 uint64_t *base, uint64_t *payload)
{
	const struct memmap_compact *c = m->compact;
	const uint64_t s = (idx & ~SHAPE_BIT) >> SHAPE_PAGE_BITS;
	const struct memmap_shape *sh;
	uint64_t pfn;

	if (!c)
		return false;
	if (!(idx & SHAPE_BIT)) {
		if (idx >= c->nr || !c->rec[idx])
			return false;
		*r = c->rec[idx];
		*base = (*r)->base;
		*payload = (*r)->payload;
		return true;
	}
	if (s >= c->nr_shape)
		return false;
	sh = c->shape[s];
	*r = sh->r;
	*base = m->vmemmap_base + ((idx & SHAPE_PAGE_MASK) << m->arch.page_shift);
	pfn = (uint64_t)sh->fix;
	if (m->tpl[sh->tid].patch != TPL_PLAIN)
		pfn += page_to_pfn(m, *base);
	*payload = memmap_payload(sh->tid, pfn);
	return true;
}

/* The differing words of a record, one after another, in offset order. */
struct rec_iter {
	const uint16_t *code;
	const uint32_t *narrow;
	const uint64_t *wide;
	uint64_t base;
	unsigned i, nr;
};

static inline void
rec_iter_init(struct rec_iter *it, const struct rec *r, uint64_t base)
{
	it->narrow = (const uint32_t *)(r + 1);
	it->code = (const uint16_t *)(it->narrow + (r->nr - r->nr_wide));
	it->wide = (const uint64_t *)((const uint8_t *)r + r->size -
				      8 * r->nr_wide);
	it->base = base;
	it->i = 0;
	it->nr = r->nr;
}

/* The next word: its offset in *@off, its value returned. */
static inline bool
rec_iter_next(struct rec_iter *it, unsigned *off, uint64_t *v)
{
	unsigned kind;

	if (it->i == it->nr)
		return false;
	kind = it->code[it->i] >> KIND_SHIFT;
	*off = it->code[it->i++] & OFF_MASK;
	if (kind == KIND_WIDE)
		*v = *it->wide++;
	else if (kind == KIND_REL)
		*v = it->base + (uint64_t)(int64_t)(int32_t)*it->narrow++;
	else
		*v = *it->narrow++;
	return true;
}

/* The bytes compact record index @idx describes for @frame, at @host. */
static void
compact_bytes(struct hvo_machine *m, uint64_t frame, uint64_t idx, void *host)
{
	const struct rec *r;
	uint64_t *w = host, base, payload, v;
	struct rec_iter it;
	unsigned off;

	if (!words_of(m, idx, &r, &base, &payload)) {
		memset(host, 0, m->arch.page_size);
		return;
	}
	memmap_fill(m, frame, payload, host);
	rec_iter_init(&it, r, base);
	while (rec_iter_next(&it, &off, &v))
		w[off] = v;
}

/*
 * @frame no longer reads record @idx's words (it has bytes of its own, or
 * other words): the record serves its other frame, or goes.
 */
static void
rec_drop_frame(struct memmap_compact *c, uint64_t idx, uint64_t frame)
{
	struct rec *r = idx < c->nr ? c->rec[idx] : NULL;

	if (!r)
		return; /* a shape: nothing is given up */
	if (r->frame[1] == frame) {
		r->frame[1] = NO_FRAME;
	} else if (r->frame[0] == frame && r->frame[1] != NO_FRAME) {
		r->frame[0] = r->frame[1];
		r->frame[1] = NO_FRAME;
	} else if (r->frame[0] == frame) {
		rec_free(c, idx);
	}
}

void
memmap_compact_fill(struct hvo_machine *m, uint64_t frame, uint64_t idx,
		    void *host)
{
	compact_bytes(m, frame, idx, host);
	if (m->compact)
		rec_drop_frame(m->compact, idx, frame);
}

void
memmap_compact_peek(void *ctx, uint64_t frame, uint64_t payload, void *host)
{
	struct hvo_machine *m = ctx;

	if (payload >> MEMMAP_PAYLOAD_PFN_BITS != MEMMAP_TPL_COMPACT) {
		/* A template alone: filling it changes nothing. */
		memmap_fill(m, frame, payload, host);
		return;
	}
	compact_bytes(m, frame,
		      payload & ((UINT64_C(1) << MEMMAP_PAYLOAD_PFN_BITS) - 1),
		      host);
}

bool
memmap_compact_word(void *ctx, uint64_t frame, uint64_t *payload, unsigned j,
		    bool write, uint64_t *val)
{
	struct hvo_machine *m = ctx;
	struct memmap_compact *c = m->compact;
	const uint64_t pfn_mask = (UINT64_C(1) << MEMMAP_PAYLOAD_PFN_BITS) - 1;
	const uint64_t idx = *payload & pfn_mask;
	/* A record holds at most MEMMAP_COMPACT_MAX_WORDS: one more fits. */
	uint16_t pos[MEMMAP_COMPACT_MAX_WORDS + 1];
	uint64_t base, tpl, v, *w;
	struct memmap_edit_memo *memo = NULL;
	const struct rec *r;
	struct rec_iter it;
	unsigned off, nr = 0;
	uint32_t from = 0;
	bool placed = false;
	int64_t nidx;

	/*
	 * A frame described by a template alone answers a load by the word
	 * its fill would write. A store would make it a record: not here.
	 */
	if (*payload >> MEMMAP_PAYLOAD_PFN_BITS != MEMMAP_TPL_COMPACT) {
		if (write)
			return false;
		*val = memmap_tpl_word(m, *payload, j);
		return true;
	}
	if (!c || !words_of(m, idx, &r, &base, &tpl))
		return false;
	rec_iter_init(&it, r, base);
	if (!write) {
		/* The words come in offset order: past @j, it is not there. */
		while (rec_iter_next(&it, &off, &v) && off <= j)
			if (off == j) {
				*val = v;
				return true;
			}
		*val = memmap_tpl_word(m, tpl, j);
		return true;
	}
	/*
	 * A value that is no pointer near the page is the same on every
	 * page a shape describes, and so is whether it matches the template:
	 * the shape it makes is too.
	 */
	if ((idx & SHAPE_BIT) && word_kind(*val, base) != KIND_REL) {
		uint64_t h;

		from = (uint32_t)((idx & ~SHAPE_BIT) >> SHAPE_PAGE_BITS);
		h = ((uint64_t)from << 16 | j) ^ *val;
		h *= UINT64_C(0x9e3779b97f4a7c15);
		memo = &c->edit[h >> (64 - MEMMAP_EDIT_MEMO_BITS)];
		if (memo->from == from + 1 && memo->j == j && memo->v == *val) {
			c->shaped++;
			c->edit_hits++;
			*payload = compact_payload(SHAPE_BIT |
						   (idx & SHAPE_PAGE_MASK) |
						   (uint64_t)(memo->to - 1)
						   << SHAPE_PAGE_BITS);
			return true;
		}
	}
	/*
	 * The words that differ once word @j holds *@val, in offset order,
	 * their values in the scratch page at their places (for rec_build()).
	 */
	w = (uint64_t *)c->scratch;
	c->scratch_payload = UINT64_MAX;
	while (rec_iter_next(&it, &off, &v)) {
		if (off > j && !placed) {
			placed = true;
			if (*val != memmap_tpl_word(m, tpl, j)) {
				pos[nr++] = (uint16_t)j;
				w[j] = *val;
			}
		}
		if (off == j)
			continue;
		pos[nr++] = (uint16_t)off;
		w[off] = v;
	}
	if (!placed && *val != memmap_tpl_word(m, tpl, j)) {
		pos[nr++] = (uint16_t)j;
		w[j] = *val;
	}
	if (nr > MEMMAP_COMPACT_MAX_WORDS)
		return false;
	if (!nr) {
		c->bare++;
		rec_drop_frame(c, idx, frame);
		*payload = tpl;
		return true;
	}
	r = rec_build(w, pos, m->arch.page_size / 8, nr, tpl, frame, base,
		      (struct rec *)(c->scratch + m->arch.page_size));
	nidx = r ? rec_keep(m, c, r, base) : -1;
	if (nidx < 0)
		return false;
	if (memo && (nidx & (int64_t)SHAPE_BIT))
		*memo = (struct memmap_edit_memo){
			.v = *val,
			.from = from + 1,
			.to = (uint32_t)(((uint64_t)nidx & ~SHAPE_BIT) >>
					 SHAPE_PAGE_BITS) + 1,
			.j = j,
		};
	rec_drop_frame(c, idx, frame);
	*payload = compact_payload((uint64_t)nidx);
	return true;
}

void
__memmap_compact_copied(struct hvo_machine *m, uint64_t to, uint64_t from,
			bool from_dies)
{
	struct memmap_compact *c = m->compact;
	/* @to is a compacted frame (memmap_compact_copied() saw to it). */
	uint64_t pl = (phys_slot_value(&m->phys, to) >> 3) &
		      ((UINT64_C(1) << MEMMAP_PAYLOAD_PFN_BITS) - 1);

	/* A shape serves any number of frames: @to is described too. */
	if (pl & SHAPE_BIT)
		return;
	for (unsigned k = 0; from_dies && k < 2 && pl < c->nr && c->rec[pl];
	     k++) {
		if (c->rec[pl]->frame[k] == from) {
			c->rec[pl]->frame[k] = to;
			return;
		}
	}
	/* Its own bytes now: two frames never name one record for long. */
	(void)phys_to_host(&m->phys, to << m->arch.page_shift);
}

/*
 * Whether the vmemmap pages written hold enough host memory to be worth
 * describing: a small machine keeps its bytes, and its speed.
 */
static bool
over_budget(const struct hvo_machine *m)
{
	return memmap_compact_host_reach(m, 0);
}

int
memmap_compact_set_budget(struct hvo_machine *m, uint64_t bytes)
{
	struct memmap_compact *c = compact_get(m);

	if (!c)
		return -ENOMEM;
	c->budget = bytes;
	return 0;
}

/* Forget every note's place in the hash (the list is rebuilt or emptied). */
static void
pend_hash_reset(struct memmap_compact *c)
{
	if (++c->gen == 0) {
		memset(c->hgen, 0, sizeof(c->hgen));
		c->gen = 1;
	}
}

/*
 * Note the page of @va (with @alias) unless it is noted already. False if
 * it was, or the list is full.
 */
static bool
pend_add(const struct hvo_machine *m, struct memmap_compact *c, uint64_t va,
	 uint64_t alias)
{
	const uint64_t page = va >> m->arch.page_shift;
	/*
	 * The alias is multiplied in, not XORed: a page and its alias often
	 * step together (copies of a run of head pages), and page ^ alias
	 * then gave thousands of notes one slot and one run of probes.
	 */
	uint64_t h = page ^ alias * UINT64_C(0x9e3779b97f4a7c15);

	/*
	 * The noted pages come in strides (a hugepage's eight vmemmap pages,
	 * the head page of each): a multiplicative hash's low bits left them
	 * in long runs of linear probes, its top bits spread them.
	 */
	h = h * UINT64_C(0xff51afd7ed558ccd) >> (64 - MEMMAP_COMPACT_HASH_BITS);
	for (; c->hgen[h] == c->gen; h = (h + 1) & (MEMMAP_COMPACT_HASH - 1)) {
		const struct memmap_compact_pend *p = &c->pend[c->hidx[h]];

		if (p->va >> m->arch.page_shift == page && p->alias == alias)
			return false;
	}
	if (c->nr_pend == MEMMAP_COMPACT_PENDING)
		return false;
	c->hgen[h] = c->gen;
	c->hidx[h] = (uint16_t)c->nr_pend;
	c->pend[c->nr_pend++] = (struct memmap_compact_pend){ va, alias, NO_FRAME };
	return true;
}

/*
 * The vmemmap pages the TLB gave a host page of their own since the last
 * time join the list: whatever wrote them, they may be compacted.
 */
static void
drain_own_log(struct hvo_machine *m, struct memmap_compact *c)
{
	struct tlb *t = &m->tlb;
	uint64_t lo = pfn_to_page(m, m->vmemmap_pfn_lo);
	uint64_t hi = pfn_to_page(m, m->vmemmap_pfn_hi);
	uint64_t n = t->own_n - c->own_seen;

	if (n > TLB_OWN_LOG)
		n = TLB_OWN_LOG;
	for (uint64_t i = t->own_n - n; i < t->own_n; i++) {
		uint64_t va = t->own_log[i & (TLB_OWN_LOG - 1)];

		if (va >= lo && va < hi)
			pend_add(m, c, va, NO_FRAME);
	}
	c->own_seen = t->own_n;
}

/*
 * The frame @pe's page maps (looked up once: the prefetch asks first), or
 * NO_FRAME; @cur: the last PTE table looked at, as notes come in runs.
 */
static uint64_t
pend_frame(struct hvo_machine *m, struct vmemmap_cursor *cur,
	   struct memmap_compact_pend *pe)
{
	uint64_t frame;

	if (pe->frame == NO_FRAME && !vmemmap_frame(m, cur, pe->va, &frame))
		pe->frame = frame;
	return pe->frame;
}

/*
 * Compact what was noted, also the frames a TLB entry still reaches: the
 * entries keep their translations without the page (tlb_unhost_pfn()).
 * Kept for the next look instead, they were most of every look (900 of
 * 1,400 notes a look at 8 TiB, each hashed and asked of the TLB again).
 */
static void
compact_pending(struct hvo_machine *m, struct memmap_compact *c)
{
	/* Compacting changes no page table: the cursor stays true. */
	struct vmemmap_cursor cur = VMEMMAP_CURSOR_INIT;

	/*
	 * Only hugetlb's paths note frames, never the checker; were it to,
	 * its TLB's entries hide the machine's (tlb.saved): wait for it.
	 */
	if (m->tlb.saved)
		return;
	drain_own_log(m, c);
	for (unsigned i = 0; i < c->nr_pend; i++) {
		const struct memmap_compact_pend *pe = &c->pend[i];
		uint64_t frame;

		/* The next one's page loads while this one is looked at. */
		if (i + 1 < c->nr_pend)
			prefetch_frame(m, pend_frame(m, &cur, &c->pend[i + 1]));
		frame = pend_frame(m, &cur, &c->pend[i]);
		if (frame == NO_FRAME)
			continue; /* no longer mapped */
		memmap_compact_frame(m, frame, pe->va, pe->alias);
	}
	c->nr_pend = 0;
	c->nr_new = 0;
	pend_hash_reset(c);
	/* The pages given back serve the next frames to be written. */
	phys_reclaim(&m->phys, false);
}

/*
 * Over the budget, a look once enough was noted since the last, or once
 * the TLB's log holds an eighth of what it can: unread, its oldest
 * entries would be lost.
 */
static void
compact_due(struct hvo_machine *m, struct memmap_compact *c, bool over)
{
	if (over && (c->nr_new >= MEMMAP_COMPACT_PENDING / 16 ||
		     m->tlb.own_n - c->own_seen >= TLB_OWN_LOG / 8))
		compact_pending(m, c);
}

void
__memmap_compact_note_hosted(struct hvo_machine *m, uint64_t va, uint64_t n)
{
	struct vmemmap_cursor cur = VMEMMAP_CURSOR_INIT;
	struct memmap_compact *c = compact_get(m);
	bool noted = false;

	if (!c)
		return;
	for (uint64_t i = 0; i < n; i++, va += m->arch.page_size) {
		uint64_t frame;

		if (!vmemmap_frame(m, &cur, va, &frame) &&
		    pfn_valid(&m->phys, frame) &&
		    phys_host_hint(&m->phys, frame << m->arch.page_shift)) {
			__memmap_compact_note_alias(m, va, UINT64_MAX);
			noted = true;
		}
	}
	/* With nothing noted, the log still needs reading in time. */
	if (!noted)
		compact_due(m, c, over_budget(m));
}

void
memmap_compact_flush(struct hvo_machine *m)
{
	if (m->compact && over_budget(m))
		compact_pending(m, m->compact);
}

void
__memmap_compact_note_alias(struct hvo_machine *m, uint64_t va, uint64_t alias)
{
	struct memmap_compact *c = compact_get(m);
	bool over = over_budget(m);

	if (!c)
		return;
	/* Below the budget the oldest notes are forgotten: those frames stay. */
	if (c->nr_pend == MEMMAP_COMPACT_PENDING && !over) {
		c->nr_pend = 0;
		pend_hash_reset(c);
	}
	if (c->nr_pend == MEMMAP_COMPACT_PENDING)
		compact_pending(m, c);
	if (!pend_add(m, c, va, alias))
		return; /* the same page again */
	if (over)
		c->nr_new++;
	compact_due(m, c, over);
}

void
__memmap_compact_now(struct hvo_machine *m, uint64_t va)
{
	struct vmemmap_cursor cur = VMEMMAP_CURSOR_INIT;
	uint64_t frame;

	/*
	 * Over the budget, compacted now, while the host still has the
	 * bytes just written in its cache; the TLB's entries for it keep
	 * their translations without its page. No note: a note's passes
	 * would also compact what the TLB's log names meanwhile, the head
	 * pages this batch prepares next. Else as any note.
	 */
	if (!over_budget(m) || !compact_get(m) ||
	    vmemmap_frame(m, &cur, va, &frame) ||
	    !memmap_compact_frame(m, frame, va, NO_FRAME)) {
		__memmap_compact_note_alias(m, va, UINT64_MAX);
		return;
	}
	/* The pages given back serve the next frames, as compact_pending(). */
	if (++m->compact->nr_now >= MEMMAP_COMPACT_PENDING / 16) {
		m->compact->nr_now = 0;
		phys_reclaim(&m->phys, false);
	}
}

void
memmap_compact_fini(struct hvo_machine *m)
{
	struct memmap_compact *c = m->compact;

	if (!c)
		return;
	for (uint64_t i = 0; i < c->nr; i++)
		if (c->rec[i])
			host_slab_free(&c->slab, c->rec[i], c->rec[i]->size);
	for (unsigned i = 0; i < c->nr_shape; i++) {
		host_slab_free(&c->slab, c->shape[i]->r, c->shape[i]->r->size);
		free(c->shape[i]);
	}
	host_slab_fini(&c->slab);
	free(c->rec);
	free(c->free_idx);
	free(c->scratch);
	free(c);
	m->compact = NULL;
}
