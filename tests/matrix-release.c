/* SPDX-License-Identifier: MIT */
/*
 * The release axis of the matrix: every preset x every modeled kernel
 * release x every hugepage size of the machine.
 *
 * kernel=RELEASE makes a machine behave as that Linux release does, as the
 * table in lib/release/release.c decides. The releases are derived from the
 * table itself, so that a new row brings its releases into the matrix: each
 * row's mainline release, the mainline release before it (the last one
 * without the change; not for a MAJOR.0 row, whose predecessor is a row of
 * its own), and for a row backported to a stable line the line as
 * maintained and the point releases before and at the backport. The
 * releases the matrix must at least hold are listed in required_releases[]
 * and checked by the first case.
 *
 * For each combination a fresh machine, as small as holds the pool (256M,
 * or three hugepages and 256M more for the large sizes, so that two
 * aligned ones are free), is booted and checked against what the table
 * decides for its release and arch, from what the machine reports: the
 * public API and the counters. The table only decides what to expect;
 * every decision is also seen in an observable of its own (the frames and
 * protections of the vmemmap, the page accounting, the flush and RCU
 * counters). The steps:
 *
 *   1. the kernel: has_hvo, has_sysctl, the variant, the encoding;
 *   2. the hstate: optimizable and what it frees per hugepage;
 *   3. a grow of a few hugepages (4, or 2 of the sizes above 32M): the pool,
 *      MemTotal and MemFree to the page, page tables and vmemmap frames,
 *      the PMD splits, the TLB flushes and the RCU grace periods;
 *   4. the vmemmap of every new hugepage, walked: which frame the head's
 *      vmemmap page maps (kept or new), which the tails map, and their
 *      protections;
 *   5. one hugepage restored on its own (hvo_hugepage_restore(), the
 *      single-folio path): its flushes, its grace period and what the
 *      restored tail pages hold (the reset of their first struct pages);
 *   6. a shrink to 0: everything comes back but the split page tables and
 *      sharedtail's shared tail pages;
 *   7. a machine with a 72-byte struct page: no HVO, and the flushes and
 *      grace periods a pool change still costs;
 *   8. arm64 4K's vmemmap PMD blocks: PROT_SECT_NORMAL's bits.
 *
 * Where libhvo disagrees with the kernel (6.10 and 6.11's grace periods,
 * step 8), the case records it, runs on and fails at its end.
 *
 * hvo_machine_check() runs after every step.
 *
 * Nothing is sampled: every hugepage size of every preset runs with every
 * release, arm64 64K's 16G hugepages on a 48G machine included (a machine
 * costs its kernel's metadata, not its RAM: doc/DESIGN.md, "phys").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "release/release.h"

#define MIB (UINT64_C(1) << 20)

/* Hugepages up to this size get a pool of 4 on 256M; larger ones of 2. */
#define SMALL_SIZE (32 * MIB)
#define NR_SMALL 4
#define NR_LARGE 2
#define MAX_POOL 4
#define MAX_ZONES 8
#define MAX_RELEASES 64

/* x86 _PAGE_DIRTY (arch/x86/include/asm/pgtable_types.h). */
#define X86_PAGE_DIRTY (UINT64_C(1) << 6)
/* arm64 PTE_WRITE (PTE_DBM) and PTE_DIRTY (arch/arm64/include/asm/pgtable-prot.h). */
#define ARM64_PTE_WRITE (UINT64_C(1) << 51)
#define ARM64_PTE_DIRTY (UINT64_C(1) << 55)
/* include/uapi/linux/kernel-page-flags.h */
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16

/* The releases the matrix must hold whatever the table says (issue 11). */
static const char *const required_releases[] = {
	"5.13", "5.14", "5.17", "5.18", "5.19", "6.0", "6.1.15", "6.1",
	"6.2", "6.4", "6.6", "6.7", "6.10", "6.12", "6.12.113", "6.12.114",
	"6.15", "7.0", "7.1",
};

struct release_name {
	char name[24];
	struct kernel_release r;
};

static struct release_name releases[MAX_RELEASES];
static size_t nr_releases;

/* ------------------------------------------------------------------ */
/* The releases, from the table                                        */
/* ------------------------------------------------------------------ */

static int
release_cmp(const void *a, const void *b)
{
	const struct kernel_release *x = &((const struct release_name *)a)->r;
	const struct kernel_release *y = &((const struct release_name *)b)->r;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	if (x->sublevel != y->sublevel)
		return x->sublevel < y->sublevel ? -1 : 1;
	return 0;
}

/* Add "major.minor[.sublevel]" once; RELEASE_NEWEST_POINT: the line. */
static void
add_release(unsigned major, unsigned minor, unsigned sublevel)
{
	struct release_name rn;
	char err[256];

	if (sublevel == RELEASE_NEWEST_POINT)
		snprintf(rn.name, sizeof(rn.name), "%u.%u", major, minor);
	else
		snprintf(rn.name, sizeof(rn.name), "%u.%u.%u", major, minor,
			 sublevel);
	for (size_t i = 0; i < nr_releases; i++)
		if (!strcmp(releases[i].name, rn.name))
			return;
	/* Outside any test case: no cmocka assertion can report this. */
	if (nr_releases == MAX_RELEASES ||
	    release_parse(rn.name, &rn.r, err, sizeof(err))) {
		fprintf(stderr, "matrix-release: cannot add release %s: %s\n",
			rn.name, nr_releases == MAX_RELEASES ? "too many" : err);
		exit(1);
	}
	releases[nr_releases++] = rn;
}

static void
derive_releases(void)
{
	size_t n;
	const struct release_row *rows = release_table(&n);

	for (size_t i = 0; i < n; i++) {
		const struct release_row *row = &rows[i];

		if (!row->major)
			continue; /* the values before HVO */
		add_release(row->major, row->minor, RELEASE_NEWEST_POINT);
		if (row->minor)
			add_release(row->major, row->minor - 1,
				    RELEASE_NEWEST_POINT);
		if (row->stable.major) {
			add_release(row->stable.major, row->stable.minor,
				    RELEASE_NEWEST_POINT);
			add_release(row->stable.major, row->stable.minor,
				    row->stable.sublevel - 1);
			add_release(row->stable.major, row->stable.minor,
				    row->stable.sublevel);
		}
	}
	qsort(releases, nr_releases, sizeof(releases[0]), release_cmp);
}

