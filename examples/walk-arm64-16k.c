/* SPDX-License-Identifier: MIT */
/*
 * walk-arm64-16k: the same two walks as walk-x86, on arm64 with 16 KiB pages
 * and 48-bit virtual addresses (the configuration of Apple M-series Linux).
 *
 * With a 16 KiB granule a table is one 16 KiB page of 8-byte descriptors:
 * 2048 entries, so each level eats 11 bits of the address, and the low 14
 * bits are the offset inside the page. Count what is left for the top:
 *
 *     48 VA bits - 14 (offset) - 3 * 11 (PTE, PMD, PUD) = 1 bit
 *
 * The top level (Linux calls it the pgd, the Arm ARM "level 0") therefore
 * resolves VA bit 47 alone and has just 2 entries; the hardware simply does
 * not look further. A 47-bit VA would drop that level entirely (3 levels),
 * and a 52-bit one widens it to 5 bits (32 entries). Watch the pgd line of
 * each walk below: its "VA bits" column reads 47..47.
 *
 * Run it: ./build/examples/walk-arm64-16k
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* The machine: arm64, 16 KiB granule, 48-bit VA, 256 MiB of RAM. */
static const char *const SPEC = "arm64:granule=16K,va=48,mem=256M";

/*
 * VMALLOC_START of a 48-bit arm64 kernel: the kernel half starts at
 * 0xffff800000000000 and the first 2 GiB are for modules. Nothing is mapped
 * there at boot, so hvo_map() builds the tables below the pgd itself.
 */
static const uint64_t MY_VA = UINT64_C(0xffff800080000000);

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "walk-arm64-16k: %s: %s\n", what, why);
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
	 * Walk 1: the struct page of the first pfn of RAM. arm64 RAM starts at
	 * 1 GiB here, so the first pfn is not 0: its struct page sits well
	 * inside the vmemmap, not at vmemmap_base.
	 *
	 * Unlike x86-64, this walk goes down to a 16 KiB PTE. A 128 MiB section
	 * is only 8192 pages of 16 KiB, whose struct pages fill 512 KiB, far
	 * less than the 32 MiB block a PMD entry maps with this granule. A
	 * block would waste most of itself, which is why arm64 kernels use
	 * vmemmap blocks only with 4 KiB pages and build it from base pages
	 * otherwise.
	 */
	pfn = g.first_pfn;
	if (hvo_pfn_to_page(m, pfn, &page_va) != 0)
		fail("hvo_pfn_to_page", hvo_machine_error(m));
	printf("\nstruct page of pfn %" PRIu64 " = vmemmap_base 0x%" PRIx64
	       " + %" PRIu64 " * %u = 0x%" PRIx64 "\n", pfn, g.vmemmap_base,
	       pfn, g.struct_page_size, page_va);
	print_walk(m, "pfn_to_page(first pfn)", page_va);

	/* Walk 2: one frame from the buddy allocator, mapped with a 16K PTE. */
	if (hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn) != 0)
		fail("hvo_alloc_pages", hvo_machine_error(m));
	if (hvo_map(m, MY_VA, pfn * g.page_size, g.page_size,
		    HVO_PROT_KERNEL) != 0)
		fail("hvo_map", hvo_machine_error(m));
	printf("\nmapped va 0x%" PRIx64 " -> pa 0x%" PRIx64 " (pfn %" PRIu64
	       ", fresh from the buddy allocator)\n", MY_VA,
	       pfn * g.page_size, pfn);
	print_walk(m, "my page", MY_VA);
	if (hvo_kwrite64(m, MY_VA, UINT64_C(0x0123456789abcdef)) != 0 ||
	    hvo_kread64(m, MY_VA, &val) != 0)
		fail("kernel access", hvo_machine_error(m));
	printf("  wrote and read back 0x%016" PRIx64 " through it\n", val);

	/*
	 * Tear down in the order arm64 insists on for any live entry: make it
	 * invalid, invalidate the TLB, and only then reuse the frame.
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
