/* SPDX-License-Identifier: MIT */
/*
 * The software TLB: fill on miss, faults, flushes, and the checking mode
 * that catches a missed flush.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/mmu.h"

int
tlb_init(struct tlb *t, unsigned entries, const struct hvo_arch *a)
{
	unsigned page_shift = a->page_shift;

	memset(t, 0, sizeof(*t));
	if (!is_pow2(entries))
		return -EINVAL;
	t->e = malloc(entries * sizeof(*t->e));
	t->pfn_next = malloc(entries * sizeof(*t->pfn_next));
	t->pfn_prev = malloc(entries * sizeof(*t->pfn_prev));
	if (!t->e || !t->pfn_next || !t->pfn_prev) {
		tlb_fini(t);
		return -ENOMEM;
	}
	t->mask = entries - 1;
	t->shift = page_shift;
	t->page_mask = ~((UINT64_C(1) << page_shift) - 1);
	t->pwc_shift = a->level[a->levels - 2].shift;
	t->pte_index_mask = a->level[a->levels - 1].entries - 1;
	for (unsigned size = 1; size < 9; size++)
		t->hit_key[size] = t->page_mask | (size - 1);
	tlb_set_force_slow(t, false);
	tlb_invalidate_all(t);
	return 0;
}

/* The entry kaccess_hit() finds while every access must go slow. */
static const struct tlb_entry tlb_entry_none = {
	.tag_read = TLB_TAG_INVALID,
	.tag_write = TLB_TAG_INVALID,
};

void
tlb_set_force_slow(struct tlb *t, bool on)
{
	t->force_slow = on;
	t->hit_shift = t->shift - TLB_ENTRY_SHIFT;
	if (on) {
		t->hit_base = (uintptr_t)&tlb_entry_none;
		t->hit_mask = 0;
	} else {
		t->hit_base = (uintptr_t)t->e;
		t->hit_mask = t->mask << TLB_ENTRY_SHIFT;
	}
}

void
tlb_fini(struct tlb *t)
{
	free(t->e);
	free(t->pfn_next);
	free(t->pfn_prev);
	t->e = NULL;
	t->pfn_next = t->pfn_prev = NULL;
}

void
tlb_invalidate_all(struct tlb *t)
{
	/* All-ones tags never match: see TLB_TAG_INVALID. */
	memset(t->e, 0xff, (t->mask + 1) * sizeof(*t->e));
	memset(t->pfn_head, 0xff, sizeof(t->pfn_head));
	t->large_lo = 0;
	t->large_hi = 0;
	t->hostless = false;
}

/* List valid entry @i under the hash of its frame, at @pa. */
static void
tlb_pfn_link(struct tlb *t, uint32_t i, uint64_t pa)
{
	uint32_t *head = &t->pfn_head[tlb_pfn_bucket(t, pa)];

	t->pfn_prev[i] = TLB_PFN_NONE;
	t->pfn_next[i] = *head;
	if (*head != TLB_PFN_NONE)
		t->pfn_prev[*head] = i;
	*head = i;
}

static void
tlb_pfn_unlink(struct tlb *t, uint32_t i, uint64_t pa)
{
	uint32_t next = t->pfn_next[i], prev = t->pfn_prev[i];

	if (prev != TLB_PFN_NONE)
		t->pfn_next[prev] = next;
	else
		t->pfn_head[tlb_pfn_bucket(t, pa)] = next;
	if (next != TLB_PFN_NONE)
		t->pfn_prev[next] = prev;
}

void
tlb_recount(struct tlb *t)
{
	memset(t->pfn_head, 0xff, sizeof(t->pfn_head));
	for (uint64_t i = 0; i <= t->mask; i++)
		if (t->e[i].tag_read != TLB_TAG_INVALID)
			tlb_pfn_link(t, (uint32_t)i, tlb_entry_pa(&t->e[i]));
}