/* ------------------------------------------------------------------ */
/* What the table decides                                              */
/* ------------------------------------------------------------------ */

struct kexpect {
	bool has_hvo;
	bool has_sysctl;
	enum hvo_variant v;
	enum release_head_copy head;
	bool batched;
	enum release_rcu rcu;
	bool x86_ro_dirty;
	uint64_t reset_pages;
	bool arm64_sect_write;
};

static struct kexpect
kexpect_of(const struct kernel_release *r, enum hvo_arch_id arch)
{
	struct kexpect k = { .has_hvo = release_has_hvo(r, arch) };

	k.has_sysctl = k.has_hvo && release_get(r, RP_SYSCTL);
	k.v = k.has_hvo ? (enum hvo_variant)release_get(r, RP_VARIANT) :
			  HVO_VARIANT_OFF;
	k.head = (enum release_head_copy)release_get(r, RP_HEAD_COPY);
	k.batched = release_get(r, RP_BATCHED);
	k.rcu = (enum release_rcu)release_get(r, RP_RCU);
	k.x86_ro_dirty = release_get(r, RP_X86_RO_DIRTY);
	k.reset_pages = release_get(r, RP_RESET_PAGES);
	k.arm64_sect_write = release_get(r, RP_ARM64_SECT_WRITE);
	return k;
}

/* ------------------------------------------------------------------ */
/* Where libhvo disagrees with the kernel                              */
/* ------------------------------------------------------------------ */

/*
 * The assertions libhvo is known to fail (issue 11: the RCU waits of 6.10
 * and 6.11, arm64's vmemmap PMD blocks) record the disagreement, print
 * what was seen and what the kernel does, and let the case run on, so
 * that one of them does not hide the others or the rest of the case; the
 * case fails at its end.
 */
static const char *current_case;
static unsigned disagreements;

static void
expect_kernel(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return;
	disagreements++;
	print_error("DISAGREE %s: %s: libhvo %" PRIu64 ", the kernel %" PRIu64 "\n",
		    current_case, what, got, want);
}

/* ------------------------------------------------------------------ */
/* Observing a machine                                                 */
/* ------------------------------------------------------------------ */

struct rcase {
	size_t preset;
	const struct release_name *rel;
	const char *name;
};

static struct hvo_machine *
machine_of(const struct rcase *c, uint64_t mem, unsigned struct_page)
{
	char extra[128];

	snprintf(extra, sizeof(extra), "mem=%" PRIu64 "M,kernel=%s,struct_page=%u",
		 mem / MIB, c->rel->name, struct_page);
	return tu_preset_machine(c->preset, extra);
}

static bool
is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/*
 * MemTotal and MemFree in pages, as /proc/meminfo adds them up once
 * deferred struct page init is over (si_meminfo(): totalram_pages() is
 * the managed pages, MemFree the free ones).
 */
static void
meminfo(struct hvo_machine *m, uint64_t *total, uint64_t *free)
{
	tu_meminfo(m, total, free);
}

/* The counters a pool change moves. */
struct ctrs {
	uint64_t all, range, page;  /* tlb.flush_* */
	uint64_t split, rcu, optimize, restore;
};

static struct ctrs
ctrs_of(const struct hvo_machine *m)
{
	struct ctrs c = {
		.all = tu_counter(m, "tlb.flush_all"),
		.range = tu_counter(m, "tlb.flush_range"),
		.page = tu_counter(m, "tlb.flush_page"),
		.split = tu_counter(m, "hvo.split_pmd"),
		.rcu = tu_counter(m, "hvo.synchronize_rcu"),
		.optimize = tu_counter(m, "hvo.optimize"),
		.restore = tu_counter(m, "hvo.restore"),
	};

	return c;
}

static struct ctrs
ctrs_since(const struct hvo_machine *m, const struct ctrs *c0)
{
	struct ctrs c = ctrs_of(m);

	c.all -= c0->all;
	c.range -= c0->range;
	c.page -= c0->page;
	c.split -= c0->split;
	c.rcu -= c0->rcu;
	c.optimize -= c0->optimize;
	c.restore -= c0->restore;
	return c;
}

/*
 * flush_tlb_kernel_range() of @pages pages: one invalidation per page up
 * to the arch's ceiling, a full flush above it (x86
 * tlb_single_page_flush_ceiling, arm64 MAX_DVM_OPS, riscv
 * tlb_flush_all_threshold).
 */
static void
expect_range_flush(struct ctrs *want, const struct hvo_geometry *g,
		   uint64_t pages)
{
	want->range++;
	if (pages > g->tlb_flush_ceiling)
		want->all++;
	else
		want->page += pages;
}

static void
assert_flushes(const char *what, const struct ctrs *got, const struct ctrs *want)
{
	if (got->all != want->all || got->range != want->range ||
	    got->page != want->page)
		print_error("%s: flush_all %" PRIu64 " (want %" PRIu64 "), flush_range %" PRIu64 " (want %" PRIu64 "), flush_page %" PRIu64 " (want %" PRIu64 ")\n",
			    what, got->all, want->all, got->range, want->range,
			    got->page, want->page);
	assert_int_equal(got->all, want->all);
	assert_int_equal(got->range, want->range);
	assert_int_equal(got->page, want->page);
}

/* What the walk to vmemmap page @i of the hugepage at @pfn finds. */
struct vm_map {
	uint64_t frame;
	uint64_t entry;      /* the leaf entry, raw */
	uint64_t prot;
	uint64_t leaf_size;
	bool writable;
};

static uint64_t
vmemmap_va(struct hvo_machine *m, const struct hvo_geometry *g, uint64_t pfn,
	   uint64_t i)
{
	uint64_t va;

	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	return (va & ~(uint64_t)(g->page_size - 1)) + i * g->page_size;
}

