/* SPDX-License-Identifier: MIT */
/*
 * The kernel page table and kernel memory access.
 *
 * pt_*: walk and edit the page table. Entries live in simulated frames and
 *       are read and written through pt_get()/pt_set(), which count every
 *       access per level and check break-before-make on arches that need it.
 *       Like set_pte_at(), nothing here flushes the TLB.
 * k*:   loads and stores at kernel virtual addresses, through the TLB. A
 *       miss walks the table; a fault is counted and reported, never applied.
 */
#ifndef HVO_MMU_H
#define HVO_MMU_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/machine.h"

struct pt_walk {
	uint64_t va;
	unsigned nr;              /* levels visited */
	struct pt_level_rec lvl[HVO_MAX_LEVELS];
	int leaf;                 /* depth of the leaf, or -1 */
	int bad;                  /* depth of a malformed entry, or -1 */
};

/* Counter slot of a depth: the top is "pgd", the rest go by role. */
static inline unsigned
pt_stat_level(const struct hvo_arch *a, unsigned depth)
{
	_Static_assert((int)PTS_PGD == (int)PT_NR_ROLES - 1 &&
		       (int)PTS_PMD == (int)PT_PMD,
		       "a level's counters are its role's, the top's the pgd's");
	return a->level[depth].stat;
}

/*
 * The counters of reads and writes of entries at @depth: for a walk over
 * one table, which counts through them without finding them each time.
 */
static inline uint64_t *
pt_read_counter(struct hvo_machine *m, unsigned depth)
{
	return &m->counter[CNT_PT_READ_PGD + (PTS_PGD - pt_stat_level(&m->arch, depth))];
}

static inline uint64_t *
pt_write_counter(struct hvo_machine *m, unsigned depth)
{
	return &m->counter[CNT_PT_WRITE_PGD + (PTS_PGD - pt_stat_level(&m->arch, depth))];
}

/* Count one read of an entry at @depth. */
static inline void
pt_count_read(struct hvo_machine *m, unsigned depth)
{
	(*pt_read_counter(m, depth))++;
}

/* Count @n reads of entries at @depth. */
static inline void
pt_count_reads(struct hvo_machine *m, unsigned depth, uint64_t n)
{
	m->counter[CNT_PT_READ_PGD + (PTS_PGD - pt_stat_level(&m->arch, depth))] += n;
}

/* Count one write of an entry at @depth. */
static inline void
pt_count_write(struct hvo_machine *m, unsigned depth)
{
	(*pt_write_counter(m, depth))++;
}

/*
 * The entry at @entry_pa, not counted: what the host looks at. A table
 * described as a run of entries (phys_words_store()) is read from its
 * description, and stays one.
 */
static inline uint64_t
pt_peek(struct hvo_machine *m, phys_addr_t entry_pa)
{
	return phys_peek64(&m->phys, entry_pa);
}

/* Read the entry at entry_pa of a table at @depth (counted). */
static inline uint64_t
pt_get(struct hvo_machine *m, unsigned depth, phys_addr_t entry_pa)
{
	pt_count_read(m, depth);
	return pt_peek(m, entry_pa);
}

/*
 * Write an entry: set_pte_at(), set_pmd(), pmd_populate_kernel() and their
 * kin, for any level. @va is an address the entry translates: the trace
 * event names the start of the range whose mapping the write changes. On
 * an arch that needs break-before-make, replacing a live valid entry in a
 * way the architecture forbids is counted (check.bbm) -- and still done,
 * as the kernel's HVO does.
 */
void
pt_set(struct hvo_machine *m, unsigned depth, kva_t va, phys_addr_t entry_pa,
       uint64_t val);

void
__pt_set_host(struct hvo_machine *m, unsigned depth, kva_t va,
	      phys_addr_t entry_pa, uint64_t *host, uint64_t val);

/*
 * Whether pt_set_host() of an entry at @depth only counts and writes: the
 * same for every entry of a table while a walk over it runs.
 */
static inline bool
pt_set_host_plain(const struct hvo_machine *m, unsigned depth)
{
	const struct hvo_arch *a = &m->arch;

	return !((a->ops.bbm_change_safe && m->cfg.bbm_check) ||
		 depth + 1 < a->levels || unlikely(m->trace.fn));
}

/*
 * pt_set() of an entry whose host bytes @host the caller holds already
 * (phys_to_host() of @entry_pa, writable): a walk over one table
 * translates the table once, not every entry. Counted, checked and
 * traced as pt_set(). Inline for a last-level entry with nothing to
 * check or trace: counted and written.
 */
