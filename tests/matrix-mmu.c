/* SPDX-License-Identifier: MIT */
/*
 * The page table over every preset: boot accounting, the vmemmap walk,
 * map/protect/split/unmap at every level that can hold a leaf, and the
 * error paths.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "core/machine.h"

#define MIB (UINT64_C(1) << 20)

#define MAGIC_A UINT64_C(0x0123456789abcdef)
#define MAGIC_B UINT64_C(0xfedcba9876543210)

/*
 * Host address space is the limit on the RAM a machine may have (libhvo
 * refuses RAM that ends above 64T), so a leaf larger than this cannot be
 * backed by RAM; only its refusal is tested.
 */
#define LARGEST_BACKED_LEAF (UINT64_C(4) << 40)

/*
 * The PMD: the level above the PTEs, whatever its name (with 64K pages and
 * 42-bit VAs it is the top level, "pgd").
 */
static unsigned
pmd_depth(const struct hvo_geometry *g)
{
	assert_true(g->levels >= 2);
	return g->levels - 2;
}

static int
depth_of_leaf_size(const struct hvo_geometry *g, uint64_t size)
{
	for (unsigned d = 0; d < g->levels; d++)
		if (g->level_leaf_size[d] == size)
			return (int)d;
	return -1;
}

/* The arches whose kernel maps the vmemmap with PMD blocks. */
static bool
vmemmap_uses_pmd_blocks(const struct hvo_geometry *g)
{
	return strcmp(g->arch, "x86_64") == 0 ||
	       strcmp(g->arch, "riscv64") == 0 ||
	       (strcmp(g->arch, "arm64") == 0 && g->page_size == 4096);
}

/* The RAM base preset @p boots with when mem= gives no base. */
static uint64_t
default_ram_base(size_t p)
{
	struct hvo_config cfg;
	char err[256];

	assert_int_equal(hvo_config_parse(&cfg, hvo_preset_name(p), err,
					  sizeof(err)), 0);
	return cfg.mem[0].base;
}

/*
 * A machine with 256M of RAM, and with a block of RAM that a leaf of
 * @size can map: the second half of those 256M when the leaf fits there,
 * else a second RAM range of exactly @size, aligned to it. *target is a
 * page the simulated kernel never touches (the base of the second half of
 * the range holding the block; boot allocates from the top); *leaf_pa the
 * block holding it.
 */
static struct hvo_machine *
machine_with_block(size_t p, uint64_t size, uint64_t *leaf_pa,
		   uint64_t *target)
{
	uint64_t base = default_ram_base(p);
	struct hvo_machine *m;
	char extra[128];

	if (size <= 128 * MIB) {
		m = tu_preset_machine(p, "mem=256M");
		*target = base + 128 * MIB;
	} else {
		uint64_t hi = (base + 256 * MIB + size - 1) & ~(size - 1);

		snprintf(extra, sizeof(extra),
			 "mem=256M@0x%" PRIx64 "+%" PRIu64 "M@0x%" PRIx64,
			 base, size >> 20, hi);
		m = tu_preset_machine(p, extra);
		*target = hi + size / 2;
	}
	*leaf_pa = *target & ~(size - 1);
	return m;
}

