/* SPDX-License-Identifier: MIT */
/*
 * The page-table walker and editor. One loop serves every arch and depth:
 * the descriptor gives the geometry, its ops the entry format.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mmu/mmu.h"

/*
 * What writing @val over @old at @entry_pa does besides the store: the
 * break-before-make check, the count, the walker's memo, the trace.
 */
static void
pt_set_note(struct hvo_machine *m, unsigned depth, kva_t va,
	    phys_addr_t entry_pa, uint64_t old, uint64_t val)
{
	const struct hvo_arch *a = &m->arch;

	if (m->cfg.bbm_check && a->ops.bbm_change_safe &&
	    !a->ops.bbm_change_safe(a, depth, old, val))
		count(m, CNT_CHECK_BBM);
	pt_count_write(m, depth);
	/* An entry above the last level: the walker's memo may hold it. */
	if (depth + 1 < a->levels)
		for (unsigned i = 0; i < PWC_ENTRIES; i++)
			m->tlb.pwc[i].key = 0;
	if (unlikely(m->trace.fn)) {
		struct hvo_event ev = {
			.kind = HVO_EVENT_ENTRY_WRITE,
			.level = a->level[depth].name,
			.entry_pa = entry_pa,
			.old_entry = old,
			.new_entry = val,
			.va = va & ~(arch_level_size(a, depth) - 1),
		};

		trace_event(m, &ev);
	}
}

void
pt_set(struct hvo_machine *m, unsigned depth, kva_t va, phys_addr_t entry_pa,
       uint64_t val)
{
	const uint64_t *s = phys_slot(&m->phys, entry_pa >> m->arch.page_shift);

	/* A table with no page of its own: described, if it can be. */
	if (!s || (*s & PHYS_OWN_MASK) != PHYS_HOST) {
		uint64_t old = pt_peek(m, entry_pa);

		if (phys_words_store(&m->phys, entry_pa, 1, val, 0)) {
			pt_set_note(m, depth, va, entry_pa, old, val);
			return;
		}
	}
	pt_set_host(m, depth, va, entry_pa, phys_to_host(&m->phys, entry_pa),
		    val);
}

void
__pt_set_host(struct hvo_machine *m, unsigned depth, kva_t va,
	      phys_addr_t entry_pa, uint64_t *p, uint64_t val)
{
	pt_set_note(m, depth, va, entry_pa, *p, val);
	*p = val;
}

void
pt_fill_table(struct hvo_machine *m, unsigned depth, uint64_t table,
	      phys_addr_t pa, pgprot_t prot)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t *entries = phys_to_host(&m->phys, table);
	uint64_t size = arch_level_size(a, depth);

	for (unsigned i = 0; i < a->level[depth].entries; i++) {
		entries[i] = a->ops.mk_leaf(a, depth, pa + i * size, prot);
		pt_count_write(m, depth);
	}
}

/* The memo of @va's region, or NULL if it holds another or none. */
static const struct pwc_entry *
pwc_find(struct hvo_machine *m, kva_t va)
{
	uint64_t key;
	const struct pwc_entry *c = pwc_slot(m, va, &key);

	return c->key == key ? c : NULL;
}

/*
 * Remember the levels above the last one, if every one of them is a table
 * (the last of them may be a block leaf).
 */
static void
pwc_fill(struct hvo_machine *m, const struct pt_walk *w)
{
	unsigned nr = m->arch.levels - 1;
	struct pwc_entry *c;
	uint64_t key;

	if (w->nr < nr || w->bad >= 0)
		return;
	for (unsigned d = 0; d < nr; d++)
		if (w->lvl[d].d.kind != PTK_TABLE &&
		    !(d + 1 == nr && w->lvl[d].d.kind == PTK_LEAF))
			return;
	c = pwc_slot(m, w->va, &key);
	c->key = key;
	c->table = w->lvl[nr - 1].d.kind == PTK_TABLE ? w->lvl[nr - 1].d.pa :
		   PWC_NO_TABLE;
	c->nr = nr;
	memcpy(c->lvl, w->lvl, nr * sizeof(*c->lvl));
}

/*
 * Where a walk goes after w->lvl[@d] was decoded: true with *@next the
 * table below, to go on; false where the walk ends (a leaf, nothing, or a
 * bad entry: w->leaf or w->bad say which).
 */
