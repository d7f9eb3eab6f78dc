/* SPDX-License-Identifier: MIT */
/*
 * walk-x86: follow two kernel virtual addresses through an x86-64 page table.
 *
 * A virtual address is not a place in memory: it is a path. The CPU cuts the
 * address into slices of 9 bits, and each slice picks one entry of one
 * table; that entry holds the physical address of the next table, until an
 * entry says "leaf" and holds the frame itself. This program walks two
 * addresses on a small simulated x86-64 machine (4-level paging) and prints
 * every step, so you can check each index by hand against the address bits.
 *
 *   1. the struct page of the first page frame of RAM (the vmemmap);
 *   2. a page we map ourselves, at the start of the kernel's vmalloc area.
 *
 * Run it: ./build/examples/walk-x86
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* The machine: x86-64, 4-level paging, 64 MiB of RAM. Tiny, so it boots fast. */
static const char *const SPEC = "x86_64:levels=4,mem=64M";

/*
 * VMALLOC_START of a 4-level x86-64 kernel (Documentation/arch/x86/x86_64/
 * mm.rst). Nothing is mapped there when the machine boots, which is what we
 * want: hvo_map() must build the missing tables on the way down.
 */
static const uint64_t MY_VA = UINT64_C(0xffffc90000000000);

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "walk-x86: %s: %s\n", what, why);
	exit(1);
}

/* log2 of a power of two: how many VA bits a table of that many entries eats. */
static unsigned
bits_of(unsigned entries)
{
	unsigned b = 0;

	while ((1u << b) < entries)
		b++;
	return b;
}

static void
print_walk(struct hvo_machine *m, const char *label, uint64_t va)
{
	struct hvo_geometry g;
	struct hvo_walk w;
	char desc[160];

	hvo_machine_geometry(m, &g);
	if (hvo_walk(m, va, &w) != 0)
		fail("hvo_walk", hvo_machine_error(m));
	printf("\nwalk %s: va 0x%016" PRIx64 "\n", label, va);
	printf("  level  VA bits  index  entry at pa          raw entry           meaning\n");
	for (unsigned i = 0; i < w.nr_levels; i++) {
		const struct hvo_walk_level *l = &w.level[i];
		/* The table size says how many bits of the VA this level uses. */
		unsigned entries = g.level_entries[i];

		if (hvo_entry_describe(m, i, l->entry, desc, sizeof(desc)) != 0)
			fail("hvo_entry_describe", hvo_machine_error(m));
		printf("  %-5s  %2u..%-2u   %5u  0x%016" PRIx64 "  0x%016" PRIx64
		       "  %s\n", l->name, l->shift + bits_of(entries) - 1,
		       l->shift, l->index, l->entry_pa, l->entry, desc);
	}
	if (w.mapped)
		printf("  => pa 0x%" PRIx64 ", leaf of %" PRIu64 " KiB, %s\n",
		       w.pa, w.leaf_size >> 10,
		       w.writable ? "writable" : "read-only");
	else
		printf("  => not mapped\n");
}

int
main(void)
{
	struct hvo_config cfg;
	struct hvo_machine *m;
	struct hvo_geometry g;
	char err[256], canon[512];
	uint64_t page_va, pfn, val;

	/* OSTEP style: say exactly what we run, so the output can be reproduced. */
	if (hvo_config_parse(&cfg, SPEC, err, sizeof(err)) != 0 ||
	    hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		fail(SPEC, err);
	hvo_config_format(hvo_machine_config(m), canon, sizeof(canon));
	hvo_machine_geometry(m, &g);
	printf("ARG machine  %s\n", canon);
	printf("ARG my_va    0x%016" PRIx64 " (VMALLOC_START)\n", MY_VA);
	printf("page size %u, %u VA bits, %u levels:", g.page_size,
	       g.va_bits, g.levels);
	for (unsigned i = 0; i < g.levels; i++)
		printf(" %s (shift %u, %u entries)", g.level_name[i],
		       g.level_shift[i], g.level_entries[i]);
	printf("\n");

	/*
	 * Walk 1: the struct page of the first pfn of RAM. pfn_to_page() is
	 * plain arithmetic, vmemmap_base + pfn * sizeof(struct page); the page
	 * table is what makes that address real.
	 *
	 * Expect the walk to stop at the PMD, with a 2 MiB block. Memory is
	 * managed in sections of 128 MiB (SECTION_SIZE_BITS 27), i.e. 32768
	 * pages; their 32768 struct pages of 64 bytes fill exactly 2 MiB, one
	 * PMD leaf. So when the kernel populates the vmemmap it asks for a
	 * 2 MiB block per section and maps it with a single PMD entry (the PS
	 * bit), saving the 4 KiB PTE table and a TLB entry per 512 pages. HVO
	 * will later have to split that block before it can remap 4 KiB pieces.
	 */
	pfn = g.first_pfn;
	if (hvo_pfn_to_page(m, pfn, &page_va) != 0)
		fail("hvo_pfn_to_page", hvo_machine_error(m));
	printf("\nstruct page of pfn %" PRIu64 " = vmemmap_base 0x%" PRIx64
	       " + %" PRIu64 " * %u = 0x%" PRIx64 "\n", pfn, g.vmemmap_base,
	       pfn, g.struct_page_size, page_va);
	print_walk(m, "pfn_to_page(first pfn)", page_va);

	/*
	 * Walk 2: a page of our own. Take one free frame from the buddy
	 * allocator and map it with an ordinary 4 KiB PTE. hvo_map() allocates
	 * the PUD, PMD and PTE tables that do not exist yet; the walk shows all
	 * four levels, ending in a "pte page" leaf.
	 */
	if (hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn) != 0)
		fail("hvo_alloc_pages", hvo_machine_error(m));
	if (hvo_map(m, MY_VA, pfn * g.page_size, g.page_size,
		    HVO_PROT_KERNEL) != 0)
		fail("hvo_map", hvo_machine_error(m));
	printf("\nmapped va 0x%" PRIx64 " -> pa 0x%" PRIx64 " (pfn %" PRIu64
	       ", fresh from the buddy allocator)\n", MY_VA,
	       pfn * g.page_size, pfn);
	print_walk(m, "my page", MY_VA);

	/* The mapping works: a store and a load go through it. */
	if (hvo_kwrite64(m, MY_VA, UINT64_C(0x0123456789abcdef)) != 0 ||
	    hvo_kread64(m, MY_VA, &val) != 0)
		fail("kernel access", hvo_machine_error(m));
	printf("  wrote and read back 0x%016" PRIx64 " through it\n", val);

	/*
	 * Tidy up as the kernel would: unmap, flush the TLB entry the access
	 * created, and only then free the frame (a free frame must not stay
	 * reachable through a stale translation).
	 */
	if (hvo_unmap(m, MY_VA) != 0 ||
	    hvo_flush_tlb_kernel_range(m, MY_VA, MY_VA + g.page_size) != 0 ||
	    hvo_free_pages(m, pfn, 0) != 0)
		fail("cleanup", hvo_machine_error(m));

	if (hvo_machine_check(m) != 0)
		fail("hvo_machine_check", hvo_machine_error(m));
	printf("\nhvo_machine_check: all invariants hold\n");
	hvo_machine_free(m);
	return 0;
}
