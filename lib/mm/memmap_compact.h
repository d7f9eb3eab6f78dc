/* SPDX-License-Identifier: MIT */
/*
 * Compacted vmemmap frames: host memory only, the kernel has no
 * counterpart. A vmemmap frame written as a whole page of host memory,
 * whose struct pages are mostly one template (a hugepage's head vmemmap
 * page: 60 plain tails and the few struct pages hugetlb writes; or the
 * struct pages of freed vmemmap memory), is described instead as a lazy
 * frame: a template payload (mm/page.c) alone if no word differs, else
 * plus the 8-byte words that differ from it, in a record of its own or
 * in a shape many frames share. The first access fills it back, bytes
 * for bytes. Nothing here reads or writes through the simulated MMU, or
 * changes a counter.
 */
#ifndef HVO_MEMMAP_COMPACT_H
#define HVO_MEMMAP_COMPACT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/slab.h"
#include "core/machine.h"
#include "mm/page.h"

/* The template index in a lazy payload that names a compacted frame. */
#define MEMMAP_TPL_COMPACT 0xffu

/* At most this many words may differ from the template. */
#define MEMMAP_COMPACT_MAX_WORDS 256

/* Host bytes of written frames below which nothing is compacted. */
#define MEMMAP_COMPACT_BUDGET (UINT64_C(64) << 20)

/* Frames noted before they are looked at, together. */
#define MEMMAP_COMPACT_PENDING 8192

/*
 * A frame noted: a struct page VA it maps, an alias or UINT64_MAX, and the
 * frame once looked up (UINT64_MAX before).
 */
struct memmap_compact_pend {
	uint64_t va, alias, frame;
};

/*
 * The pages noted, hashed (by vmemmap page and alias), so that each is
 * noted once: a page written again and again (the TLB's log names it at
 * each fill) takes one place.
 */
#define MEMMAP_COMPACT_HASH_BITS 15
#define MEMMAP_COMPACT_HASH (1u << MEMMAP_COMPACT_HASH_BITS)

/* At most a quarter full: linear probing stays near one probe. */
_Static_assert(MEMMAP_COMPACT_HASH >= 4 * MEMMAP_COMPACT_PENDING,
	       "the hash stays at most a quarter full");

/*
 * Shapes: the differing words many pages share, relative to their page
 * (a hugepage's head vmemmap page differs from its tails in the same
 * words, by the same values, wherever it is). A frame described by a
 * shape has no record: its payload names the shape and its vmemmap page.
 * A shape is made for words seen on a second page (MEMMAP_COMPACT_SEEN
 * remembers the first), up to MEMMAP_COMPACT_SHAPES of them, kept until
 * the machine goes.
 */
#define MEMMAP_COMPACT_SHAPE_BITS 12
#define MEMMAP_COMPACT_SHAPES (1u << MEMMAP_COMPACT_SHAPE_BITS)
#define MEMMAP_COMPACT_SEEN 4096u

struct rec;
struct memmap_shape;

/* A template looked up by key (its bytes, the patched fields left out). */
struct memmap_tpl_memo {
	uint8_t key[sizeof(((struct memmap_tpl *)0)->bytes)];
	unsigned nr_tpl; /* the table's size then: 0, nothing known */
	int tid;         /* the answer: an index, or -1 */
};

/*
 * A store into a frame a shape describes, remembered: shape @from with
 * word @j set to @v (no pointer near the page) is shape @to. The same
 * flag set on a batch of hugepage heads, each on its own page, is one
 * lookup, not a record built and hashed each time.
 */
#define MEMMAP_EDIT_MEMO_BITS 6

struct memmap_edit_memo {
	uint64_t v;
	uint32_t from, to; /* shape indices + 1; 0: empty */
	unsigned j;
};

/* How wide the host's vectors a test lets the compaction use. */
enum memmap_host_vec {
	HOST_VEC_ANY,   /* whatever the host CPU has */
	HOST_VEC_AVX2,  /* none wider than 32 bytes */
	HOST_VEC_NONE,  /* none: the scalar loops */
};