static struct vm_map
vm_map_of(struct hvo_machine *m, const struct hvo_geometry *g, uint64_t pfn,
	  uint64_t i)
{
	struct hvo_walk w;
	struct vm_map v;

	assert_int_equal(hvo_walk(m, vmemmap_va(m, g, pfn, i), &w), 0);
	if (!w.mapped)
		fail_msg("vmemmap page %" PRIu64 " of pfn 0x%" PRIx64 " is not mapped",
			 i, pfn);
	v.frame = w.pa >> g->page_shift;
	v.entry = w.level[w.nr_levels - 1].entry;
	v.prot = w.prot;
	v.leaf_size = w.leaf_size;
	v.writable = w.writable;
	return v;
}

/* The first two vmemmap frames of every place a hugepage could take. */
struct slot {
	uint64_t pfn;
	uint64_t frame[2];
};

struct slots {
	struct slot *s;
	size_t n;
};

static struct slots
slots_of(struct hvo_machine *m, const struct hvo_geometry *g, uint64_t nr,
	 uint64_t vmemmap)
{
	uint64_t end = g->first_pfn + (g->mem_bytes >> g->page_shift);
	uint64_t first = (g->first_pfn + nr - 1) & ~(nr - 1);
	struct slots sl = { .s = calloc((end - g->first_pfn) / nr + 1,
					sizeof(struct slot)) };

	assert_non_null(sl.s);
	for (uint64_t pfn = first; pfn + nr <= end; pfn += nr) {
		struct slot *s = &sl.s[sl.n++];

		s->pfn = pfn;
		s->frame[0] = vm_map_of(m, g, pfn, 0).frame;
		s->frame[1] = vmemmap > 1 ? vm_map_of(m, g, pfn, 1).frame : 0;
	}
	return sl;
}

static const struct slot *
slot_find(const struct slots *sl, uint64_t pfn)
{
	for (size_t i = 0; i < sl->n; i++)
		if (sl->s[i].pfn == pfn)
			return &sl->s[i];
	fail_msg("hugepage at pfn 0x%" PRIx64 " is not where a hugepage fits", pfn);
	return NULL;
}

/* The struct page flags word of page @i of the hugepage at @pfn. */
static uint64_t
struct_page_flags(struct hvo_machine *m, const struct hvo_geometry *g,
		  uint64_t pfn, uint64_t i)
{
	uint64_t va, flags = 0;

	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	assert_int_equal(hvo_kread64(m, va + i * g->struct_page_size, &flags), 0);
	return flags;
}

/* ------------------------------------------------------------------ */
/* One hugepage size                                                   */
/* ------------------------------------------------------------------ */

/* What one hugepage size should do on this machine. */
struct hexpect {
	uint64_t nr_pages;       /* base pages per hugepage */
	uint64_t vmemmap;        /* whole vmemmap pages; 0 if a fraction */
	bool opt;
	uint64_t freed;          /* vmemmap pages freed per hugepage */
	uint64_t old_freed;      /* of them, pages of the boot memmap */
	uint64_t walk_optimize;  /* pages a single optimize flushes */
	uint64_t walk_restore;   /* pages a single restore flushes */
};

static struct hexpect
hexpect_of(const struct kexpect *k, const struct hvo_geometry *g,
	   const struct hvo_hstate_info *h, bool mask)
{
	struct hexpect e = { .nr_pages = UINT64_C(1) << h->order };
	uint64_t bytes = e.nr_pages * g->struct_page_size;
	uint64_t kept = k->v == HVO_VARIANT_KEEP2 ? 2 : 1;

	e.vmemmap = bytes % g->page_size ? 0 : bytes / g->page_size;
	/*
	 * hugetlb_vmemmap_optimizable_size(): nothing without a power-of-two
	 * struct page (e9fdff87e893) or when the struct pages fit in the
	 * pages kept; sharedtail needs the mask encoding.
	 */
	e.opt = k->v != HVO_VARIANT_OFF && is_pow2(g->struct_page_size) &&
		e.vmemmap > kept && (k->v != HVO_VARIANT_SHAREDTAIL || mask);
	if (!e.opt)
		return e;
	e.freed = e.vmemmap - kept;
	/*
	 * Which vmemmap pages go back, and what is flushed:
	 * keep2 (f41f2ed43ca5) walks from the reuse page vm[1] and flushes
	 * after it (L6.1 mm/hugetlb_vmemmap.c:205); 5.18 to 6.1 walk from
	 * the head's page, the reuse page, and flush after it; from 6.2
	 * (11aad2631bf7) the head's page is copied, freed and flushed too
	 * (L6.12 mm/hugetlb_vmemmap.c:171). A restore walks what the
	 * optimize walked, except from 6.12.114 and 7.1, where it starts at
	 * vm[1] (L6.12 mm/hugetlb_vmemmap.c:412).
	 */
	if (k->v == HVO_VARIANT_KEEP2) {
		e.old_freed = e.vmemmap - 2;
		e.walk_optimize = e.walk_restore = e.vmemmap - 2;
	} else if (k->v == HVO_VARIANT_FAKEHEAD && k->head == HEAD_KEEP) {
		e.old_freed = e.vmemmap - 1;
		e.walk_optimize = e.walk_restore = e.vmemmap - 1;
	} else {
		e.old_freed = e.vmemmap;
		e.walk_optimize = e.vmemmap;
		e.walk_restore = k->v == HVO_VARIANT_SHAREDTAIL ||
				 k->head == HEAD_COPY ? e.vmemmap - 1 : e.vmemmap;
	}
	return e;
}

/*
 * The size fits 4 times in 256M, or twice in five times its size and
 * 256M more (gigantic hugepages need a free aligned range, and memblock
 * takes the top of RAM, the kernel image the bottom and, where RAM
 * crosses 4G, swiotlb_init() 64M just below 4G).
 */
static void
pool_of(uint64_t size, uint64_t *n, uint64_t *mem)
{
	*n = size <= SMALL_SIZE ? NR_SMALL : NR_LARGE;
	*mem = size <= SMALL_SIZE ? 256 * MIB : 5 * size + 256 * MIB;
}

struct grow_state {
	uint64_t n;
	uint64_t pfn[MAX_POOL];
	uint64_t splits;
	uint64_t fresh_tails;
	uint64_t t0, f0, t1, f1;
	struct tu_acct a0, a1;
};

