/* SPDX-License-Identifier: MIT */
/*
 * The public face of the page allocator. Each call is an operation's edge:
 * a struct page fault met inside it is its result (machine_oops_take()).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "mem/buddy.h"
#include "mem/vmstat.h"
#include "mem/memmap.h"
#include "mem/pageblock.h"

static int
gfp_zone(struct hvo_machine *m, enum hvo_gfp gfp, enum zone_type *z)
{
	switch (gfp) {
	case HVO_GFP_KERNEL: *z = ZONE_NORMAL; return 0;
	case HVO_GFP_DMA32: *z = ZONE_DMA32; return 0;
	case HVO_GFP_DMA: *z = ZONE_DMA; return 0;
	}
	return machine_err(m, -EINVAL,
			   "gfp %d: allowed are HVO_GFP_KERNEL, HVO_GFP_DMA32 and HVO_GFP_DMA",
			   (int)gfp);
}

/*
 * The calls that give pages back take only what the user allocated: a
 * pool hugepage, HVO's vmemmap pages, page tables and boot memory belong
 * to the kernel, and freeing or splitting one would corrupt the machine.
 */
static int
user_allocation(struct hvo_machine *m, const char *who, pfn_t pfn)
{
	po_entry_t e;

	if (!pfn_valid(&m->phys, pfn))
		return 0; /* the call itself says why */
	e = page_owner_entry(&m->owner, pfn);
	if (!po_is_head(e) || po_cat(e) == HVO_PAGES_ALLOCATED)
		return 0;
	return machine_err(m, -EINVAL,
			   "%s: pfn 0x%" PRIx64 " is a %s allocation the kernel holds, not one made by hvo_alloc_pages() or hvo_alloc_contig()",
			   who, pfn, hvo_page_category_name(po_cat(e)));
}

HVO_EXPORT int
hvo_alloc_pages(struct hvo_machine *m, unsigned order, enum hvo_gfp gfp,
		pfn_t *pfn)
{
	enum zone_type z = ZONE_NORMAL;
	int rc;

	if (!m)
		return -EINVAL;
	if (!pfn)
		return machine_err_null(m, __func__, "pfn");
	rc = gfp_zone(m, gfp, &z);
	if (!rc)
		/*
		 * The zone modifiers only: GFP_KERNEL and its kin carry
		 * neither __GFP_MOVABLE nor __GFP_RECLAIMABLE, so the pages
		 * are unmovable. The machine has no page cache or anonymous
		 * memory, nothing a movable allocation could be.
		 */
		rc = alloc_pages(m, order, z, HVO_PAGES_ALLOCATED, pfn);
	return machine_oops_take(m, rc);
}

HVO_EXPORT int
hvo_free_pages(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	int rc;

	if (!m)
		return -EINVAL;
	/* The order is checked first, by free_pages(). */
	rc = order <= m->arch.max_page_order ?
	     user_allocation(m, "free_pages", pfn) : 0;
	return machine_oops_take(m, rc ? rc : free_pages(m, pfn, order));
}

HVO_EXPORT int
hvo_split_page(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	int rc;

	if (!m)
		return -EINVAL;
	if (order > m->arch.max_page_order)
		return machine_err(m, -EINVAL,
				   "split_page: order %u is above MAX_PAGE_ORDER %u",
				   order, m->arch.max_page_order);
	if (!pfn_valid(&m->phys, pfn))
		return machine_err(m, -EINVAL,
				   "split_page: pfn 0x%" PRIx64 " is not RAM", pfn);
	rc = user_allocation(m, "split_page", pfn);
	return machine_oops_take(m, rc ? rc : split_page(m, pfn, order));
}

HVO_EXPORT int
hvo_alloc_contig(struct hvo_machine *m, unsigned order, enum hvo_gfp gfp,
		 pfn_t *pfn)
{
	enum zone_type z = ZONE_NORMAL;
	int rc;

	if (!m)
		return -EINVAL;
	if (!pfn)
		return machine_err_null(m, __func__, "pfn");
	rc = gfp_zone(m, gfp, &z);
	if (!rc)
		rc = alloc_contig_pages(m, order, z, HVO_PAGES_ALLOCATED, pfn);
	return machine_oops_take(m, rc);
}

HVO_EXPORT int
hvo_free_contig(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	int rc;

	if (!m)
		return -EINVAL;
	/* The order is checked first, by free_contig_range(). */
	rc = order > m->arch.max_page_order && order <= PO_ORDER_MASK ?
	     user_allocation(m, "free_contig_range", pfn) : 0;
	return machine_oops_take(m, rc ? rc : free_contig_range(m, pfn, order));
}