/* Drop entry @e of the TLB's own (not the saved ones), if valid. */
static void
tlb_entry_drop(struct tlb *t, struct tlb_entry *e)
{
	if (e->tag_read != TLB_TAG_INVALID)
		tlb_pfn_unlink(t, (uint32_t)(e - t->e), tlb_entry_pa(e));
	e->tag_read = TLB_TAG_INVALID;
	e->tag_write = TLB_TAG_INVALID;
}

/*
 * Out of line: its event would give every flush a frame on the host's
 * stack, traced or not.
 */
static __attribute__((noinline)) void
trace_flush_event(struct hvo_machine *m, kva_t start, kva_t end, bool all)
{
	struct hvo_event ev = {
		.kind = HVO_EVENT_TLB_FLUSH,
		.start = start,
		.end = end,
		.all = all,
	};

	trace_event(m, &ev);
}

static inline void
trace_flush(struct hvo_machine *m, kva_t start, kva_t end, bool all)
{
	if (unlikely(m->trace.fn))
		trace_flush_event(m, start, end, all);
}

/*
 * The flush itself, counted, without an event of its own. No translation
 * is cached any more: host pages of freed frames can be reused.
 */
static void
__flush_tlb_all(struct hvo_machine *m)
{
	count(m, CNT_TLB_FLUSH_ALL);
	tlb_invalidate_all(&m->tlb);
	phys_reclaim(&m->phys, !m->tlb.saved);
}

static void
tlb_entry_rehost(struct hvo_machine *m, struct tlb_entry *e, uint64_t page,
		 bool write);

void
tlb_unshare_pfn(void *ctx, pfn_t pfn)
{
	struct hvo_machine *m = ctx;
	struct tlb *t = &m->tlb;
	uint32_t k = t->pfn_head[tlb_pfn_bucket(t, pfn << m->arch.page_shift)];

	/*
	 * The entries that may reach the frame: those of its hash. While the
	 * checker runs they are its own, which read described frames through
	 * scratch pages: those are dropped, as nothing counts them.
	 */
	while (k != TLB_PFN_NONE) {
		uint32_t next = t->pfn_next[k];

		if (tlb_entry_pa(&t->e[k]) >> m->arch.page_shift == pfn) {
			if (t->saved)
				tlb_entry_drop(t, &t->e[k]);
			else
				tlb_entry_rehost(m, &t->e[k],
						 t->e[k].tag_read, false);
		}
		k = next;
	}
	/* The machine's own entries, while the checker runs. */
	for (uint64_t i = 0; t->saved && i <= t->mask; i++)
		if (t->saved[i].tag_read != TLB_TAG_INVALID &&
		    tlb_entry_pa(&t->saved[i]) >> m->arch.page_shift == pfn)
			t->saved[i].tag_read = t->saved[i].tag_write =
				TLB_TAG_INVALID;
}

bool
tlb_unhost_pfn(struct hvo_machine *m, pfn_t pfn)
{
	struct tlb *t = &m->tlb;
	uint32_t k = t->pfn_head[tlb_pfn_bucket(t, pfn << m->arch.page_shift)];

	/* The checker's entries hide the machine's: nothing to do then. */
	if (t->saved)
		return false;
	while (k != TLB_PFN_NONE) {
		uint32_t next = t->pfn_next[k];
		struct tlb_entry *e = &t->e[k];

		if (tlb_entry_pa(e) >> m->arch.page_shift == pfn) {
			/* tlb_entry_rehost()'s test, the other way. */
			bool writable = (e->pa & TLB_PA_COW) ||
					e->tag_write != TLB_TAG_INVALID;
			uint64_t page = e->tag_read;

			tlb_pfn_unlink(t, k, tlb_entry_pa(e));
			e->tag_read = TLB_TAG_INVALID;
			e->tag_write = TLB_TAG_HOSTLESS;
			e->addend_slot = page;
			e->pa = tlb_entry_pa(e) | (writable ? TLB_PA_COW : 0);
			t->hostless = true;
		}
		k = next;
	}
	return true;
}

