/* SPDX-License-Identifier: MIT */
/*
 * Building a machine, in the kernel's boot order: memory ranges, memblock
 * and its early reservations, the page-table root, the sparse vmemmap.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/cmdline.h"
#include "core/machine.h"
#include "hugetlb/hugetlb.h"
#include "mem/buddy.h"
#include "mem/memmap.h"
#include "mem/pageblock.h"
#include "mm/memmap_compact.h"
#include "mm/page.h"
#include "mm/sparse.h"
#include "mmu/mmu.h"

/* memblock_reserve() with the frames' new owner recorded. */
static int
reserve_early(struct hvo_machine *m, uint64_t base, uint64_t size)
{
	const struct hvo_arch *a = &m->arch;
	int rc;

	if (size == 0)
		return 0;
	rc = memblock_reserve(&m->memblock, base, size);
	if (rc)
		return rc;
	page_owner_set_range(&m->owner, base >> a->page_shift,
			     size >> a->page_shift, HVO_PAGES_RESERVED);
	return 0;
}

/*
 * swiotlb_init() from mem_init(), before memblock_free_all(): with RAM
 * above the arch's DMA limit, swiotlb_init_remap() takes the bounce
 * buffer from memblock_alloc_low() (IO_TLB_DEFAULT_SIZE, 64 MiB, top-down
 * below the limit), halving it down to IO_TLB_MIN_SLABS (1 MiB) while it
 * does not fit, then its slot array (24 bytes per 2 KiB slab: struct
 * io_tlb_slot) from memblock_alloc(). Both stay reserved. A real 6.12
 * guest of 4 GiB says "software IO TLB: mapped [mem
 * 0x00000000bbee4000-0x00000000bfee4000] (64MB)", just below its initrd
 * (tests/data/guest/).
 */
#define IO_TLB_SHIFT 11
#define IO_TLB_SEGSIZE 128
#define IO_TLB_MIN_SLABS ((UINT64_C(1) << 20) >> IO_TLB_SHIFT)
#define IO_TLB_DEFAULT_SLABS ((UINT64_C(64) << 20) >> IO_TLB_SHIFT)

static int
swiotlb_init(struct hvo_machine *m)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t nslabs = IO_TLB_DEFAULT_SLABS, bytes, slots, tlb, meta;

	if (!a->swiotlb_limit || m->phys.hi <= a->swiotlb_limit)
		return 0;
	/* swiotlb_adjust_nareas(num_possible_cpus()): one CPU */
	machine_printk(m, "software IO TLB: area num 1.");
	for (;;) {
		bytes = nslabs << IO_TLB_SHIFT;
		if (!memblock_phys_alloc(&m->memblock, bytes, a->page_size,
					 a->swiotlb_limit, &tlb))
			break;
		machine_printk(m, "software IO TLB: swiotlb_memblock_alloc: Failed to allocate %" PRIu64 " bytes tlb structure",
			       bytes);
		if (nslabs <= IO_TLB_MIN_SLABS)
			return 0; /* no bounce buffer; the boot goes on */
		nslabs = round_up64(nslabs >> 1, IO_TLB_SEGSIZE);
	}
	if (nslabs != IO_TLB_DEFAULT_SLABS)
		machine_printk(m, "software IO TLB: SWIOTLB bounce buffer size adjusted %" PRIu64 " -> %" PRIu64 " slabs",
			       IO_TLB_DEFAULT_SLABS, nslabs);
	page_owner_set_range(&m->owner, tlb >> a->page_shift,
			     bytes >> a->page_shift, HVO_PAGES_RESERVED);
	slots = round_up64(nslabs * 24, a->page_size);
	if (memblock_phys_alloc(&m->memblock, slots, a->page_size, 0, &meta)) {
		machine_printk(m, "software IO TLB: swiotlb_init_remap: Failed to allocate %" PRIu64 " bytes align=0x%" PRIx64,
			       slots, a->page_size);
		return 0;
	}
	page_owner_set_range(&m->owner, meta >> a->page_shift,
			     slots >> a->page_shift, HVO_PAGES_RESERVED);
	machine_printk(m, "software IO TLB: mapped [mem 0x%016" PRIx64 "-0x%016" PRIx64 "] (%" PRIu64 "MB)",
		       tlb, tlb + bytes, bytes >> 20);
	return 0;
}

