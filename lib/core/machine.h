/* SPDX-License-Identifier: MIT */
/*
 * struct hvo_machine and the context every layer above core shares: the
 * reason of the last failure, counters, the trace callback, fault-injection
 * points, page categories, and the hooks through which a lower layer asks a
 * higher one for something (doc/DESIGN.md, "Layers").
 *
 * The machine embeds the state of phys, arch, mmu, mm and mem, whose types
 * are defined at or below this layer (core/tlb_types.h, core/mm_types.h,
 * core/mmzone.h), as the kernel's mm_types.h and mmzone.h are included by
 * all of mm/. HugeTLB's state is one pointer to a type only lib/hugetlb/
 * knows. Internal; the public handle is opaque.
 */
#ifndef HVO_MACHINE_H
#define HVO_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "hvo/hvo.h"
#include "arch/arch.h"
#include "base/util.h"
#include "core/counters.h"
#include "core/mm_types.h"
#include "core/mmzone.h"
#include "core/tlb_types.h"
#include "phys/memblock.h"
#include "phys/page_owner.h"
#include "phys/phys.h"

struct hugetlb;

/* Fault injection, as the kernel's fail_page_alloc: fail the nth call,
 * or every call from the nth on. */
struct fail_attr {
	uint64_t nth;      /* 0: off */
	bool persistent;
	uint64_t calls;
};

/*
 * What a lower layer needs from a higher one, set at boot by the layer
 * that provides it (boot/boot.c wires them).
 */
struct machine_hooks {
	/*
	 * pte_alloc_one_kernel() and friends: one zeroed page for a kernel
	 * page table, from memblock during boot and from the buddy allocator
	 * after it (mem/pgalloc.c). mmu calls it; it lives in mem.
	 */
	int (*alloc_pagetable)(struct hvo_machine *m, uint64_t *pa);
};

struct hvo_machine {
	struct hvo_config cfg;
	struct machine_hooks hooks;

	/* phys */
	struct phys phys;
	struct memblock memblock;
	struct page_owner owner;

	/* arch */
	struct hvo_arch arch;

	/* mmu */
	struct tlb tlb;
	uint64_t pgd_pa;        /* the kernel page table's root (swapper_pg_dir) */

	/* mm */
	uint64_t vmemmap_base;  /* VA of pfn 0's struct page ("vmemmap") */
	uint64_t vmemmap_pfn_lo, vmemmap_pfn_hi; /* pfns with a struct page */
	struct page_layout page_layout;
	bool compound_mask;     /* compound_info is a mask (2026 encoding) */
	uint64_t hvo_fake_heads; /* hugetlb_optimize_vmemmap_key */
	/* Templates of lazy vmemmap pages (mm/page.c). */
	struct memmap_tpl tpl[MEMMAP_MAX_TPL];
	unsigned nr_tpl, tpl_last;

	/* mem */
	struct zone zones[MAX_NR_ZONES];
	bool buddy_up;          /* boot is over: memblock retired */

	/* hugetlb */
	struct hugetlb *hugetlb;

	/* The shared context. */
	struct fail_attr fail_page_alloc;
	struct fail_attr fail_vmemmap_pmd; /* fail_hugetlb_vmemmap_pmd */
	struct fail_attr fail_vmemmap_pte; /* fail_hugetlb_vmemmap_pte */
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

/* One zeroed page-table page, through the hook (struct machine_hooks). */
static inline int
alloc_pagetable(struct hvo_machine *m, uint64_t *pa)
{
	return m->hooks.alloc_pagetable(m, pa);
}

/* Hand an event to the trace callback, if there is one. */
static inline void
trace_event(struct hvo_machine *m, const struct hvo_event *ev)
{
	if (unlikely(m->trace.fn))
		m->trace.fn(m->trace.ctx, ev);
}

/* A page allocation or free, for the trace. */
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
