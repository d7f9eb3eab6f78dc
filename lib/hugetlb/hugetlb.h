/* SPDX-License-Identifier: MIT */
/*
 * HugeTLB pools and the vmemmap optimization (mm/hugetlb.c,
 * mm/hugetlb_vmemmap.c).
 *
 * A hugepage is a compound page: PG_head and the hugetlb mark (a page type,
 * or 6.1's destructor) on the head, the folio fields in the first tail
 * pages where the release keeps them (mm/folio.h), every tail pointing at
 * the head. HVO remaps the tail part of its struct pages onto one shared page;
 * which page, and how many are kept, is the variant's business.
 */
#ifndef HVO_HUGETLB_H
#define HVO_HUGETLB_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/buddy.h"
#include "mm/compound.h"

#define HUGE_MAX_HSTATE 6

/*
 * One hugepage of a pool; host memory, as the kernel's folio lists. The
 * words first, then the small fields: 40 bytes, not 48, per hugepage of a
 * pool that may hold 33 million.
 */
struct huge_page {
	uint64_t pfn;            /* head pfn */
	uint64_t head_vmemmap;   /* pfn now behind the first vmemmap page */
	uint64_t reuse_vmemmap;  /* keep2: pfn behind the second page */
	/*
	 * When it was last put on the free list (enqueue_hugetlb_folio()):
	 * the free page with the highest is at the head of the kernel's
	 * hugepage_freelists, the one a fault or a shrink takes next.
	 */
	uint64_t lru;
	enum hvo_variant variant;/* how its vmemmap is optimized (OFF: not) */
	bool in_use;             /* handed out; not on the free list */
	bool bootmem;            /* came from memblock at boot */
	bool prehvo;             /* HUGE_BOOTMEM_HVO: its vmemmap was
				    populated already optimized */
	/* Taken off the pool by a shrink and freed: out at its end. */
	bool freed;
};

/*
 * Which pool slot a head pfn is in: the kernel finds a folio from its page
 * in O(1) (page_folio()); the pools here are arrays, so a table with one
 * entry per smallest-hugepage-sized piece of RAM keeps that lookup O(1),
 * one cache line, and in address order. Host memory only where written.
 */
struct hp_index {
	uint64_t *slot;     /* hstate << 56 | (k + 1), or 0 */
	uint64_t base_pfn;  /* pfn of slot 0 */
	uint64_t nr;        /* slots */
	unsigned shift;     /* pfns per slot: 1 << shift */
	size_t n;           /* hugepages indexed */
};

struct hstate {
	unsigned order;
	uint64_t size;
	char name[16];                /* "2M", "1G" */
	uint64_t nr;                  /* nr_huge_pages: in the pool */
	uint64_t free;                /* free_huge_pages */
	uint64_t resv;                /* resv_huge_pages */
	uint64_t surplus;             /* surplus_huge_pages */
	uint64_t nr_overcommit;       /* nr_overcommit_huge_pages */
	/* What the sysctl reads: the persistent pages at the last resize. */
	uint64_t max_huge_pages;
	uint64_t lru_seq;             /* the last huge_page.lru given */
	uint64_t optimized;           /* with an optimized vmemmap */
	uint64_t vmemmap_pages;       /* struct page pages per hugepage */
	bool optimizable;             /* hugetlb_vmemmap_optimizable() */
	struct huge_page *pages;      /* the pool */
	uint64_t cap;
	uint64_t tail_pfn[4];         /* sharedtail: per zone, 0 = none */
	unsigned boot_nr;             /* hugepages= at boot */
	uint64_t boot_want;           /* ... as given, for the warning */
	bool boot_per_node;           /* ... given as hugepages=0:N */
	unsigned demote_order;        /* demote_size written; 0: the default */
	/*
	 * A demote left resv_huge_pages above free_huge_pages or
	 * surplus_huge_pages above nr_huge_pages, as the kernel's does
	 * (demote-takes-reserved, demote-keeps-surplus in
	 * doc/KERNEL-BUGS.md): the checker no longer holds the counts to
	 * those two rules.
	 */
	bool counts_broken;
};

/*
 * HugeTLB's part of a machine (struct hvo_machine's hugetlb pointer), which
 * no layer below this one sees.
 */
