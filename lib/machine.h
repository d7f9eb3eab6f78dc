/* SPDX-License-Identifier: MIT */
/*
 * struct hvo_machine: one simulated machine, the layers wired together.
 * Internal; the public handle is opaque.
 */
#ifndef HVO_MACHINE_H
#define HVO_MACHINE_H

#include <stdint.h>

#include "hvo/hvo.h"
#include "arch/arch.h"
#include "counters.h"
#include "mem/buddy.h"
#include "hugetlb/hugetlb.h"
#include "mem/memblock.h"
#include "mem/page_owner.h"
#include "mm/layout.h"
#include "mmu/tlb.h"
#include "phys/phys.h"
#include "util.h"

/* Fault injection, as the kernel's fail_page_alloc: fail the nth call,
 * or every call from the nth on. */
struct fail_attr {
	uint64_t nth;      /* 0: off */
	bool persistent;
	uint64_t calls;
};

struct hvo_machine {
	struct hvo_config cfg;
	struct hvo_arch arch;
	struct phys phys;
	struct memblock memblock;
	struct page_owner owner;
	struct tlb tlb;

	uint64_t pgd_pa;        /* the kernel page table's root (swapper_pg_dir) */
	uint64_t vmemmap_base;  /* VA of pfn 0's struct page ("vmemmap") */
	uint64_t vmemmap_pfn_lo, vmemmap_pfn_hi; /* pfns with a struct page */

	struct page_layout page_layout;
	struct zone zones[MAX_NR_ZONES];
	bool buddy_up;          /* boot is over: memblock retired */
	struct fail_attr fail_page_alloc;
	struct fail_attr fail_vmemmap_pmd; /* fail_hugetlb_vmemmap_pmd */
	struct fail_attr fail_vmemmap_pte; /* fail_hugetlb_vmemmap_pte */

	/* HugeTLB. */
	struct hstate hstates[HUGE_MAX_HSTATE];
	unsigned nr_hstates;
	struct hp_index hp_index; /* head pfn -> pool slot */
	enum hvo_variant hvo_variant; /* vm.hugetlb_optimize_vmemmap, as a variant */
	bool compound_mask;     /* compound_info is a mask (2026 encoding) */
	uint64_t hvo_fake_heads; /* hugetlb_optimize_vmemmap_key */
	uint64_t last_bad_page;

	/*
	 * Lists pool batches build, kept between calls: a resize of half a
	 * million hugepages should not fault in fresh host memory for its
	 * bookkeeping every time (hugetlb/).
	 */
	struct huge_page **batch_pages;
	size_t batch_pages_max;
	uint64_t *batch_pfns;
	size_t batch_pfns_max;

	/* Templates of lazy vmemmap pages (mm/page.c). */
	struct memmap_tpl tpl[MEMMAP_MAX_TPL];
	unsigned nr_tpl, tpl_last;

	struct {
		hvo_trace_fn fn;
		void *ctx;
	} trace;

	uint64_t counter[CNT__COUNT];
	char error[256];
};

/* Record the reason of a failure and return rc. */
int
machine_err(struct hvo_machine *m, int rc, const char *fmt, ...)
	HVO_PRINTF(3, 4);

static inline void
count(struct hvo_machine *m, enum hvo_counter_id id)
{
	m->counter[id]++;
}

/*
 * Allocate one zeroed page for a kernel page table. At boot it comes from
 * memblock; once the buddy allocator runs it will come from there.
 */
int
machine_alloc_pagetable(struct hvo_machine *m, uint64_t *pa);

/* Hand an event to the trace callback, if there is one. */
static inline void
trace_event(struct hvo_machine *m, const struct hvo_event *ev)
{
	if (unlikely(m->trace.fn))
		m->trace.fn(m->trace.ctx, ev);
}

void
trace_page(struct hvo_machine *m, enum hvo_event_kind kind, uint64_t pfn,
	   unsigned order, const char *why);

/* Should this call fail, per the fault-injection attribute? */
bool
should_fail(struct hvo_machine *m, struct fail_attr *f);

/* Frames of category c (free is derived: RAM that no allocation holds). */
uint64_t
machine_pages(const struct hvo_machine *m, enum hvo_page_category c);

#endif /* HVO_MACHINE_H */
