/* SPDX-License-Identifier: MIT */
/*
 * Simulated physical memory.
 *
 * A frame's bytes live in a host page only once the simulated kernel
 * writes it. Until then a frame is either zero, or "lazy": its content is
 * known by a description (a payload) that the owner of the memory knows
 * how to fill, such as "struct pages fresh from __init_single_page() for
 * pfns p .. p + 63". A lazy frame that is freed before anyone touches it
 * never costs the host anything: that is how a 1 TiB machine can
 * initialize, then remap and free, 16 GiB of struct pages.
 *
 * Host pages come from one arena, advised for transparent huge pages, and
 * are reused as soon as no TLB entry can still see them. Reads of a zero
 * or shareable lazy frame see one shared read-only copy; a write gets the
 * frame its own page (copy-on-write, as the kernel's zero page).
 *
 * Only the simulated kernel's metadata is ever written (page tables,
 * struct pages); hugepage contents never are.
 */
#ifndef HVO_PHYS_H
#define HVO_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hvo/hvo.h"

#define PHYS_LEAF_SHIFT 9
#define PHYS_LEAF_FRAMES (1u << PHYS_LEAF_SHIFT)

/* Slot tags: what a frame is now. */
#define PHYS_ZERO	0u  /* never written: reads as zeros */
#define PHYS_HOST	1u  /* a host page: slot >> 3 is the arena index */
#define PHYS_LAZY	2u  /* known content: slot >> 3 is the payload */
#define PHYS_WORDS	3u  /* words described by phys: slot >> 3 indexes
			     * its struct phys_words */
#define PHYS_TAG_MASK	3u
#define PHYS_SHARED_SEEN 4u /* ZERO/LAZY: a shared copy was handed out;
			     * HOST: the page may be another frame's too */
/* A frame with a page of its own, shared with none: the fast path. */
#define PHYS_OWN_MASK	(PHYS_TAG_MASK | PHYS_SHARED_SEEN)

struct phys_leaf {
	uint64_t slot[PHYS_LEAF_FRAMES];
	uint32_t nonzero; /* slots that are not plain PHYS_ZERO */
};

/*
 * A leaf of lazy frames described whole, before any of them is touched:
 * frame j of the leaf holds slot value first + j * step. The struct pages
 * of consecutive vmemmap pages differ only by the pfn their fix-ups name,
 * so the memmap of a reserved petabyte costs 16 bytes per 512 frames, not
 * a slot per frame. first is 0 when the leaf has no run. The leaf becomes
 * slots the first time one of its frames is touched.
 */
struct phys_run {
	uint64_t first, step;
};

/*
 * A frame of 64-bit words described as an arithmetic run, before any of
 * its words is read through the host: word j is first + j * step for j in
 * [lo, hi), xval for j == x (one word apart from the run), zero elsewhere.
 * A page table filled entry after entry with pages allocated one after
 * another (the vmemmap of a petabyte mapped page by page) is one of
 * these, not a page of host memory. Its slot is tagged PHYS_WORDS;
 * phys fills it itself when the frame gets a page.
 */
struct phys_words {
	uint64_t first, step, xval;
	uint32_t lo, hi, x;
};

#define PHYS_WORDS_NONE UINT32_MAX

/*
 * How the owner of the memory fills a lazy frame: write the bytes the
 * payload stands for at @host (one page). The bytes must depend on the
 * payload alone, never on the frame: copy_page() of a lazy frame copies its
 * payload. @shareable: whether one read-only copy may serve every frame
 * with that payload (keep those payloads few: each gets a copy for good).
 */
struct phys_filler {
	void (*fill)(void *ctx, uint64_t pfn, uint64_t payload, void *host);
	bool (*shareable)(void *ctx, uint64_t payload);
	/* The same bytes as @fill, for a reader that keeps them in a page
	 * of its own (the checker): the frame stays described. Optional. */
	void (*peek)(void *ctx, uint64_t pfn, uint64_t payload, void *host);
	/*
	 * One 8-byte word @j of a frame with @payload, the frame staying
	 * described: a load into *@val, or a store of *@val that leaves the
	 * payload the new bytes have in *@payload. False if this payload's
	 * owner cannot (the frame then gets its page). Optional.
	 */
	bool (*word)(void *ctx, uint64_t pfn, uint64_t *payload, unsigned j,
		     bool write, uint64_t *val);
	/*
	 * A frame read through a shared copy (or a page it shared) is no
	 * longer there: it has a page of its own, or other bytes. Called
	 * once its slot says where it is now; cached translations of it
	 * (the TLB) must not read the old copy.
	 */
	void (*unshare)(void *ctx, uint64_t pfn);
	/* Which host pages cached translations may still reach: call
	 * phys_mark_live() for each. */
	void (*live)(void *ctx);
	void *ctx;
};