/*
 * The PMD splits a grow costs: every PMD block of the boot vmemmap that
 * the optimized hugepages' vmemmap touches (vmemmap_split_pmd(); the
 * vmemmap is mapped with blocks where vmemmap_populate_hugepages() is
 * used: x86_64, riscv64, arm64 4K), each once.
 */
static uint64_t
expected_splits(struct hvo_machine *m, const struct hvo_geometry *g,
		const struct hexpect *e, const uint64_t *pfn, uint64_t n,
		bool blocks)
{
	uint64_t pmd_size = g->level_leaf_size[g->levels - 2];
	uint64_t region[MAX_POOL * 64];
	size_t nr = 0;

	if (!e->opt || !blocks)
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t start = vmemmap_va(m, g, pfn[i], 0);
		uint64_t end = start + e->vmemmap * g->page_size;

		for (uint64_t va = start & ~(pmd_size - 1); va < end; va += pmd_size) {
			bool seen = false;

			for (size_t k = 0; k < nr; k++)
				seen |= region[k] == va;
			if (!seen) {
				assert_true(nr < sizeof(region) / sizeof(region[0]));
				region[nr++] = va;
			}
		}
	}
	return nr;
}

/*
 * The vmemmap of one hugepage after the grow, walked page by page.
 *
 * keep2 (f41f2ed43ca5): vm[0] and vm[1] stay as they were, read-write;
 * vm[2..] map vm[1] read-only. 5.18 to 6.1 (e7d324850bfc): vm[0] stays,
 * read-write, vm[1..] map it read-only. From 6.2 (11aad2631bf7) vm[0]
 * maps a new copy of the head page and vm[1..] map that copy; from 7.1
 * (c0b495b91a47) vm[1..] map the shared tail page of the hugepage's zone.
 * Read-only is PAGE_KERNEL_RO, which riscv (HVO from 6.4, L6.12
 * arch/riscv/Kconfig:83) does not define, so it is PAGE_KERNEL (L6.1
 * include/linux/pgtable.h:1620-1621); on x86 it carries _PAGE_DIRTY
 * before 6.6 (f788b71768ff).
 */
static void
assert_vmemmap(struct hvo_machine *m, const struct hvo_geometry *g,
	       const struct kexpect *k, const struct hexpect *e,
	       const struct slot *s, uint64_t *tail_of_zone)
{
	uint64_t pfn = s->pfn;
	struct vm_map v0 = vm_map_of(m, g, pfn, 0);
	uint64_t tail_frame, first_tail = k->v == HVO_VARIANT_KEEP2 ? 2 : 1;
	bool x86 = !strcmp(g->arch, "x86_64");

	if (!e->opt) {
		/* Nothing moved: the head's page is the boot memmap's, RW. */
		assert_int_equal(v0.frame, s->frame[0]);
		assert_true(v0.writable);
		return;
	}
	assert_int_equal(v0.leaf_size, g->page_size);
	assert_true(v0.writable);
	assert_int_equal(v0.prot, g->page_kernel);
	if (k->v == HVO_VARIANT_KEEP2 ||
	    (k->v == HVO_VARIANT_FAKEHEAD && k->head == HEAD_KEEP))
		assert_int_equal(v0.frame, s->frame[0]);
	else
		assert_int_not_equal(v0.frame, s->frame[0]);

	if (k->v == HVO_VARIANT_KEEP2) {
		struct vm_map v1 = vm_map_of(m, g, pfn, 1);

		assert_int_equal(v1.frame, s->frame[1]);
		assert_true(v1.writable);
		tail_frame = v1.frame;
	} else if (k->v == HVO_VARIANT_SHAREDTAIL) {
		unsigned z = tu_zone_of(m, pfn);

		tail_frame = vm_map_of(m, g, pfn, 1).frame;
		assert_int_not_equal(tail_frame, v0.frame);
		assert_int_not_equal(tail_frame, s->frame[0]);
		assert_int_not_equal(tail_frame, s->frame[1]);
		assert_true(z < MAX_ZONES);
		if (tail_of_zone[z])
			assert_int_equal(tail_frame, tail_of_zone[z]);
		tail_of_zone[z] = tail_frame;
	} else {
		tail_frame = v0.frame;
	}
	for (uint64_t i = first_tail; i < e->vmemmap; i++) {
		struct vm_map v = vm_map_of(m, g, pfn, i);

		if (v.frame != tail_frame || v.writable == g->has_kernel_ro ||
		    v.prot != g->page_kernel_ro)
			fail_msg("pfn 0x%" PRIx64 " vmemmap page %" PRIu64 ": frame 0x%" PRIx64 " (want 0x%" PRIx64 "), %s, prot 0x%" PRIx64 " (want 0x%" PRIx64 ")",
				 pfn, i, v.frame, tail_frame,
				 v.writable ? "writable" : "read-only", v.prot,
				 g->page_kernel_ro);
		if (x86)
			assert_int_equal(!!(v.entry & X86_PAGE_DIRTY),
					 k->x86_ro_dirty);
	}
	/* riscv: PAGE_KERNEL_RO is PAGE_KERNEL (no read-only kernel prot). */
	assert_int_equal(g->page_kernel_ro == g->page_kernel, !g->has_kernel_ro);
}

/*
 * hvo.synchronize_rcu of one batch of a pool change:
 * hugetlb_vmemmap_optimize_folios() for a grow, hugetlb_vmemmap_restore_folios()
 * for a shrink, which a kernel that builds HVO calls for every batch; @n_done
 * hugepages of it were optimized or restored.
 *
 * None before 6.10 nor from 7.1 (without fake heads there is no race).
 * 6.12 to 7.0 wait once per batch in which a hugepage is optimized or
 * restored (c2a967f6ab0e: VMEMMAP_SYNCHRONIZE_RCU, cleared after the first
 * hugepage; L6.12 mm/hugetlb_vmemmap.c:464-470, :606-628).
 *
 * 6.10 and 6.11 (bd225530a4c7) call synchronize_rcu() once at the top of
 * each of those two functions, whatever the batch holds and whether HVO
 * is on: "each request of HVO or de-HVO, batched or not, invokes
 * synchronize_rcu() once" (Yu Zhao, "mm/hugetlb_vmemmap: batch HVO work
 * when demoting", lore 20240811041703.2775153-1-yuzhao@google.com; the
 * hunks are in c2a967f6ab0e's diff, which moves them). The table's row reads
 * "before every optimize and restore"; libhvo waits before every
 * hugepage of a batch, and not for a batch that restores nothing. The
 * kernel's count is expected: a disagreement (expect_kernel()).
 */