static inline void
pt_set_host(struct hvo_machine *m, unsigned depth, kva_t va,
	    phys_addr_t entry_pa, uint64_t *host, uint64_t val)
{
	if (!pt_set_host_plain(m, depth)) {
		__pt_set_host(m, depth, va, entry_pa, host, val);
		return;
	}
	pt_count_write(m, depth);
	*host = val;
}

/*
 * Fill the table at @table, not yet reachable, with leaves of @depth that
 * map [pa, pa + its entries * leaf size) with @prot: the private table
 * vmemmap_split_pmd() and a block split build before the entry above
 * makes it live. Counted as writes; nothing live changes, so nothing is
 * traced or checked for break-before-make.
 */
void
pt_fill_table(struct hvo_machine *m, unsigned depth, uint64_t table,
	      phys_addr_t pa, pgprot_t prot);

/*
 * The kernel's page-table vocabulary (include/linux/pgtable.h) on this
 * machine. A pte_t or pmd_t is an entry's value, bit for bit; where the
 * kernel holds a pointer to an entry (pte_t *ptep), lib holds the entry's
 * physical address. ptep_get() and set_pte_at() are counted as pt_get()
 * and pt_set() are. The offsets read the entry above them without
 * counting: the counters count one read per entry per walk, which the
 * walk's own reads (pt_walk(), ptep_get()) make. A level the arch does not
 * have folds into the one above it, as the kernel folds it: p4d_offset()
 * of a 4-level table is the pgd slot itself.
 */
typedef uint64_t pmd_t;
typedef uint64_t pte_t;

/* An entry of @depth in arch-neutral terms (not a read: @e is a value). */
static inline struct pt_decoded
pt_decode(const struct hvo_machine *m, unsigned depth, uint64_t e)
{
	struct pt_decoded d;

	arch_decode(&m->arch, depth, e, &d);
	return d;
}

/*
 * The depth of the level that plays @role, or -1 where no level does.
 * Roles count from the bottom (arch.h), the PTE's being the last level,
 * so this is arch_depth_of_role() without the search.
 */
static inline int
pt_role_depth(const struct hvo_machine *m, enum pt_role role)
{
	return (int)m->arch.levels - 1 - (int)role;
}

static inline unsigned
pte_depth(const struct hvo_machine *m)
{
	return (unsigned)pt_role_depth(m, PT_PTE);
}

/* Every arch has one: with 64K pages and 42-bit VAs it is the pgd. */
static inline unsigned
pmd_depth(const struct hvo_machine *m)
{
	return (unsigned)pt_role_depth(m, PT_PMD);
}

/* The slot of @va in the table at @table_pa of @depth. */
static inline uint64_t
pt_offset(const struct hvo_arch *a, unsigned depth, phys_addr_t table_pa,
	  kva_t va)
{
	return table_pa + (uint64_t)arch_level_index(a, depth, va) * 8;
}

/* The address after @addr's PMD-sized piece, or @end if that comes first. */
static inline uint64_t
pmd_addr_end(const struct hvo_machine *m, kva_t addr, kva_t end)
{
	uint64_t size = arch_level_size(&m->arch, pmd_depth(m));
	uint64_t next = (addr & ~(size - 1)) + size;

	return next < end ? next : end;
}

static inline uint64_t
pgd_offset_k(const struct hvo_machine *m, kva_t addr)
{
	return pt_offset(&m->arch, 0, m->pgd_pa, addr);
}

/*
 * The slot of @addr at the level of @role, in the table the entry at
 * @parentp (one level up) points to; @parentp itself if the level is
 * folded (the pgd plays it, or no level does).
 */
static inline uint64_t
pt_level_offset(struct hvo_machine *m, enum pt_role role, uint64_t parentp,
		kva_t addr)
{
	int depth = pt_role_depth(m, role);
	uint64_t e;

	if (depth <= 0)
		return parentp;
	e = pt_peek(m, parentp);
	return pt_offset(&m->arch, (unsigned)depth,
			 pt_decode(m, (unsigned)depth - 1, e).pa, addr);
}

static inline uint64_t
p4d_offset(struct hvo_machine *m, uint64_t pgdp, kva_t addr)
{
	return pt_level_offset(m, PT_P4D, pgdp, addr);
}