struct phys {
	uint64_t lo, hi;        /* span of RAM: [lo, hi) */
	uint64_t base_pfn, nr_frames;
	unsigned page_shift;
	uint64_t page_size;
	unsigned nr_ranges;
	/* sorted, disjoint, never touching: touching ranges are merged */
	struct hvo_mem_range range[HVO_MAX_MEM_RANGES];
	uint64_t total_pages;

	struct phys_leaf **leaf;     /* nr_frames >> PHYS_LEAF_SHIFT, rounded up */
	struct phys_run *run;        /* per leaf, for leaves without slots */
	uint64_t nr_runs;
	struct phys_words *words;    /* frames described as runs of words */
	uint64_t nr_words, max_words;
	struct phys_leaf *leaf_pool; /* where leaves come from */
	uint64_t leaf_top;
	struct phys_leaf *leaf_free; /* freed leaves, linked through slot[0] */
	uint8_t *arena;              /* host pages */
	uint64_t arena_cap;          /* pages of address space */
	uint64_t arena_top;          /* pages ever handed out */
	uint16_t *refs;              /* per arena page: frames sharing it, - 1 */
	uint32_t *free_pages;        /* arena pages ready for reuse */
	uint64_t nr_free, max_free;
	uint32_t *pending;           /* dropped, may still be in a TLB */
	uint64_t nr_pending, max_pending;
	uint64_t nr_host;            /* frames with their own page */
	uint64_t zero_page;          /* arena index of the shared zeros */
	struct phys_share {          /* shared read-only copies of lazy frames */
		uint64_t payload;
		uint32_t page;
	} *share;
	unsigned nr_share, max_share;
	struct phys_filler filler;
	/*
	 * phys_mark_live() during a reclaim: a set of arena pages (index + 1,
	 * 0 empty; open addressing, at most half full), not a sorted list:
	 * a reclaim comes every few hundred hugepages of a big resize.
	 */
	uint32_t *live;
	uint64_t nr_live, live_cap;
	uint8_t *chunk_released;     /* per 2 MiB of arena: given back, all free */
	uint64_t nr_trimmed;         /* the free list's bottom: given back */
	uint64_t released;           /* host pages given back (trims) */
	uint64_t freed_since_trim;   /* pushed on the free list since */
	uint64_t nr_trims;           /* arena trims (statistics) */
};

/*
 * Reserve host address space for the ranges (sorted and disjoint; those
 * that touch become one). 0, -EINVAL or -ENOMEM.
 */
int
phys_init(struct phys *p, const struct hvo_mem_range *ranges,
	  unsigned nr_ranges, unsigned page_shift);

void
phys_fini(struct phys *p);

/*
 * The RAM range holding @pa, or NULL; and whether [pa, pa + len) is RAM
 * (inside one range). Inline: the buddy allocator asks it of every page
 * it frees and every buddy it looks at.
 */
static inline const struct hvo_mem_range *
phys_range_of(const struct phys *p, uint64_t pa)
{
	for (unsigned i = 0; i < p->nr_ranges; i++) {
		const struct hvo_mem_range *r = &p->range[i];

		if (pa >= r->base && pa - r->base < r->size)
			return r;
	}
	return NULL;
}

static inline bool
phys_is_ram(const struct phys *p, uint64_t pa, uint64_t len)
{
	const struct hvo_mem_range *r;

	/* RAM in one piece, as most machines have it: its span is the range. */
	if (p->nr_ranges == 1)
		return pa - p->lo < p->hi - p->lo && len <= p->hi - pa;
	r = phys_range_of(p, pa);

	return r && len <= r->size - (pa - r->base);
}

/*
 * Whether the @nr frames from @pfn are RAM (inside one range). A pfn or a
 * count too large for its address to fit in 64 bits is not: shifted, it
 * would wrap onto RAM.
 */
static inline bool
pfn_range_valid(const struct phys *p, uint64_t pfn, uint64_t nr)
{
	if (pfn < p->base_pfn || pfn - p->base_pfn >= p->nr_frames ||
	    nr > p->nr_frames - (pfn - p->base_pfn))
		return false;
	return phys_is_ram(p, pfn << p->page_shift, nr << p->page_shift);
}

static inline bool
pfn_valid(const struct phys *p, uint64_t pfn)
{
	return pfn_range_valid(p, pfn, 1);
}

