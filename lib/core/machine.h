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

#include <errno.h>
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
#include "release/release.h"

struct hugetlb;
struct memmap_compact;

/*
 * The kernel log: the printk ring dmesg reads (kernel/printk/printk.c),
 * whole lines in the order they were printed. When it is full the oldest
 * lines make room, as in the kernel's ring. HVO_DMESG_MAX bytes,
 * allocated at the first message.
 */
struct printk_ring {
	char *buf;
	size_t len;             /* bytes used, each line ending in '\n' */
	uint64_t lines;         /* lines printed */
	uint64_t dropped;       /* of them, pushed out by newer ones */
};

/* TASK_COMM_LEN: the name of a task, with its NUL. */
#define TASK_COMM_LEN 16

/*
 * Fault injection. Two ways to fail a point, either or both:
 * - libhvo's shortcut (hvo_fail_page_alloc(), hvo_fail_vmemmap()): fail
 *   the nth call, or every call from the nth on;
 * - the kernel's struct fault_attr (include/linux/fault-inject.h), with
 *   should_fail_ex()'s rules (lib/fault-inject.c): probability, interval,
 *   times, space, verbose. Its random numbers come from a seeded PRNG, so
 *   that a machine fails the same calls every time it runs the same steps.
 */
struct fail_attr {
	uint64_t nth;      /* 0: off */
	bool persistent;
	uint64_t calls;

	uint64_t probability;   /* percent; 0: the kernel's attr is off */
	uint64_t interval;
	int32_t times;          /* -1: no limit */
	int32_t space;
	uint64_t verbose;
	uint64_t count;         /* calls counted for interval */
	uint64_t seed;
	uint64_t rnd;           /* the PRNG's state */
	unsigned dumps;         /* fail_dump()s logged, for its ratelimit */
};

/* fail_page_alloc's own attributes (mm/fail_page_alloc.c). */
struct fail_page_alloc_opts {
	uint32_t min_order;
	bool ignore_gfp_reclaim;  /* ignore-gfp-wait */
	bool ignore_gfp_highmem;
};

/* The seed of the fault-injection PRNG unless one is set. */
#define FAIL_SEED_DEFAULT HVO_FAULT_SEED

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
	/*
	 * Whether hugetlb populates the memmap of the section of @pfn itself
	 * (the kernel's SECTION_IS_VMEMMAP_PREINIT, which
	 * sparse_vmemmap_init_nid_early() sets for a boot gigantic page's
	 * sections): sparse_init() skips it. mm calls it; it lives in
	 * hugetlb; NULL: no section is.
	 */
	bool (*section_preinit)(struct hvo_machine *m, uint64_t pfn);
};

struct hvo_machine {
	struct hvo_config cfg;
	struct machine_hooks hooks;

	/* The kernel release (release/release.h) and what it decides. */
	struct kernel_release release;
	enum hvo_variant hvo_variant; /* HVO's variant here: the release's,
				       * or the hvo= override */
	/* The release each variant's machinery is taken from. */
	struct kernel_release variant_release[HVO_VARIANT_SHAREDTAIL + 1];
	bool hvo_default;       /* vm.hugetlb_optimize_vmemmap at boot */
	bool check_pages;       /* tails checked when a hugepage is freed */
	int last_check;         /* the latest hvo_machine_check(): 0 none,
				 * 1 passed, -1 failed (for the report) */

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
	struct page_flag_bits pgflags; /* the release's enum pageflags */
	struct folio_layout folio_layout; /* its struct folio, resolved */
	bool compound_mask;     /* compound_info is a mask (2026 encoding) */
	uint64_t hvo_fake_heads; /* hugetlb_optimize_vmemmap_key */
	/* Templates of lazy vmemmap pages (mm/page.c). */
	struct memmap_tpl tpl[MEMMAP_MAX_TPL];
	unsigned nr_tpl, tpl_last;
	/* Vmemmap frames described as a template plus words (host only). */
	struct memmap_compact *compact;