bool
tlb_reaches_pfn(const struct tlb *t, pfn_t pfn)
{
	uint32_t k = t->pfn_head[tlb_pfn_bucket(t, pfn << t->shift)];

	for (; k != TLB_PFN_NONE; k = t->pfn_next[k])
		if (tlb_entry_pa(&t->e[k]) >> t->shift == pfn)
			return true;
	return false;
}

void
tlb_mark_live(void *ctx)
{
	struct hvo_machine *m = ctx;
	struct tlb *t = &m->tlb;

	for (unsigned k = 0; k < 2; k++) {
		const struct tlb_entry *e = k ? t->saved : t->e;

		for (uint64_t i = 0; e && i <= t->mask; i++)
			if (e[i].tag_read != TLB_TAG_INVALID)
				phys_mark_live(&m->phys,
					       (const void *)(uintptr_t)(e[i].tag_read +
									 e[i].addend));
	}
}

void
flush_tlb_all(struct hvo_machine *m)
{
	trace_flush(m, 0, 0, true);
	__flush_tlb_all(m);
}

/*
 * The pages' entries follow one another in the array, from the first
 * page's on, past its end to its start: each looked at in the pages'
 * order. An entry that takes stores holds the same page for loads
 * (tlb_fill()), so the load tag alone says whether it holds the page;
 * with @hostless, an entry without its host page may too.
 */
static HVO_ALWAYS_INLINE void
flush_tlb_pages_each(struct tlb *t, kva_t va, kva_t end, uint64_t step,
		     bool hostless)
{
	const struct tlb_entry *wrap = t->e + t->mask + 1;
	struct tlb_entry *e = tlb_slot(t, va);

	for (; va != end; va += step) {
		if (e->tag_read == va ||
		    (hostless && tlb_entry_hostless(e, va)))
			tlb_entry_drop(t, e);
		if (++e == wrap)
			e = t->e;
	}
}

/*
 * flush_tlb_one_kernel() of each page of [va, va + pages * page size),
 * each counted. An invalidation that meets a large leaf drops them all
 * (see tlb.h); the others drop the page's entry if it holds it.
 */
static void
flush_tlb_pages(struct hvo_machine *m, kva_t va, uint64_t pages)
{
	const struct hvo_arch *a = &m->arch;
	struct tlb *t = &m->tlb;
	uint64_t end = va + (pages << a->page_shift);

	m->counter[CNT_TLB_FLUSH_PAGE] += pages;
	if (va < t->large_hi && end > t->large_lo) {
		tlb_invalidate_all(t);
		return;
	}
	if (t->hostless)
		flush_tlb_pages_each(t, va, end, a->page_size, true);
	else
		flush_tlb_pages_each(t, va, end, a->page_size, false);
}

void
flush_tlb_kernel_range(struct hvo_machine *m, kva_t start, kva_t end)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t va = start & m->tlb.page_mask;
	uint64_t pages;

	count(m, CNT_TLB_FLUSH_RANGE);
	if (end <= start)
		return;
	pages = (round_up64(end, a->page_size) - va) >> a->page_shift;
	trace_flush(m, start, end, pages > a->tlb_flush_ceiling);
	if (pages > a->tlb_flush_ceiling) {
		__flush_tlb_all(m);
		return;
	}
	flush_tlb_pages(m, va, pages);
}

/* Name the fault for the reason text. */
static int
kfault(struct hvo_machine *m, enum hvo_counter_id id, kva_t va,
       const char *what)
{
	struct hvo_event ev = {
		.kind = HVO_EVENT_FAULT,
		.va = va,
		.why = what,
	};

	trace_event(m, &ev);
	count(m, id);
	return machine_err(m, -EFAULT, "fault at va 0x%" PRIx64 ": %s", va,
			   what);
}

int
tlb_scratch_begin(struct hvo_machine *m)
{
	struct tlb_scratch *s = calloc(1, sizeof(*s));

	if (s)
		s->pages = malloc(TLB_SCRATCH_PAGES * m->arch.page_size);
	if (!s || !s->pages) {
		free(s);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < TLB_SCRATCH_PAGES; i++)
		s->slot[i] = UINT64_MAX;
	m->tlb.scratch = s;
	return 0;
}