static int
machine_boot(struct hvo_machine *m, char *err, size_t errlen)
{
	const struct hvo_config *cfg = &m->cfg;
	const struct hvo_arch *a = &m->arch;
	uint64_t ram0 = cfg->mem[0].base, lo_pfn, hi_pfn;
	bool gigantic_first;
	int rc;

	/* setup_arch() reads the early parameters, start_kernel() the rest. */
	cmdline_log_boot(m);

	rc = phys_init(&m->phys, cfg->mem, cfg->nr_mem_ranges, a->page_shift);
	if (rc)
		return errf(err, errlen, rc,
			    "cannot reserve 0x%" PRIx64 " bytes of host address space for RAM",
			    cfg->mem[cfg->nr_mem_ranges - 1].base +
			    cfg->mem[cfg->nr_mem_ranges - 1].size - ram0);
	lo_pfn = m->phys.lo >> a->page_shift;
	hi_pfn = m->phys.hi >> a->page_shift;
	rc = page_owner_init(&m->owner, lo_pfn, hi_pfn - lo_pfn);
	if (rc)
		return errf(err, errlen, rc, "cannot allocate the page_owner map");
	m->hooks.alloc_pagetable = pagetable_alloc_page;
	m->hooks.section_preinit = hugetlb_section_preinit;
	m->phys.filler = (struct phys_filler){
		.fill = memmap_phys_fill,
		.peek = memmap_compact_peek,
		.word = memmap_compact_word,
		.shareable = memmap_shareable,
		.unshare = tlb_unshare_pfn,
		.live = tlb_mark_live,
		.ctx = m,
	};
	rc = tlb_init(&m->tlb, cfg->tlb_entries, a);
	if (rc)
		return errf(err, errlen, rc, "cannot allocate the TLB");
	tlb_set_force_slow(&m->tlb, cfg->tlb_check);

	memblock_init(&m->memblock);
	for (unsigned i = 0; i < cfg->nr_mem_ranges; i++) {
		rc = memblock_add(&m->memblock, cfg->mem[i].base,
				  cfg->mem[i].size);
		if (rc)
			return errf(err, errlen, rc, "memblock: out of memory");
	}
	/*
	 * Firmware at the start of RAM (what of it is RAM: x86 reserves the
	 * low MiB, holes and all), then the kernel image.
	 */
	rc = 0;
	for (unsigned i = 0; i < cfg->nr_mem_ranges && !rc; i++) {
		uint64_t lo = arch_ram_start(ram0), hi = lo + a->firmware_reserve;
		uint64_t b = cfg->mem[i].base, e = b + cfg->mem[i].size;

		if (b < lo)
			b = lo;
		if (e > hi)
			e = hi;
		if (b < e)
			rc = reserve_early(m, b, e - b);
	}
	if (!rc)
		rc = reserve_early(m, arch_ram_start(ram0) + a->kernel_offset,
				   KERNEL_IMAGE_SIZE);
	if (rc)
		return errf(err, errlen, rc, "memblock: out of memory");

	/* hugepagesz= and hugepages= */
	rc = hugetlb_init(m);
	if (rc)
		return errf(err, errlen, rc, "out of host memory for the hugepage index");
	for (unsigned i = 0; i < cfg->nr_boot_hugepages; i++) {
		struct hstate *h = size_to_hstate(m, cfg->boot_hugepages[i].size);

		uint64_t nr = cfg->boot_hugepages[i].nr;

		if (!h)
			continue;
		/* More than RAM holds fails all the same, and sooner. */
		if (nr > m->phys.total_pages >> h->order)
			nr = (m->phys.total_pages >> h->order) + 1;
		h->boot_nr = (unsigned)nr;
		h->boot_want = cfg->boot_hugepages[i].nr;
		h->boot_per_node = cfg->boot_hugepages[i].per_node;
	}
	/*
	 * From 6.15 (x86) and 7.0 (all) boot gigantic pages are taken from
	 * memblock before the vmemmap is populated; before, the hugepages=
	 * handler ran after setup_arch() had populated it, so the two land
	 * at other addresses.
	 */
	gigantic_first = release_arch_has(&m->release, RP_BOOT_GIGANTIC_FIRST,
					  m->cfg.arch);
	if (gigantic_first) {
		rc = hugetlb_reserve_bootmem(m);
		if (rc)
			return errf(err, errlen, rc, "%s", m->error);
	}

	/* swapper_pg_dir */
	rc = alloc_pagetable(m, &m->pgd_pa);
	if (rc)
		return errf(err, errlen, rc, "%s", m->error);

	rc = vmemmap_base_init(m);
	if (rc)
		return errf(err, errlen, rc, "boot: %s", m->error);
	/*
	 * sparse_init() with its hooks for bootmem pre-HVO (6.15):
	 * sparse_vmemmap_init_nid_early() before, _late() after.
	 */
	rc = hugetlb_vmemmap_init_early(m);
	if (!rc)
		rc = sparse_init(m);
	if (!rc && !gigantic_first)
		rc = hugetlb_reserve_bootmem(m);
	if (!rc)
		rc = hugetlb_vmemmap_init_late(m);
	if (!rc)
		rc = swiotlb_init(m);
	if (!rc)
		rc = memmap_init(m);
	if (rc)
		return errf(err, errlen, rc, "boot: %s", m->error);
	/* memblock_free_all() is done: from now on pages come from the buddy. */
	m->buddy_up = true;
	m->pcp_up = m->cfg.pcp;
	/*
	 * init_per_zone_wmark_min() is a postcore initcall: after deferred
	 * init, before hugetlb_init() gathers the boot hugepages.
	 */
	vm_watermarks_init(m);
	init_per_zone_wmark_min(m);
	rc = hugetlb_gather_bootmem(m);
	if (rc)
		return errf(err, errlen, rc, "boot: hugepages: %s", m->error);
	/* hugepage_init(), the next subsys initcall: khugepaged starts. */
	khugepaged_start(m);
	report_hugepages(m);
	/* A struct page fault anywhere in boot is an oops at boot. */
	if (machine_oopsed(m))
		return errf(err, errlen, machine_oops_take(m, 0), "boot: %s",
			    m->error);
	m->error[0] = '\0';
	return 0;
}