static void
assert_rcu(const char *what, uint64_t got, const struct kexpect *k,
	   uint64_t n_done)
{
	switch (k->rcu) {
	case RCU_PER_CALL:
		expect_kernel(what, got, k->has_hvo ? 1 : 0);
		break;
	case RCU_PER_BATCH:
		if (got != (n_done ? 1 : 0))
			print_error("%s: synchronize_rcu %" PRIu64 ", want %d\n",
				    what, got, n_done ? 1 : 0);
		assert_int_equal(got, n_done ? 1 : 0);
		break;
	default:
		assert_int_equal(got, 0);
		break;
	}
}

/*
 * Step 3: the grow. Before 6.7 each hugepage is optimized as it is
 * allocated, with a PMD-sized flush per split and a range flush per
 * hugepage (L6.1 mm/hugetlb_vmemmap.c:82, :205); from 6.7 the pool is one
 * batch: split everything, flush_tlb_all(), remap everything,
 * flush_tlb_all() (f4b7e3efaddb, 91f386bf0772; L6.12
 * mm/hugetlb_vmemmap.c:602-648), also when nothing is optimized, as long
 * as the kernel builds HVO. MemTotal rises by the boot memmap pages freed
 * (free_bootmem_page(): they were never managed); MemFree falls by the
 * hugepages, less what HVO freed, plus the page tables of the splits and
 * sharedtail's first tail page per zone (vmemmap_get_tail()).
 */
static void
grow(struct hvo_machine *m, const struct hvo_geometry *g,
     const struct kexpect *k, const struct hexpect *e, unsigned hi,
     const struct slots *sl, bool blocks, struct grow_state *gs)
{
	struct hvo_hstate_info h = tu_hstate(m, hi);
	struct ctrs c0 = ctrs_of(m), d, want = { 0 };
	uint64_t n = gs->n, n_opt = e->opt ? gs->n : 0;
	uint64_t tail_of_zone[MAX_ZONES] = { 0 };
	bool zone_seen[MAX_ZONES] = { false };
	char what[64];

	meminfo(m, &gs->t0, &gs->f0);
	gs->a0 = tu_acct(m);
	assert_int_equal(hvo_set_nr_hugepages(m, h.size, n), 0);
	d = ctrs_since(m, &c0);
	meminfo(m, &gs->t1, &gs->f1);
	gs->a1 = tu_acct(m);

	h = tu_hstate(m, hi);
	assert_int_equal(h.nr, n);
	assert_int_equal(h.free, n);
	assert_int_equal(h.optimized, n_opt);
	assert_int_equal(d.optimize, n_opt);
	assert_int_equal(h.saved_bytes, n_opt * e->freed * g->page_size);
	assert_int_equal(tu_pool_pfns(m, h.size, gs->pfn, MAX_POOL), n);

	if (k->v == HVO_VARIANT_SHAREDTAIL) {
		for (uint64_t i = 0; i < n_opt; i++) {
			unsigned z = tu_zone_of(m, gs->pfn[i]);

			assert_true(z < MAX_ZONES);
			if (!zone_seen[z])
				gs->fresh_tails++;
			zone_seen[z] = true;
		}
	}

	/* vmemmap_split_pmd(): one page table each, never given back. */
	gs->splits = d.split;
	assert_int_equal(d.split, expected_splits(m, g, e, gs->pfn, n, blocks));
	assert_int_equal(gs->a1.pt - gs->a0.pt, d.split);
	assert_int_equal((int64_t)(gs->a1.vm - gs->a0.vm),
			 -(int64_t)(n_opt * e->freed) + (int64_t)gs->fresh_tails);
	assert_int_equal(gs->t1 - gs->t0, n_opt * e->old_freed);
	assert_int_equal((int64_t)(gs->f0 - gs->f1),
			 (int64_t)(n * e->nr_pages) - (int64_t)(n_opt * e->freed) +
			 (int64_t)d.split + (int64_t)gs->fresh_tails);

	if (k->has_hvo && k->batched) {
		want.all = 2;
	} else if (k->has_hvo) {
		for (uint64_t i = 0; i < d.split; i++)
			expect_range_flush(&want, g, g->level_leaf_size[g->levels - 2] /
						     g->page_size);
		for (uint64_t i = 0; i < n_opt; i++)
			expect_range_flush(&want, g, e->walk_optimize);
	}
	assert_flushes("grow", &d, &want);
	snprintf(what, sizeof(what), "grow of %" PRIu64 " x %s: synchronize_rcu",
		 n, h.name);
	assert_rcu(what, d.rcu, k, n_opt);

	/* Step 4. */
	for (uint64_t i = 0; i < n; i++)
		assert_vmemmap(m, g, k, e, slot_find(sl, gs->pfn[i]),
			       tail_of_zone);
	tu_assert_check(m);
}

/*
 * Step 5: one hugepage restored alone (hugetlb_vmemmap_restore_folio()):
 * a range flush over what it walks, one grace period where the release
 * has them, the freed pages taken back. What the rebuilt tail pages hold
 * (reset_struct_pages(), RP_RESET_PAGES): keep2 copies the reuse page,
 * which holds only tails (ad2fa3717b74); 5.18 to 6.12.110 copy the head
 * page and reset its first 3 struct pages (e7d324850bfc), 6.12.111 to
 * 6.12.113 and 6.15 to 7.0 the first 4 (274fe92de2c4); 6.12.114 copies
 * the head page verbatim (L6.12 mm/hugetlb_vmemmap.c:236-261), so every
 * rebuilt page starts with the head's struct pages (debian-6.12-restore,
 * lib/hugetlb/vmemmap.c); 7.1 copies the shared tail. Struct page 0 of
 * the last vmemmap page shows which. Either way it still reads as a tail
 * (kpageflags, the checker): while other hugepages keep fake heads,
 * compound_head() undoes a head-like page at a page boundary through
 * page[1] (page_fixed_fake_head(), L6.12 include/linux/page-flags.h:203).
 */