HVO_EXPORT int
hvo_fail_page_alloc(struct hvo_machine *m, uint64_t nth, bool persistent)
{
	if (!m)
		return -EINVAL;
	m->fail_page_alloc.nth = nth;
	m->fail_page_alloc.persistent = persistent;
	m->fail_page_alloc.calls = 0;
	return 0;
}

HVO_EXPORT int
hvo_fail_page_alloc_get(const struct hvo_machine *m,
			struct hvo_fault_attr *attr)
{
	const struct fail_attr *f;

	if (!m)
		return -EINVAL;
	if (!attr)
		return machine_err_null(m, __func__, "attr");
	f = &m->fail_page_alloc;
	*attr = (struct hvo_fault_attr){
		.probability = f->probability,
		.interval = f->interval,
		.times = f->times,
		.space = f->space,
		.verbose = f->verbose,
		.min_order = m->fail_page_alloc_opts.min_order,
		.ignore_gfp_wait = m->fail_page_alloc_opts.ignore_gfp_reclaim,
		.ignore_gfp_highmem = m->fail_page_alloc_opts.ignore_gfp_highmem,
		.seed = f->seed,
	};
	return 0;
}

HVO_EXPORT int
hvo_fail_page_alloc_set(struct hvo_machine *m,
			const struct hvo_fault_attr *attr)
{
	struct fail_attr *f;
	size_t i;

	if (!m)
		return -EINVAL;
	if (!attr)
		return machine_err(m, -EINVAL, "hvo_fail_page_alloc_set: attr is NULL");
	i = reserved_first_set(attr->reserved, ARRAY_SIZE(attr->reserved));
	if (i < ARRAY_SIZE(attr->reserved))
		return machine_err(m, -EINVAL,
				   "reserved[%zu]: must be 0 (start from hvo_fail_page_alloc_get(); doc/ABI.md)",
				   i);
	if (attr->times < -1)
		return machine_err(m, -EINVAL,
				   "times %d: allowed are -1 (no limit) and counts from 0",
				   (int)attr->times);
	if (attr->space < 0)
		return machine_err(m, -EINVAL,
				   "space %d: allowed are sizes from 0",
				   (int)attr->space);
	f = &m->fail_page_alloc;
	f->probability = attr->probability;
	f->interval = attr->interval;
	f->times = attr->times;
	f->space = attr->space;
	f->verbose = attr->verbose;
	if (attr->seed != f->seed) {
		f->seed = attr->seed;
		f->rnd = attr->seed;
	}
	m->fail_page_alloc_opts.min_order = attr->min_order;
	m->fail_page_alloc_opts.ignore_gfp_reclaim = attr->ignore_gfp_wait;
	m->fail_page_alloc_opts.ignore_gfp_highmem = attr->ignore_gfp_highmem;
	return 0;
}

HVO_EXPORT int
hvo_drain_pages(struct hvo_machine *m)
{
	if (!m)
		return -EINVAL;
	return machine_oops_take(m, drain_all_pages(m));
}

HVO_EXPORT int
hvo_machine_init_deferred(struct hvo_machine *m)
{
	if (!m)
		return -EINVAL;
	return machine_oops_take(m, memmap_init_deferred(m));
}

HVO_EXPORT const char *
hvo_migratetype_name(unsigned mt)
{
	return migratetype_name(mt);
}

HVO_EXPORT int
hvo_machine_zone(const struct hvo_machine *m, unsigned i,
		 struct hvo_zone_info *out)
{
	unsigned seen = 0;

	if (!m)
		return -EINVAL;
	if (!out)
		return machine_err_null(m, __func__, "out");
	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &m->zones[z];