static inline uint64_t
pud_offset(struct hvo_machine *m, uint64_t p4dp, kva_t addr)
{
	return pt_level_offset(m, PT_PUD, p4dp, addr);
}

static inline uint64_t
pmd_offset(struct hvo_machine *m, uint64_t pudp, kva_t addr)
{
	return pt_level_offset(m, PT_PMD, pudp, addr);
}

/* pmd_off_k(): the PMD slot of @addr in the kernel page table. */
static inline uint64_t
pmd_off_k(struct hvo_machine *m, kva_t addr)
{
	return pmd_offset(m, pud_offset(m, p4d_offset(m, pgd_offset_k(m, addr),
						      addr), addr), addr);
}

/* @pmdp must point at a table (not none, not a leaf). */
static inline uint64_t
pte_offset_kernel(struct hvo_machine *m, uint64_t pmdp, kva_t addr)
{
	return pt_level_offset(m, PT_PTE, pmdp, addr);
}

static inline pte_t
ptep_get(struct hvo_machine *m, uint64_t ptep)
{
	return pt_get(m, pte_depth(m), ptep);
}

/* Like the kernel's, @addr only names the page (for the trace); nothing is
 * flushed. */
static inline void
set_pte_at(struct hvo_machine *m, kva_t addr, uint64_t ptep, pte_t pte)
{
	pt_set(m, pte_depth(m), addr, ptep, pte);
}

static inline pte_t
pfn_pte(const struct hvo_machine *m, pfn_t pfn, pgprot_t prot)
{
	const struct hvo_arch *a = &m->arch;

	return arch_mk_pte(a, pfn << a->page_shift, prot);
}

/* The kernel's takes a struct page; pages here are named by their pfn. */
static inline pte_t
mk_pte(const struct hvo_machine *m, pfn_t pfn, pgprot_t prot)
{
	return pfn_pte(m, pfn, prot);
}

static inline uint64_t
pte_pfn(const struct hvo_machine *m, pte_t pte)
{
	return arch_pte_pa(&m->arch, pte) >> m->arch.page_shift;
}

/* A PMD that maps a block: pmd_leaf(), and the block's first pfn. */
static inline bool
pmd_leaf(const struct hvo_machine *m, pmd_t pmd)
{
	return pt_decode(m, pmd_depth(m), pmd).kind == PTK_LEAF;
}

static inline uint64_t
pmd_pfn(const struct hvo_machine *m, pmd_t pmd)
{
	return pt_decode(m, pmd_depth(m), pmd).pa >> m->arch.page_shift;
}

/*
 * Point the PMD at @pmdp at the PTE table at @table_pa (counted, live).
 * Unlike the kernel's, it takes an address the PMD maps, @addr, which only
 * the trace uses.
 */
static inline void
pmd_populate_kernel(struct hvo_machine *m, kva_t addr, uint64_t pmdp,
		    phys_addr_t table_pa)
{
	const struct hvo_arch *a = &m->arch;

	pt_set(m, pmd_depth(m), addr, pmdp,
	       a->ops.mk_table(a, pmd_depth(m), table_pa));
}

/*
 * Walk the table for @va. Returns 0 (see w->leaf and w->bad), or -EINVAL if
 * @va is not a kernel address. @counted: whether reads are counted (the
 * checker's own walks are not).
 */
int
pt_walk(struct hvo_machine *m, kva_t va, struct pt_walk *w, bool counted);

/*
 * The walker's memo slot of @va's region, and its key (pgtable.c). Every
 * descriptor has two levels at least: arm64's 64K granule with 42-bit
 * VAs has the fewest.
 */
static inline struct pwc_entry *
pwc_slot(struct hvo_machine *m, kva_t va, uint64_t *key)
{
	unsigned shift = m->tlb.pwc_shift;

	*key = (va >> shift) + 1;
	return &m->tlb.pwc[(va >> shift) & (PWC_ENTRIES - 1)];
}

/* pt_walk_leaf(), all of it, out of line. */
int
__pt_walk_leaf(struct hvo_machine *m, kva_t va, struct pt_walk *w, bool counted);

/*
 * The last-level table of @va, if the memo holds the levels above it and
 * they lead to one: nothing read, nothing counted.
 */
static inline bool
pwc_last_table(struct hvo_machine *m, kva_t va, phys_addr_t *table_pa)
{
	const struct pwc_entry *c;
	uint64_t key;

	c = pwc_slot(m, va, &key);
	if (unlikely(c->key != key || c->table == PWC_NO_TABLE))
		return false;
	*table_pa = c->table;
	return true;
}