struct hugetlb {
	struct hstate hstates[HUGE_MAX_HSTATE];
	unsigned nr_hstates;
	struct hp_index hp_index;     /* head pfn -> pool slot */
	/* Boot pages marked HUGE_BOOTMEM_HVO: with none, no section is
	 * SECTION_IS_VMEMMAP_PREINIT and sparse_init() asks nothing. */
	uint64_t nr_prehvo;
	enum hvo_variant hvo_variant; /* vm.hugetlb_optimize_vmemmap, as a variant */
	/*
	 * Lists pool batches build, kept between calls with their host
	 * pages: a resize of half a million hugepages should not allocate
	 * its bookkeeping, or fault it in, every time (host_array_grow()).
	 */
	struct huge_page **batch_pages;
	size_t batch_pages_max;
	uint64_t *batch_pfns;
	size_t batch_pfns_max;
	/*
	 * The templates prep and the free write for every hugepage, per
	 * zone, once registered (memmap_tpl_id() + 1; 0: not yet): a plain
	 * tail per hstate, and a free page (memmap_write_id()).
	 */
	int tail_tpl[HUGE_MAX_HSTATE][MAX_NR_ZONES];
	int free_tpl[MAX_NR_ZONES];
};

/* vmemmap_remap_walk flags. */
#define VMEMMAP_SPLIT_NO_TLB_FLUSH (1u << 0)
#define VMEMMAP_REMAP_NO_TLB_FLUSH (1u << 1)
/* synchronize_rcu() before the remap (6.12: once per batch). */
#define VMEMMAP_SYNCHRONIZE_RCU (1u << 2)
/* The walk's first page is the reuse page: range flushes start after it. */
#define VMEMMAP_FLUSH_AFTER_REUSE (1u << 3)

/* The hstates this arch offers, set up at boot. */
int
hugetlb_init(struct hvo_machine *m);

void
hugetlb_fini(struct hvo_machine *m);

struct hstate *
size_to_hstate(struct hvo_machine *m, uint64_t size);

/* Boot-time pools (hugepages=): gigantic ones come from memblock. */
int
hugetlb_reserve_bootmem(struct hvo_machine *m);

int
hugetlb_gather_bootmem(struct hvo_machine *m);


/*
 * report_hugepages(): what hugetlb_init() logs per hugepage size at boot,
 * on releases that log it (RP_VMEMMAP_REPORT).
 */
void
report_hugepages(struct hvo_machine *m);

/* hugetlb_vmemmap_optimizable(), with the kernel's reason when not. */
bool
hugetlb_vmemmap_optimizable(const struct hvo_machine *m, const struct hstate *h,
			    const char **why);

/* The reasons HVO gives for not running, in one place. */
#define HVO_REASON_OFF "HVO is off (hugetlb_optimize_vmemmap=0)"
#define HVO_REASON_NOT_POW2 \
	"cannot optimize vmemmap pages because \"struct page\" crosses page boundaries (its size is not a power of two)"

/* Why this machine cannot optimize anything now, or NULL if it can. */
const char *
hvo_disabled_reason(const struct hvo_machine *m);

/* How many vmemmap pages a variant keeps per hugepage (0 for off). */
unsigned
variant_kept_pages(enum hvo_variant v);

/* The single-folio operations, with immediate TLB flushes. */
int
hugetlb_vmemmap_optimize_folio(struct hvo_machine *m, struct hstate *h,
			       struct huge_page *hp);

int
hugetlb_vmemmap_restore_folio(struct hvo_machine *m, struct hstate *h,
			      struct huge_page *hp);

/* The batched ones: two full flushes per batch. */
int
hugetlb_vmemmap_optimize_folios(struct hvo_machine *m, struct hstate *h,
				struct huge_page **list, uint64_t n);

/* The boot pool's batch: pre-HVO pages only get their mirrors made RO. */
int
hugetlb_vmemmap_optimize_bootmem_folios(struct hvo_machine *m,
					struct hstate *h,
					struct huge_page **list, uint64_t n);

/*
 * Bootmem pre-HVO (RP_BOOTMEM_PREHVO): hugetlb_vmemmap_init_early() runs
 * before sparse_init(), hugetlb_vmemmap_init_late() after it, before
 * memmap_init(); hugetlb_section_preinit() is the hook by which
 * sparse_init() leaves their sections alone; gather calls
 * hugetlb_vmemmap_prehvo_folio() for each pre-HVO page.
 */
int
hugetlb_vmemmap_init_early(struct hvo_machine *m);

int
hugetlb_vmemmap_init_late(struct hvo_machine *m);

bool
hugetlb_section_preinit(struct hvo_machine *m, uint64_t pfn);

void
hugetlb_vmemmap_prehvo_folio(struct hvo_machine *m, struct hstate *h,
			     struct huge_page *hp);

long
hugetlb_vmemmap_restore_folios(struct hvo_machine *m, struct hstate *h,
			       struct huge_page **list, uint64_t n);