static void
test_categories(void **state)
{
	struct hvo_machine *m = tu_preset_machine(tu_preset_of(state), "mem=256M");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t sum = 0, n;

	for (unsigned c = 0; c < HVO_PAGES__COUNT; c++) {
		assert_int_equal(hvo_machine_pages(m, (enum hvo_page_category)c, &n), 0);
		sum += n;
	}
	assert_int_equal(sum, hvo_machine_total_pages(m));
	assert_int_equal(hvo_machine_total_pages(m), (256 * MIB) >> g.page_shift);
	assert_int_equal(g.mem_bytes, 256 * MIB);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Whether the description of an entry names @pa as its table or output. */
static bool
entry_points_at(const struct hvo_machine *m, unsigned depth, uint64_t entry,
		uint64_t pa)
{
	char desc[256], want[40];

	assert_int_equal(hvo_entry_describe(m, depth, entry, desc, sizeof(desc)), 0);
	snprintf(want, sizeof(want), " pa=0x%" PRIx64 " ", pa);
	return strstr(desc, want) != NULL;
}

/*
 * Every level of a walk of a mapped address, against the geometry: the
 * index each level takes from the VA, each table the one the entry above
 * points at, the leaf where expected and pointing at the block.
 */
static void
assert_walk_levels(const struct hvo_machine *m, const struct hvo_geometry *g,
		   const struct hvo_walk *w, unsigned leaf_depth)
{
	assert_true(w->mapped);
	assert_int_equal(w->nr_levels, leaf_depth + 1);
	for (unsigned d = 0; d < w->nr_levels; d++) {
		const struct hvo_walk_level *l = &w->level[d];
		unsigned index = (unsigned)((w->va >> g->level_shift[d]) &
					    (g->level_entries[d] - 1));

		assert_string_equal(l->name, g->level_name[d]);
		assert_int_equal(l->shift, g->level_shift[d]);
		assert_int_equal(l->index, index);
		assert_int_equal(l->entry_pa, l->table_pa + 8 * (uint64_t)index);
		assert_true(l->entry != 0);
		assert_true(l->valid);
		assert_int_equal(l->leaf, d == leaf_depth);
		if (d > 0 && !entry_points_at(m, d - 1, w->level[d - 1].entry,
					      l->table_pa))
			fail_msg("%s entry 0x%016" PRIx64 " does not point at the %s table at 0x%" PRIx64,
				 g->level_name[d - 1], w->level[d - 1].entry,
				 l->name, l->table_pa);
	}
	assert_true(entry_points_at(m, leaf_depth, w->level[leaf_depth].entry,
				    w->pa & ~(w->leaf_size - 1)));
}

static void
test_vmemmap_walk(void **state)
{
	struct hvo_machine *m = tu_preset_machine(tu_preset_of(state), "mem=256M");
	const struct hvo_config *cfg = hvo_machine_config(m);
	struct hvo_geometry g = tu_geometry(m);
	uint64_t leaf = g.page_size;
	int depth;

	if (vmemmap_uses_pmd_blocks(&g))
		leaf = g.level_leaf_size[pmd_depth(&g)];
	depth = depth_of_leaf_size(&g, leaf);
	assert_true(depth >= 0);

	for (unsigned r = 0; r < cfg->nr_mem_ranges; r++) {
		uint64_t pfn = cfg->mem[r].base >> g.page_shift;
		uint64_t end = pfn + (cfg->mem[r].size >> g.page_shift);

		for (; pfn < end; pfn++) {
			uint64_t va = g.vmemmap_base + pfn * g.struct_page_size;
			struct hvo_walk w;

			assert_int_equal(hvo_walk(m, va, &w), 0);
			assert_int_equal(w.va, va);
			if (!w.mapped)
				fail_msg("struct page of pfn 0x%" PRIx64 " at 0x%" PRIx64 " is not mapped",
					 pfn, va);
			assert_true(w.writable);
			assert_int_equal(w.leaf_size, leaf);
			assert_walk_levels(m, &g, &w, (unsigned)depth);
		}
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * One leaf of @depth through its life: map, access, write-protect, split,
 * unmap. The data lives at target, which the test can also see in the host
 * copy of the frame.
 */
static void
exercise_leaf(size_t p, const struct hvo_geometry *geo, unsigned depth)
{
	const struct hvo_geometry g = *geo;
	uint64_t size = g.level_leaf_size[depth], leaf_pa, target, va, off;
	uint64_t v, expect, n;
	struct hvo_machine *m = machine_with_block(p, size, &leaf_pa, &target);
	struct hvo_walk w;
	int rc;

	va = tu_free_kernel_va(m, depth);
	off = target - leaf_pa;

	assert_int_equal(hvo_walk(m, va + off, &w), 0);
	assert_false(w.mapped);

	/* Map: the walk ends in a leaf of that size at that depth. */
	assert_int_equal(hvo_map(m, va, leaf_pa, size, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_walk(m, va + off, &w), 0);
	assert_true(w.mapped);
	assert_true(w.writable);
	assert_int_equal(w.leaf_size, size);
	assert_int_equal(w.pa, target);
	assert_walk_levels(m, &g, &w, depth);

	/* Stores and loads reach the frame. */
	assert_int_equal(hvo_kwrite64(m, va + off, MAGIC_A), 0);
	assert_int_equal(hvo_kread64(m, va + off, &v), 0);
	assert_int_equal(v, MAGIC_A);
	memcpy(&v, phys_to_host(&m->phys, target), sizeof(v));
	assert_int_equal(v, MAGIC_A);
	expect = MAGIC_A;

	/* Read-only, once the TLB has been told. */
	assert_int_equal(hvo_protect(m, va, HVO_PROT_KERNEL_RO), 0);
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + size), 0);
	assert_int_equal(hvo_walk(m, va + off, &w), 0);
	assert_int_equal(w.writable, !g.has_kernel_ro);
	n = tu_counter(m, "fault.write_protect");
	rc = hvo_kwrite64(m, va + off, MAGIC_B);
	if (g.has_kernel_ro) {
		assert_int_equal(rc, -EFAULT);
		assert_true(hvo_machine_error(m)[0] != '\0');
		assert_int_equal(tu_counter(m, "fault.write_protect"), n + 1);
	} else {
		/* riscv: PAGE_KERNEL_RO is PAGE_KERNEL, the store lands. */
		assert_int_equal(rc, 0);
		assert_int_equal(tu_counter(m, "fault.write_protect"), n);
		expect = MAGIC_B;
	}
	assert_int_equal(hvo_kread64(m, va + off, &v), 0);
	assert_int_equal(v, expect);

	/* Split a block: next-level leaves, same memory, same protection. */
	if (depth + 1 < g.levels) {
		uint64_t child = g.level_leaf_size[depth + 1];

		assert_true(child != 0);
		n = tu_counter(m, "pt.split");
		assert_int_equal(hvo_split(m, va), 0);
		assert_int_equal(tu_counter(m, "pt.split"), n + 1);
		assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + size), 0);
		assert_int_equal(hvo_walk(m, va + off, &w), 0);
		assert_true(w.mapped);
		assert_int_equal(w.leaf_size, child);
		assert_int_equal(w.pa, target);
		assert_int_equal(w.writable, !g.has_kernel_ro);
		assert_walk_levels(m, &g, &w, depth + 1);
		assert_int_equal(hvo_kread64(m, va + off, &v), 0);
		assert_int_equal(v, expect);
		if (g.has_kernel_ro)
			assert_int_equal(hvo_kwrite64(m, va + off, MAGIC_A),
					 -EFAULT);
		/* From here on, the leaf that holds the target. */
		va += off & ~(child - 1);
		off &= child - 1;
	}

	/* Unmap, flush: the load faults. */
	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	n = tu_counter(m, "fault.not_present");
	assert_int_equal(hvo_kread64(m, va + off, &v), -EFAULT);
	assert_int_equal(tu_counter(m, "fault.not_present"), n + 1);
	assert_true(hvo_machine_error(m)[0] != '\0');
	assert_int_equal(hvo_walk(m, va + off, &w), 0);
	assert_false(w.mapped);

	tu_assert_check(m);
	hvo_machine_free(m);
}

