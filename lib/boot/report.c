/* SPDX-License-Identifier: MIT */
/*
 * Counters by name, and the JSON report (keys documented in README.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "boot/json.h"
#include "core/machine.h"
#include "hugetlb/hugetlb.h"
#include "mem/vmstat.h"

static void
report_machine(struct json *j, const struct hvo_machine *m)
{
	struct hvo_geometry g;
	char spec[512];

	hvo_machine_geometry(m, &g);
	json_key(j, "machine");
	json_begin_object(j);
	if (hvo_config_format(&m->cfg, spec, sizeof(spec)) == 0)
		json_kv_str(j, "spec", spec);
	json_kv_str(j, "arch", g.arch);
	json_kv_u64(j, "page_size", g.page_size);
	json_kv_u64(j, "levels", g.levels);
	json_kv_u64(j, "va_bits", g.va_bits);
	json_kv_u64(j, "struct_page_size", g.struct_page_size);
	json_kv_u64(j, "mem_bytes", g.mem_bytes);
	json_key(j, "mem_ranges");
	json_begin_array(j);
	for (unsigned i = 0; i < m->cfg.nr_mem_ranges; i++) {
		json_begin_object(j);
		json_kv_hex(j, "base", m->cfg.mem[i].base);
		json_kv_u64(j, "size", m->cfg.mem[i].size);
		json_end_object(j);
	}
	json_end_array(j);
	json_key(j, "level_names");
	json_begin_array(j);
	for (unsigned d = 0; d < g.levels; d++)
		json_str(j, g.level_name[d]);
	json_end_array(j);
	json_key(j, "level_shifts");
	json_begin_array(j);
	for (unsigned d = 0; d < g.levels; d++)
		json_u64(j, g.level_shift[d]);
	json_end_array(j);
	json_key(j, "entries_per_level");
	json_begin_array(j);
	for (unsigned d = 0; d < g.levels; d++)
		json_u64(j, g.level_entries[d]);
	json_end_array(j);
	json_kv_u64_array(j, "leaf_sizes", g.level_leaf_size, g.levels);
	json_kv_hex(j, "vmemmap_start", g.vmemmap_start);
	json_kv_hex(j, "vmemmap_base", g.vmemmap_base);
	json_kv_hex(j, "page_kernel", g.page_kernel);
	json_kv_hex(j, "page_kernel_ro", g.page_kernel_ro);
	json_kv_bool(j, "has_kernel_ro", g.has_kernel_ro);
	json_kv_bool(j, "needs_bbm", g.needs_bbm);
	json_kv_u64(j, "tlb_flush_ceiling", g.tlb_flush_ceiling);
	json_kv_u64(j, "max_page_order", g.max_page_order);
	json_kv_u64(j, "section_size_bits", g.section_size_bits);
	json_kv_str(j, "hvo", hvo_variant_name(m->hvo_variant));
	json_kv_str(j, "kernel", m->release.name);
	json_kv_str(j, "kernel_build", m->release.build->name);
	json_kv_str(j, "variant_from",
		    m->cfg.hvo == HVO_VARIANT_RELEASE ? "release" : "override");
	json_kv_bool(j, "kpti", m->arch.kpti);
	json_end_object(j);
}

static void
report_memory(struct json *j, const struct hvo_machine *m)
{
	json_key(j, "memory");
	json_begin_object(j);
	json_kv_u64(j, "total_pages", m->phys.total_pages);
	for (unsigned c = 0; c < HVO_PAGES__COUNT; c++) {
		char key[64];

		snprintf(key, sizeof(key), "%s_pages", hvo_page_category_name(c));
		json_kv_u64(j, key, machine_pages(m, c));
	}
	/* MemAvailable: si_mem_available(). */
	json_kv_u64(j, "available_pages", si_mem_available(m));
	json_end_object(j);
}

/* /proc/buddyinfo as a table, and the zones' spans and counts. */
static void
report_zones(struct json *j, const struct hvo_machine *m)
{
	struct hvo_zone_info z;

	json_key(j, "buddyinfo");
	json_begin_array(j);
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		if (!z.present_pages)
			continue; /* for_each_populated_zone() */
		json_begin_object(j);
		json_kv_str(j, "zone", z.name);
		/* As /proc/buddyinfo: deferred struct page init done. */
		json_kv_u64_array(j, "free_blocks", z.nr_free_booted, z.nr_orders);
		json_end_object(j);
	}
	json_end_array(j);
	json_key(j, "zones");
	json_begin_array(j);
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		json_begin_object(j);
		json_kv_str(j, "name", z.name);
		json_kv_u64(j, "start_pfn", z.start_pfn);
		json_kv_u64(j, "spanned_pages", z.spanned_pages);
		json_kv_u64(j, "present_pages", z.present_pages);
		json_kv_u64(j, "managed_pages", z.managed_pages);
		json_kv_u64(j, "free_pages", z.free_pages);
		json_kv_u64(j, "deferred_pages", z.deferred_pages);
		json_kv_u64(j, "pcp_pages", z.pcp_pages);
		json_kv_u64(j, "pcp_high", z.pcp_high);
		json_kv_u64(j, "pcp_batch", z.pcp_batch);
		json_kv_u64(j, "pcp_high_min", z.pcp_high_min);
		json_kv_u64(j, "pcp_high_max", z.pcp_high_max);
		json_kv_u64(j, "nr_free_pages", z.nr_free_pages);
		json_key(j, "watermarks");
		json_begin_object(j);
		json_kv_u64(j, "min", z.wmark_min);
		json_kv_u64(j, "low", z.wmark_low);
		json_kv_u64(j, "high", z.wmark_high);
		json_kv_u64(j, "promo", z.wmark_promo);
		json_kv_u64(j, "boost", z.watermark_boost);
		json_end_object(j);
		json_kv_u64_array(j, "protection", z.protection, z.nr_protection);
		/* /proc/pagetypeinfo's two tables. */
		json_key(j, "free_blocks_by_type");
		json_begin_object(j);
		for (unsigned t = 0; t < HVO_MIGRATE_TYPES; t++)
			json_kv_u64_array(j, hvo_migratetype_name(t),
					  z.nr_free_by_type[t], z.nr_orders);
		json_end_object(j);
		json_key(j, "pageblocks");
		json_begin_object(j);
		for (unsigned t = 0; t < HVO_MIGRATE_TYPES; t++)
			json_kv_u64(j, hvo_migratetype_name(t), z.nr_pageblocks[t]);
		json_end_object(j);
		json_end_object(j);
	}
	json_end_array(j);
}