/* A switch of the spec, or the build's default. */
static bool
switch_on(enum hvo_switch s, bool build)
{
	return s == HVO_SWITCH_BUILD ? build : s == HVO_SWITCH_ON;
}

/*
 * The kernel the machine runs: its release (validated already), HVO's
 * variant (the release's, unless hvo= overrides it; none where the
 * release builds no HVO for the arch), the release each variant's
 * machinery comes from, and the build's boot defaults.
 */
static void
machine_kernel_init(struct hvo_machine *m)
{
	const struct hvo_config *c = &m->cfg;
	const struct kernel_build *b;

	release_parse(c->kernel, &m->release, NULL, 0);
	b = m->release.build;
	if (c->hvo != HVO_VARIANT_RELEASE)
		m->hvo_variant = c->hvo;
	else if (release_has_hvo(&m->release, c->arch))
		m->hvo_variant = (enum hvo_variant)kernel_get(m, RP_VARIANT);
	else
		m->hvo_variant = HVO_VARIANT_OFF;
	for (unsigned v = 0; v < ARRAY_SIZE(m->variant_release); v++)
		release_for_variant(&m->release, (enum hvo_variant)v,
				    &m->variant_release[v]);
	m->hvo_default = switch_on(c->hvo_default, b->hvo_default_on);
	/* Before 5.3 there is no init_on_alloc to turn the checks on. */
	m->check_pages = c->check_pages ||
			 (kernel_get(m, RP_INIT_ON_ALLOC) &&
			  (switch_on(c->init_on_alloc, b->init_on_alloc) ||
			   switch_on(c->init_on_free, b->init_on_free)));
}

HVO_EXPORT int
hvo_machine_new(const struct hvo_config *cfg, struct hvo_machine **out,
		char *err, size_t errlen)
{
	struct hvo_machine *m;
	int rc;

	if (!out)
		return errf_null(err, errlen, __func__, "out");
	*out = NULL;
	if (!cfg)
		return errf_null(err, errlen, __func__, "cfg");
	m = calloc(1, sizeof(*m));
	if (!m)
		return errf(err, errlen, -ENOMEM, "out of host memory");
	m->cfg = *cfg;
	strcpy(m->comm, "hvo");
	fail_page_alloc_init(m);
	fail_attr_init(&m->fail_vmemmap_pmd);
	fail_attr_init(&m->fail_vmemmap_pte);
	rc = hvo_config_validate(&m->cfg, err, errlen);
	if (rc)
		goto fail;
	machine_kernel_init(m);
	arch_init(&m->arch, &m->cfg, &m->release);
	page_layout_init(&m->page_layout, m->cfg.struct_page_size);
	page_release_init(m);
	/*
	 * The 2026 kernel encodes compound_info as a mask when struct page is
	 * a power of two; older kernels store a pointer. The encoding is the
	 * kernel's, fixed at boot: sharedtail machines use the mask.
	 */
	m->compound_mask = m->hvo_variant == HVO_VARIANT_SHAREDTAIL &&
			   is_pow2(m->cfg.struct_page_size);
	rc = machine_boot(m, err, errlen);
	if (rc)
		goto fail;
	*out = m;
	return 0;
fail:
	hvo_machine_free(m);
	return rc;
}

HVO_EXPORT int
hvo_machine_new_from_spec(const char *spec, struct hvo_machine **out,
			  char *err, size_t errlen)
{
	struct hvo_config cfg;
	int rc;

	if (!out)
		return errf_null(err, errlen, __func__, "out");
	*out = NULL;
	if (!spec)
		return errf_null(err, errlen, __func__, "spec");
	rc = hvo_config_parse(&cfg, spec, err, errlen);
	if (rc)
		return rc;
	return hvo_machine_new(&cfg, out, err, errlen);
}