static inline bool
pt_walk_next(struct hvo_machine *m, struct pt_walk *w, unsigned d,
	     uint64_t *next)
{
	const struct hvo_arch *a = &m->arch;
	struct pt_level_rec *r = &w->lvl[d];

	w->nr = d + 1;
	switch (r->d.kind) {
	case PTK_LEAF:
		w->leaf = (int)d;
		return false;
	case PTK_NONE:
		return false;
	case PTK_BAD:
		w->bad = (int)d;
		return false;
	case PTK_TABLE:
		break;
	}
	/* A table must be RAM we can read; else the entry is bad. */
	if (d + 1 == a->levels ||
	    !phys_is_ram(&m->phys, r->d.pa, a->page_size)) {
		r->d.kind = PTK_BAD;
		r->d.why = d + 1 == a->levels ?
			   "a table entry at the last level" :
			   "a table entry that points outside RAM";
		w->bad = (int)d;
		return false;
	}
	*next = r->d.pa;
	return true;
}

/* The entry of w->va at @d in @table, read and decoded into w->lvl[d]. */
static inline void
pt_walk_read(struct hvo_machine *m, struct pt_walk *w, unsigned d,
	     uint64_t table, bool counted)
{
	const struct hvo_arch *a = &m->arch;
	struct pt_level_rec *r = &w->lvl[d];

	r->depth = d;
	r->index = arch_level_index(a, d, w->va);
	r->table_pa = table;
	r->entry_pa = pt_offset(a, d, table, w->va);
	if (counted)
		r->entry = pt_get(m, d, r->entry_pa);
	else
		r->entry = pt_peek(m, r->entry_pa);
	arch_decode(a, d, r->entry, &r->d);
}

int
__pt_walk_leaf(struct hvo_machine *m, kva_t va, struct pt_walk *w, bool counted)
{
	const struct hvo_arch *a = &m->arch;
	const struct pwc_entry *c = pwc_find(m, va);
	uint64_t table = m->pgd_pa;

	w->va = va;
	w->nr = 0;
	w->leaf = -1;
	w->bad = -1;
	/* The memo holds kernel regions only: a hit is a kernel address. */
	if (c) {
		unsigned nr = c->nr;
		const struct pt_level_rec *last = &c->lvl[nr - 1];

		/* The same entries a walk would read, counted as read. */
		if (counted)
			for (unsigned d = 0; d < nr; d++)
				pt_count_read(m, d);
		w->nr = nr;
		if (last->d.kind == PTK_LEAF) {
			w->lvl[nr - 1] = *last;
			w->leaf = (int)nr - 1;
			return 0;
		}
		/* The memo holds every level above the last: one is left. */
		pt_walk_read(m, w, nr, last->d.pa, counted);
		pt_walk_next(m, w, nr, &table);
		return 0;
	}
	if (!arch_va_is_kernel(a, va))
		return -EINVAL;
	for (unsigned d = 0; d < a->levels; d++) {
		pt_walk_read(m, w, d, table, counted);
		if (!pt_walk_next(m, w, d, &table))
			break;
	}
	pwc_fill(m, w);
	return 0;
}

int
pt_walk(struct hvo_machine *m, kva_t va, struct pt_walk *w, bool counted)
{
	const struct pwc_entry *c;
	int rc = pt_walk_leaf(m, va, w, counted);

	/*
	 * The levels above the last that pt_walk_leaf() took from the memo
	 * without copying them. A walk that missed it filled it, or left
	 * va's region out: either way the memo holds what the walk read.
	 */
	if (!rc && (c = pwc_find(m, va)))
		memcpy(w->lvl, c->lvl, c->nr * sizeof(*c->lvl));
	return rc;
}

int
pt_lookup(struct hvo_machine *m, kva_t va, phys_addr_t *pa, bool *writable)
{
	struct pt_walk w;

	if (pt_walk_leaf(m, va, &w, false) || w.leaf < 0)
		return -EFAULT;
	const struct pt_level_rec *r = &w.lvl[w.leaf];
	uint64_t size = arch_level_size(&m->arch, (unsigned)w.leaf);

	*pa = r->d.pa + (va & (size - 1) & ~(m->arch.page_size - 1));
	if (writable)
		*writable = r->d.writable;
	return 0;
}

uint64_t
pfn_of_va(struct hvo_machine *m, kva_t va)
{
	uint64_t pa = 0;

	pt_lookup(m, va, &pa, NULL);
	return pa >> m->arch.page_shift;
}