struct memmap_compact {
	struct memmap_compact_pend pend[MEMMAP_COMPACT_PENDING];
	unsigned nr_pend;
	unsigned nr_new;    /* noted since the last look */
	unsigned nr_now;    /* memmap_compact_now()'s since its last reclaim */
	/* pend[] by page: the index of a slot is valid if its gen is gen */
	uint16_t hidx[MEMMAP_COMPACT_HASH];
	uint32_t hgen[MEMMAP_COMPACT_HASH];
	uint32_t gen;
	uint64_t own_seen;  /* the TLB's own_n when its log was last read */
	struct rec **rec;   /* per record index: the record, or NULL */
	uint64_t nr, max;   /* indices handed out, room */
	uint64_t *free_idx; /* indices free for reuse */
	uint64_t nr_free, max_free;
	uint64_t live;      /* records in use */
	uint64_t gc_at;     /* look for records nobody names at this many */
	uint64_t bytes;     /* host bytes the records hold */
	uint64_t budget;    /* MEMMAP_COMPACT_BUDGET, or what a test set */
	uint8_t *scratch;   /* a template filled, to compare; a record built */
	uint64_t scratch_payload; /* the template payload filled there */
	struct memmap_shape *shape[MEMMAP_COMPACT_SHAPES];
	unsigned nr_shape;
	/* shape[] by hash, open addressed: index + 1, 0 for none */
	uint16_t shape_hidx[2 * MEMMAP_COMPACT_SHAPES];
	uint64_t seen[MEMMAP_COMPACT_SEEN]; /* hashes of words seen once */
	uint64_t shaped;    /* frames ever described by a shape (statistics) */
	uint64_t bare;      /* frames ever described by a template alone */
	uint64_t edit_hits; /* stores answered by edit[] (statistics) */
	struct memmap_tpl_memo tpl_memo[TPL_HEAD + 1]; /* per patch */
	struct memmap_edit_memo edit[1u << MEMMAP_EDIT_MEMO_BITS];
	struct host_slab slab; /* the records' and shapes' words */
	enum memmap_host_vec vec; /* the widest host vectors allowed (tests) */
};

/*
 * Whether host loops may use the host CPU's 32-byte vectors: it has them,
 * and no test asked for the code without them (@c->vec; @c may be NULL,
 * a machine that compacts nothing). The one test for the compaction's
 * compares and the memmap's fills.
 */
static inline bool
memmap_host_avx2(const struct memmap_compact *c)
{
#if defined(__x86_64__) && defined(__GNUC__)
	return !(c && c->vec == HOST_VEC_NONE) && __builtin_cpu_supports("avx2");
#else
	(void)c;
	return false;
#endif
}

/* The same for 64-byte vectors (AVX-512F): the compaction's compares. */
static inline bool
memmap_host_avx512(const struct memmap_compact *c)
{
#if defined(__x86_64__) && defined(__GNUC__)
	return !(c && c->vec != HOST_VEC_ANY) &&
	       __builtin_cpu_supports("avx512f");
#else
	(void)c;
	return false;
#endif
}

/*
 * Describe vmemmap frame @frame, which @va (a struct page address) maps,
 * as a template plus differing words, and give its host page back. Only
 * for a frame with a host page that no cached translation (TLB entry) and
 * no host pointer the caller holds can reach. @alias: a frame that shares
 * the host page (copy_page()), unmapped and about to be freed, described
 * by the same record; or UINT64_MAX. Returns whether it did.
 */
bool
memmap_compact_frame(struct hvo_machine *m, uint64_t frame, uint64_t va,
		     uint64_t alias);

/* The phys filler for a compacted frame: its bytes at @host. */
void
memmap_compact_fill(struct hvo_machine *m, uint64_t frame, uint64_t idx,
		    void *host);

/*
 * The phys filler's peek (phys_filler.peek): the bytes of @frame, lazy
 * with @payload (any memmap payload), at @host, the frame staying
 * described: no record is given up.
 */
void
memmap_compact_peek(void *ctx, uint64_t frame, uint64_t payload, void *host);

/*
 * The phys filler's word (phys_filler.word): word @j of a compacted
 * frame, loaded from its description, or stored into it (a shape or
 * record for the new words, in *@payload); of a frame described by a
 * template alone, loaded only. False for a store into a template, or
 * when the new words take more than a record holds.
 */
bool
memmap_compact_word(void *ctx, uint64_t frame, uint64_t *payload, unsigned j,
		    bool write, uint64_t *val);