HVO_EXPORT void
hvo_machine_free(struct hvo_machine *m)
{
	if (!m)
		return;
	hugetlb_fini(m);
	machine_printk_fini(m);
	tlb_fini(&m->tlb);
	memblock_fini(&m->memblock);
	page_owner_fini(&m->owner);
	pageblock_flags_fini(m);
	memmap_compact_fini(m);
	phys_fini(&m->phys);
	free(m);
}

HVO_EXPORT int
hvo_machine_kernel(const struct hvo_machine *m, struct hvo_kernel_info *out)
{
	if (!m)
		return -EINVAL;
	if (!out)
		return machine_err_null(m, __func__, "out");
	memset(out, 0, sizeof(*out));
	out->release = m->release.name;
	out->build = m->release.build->name;
	out->variant = m->hvo_variant;
	out->variant_from_release = m->cfg.hvo == HVO_VARIANT_RELEASE;
	out->has_hvo = release_has_hvo(&m->release, m->cfg.arch);
	out->has_sysctl = out->has_hvo && kernel_get(m, RP_SYSCTL);
	out->hvo_default = m->hvo_default;
	out->check_pages = m->check_pages;
	out->kpti = m->arch.kpti;
	out->zoneinfo_no_promo = !kernel_get(m, RP_ZONEINFO_PROMO);
	return 0;
}

HVO_EXPORT const struct hvo_config *
hvo_machine_config(const struct hvo_machine *m)
{
	return m ? &m->cfg : NULL;
}

HVO_EXPORT int
hvo_machine_geometry(const struct hvo_machine *m, struct hvo_geometry *g)
{
	const struct hvo_arch *a;

	if (!m)
		return -EINVAL;
	if (!g)
		return machine_err_null(m, __func__, "out");
	a = &m->arch;
	memset(g, 0, sizeof(*g));
	g->arch = a->name;
	g->page_size = (unsigned)a->page_size;
	g->page_shift = a->page_shift;
	g->va_bits = a->va_bits;
	g->levels = a->levels;
	for (unsigned d = 0; d < a->levels; d++) {
		g->level_shift[d] = a->level[d].shift;
		g->level_entries[d] = a->level[d].entries;
		g->level_name[d] = a->level[d].name;
		g->level_leaf_size[d] = a->level[d].leaf_ok ?
					arch_level_size(a, d) : 0;
	}
	g->struct_page_size = m->cfg.struct_page_size;
	g->mem_bytes = m->phys.total_pages << a->page_shift;
	g->first_pfn = m->phys.lo >> a->page_shift;
	/* HPAGE_SIZE is PMD_SIZE on all three arches. */
	g->default_hugepage_size = m->cfg.default_hugepagesz ?
		m->cfg.default_hugepagesz :
		arch_level_size(a, (unsigned)arch_depth_of_role(a, PT_PMD));
	g->vmemmap_start = a->vmemmap_start;
	g->vmemmap_base = m->vmemmap_base;
	g->max_page_order = a->max_page_order;
	g->pageblock_order = a->pageblock_order;
	g->section_size_bits = a->section_size_bits;
	g->tlb_flush_ceiling = a->tlb_flush_ceiling;
	g->page_kernel = a->page_kernel;
	g->page_kernel_ro = a->page_kernel_ro;
	g->has_kernel_ro = a->has_kernel_ro;
	g->needs_bbm = a->needs_bbm;
	return 0;
}

HVO_EXPORT int
hvo_pfn_to_page(const struct hvo_machine *m, uint64_t pfn, uint64_t *va)
{
	uint64_t page, pa, lo, hi;

	if (!m)
		return -EINVAL;
	if (!va)
		return machine_err_null(m, __func__, "va");
	lo = round_down64(m->vmemmap_pfn_lo, pages_per_section(m));
	hi = round_up64(m->vmemmap_pfn_hi, pages_per_section(m));
	if (pfn < lo || pfn >= hi)
		return machine_err_const(m, -EINVAL,
					 "pfn 0x%" PRIx64 " has no struct page: allowed are the pfns of sections with RAM, within 0x%" PRIx64 "..0x%" PRIx64,
					 pfn, lo, hi - 1);
	/* A section without RAM has no memmap: its struct page is unmapped. */
	page = pfn_to_page(m, pfn);
	if (pt_lookup((struct hvo_machine *)m, page & ~(m->arch.page_size - 1),
		      &pa, NULL))
		return machine_err_const(m, -EINVAL,
					 "pfn 0x%" PRIx64 " has no struct page: its section holds no RAM",
					 pfn);
	*va = page;
	return 0;
}

HVO_EXPORT const char *
hvo_version(void)
{
#define HVO_STR2(x) #x
#define HVO_STR(x) HVO_STR2(x)
	return HVO_STR(HVO_VERSION_MAJOR) "." HVO_STR(HVO_VERSION_MINOR) "."
	       HVO_STR(HVO_VERSION_MICRO);
}
