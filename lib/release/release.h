/* SPDX-License-Identifier: MIT */
/*
 * The kernel's release history as data.
 *
 * A machine behaves as one Linux release does. Everything that changed
 * what a user of HVO can observe is one row of the table in release.c: the
 * release it first shipped in (and the stable point releases it was
 * backported to), the property it sets, the new value, and the commit or
 * file it comes from. Code asks the table through release_get() ("does
 * this release copy the head page?", "how does it flush?") and never
 * compares version numbers itself; this file and release.c are the only
 * places that know a release number.
 *
 * Sources: doc/KERNEL-FACTS.md, "Release history" (from the facts sheet's
 * Part 7 timeline and the Linux 6.1 and 6.12 trees).
 */
#ifndef HVO_RELEASE_H
#define HVO_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvo/hvo.h"

/* A sublevel that stands for "the line as maintained": every backport. */
#define RELEASE_NEWEST_POINT 0xffffu

/* The newest release libhvo models: the default machine's kernel. */
#define RELEASE_NEWEST "7.1"

/*
 * The properties a release decides. Each takes its value from the newest
 * row that applies to the release; the first row of each is the value
 * before HVO existed.
 */
enum release_prop {
	RP_HVO_ARCHES,     /* bit (1 << enum hvo_arch_id): arches that build HVO */
	RP_VARIANT,        /* enum hvo_variant HVO runs */
	RP_HEAD_COPY,      /* enum release_head_copy */
	RP_STRUCT_PAGE_POW2, /* HVO only with a power-of-two struct page */
	RP_SYSCTL,         /* vm.hugetlb_optimize_vmemmap exists */
	RP_BOOT_PARAM,     /* enum release_boot_param: hugetlb_free_vmemmap= */
	RP_X86_RO_DIRTY,   /* x86 __PAGE_KERNEL_RO carries _PAGE_DIRTY */
	RP_ARM64_SECT_WRITE, /* arm64 PROT_SECT_NORMAL carries PTE_WRITE */
	RP_ARM64_KPTI,     /* arm64: the modelled CPU (Cortex-A57/A72, KASLR
			      seeded) runs with KPTI: kernel entries are nG */
	RP_ARM64_LPA2,     /* arm64 offers 52-bit VA with 4K and 16K pages
			      (LPA2), whose kernel prots have no SH bits */
	RP_BATCHED,        /* pools optimize and restore in batches */
	RP_RCU,            /* enum release_rcu: synchronize_rcu() around HVO */
	RP_RESET_PAGES,    /* struct pages a restored tail page resets
			      (NR_RESET_STRUCT_PAGE); 0: copied verbatim */
	RP_VMEMMAP_FOLIO_ALIGN, /* riscv: the vmemmap aligned to the struct
			      pages of the largest folio */
	RP_BOOT_GIGANTIC_FIRST, /* bit (1 << arch): boot gigantic pages come
			      from memblock before the vmemmap is populated */
	RP_PAGEFLAGS,      /* enum release_pageflags: the order of the
			      kernel's enum pageflags */
	RP_FOLIO_LAYOUT,   /* enum release_folio_layout: where a hugetlb
			      folio keeps its order and metadata */
	RP_VMEMMAP_REPORT, /* the boot log says, per hugepage size, how much
			      vmemmap HVO can free */
	RP_INIT_ON_ALLOC,  /* init_on_alloc= and init_on_free= exist */
	RP_DEMOTE,         /* the demote and demote_size files of an hstate */
	RP_DEMOTE_BATCHED, /* demote restores its source pages as one batch
			      and optimizes the new pages as one batch; it
			      takes up to the count asked at once, and
			      enqueues the new pages without
			      free_huge_folio() */
	RP_BOOTMEM_PREHVO, /* bit (1 << arch): eligible boot gigantic pages
			      get a vmemmap populated already optimized
			      (ARCH_WANT_HUGETLB_VMEMMAP_PREINIT) */
	RP_BOOTMEM_PREHVO_LATE, /* that vmemmap is populated in
			      hugetlb_vmemmap_init_late(), on the zone's
			      shared tail, not in hugetlb_vmemmap_init_early() */
	RP_BATCH_SKIP_EMPTY, /* a batch with nothing to optimize does one
			      flush_tlb_all(), not two (nr_to_optimize) */
	RP_VMSTAT_MEMMAP,  /* /proc/vmstat has nr_memmap_pages and
			      nr_memmap_boot_pages */
	RP_UNACCEPTED_MEMORY, /* CONFIG_UNACCEPTED_MEMORY exists: meminfo's
				 Unaccepted, vmstat's nr_unaccepted */
	RP_ZONE_DEVICE_ARCHES, /* bit (1 << arch): the arch's Kconfig allows
				  CONFIG_ZONE_DEVICE (memory hotplug and
				  ARCH_HAS_PTE_DEVMAP) */
	RP_RMQUEUE_FALLBACK, /* enum release_fallback: how __rmqueue() takes
				from another migratetype's free lists */
	RP_PCP_HIGH_AUTO,  /* the per-CPU lists tune pcp->high between
			      high_min and high_max (else: 6.1's fixed high
			      and free_factor) */
	RP_VMSTAT_TEXT,    /* bits of enum release_vmstat_text: the
			    * vmstat_text names the release has */
	RP_ZONEINFO_PROMO, /* /proc/zoneinfo prints the promo watermark */
	RP_WMARK_MOVABLE_AS_HIGHMEM, /* __setup_per_zone_wmarks() leaves
			    * ZONE_MOVABLE out of lowmem and clamps its min
			    * as highmem's */
	RP__COUNT
};