/* @pfn's slot in its leaf @l. */
static inline uint64_t *
phys_leaf_slot(const struct phys *p, struct phys_leaf *l, uint64_t pfn)
{
	return &l->slot[(pfn - p->base_pfn) & (PHYS_LEAF_FRAMES - 1)];
}

/*
 * @pfn's slot, or NULL if its leaf has none yet: the frame is zero, or
 * described by its leaf's run (phys_slot_value() tells).
 */
static inline uint64_t *
phys_slot(const struct phys *p, uint64_t pfn)
{
	struct phys_leaf *l = p->leaf[(pfn - p->base_pfn) >> PHYS_LEAF_SHIFT];

	return l ? phys_leaf_slot(p, l, pfn) : NULL;
}

/* What @pfn's slot holds, whether its leaf has slots or a run. */
static inline uint64_t
phys_slot_value(const struct phys *p, uint64_t pfn)
{
	uint64_t i = (pfn - p->base_pfn) >> PHYS_LEAF_SHIFT;
	const struct phys_leaf *l = p->leaf[i];

	if (l)
		return l->slot[(pfn - p->base_pfn) & (PHYS_LEAF_FRAMES - 1)];
	if (!p->run[i].first)
		return PHYS_ZERO;
	return p->run[i].first +
	       ((pfn - p->base_pfn) & (PHYS_LEAF_FRAMES - 1)) * p->run[i].step;
}

/* Whether @pfn is the first frame of a leaf. */
static inline bool
phys_leaf_aligned(const struct phys *p, uint64_t pfn)
{
	return ((pfn - p->base_pfn) & (PHYS_LEAF_FRAMES - 1)) == 0;
}

void *
phys_host_slow(struct phys *p, uint64_t pa, bool write, bool *own);

/* The host page of a frame whose slot @s holds one. */
static inline uint8_t *
phys_host_page(const struct phys *p, uint64_t s)
{
	return p->arena + ((s >> 3) << p->page_shift);
}

/* Where @pa's byte is, for a frame whose slot @s holds a host page. */
static inline uint8_t *
phys_host_of(const struct phys *p, uint64_t s, uint64_t pa)
{
	return phys_host_page(p, s) + (pa & (p->page_size - 1));
}

/* A hint for loops that know which frames they touch next: @pfn's slot. */
static inline void
phys_prefetch_slot(const struct phys *p, uint64_t pfn)
{
	const uint64_t *s = phys_slot(p, pfn);

	if (s)
		__builtin_prefetch(s);
}

/*
 * Another: the host bytes of @pa if its frame already has a host page,
 * NULL otherwise (nothing is filled or counted).
 */
static inline const uint8_t *
phys_host_hint(const struct phys *p, uint64_t pa)
{
	const uint64_t *s = phys_slot(p, pa >> p->page_shift);

	if (!s || (*s & PHYS_TAG_MASK) != PHYS_HOST)
		return NULL;
	return phys_host_of(p, *s, pa);
}

/*
 * Host address of @pa for writing if its frame has a page of its own,
 * else NULL (nothing is filled).
 */
static inline void *
phys_host_own(const struct phys *p, uint64_t pa)
{
	const uint64_t *s = phys_slot(p, pa >> p->page_shift);

	if (s && (*s & PHYS_OWN_MASK) == PHYS_HOST)
		return phys_host_of(p, *s, pa);
	return NULL;
}

/*
 * Host address of @pa (RAM) for writing: the frame gets its own page
 * (filled from its lazy content, or zeroed) if it has none.
 */
static inline void *
phys_to_host(struct phys *p, uint64_t pa)
{
	void *host = phys_host_own(p, pa);

	return host ? host : phys_host_slow(p, pa, true, NULL);
}

/*
 * Whether slot @s holds a page copy_page() shared that no other frame
 * shares any more (refs 0: the others were freed); if so, it is the
 * frame's own again, as phys_host_slow() would make it. Inline: restore
 * frees the old head frame, and the first load of the new one comes here.
 */
static inline bool
phys_host_alone(const struct phys *p, uint64_t *s)
{
	if ((*s & PHYS_OWN_MASK) != (PHYS_HOST | PHYS_SHARED_SEEN) ||
	    p->refs[*s >> 3])
		return false;
	*s &= ~(uint64_t)PHYS_SHARED_SEEN;
	return true;
}

/*
 * Host address of @pa for reading only. A zero or shareable lazy frame
 * gives a shared copy (*own false): do not write through it.
 */