/*
 * Count the reads of a walk from the top to the last level: the top's
 * are the pgd's, and the levels below it have the roles from the top's
 * minus one down to the PTE's (arch_set_levels()).
 */
static inline void
pt_count_walk(struct hvo_machine *m)
{
	uint64_t *c = &m->counter[CNT_PT_READ_PGD];

	switch (m->arch.levels) {
	case 5:
		c[PTS_PGD - PTS_P4D]++;
		/* fall through */
	case 4:
		c[PTS_PGD - PTS_PUD]++;
		/* fall through */
	case 3:
		c[PTS_PGD - PTS_PMD]++;
		/* fall through */
	default:
		c[PTS_PGD - PTS_PTE]++;
		c[0]++;
	}
}

/*
 * pt_walk() for a caller that looks only where the walk stopped: of
 * w->lvl[], only the last level visited (w->nr - 1; the leaf's, or the
 * bad entry's) is sure to be filled. Counted as pt_walk(); cheaper on a
 * memo hit, which copies no other level's record. Inline where the memo
 * leaves one last-level table to read and its entry maps a page, the
 * walk of nearly every TLB miss: nothing is counted or filled before
 * that is known, so anything else is __pt_walk_leaf()'s from the start.
 */
static inline int
pt_walk_leaf(struct hvo_machine *m, kva_t va, struct pt_walk *w, bool counted)
{
	const struct hvo_arch *a = &m->arch;
	unsigned nr = a->levels - 1;
	struct pt_level_rec *r = &w->lvl[nr];

	if (!pwc_last_table(m, va, &r->table_pa))
		return __pt_walk_leaf(m, va, w, counted);
	r->entry_pa = pt_offset(a, nr, r->table_pa, va);
	r->index = arch_level_index(a, nr, va);
	r->entry = pt_peek(m, r->entry_pa);
	arch_decode(a, nr, r->entry, &r->d);
	if (unlikely(r->d.kind != PTK_LEAF))
		return __pt_walk_leaf(m, va, w, counted);
	/* The same entries a walk would read, counted as read. */
	if (counted)
		pt_count_walk(m);
	r->depth = nr;
	w->va = va;
	w->nr = nr + 1;
	w->leaf = (int)nr;
	w->bad = -1;
	return 0;
}

/* The physical page @va translates to, or -EFAULT. Not counted. */
int
pt_lookup(struct hvo_machine *m, kva_t va, phys_addr_t *pa, bool *writable);

/* The pfn @va translates to, 0 if unmapped. Not counted. */
uint64_t
pfn_of_va(struct hvo_machine *m, kva_t va);

/*
 * Map [va, va + level size) at @depth to @pa with @prot, allocating missing
 * tables. -EINVAL, -EEXIST or -ENOMEM.
 */
int
pt_map(struct hvo_machine *m, kva_t va, phys_addr_t pa, unsigned depth,
       pgprot_t prot);

/*
 * A table a loop keeps going back to, as sparse_init() maps the vmemmap
 * block after block into one PMD table: [lo, hi) are the VAs its entries
 * map (empty: nothing remembered). A walk through it reads, and counts,
 * every entry above it as a walk from the top would: only the host skips
 * the steps. Valid while nothing rewrites the entries above it.
 */
struct pt_cursor {
	kva_t lo, hi;
	phys_addr_t table;
	unsigned depth;
};

/* Remember the table of the leaf at @depth just mapped at @va (not counted). */
void
pt_cursor_remember(struct hvo_machine *m, struct pt_cursor *c, kva_t va,
		   unsigned depth);

/*
 * pt_walk() (counted) of @va, if @va is inside the cursor's table and its
 * entry there ends the walk (none or a leaf): *@d is that entry. false,
 * with nothing counted: walk instead.
 */
bool
pt_cursor_get(struct hvo_machine *m, const struct pt_cursor *c, kva_t va,
	      struct pt_decoded *d);

/* pt_map() of a leaf at the cursor's depth for @va, which pt_cursor_get()
 * found inside the cursor's table. */
int
pt_cursor_map(struct hvo_machine *m, const struct pt_cursor *c, kva_t va,
	      phys_addr_t pa, pgprot_t prot);

/*
 * Whether the @n entries of the cursor's table from @va's are none, so
 * that pt_cursor_map_run() can map them (nothing counted). false also
 * where the run must go entry by entry: a trace wants every write.
 */