		if (!zone->configured)
			continue;
		if (seen++ != i)
			continue;
		memset(out, 0, sizeof(*out));
		out->name = zone->name;
		out->start_pfn = zone->zone_start_pfn;
		out->spanned_pages = zone->spanned_pages;
		out->present_pages = zone->present_pages;
		out->managed_pages = zone->managed_pages;
		out->free_pages = zone->free_pages;
		out->deferred_pages = zone->deferred_pages;
		out->pcp_pages = zone->pcp.count;
		out->pcp_high = zone->pcp.high;
		out->pcp_batch = zone->pcp.batch;
		out->nr_orders = m->arch.max_page_order + 1;
		for (unsigned o = 0; o < out->nr_orders; o++) {
			out->nr_free[o] = out->nr_free_booted[o] =
				zone->free_area[o].nr_free;
			for (unsigned t = 0; t < MIGRATE_TYPES; t++)
				out->nr_free_by_type[t][o] =
					zone->free_area[o].free_list[t].nr;
		}
		deferred_free_view(m, (enum zone_type)z, out->nr_free_booted);
		zone_pageblock_counts(m, (enum zone_type)z, out->nr_pageblocks);
		out->wmark_min = zone->_watermark[WMARK_MIN];
		out->wmark_low = zone->_watermark[WMARK_LOW];
		out->wmark_high = zone->_watermark[WMARK_HIGH];
		out->wmark_promo = zone->_watermark[WMARK_PROMO];
		out->watermark_boost = zone->watermark_boost;
		out->nr_protection = MAX_NR_ZONES;
		for (unsigned j = 0; j < MAX_NR_ZONES; j++)
			out->protection[j] = zone->lowmem_reserve[j];
		out->pcp_high_min = zone->pcp.high_min;
		out->pcp_high_max = zone->pcp.high_max;
		out->nr_free_pages = zone_nr_free_pages(zone);
		out->stat_threshold = zone->stat_threshold;
		return 0;
	}
	return machine_err_const(m, -ENOENT,
				 "zone %u: this machine lists %u zones, 0..%u",
				 i, seen, seen - 1);
}

HVO_EXPORT int
hvo_mem_available(const struct hvo_machine *m, struct hvo_mem_available *out)
{
	if (!m)
		return -EINVAL;
	if (!out)
		return machine_err_null(m, __func__, "out");
	out->free_pages = global_free_pages(m);
	out->totalreserve_pages = totalreserve_pages(m);
	out->available_pages = si_mem_available(m);
	return 0;
}

/*
 * The int sysctls of mm/page_alloc.c under /proc/sys/vm: where the value
 * lives, and the handler a write goes through (its range and errno are
 * the kernel's, and it recomputes what depends on the value).
 */
enum vm_int_sysctl {
	VM_MIN_FREE_KBYTES,
	VM_WATERMARK_SCALE_FACTOR,
	VM_WATERMARK_BOOST_FACTOR,
	VM_PERCPU_PAGELIST_HIGH_FRACTION,
};

static const struct {
	const char *arg;   /* the public call's parameter, for its reason */
	size_t offset;     /* in struct vm_watermarks */
	int (*handler)(struct hvo_machine *m, int64_t v);
} vm_int_sysctls[] = {
	[VM_MIN_FREE_KBYTES] = { "kbytes",
		offsetof(struct vm_watermarks, min_free_kbytes),
		min_free_kbytes_sysctl_handler },
	[VM_WATERMARK_SCALE_FACTOR] = { "factor",
		offsetof(struct vm_watermarks, watermark_scale_factor),
		watermark_scale_factor_sysctl_handler },
	[VM_WATERMARK_BOOST_FACTOR] = { "factor",
		offsetof(struct vm_watermarks, watermark_boost_factor),
		watermark_boost_factor_sysctl_handler },
	[VM_PERCPU_PAGELIST_HIGH_FRACTION] = { "fraction",
		offsetof(struct vm_watermarks, percpu_pagelist_high_fraction),
		percpu_pagelist_high_fraction_sysctl_handler },
};

static int
vm_int_get(const struct hvo_machine *m, const char *fn, enum vm_int_sysctl s,
	   int *out)
{
	if (!m)
		return -EINVAL;
	if (!out)
		return machine_err_null(m, fn, vm_int_sysctls[s].arg);
	memcpy(out, (const char *)&m->wmark + vm_int_sysctls[s].offset,
	       sizeof(*out));
	return 0;
}

static int
vm_int_set(struct hvo_machine *m, enum vm_int_sysctl s, int64_t v)
{
	if (!m)
		return -EINVAL;
	return vm_int_sysctls[s].handler(m, v);
}

HVO_EXPORT int
hvo_min_free_kbytes_get(const struct hvo_machine *m, int *kbytes)
{
	return vm_int_get(m, __func__, VM_MIN_FREE_KBYTES, kbytes);
}

HVO_EXPORT int
hvo_min_free_kbytes_set(struct hvo_machine *m, int64_t kbytes)
{
	return vm_int_set(m, VM_MIN_FREE_KBYTES, kbytes);
}