/* /proc/kpageflags bits of a pfn. */
int
stable_page_flags(struct hvo_machine *m, pfn_t pfn, uint64_t *flags);

/* The checker's hugetlb rules. */
int
hugetlb_check(struct hvo_machine *m);

/*
 * set_max_huge_pages(): resize the persistent pool to @nr. With @partial
 * (the kernel's own semantics) a grow keeps what it got and pages in use
 * or reserved beyond @nr become surplus pages; without, a resize the
 * kernel would do only in part is refused (-ENOMEM, -EBUSY) and nothing
 * changes.
 */
int
set_max_huge_pages(struct hvo_machine *m, struct hstate *h, uint64_t nr,
		   bool partial);

/* persistent_huge_pages(): the pages the pool keeps when they are freed. */
static inline uint64_t
persistent_huge_pages(const struct hstate *h)
{
	return h->nr - h->surplus;
}

/*
 * alloc_hugetlb_folio() at a fault: a page of @h for a mapping that
 * holds a reservation (@reserved) or not; without one, a free page not
 * reserved by others, else a surplus page up to nr_overcommit_hugepages.
 * @return 0 and the page in use, or -ENOMEM (the fault's SIGBUS).
 */
int
alloc_hugetlb_folio(struct hvo_machine *m, struct hstate *h, bool reserved,
		    struct huge_page **out);

/*
 * free_huge_folio(): the last reference to a page in use is gone. A
 * surplus page goes back to the page allocator; the rest to the pool.
 */
int
free_huge_folio(struct hvo_machine *m, struct hstate *h, struct huge_page *hp);

/*
 * hugetlb_acct_memory(): reserve @delta more pages (gather_surplus_pages()
 * allocates surplus ones when the free pages do not cover them; -ENOMEM
 * and nothing changes when that fails), or, with @delta negative, give
 * reservations back and free surplus pages nobody needs
 * (return_unused_surplus_pages()).
 */
int
hugetlb_acct_memory(struct hvo_machine *m, struct hstate *h, int64_t delta);

/* HPG_vmemmap_optimized in the head's private. */
void
folio_set_vmemmap_optimized(struct hvo_machine *m, pfn_t pfn, bool on);

/* hugetlb_vmemmap_restore_folio(), for the pool code and the API. */
int
hugetlb_restore_folio(struct hvo_machine *m, struct hstate *h,
		      struct huge_page *hp);

/* The hugepage a pfn heads, or NULL. */
struct huge_page *
find_huge_page(struct hvo_machine *m, pfn_t pfn, struct hstate **hs);

/*
 * Free hugepages in free-list order, the one enqueued last first (their
 * lru stamps are unique). A host-side sort: the kernel's list is kept in
 * that order as pages are enqueued.
 */
void
sort_newest_first(struct huge_page **list, uint64_t n);

/*
 * The pool's bookkeeping, for the pool operations in other files
 * (demote.c): prep_new_hugetlb_folio() writes a new hugepage's struct
 * pages, pool_add() puts a hugepage at the top of the pool (free),
 * pool_remove() takes slot @k out (the last page moves into it), and
 * batch_list() is the shared list of a batch, room for @n.
 */
int
prep_new_hugetlb_folio(struct hvo_machine *m, struct hstate *h, pfn_t pfn);

int
pool_add(struct hvo_machine *m, struct hstate *h, pfn_t pfn, bool bootmem);

/* enqueue_hugetlb_folio(): @hp goes to the head of @h's free list. */
void
enqueue_hugetlb_folio(struct hstate *h, struct huge_page *hp);

void
pool_remove(struct hvo_machine *m, struct hstate *h, uint64_t k);

struct huge_page **
batch_list(struct hvo_machine *m, uint64_t n);

/*
 * demote_store() (5.16 on): demote up to @nr free hugepages of @h, which
 * must have a demote order (hstate_demote_order()), into pages of its
 * demote size; *@done says how many were. @return 0, or the kernel's
 * errno (-ENOMEM: a vmemmap restore failed, that page stays).
 */
int
demote_store(struct hvo_machine *m, struct hstate *h, uint64_t nr,
	     uint64_t *done);

/* h->demote_order as the kernel keeps it: 0 when @h cannot demote. */
unsigned
hstate_demote_order(const struct hvo_machine *m, const struct hstate *h);

/*
 * demote_size_store(): @size must be a smaller hstate's, of at least
 * HUGETLB_PAGE_ORDER. @return 0 or -EINVAL, with a reason.
 */
int
demote_size_store(struct hvo_machine *m, struct hstate *h, uint64_t size);

#endif /* HVO_HUGETLB_H */