/* "hstates" and "hvo". */
static void
report_hugetlb(struct json *j, const struct hvo_machine *m)
{
	struct hvo_hstate_info h;
	enum hvo_variant v;
	bool enabled;
	const char *why;

	json_key(j, "hstates");
	json_begin_array(j);
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		json_begin_object(j);
		json_kv_u64(j, "size", h.size);
		json_kv_str(j, "name", h.name);
		json_kv_u64(j, "order", h.order);
		json_kv_u64(j, "nr", h.nr);
		json_kv_u64(j, "free", h.free);
		json_kv_u64(j, "optimized", h.optimized);
		json_kv_u64(j, "vmemmap_pages_per_hugepage", h.vmemmap_pages_per_hugepage);
		json_kv_u64(j, "vmemmap_pages_freed_per_hugepage",
			    h.vmemmap_pages_freed_per_hugepage);
		json_kv_u64(j, "saved_bytes", h.saved_bytes);
		json_kv_bool(j, "optimizable", h.optimizable);
		json_kv_str(j, "reason", h.reason);
		json_end_object(j);
	}
	json_end_array(j);
	hvo_machine_hvo(m, &v, &enabled, &why);
	json_key(j, "hvo");
	json_begin_object(j);
	json_kv_str(j, "variant", hvo_variant_name(v));
	json_kv_bool(j, "enabled", enabled);
	json_kv_str(j, "reason", why);
	json_kv_str(j, "compound_info", compound_info_has_mask(m) ? "mask" : "pointer");
	json_end_object(j);
}

static void
report_walk(struct json *j, struct hvo_machine *m, uint64_t va)
{
	struct hvo_walk w;
	char desc[256];
	int rc = hvo_walk(m, va, &w);

	json_begin_object(j);
	json_kv_hex(j, "va", va);
	if (rc) {
		json_kv_str(j, "error", hvo_machine_error(m));
		json_end_object(j);
		return;
	}
	json_key(j, "levels");
	json_begin_array(j);
	for (unsigned d = 0; d < w.nr_levels; d++) {
		const struct hvo_walk_level *l = &w.level[d];

		json_begin_object(j);
		json_kv_str(j, "level", l->name);
		json_kv_u64(j, "index", l->index);
		json_kv_hex(j, "table_pa", l->table_pa);
		json_kv_hex(j, "entry_pa", l->entry_pa);
		json_kv_hex16(j, "entry", l->entry);
		if (hvo_entry_describe(m, d, l->entry, desc, sizeof(desc)) == 0)
			json_kv_str(j, "decoded", desc);
		json_end_object(j);
	}
	json_end_array(j);
	json_kv_bool(j, "mapped", w.mapped);
	if (w.mapped) {
		json_kv_hex(j, "pa", w.pa);
		json_kv_u64(j, "leaf_size", w.leaf_size);
		json_kv_hex16(j, "prot", w.prot);
		json_kv_bool(j, "writable", w.writable);
	} else {
		json_kv_null(j, "pa");
		json_kv_u64(j, "leaf_size", 0);
		json_kv_null(j, "prot");
	}
	json_end_object(j);
}

HVO_EXPORT int
hvo_machine_report_json(struct hvo_machine *m, const uint64_t *walk_va,
			size_t nr_walks, FILE *f)
{
	struct json j;

	if (!m)
		return -EINVAL;
	if (!f)
		return machine_err_null(m, __func__, "f");
	if (nr_walks && !walk_va)
		return machine_err(m, -EINVAL,
				   "walk_va is NULL with nr_walks %zu: give the addresses, or nr_walks 0",
				   nr_walks);
	json_init(&j, f);
	json_begin_document(&j);
	report_machine(&j, m);
	report_memory(&j, m);
	report_zones(&j, m);
	report_hugetlb(&j, m);
	json_kv_str(&j, "check", m->last_check == 0 ? "not run" :
		    m->last_check > 0 ? "passed" : "failed");
	json_key(&j, "walks");
	json_begin_array(&j);
	for (size_t i = 0; i < nr_walks; i++)
		report_walk(&j, m, walk_va[i]);
	json_end_array(&j);
	/* Counters last, so they include the walks above. */
	json_key(&j, "counters");
	json_begin_object(&j);
	for (size_t i = 0; i < CNT__COUNT; i++)
		json_kv_u64(&j, hvo_counter_name(i), m->counter[i]);
	json_end_object(&j);
	json_end_object(&j);
	fputc('\n', f);
	if (ferror(f))
		return machine_err(m, -EIO, "writing the report failed");
	return 0;
}