static void
restore_one(struct hvo_machine *m, const struct hvo_geometry *g,
	    const struct kexpect *k, const struct hexpect *e, unsigned hi,
	    const struct grow_state *gs)
{
	uint64_t pfn = gs->pfn[gs->n - 1];
	uint64_t last = (e->vmemmap - 1) * g->page_size / g->struct_page_size;
	struct ctrs c0 = ctrs_of(m), d, want = { 0 };
	struct tu_acct a0 = tu_acct(m), a1;
	uint64_t t0, f0, t1, f1;
	bool head_like, want_head_like;
	struct hvo_hstate_info h;
	uint64_t kpf;

	meminfo(m, &t0, &f0);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	d = ctrs_since(m, &c0);
	meminfo(m, &t1, &f1);
	a1 = tu_acct(m);
	h = tu_hstate(m, hi);
	assert_int_equal(h.optimized, gs->n - 1);
	assert_int_equal(h.saved_bytes, (gs->n - 1) * e->freed * g->page_size);
	assert_int_equal(d.restore, 1);
	assert_int_equal(t1, t0);
	assert_int_equal(f0 - f1, e->freed);
	assert_int_equal(a1.vm - a0.vm, e->freed);
	assert_int_equal(a1.pt, a0.pt);
	expect_range_flush(&want, g, e->walk_restore);
	assert_flushes("single restore", &d, &want);
	/*
	 * hugetlb_vmemmap_restore_folio() flushes its own range (no
	 * VMEMMAP_REMAP_NO_TLB_FLUSH) and waits once in 6.10 to 7.0 (L6.12
	 * mm/hugetlb_vmemmap.c:439-441; bd225530a4c7 before).
	 */
	assert_int_equal(d.rcu, k->rcu == RCU_NONE ? 0 : 1);

	for (uint64_t i = 0; i < e->vmemmap; i++) {
		struct vm_map v = vm_map_of(m, g, pfn, i);

		assert_true(v.writable);
		assert_int_equal(v.prot, g->page_kernel);
	}
	head_like = struct_page_flags(m, g, pfn, last) ==
		    struct_page_flags(m, g, pfn, 0);
	want_head_like = k->v == HVO_VARIANT_FAKEHEAD && k->reset_pages == 0;
	assert_int_equal(head_like, want_head_like);
	assert_int_equal(hvo_kpageflags(m, pfn + last, &kpf), 0);
	assert_true(kpf & (UINT64_C(1) << KPF_COMPOUND_TAIL));
	assert_false(kpf & (UINT64_C(1) << KPF_COMPOUND_HEAD));
	/*
	 * The verbatim copy puts head bytes into the tail slots: the checker
	 * names the first struct page that is not what prep wrote (page 64,
	 * the first of the 2nd vmemmap page); freeing the hugepage clears it.
	 */
	if (want_head_like) {
		assert_int_equal(hvo_machine_check(m), -EUCLEAN);
		assert_non_null(strstr(hvo_machine_error(m), "folio.tail_"));
	} else {
		tu_assert_check(m);
	}
}

/*
 * Step 6: the shrink. Before 6.7 each hugepage is restored as it is freed,
 * with a range flush each; from 6.7 one batch and one flush_tlb_all() if
 * any was restored (L6.12 mm/hugetlb_vmemmap.c:457-486). Everything comes
 * back but the page tables of the splits (vmemmap_split_pmd() never
 * merges) and sharedtail's shared tail pages; MemTotal keeps what the grow
 * added (the restored vmemmap comes from the buddy allocator).
 */
static void
shrink(struct hvo_machine *m, const struct hvo_geometry *g,
       const struct kexpect *k, const struct hexpect *e, unsigned hi,
       const struct grow_state *gs, uint64_t n_restored)
{
	struct hvo_hstate_info h = tu_hstate(m, hi);
	struct ctrs c0 = ctrs_of(m), d, want = { 0 };
	uint64_t t2, f2;
	struct tu_acct a2;
	char what[64];

	assert_int_equal(hvo_set_nr_hugepages(m, h.size, 0), 0);
	d = ctrs_since(m, &c0);
	meminfo(m, &t2, &f2);
	a2 = tu_acct(m);
	h = tu_hstate(m, hi);
	assert_int_equal(h.nr, 0);
	assert_int_equal(h.optimized, 0);
	assert_int_equal(h.saved_bytes, 0);
	assert_int_equal(d.restore, n_restored);
	assert_int_equal(t2, gs->t1);
	assert_int_equal(f2, gs->f0 - gs->splits - gs->fresh_tails);
	assert_int_equal(a2.pt, gs->a1.pt);
	assert_int_equal(a2.vm, gs->a0.vm + gs->fresh_tails);
	if (k->has_hvo && k->batched) {
		want.all = n_restored ? 1 : 0;
	} else {
		for (uint64_t i = 0; i < n_restored; i++)
			expect_range_flush(&want, g, e->walk_restore);
	}
	assert_flushes("shrink", &d, &want);
	snprintf(what, sizeof(what), "shrink of %s, %" PRIu64 " restored: synchronize_rcu",
		 h.name, n_restored);
	assert_rcu(what, d.rcu, k, n_restored);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
}