uint64_t
tlb_scratch_end(struct hvo_machine *m)
{
	struct tlb_scratch *s = m->tlb.scratch;
	uint64_t fills;

	if (!s)
		return 0;
	fills = s->fills;
	free(s->pages);
	free(s);
	m->tlb.scratch = NULL;
	return fills;
}

/*
 * A load's view of frame @pa for TLB entry @e, in a scratch page, if the
 * frame is described and its reading would give it a page of its own;
 * NULL otherwise. The entry the scratch page served before is dropped, if
 * it still points there: no entry ever reaches another frame's bytes.
 */
static const void *
tlb_scratch_read(struct hvo_machine *m, const struct tlb_entry *e,
		 uint64_t pa)
{
	struct tlb *t = &m->tlb;
	struct tlb_scratch *s = t->scratch;
	const struct phys_filler *f = &m->phys.filler;
	uint64_t pfn = pa >> m->arch.page_shift, payload;
	struct tlb_entry *old;
	uint8_t *page;
	unsigned k;

	if (!f->peek || !phys_lazy_payload(&m->phys, pfn, &payload) ||
	    (f->shareable && f->shareable(f->ctx, payload)))
		return NULL;
	k = s->next++ % TLB_SCRATCH_PAGES;
	page = s->pages + k * m->arch.page_size;
	old = s->slot[k] <= t->mask ? &t->e[s->slot[k]] : NULL;
	if (old && old->tag_read != TLB_TAG_INVALID &&
	    old->tag_read + old->addend == (uintptr_t)page)
		tlb_entry_drop(t, old);
	f->peek(f->ctx, pfn, payload, page);
	s->slot[k] = (uint64_t)(e - t->e);
	s->fills++;
	return page;
}

/*
 * The walk behind a TLB miss where the memo does not end it at a page
 * (tlb_fill()): the page @va maps (*@pa), the size of its leaf and
 * whether it is writable; false with the fault counted and *@rc set.
 */
static __attribute__((noinline)) bool
tlb_walk(struct hvo_machine *m, kva_t va, uint64_t *pa, uint64_t *size,
	 bool *writable, int *rc)
{
	const struct hvo_arch *a = &m->arch;
	struct pt_walk w;

	if (pt_walk_leaf(m, va, &w, true)) {
		*rc = kfault(m, CNT_FAULT_NOT_PRESENT, va,
			     "not a kernel address");
		return false;
	}
	if (w.bad >= 0) {
		struct hvo_event ev = {
			.kind = HVO_EVENT_FAULT,
			.va = va,
			.why = w.lvl[w.bad].d.why,
		};

		trace_event(m, &ev);
		count(m, CNT_FAULT_BAD_ENTRY);
		*rc = machine_err(m, -EFAULT,
				  "fault at va 0x%" PRIx64 ": malformed %s entry 0x%016" PRIx64 " (%s)",
				  va, a->level[w.bad].name, w.lvl[w.bad].entry,
				  w.lvl[w.bad].d.why);
		return false;
	}
	if (w.leaf < 0) {
		*rc = kfault(m, CNT_FAULT_NOT_PRESENT, va, "not mapped");
		return false;
	}
	const struct pt_decoded *d = &w.lvl[w.leaf].d;

	*size = arch_level_size(a, (unsigned)w.leaf);
	*pa = d->pa + (va & (*size - 1) & m->tlb.page_mask);
	*writable = d->writable;
	return true;
}

/*
 * Entry @e translates @page to @pa: give it the host page a fill gives.
 * A load of a frame never written, or of one described but not yet
 * filled, may see a shared copy; the entry then takes no stores, so the
 * first store comes back and gives the frame its own page.
 */