bool
pt_cursor_run_none(struct hvo_machine *m, const struct pt_cursor *c,
		   kva_t va, uint64_t n);

/*
 * pt_cursor_get() and pt_cursor_map() of @n pages from @va, page k mapped
 * to @pa + k * @pa_step with @prot, in one go, counted as those calls
 * count: after pt_cursor_run_none() said yes. An arithmetic run of
 * entries is stored as the table's description where it can be
 * (phys_words_store()): the table costs no host memory until someone
 * writes it through the host.
 */
int
pt_cursor_map_run(struct hvo_machine *m, const struct pt_cursor *c, kva_t va,
		  uint64_t n, phys_addr_t pa, uint64_t pa_step, pgprot_t prot);

/* The depth whose leaves are @size bytes, or -1. */
int
pt_depth_for_size(const struct hvo_arch *a, uint64_t size);

int
pt_unmap(struct hvo_machine *m, kva_t va);

/*
 * Replace the block mapping @va by a table of next-level leaves with @prot,
 * or the block's own protection if @keep_prot. The table comes from
 * alloc_pagetable() (core's hook). -EINVAL, -ENOENT or -ENOMEM.
 */
int
pt_split(struct hvo_machine *m, kva_t va, bool keep_prot, pgprot_t prot);

int
pt_protect(struct hvo_machine *m, kva_t va, pgprot_t prot);

/* TLB maintenance, with the arch's flush ceiling. */
void
flush_tlb_kernel_range(struct hvo_machine *m, kva_t start, kva_t end);

void
flush_tlb_all(struct hvo_machine *m);

/*
 * phys_filler callbacks: point every cached translation of a frame whose
 * bytes moved at where they are now; say which host pages the TLB can
 * still reach.
 */
void
tlb_unshare_pfn(void *ctx, pfn_t pfn);

void
tlb_mark_live(void *ctx);

/*
 * Every entry that translates to frame @pfn keeps its translation but
 * lets go of the frame's host page (TLB_TAG_HOSTLESS), as a fill of a
 * described frame leaves it: the frame is about to be described. Nothing
 * is counted: a TLB caches where a page is, not its bytes. False, with
 * nothing done, while the checker's entries stand in for the machine's.
 */
bool
tlb_unhost_pfn(struct hvo_machine *m, pfn_t pfn);

/*
 * Whether a valid entry of @t's own (not the saved ones) translates to
 * frame @pfn: a look at the entries of its hash, not at all of them.
 */
bool
tlb_reaches_pfn(const struct tlb *t, pfn_t pfn);

int
tlb_init(struct tlb *t, unsigned entries, const struct hvo_arch *a);

void
tlb_fini(struct tlb *t);

/*
 * Turn tlb_check on or off: with it, every access takes the slow path,
 * where a hit is checked against the page table.
 */
void
tlb_set_force_slow(struct tlb *t, bool on);

/* Drop every TLB entry without counting (a machine reset, not a flush). */
void
tlb_invalidate_all(struct tlb *t);

/* The entries were put back by hand (the checker): list them again. */
void
tlb_recount(struct tlb *t);

/*
 * The slow path of every access: a miss, a misaligned access, a store to a
 * read-only page or a checked hit. Returns the host address, or NULL with a
 * fault counted and *rc set (-EINVAL or -EFAULT); with @rc NULL, the fault
 * is a struct page access's, which oopses the machine (machine_oops()).
 */
void *
kaccess_slow(struct hvo_machine *m, kva_t va, unsigned size, bool write,
	     int *rc);

/*
 * The entry kaccess_hit() looks at for @va: the same for every address of
 * a page, and for a page the same while the machine runs (only
 * tlb_set_force_slow() moves it, at boot and around the checker).
 */
static inline const struct tlb_entry *
kaccess_hit_slot(const struct hvo_machine *m, kva_t va)
{
	const struct tlb *t = &m->tlb;

	return (const struct tlb_entry *)
		(t->hit_base + ((va >> t->hit_shift) & t->hit_mask));
}

/*
 * kaccess_hit() with its entry @e, kaccess_hit_slot() of @va, which the
 * caller may have found for another address of @va's page.
 */
static inline bool
kaccess_hit_in(struct hvo_machine *m, const struct tlb_entry *e, kva_t va,
	       unsigned size, bool write, void **p)
{
	uint64_t tag = write ? e->tag_write : e->tag_read;

	/* The same page, and @va aligned to @size. */
	if (likely(!((va ^ tag) & m->tlb.hit_key[size]))) {
		m->counter[CNT_TLB_HIT]++;
		*p = (void *)(uintptr_t)(va + e->addend);
		return true;
	}
	return false;
}