int
pt_depth_for_size(const struct hvo_arch *a, uint64_t size)
{
	for (unsigned d = 0; d < a->levels; d++)
		if (a->level[d].leaf_ok && arch_level_size(a, d) == size)
			return (int)d;
	return -1;
}

/* pt_map()'s refusals: a leaf @depth cannot hold, or @va/@pa unfit for it. */
static int
pt_map_check(struct hvo_machine *m, kva_t va, phys_addr_t pa, unsigned depth)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t size;

	if (depth >= a->levels || !a->level[depth].leaf_ok)
		return machine_err(m, -EINVAL, "no leaf can sit at depth %u",
				   depth);
	size = arch_level_size(a, depth);
	if (!arch_va_is_kernel(a, va))
		return machine_err(m, -EINVAL,
				   "va 0x%" PRIx64 " is not a canonical kernel address for %u-bit VA",
				   va, a->va_bits);
	if ((va | pa) & (size - 1))
		return machine_err(m, -EINVAL,
				   "va 0x%" PRIx64 " or pa 0x%" PRIx64 " is not aligned to the %s leaf size 0x%" PRIx64,
				   va, pa, a->level[depth].name, size);
	if (!phys_is_ram(&m->phys, pa, size))
		return machine_err(m, -EINVAL,
				   "pa 0x%" PRIx64 "+0x%" PRIx64 " is not RAM",
				   pa, size);
	return 0;
}

/* pt_map()'s last step: the leaf into the entry of @table, which must be none. */
static int
pt_map_leaf(struct hvo_machine *m, kva_t va, phys_addr_t pa, unsigned depth,
	    pgprot_t prot, phys_addr_t table)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t ep = pt_offset(a, depth, table, va);
	uint64_t e = pt_get(m, depth, ep);
	struct pt_decoded dec;

	arch_decode(a, depth, e, &dec);
	if (dec.kind != PTK_NONE)
		return machine_err(m, -EEXIST,
				   "va 0x%" PRIx64 " is already mapped at the %s level (entry 0x%016" PRIx64 ")",
				   va, a->level[depth].name, e);
	pt_set(m, depth, va, ep, a->ops.mk_leaf(a, depth, pa, prot));
	return 0;
}

int
pt_map(struct hvo_machine *m, kva_t va, phys_addr_t pa, unsigned depth,
       pgprot_t prot)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t table = m->pgd_pa;
	int rc = pt_map_check(m, va, pa, depth);

	if (rc)
		return rc;
	for (unsigned d = 0; d < depth; d++) {
		uint64_t ep = pt_offset(a, d, table, va);
		uint64_t e = pt_get(m, d, ep);
		struct pt_decoded dec;

		arch_decode(a, d, e, &dec);
		if (dec.kind == PTK_LEAF)
			return machine_err(m, -EEXIST,
					   "va 0x%" PRIx64 " is inside a %s leaf",
					   va, a->level[d].name);
		if (dec.kind == PTK_BAD)
			return machine_err(m, -EINVAL,
					   "malformed %s entry 0x%016" PRIx64 ": %s",
					   a->level[d].name, e, dec.why);
		if (dec.kind == PTK_NONE) {
			uint64_t new_table;

			rc = alloc_pagetable(m, &new_table);
			if (rc)
				return rc;
			pt_set(m, d, va, ep, a->ops.mk_table(a, d, new_table));
			table = new_table;
		} else {
			table = dec.pa;
		}
	}
	return pt_map_leaf(m, va, pa, depth, prot, table);
}

void
pt_cursor_remember(struct hvo_machine *m, struct pt_cursor *c, kva_t va,
		   unsigned depth)
{
	const struct hvo_arch *a = &m->arch;
	struct pt_walk w;
	uint64_t span;

	/* A leaf at @depth was just mapped at @va: the walk reaches it. */
	pt_walk(m, va, &w, false);
	span = arch_level_size(a, depth) * a->level[depth].entries;
	c->table = w.lvl[depth].table_pa;
	c->depth = depth;
	c->lo = va & ~(span - 1);
	c->hi = c->lo + span;
}

bool
pt_cursor_get(struct hvo_machine *m, const struct pt_cursor *c, kva_t va,
	      struct pt_decoded *d)
{
	const struct hvo_arch *a = &m->arch;