static HVO_ALWAYS_INLINE void
tlb_entry_fill(struct hvo_machine *m, struct tlb_entry *e, uint64_t page,
	       uint64_t pa, bool writable, bool write)
{
	struct tlb *t = &m->tlb;
	const void *host;
	bool own;

	if (write && writable) {
		host = phys_to_host(&m->phys, pa);
		own = true;
	} else if (t->scratch && (host = tlb_scratch_read(m, e, pa))) {
		own = false;
	} else {
		host = phys_to_host_ro(&m->phys, pa, &own);
	}
	if (own)
		tlb_log_own(t, page);
	if (e->tag_read != TLB_TAG_INVALID)
		tlb_pfn_unlink(t, (uint32_t)(e - t->e), tlb_entry_pa(e));
	e->tag_read = page;
	e->tag_write = writable && own ? page : TLB_TAG_INVALID;
	e->addend = (uintptr_t)host - (uintptr_t)page;
	e->pa = pa | (writable && !own ? TLB_PA_COW : 0);
	tlb_pfn_link(t, (uint32_t)(e - t->e), pa);
}

/*
 * Fill the TLB slot of @va from a fresh walk. On a store to a read-only
 * page the entry is still filled for loads, as hardware would cache it.
 * With @described, a frame phys describes word by word stays described:
 * the entry holds no host page (TLB_TAG_HOSTLESS).
 */
static HVO_ALWAYS_INLINE struct tlb_entry *
__tlb_fill(struct hvo_machine *m, kva_t va, bool write, int *rc,
	   bool described)
{
	const struct hvo_arch *a = &m->arch;
	struct tlb *t = &m->tlb;
	struct tlb_entry *e = tlb_slot(t, va);
	uint64_t page = va & t->page_mask, size, pa, pte;
	bool writable;

	count(m, CNT_TLB_MISS);
	/*
	 * Nearly every miss: the memo leaves one last-level entry to read,
	 * and it is a present PTE whose bits are plain data (pte_present is
	 * 0 on an arch without pte_pa_mask). Nothing is counted before that
	 * is known; anything else is tlb_walk()'s from the start.
	 */
	if (likely(pwc_last_table(m, va, &pa) &&
		   ((pte = pt_peek(m, pt_offset(a, a->levels - 1, pa, va))) &
		    a->pte_present))) {
		pt_count_walk(m);
		pa = pte & a->pte_pa_mask;
		writable = pte & a->pte_write;
		size = a->page_size;
	} else if (!tlb_walk(m, va, &pa, &size, &writable, rc)) {
		return NULL;
	}
	if (!phys_is_ram(&m->phys, pa, a->page_size)) {
		*rc = kfault(m, CNT_FAULT_NOT_PRESENT, va,
			     "mapped to a physical address that is not RAM");
		return NULL;
	}
	if (described && phys_lazy_words(&m->phys, pa)) {
		if (e->tag_read != TLB_TAG_INVALID)
			tlb_pfn_unlink(t, (uint32_t)(e - t->e), tlb_entry_pa(e));
		e->tag_read = TLB_TAG_INVALID;
		e->tag_write = TLB_TAG_HOSTLESS;
		e->addend_slot = page;
		e->pa = pa | (writable ? TLB_PA_COW : 0);
		t->hostless = true;
	} else {
		tlb_entry_fill(m, e, page, pa, writable, write);
	}
	if (size > a->page_size) {
		uint64_t lo = va & ~(size - 1);

		if (t->large_hi == t->large_lo) {
			t->large_lo = lo;
			t->large_hi = lo + size;
		} else {
			if (lo < t->large_lo)
				t->large_lo = lo;
			if (lo + size > t->large_hi)
				t->large_hi = lo + size;
		}
	}
	if (write && !writable) {
		*rc = kfault(m, CNT_FAULT_WRITE_PROTECT, va,
			     "store to a read-only mapping");
		return NULL;
	}
	return e;
}

static HVO_ALWAYS_INLINE struct tlb_entry *
tlb_fill(struct hvo_machine *m, kva_t va, bool write, int *rc)
{
	return __tlb_fill(m, va, write, rc, false);
}

