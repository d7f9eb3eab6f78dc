/* SPDX-License-Identifier: MIT */
/*
 * walk: follow two kernel virtual addresses through the page table, on
 * x86-64 (4-level paging, 4 KiB pages) and on arm64 with 16 KiB pages and
 * 48-bit virtual addresses (the configuration of Apple M-series Linux).
 *
 * A virtual address is not a place in memory: it is a path. The CPU cuts
 * the address into slices, and each slice picks one entry of one table;
 * that entry holds the physical address of the next table, until an entry
 * says "leaf" and holds the frame itself. Each machine below walks
 *
 *   1. the struct page of the first page frame of RAM (the vmemmap);
 *   2. a page we map ourselves, at the start of the kernel's vmalloc area,
 *
 * and prints every step, so you can check each index by hand against the
 * address bits.
 *
 * x86-64: a table is a 4 KiB page of 512 8-byte entries, so each level eats
 * 9 bits. The vmemmap walk stops at the PMD, with a 2 MiB block: memory is
 * managed in sections of 128 MiB (SECTION_SIZE_BITS 27), i.e. 32768 pages,
 * whose struct pages of 64 bytes fill exactly 2 MiB, one PMD leaf. So the
 * kernel maps each section's struct pages with a single PMD entry (the PS
 * bit), saving a PTE table and a TLB entry per 512 pages; HVO has to split
 * that block before it can remap 4 KiB pieces of it.
 *
 * arm64 16K: a table is one 16 KiB page of 2048 descriptors, so each level
 * eats 11 bits and the low 14 bits are the offset. What is left for the
 * top is 48 - 14 - 3 * 11 = 1 bit: the pgd (the Arm ARM's "level 0")
 * resolves VA bit 47 alone and has just 2 entries. A 47-bit VA drops that
 * level (3 levels); a 52-bit one widens it to 32 entries. The vmemmap walk
 * goes down to a 16 KiB PTE here: a 128 MiB section is 8192 pages whose
 * struct pages fill 512 KiB, far less than the 32 MiB a PMD block maps, so
 * arm64 builds its vmemmap from base pages with 16K and 64K granules. RAM
 * starts at 1 GiB, so the first pfn's struct page is not at vmemmap_base.
 *
 * Run it: ./build/examples/walk
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * The machines, tiny so they boot fast, and where each maps "my page": at
 * VMALLOC_START. Nothing is mapped there at boot, so hvo_map() must build
 * the missing tables on the way down. x86-64: Documentation/arch/x86/
 * x86_64/mm.rst; arm64 48-bit: the kernel half starts at
 * 0xffff800000000000 and its first 2 GiB are for modules.
 */
static const struct {
	const char *spec;
	uint64_t my_va;
} machines[] = {
	{ "x86_64:levels=4,mem=64M", UINT64_C(0xffffc90000000000) },
	{ "arm64:granule=16K,va=48,mem=256M", UINT64_C(0xffff800080000000) },
};

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "walk: %s: %s\n", what, why);
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

/* Build one machine, walk the two addresses, check, free. */
static void
run(const char *SPEC, uint64_t MY_VA)
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
	 * table is what makes that address real. On x86-64 expect a 2 MiB PMD
	 * block, on arm64 16K a PTE (see the top of this file).
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
	 * allocator and map it with an ordinary page-sized PTE. hvo_map()
	 * allocates the tables that do not exist yet; the walk shows all four
	 * levels, ending in a "pte page" leaf.
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
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
		if (i)
			printf("\n----------------------------------------------------------------------\n\n");
		run(machines[i].spec, machines[i].my_va);
	}
	return 0;
}