	/* mem */
	struct zone zones[MAX_NR_ZONES];
	struct vm_watermarks wmark;
	bool buddy_up;          /* boot is over: memblock retired */
	bool pcp_up;            /* buddy_up, with the pcp lists on (cfg.pcp) */
	/* The sections' pageblock bitmaps, end to end (mem/pageblock.h). */
	uint64_t *pageblock_flags;
	uint64_t nr_pageblock_words; /* 0 without a bitmap */
	pfn_t pageblock_lo;          /* the pfn of its first bit */
	/* The release's fallback form (enum release_fallback), and for the
	 * form before 6.10 the free blocks on another type's list than their
	 * pageblock's (mem/pageblock.h; NULL from 6.10 on). */
	unsigned rmqueue_fallback;
	struct free_list_strays *strays;
	uint64_t bad_page_shown;   /* bad_page()'s burst: reports logged */
	uint64_t bad_page_unshown; /* and those it kept quiet */

	/* hugetlb */
	struct hugetlb *hugetlb;

	/* The shared context. */
	struct fail_attr fail_page_alloc;
	struct fail_page_alloc_opts fail_page_alloc_opts;
	struct fail_attr fail_vmemmap_pmd; /* fail_hugetlb_vmemmap_pmd */
	struct fail_attr fail_vmemmap_pte; /* fail_hugetlb_vmemmap_pte */
	struct {
		hvo_trace_fn fn;
		void *ctx;
	} trace;
	uint64_t counter[CNT__COUNT];
	/* /proc/vmstat's events and vm_stat items; never reset. */
	uint64_t vm_events[NR_VM_EVENT_ITEMS];
	int64_t vm_stat[NR_VM_STAT_ITEMS];
	struct printk_ring log;
	/* current->comm: the process the machine's kernel works for. */
	char comm[TASK_COMM_LEN];
	/*
	 * A struct page load or store that faulted: the kernel would oops.
	 * The first fault of an operation sticks, its reason held in error[],
	 * until the operation's edge takes it (machine_oops_take()).
	 */
	int oops;
	unsigned err_hold;      /* machine_err() keeps error[] while > 0 */
	char error[256];
};

/*
 * Record the reason of a failure and return rc. While the reason is held
 * (an oops, or a rollback between machine_err_hold() and
 * machine_err_release()), the first reason stays and this only returns rc.
 */
int
machine_err(struct hvo_machine *m, int rc, const char *fmt, ...)
	HVO_PRINTF(3, 4);

/*
 * machine_err() for the public calls that take a const machine (the
 * getters): the reason is the one thing their refusal changes.
 */
int
machine_err_const(const struct hvo_machine *m, int rc, const char *fmt, ...)
	HVO_PRINTF(3, 4);

/*
 * A public call @fn refuses a NULL pointer argument @arg, naming both.
 * Returns -EINVAL.
 */
int
machine_err_null(const struct hvo_machine *m, const char *fn, const char *arg);

/*
 * Put a failure the reason in error[] explains into context: the reason
 * becomes "<fmt ...>: <the reason it was>". Returns rc.
 */
int
machine_err_wrap(struct hvo_machine *m, int rc, const char *fmt, ...)
	HVO_PRINTF(3, 4);

/*
 * Undoing a failed step may fail on its own (and say so); the reason the
 * caller reports is the step's. Hold it across the undo.
 */
static inline void
machine_err_hold(struct hvo_machine *m)
{
	m->err_hold++;
}

static inline void
machine_err_release(struct hvo_machine *m)
{
	m->err_hold--;
}

/*
 * A struct page access faulted (the fault's reason is in error[]): remember
 * the first one, and keep its reason, until the operation's edge.
 */
static inline void
machine_oops(struct hvo_machine *m, int rc)
{
	if (m->oops)
		return;
	m->oops = rc ? rc : -EFAULT;
	machine_err_hold(m);
}

/* Has this operation met a faulting struct page access? */
static inline bool
machine_oopsed(const struct hvo_machine *m)
{
	return m->oops != 0;
}