/*
 * Entry @e of @page gets the host page a fill would give it now, for a
 * store if @write: its frame's bytes moved (tlb_unshare_pfn()), or it had
 * none (TLB_TAG_HOSTLESS). Uncounted: a TLB caches where a page is, not
 * its bytes, and the translation was there all along.
 */
static void
tlb_entry_rehost(struct hvo_machine *m, struct tlb_entry *e, uint64_t page,
		 bool write)
{
	bool writable = (e->pa & TLB_PA_COW) ||
			(e->tag_write != TLB_TAG_INVALID &&
			 e->tag_write != TLB_TAG_HOSTLESS);

	e->tag_write = TLB_TAG_INVALID;
	tlb_entry_fill(m, e, page, tlb_entry_pa(e), writable, write);
}

/*
 * In checking mode every hit is compared with the page table. A difference
 * means the entry is stale: the table changed and nobody flushed. The
 * access goes ahead through the stale entry, as on hardware; it is counted
 * and reported.
 */
static void
tlb_check_hit(struct hvo_machine *m, const struct tlb_entry *e, kva_t va,
	      bool write)
{
	uint64_t pa;
	bool writable;

	if (pt_lookup(m, va, &pa, &writable) == 0 && pa == tlb_entry_pa(e) &&
	    (!write || writable))
		return;
	count(m, CNT_CHECK_STALE_TLB);
	machine_err(m, 0,
		    "stale TLB entry used at va 0x%" PRIx64 ": cached pa 0x%" PRIx64 ", the page table says otherwise (missed flush)",
		    va, tlb_entry_pa(e));
}

/*
 * phys_is_ram() of the page at @pa, asked of the range the last miss
 * found first: RAM in a few ranges keeps a fill from searching them.
 */
static inline bool
tlb_page_is_ram(struct hvo_machine *m, uint64_t pa)
{
	struct tlb *t = &m->tlb;
	const struct hvo_mem_range *r;
	uint64_t size = m->arch.page_size;

	if (likely(pa - t->ram_lo < t->ram_n))
		return true;
	if (!phys_is_ram(&m->phys, pa, size))
		return false;
	r = phys_range_of(&m->phys, pa);
	t->ram_lo = r->base;
	t->ram_n = r->size - size + 1;
	return true;
}

/*
 * The miss of nearly every access, whole or not at all: the memo ends the
 * walk at a present PTE of a page table with a page of its own, the page
 * is RAM, the frame has a page of its own too, and the access is allowed.
 * Then the entry is filled as tlb_fill() would fill it and the host
 * address returned; otherwise NULL, with nothing counted or changed, and
 * tlb_fill() does it all. Calls nothing, so kaccess_slow() saves no
 * registers on the way.
 */
static HVO_ALWAYS_INLINE void *
tlb_fill_fast(struct hvo_machine *m, struct tlb_entry *e, kva_t va,
	      bool write)
{
	const struct hvo_arch *a = &m->arch;
	struct tlb *t = &m->tlb;
	uint64_t page = va & t->page_mask, table, pte, pa;
	const uint64_t *s;
	uint64_t *f;
	uint8_t *host;
	bool writable;

	if (unlikely(!pwc_last_table(m, va, &table)))
		return NULL;
	s = phys_slot(&m->phys, table >> a->page_shift);
	if (unlikely(!s || (*s & PHYS_OWN_MASK) != PHYS_HOST))
		return NULL;
	/* The table is a page: its entry is at an offset of the index alone. */
	memcpy(&pte, phys_host_page(&m->phys, *s) +
		     ((va >> t->shift) & t->pte_index_mask) * 8, sizeof(pte));
	if (unlikely(!(pte & a->pte_present)))
		return NULL;
	pa = pte & a->pte_pa_mask;
	writable = pte & a->pte_write;
	if (unlikely(write && !writable) ||
	    unlikely(!tlb_page_is_ram(m, pa)))
		return NULL;
	f = phys_slot(&m->phys, pa >> a->page_shift);
	if (unlikely(!f || ((*f & PHYS_OWN_MASK) != PHYS_HOST &&
			    !phys_host_alone(&m->phys, f))))
		return NULL;
	host = phys_host_page(&m->phys, *f);
	/* Every step known to succeed: count the walk, fill the entry. */
	count(m, CNT_TLB_MISS);
	pt_count_walk(m);
	tlb_log_own(t, page);
	if (e->tag_read != TLB_TAG_INVALID)
		tlb_pfn_unlink(t, (uint32_t)(e - t->e), tlb_entry_pa(e));
	e->tag_read = page;
	e->tag_write = writable ? page : TLB_TAG_INVALID;
	e->addend = (uintptr_t)host - (uintptr_t)page;
	e->pa = pa;
	tlb_pfn_link(t, (uint32_t)(e - t->e), pa);
	return host + (va & ~t->page_mask);
}