static inline const void *
phys_to_host_ro(struct phys *p, uint64_t pa, bool *own)
{
	uint64_t *s = phys_slot(p, pa >> p->page_shift);

	if (s && ((*s & PHYS_OWN_MASK) == PHYS_HOST || phys_host_alone(p, s))) {
		if (own)
			*own = true;
		return phys_host_of(p, *s, pa);
	}
	return phys_host_slow(p, pa, false, own);
}

/*
 * Make frame @pfn lazy with @payload, if it has no host page of its own
 * (a page someone may hold a pointer to is never dropped here). Returns
 * whether it did; if not, the caller writes the bytes itself.
 */
bool
phys_set_lazy_slow(struct phys *p, uint64_t pfn, uint64_t payload);

static inline bool
phys_set_lazy(struct phys *p, uint64_t pfn, uint64_t payload)
{
	struct phys_leaf *l = p->leaf[(pfn - p->base_pfn) >> PHYS_LEAF_SHIFT];

	/*
	 * Inline, the common case of a memmap write: a slot whose leaf is
	 * there, with no host page and no shared copy handed out.
	 */
	if (l) {
		uint64_t *s = phys_leaf_slot(p, l, pfn);

		if (!(*s & PHYS_SHARED_SEEN) &&
		    (*s & PHYS_TAG_MASK) != PHYS_HOST) {
			l->nonzero += *s == 0;
			*s = (payload << 3) | PHYS_LAZY;
			return true;
		}
	}
	return phys_set_lazy_slow(p, pfn, payload);
}

/*
 * phys_set_lazy() of the PHYS_LEAF_FRAMES frames from @pfn (the first of
 * a leaf), frame j with payload @payload + j * @stride, as one run. Only
 * for a leaf none of whose frames holds anything yet; returns whether it
 * did (if not, set the frames one by one).
 */
bool
phys_set_lazy_leaf(struct phys *p, uint64_t pfn, uint64_t payload,
		   uint64_t stride);

/* The payload of a lazy frame, or false. */
bool
phys_lazy_payload(const struct phys *p, uint64_t pfn, uint64_t *payload);

/*
 * Whether the frame at @pa is lazy with a payload whose owner answers
 * loads and stores of a word (phys_filler.word): a TLB may then hold it
 * without a host page.
 */
static inline bool
phys_lazy_words(const struct phys *p, uint64_t pa)
{
	return p->filler.word &&
	       (phys_slot_value(p, pa >> p->page_shift) & PHYS_OWN_MASK) ==
	       PHYS_LAZY;
}

/*
 * An aligned 8-byte load (into *@val) or store (of *@val) at @pa of a
 * frame phys_lazy_words() admits, answered by its description, which a
 * store changes: the frame stays without a host page. False if the
 * filler cannot; nothing changed then.
 */
bool
phys_lazy_word(struct phys *p, uint64_t pa, bool write, uint64_t *val);

/* Word @j of a frame described by @w. */
static inline uint64_t
phys_words_get(const struct phys_words *w, uint64_t j)
{
	if (j == w->x)
		return w->xval;
	if (j >= w->lo && j < w->hi)
		return w->first + j * w->step;
	return 0;
}

/* The description of frame @pfn if it is described as words, else NULL. */
const struct phys_words *
phys_words_of(const struct phys *p, uint64_t pfn);

/*
 * Store @n words from the word at @pa (8-byte aligned, inside one frame),
 * word k of them @v0 + k * @step, into the frame's description: a frame
 * that reads as zeros, or one described as words, whose description can
 * take them (the run extended, or one word apart from it). Returns
 * whether it did; if not, the caller writes them through the host
 * (phys_to_host()), which gives the frame its page.
 */
bool
phys_words_store(struct phys *p, uint64_t pa, uint64_t n, uint64_t v0,
		 uint64_t step);

/*
 * The 64-bit word at @pa (8-byte aligned), read without giving a
 * described frame a page of its own.
 */
uint64_t
phys_peek64_slow(struct phys *p, uint64_t pa);

static inline uint64_t
phys_peek64(struct phys *p, uint64_t pa)
{
	uint64_t *s = phys_slot(p, pa >> p->page_shift);
	uint64_t v;

	if (s && (*s & PHYS_OWN_MASK) == PHYS_HOST) {
		memcpy(&v, phys_host_of(p, *s, pa), sizeof(v));
		return v;
	}
	if (s && (*s & PHYS_TAG_MASK) == PHYS_WORDS)
		return phys_words_get(&p->words[*s >> 3],
				      (pa & (p->page_size - 1)) / 8);
	return phys_peek64_slow(p, pa);
}