/*
 * copy_page() of frame @from into @to has just copied @from's description
 * (phys_copy_frame()). @from_dies: @from is unmapped and freed next, so
 * @to takes its record over; otherwise @to gets its own bytes now.
 */
void
__memmap_compact_copied(struct hvo_machine *m, uint64_t to, uint64_t from,
			bool from_dies);

static inline void
memmap_compact_copied(struct hvo_machine *m, uint64_t to, uint64_t from,
		      bool from_dies)
{
	/* Inline, the common answer: every copy of a vmemmap page asks. */
	uint64_t v = m->compact ? phys_slot_value(&m->phys, to) : 0;

	if ((v & PHYS_TAG_MASK) == PHYS_LAZY &&
	    v >> 3 >> MEMMAP_PAYLOAD_PFN_BITS == MEMMAP_TPL_COMPACT)
		__memmap_compact_copied(m, to, from, from_dies);
}

/*
 * Whether the host bytes of written frames reach the budget >> @shift.
 * Notes start at half the budget: until the budget is reached the list
 * forgets its oldest notes anyway (after MEMMAP_COMPACT_PENDING of them,
 * half the default budget in 4 KiB pages), and a small machine is spared
 * the hash, inline, at the cost of a compare per note.
 */
static inline bool
memmap_compact_host_reach(const struct hvo_machine *m, unsigned shift)
{
	uint64_t budget = m->compact ? m->compact->budget : MEMMAP_COMPACT_BUDGET;

	return phys_host_frames(&m->phys) << m->arch.page_shift >=
	       budget >> shift;
}

void
__memmap_compact_note_alias(struct hvo_machine *m, uint64_t va,
			    uint64_t alias);

/*
 * The same as memmap_compact_note(), with @alias: a frame that shares the
 * host page of the one @va maps (copy_page()), remapped away and freed
 * after the next flush.
 */
static inline void
memmap_compact_note_alias(struct hvo_machine *m, uint64_t va, uint64_t alias)
{
	if (memmap_compact_host_reach(m, 1))
		__memmap_compact_note_alias(m, va, alias);
}

/*
 * A safe point: the struct page at @va was written, and the caller holds
 * no host pointer into the vmemmap. Once enough frames are noted, they
 * are compacted (memmap_compact_frame()); the TLB's entries that reach
 * one keep their translations without its page (tlb_unhost_pfn()).
 */
static inline void
memmap_compact_note(struct hvo_machine *m, uint64_t va)
{
	memmap_compact_note_alias(m, va, UINT64_MAX);
}

void
__memmap_compact_note_hosted(struct hvo_machine *m, uint64_t va, uint64_t n);

/*
 * memmap_compact_note() of those of the @n vmemmap pages from @va whose
 * frames hold a host page now: a frame described is nothing to compact,
 * and one that gets a page later through the TLB is in the TLB's log,
 * which every look reads. (A hugepage freed after its restore has one
 * such frame in eight, the head's.)
 */
static inline void
memmap_compact_note_hosted(struct hvo_machine *m, uint64_t va, uint64_t n)
{
	if (memmap_compact_host_reach(m, 1))
		__memmap_compact_note_hosted(m, va, n);
}

/*
 * memmap_compact_note() of a buddy hugepage just prepared in a batch:
 * nothing writes its head page again until the batch's HVO, after every
 * prep, and what the TLB's log names meanwhile is mostly the head pages
 * of the hugepages it prepares next (the other half of a buddy block it
 * split). Over the budget, the page is compacted at once, and the log
 * left for later. The caller holds no host pointer into it.
 */
void
__memmap_compact_now(struct hvo_machine *m, uint64_t va);

static inline void
memmap_compact_now(struct hvo_machine *m, uint64_t va)
{
	if (memmap_compact_host_reach(m, 1))
		__memmap_compact_now(m, va);
}

/* The same for every frame noted so far. */
void
memmap_compact_flush(struct hvo_machine *m);

/* Compact above @bytes of written frames (tests: 0). 0 or -ENOMEM. */
int
memmap_compact_set_budget(struct hvo_machine *m, uint64_t bytes);

void
memmap_compact_fini(struct hvo_machine *m);

#endif /* HVO_MEMMAP_COMPACT_H */