HVO_EXPORT int
hvo_watermark_scale_factor_get(const struct hvo_machine *m, int *factor)
{
	return vm_int_get(m, __func__, VM_WATERMARK_SCALE_FACTOR, factor);
}

HVO_EXPORT int
hvo_watermark_scale_factor_set(struct hvo_machine *m, int64_t factor)
{
	return vm_int_set(m, VM_WATERMARK_SCALE_FACTOR, factor);
}

HVO_EXPORT int
hvo_lowmem_reserve_ratio_get(const struct hvo_machine *m, int *ratio,
			     unsigned n, unsigned *nr)
{
	if (!m)
		return -EINVAL;
	if (!ratio)
		return machine_err_null(m, __func__, "ratio");
	if (!nr)
		return machine_err_null(m, __func__, "nr");
	for (unsigned i = 0; i < n && i < MAX_NR_ZONES; i++)
		ratio[i] = m->wmark.lowmem_reserve_ratio[i];
	*nr = MAX_NR_ZONES;
	return 0;
}

HVO_EXPORT int
hvo_lowmem_reserve_ratio_set(struct hvo_machine *m, const int64_t *ratio,
			     unsigned n)
{
	int v[MAX_NR_ZONES];

	if (!m)
		return -EINVAL;
	if (!ratio)
		return machine_err_null(m, __func__, "ratio");
	if (!n || n > MAX_NR_ZONES)
		return machine_err(m, -EINVAL,
				   "lowmem_reserve_ratio: %u ratios given, allowed are 1..%u (one per zone)",
				   n, (unsigned)MAX_NR_ZONES);
	for (unsigned i = 0; i < n; i++) {
		if (ratio[i] < INT_MIN || ratio[i] > INT_MAX)
			return machine_err(m, -EINVAL,
					   "lowmem_reserve_ratio[%u] %" PRId64 ": allowed are int values (below 1 means no protection)",
					   i, ratio[i]);
		v[i] = (int)ratio[i];
	}
	lowmem_reserve_ratio_sysctl_handler(m, v, n);
	return 0;
}

HVO_EXPORT int
hvo_watermark_boost_factor_get(const struct hvo_machine *m, int *factor)
{
	return vm_int_get(m, __func__, VM_WATERMARK_BOOST_FACTOR, factor);
}

HVO_EXPORT int
hvo_watermark_boost_factor_set(struct hvo_machine *m, int64_t factor)
{
	return vm_int_set(m, VM_WATERMARK_BOOST_FACTOR, factor);
}

HVO_EXPORT int
hvo_percpu_pagelist_high_fraction_get(const struct hvo_machine *m,
				      int *fraction)
{
	return vm_int_get(m, __func__, VM_PERCPU_PAGELIST_HIGH_FRACTION,
			  fraction);
}

HVO_EXPORT int
hvo_percpu_pagelist_high_fraction_set(struct hvo_machine *m, int64_t fraction)
{
	return vm_int_set(m, VM_PERCPU_PAGELIST_HIGH_FRACTION, fraction);
}

HVO_EXPORT int
hvo_machine_zoneinfo_stat(const struct hvo_machine *m, unsigned zone,
			  bool node_stats, unsigned i, const char **name,
			  uint64_t *value)
{
	unsigned seen = 0;

	if (!m)
		return -EINVAL;
	if (!name)
		return machine_err_null(m, __func__, "name");
	if (!value)
		return machine_err_null(m, __func__, "value");
	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		if (!m->zones[z].configured || seen++ != zone)
			continue;
		if (node_stats ?
		    vmstat_part_item(m, NULL, VMSTAT_NODE, VMSTAT_NODE, i,
				     name, value) :
		    vmstat_part_item(m, &m->zones[z], VMSTAT_ZONE, VMSTAT_NUMA,
				     i, name, value))
			return machine_err_const(m, -ENOENT,
						 "zoneinfo counter %u: past the last",
						 i);
		return 0;
	}
	return machine_err_const(m, -ENOENT,
				 "zone %u: this machine lists %u zones, 0..%u",
				 zone, seen, seen - 1);
}

HVO_EXPORT int
hvo_machine_vmstat(const struct hvo_machine *m, unsigned i,
		   const char **name, uint64_t *value)
{
	if (!m)
		return -EINVAL;
	if (!name)
		return machine_err_null(m, __func__, "name");
	if (!value)
		return machine_err_null(m, __func__, "value");
	if (vmstat_item(m, i, name, value))
		return machine_err_const(m, -ENOENT,
					 "vmstat line %u: past the last line of /proc/vmstat",
					 i);
	return 0;
}