/*
 * clear_page() of frame @pfn: it reads as zeros. A frame with a page of
 * its own keeps it (someone may hold its address); any other becomes a
 * zero frame, costing no host memory.
 */
void
phys_clear_frame(struct phys *p, uint64_t pfn);

/*
 * copy_page(): frame @to gets @from's bytes. When @to has no page of its
 * own, a lazy or zero source is copied as its description; with @share, a
 * written one by sharing its page until either frame is written
 * (copy-on-write). @share is only for a source nobody will write through
 * a translation cached now: the caller is about to unmap it and flush.
 */
void
phys_copy_frame_slow(struct phys *p, uint64_t to, uint64_t from, bool share);

static inline void
phys_copy_frame(struct phys *p, uint64_t to, uint64_t from, bool share)
{
	uint64_t *fs = phys_slot(p, from);

	/*
	 * Inline, the copy of a lazy frame (a restore's copies of the tail
	 * page): its description, unless @to has a page of its own.
	 */
	if (fs && (*fs & PHYS_TAG_MASK) == PHYS_LAZY &&
	    phys_set_lazy(p, to, *fs >> 3))
		return;
	/*
	 * And a written source shared into a frame whose leaf has slots and
	 * which holds no page and was never read through a shared copy
	 * (HVO's copy of the head vmemmap page into a fresh one): nothing
	 * to unshare, and the source's slot stays nonzero.
	 */
	if (share && fs && (*fs & PHYS_TAG_MASK) == PHYS_HOST &&
	    p->refs[*fs >> 3] < UINT16_MAX) {
		struct phys_leaf *tl =
			p->leaf[(to - p->base_pfn) >> PHYS_LEAF_SHIFT];
		uint64_t *ts = tl ? phys_leaf_slot(p, tl, to) : NULL;

		if (ts && !(*ts & PHYS_SHARED_SEEN) &&
		    (*ts & PHYS_TAG_MASK) != PHYS_HOST) {
			uint64_t fv = *fs | PHYS_SHARED_SEEN;

			p->refs[fv >> 3]++;
			*fs = fv;
			tl->nonzero += *ts == 0;
			*ts = fv;
			p->nr_host++;
			return;
		}
	}
	phys_copy_frame_slow(p, to, from, share);
}

/*
 * The frames of [pa, pa + len) were freed: they read as zeros afterwards
 * and their host pages go back to the arena once no cached translation
 * can reach them. Page aligned. Returns how many host pages that freed (a
 * page another frame still shares is not).
 */
uint64_t
phys_release(struct phys *p, uint64_t pa, uint64_t len);

/* Dropped pages wait for a TLB scan once there are this many. */
#define PHYS_PENDING_SCAN 16384

/* phys_release_frame() of a frame whose slot @s in leaf @l is a host page. */
uint64_t
phys_release_host(struct phys *p, struct phys_leaf *l, uint64_t *s);

/*
 * phys_release() of the one frame @pfn: what an order-0 free does. Inline,
 * the common case without phys_release()'s range arithmetic: the frame's
 * leaf has slots and keeps others (no leaf_put()), and a host page
 * dropped fits the pending list without a reclaim.
 */
static inline uint64_t
phys_release_frame(struct phys *p, uint64_t pfn)
{
	uint64_t i = pfn - p->base_pfn;
	struct phys_leaf *l = p->leaf[i >> PHYS_LEAF_SHIFT];
	uint64_t *s;

	if (!l || l->nonzero < 2 || p->nr_pending + 1 >= PHYS_PENDING_SCAN)
		return phys_release(p, pfn << p->page_shift, p->page_size);
	s = phys_leaf_slot(p, l, pfn);
	if ((*s & PHYS_TAG_MASK) == PHYS_HOST)
		return phys_release_host(p, l, s);
	/* slot_set() of PHYS_ZERO */
	l->nonzero -= *s != 0;
	*s = PHYS_ZERO;
	return 0;
}

/*
 * Every cached translation is gone (flush_tlb_all()), or ask the filler
 * which pages are still live: dropped pages become reusable. Then, if
 * much of the arena is unused, give whole huge pages of it back.
 */
void
phys_reclaim(struct phys *p, bool tlb_empty);

/* From filler.live(): a cached translation still reaches @host. */
void
phys_mark_live(struct phys *p, const void *host);

/* Frames with a host page of their own. */
static inline uint64_t
phys_host_frames(const struct phys *p)
{
	return p->nr_host;
}

#endif /* HVO_PHYS_H */