	if (va < c->lo || va >= c->hi)
		return false;
	arch_decode(a, c->depth,
		    pt_peek(m, pt_offset(a, c->depth, c->table, va)), d);
	/* A table below, or a bad entry: the walk goes on or stops short. */
	if (d->kind != PTK_NONE && d->kind != PTK_LEAF)
		return false;
	for (unsigned k = 0; k <= c->depth; k++)
		pt_count_read(m, k);
	return true;
}

int
pt_cursor_map(struct hvo_machine *m, const struct pt_cursor *c, kva_t va,
	      phys_addr_t pa, pgprot_t prot)
{
	int rc = pt_map_check(m, va, pa, c->depth);

	if (rc)
		return rc;
	for (unsigned k = 0; k < c->depth; k++)
		pt_count_read(m, k);
	return pt_map_leaf(m, va, pa, c->depth, prot, c->table);
}

bool
pt_cursor_run_none(struct hvo_machine *m, const struct pt_cursor *c,
		   kva_t va, uint64_t n)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t size = arch_level_size(a, c->depth);
	uint64_t ep = pt_offset(a, c->depth, c->table, va);
	uint64_t j = (ep & (a->page_size - 1)) / 8;
	const struct phys_words *w;
	const uint64_t *s;

	if (unlikely(m->trace.fn) || va < c->lo || va >= c->hi ||
	    n > (c->hi - va) / size)
		return false;
	s = phys_slot(&m->phys, c->table >> a->page_shift);
	w = phys_words_of(&m->phys, c->table >> a->page_shift);
	if (w)
		return (w->x == PHYS_WORDS_NONE || w->x < j || w->x - j >= n) &&
		       (w->hi <= j || w->lo >= j + n || w->hi == w->lo);
	if (!s || !(*s & PHYS_TAG_MASK) || (*s & PHYS_OWN_MASK) == PHYS_HOST) {
		const uint64_t *e = s && (*s & PHYS_TAG_MASK) ?
				    (const uint64_t *)phys_host_of(&m->phys, *s, ep) :
				    NULL;

		for (uint64_t k = 0; e && k < n; k++)
			if (e[k])
				return false;
		return true;
	}
	return false;
}

/*
 * Store leaves [pa, pa + n * pa_step) at @ep on: as a description where
 * the entries are one arithmetic run, else through the host. The entries
 * are the pa's bits (moved about only at and above bit 48: arm64's 52-bit
 * PA) with the prot's, so inside a 2^48-aligned piece of pa they step by
 * a constant; the last is checked against that.
 */
static void
pt_store_run(struct hvo_machine *m, unsigned depth, phys_addr_t ep,
	     uint64_t n, phys_addr_t pa, uint64_t pa_step, pgprot_t prot)
{
	const struct hvo_arch *a = &m->arch;
	const uint64_t hi_bits = UINT64_C(1) << 48;
	uint64_t *host = NULL;

	while (n) {
		uint64_t k = n, e0 = a->ops.mk_leaf(a, depth, pa, prot), step;

		/* The piece that stays inside pa's 2^48-aligned block. */
		while (k > 1 && (pa ^ (pa + (k - 1) * pa_step)) >= hi_bits)
			k /= 2;
		step = k > 1 ? a->ops.mk_leaf(a, depth, pa + pa_step, prot) - e0 : 0;
		if (k > 1 && a->ops.mk_leaf(a, depth, pa + (k - 1) * pa_step, prot) !=
			     e0 + (k - 1) * step)
			k = 1;
		if (!host && !phys_words_store(&m->phys, ep, k, e0, step))
			host = phys_to_host(&m->phys, ep);
		if (host)
			for (uint64_t i = 0; i < k; i++)
				host[i] = a->ops.mk_leaf(a, depth, pa + i * pa_step,
							 prot);
		if (host)
			host += k;
		ep += k * 8;
		pa += k * pa_step;
		n -= k;
	}
}