static void
run_hstate(const struct rcase *c, const struct kexpect *k, unsigned hi,
	   uint64_t size)
{
	struct grow_state gs = { 0 };
	struct hvo_machine *m;
	struct hvo_geometry g;
	struct hvo_hstate_info h;
	struct hexpect e;
	struct slots sl;
	uint64_t mem, n_restored;
	bool mask, blocks;

	pool_of(size, &gs.n, &mem);
	m = machine_of(c, mem, 64);
	g = tu_geometry(m);
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	assert_int_equal(hvo_machine_compound_encoding(m, &mask), 0);
	h = tu_hstate(m, hi);
	assert_int_equal(h.size, size);
	e = hexpect_of(k, &g, &h, mask);

	/* Step 2: hugetlb_vmemmap_optimizable_size(). */
	assert_int_equal(h.optimizable, e.opt);
	assert_int_equal(h.vmemmap_pages_freed_per_hugepage, e.freed);
	if (e.vmemmap)
		assert_int_equal(h.vmemmap_pages_per_hugepage, e.vmemmap);
	if (!e.opt)
		assert_true(h.reason && *h.reason);

	blocks = vm_map_of(m, &g, g.first_pfn, 0).leaf_size > g.page_size;
	sl = slots_of(m, &g, e.nr_pages, e.vmemmap);
	tu_assert_check(m);

	grow(m, &g, k, &e, hi, &sl, blocks, &gs);
	n_restored = e.opt ? gs.n : 0;
	if (e.opt) {
		restore_one(m, &g, k, &e, hi, &gs);
		n_restored--;
	}
	shrink(m, &g, k, &e, hi, &gs, n_restored);
	free(sl.s);
	hvo_machine_free(m);
}

/* ------------------------------------------------------------------ */
/* A struct page that is not a power of two                            */
/* ------------------------------------------------------------------ */

/*
 * Step 7: struct page of 72 bytes. HVO never runs (e9fdff87e893, "struct
 * page crosses page boundaries"), but a kernel that builds it still
 * batches: a grow costs its two flush_tlb_all() from 6.7 (L6.12
 * mm/hugetlb_vmemmap.c:621, :646); 6.12's grace period is only for a
 * batch that optimizes (c2a967f6ab0e), 6.10's for every batch (see
 * assert_rcu()). A shrink restores nothing, so it flushes nothing.
 */
