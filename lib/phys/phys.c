/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/util.h"
#include "phys/phys.h"

/* Room above one page per frame: pages still pending, shared copies. */
#define ARENA_SLACK (UINT64_C(1) << 17)
/*
 * Host pages a machine may ever hold: far more than any host has memory
 * for, far less than a 4 PiB machine has frames. Only the simulated
 * kernel's metadata is ever written, so reaching this is running out of
 * host memory, as abort() in arena_alloc() says.
 */
#define ARENA_MAX_BYTES (UINT64_C(1) << 44)

static void *
reserve(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static uint64_t
nr_leaves(const struct phys *p)
{
	return (p->nr_frames + PHYS_LEAF_FRAMES - 1) >> PHYS_LEAF_SHIFT;
}

static unsigned
chunk_shift(const struct phys *p)
{
	/* 2 MiB of host memory, whatever the simulated page size. */
	return p->page_shift >= 21 ? 0 : 21 - p->page_shift;
}

int
phys_init(struct phys *p, const struct hvo_mem_range *ranges,
	  unsigned nr_ranges, unsigned page_shift)
{
	uint64_t nleaves;

	memset(p, 0, sizeof(*p));
	if (nr_ranges == 0 || nr_ranges > HVO_MAX_MEM_RANGES)
		return -EINVAL;
	p->page_shift = page_shift;
	p->page_size = UINT64_C(1) << page_shift;
	/*
	 * Ranges that touch are one range of RAM, as memblock_add() merges
	 * regions that meet (memblock_merge_regions()): the buddy allocator
	 * frees and merges blocks across the point where they met.
	 */
	p->range[0] = ranges[0];
	p->nr_ranges = 1;
	for (unsigned i = 1; i < nr_ranges; i++) {
		struct hvo_mem_range *last = &p->range[p->nr_ranges - 1];

		if (last->base + last->size == ranges[i].base)
			last->size += ranges[i].size;
		else
			p->range[p->nr_ranges++] = ranges[i];
	}
	for (unsigned i = 0; i < nr_ranges; i++)
		p->total_pages += ranges[i].size >> page_shift;
	p->lo = p->range[0].base;
	p->hi = p->range[p->nr_ranges - 1].base +
		p->range[p->nr_ranges - 1].size;
	p->base_pfn = p->lo >> page_shift;
	p->nr_frames = (p->hi - p->lo) >> page_shift;

	nleaves = nr_leaves(p);
	p->leaf = reserve(nleaves * sizeof(*p->leaf));
	p->run = reserve(nleaves * sizeof(*p->run));
	p->leaf_pool = reserve(nleaves * sizeof(*p->leaf_pool));
	/* Address space only: untouched pages cost no host memory. */
	p->arena_cap = p->total_pages + ARENA_SLACK;
	if (p->arena_cap > ARENA_MAX_BYTES >> page_shift)
		p->arena_cap = ARENA_MAX_BYTES >> page_shift;
	p->arena = reserve(p->arena_cap << page_shift);
	p->chunk_released = calloc((p->arena_cap >> chunk_shift(p)) + 1, 1);
	p->refs = reserve(p->arena_cap * sizeof(*p->refs));
	if (!p->leaf || !p->run || !p->leaf_pool || !p->arena || !p->chunk_released ||
	    !p->refs) {
		phys_fini(p);
		return -ENOMEM;
	}
#ifdef MADV_HUGEPAGE
	/* Pages are handed out densely: back them with huge pages, so filling
	 * them costs one host fault per 2 MiB, not one per page. */
	madvise(p->arena, p->arena_cap << page_shift, MADV_HUGEPAGE);
	madvise(p->leaf_pool, nleaves * sizeof(*p->leaf_pool), MADV_HUGEPAGE);
	madvise(p->refs, p->arena_cap * sizeof(*p->refs), MADV_HUGEPAGE);
#endif
	p->zero_page = p->arena_top++;
	return 0;
}

void
phys_fini(struct phys *p)
{
	uint64_t nleaves = nr_leaves(p);

	if (p->leaf)
		munmap(p->leaf, nleaves * sizeof(*p->leaf));
	if (p->run)
		munmap(p->run, nleaves * sizeof(*p->run));
	if (p->leaf_pool)
		munmap(p->leaf_pool, nleaves * sizeof(*p->leaf_pool));
	if (p->arena)
		munmap(p->arena, p->arena_cap << p->page_shift);
	if (p->refs)
		munmap(p->refs, p->arena_cap * sizeof(*p->refs));
	free(p->free_pages);
	free(p->pending);
	free(p->share);
	free(p->live);
	free(p->chunk_released);
	free(p->words);
	memset(p, 0, sizeof(*p));
}

static void *
arena_page(const struct phys *p, uint64_t idx)
{
	return p->arena + (idx << p->page_shift);
}

static int
push(uint32_t **v, uint64_t *n, uint64_t *max, uint64_t x)
{
	if (*n == *max) {
		uint64_t m = *max ? *max * 2 : 1024;
		uint32_t *q = realloc(*v, m * sizeof(*q));

		if (!q)
			return -ENOMEM;
		*v = q;
		*max = m;
	}
	(*v)[(*n)++] = (uint32_t)x;
	return 0;
}

/*
 * A host page for a frame. @zero: it must read as zeros (fresh pages do;
 * reused ones are cleared). Host memory running out here is the host's
 * problem, as a page fault would be: there is no error to return.
 */
static uint64_t
arena_alloc(struct phys *p, bool zero)
{
	uint64_t idx;

	if (!p->nr_free && p->arena_top == p->arena_cap)
		phys_reclaim(p, false);
	if (p->nr_free) {
		idx = p->free_pages[--p->nr_free];
		if (p->nr_free < p->nr_trimmed)
			p->nr_trimmed = p->nr_free;
		if (p->chunk_released[idx >> chunk_shift(p)])
			p->chunk_released[idx >> chunk_shift(p)] = 0; /* fresh zeros */
		else if (zero)
			memset(arena_page(p, idx), 0, p->page_size);
		return idx;
	}
	if (p->arena_top == p->arena_cap)
		abort(); /* more pages live than frames plus every TLB entry */
	return p->arena_top++;
}

/*
 * Leaves come densely from a pool of their own, advised for huge pages,
 * and freed ones are reused: a 1 TiB pool grow touches thousands.
 */
static struct phys_leaf *
leaf_get(struct phys *p, uint64_t pfn)
{
	uint64_t i = (pfn - p->base_pfn) >> PHYS_LEAF_SHIFT;
	struct phys_leaf *l = p->leaf[i];

	if (l)
		return l;
	if (p->leaf_free) {
		l = p->leaf_free;
		p->leaf_free = *(struct phys_leaf **)l;
		memset(l, 0, sizeof(*l));
	} else {
		l = &p->leaf_pool[p->leaf_top++]; /* fresh zeros */
	}
	p->leaf[i] = l;
	/* A described leaf becomes slots: every one of them lazy. */
	if (p->run[i].first) {
		for (unsigned j = 0; j < PHYS_LEAF_FRAMES; j++)
			l->slot[j] = p->run[i].first + j * p->run[i].step;
		l->nonzero = PHYS_LEAF_FRAMES;
		p->run[i].first = 0;
		p->nr_runs--;
	}
	return l;
}

static void
leaf_put(struct phys *p, uint64_t i)
{
	struct phys_leaf *l = p->leaf[i];

	*(struct phys_leaf **)l = p->leaf_free;
	p->leaf_free = l;
	p->leaf[i] = NULL;
}

static void
slot_set(struct phys_leaf *l, uint64_t *s, uint64_t v)
{
	l->nonzero += (*s == 0) - (v == 0);
	*s = v;
}

/*
 * Frame @pfn's slot @s (of leaf @l) becomes @v: its bytes move. If a
 * shared copy was read, the TLB is told once the slot says where they
 * are now (phys_filler.unshare).
 */
static void
slot_move(struct phys *p, struct phys_leaf *l, uint64_t *s, uint64_t pfn,
	  uint64_t v)
{
	uint64_t was = *s;

	slot_set(l, s, v);
	if ((was & PHYS_SHARED_SEEN) && p->filler.unshare)
		p->filler.unshare(p->filler.ctx, pfn);
}

/* The shared read-only copy of a payload's bytes. */
static const void *
share_get(struct phys *p, uint64_t pfn, uint64_t payload)
{
	for (unsigned i = 0; i < p->nr_share; i++)
		if (p->share[i].payload == payload)
			return arena_page(p, p->share[i].page);
	if (p->nr_share == p->max_share) {
		unsigned m = p->max_share ? p->max_share * 2 : 8;
		struct phys_share *s = realloc(p->share, m * sizeof(*s));

		if (!s)
			return NULL;
		p->share = s;
		p->max_share = m;
	}
	p->share[p->nr_share].payload = payload;
	p->share[p->nr_share].page = (uint32_t)arena_alloc(p, false);
	p->filler.fill(p->filler.ctx, pfn, payload,
		       arena_page(p, p->share[p->nr_share].page));
	return arena_page(p, p->share[p->nr_share++].page);
}

static void
words_fill(const struct phys *p, uint64_t idx, void *host);

void *
phys_host_slow(struct phys *p, uint64_t pa, bool write, bool *own)
{
	uint64_t pfn = pa >> p->page_shift, off = pa & (p->page_size - 1);
	struct phys_leaf *l = leaf_get(p, pfn);
	uint64_t *s = phys_leaf_slot(p, l, pfn);
	uint64_t v = *s, idx;
	unsigned tag = v & PHYS_TAG_MASK;

	if (tag == PHYS_HOST) {
		/* A page shared by copy_page(): reads share it, a write to a
		 * page still shared copies it first. */
		idx = v >> 3;
		if (!write && p->refs[idx]) {
			if (own)
				*own = false;
			return (uint8_t *)arena_page(p, idx) + off;
		}
		if (p->refs[idx]) {
			uint64_t copy = arena_alloc(p, false);

			memcpy(arena_page(p, copy), arena_page(p, idx), p->page_size);
			p->refs[idx]--;
			slot_set(l, s, (copy << 3) | PHYS_HOST);
			if (p->filler.unshare)
				p->filler.unshare(p->filler.ctx, pfn);
			idx = copy;
		}
		slot_set(l, s, (idx << 3) | PHYS_HOST);
		if (own)
			*own = true;
		return (uint8_t *)arena_page(p, idx) + off;
	}
	if (!write) {
		const void *shared = NULL;

		if (tag == PHYS_ZERO)
			shared = arena_page(p, p->zero_page);
		else if (tag == PHYS_LAZY && p->filler.shareable && p->filler.fill &&
			 p->filler.shareable(p->filler.ctx, v >> 3))
			shared = share_get(p, pfn, v >> 3);
		if (shared) {
			slot_set(l, s, v | PHYS_SHARED_SEEN);
			if (own)
				*own = false;
			return (uint8_t *)shared + off;
		}
	}
	/* The frame gets its own page. */
	idx = arena_alloc(p, tag == PHYS_ZERO || tag == PHYS_WORDS ||
			     !p->filler.fill);
	if (tag == PHYS_WORDS)
		words_fill(p, v >> 3, arena_page(p, idx));
	else if (tag == PHYS_LAZY && p->filler.fill)
		p->filler.fill(p->filler.ctx, pfn, v >> 3, arena_page(p, idx));
	slot_set(l, s, (idx << 3) | PHYS_HOST);
	p->nr_host++;
	if ((v & PHYS_SHARED_SEEN) && p->filler.unshare)
		p->filler.unshare(p->filler.ctx, pfn);
	if (own)
		*own = true;
	return (uint8_t *)arena_page(p, idx) + off;
}

bool
phys_set_lazy_slow(struct phys *p, uint64_t pfn, uint64_t payload)
{
	struct phys_leaf *l = leaf_get(p, pfn);
	uint64_t *s = phys_leaf_slot(p, l, pfn);

	if ((*s & PHYS_TAG_MASK) == PHYS_HOST)
		return false;
	slot_move(p, l, s, pfn, (payload << 3) | PHYS_LAZY);
	return true;
}

bool
phys_set_lazy_leaf(struct phys *p, uint64_t pfn, uint64_t payload,
		   uint64_t stride)
{
	uint64_t i = (pfn - p->base_pfn) >> PHYS_LEAF_SHIFT;

	if (!phys_leaf_aligned(p, pfn) ||
	    pfn - p->base_pfn + PHYS_LEAF_FRAMES > p->nr_frames ||
	    p->leaf[i] || p->run[i].first)
		return false;
	p->run[i].first = (payload << 3) | PHYS_LAZY;
	p->run[i].step = stride << 3;
	p->nr_runs++;
	return true;
}

bool
phys_lazy_payload(const struct phys *p, uint64_t pfn, uint64_t *payload)
{
	uint64_t v = phys_slot_value(p, pfn);

	if ((v & PHYS_TAG_MASK) != PHYS_LAZY)
		return false;
	*payload = v >> 3;
	return true;
}

bool
phys_lazy_word(struct phys *p, uint64_t pa, bool write, uint64_t *val)
{
	uint64_t pfn = pa >> p->page_shift, payload;
	struct phys_leaf *l;
	uint64_t *s;

	if ((pa & 7) || !phys_lazy_words(p, pa))
		return false;
	payload = phys_slot_value(p, pfn) >> 3;
	if (!p->filler.word(p->filler.ctx, pfn, &payload,
			    (unsigned)((pa & (p->page_size - 1)) / 8), write, val))
		return false;
	if (write) {
		l = leaf_get(p, pfn);
		s = phys_leaf_slot(p, l, pfn);
		slot_set(l, s, (payload << 3) | PHYS_LAZY);
	}
	return true;
}

/*
 * Drop a frame's page: a page another frame shares stays theirs; else it
 * waits until no TLB entry can reach it.
 */
static bool
drop_host(struct phys *p, uint64_t v)
{
	uint64_t idx = v >> 3;

	p->nr_host--;
	if ((v & PHYS_SHARED_SEEN) && p->refs[idx]) {
		p->refs[idx]--;
		return false;
	}
	/* On failure the page is leaked to the arena, never reused: harmless. */
	push(&p->pending, &p->nr_pending, &p->max_pending, idx);
	return true;
}

void
phys_copy_frame_slow(struct phys *p, uint64_t to, uint64_t from, bool share)
{
	const uint64_t *fs, *ts;
	uint64_t fv;

	/* Described leaves first become slots: the code below reads slots. */
	if (!phys_slot(p, from) && phys_slot_value(p, from))
		leaf_get(p, from);
	if (!phys_slot(p, to) && phys_slot_value(p, to))
		leaf_get(p, to);
	fs = phys_slot(p, from);
	ts = phys_slot(p, to);
	fv = fs ? *fs : 0;
	unsigned ftag = fv & PHYS_TAG_MASK;

	/* A description of words is one frame's: the copy gets the bytes. */
	if (ftag == PHYS_WORDS) {
		void *h = phys_to_host(p, to << p->page_shift);

		memset(h, 0, p->page_size);
		words_fill(p, fv >> 3, h);
		return;
	}
	if (ftag != PHYS_HOST && (!ts || (*ts & PHYS_TAG_MASK) != PHYS_HOST)) {
		if (ftag == PHYS_LAZY) {
			phys_set_lazy(p, to, fv >> 3);
		} else {
			struct phys_leaf *l = leaf_get(p, to);
			uint64_t *s = phys_leaf_slot(p, l, to);

			slot_move(p, l, s, to, PHYS_ZERO);
		}
		return;
	}
	if (share && ftag == PHYS_HOST &&
	    (!ts || (*ts & PHYS_TAG_MASK) != PHYS_HOST) &&
	    p->refs[fv >> 3] < UINT16_MAX) {
		struct phys_leaf *fl = leaf_get(p, from), *tl = leaf_get(p, to);
		uint64_t *f = phys_leaf_slot(p, fl, from);
		uint64_t *t = phys_leaf_slot(p, tl, to);

		p->refs[fv >> 3]++;
		p->nr_host++;
		slot_set(fl, f, fv | PHYS_SHARED_SEEN);
		slot_move(p, tl, t, to, fv | PHYS_SHARED_SEEN);
		return;
	}
	memcpy(phys_to_host(p, to << p->page_shift),
	       phys_to_host_ro(p, from << p->page_shift, NULL), p->page_size);
}

/* Forget frame @pfn of leaf @l (which holds something): 1 if its host page went. */
static inline uint64_t
release_slot(struct phys *p, struct phys_leaf *l, uint64_t pfn)
{
	uint64_t *s = phys_leaf_slot(p, l, pfn);
	uint64_t dropped = 0;

	if ((*s & PHYS_TAG_MASK) == PHYS_HOST)
		dropped = drop_host(p, *s);
	slot_set(l, s, 0);
	return dropped;
}

uint64_t
phys_release(struct phys *p, uint64_t pa, uint64_t len)
{
	uint64_t pfn = pa >> p->page_shift, end = (pa + len) >> p->page_shift;
	uint64_t dropped = 0;

	/* One frame, the common case (every order-0 free): no loop. */
	if (end == pfn + 1) {
		uint64_t i = pfn - p->base_pfn;
		struct phys_leaf *l = p->leaf[i >> PHYS_LEAF_SHIFT];

		if (!l && p->run[i >> PHYS_LEAF_SHIFT].first)
			l = leaf_get(p, pfn);

		if (l && l->nonzero)
			dropped = release_slot(p, l, pfn);
		if (l && !l->nonzero)
			leaf_put(p, i >> PHYS_LEAF_SHIFT);
		goto out;
	}
	while (pfn < end) {
		uint64_t i = pfn - p->base_pfn;
		uint64_t next = ((i >> PHYS_LEAF_SHIFT) + 1) << PHYS_LEAF_SHIFT;
		struct phys_leaf *l = p->leaf[i >> PHYS_LEAF_SHIFT];
		struct phys_run *r = &p->run[i >> PHYS_LEAF_SHIFT];

		next += p->base_pfn;
		if (next > end)
			next = end;
		/* A described leaf freed whole is forgotten; in part, it
		 * becomes slots first. */
		if (!l && r->first) {
			if (next - pfn == PHYS_LEAF_FRAMES) {
				r->first = 0;
				p->nr_runs--;
			} else {
				l = leaf_get(p, pfn);
			}
		}
		for (; l && l->nonzero && pfn < next; pfn++)
			dropped += release_slot(p, l, pfn);
		if (l && !l->nonzero)
			leaf_put(p, i >> PHYS_LEAF_SHIFT);
		pfn = next;
	}
out:
	if (p->nr_pending >= PHYS_PENDING_SCAN)
		phys_reclaim(p, false);
	return dropped;
}

/* The slot of arena page @idx in the live set: its own, or the empty one. */
static uint64_t
live_slot(const uint32_t *set, uint64_t cap, uint64_t idx)
{
	uint64_t i = (idx * UINT64_C(0x9e3779b97f4a7c15)) >> 32 & (cap - 1);

	while (set[i] && set[i] != idx + 1)
		i = (i + 1) & (cap - 1);
	return i;
}

static bool
live_has(const struct phys *p, uint64_t idx)
{
	return p->nr_live && p->live[live_slot(p->live, p->live_cap, idx)];
}

/* Double the live set's room; false (the set as it was) without memory. */
static bool
live_grow(struct phys *p)
{
	uint64_t cap = p->live_cap ? 2 * p->live_cap : 64;
	uint32_t *set = calloc(cap, sizeof(*set));

	if (!set)
		return false;
	for (uint64_t i = 0; i < p->live_cap; i++)
		if (p->live[i])
			set[live_slot(set, cap, p->live[i] - 1)] = p->live[i];
	free(p->live);
	p->live = set;
	p->live_cap = cap;
	return true;
}

uint64_t
phys_release_host(struct phys *p, struct phys_leaf *l, uint64_t *s)
{
	uint64_t dropped = drop_host(p, *s);

	slot_set(l, s, PHYS_ZERO);
	return dropped;
}

void
phys_mark_live(struct phys *p, const void *host)
{
	const uint8_t *h = host;
	uint64_t idx, i;

	if (h < p->arena || h >= p->arena + (p->arena_cap << p->page_shift))
		return;
	if (2 * (p->nr_live + 1) > p->live_cap && !live_grow(p))
		return;
	idx = (uint64_t)(h - p->arena) >> p->page_shift;
	i = live_slot(p->live, p->live_cap, idx);
	if (!p->live[i]) {
		p->live[i] = (uint32_t)(idx + 1);
		p->nr_live++;
	}
}

/*
 * Give whole free 2 MiB pieces of the arena back to the host. They stay on
 * the free list, at its bottom: reused last, each refaulted as a fresh
 * huge page.
 */
static void
arena_trim(struct phys *p)
{
	unsigned cs = chunk_shift(p);
	uint64_t nchunks = (p->arena_top + (UINT64_C(1) << cs) - 1) >> cs;
	uint32_t *cnt = calloc(nchunks, sizeof(*cnt));
	uint32_t *out;
	uint64_t n = 0, full = 0;

	if (!cnt)
		return;
	out = malloc(p->nr_free * sizeof(*out));
	if (!out) {
		free(cnt);
		return;
	}
	for (uint64_t i = 0; i < p->nr_free; i++)
		cnt[p->free_pages[i] >> cs]++;
	/* Whole free chunks first (the bottom of the stack)... */
	for (uint64_t c = 0; c < nchunks; c++) {
		uint64_t first = c << cs;

		if (cnt[c] != (UINT32_C(1) << cs))
			continue;
		if (!p->chunk_released[c]) {
			madvise(arena_page(p, first), p->page_size << cs,
				MADV_DONTNEED);
			p->chunk_released[c] = 1;
			p->released += UINT64_C(1) << cs;
		}
		for (uint64_t k = 0; k < (UINT64_C(1) << cs); k++)
			out[n++] = (uint32_t)(first + k);
		full++;
	}
	/* ...then the rest, in the order they were freed. */
	for (uint64_t i = 0; i < p->nr_free; i++)
		if (cnt[p->free_pages[i] >> cs] != (UINT32_C(1) << cs))
			out[n++] = p->free_pages[i];
	memcpy(p->free_pages, out, n * sizeof(*out));
	p->nr_trimmed = full << cs;
	free(out);
	free(cnt);
}

void
phys_reclaim(struct phys *p, bool tlb_empty)
{
	uint64_t keep = 0;

	if (!p->nr_pending)
		return;
	if (p->nr_live)
		memset(p->live, 0, p->live_cap * sizeof(*p->live));
	p->nr_live = 0;
	if (!tlb_empty && p->filler.live)
		p->filler.live(p->filler.ctx);
	for (uint64_t i = 0; i < p->nr_pending; i++) {
		uint64_t idx = p->pending[i];

		if (live_has(p, idx)) {
			p->pending[keep++] = (uint32_t)idx;
			continue;
		}
		if (push(&p->free_pages, &p->nr_free, &p->max_free, idx))
			p->pending[keep++] = (uint32_t)idx;
		else
			p->freed_since_trim++;
	}
	p->nr_pending = keep;
	/*
	 * Much of the arena idle: hand whole huge pages of it back. A trim
	 * looks at the whole free list, so it waits until a quarter of that
	 * list is new: the pages a trim leaves (parts of huge pages) would
	 * otherwise start one at every reclaim, and a big machine's shrink
	 * spent its time there.
	 */
	if (p->nr_free - p->nr_trimmed >= (UINT64_C(1) << 15) &&
	    (p->nr_free - p->nr_trimmed) * 4 >= p->arena_top &&
	    p->freed_since_trim * 4 >= p->nr_free) {
		arena_trim(p);
		p->freed_since_trim = 0;
		p->nr_trims++;
	}
}

/* The description a PHYS_WORDS slot names. */
static struct phys_words *
words_at(const struct phys *p, uint64_t idx)
{
	return &p->words[idx];
}

/* A described frame's bytes, into a page that reads as zeros. */
static void
words_fill(const struct phys *p, uint64_t idx, void *host)
{
	const struct phys_words *w = words_at(p, idx);
	uint64_t *e = host;

	for (uint64_t j = w->lo; j < w->hi; j++)
		e[j] = w->first + j * w->step;
	if (w->x != PHYS_WORDS_NONE)
		e[w->x] = w->xval;
}

const struct phys_words *
phys_words_of(const struct phys *p, uint64_t pfn)
{
	uint64_t v = phys_slot_value(p, pfn);

	if ((v & PHYS_TAG_MASK) != PHYS_WORDS)
		return NULL;
	return words_at(p, v >> 3);
}

/* A new description, empty: its index, or -1 without host memory. */
static int64_t
words_new(struct phys *p)
{
	if (p->nr_words == p->max_words) {
		uint64_t m = p->max_words ? p->max_words * 2 : 256;
		struct phys_words *w = realloc(p->words, m * sizeof(*w));

		if (!w)
			return -1;
		p->words = w;
		p->max_words = m;
	}
	p->words[p->nr_words] = (struct phys_words){ .x = PHYS_WORDS_NONE };
	return (int64_t)p->nr_words++;
}

/* @w's run becomes [j, j + n) = v0 + k * step; the word apart stays. */
static void
words_restart(struct phys_words *w, uint64_t j, uint64_t n, uint64_t v0,
	      uint64_t step)
{
	w->lo = (uint32_t)j;
	w->hi = (uint32_t)(j + n);
	w->step = step;
	w->first = v0 - j * step;
	if (w->x != PHYS_WORDS_NONE && w->x >= j && w->x - j < n)
		w->x = PHYS_WORDS_NONE;
}

/*
 * Whether @w can take words [j, j + n) = v0 + k * step (for one word,
 * @step is unknown: the run's own, or set by the word); if so it does.
 * A table filled entry by entry comes as one entry, then the rest in the
 * same step; its first entry may be the odd one out (the table itself was
 * allocated between it and the next page).
 */
static bool
words_take(struct phys_words *w, uint64_t j, uint64_t n, uint64_t v0,
	   uint64_t step)
{
	uint64_t len = w->hi - w->lo;
	bool x_free = w->x == PHYS_WORDS_NONE;

	if (len && j == w->hi) {
		uint64_t last = w->first + (j - 1) * w->step, s = v0 - last;

		/* The run goes on. */
		if ((n == 1 || step == s) && (len == 1 || s == w->step)) {
			words_restart(w, w->lo, len + n,
				      w->first + w->lo * w->step, s);
			return true;
		}
		/* Its first word was the odd one: it goes apart. */
		if (x_free && len == 1) {
			w->x = w->lo;
			w->xval = last;
			words_restart(w, j, n, v0, n == 1 ? 0 : step);
			return true;
		}
		if (x_free && len == 2 && n == 1) {
			w->x = w->lo;
			w->xval = w->first + w->lo * w->step;
			words_restart(w, w->lo + 1, 2, last, s);
			return true;
		}
	}
	if (!len) {
		words_restart(w, j, n, v0, n == 1 ? 0 : step);
		return true;
	}
	/* One word beside the run: the word apart. */
	if (n == 1 && (x_free || w->x == j) && (j < w->lo || j >= w->hi)) {
		w->x = (uint32_t)j;
		w->xval = v0;
		return true;
	}
	return false;
}

bool
phys_words_store(struct phys *p, uint64_t pa, uint64_t n, uint64_t v0,
		 uint64_t step)
{
	uint64_t pfn = pa >> p->page_shift;
	uint64_t j = (pa & (p->page_size - 1)) / 8, v;
	int64_t idx;
	struct phys_leaf *l;
	uint64_t *s;

	if (!n || j + n > p->page_size / 8)
		return false;
	v = phys_slot_value(p, pfn);
	if ((v & PHYS_TAG_MASK) == PHYS_WORDS)
		return words_take(words_at(p, v >> 3), j, n, v0, step);
	if ((v & PHYS_TAG_MASK) != PHYS_ZERO)
		return false;
	/* A zero frame: storing zeros changes nothing. */
	if (v0 == 0 && (n == 1 || step == 0))
		return true;
	idx = words_new(p);
	if (idx < 0 || !words_take(words_at(p, (uint64_t)idx), j, n, v0, step))
		return false;
	l = leaf_get(p, pfn);
	s = phys_leaf_slot(p, l, pfn);
	slot_move(p, l, s, pfn, ((uint64_t)idx << 3) | PHYS_WORDS);
	return true;
}

uint64_t
phys_peek64_slow(struct phys *p, uint64_t pa)
{
	const struct phys_words *w = phys_words_of(p, pa >> p->page_shift);
	uint64_t v;

	if (w)
		return phys_words_get(w, (pa & (p->page_size - 1)) / 8);
	memcpy(&v, phys_to_host_ro(p, pa, NULL), sizeof(v));
	return v;
}

void
phys_clear_frame(struct phys *p, uint64_t pfn)
{
	uint64_t v = phys_slot_value(p, pfn);
	struct phys_leaf *l;
	uint64_t *s;

	if ((v & PHYS_TAG_MASK) == PHYS_HOST) {
		memset(phys_to_host(p, pfn << p->page_shift), 0, p->page_size);
		return;
	}
	if (v == PHYS_ZERO)
		return;
	l = leaf_get(p, pfn);
	s = phys_leaf_slot(p, l, pfn);
	slot_move(p, l, s, pfn, PHYS_ZERO);
	if (!l->nonzero)
		leaf_put(p, (pfn - p->base_pfn) >> PHYS_LEAF_SHIFT);
}