/* A leaf no RAM can back: the level is accepted, the pa is refused. */
static void
refuse_unbacked_leaf(size_t p, unsigned depth)
{
	struct hvo_machine *m = tu_preset_machine(p, "mem=256M");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t size = g.level_leaf_size[depth];
	uint64_t va = tu_free_kernel_va(m, depth);

	print_message("# %s: no RAM can back a 0x%" PRIx64 "-byte %s leaf; testing its refusal only\n",
		      hvo_preset_name(p), size, g.level_name[depth]);
	assert_int_equal(hvo_map(m, va, 0, size, HVO_PROT_KERNEL), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "not RAM"));
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_map_every_level(void **state)
{
	size_t p = tu_preset_of(state);
	struct hvo_machine *m = tu_preset_machine(p, "mem=256M");
	struct hvo_geometry g = tu_geometry(m);
	unsigned leaves = 0;

	tu_assert_check(m);
	hvo_machine_free(m);
	for (unsigned d = 0; d < g.levels; d++) {
		if (!g.level_leaf_size[d])
			continue;
		leaves++;
		if (g.level_leaf_size[d] > LARGEST_BACKED_LEAF)
			refuse_unbacked_leaf(p, d);
		else
			exercise_leaf(p, &g, d);
	}
	/* Every arch has pages and PMD blocks. */
	assert_true(leaves >= 2);
	assert_int_equal(g.level_leaf_size[g.levels - 1], g.page_size);
}