/* How HVO gets the page its head struct pages live in. */
enum release_head_copy {
	HEAD_KEEP = 0,     /* the first vmemmap page stays (the reuse page);
			      range flushes start after it */
	HEAD_COPY_OR_KEEP, /* a new page takes a copy; if none can be had,
			      the first page stays */
	HEAD_COPY,         /* a new page takes a copy; if none can be had,
			      the hugepage stays as it is */
};

/* How the kernel reads hugetlb_free_vmemmap=. */
enum release_boot_param {
	BOOT_PARAM_NONE = 0,  /* unknown: the kernel passes it to init */
	BOOT_PARAM_ON_OFF,    /* early_param, "on" or "off" */
	BOOT_PARAM_KSTRTOBOOL, /* early_param, kstrtobool(): y/n/1/0/on/off */
	BOOT_PARAM_BOOL,      /* core_param bool: a bare name means on */
	BOOT_PARAM_EARLY_BOOL, /* early_param again: a bare name is refused */
};

/* synchronize_rcu() around HVO (speculative PFN walkers). */
enum release_rcu {
	RCU_NONE = 0,
	RCU_PER_CALL,  /* once per request, batched or not, before it looks
			  at the hugepages: HVO on or off, work or none */
	RCU_PER_BATCH, /* once per batch that optimizes or restores a page */
};

/*
 * The order of enum pageflags (include/linux/page-flags.h), which gives
 * each page flag its bit in page->flags. lib/mm/page.c holds each order
 * as data; entries an arch's Kconfig leaves out (PG_uncached, PG_hwpoison)
 * are dropped there, as the kernel's #ifdefs drop them.
 */
enum release_pageflags {
	PAGEFLAGS_V6_1 = 0, /* PG_head 16, PG_reserved 12 (the 6.1 tree) */
	PAGEFLAGS_V6_6,     /* PG_writeback 1 and PG_head 6 in the low byte */
	PAGEFLAGS_V6_10,    /* PG_slab gone: a page type */
	PAGEFLAGS_V6_12,    /* PG_error and PG_uncached gone, PG_owner_2 */
	PAGEFLAGS_V6_14,    /* PG_dropbehind before PG_mlocked */
};

/*
 * Where a hugetlb folio keeps its order and its metadata
 * (struct folio in include/linux/mm_types.h). lib/mm/folio.c holds each
 * layout as data.
 */
enum release_folio_layout {
	FOLIO_LAYOUT_V6_1 = 0, /* order and destructor bytes in page[1]; the
				  subpool in page[1]'s _private_1, cgroups
				  and hwpoison in .private of page[2..4] */
	FOLIO_LAYOUT_V6_2,     /* the hugetlb fields in page[2], over the
				  deferred list */
	FOLIO_LAYOUT_V6_15,    /* the hugetlb fields in page[3] */
};

/*
 * How the page allocator falls back to another migratetype's free lists
 * (mm/page_alloc.c). lib/mem/buddy.c holds each form beside the others.
 */
enum release_fallback {
	FALLBACK_STEAL_SUITABLE = 0, /* __rmqueue_fallback(), largest block
					first, and steal_suitable_fallback():
					the block (or its whole pageblock's
					free pages) moves to the asking
					type's lists, whose pageblock type
					may stay; __rmqueue() retries
					__rmqueue_smallest(). Free pages can
					sit on another type's list. */
	FALLBACK_HYGIENE,            /* 6.10: a free page is always on its
					pageblock's list: claim the whole
					pageblock, or take just the block
					asked for off its own type's list
					(from the largest fallback block) */
	FALLBACK_CLAIM_STEAL,        /* 6.15 (6.12.29): __rmqueue_claim()
					largest first, then __rmqueue_steal()
					smallest first; rmqueue_bulk()
					resumes in the mode that last
					worked */
};