/*
 * The hit half of kaccess(): true, counted, with the host address in *@p
 * if the TLB holds @va for the access; false if kaccess_slow() must go.
 */
static inline bool
kaccess_hit(struct hvo_machine *m, kva_t va, unsigned size, bool write,
	    void **p)
{
	return kaccess_hit_in(m, kaccess_hit_slot(m, va), va, size, write, p);
}

/*
 * Host address for @size bytes at @va (size-aligned, within one page;
 * @size is 1, 2, 4 or 8).
 */
static inline void *
kaccess(struct hvo_machine *m, kva_t va, unsigned size, bool write,
	int *rc)
{
	void *p;

	if (kaccess_hit(m, va, size, write, &p))
		return p;
	return kaccess_slow(m, va, size, write, rc);
}

static inline int
kread64(struct hvo_machine *m, kva_t va, uint64_t *val)
{
	int rc = -EFAULT;
	void *p = kaccess(m, va, 8, false, &rc);

	if (unlikely(!p)) {
		*val = 0;
		return rc ? rc : -EFAULT;
	}
	memcpy(val, p, 8);
	return 0;
}

static inline int
kwrite64(struct hvo_machine *m, kva_t va, uint64_t val)
{
	int rc = -EFAULT;
	void *p = kaccess(m, va, 8, true, &rc);

	if (unlikely(!p))
		return rc ? rc : -EFAULT;
	memcpy(p, &val, 8);
	return 0;
}

static inline int
kread32(struct hvo_machine *m, kva_t va, uint32_t *val)
{
	int rc = -EFAULT;
	void *p = kaccess(m, va, 4, false, &rc);

	if (unlikely(!p)) {
		*val = 0;
		return rc ? rc : -EFAULT;
	}
	memcpy(val, p, 4);
	return 0;
}

static inline int
kwrite32(struct hvo_machine *m, kva_t va, uint32_t val)
{
	int rc = -EFAULT;
	void *p = kaccess(m, va, 4, true, &rc);

	if (unlikely(!p))
		return rc ? rc : -EFAULT;
	memcpy(p, &val, 4);
	return 0;
}

/*
 * A hint, not an access: the host bytes at @va if the TLB translates it
 * for loads, NULL otherwise. Nothing is filled, counted or cached. (An
 * uncounted walk on a miss cost more instructions than the prefetch it
 * fed saved time.)
 */
static inline const uint8_t *
kaddr_hint(struct hvo_machine *m, kva_t va)
{
	const struct tlb_entry *e = tlb_slot(&m->tlb, va);

	if (e->tag_read == (va & m->tlb.page_mask))
		return (const uint8_t *)(uintptr_t)(va + e->addend);
	return NULL;
}

/*
 * An 8-byte load (into *@val) or store (of *@val) of a struct page field
 * the kernel touches alone, through the TLB and counted as kaccess()
 * counts it, that leaves a frame phys describes word by word (a vmemmap
 * page the host compacted) described: on a miss the entry holds no host
 * page (TLB_TAG_HOSTLESS) and the description answers. Where it cannot,
 * the frame gets its page as on any access. A fault oopses the machine,
 * as a struct page access's does: false then, a load giving 0.
 */
bool
kaccess_described64(struct hvo_machine *m, kva_t va, bool write,
		    uint64_t *val);

/*
 * The host address of the whole page holding @va, for page-sized work such
 * as copy_page() and clear_page(): one translation, as the kernel's loads of
 * that page would take. NULL with *rc on a fault.
 */
void *
kmap_page(struct hvo_machine *m, kva_t va, bool write, int *rc);

/* Check that no cached translation differs from the page table. */
int
tlb_check_stale(struct hvo_machine *m);

/*
 * From here to tlb_scratch_end(), loads that miss on a frame described but
 * not shareable (phys_filler.peek) read it through a page of the TLB's own
 * instead of giving the frame one: the checker reads a machine without
 * growing it. Stores are as always. 0 or -ENOMEM.
 */
int
tlb_scratch_begin(struct hvo_machine *m);

/* Frames read through the scratch pages since tlb_scratch_begin(). */
uint64_t
tlb_scratch_end(struct hvo_machine *m);

#endif /* HVO_MMU_H */