static void
run_odd_struct_page(const struct rcase *c, const struct kexpect *k)
{
	struct hvo_machine *m = machine_of(c, 256 * MIB, 72);
	struct hvo_hstate_info h;
	struct ctrs c0, d, want = { 0 };
	uint64_t t0, f0, t1, f1, n = 2;
	struct tu_acct a0, a1;
	enum hvo_variant v;
	unsigned pick = 0;
	const char *why;
	bool enabled;

	assert_int_equal(hvo_machine_init_deferred(m), 0);
	assert_int_equal(hvo_machine_hvo(m, &v, &enabled, &why), 0);
	assert_int_equal(v, k->v);
	assert_false(enabled);
	if (k->v != HVO_VARIANT_OFF)
		assert_non_null(strstr(why, "crosses page boundaries"));
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		assert_false(h.optimizable);
		assert_int_equal(h.vmemmap_pages_freed_per_hugepage, 0);
		if (k->v != HVO_VARIANT_OFF)
			assert_non_null(strstr(h.reason, "crosses page boundaries"));
		/* The largest size two of which fit easily. */
		if (h.size <= SMALL_SIZE)
			pick = i;
	}
	h = tu_hstate(m, pick);
	tu_assert_check(m);

	c0 = ctrs_of(m);
	meminfo(m, &t0, &f0);
	a0 = tu_acct(m);
	assert_int_equal(hvo_set_nr_hugepages(m, h.size, n), 0);
	d = ctrs_since(m, &c0);
	meminfo(m, &t1, &f1);
	a1 = tu_acct(m);
	h = tu_hstate(m, pick);
	assert_int_equal(h.nr, n);
	assert_int_equal(h.optimized, 0);
	assert_int_equal(h.saved_bytes, 0);
	assert_int_equal(d.optimize, 0);
	assert_int_equal(d.split, 0);
	assert_int_equal(t1, t0);
	assert_int_equal(f0 - f1, n << h.order);
	assert_int_equal(a1.pt, a0.pt);
	assert_int_equal(a1.vm, a0.vm);
	want.all = k->has_hvo && k->batched ? 2 : 0;
	assert_flushes("grow, struct page 72", &d, &want);
	assert_rcu("grow of 2 with a 72-byte struct page: synchronize_rcu", d.rcu, k, 0);
	tu_assert_check(m);

	c0 = ctrs_of(m);
	assert_int_equal(hvo_set_nr_hugepages(m, h.size, 0), 0);
	d = ctrs_since(m, &c0);
	meminfo(m, &t1, &f1);
	assert_int_equal(tu_hstate(m, pick).nr, 0);
	assert_int_equal(d.restore, 0);
	assert_int_equal(t1, t0);
	assert_int_equal(f1, f0);
	want.all = 0;
	assert_flushes("shrink, struct page 72", &d, &want);
	assert_rcu("shrink of 2 with a 72-byte struct page: synchronize_rcu", d.rcu, k, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ------------------------------------------------------------------ */
/* The cases                                                           */
/* ------------------------------------------------------------------ */

/*
 * Step 1: what the release builds for this arch (HVO: f41f2ed43ca5 for
 * x86_64 in 5.14, 1e63ac088f20 for arm64 in 5.19 until 060a2c92d1b6 in
 * 6.3 and 6.1.16, riscv64 in 6.4; the sysctl: 78f39084b41d in 5.19) and
 * which variant it runs (5.14 keep2, 5.18 fakehead e7d324850bfc, 7.1
 * sharedtail c0b495b91a47), seen in hvo_machine_hvo() and the encoding
 * of compound_info (a mask only for sharedtail, whose heads are then
 * aligned to their struct pages).
 */
static void
assert_kernel(const struct rcase *c, const struct kexpect *k,
	      unsigned *nr_hstates, uint64_t *sizes)
{
	struct hvo_machine *m = machine_of(c, 256 * MIB, 64);
	struct hvo_geometry g = tu_geometry(m);
	struct hvo_kernel_info ki;
	struct hvo_hstate_info h;
	enum hvo_variant v_now;
	const char *why;
	bool enabled, mask;

	assert_int_equal(hvo_machine_kernel(m, &ki), 0);
	assert_string_equal(ki.release, c->rel->name);
	assert_string_equal(ki.build, "mainline");
	if (ki.has_hvo != k->has_hvo || ki.has_sysctl != k->has_sysctl ||
	    ki.variant != k->v)
		print_error("%s kernel=%s: has_hvo %d, has_sysctl %d, variant %s\n",
			    hvo_preset_name(c->preset), c->rel->name, ki.has_hvo,
			    ki.has_sysctl, hvo_variant_name(ki.variant));
	assert_int_equal(ki.has_hvo, k->has_hvo);
	assert_int_equal(ki.has_sysctl, k->has_sysctl);
	assert_int_equal(ki.variant, k->v);
	assert_true(ki.variant_from_release);
	assert_true(ki.hvo_default);
	assert_false(ki.check_pages);

	assert_int_equal(hvo_machine_hvo(m, &v_now, &enabled, &why), 0);
	assert_int_equal(v_now, k->v);
	assert_int_equal(enabled, k->v != HVO_VARIANT_OFF);
	assert_int_equal(hvo_machine_compound_encoding(m, &mask), 0);
	assert_int_equal(mask, k->v == HVO_VARIANT_SHAREDTAIL);

	*nr_hstates = 0;
	while (hvo_machine_hstate(m, *nr_hstates, &h) == 0) {
		assert_true(*nr_hstates < 8);
		sizes[(*nr_hstates)++] = h.size;
		/*
		 * The mask finds the head by aligning a tail's address: the
		 * struct page of every aligned pfn is aligned to the struct
		 * pages of the hugepage (riscv from 7.1: VMEMMAP_ADDR_ALIGN).
		 */
		if (mask)
			assert_int_equal(g.vmemmap_base %
					 ((h.size >> g.page_shift) * g.struct_page_size),
					 0);
	}
	assert_true(*nr_hstates > 0);

	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * arm64 4K maps the vmemmap with PMD blocks (vmemmap_populate_hugepages())
 * of PROT_SECT_NORMAL (L6.1 arch/arm64/mm/mmu.c:1256): PTE_WRITE only from
 * 6.5 (RP_ARM64_SECT_WRITE), PTE_DIRTY in no release (L6.1
 * arch/arm64/include/asm/pgtable-prot.h:43, L6.12 :50). libhvo maps them
 * with PAGE_KERNEL in every release: a disagreement (expect_kernel()).
 */
static void
assert_arm64_sect_prot(const struct rcase *c, const struct kexpect *k)
{
	struct hvo_machine *m = machine_of(c, 256 * MIB, 64);
	struct hvo_geometry g = tu_geometry(m);
	struct vm_map v = vm_map_of(m, &g, g.first_pfn, 0);

	if (!strcmp(g.arch, "arm64") && v.leaf_size > g.page_size) {
		expect_kernel("vmemmap PMD block: PTE_WRITE",
			      !!(v.entry & ARM64_PTE_WRITE), k->arm64_sect_write);
		expect_kernel("vmemmap PMD block: PTE_DIRTY",
			      !!(v.entry & ARM64_PTE_DIRTY), 0);
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

static bool
refused_without_lpa2(const struct rcase *c)
{
	char spec[256], err[512] = "";
	struct hvo_config cfg;
	int rc;

	snprintf(spec, sizeof(spec), "%s:mem=256M,kernel=%s",
		 hvo_preset_name(c->preset), c->rel->name);
	rc = hvo_config_parse(&cfg, spec, err, sizeof(err));
	if (rc == 0)
		return false;
	if (rc != -EINVAL || !strstr(err, "LPA2") ||
	    release_get(&c->rel->r, RP_ARM64_LPA2))
		fail_msg("%s: refused: %s", spec, err);
	return true;
}

static void
test_combination(void **state)
{
	const struct rcase *c = *state;
	const struct hvo_config *cfg;
	struct hvo_machine *m;
	struct kexpect k;
	uint64_t sizes[8];
	unsigned nr_hstates;

	/*
	 * 52-bit VA with 4K or 16K pages needs LPA2 (6.9): an older release
	 * refuses the machine, with the reason, and that is the case's
	 * consequence (RP_ARM64_LPA2).
	 */
	if (refused_without_lpa2(c))
		return;
	/* The arch of the preset, from its machine. */
	m = tu_preset_machine(c->preset, "mem=256M");
	cfg = hvo_machine_config(m);
	assert_non_null(cfg);
	k = kexpect_of(&c->rel->r, cfg->arch);
	hvo_machine_free(m);

	current_case = c->name;
	disagreements = 0;
	assert_kernel(c, &k, &nr_hstates, sizes);
	for (unsigned hi = 0; hi < nr_hstates; hi++)
		run_hstate(c, &k, hi, sizes[hi]);
	run_odd_struct_page(c, &k);
	assert_arm64_sect_prot(c, &k);
	if (disagreements)
		fail_msg("%s: %u disagreement(s) with the kernel (DISAGREE above)",
			 c->name, disagreements);
}

/* The derived releases hold every one the issue asks for. */
static void
test_releases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(required_releases) / sizeof(required_releases[0]); i++) {
		bool found = false;

		for (size_t j = 0; j < nr_releases; j++)
			found |= !strcmp(releases[j].name, required_releases[i]);
		if (!found)
			fail_msg("release %s is not derived from the table",
				 required_releases[i]);
	}
}

int
main(void)
{
	size_t np = hvo_preset_count(), total, k = 0;
	struct CMUnitTest *cases;
	struct rcase *rc;
	char (*names)[96];
	int ret;

	derive_releases();
	total = np * nr_releases + 1;
	cases = calloc(total, sizeof(*cases));
	rc = calloc(total, sizeof(*rc));
	names = calloc(total, sizeof(*names));
	if (!cases || !rc || !names)
		return 1;
	cases[k].name = "releases";
	cases[k].test_func = test_releases;
	k++;
	/*
	 * One case per preset and release (not tu_run_matrix()'s one per
	 * preset), so that a failure names its release and the other
	 * releases of the preset still run.
	 */
	for (size_t p = 0; p < np; p++) {
		for (size_t r = 0; r < nr_releases; r++, k++) {
			rc[k].preset = p;
			rc[k].rel = &releases[r];
			rc[k].name = names[k];
			snprintf(names[k], sizeof(names[k]), "%.40s/kernel=%.23s",
				 hvo_preset_name(p), releases[r].name);
			cases[k].name = names[k];
			cases[k].test_func = test_combination;
			cases[k].initial_state = &rc[k];
		}
	}
	ret = tu_run("release-matrix", cases, total);
	free(names);
	free(rc);
	free(cases);
	return ret;
}