static void *
kaccess_slow_full(struct hvo_machine *m, kva_t va, unsigned size, bool write,
		  int *rc);

/* kaccess_slow() past its fast path, and the oops where @rc is NULL. */
static __attribute__((noinline)) void *
kaccess_slow_rest(struct hvo_machine *m, kva_t va, unsigned size, bool write,
		  int *rc)
{
	int err = -EFAULT;
	void *p = kaccess_slow_full(m, va, size, write, rc ? rc : &err);

	if (unlikely(!p) && !rc)
		machine_oops(m, err);
	return p;
}

void *
kaccess_slow(struct hvo_machine *m, kva_t va, unsigned size, bool write,
	     int *rc)
{
	struct tlb_entry *e = tlb_slot(&m->tlb, va);
	uint64_t page = va & m->tlb.page_mask;
	void *p;

	/*
	 * Not misaligned, not a hit to check, not a first store to a copy,
	 * not an entry without its host page.
	 */
	if (likely(!(va & (size - 1)) && e->tag_read != page &&
		   e->tag_write != page && e->tag_write != TLB_TAG_HOSTLESS) &&
	    (p = tlb_fill_fast(m, e, va, write)))
		return p;
	return kaccess_slow_rest(m, va, size, write, rc);
}

static void *
kaccess_slow_full(struct hvo_machine *m, kva_t va, unsigned size, bool write,
		  int *rc)
{
	struct tlb *t = &m->tlb;
	struct tlb_entry *e = tlb_slot(t, va);
	uint64_t page = va & t->page_mask;

	if (va & (size - 1)) {
		*rc = machine_err(m, -EINVAL,
				  "misaligned %u-byte access at va 0x%" PRIx64,
				  size, va);
		return NULL;
	}
	if (tlb_entry_hostless(e, page)) {
		/*
		 * The entry holds the page, not its host page: it gets it.
		 * A load, or a store it allows, hits; a store to a read-only
		 * page goes on as through any read-only entry.
		 */
		tlb_entry_rehost(m, e, page, write);
		if ((write ? e->tag_write : e->tag_read) == page) {
			count(m, CNT_TLB_HIT);
			if (t->force_slow)
				tlb_check_hit(m, e, va, write);
			return (void *)(uintptr_t)(va + e->addend);
		}
	}
	if ((write ? e->tag_write : e->tag_read) == page) {
		/* A hit that came here only to be checked. */
		count(m, CNT_TLB_HIT);
		tlb_check_hit(m, e, va, write);
		return (void *)(uintptr_t)(va + e->addend);
	}
	if (write && (e->pa & TLB_PA_COW) && e->tag_read == page) {
		/*
		 * The first store to a page loads saw as a shared copy: the
		 * frame gets its own page. Hardware would have hit; so does
		 * this, without a walk.
		 */
		uint64_t pa = tlb_entry_pa(e);
		void *host;

		count(m, CNT_TLB_HIT);
		tlb_check_hit(m, e, va, write);
		host = phys_to_host(&m->phys, pa);
		/*
		 * Unsharing the frame pointed the entry at its page, listed
		 * (tlb_entry_rehost()), or, while the checker runs, dropped it.
		 */
		if (e->tag_write != page)
			tlb_log_own(&m->tlb, page);
		e->pa = pa;
		if (e->tag_read == TLB_TAG_INVALID)
			tlb_pfn_link(t, (uint32_t)(e - t->e), pa);
		e->tag_read = e->tag_write = page;
		e->addend = (uintptr_t)host - (uintptr_t)page;
		return (void *)(uintptr_t)(va + e->addend);
	}
	e = tlb_fill(m, va, write, rc);
	if (!e)
		return NULL;
	return (void *)(uintptr_t)(va + e->addend);
}