/* One behaviour change. */
struct release_row {
	unsigned major, minor;  /* the mainline release that first has it */
	struct {
		unsigned major, minor, sublevel;
	} stable;               /* a backport into a stable line (0: none) */
	enum release_prop prop;
	uint64_t value;
	const char *what;       /* what a user observes */
	const char *source;     /* the commit, or the file and line */
};

/*
 * Groups of /proc/vmstat names that came and went between the releases
 * modelled (RP_VMSTAT_TEXT); a release's value has every group it prints.
 */
enum release_vmstat_text {
	/* pgsteal_khugepaged, pgscan_khugepaged */
	VMSTAT_KHUGEPAGED_RECLAIM = 1 << 0,
	/* pgdemote_{kswapd,direct,khugepaged} as node stats, not events */
	VMSTAT_PGDEMOTE_NODE = 1 << 1,
	VMSTAT_ZSWPWB = 1 << 2,
	VMSTAT_ZONE_RECLAIM_SUCCESS = 1 << 3,
	VMSTAT_IOMMU_PAGES = 1 << 4,
	/* thp_underused_split_page, swpin_zero, swpout_zero */
	VMSTAT_6_12_EVENTS = 1 << 5,
};

/* A distribution's build of a release: its config defaults. */
struct kernel_build {
	const char *name;        /* "mainline", "Debian" */
	const char *config;      /* where the defaults come from */
	bool hvo_default_on;     /* HUGETLB_PAGE_OPTIMIZE_VMEMMAP_DEFAULT_ON */
	bool init_on_alloc;      /* INIT_ON_ALLOC_DEFAULT_ON */
	bool init_on_free;       /* INIT_ON_FREE_DEFAULT_ON */
	/* TRANSPARENT_HUGEPAGE_ALWAYS or _MADVISE: khugepaged starts at
	 * boot and raises min_free_kbytes */
	bool thp_enabled;
};

/* A release a machine runs, as parsed from kernel=. */
struct kernel_release {
	unsigned major, minor;
	unsigned sublevel;       /* RELEASE_NEWEST_POINT: the maintained line */
	const struct kernel_build *build;
	bool before;             /* the last release before major.minor */
	char name[32];           /* as given, or RELEASE_NEWEST */
	/*
	 * The row that decides each property, looked up once by
	 * release_parse() and release_for_variant() (resolved), so that
	 * release_get() on a hot path is one load. A release built by hand
	 * (resolved false) is looked up in the table at every call.
	 */
	bool resolved;
	const struct release_row *row[RP__COUNT];
};

/*
 * Parse a release: "MAJOR.MINOR" (the line as maintained, every stable
 * backport in), "MAJOR.MINOR.SUBLEVEL", or a distribution's `uname -r`
 * ("6.12.117+deb12-amd64", "6.1.0-28-amd64": Debian; the ABI number of
 * the latter hides the sublevel, so it stands for the maintained line).
 * "" is RELEASE_NEWEST. @return 0, or -EINVAL with a reason.
 */
int
release_parse(const char *s, struct kernel_release *r, char *err,
	      size_t errlen);

/*
 * The release whose HVO machinery variant @v runs with on a machine of
 * release @r: @r itself when @v is @r's own variant (or off); for an
 * override, the last release that ran @v (keep2 on 6.12 runs as 5.17's
 * keep2), or the newest if @v is still current.
 */
void
release_for_variant(const struct kernel_release *r, enum hvo_variant v,
		    struct kernel_release *out);

/* The row that decided @p for @r, or NULL if none applies. */
const struct release_row *
release_row_of(const struct kernel_release *r, enum release_prop p);

/*
 * The value of @p for release @r. Inline: hot paths ask it (the HVO
 * variant's RCU mode per optimize), and a resolved release answers with
 * a load, no call.
 */
static inline uint64_t
release_get(const struct kernel_release *r, enum release_prop p)
{
	const struct release_row *row;

	if (r->resolved && (unsigned)p < RP__COUNT)
		row = r->row[p];
	else
		row = release_row_of(r, p);
	return row ? row->value : 0;
}

/* For a property that is a set of arches (bit 1 << arch): is @arch in it? */
bool
release_arch_has(const struct kernel_release *r, enum release_prop p,
		 enum hvo_arch_id arch);

/* Whether release @r builds HVO for @arch. */
bool
release_has_hvo(const struct kernel_release *r, enum hvo_arch_id arch);

/* The table, in release order. */
const struct release_row *
release_table(size_t *n);

/* The name of a property, as the report and the tests print it. */
const char *
release_prop_name(enum release_prop p);

#endif /* HVO_RELEASE_H */