/* @rc, or the fault the operation met (which it did not take). */
static inline int
machine_oops_rc(const struct hvo_machine *m, int rc)
{
	return m->oops ? m->oops : rc;
}

/*
 * The edge of an operation: its result, which is the fault if it met one
 * (whatever it would have returned), and the machine ready for the next.
 */
static inline int
machine_oops_take(struct hvo_machine *m, int rc)
{
	if (!m->oops)
		return rc;
	rc = m->oops;
	m->oops = 0;
	machine_err_release(m);
	return rc;
}

static inline void
count(struct hvo_machine *m, enum hvo_counter_id id)
{
	m->counter[id]++;
}

/* __count_vm_events(): an event of /proc/vmstat, @delta times. */
static inline void
count_vm_events(struct hvo_machine *m, enum vm_event_item item,
		uint64_t delta)
{
	m->vm_events[item] += delta;
}

/* memmap_pages_add(): buddy-allocated struct page metadata, in pages. */
static inline void
memmap_pages_add(struct hvo_machine *m, int64_t delta)
{
	m->vm_stat[NR_MEMMAP_PAGES] += delta;
}

/* memmap_boot_pages_add(): memblock-allocated struct page metadata. */
static inline void
memmap_boot_pages_add(struct hvo_machine *m, int64_t delta)
{
	m->vm_stat[NR_MEMMAP_BOOT_PAGES] += delta;
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

/* libhvo's shortcut alone: is this the nth call (or one past it)? */
static inline bool
fail_nth(struct hvo_machine *m, struct fail_attr *f)
{
	if (!f->nth)
		return false;
	f->calls++;
	if (f->calls == f->nth || (f->persistent && f->calls > f->nth)) {
		count(m, CNT_FAULT_INJECTED);
		return true;
	}
	return false;
}

bool
__should_fail(struct hvo_machine *m, struct fail_attr *f);

/*
 * Whether @f may fail a call at all: only setting it arms it, so a loop
 * may ask once.
 */
static inline bool
should_fail_armed(const struct fail_attr *f)
{
	return f->nth || f->probability;
}

/*
 * Should this call fail, by the shortcut or by the kernel's attr? Inline
 * for the common case, neither armed, which changes nothing.
 */
static inline bool
should_fail(struct hvo_machine *m, struct fail_attr *f)
{
	if (!should_fail_armed(f))
		return false;
	return __should_fail(m, f);
}

/*
 * should_fail_ex(): the kernel's attr alone, for a call of @size (bytes, or pages: the
 * unit of the attr's space) at the point @name ("fail_page_alloc"); with
 * @nowarn a failure is not logged (FAULT_NOWARN).
 */
bool
should_fail_ex(struct hvo_machine *m, struct fail_attr *f, uint64_t size,
	       bool nowarn, const char *name);

/* FAULT_ATTR_INITIALIZER: an attr that never fails until it is set. */
void
fail_attr_init(struct fail_attr *f);

/*
 * printk(): one line into the kernel log. A trailing newline is the
 * line's end; the line is cut at LOG_LINE_MAX bytes, as the kernel cuts
 * a record. Without host memory for the ring the line is lost, as the
 * kernel loses a message it has no room for.
 */
#define LOG_LINE_MAX 1024
void
machine_printk(struct hvo_machine *m, const char *fmt, ...) HVO_PRINTF(2, 3);

/* The ring's memory, at hvo_machine_free(). */
void
machine_printk_fini(struct hvo_machine *m);

/* Frames of category c (free is derived: RAM that no allocation holds). */
uint64_t
machine_pages(const struct hvo_machine *m, enum hvo_page_category c);

/* Property @p of the release @m runs variant @v with. */
static inline uint64_t
variant_get(const struct hvo_machine *m, enum hvo_variant v,
	    enum release_prop p)
{
	return release_get(&m->variant_release[v], p);
}

/* Property @p of @m's kernel release. */
static inline uint64_t
kernel_get(const struct hvo_machine *m, enum release_prop p)
{
	return release_get(&m->release, p);
}

#endif /* HVO_MACHINE_H */
