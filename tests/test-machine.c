/* SPDX-License-Identifier: MIT */
/*
 * Machines at boot: RAM with holes, where each arch puts RAM and the
 * vmemmap, struct page sizes, what every frame is used for, the JSON report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/util.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static uint64_t
struct_page_va(const struct hvo_geometry *g, uint64_t pfn)
{
	return g->vmemmap_base + pfn * g->struct_page_size;
}

static bool
is_mapped(struct hvo_machine *m, uint64_t va)
{
	struct hvo_walk w;

	assert_int_equal(hvo_walk(m, va, &w), 0);
	return w.mapped;
}

/* The JSON report of @m, after a passing check, says it passed. */
static void
assert_report_check_passed(struct hvo_machine *m)
{
	char *text = tu_report_json(m);

	assert_non_null(strstr(text, "\"check\": \"passed\""));
	free(text);
}

static void
test_ram_with_holes(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=512M@0+512M@0x100000000");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t section = UINT64_C(1) << (g.section_size_bits - g.page_shift);
	uint64_t ranges[2][2] = {
		{ 0, (512 * MIB) >> 12 },
		{ (4 * GIB) >> 12, (4 * GIB + 512 * MIB) >> 12 },
	};
	uint64_t hole = (2 * GIB) >> 12, v;

	(void)state;
	assert_int_equal(hvo_machine_total_pages(m), UINT64_C(1) << 18);
	assert_int_equal(g.mem_bytes, GIB);

	/* Every struct page of both ranges is mapped... */
	for (unsigned r = 0; r < 2; r++)
		for (uint64_t pfn = ranges[r][0]; pfn < ranges[r][1]; pfn++)
			if (!is_mapped(m, struct_page_va(&g, pfn)))
				fail_msg("struct page of pfn 0x%" PRIx64 " is not mapped",
					 pfn);

	/* ...and none of a section in the hole, first to last byte. */
	assert_int_equal(hole % section, 0);
	assert_false(is_mapped(m, struct_page_va(&g, hole)));
	assert_false(is_mapped(m, struct_page_va(&g, hole + section / 2)));
	assert_false(is_mapped(m, struct_page_va(&g, hole + section) - 1));
	/* The first section past the low range is a hole too. */
	assert_false(is_mapped(m, struct_page_va(&g, ranges[0][1])));
	assert_int_equal(hvo_kread64(m, struct_page_va(&g, hole), &v), -EFAULT);

	tu_assert_check(m);
	hvo_machine_free(m);
}