bool
kaccess_described64(struct hvo_machine *m, kva_t va, bool write,
		    uint64_t *val)
{
	struct tlb *t = &m->tlb;
	struct tlb_entry *e = tlb_slot(t, va);
	uint64_t page = va & t->page_mask, pa;
	void *p;
	int rc;

	/*
	 * A hit with a host page, a store to a shared copy or to a read-only
	 * page, or the checker's own TLB: the plain access. The checker
	 * reads described frames its own way (tlb_scratch_read()).
	 */
	if ((va & 7) || t->scratch ||
	    (write ? e->tag_write : e->tag_read) == page ||
	    (write && (e->tag_read == page || (tlb_entry_hostless(e, page) &&
					       !(e->pa & TLB_PA_COW))))) {
		p = kaccess(m, va, 8, write, NULL);
		goto done;
	}
	if (!tlb_entry_hostless(e, page)) {
		/* A frame with a page of its own: the miss of any access. */
		p = tlb_fill_fast(m, e, va, write);
		if (p)
			goto done;
		e = __tlb_fill(m, va, write, &rc, true);
		if (!e) {
			machine_oops(m, rc);
			p = NULL;
			goto done;
		}
		if (!tlb_entry_hostless(e, page)) {
			p = (void *)(uintptr_t)(va + e->addend);
			goto done;
		}
	} else {
		count(m, CNT_TLB_HIT);
		if (t->force_slow)
			tlb_check_hit(m, e, va, write);
	}
	pa = tlb_entry_pa(e) + (va & ~t->page_mask);
	if (phys_lazy_word(&m->phys, pa, write, val))
		return true;
	/* The description cannot take it: the frame gets its page. */
	tlb_entry_rehost(m, e, page, write);
	p = (void *)(uintptr_t)(va + e->addend);
done:
	if (!p) {
		if (!write)
			*val = 0;
		return false;
	}
	if (write)
		memcpy(p, val, 8);
	else
		memcpy(val, p, 8);
	return true;
}

void *
kmap_page(struct hvo_machine *m, kva_t va, bool write, int *rc)
{
	uint8_t *p = kaccess(m, va & m->tlb.page_mask, 8, write, rc);

	return p;
}

int
tlb_check_stale(struct hvo_machine *m)
{
	struct tlb *t = &m->tlb;

	for (uint64_t i = 0; i <= t->mask; i++) {
		const struct tlb_entry *e = &t->e[i];
		bool hostless = e->tag_write == TLB_TAG_HOSTLESS;
		uint64_t va = hostless ? e->addend_slot : e->tag_read, pa;
		/* What the entry lets through: stores, or loads only. */
		bool rw = hostless ? (e->pa & TLB_PA_COW) :
			  e->tag_write != TLB_TAG_INVALID;
		bool writable;

		if (va == TLB_TAG_INVALID)
			continue;
		if (pt_lookup(m, va, &pa, &writable) != 0 ||
		    pa != tlb_entry_pa(e) || (rw && !writable))
			return machine_err(m, -EUCLEAN,
					   "stale TLB entry: va 0x%" PRIx64 " cached as pa 0x%" PRIx64 "%s, but the page table %s (a flush is missing)",
					   va, tlb_entry_pa(e), rw ? " RW" : " RO",
					   pt_lookup(m, va, &pa, &writable) ?
					   "no longer maps it" : "maps it differently");
	}
	return 0;
}