/* An error: the expected code, a reason, and a machine still sound. */
#define assert_error(m, call, code)                                     \
	do {                                                            \
		assert_int_equal((call), (code));                       \
		if (hvo_machine_error(m)[0] == '\0')                    \
			fail_msg("%s gave no reason", #call);           \
		tu_assert_check(m);                                     \
		assert_string_equal(hvo_machine_error(m), "");          \
	} while (0)

static void
test_errors(void **state)
{
	size_t p = tu_preset_of(state);
	const struct hvo_config *cfg;
	struct hvo_machine *m;
	struct hvo_geometry g;
	uint64_t pmd_size, block_pa, target, ps, va, va2, bva, pa, v, ram_end;
	uint64_t user = UINT64_C(0x10000000);
	uint64_t noncanonical = UINT64_C(0x8000000000000000);
	int pmd, pte;
	char buf[256];

	{
		struct hvo_machine *probe = tu_preset_machine(p, "mem=256M");

		g = tu_geometry(probe);
		hvo_machine_free(probe);
	}
	pmd = (int)pmd_depth(&g);
	pte = (int)g.levels - 1;
	pmd_size = g.level_leaf_size[pmd];
	assert_true(pmd_size != 0);
	m = machine_with_block(p, pmd_size, &block_pa, &target);
	ps = g.page_size;
	pa = target;
	va = tu_free_kernel_va(m, (unsigned)pte);
	va2 = va - 16 * ps;
	cfg = hvo_machine_config(m);
	ram_end = cfg->mem[cfg->nr_mem_ranges - 1].base +
		  cfg->mem[cfg->nr_mem_ranges - 1].size;
	tu_assert_check(m);

	/* Misaligned. */
	assert_error(m, hvo_map(m, va + 8, pa, ps, HVO_PROT_KERNEL), -EINVAL);
	assert_error(m, hvo_map(m, va, pa + 8, ps, HVO_PROT_KERNEL), -EINVAL);

	/* Not a kernel address. */
	assert_error(m, hvo_map(m, user, pa, ps, HVO_PROT_KERNEL), -EINVAL);
	assert_error(m, hvo_map(m, noncanonical, pa, ps, HVO_PROT_KERNEL), -EINVAL);
	assert_error(m, hvo_unmap(m, user), -EINVAL);
	assert_error(m, hvo_split(m, noncanonical), -EINVAL);
	assert_error(m, hvo_protect(m, user, HVO_PROT_KERNEL_RO), -EINVAL);
	{
		struct hvo_walk w;

		assert_error(m, hvo_walk(m, noncanonical, &w), -EINVAL);
	}

	/* Not RAM, and no leaf of that size. */
	assert_error(m, hvo_map(m, va, ram_end, ps, HVO_PROT_KERNEL), -EINVAL);
	assert_error(m, hvo_map(m, va, pa, 0, HVO_PROT_KERNEL), -EINVAL);
	assert_error(m, hvo_map(m, va, pa, 2 * ps, HVO_PROT_KERNEL), -EINVAL);
	for (unsigned d = 0; d < g.levels; d++)
		if (!g.level_leaf_size[d])
			assert_error(m, hvo_map(m, va & ~((UINT64_C(1) << g.level_shift[d]) - 1),
						pa & ~((UINT64_C(1) << g.level_shift[d]) - 1),
						UINT64_C(1) << g.level_shift[d],
						HVO_PROT_KERNEL), -EINVAL);
	assert_error(m, hvo_map(m, va, pa, ps, (enum hvo_prot)7), -EINVAL);

	/* Twice. */
	assert_int_equal(hvo_map(m, va, pa, ps, HVO_PROT_KERNEL), 0);
	assert_error(m, hvo_map(m, va, pa, ps, HVO_PROT_KERNEL), -EEXIST);
	assert_error(m, hvo_map(m, va, pa + ps, ps, HVO_PROT_KERNEL_RO), -EEXIST);
	/* A block where a table of pages hangs. */
	assert_error(m, hvo_map(m, va & ~(pmd_size - 1), block_pa, pmd_size,
				HVO_PROT_KERNEL), -EEXIST);

	/* Nothing there. */
	assert_error(m, hvo_unmap(m, va2), -ENOENT);
	assert_error(m, hvo_split(m, va2), -ENOENT);
	assert_error(m, hvo_protect(m, va2, HVO_PROT_KERNEL_RO), -ENOENT);
	assert_error(m, hvo_protect(m, va, (enum hvo_prot)7), -EINVAL);

	/* A page cannot be split. */
	assert_error(m, hvo_split(m, va), -EINVAL);

	/* A block: its middle is not a leaf start, nor a place for a page. */
	bva = tu_free_kernel_va(m, (unsigned)pmd);
	assert_int_equal(hvo_map(m, bva, block_pa, pmd_size, HVO_PROT_KERNEL), 0);
	assert_error(m, hvo_unmap(m, bva + ps), -EINVAL);
	assert_error(m, hvo_unmap(m, bva + pmd_size / 2), -EINVAL);
	assert_error(m, hvo_map(m, bva + ps, pa, ps, HVO_PROT_KERNEL), -EEXIST);
	assert_error(m, hvo_map(m, bva, block_pa, pmd_size, HVO_PROT_KERNEL), -EEXIST);

	/* Misaligned and faulting accesses. */
	assert_error(m, hvo_kread64(m, va + 4, &v), -EINVAL);
	assert_error(m, hvo_kread64(m, va + 1, &v), -EINVAL);
	assert_error(m, hvo_kwrite64(m, va + 4, 0), -EINVAL);
	assert_error(m, hvo_kread64(m, va2, &v), -EFAULT);
	assert_error(m, hvo_kwrite64(m, va2, 0), -EFAULT);
	assert_error(m, hvo_kread64(m, user, &v), -EFAULT);

	/* A flush range that ends before it starts. */
	assert_error(m, hvo_flush_tlb_kernel_range(m, va + ps, va), -EINVAL);

	/* Describing entries: a level that does not exist, a short buffer. */
	assert_int_equal(hvo_entry_describe(m, g.levels, 0, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(hvo_entry_describe(m, 0, 0, buf, 2), -ENOSPC);
	{
		struct hvo_walk w;

		assert_int_equal(hvo_walk(m, va, &w), 0);
		assert_int_equal(hvo_entry_describe(m, (unsigned)pte,
						    w.level[pte].entry, buf,
						    sizeof(buf)), 0);
		assert_non_null(strstr(buf, g.level_name[pte]));
	}

	/* The mappings made along the way are sound. */
	assert_int_equal(hvo_kread64(m, bva + ps, &v), 0);
	assert_int_equal(hvo_unmap(m, bva), 0);
	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct tu_matrix_test tests[] = {
		{ "categories", test_categories },
		{ "vmemmap_walk", test_vmemmap_walk },
		{ "map_every_level", test_map_every_level },
		{ "errors", test_errors },
	};

	return tu_run_matrix("matrix-mmu", tests,
			     sizeof(tests) / sizeof(tests[0]));
}