/* A hole inside a section: the kernel maps the memmap of whole sections. */
static void
test_hole_inside_section(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M@0+32M@0x6000000");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t in_hole = (80 * MIB) >> 12;

	(void)state;
	assert_int_equal(hvo_machine_total_pages(m), (96 * MIB) >> 12);
	assert_true(is_mapped(m, struct_page_va(&g, in_hole)));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Where RAM starts, and so where the vmemmap puts pfn 0: x86 at 0, arm64
 * at 1 GiB (QEMU virt), riscv at 2 GiB. arm64 and riscv offset the vmemmap
 * by the start of RAM, so the first RAM page sits at VMEMMAP_START.
 */
static void
check_ram_base(const char *spec, uint64_t ram_base, uint64_t memstart)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(m);
	uint64_t first = ram_base >> g.page_shift;

	assert_int_equal(hvo_machine_config(m)->mem[0].base, ram_base);
	assert_int_equal(g.vmemmap_base,
			 g.vmemmap_start -
			 (memstart >> g.page_shift) * g.struct_page_size);
	assert_true(is_mapped(m, struct_page_va(&g, first)));
	/* Below RAM is a hole: the section under the first has no memmap. */
	if (first) {
		uint64_t section = UINT64_C(1) << (g.section_size_bits -
						   g.page_shift);

		assert_int_equal(first % section, 0);
		assert_false(is_mapped(m, struct_page_va(&g, first - section)));
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Deferred struct page init when the sections it has left are all boot
 * gigantic pages (memblock-reserved at the top of RAM): it finishes with
 * nothing to add (it failed with -EFAULT and no reason).
 */
static void
test_deferred_behind_gigantic_pages(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G,hugepages=1G:2,hvo=off");

	(void)state;
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	assert_int_equal(tu_hstate(m, 1).nr, 2);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_ram_base(void **state)
{
	(void)state;
	check_ram_base("x86_64:mem=64M", 0, 0);
	check_ram_base("x86_64:levels=5,mem=64M", 0, 0);
	check_ram_base("arm64-4k-48:mem=64M", GIB, GIB);
	check_ram_base("arm64-4k-39:mem=64M", GIB, GIB);
	check_ram_base("arm64-16k-48:mem=64M", GIB, GIB);
	/*
	 * arm64's memstart_addr is rounded to ARM64_MEMSTART_ALIGN whatever
	 * HVO does (arch/arm64/mm/init.c): the vmemmap base does not depend
	 * on the variant (issue 11). Only 7.1's riscv aligns it to the
	 * largest folio (RP_VMEMMAP_FOLIO_ALIGN).
	 */
	check_ram_base("arm64-64k-48:mem=64M", GIB, GIB);
	check_ram_base("arm64-64k-48:mem=64M,hvo=fakehead", GIB, GIB);
	check_ram_base("arm64-64k-48:mem=64M,hvo=sharedtail", GIB, GIB);
	check_ram_base("riscv64-sv39:mem=64M", 2 * GIB, 2 * GIB);
	check_ram_base("riscv64-sv57:mem=64M", 2 * GIB, 2 * GIB);
	/*
	 * RAM off a 1G boundary: riscv's phys_ram_base is the start of RAM
	 * rounded to 128M (setup_bootmem()) up to 7.0, but 7.1 rounds it to
	 * the largest hugepage, 1G ("Align vmemmap to maximal folio size").
	 */
	check_ram_base("riscv64-sv39:mem=256M@0x88000000,kernel=7.0",
		       0x88000000, 0x88000000);
	check_ram_base("riscv64-sv39:mem=256M@0x88000000,kernel=7.1",
		       0x88000000, 2 * GIB);
	check_ram_base("riscv64-sv48:mem=256M@0x88000000,kernel=7.1,hvo=off",
		       0x88000000, 2 * GIB);
	/* arm64 rounds the start of RAM down to ARM64_MEMSTART_ALIGN. */
	check_ram_base("arm64-4k-48:mem=256M@0x48000000", 0x48000000, GIB);
}

static void
test_vmemmap_start(void **state)
{
	struct hvo_machine *m;
	struct hvo_geometry g;

	(void)state;
	/* The documented, un-randomized layouts. */
	m = tu_machine("x86_64:mem=64M");
	g = tu_geometry(m);
	assert_int_equal(g.vmemmap_start, UINT64_C(0xffffea0000000000));
	assert_int_equal(g.vmemmap_base, UINT64_C(0xffffea0000000000));
	tu_assert_check(m);
	hvo_machine_free(m);

	m = tu_machine("x86_64:levels=5,mem=64M");
	g = tu_geometry(m);
	assert_int_equal(g.vmemmap_start, UINT64_C(0xffd4000000000000));
	tu_assert_check(m);
	hvo_machine_free(m);

	/* arm64 4K/48: VMEMMAP_START = -SZ_1G - VMEMMAP_SIZE, 2T of it. */
	m = tu_machine("arm64-4k-48:mem=64M");
	g = tu_geometry(m);
	assert_int_equal(g.vmemmap_base,
			 g.vmemmap_start - (UINT64_C(0x40000000) >> 12) * 64);
	assert_int_equal(g.vmemmap_start, UINT64_C(0xfffffdffc0000000));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Struct pages of every size boot; those that are not a power of two
 * straddle page boundaries, and both halves must be mapped.
 */
static void
check_struct_page_size(const char *preset, unsigned size)
{
	struct hvo_machine *m;
	struct hvo_geometry g;
	const struct hvo_config *cfg;
	uint64_t straddling = 0, v;
	char spec[128];

	snprintf(spec, sizeof(spec), "%s:mem=256M,struct_page=%u", preset, size);
	m = tu_machine(spec);
	g = tu_geometry(m);
	cfg = hvo_machine_config(m);
	assert_int_equal(g.struct_page_size, size);
	for (uint64_t pfn = cfg->mem[0].base >> g.page_shift;
	     pfn < (cfg->mem[0].base + cfg->mem[0].size) >> g.page_shift;
	     pfn++) {
		uint64_t first = struct_page_va(&g, pfn);
		uint64_t last = first + size - 8;

		if (hvo_kread64(m, first, &v) || hvo_kread64(m, last, &v))
			fail_msg("%s: struct page of pfn 0x%" PRIx64 " at 0x%" PRIx64 ": %s",
				 spec, pfn, first, hvo_machine_error(m));
		if (first / g.page_size != last / g.page_size)
			straddling++;
	}
	if (size & (size - 1))
		assert_true(straddling > 0);
	else
		assert_int_equal(straddling, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_struct_page_sizes(void **state)
{
	static const unsigned sizes[] = { 56, 64, 72, 80, 128 };
	static const char *const presets[] = { "x86_64", "arm64-16k-48" };

	(void)state;
	for (size_t p = 0; p < sizeof(presets) / sizeof(presets[0]); p++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			check_struct_page_size(presets[p], sizes[s]);
}

/* The arches whose kernel maps the vmemmap with PMD blocks. */
static bool
vmemmap_uses_pmd_blocks(const struct hvo_geometry *g)
{
	return strcmp(g->arch, "x86_64") == 0 ||
	       strcmp(g->arch, "riscv64") == 0 ||
	       (strcmp(g->arch, "arm64") == 0 && g->page_size == 4096);
}

/*
 * The vmemmap pages sparse_init() takes: the memmap of each section that
 * holds RAM, in whole mapping units (PMD blocks or pages).
 */
static uint64_t
expected_vmemmap_pages(const struct hvo_machine *m)
{
	const struct hvo_config *cfg = hvo_machine_config(m);
	struct hvo_geometry g = tu_geometry(m);
	uint64_t per_section = UINT64_C(1) << (g.section_size_bits - g.page_shift);
	uint64_t unit = vmemmap_uses_pmd_blocks(&g) ?
			g.level_leaf_size[g.levels - 2] : g.page_size;
	uint64_t bytes = per_section * g.struct_page_size;
	uint64_t sections = 0, last = UINT64_MAX;

	/* Sections' memmaps must not share a unit for this sum to hold. */
	assert_int_equal(bytes % unit, 0);
	for (unsigned r = 0; r < cfg->nr_mem_ranges; r++) {
		uint64_t pfn = cfg->mem[r].base >> g.page_shift;
		uint64_t end = pfn + (cfg->mem[r].size >> g.page_shift);

		for (pfn -= pfn % per_section; pfn < end; pfn += per_section) {
			if (pfn == last)
				continue;
			last = pfn;
			sections++;
		}
	}
	return sections * bytes / g.page_size;
}

static void
check_categories(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t total = hvo_machine_total_pages(m);
	uint64_t reserved = tu_pages(m, HVO_PAGES_RESERVED);
	uint64_t pagetable = tu_pages(m, HVO_PAGES_PAGETABLE);
	uint64_t vmemmap = tu_pages(m, HVO_PAGES_VMEMMAP);
	uint64_t allocated = tu_pages(m, HVO_PAGES_ALLOCATED);

	assert_true(reserved > 0);
	assert_true(pagetable > 0);
	/* Every page-table page came from the allocator, none went back. */
	assert_int_equal(pagetable, tu_counter(m, "pt.table_alloc") -
				    tu_counter(m, "pt.table_free"));
	if (vmemmap != expected_vmemmap_pages(m))
		fail_msg("%s: %" PRIu64 " vmemmap pages, expected %" PRIu64,
			 spec, vmemmap, expected_vmemmap_pages(m));
	assert_int_equal(allocated, 0);
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE),
			 total - reserved - pagetable - vmemmap - allocated);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_categories(void **state)
{
	(void)state;
	check_categories("x86_64:mem=256M");
	check_categories("x86_64:mem=512M@0+512M@0x100000000");
	check_categories("x86_64:levels=5,mem=64M");
	check_categories("arm64-4k-48:mem=256M");
	check_categories("arm64-16k-48:mem=64M");
	check_categories("arm64-16k-48:mem=256M,struct_page=128");
	check_categories("arm64-64k-48:mem=256M");
	check_categories("riscv64-sv39:mem=256M");
}

static int
cmp_frame(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The vmemmap sparse_init() mapped for @spec, read back page by page
 * through the page table: every vmemmap page of every present section is
 * mapped writable, to a frame of its own (vmemmap_populate_basepages()
 * and _hugepages() give each a new block or page), as many frames as the
 * vmemmap category counts. The mapping may have been written as described
 * runs of entries (pt_cursor_map_run()); read back, it must be the one a
 * page-by-page population gives.
 */
static void
check_vmemmap_frames(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	const struct hvo_config *cfg = hvo_machine_config(m);
	struct hvo_geometry g = tu_geometry(m);
	uint64_t per_section = UINT64_C(1) << (g.section_size_bits - g.page_shift);
	uint64_t bytes = per_section * g.struct_page_size;
	uint64_t n = 0, max = tu_pages(m, HVO_PAGES_VMEMMAP), last = UINT64_MAX;
	uint64_t *pa = calloc(max + 1, sizeof(*pa));

	assert_non_null(pa);
	assert_int_equal(bytes % g.page_size, 0);
	for (unsigned r = 0; r < cfg->nr_mem_ranges; r++) {
		uint64_t pfn = cfg->mem[r].base >> g.page_shift;
		uint64_t end = pfn + (cfg->mem[r].size >> g.page_shift);

		for (pfn -= pfn % per_section; pfn < end; pfn += per_section) {
			uint64_t va0 = struct_page_va(&g, pfn);

			if (pfn == last)
				continue;
			last = pfn;
			for (uint64_t off = 0; off < bytes; off += g.page_size) {
				struct hvo_walk w;

				assert_int_equal(hvo_walk(m, va0 + off, &w), 0);
				if (!w.mapped || !w.writable)
					fail_msg("%s: vmemmap va 0x%" PRIx64 " of pfn 0x%" PRIx64 " not mapped writable",
						 spec, va0 + off, pfn);
				/* One entry per leaf: count its first page. */
				if ((va0 + off) % w.leaf_size)
					continue;
				for (uint64_t k = 0; k < w.leaf_size; k += g.page_size) {
					if (n >= max)
						fail_msg("%s: more vmemmap frames mapped than the %" PRIu64 " counted",
							 spec, max);
					pa[n++] = w.pa + k;
				}
			}
		}
	}
	if (n != max)
		fail_msg("%s: %" PRIu64 " vmemmap frames mapped, %" PRIu64 " counted",
			 spec, n, max);
	qsort(pa, n, sizeof(*pa), cmp_frame);
	for (uint64_t i = 1; i < n; i++)
		if (pa[i] == pa[i - 1])
			fail_msg("%s: frame 0x%" PRIx64 " backs two vmemmap pages",
				 spec, pa[i]);
	free(pa);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * sparse_init() on configurations whose vmemmap is written as runs:
 * granules and VA sizes, RAM in several ranges with holes, struct page
 * sizes that are not a power of two, the break-before-make and TLB
 * checkers on, hugepages reserved at boot.
 */
static void
test_vmemmap_runs_configs(void **state)
{
	static const char *const specs[] = {
		"arm64-4k-48:mem=256M",
		"arm64-4k-52:mem=128M@0x80000000+256M@0x100000000",
		"arm64-16k-47:mem=256M",
		"arm64-16k-48:mem=128M@0x40000000+64M@0x100000000+64M@0x800000000",
		"arm64-16k-52:mem=256M,struct_page=72",
		"arm64-64k-42:mem=1G",
		"arm64-64k-48:mem=512M@0x40000000+512M@0x400000000,struct_page=80",
		"arm64-64k-52:mem=1G,bbmcheck=on,tlbcheck=on",
		"arm64-16k-48:mem=512M,struct_page=80,bbmcheck=on,tlbcheck=on",
		"riscv64-sv48:mem=256M@0x80000000+256M@0x200000000",
		"riscv64-sv57:mem=512M,bbmcheck=on,tlbcheck=on",
		"riscv64-sv39:mem=512M,hugepages=2M:32,hvo=off",
		"x86_64:mem=1G,hugepages=2M:64,bbmcheck=on,hvo=off",
		"x86_64:levels=5,mem=128M@0+256M@0x100000000+128M@0x400000000",
		/*
		 * RAM across 2^48 with 52-bit PA: arm64 moves PA bits 48+
		 * elsewhere in the entry (__phys_to_pte_val()), so a run
		 * of entries is no one arithmetic run across that line.
		 */
		"arm64-64k-52:mem=1G@0xffffc0100000",
		"arm64-16k-52:mem=2G@0xffff90000000",
		"arm64-4k-52:mem=2G@0xffffc0000000",
		/*
		 * sparse_buffer_init() cannot find one block for every
		 * section's memmap (RAM in pieces, sections that hold
		 * little of it): vmemmap_alloc_block_buf() falls back to
		 * memblock, block by block or page by page.
		 */
		"x86_64:mem=25M@0+1M@0x8000000+1M@0x10000000+1M@0x18000000+1M@0x20000000+1M@0x28000000+1M@0x30000000+1M@0x38000000",
		"x86_64:mem=24M@0+2M@0x7f00000+2M@0xff00000+2M@0x17f00000+2M@0x1ff00000+2M@0x27f00000+2M@0x2ff00000+2M@0x37f00000",
		"arm64-16k-48:mem=32M@0x40000000+1M@0x47f00000+1M@0x4ff00000,struct_page=256",
		"arm64-64k-48:mem=32M@0x40000000",
	};
	/* With HVO, boot hugepages' sections are mapped by hugetlb
	 * (SECTION_IS_VMEMMAP_PREINIT), their tails sharing frames. */
	static const char *const boot_hvo[] = {
		"riscv64-sv39:mem=512M,hugepages=2M:32",
		"x86_64:mem=1G,hugepages=2M:64,bbmcheck=on",
		"x86_64:mem=2G@0+1G@0x100000000,hugepages=2M:16;1G:1",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		check_vmemmap_frames(specs[i]);
		/* check_categories() counts no hugepage pool. */
		if (!strstr(specs[i], "hugepages="))
			check_categories(specs[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(boot_hvo); i++) {
		char off[128];
		struct hvo_machine *m = tu_machine(boot_hvo[i]), *o;
		struct hvo_hstate_info hm, ho;

		snprintf(off, sizeof(off), "%s,hvo=off", boot_hvo[i]);
		o = tu_machine(off);
		/* The same RAM and pools, fewer vmemmap frames. */
		assert_int_equal(hvo_machine_total_pages(m),
				 hvo_machine_total_pages(o));
		assert_int_equal(hvo_machine_hstate_by_size(m, 2 * MIB, &hm), 0);
		assert_int_equal(hvo_machine_hstate_by_size(o, 2 * MIB, &ho), 0);
		assert_int_equal(hm.nr, ho.nr);
		assert_true(hm.nr >= 16);
		if (tu_pages(m, HVO_PAGES_VMEMMAP) >= tu_pages(o, HVO_PAGES_VMEMMAP))
			fail_msg("%s: %" PRIu64 " vmemmap frames, not fewer than %" PRIu64 " without HVO",
				 boot_hvo[i], tu_pages(m, HVO_PAGES_VMEMMAP),
				 tu_pages(o, HVO_PAGES_VMEMMAP));
		tu_assert_check(m);
		tu_assert_check(o);
		hvo_machine_free(m);
		hvo_machine_free(o);
	}
}

/*
 * RAM in pieces across many sections with large struct pages: their
 * memmap does not fit in the RAM left, in blocks (PMD-mapped vmemmap) or
 * in pages. The model refuses the machine with -ENOMEM and the vmemmap
 * page it could not back. It differs from Linux here: sparse_init_nid()
 * logs "memory map backing failed" and marks the remaining sections not
 * present, booting with less memory.
 */
static void
test_vmemmap_out_of_memory(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=24M@0+2M@0x7f00000+2M@0xff00000+2M@0x17f00000+2M@0x1ff00000+2M@0x27f00000+2M@0x2ff00000+2M@0x37f00000,struct_page=256",
		"arm64-4k-48:mem=32M@0x40000000+2M@0x47f00000+2M@0x4ff00000+2M@0x57f00000,struct_page=256",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		struct hvo_machine *m = NULL;
		char err[256] = "";

		assert_int_equal(hvo_machine_new_from_spec(specs[i], &m, err,
							   sizeof(err)),
				 -ENOMEM);
		assert_null(m);
		if (!strstr(err, "out of memory for the vmemmap page at va 0x"))
			fail_msg("%s: %s", specs[i], err);
	}
}

/*
 * RAM given as ranges that touch is one range to the kernel: memblock_add()
 * merges regions that meet (memblock_merge_regions()), and
 * memblock_free_all() frees each free range in the largest aligned blocks
 * (__free_pages_memory()), across the point where the ranges met. So a
 * machine booted with touching ranges must be the machine booted with one
 * range of their total: the same frames in every category, the same free
 * blocks in every zone. @split and @whole are specs of the two.
 */
static void
check_touching_ranges(const char *split, const char *whole)
{
	struct hvo_machine *a = tu_machine(split), *b = tu_machine(whole);
	struct hvo_zone_info za, zb;
	unsigned i;
	int rc;

	tu_assert_check(a);
	for (unsigned c = 0; c < HVO_PAGES__COUNT; c++)
		if (tu_pages(a, c) != tu_pages(b, c))
			fail_msg("%s: %" PRIu64 " %s frames, %s has %" PRIu64,
				 split, tu_pages(a, c),
				 hvo_page_category_name(c), whole,
				 tu_pages(b, c));
	for (i = 0; (rc = hvo_machine_zone(a, i, &za)) == 0; i++) {
		assert_int_equal(hvo_machine_zone(b, i, &zb), 0);
		assert_string_equal(za.name, zb.name);
		if (za.free_pages != zb.free_pages ||
		    za.managed_pages != zb.managed_pages ||
		    za.deferred_pages != zb.deferred_pages ||
		    za.present_pages != zb.present_pages ||
		    memcmp(za.nr_free, zb.nr_free, sizeof(za.nr_free)))
			fail_msg("%s: zone %s differs from %s's", split,
				 za.name, whole);
	}
	assert_int_equal(rc, -ENOENT);
	assert_int_equal(hvo_machine_zone(b, i, &zb), -ENOENT);
	hvo_machine_free(a);
	hvo_machine_free(b);
}

/* The machines of issue 10's defect 1, and one that always worked. */
static void
test_touching_ranges(void **state)
{
	(void)state;
	check_touching_ranges("x86_64:mem=33M+48M", "x86_64:mem=81M");
	check_touching_ranges("x86_64:mem=34M+30M", "x86_64:mem=64M");
	check_touching_ranges("riscv64:va=39,mem=42M+96M",
			      "riscv64:va=39,mem=138M");
	check_touching_ranges("x86_64:mem=32M+32M", "x86_64:mem=64M");
	check_touching_ranges("x86_64:mem=33M+17M+31M", "x86_64:mem=81M");
	check_touching_ranges("x86_64:mem=33M+48M,hugepages=2M:16",
			      "x86_64:mem=81M,hugepages=2M:16");
}

/* A block that spans the point where two ranges meet maps RAM. */
static void
test_touching_ranges_map(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=33M+48M");
	uint64_t va = tu_free_kernel_va(m, 2);

	(void)state;
	/* 32M..34M: half in the first range, half in the second. */
	if (hvo_map(m, va, 32 * MIB, 2 * MIB, HVO_PROT_KERNEL_RO))
		fail_msg("map 32M+2M: %s", hvo_machine_error(m));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Every preset, the first range ending at a few unaligned points. */
static void
test_touching_ranges_sweep(void **state)
{
	static const unsigned first[] = { 33, 34, 42, 65 };
	static const unsigned second[] = { 30, 48, 96 };
	char split[128], whole[128];

	(void)state;
	for (size_t p = 0; p < hvo_preset_count(); p++)
		for (size_t i = 0; i < ARRAY_SIZE(first); i++)
			for (size_t j = 0; j < ARRAY_SIZE(second); j++) {
				snprintf(split, sizeof(split), "%s:mem=%uM+%uM",
					 hvo_preset_name(p), first[i],
					 second[j]);
				snprintf(whole, sizeof(whole), "%s:mem=%uM",
					 hvo_preset_name(p),
					 first[i] + second[j]);
				check_touching_ranges(split, whole);
			}
}

static size_t
count_substr(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void
test_report_json(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t va[2] = { g.vmemmap_base, g.vmemmap_start - g.page_size };
	char *text = NULL;
	size_t len = 0, end;
	long depth = 0;
	bool in_string = false;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(hvo_machine_report_json(m, va, 2, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);

	/* The two keys of hvo_json_begin() open the document. */
	assert_true(strncmp(text, "{\n  \"format_version\": 1,\n  \"libhvo_version\": \"",
			    strlen("{\n  \"format_version\": 1,\n  \"libhvo_version\": \"")) == 0);
	/* The checker has not run on this machine yet. */
	assert_non_null(strstr(text, "\"check\": \"not run\""));
	assert_non_null(strstr(text, "\"machine\""));
	assert_non_null(strstr(text, "\"memory\""));
	assert_non_null(strstr(text, "\"walks\""));
	assert_non_null(strstr(text, "\"counters\""));
	assert_int_equal(count_substr(text, "\"va\""), 2);

	/* One object, brackets balanced outside strings. */
	end = strlen(text);
	while (end && (text[end - 1] == '\n' || text[end - 1] == ' '))
		end--;
	assert_true(end > 2);
	assert_int_equal(text[0], '{');
	assert_int_equal(text[end - 1], '}');
	for (size_t i = 0; i < end; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		assert_true(depth >= 0);
		if (depth == 0)
			assert_int_equal(i, end - 1);
	}
	assert_int_equal(depth, 0);
	assert_false(in_string);

	free(text);
	tu_assert_check(m);

	/* Once hvo_machine_check() has passed, the report says so. */
	assert_report_check_passed(m);
	hvo_machine_free(m);
}

/* hvo_json_begin() and hvo_json_string(), the helpers tools write with. */
static void
test_json_helpers(void **state)
{
	char *text = NULL, want[128];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(hvo_json_begin(f, HVO_JSON_COMPACT), 0);
	fputs(",\"s\":", f);
	/* quote, backslash, newline, tab, DEL, UTF-8 "é", a stray 0xff */
	assert_int_equal(hvo_json_string(f, "a\"b\\c\nd\te\x7f\xc3\xa9\xff"), 0);
	fputc('}', f);
	assert_int_equal(fclose(f), 0);
	snprintf(want, sizeof(want),
		 "{\"format_version\":%d,\"libhvo_version\":\"%s\",\"s\":"
		 "\"a\\\"b\\\\c\\nd\\u0009e\\u007f\xc3\xa9\\ufffd\"}",
		 HVO_JSON_FORMAT_VERSION, hvo_version());
	assert_string_equal(text, want);
	free(text);

	/* A truncated sequence and an overlong one are not UTF-8. */
	text = NULL;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(hvo_json_string(f, "\xe2\x82"), 0);
	assert_int_equal(hvo_json_string(f, "\xc0\xaf"), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text, "\"\\ufffd\\ufffd\"\"\\ufffd\\ufffd\"");
	free(text);
}

/*
 * RAM that starts off a hugepage boundary: the pool's pfn index must still
 * find a hugepage by its head (found by the spec fuzzer: the index counted
 * its grain from RAM's first pfn, so no aligned head had a slot).
 */
static void
test_hugepages_ram_off_grain(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M@0x4220000+64M@0x160000000000,hugepages=2M:2");
	uint64_t pfn;

	(void)state;
	assert_int_equal(hvo_hugepage_pfn(m, UINT64_C(2) << 20, 1, &pfn), 0);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	tu_assert_check(m);
	assert_int_equal(hvo_set_nr_hugepages(m, UINT64_C(2) << 20, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The largest machines the arches address boot: RAM just below 4 PiB
 * with x86_64's 5-level paging (MAX_PHYSMEM_BITS 52, arch/x86's
 * sparsemem.h) and 1 PiB with arm64's 52-bit PAs (MAX_PHYSMEM_BITS is
 * PHYS_MASK_SHIFT, 52 with LPA2 or 64K pages: arch/arm64's sparsemem.h).
 * 4-level x86_64 stops at 64 TiB (46 bits). The struct pages of the top range are
 * mapped, the check passes and the JSON report is written.
 */
static void
test_physmem_limit(void **state)
{
	static const char *const specs[] = {
		"x86_64:levels=5,mem=1G@0+1G@4095T",
		"arm64-64k-52:mem=1G@0x40000000+1G@1P",
		"arm64-4k-52:mem=1G@0x40000000+1G@1P",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct hvo_machine *m = tu_machine(specs[i]);
		struct hvo_geometry g = tu_geometry(m);
		const struct hvo_config *cfg = hvo_machine_config(m);
		uint64_t top = cfg->mem[cfg->nr_mem_ranges - 1].base +
			       cfg->mem[cfg->nr_mem_ranges - 1].size;
		uint64_t va;
		struct hvo_walk w;

		assert_true(top > UINT64_C(1) << 46);
		assert_int_equal(hvo_pfn_to_page(m, (top >> g.page_shift) - 1, &va), 0);
		assert_int_equal(hvo_walk(m, va, &w), 0);
		assert_true(w.mapped);
		tu_assert_check(m);
		assert_report_check_passed(m);
		hvo_machine_free(m);
	}
}

/* Whether the boot log of @spec's machine has @line, and its text. */
static bool
boot_log_has(const char *spec, const char *line)
{
	static char log[HVO_DMESG_MAX + 1];
	struct hvo_machine *m = tu_machine(spec);
	bool found;

	assert_int_equal(hvo_machine_dmesg(m, log, sizeof(log)), 0);
	found = strstr(log, line) != NULL;
	tu_assert_check(m);
	hvo_machine_free(m);
	return found;
}

/*
 * swiotlb_init() from mem_init() (kernel/dma/swiotlb.c,
 * swiotlb_init_remap()): only where RAM goes above the DMA limit (x86's
 * pci_swiotlb_detect(), arm64's and riscv's mem_init()), 64 MiB top-down
 * below 4G; where that does not fit, halved down to 1 MiB, each failure
 * and the adjusted size said as the kernel says them.
 */
static void
test_swiotlb_init(void **state)
{
	(void)state;
	assert_false(boot_log_has("x86_64:mem=3G", "software IO TLB"));
	assert_true(boot_log_has("x86_64:mem=2G@0+1G@4G",
				 "software IO TLB: mapped [mem 0x000000007c000000-0x0000000080000000] (64MB)"));
	assert_true(boot_log_has("x86_64:mem=2G@0+1G@4G",
				 "software IO TLB: area num 1."));
	/* arm64's RAM starts at 1G: 4G of it goes above 4G */
	assert_true(boot_log_has("arm64:mem=4G",
				 "software IO TLB: mapped [mem 0x00000000fc000000-0x0000000100000000] (64MB)"));
	assert_false(boot_log_has("arm64:mem=2G", "software IO TLB"));
	assert_true(boot_log_has("riscv64:mem=4G", "software IO TLB: mapped"));
	/* 25M below 4G: 64M, 32M and 16M do not fit, 8M does */
	assert_true(boot_log_has("x86_64:mem=25M@0+1G@4G",
				 "software IO TLB: swiotlb_memblock_alloc: Failed to allocate 16777216 bytes tlb structure"));
	assert_true(boot_log_has("x86_64:mem=25M@0+1G@4G",
				 "software IO TLB: SWIOTLB bounce buffer size adjusted 32768 -> 4096 slabs"));
	assert_true(boot_log_has("x86_64:mem=25M@0+1G@4G",
				 "software IO TLB: mapped [mem 0x0000000000800000-0x0000000001000000] (8MB)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hugepages_ram_off_grain),
		cmocka_unit_test(test_ram_with_holes),
		cmocka_unit_test(test_hole_inside_section),
		cmocka_unit_test(test_ram_base),
		cmocka_unit_test(test_deferred_behind_gigantic_pages),
		cmocka_unit_test(test_vmemmap_start),
		cmocka_unit_test(test_struct_page_sizes),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_touching_ranges),
		cmocka_unit_test(test_touching_ranges_map),
		cmocka_unit_test(test_touching_ranges_sweep),
		cmocka_unit_test(test_vmemmap_runs_configs),
		cmocka_unit_test(test_vmemmap_out_of_memory),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_physmem_limit),
		cmocka_unit_test(test_json_helpers),
		cmocka_unit_test(test_swiotlb_init),
	};

	return tu_run("machine", tests, sizeof(tests) / sizeof(tests[0]));
}