int
pt_cursor_map_run(struct hvo_machine *m, const struct pt_cursor *c, kva_t va,
		  uint64_t n, phys_addr_t pa, uint64_t pa_step, pgprot_t prot)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t last = pa + (n - 1) * pa_step;
	uint64_t lo = last < pa ? last : pa;
	uint64_t size = arch_level_size(a, c->depth);
	int rc;

	if (!n)
		return 0;
	/* pt_map_check() of each: aligned, all in one range of RAM. */
	rc = pt_map_check(m, va, pa, c->depth);
	if (rc)
		return rc;
	if ((pa_step & (size - 1)) || n > (c->hi - va) / size ||
	    !phys_is_ram(&m->phys, lo, (last > pa ? last - pa : pa - last) + size))
		return machine_err(m, -EINVAL,
				   "a run of %" PRIu64 " leaves from pa 0x%" PRIx64 " is not aligned RAM in one table",
				   n, pa);
	/* From none, nothing live is broken: no break-before-make count. */
	if (m->cfg.bbm_check && a->ops.bbm_change_safe &&
	    !a->ops.bbm_change_safe(a, c->depth, 0,
				    a->ops.mk_leaf(a, c->depth, pa, prot)))
		m->counter[CNT_CHECK_BBM] += n;
	/* pt_cursor_get(): the walk to the entry; pt_cursor_map(): the walk
	 * to the table, the entry read again, and written. */
	for (unsigned k = 0; k < c->depth; k++)
		pt_count_reads(m, k, 2 * n);
	pt_count_reads(m, c->depth, 2 * n);
	m->counter[CNT_PT_WRITE_PGD + (PTS_PGD - pt_stat_level(a, c->depth))] += n;
	pt_store_run(m, c->depth, pt_offset(a, c->depth, c->table, va), n, pa,
		     pa_step, prot);
	return 0;
}

/* Walk to the leaf that maps @va; -EINVAL or -ENOENT with a reason. */
static int
pt_find_leaf(struct hvo_machine *m, kva_t va, struct pt_walk *w)
{
	if (pt_walk(m, va, w, true))
		return machine_err(m, -EINVAL,
				   "va 0x%" PRIx64 " is not a canonical kernel address for %u-bit VA",
				   va, m->arch.va_bits);
	if (w->bad >= 0)
		return machine_err(m, -EINVAL, "malformed %s entry for va 0x%" PRIx64 ": %s",
				   m->arch.level[w->bad].name, va,
				   w->lvl[w->bad].d.why);
	if (w->leaf < 0)
		return machine_err(m, -ENOENT, "va 0x%" PRIx64 " is not mapped",
				   va);
	return 0;
}

int
pt_unmap(struct hvo_machine *m, kva_t va)
{
	struct pt_walk w;
	int rc = pt_find_leaf(m, va, &w);

	if (rc)
		return rc;
	unsigned d = (unsigned)w.leaf;

	if (va & (arch_level_size(&m->arch, d) - 1))
		return machine_err(m, -EINVAL,
				   "va 0x%" PRIx64 " is inside a %s leaf, not at its start",
				   va, m->arch.level[d].name);
	pt_set(m, d, va, w.lvl[d].entry_pa, 0);
	return 0;
}

int
pt_split(struct hvo_machine *m, kva_t va, bool keep_prot, pgprot_t prot)
{
	const struct hvo_arch *a = &m->arch;
	struct pt_walk w;
	uint64_t table;
	unsigned d, child;
	int rc = pt_find_leaf(m, va, &w);

	if (rc)
		return rc;
	d = (unsigned)w.leaf;
	child = d + 1;
	if (child >= a->levels || !a->level[child].leaf_ok)
		return machine_err(m, -EINVAL,
				   "va 0x%" PRIx64 " is mapped by a %s leaf, which cannot be split",
				   va, a->level[d].name);
	rc = alloc_pagetable(m, &table);
	if (rc)
		return rc;
	if (keep_prot)
		prot = w.lvl[d].d.prot;
	/*
	 * Fill the new table before it is reachable (the kernel builds it in
	 * a private pmd, then smp_wmb()): these writes are not yet live.
	 */
	pt_fill_table(m, child, table, w.lvl[d].d.pa, prot);
	pt_set(m, d, va, w.lvl[d].entry_pa, a->ops.mk_table(a, d, table));
	count(m, CNT_PT_SPLIT);
	return 0;
}

int
pt_protect(struct hvo_machine *m, kva_t va, pgprot_t prot)
{
	const struct hvo_arch *a = &m->arch;
	struct pt_walk w;
	int rc = pt_find_leaf(m, va, &w);

	if (rc)
		return rc;
	unsigned d = (unsigned)w.leaf;

	pt_set(m, d, va, w.lvl[d].entry_pa, a->ops.mk_leaf(a, d, w.lvl[d].d.pa, prot));
	return 0;
}
