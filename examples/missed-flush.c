/* SPDX-License-Identifier: MIT */
/*
 * missed-flush: change a mapping, forget the TLB flush, and get caught.
 *
 * The TLB caches translations. Changing a page-table entry in memory does
 * not touch the TLB, so until the kernel flushes the old translation, the
 * CPU may keep using it and read the OLD frame. Every remap in HVO is
 * therefore followed by flush_tlb_kernel_range(). libhvo's TLB behaves the
 * same way, and with tlbcheck=on it also notices each use of a translation
 * that no longer matches the page table, as a checker for your own code.
 *
 * The experiment: map a page, read it (the TLB now holds the translation),
 * point the same VA at another frame without flushing, read again.
 *
 * This program exits 0 when it has shown both the failure and the repair.
 *
 * Run it: ./build/examples/missed-flush
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const SPEC = "x86_64:mem=64M,tlbcheck=on";
/* A VA in the vmalloc area, unused at boot (see walk.c). */
static const uint64_t VA = UINT64_C(0xffffc90000000000);
/* A second scratch VA, only used to fill the frames with their labels. */
static const uint64_t FILL_VA = UINT64_C(0xffffc90000100000);
static const uint64_t DATA_OLD = UINT64_C(0x01d01d01d01d01d0);
static const uint64_t DATA_NEW = UINT64_C(0x0ee0ee0ee0ee0ee0);

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "missed-flush: %s: %s\n", what, why);
	exit(1);
}

static uint64_t
counter(struct hvo_machine *m, const char *name)
{
	uint64_t v = 0;

	if (hvo_machine_counter_get(m, name, &v) != 0)
		fail(name, hvo_machine_error(m));
	return v;
}

/* Write a label into a frame through a temporary mapping, done properly. */
static void
fill(struct hvo_machine *m, uint64_t pa, unsigned psz, uint64_t val)
{
	if (hvo_map(m, FILL_VA, pa, psz, HVO_PROT_KERNEL) != 0 ||
	    hvo_kwrite64(m, FILL_VA, val) != 0 ||
	    hvo_unmap(m, FILL_VA) != 0 ||
	    hvo_flush_tlb_kernel_range(m, FILL_VA, FILL_VA + psz) != 0)
		fail("fill", hvo_machine_error(m));
}

static uint64_t
read_va(struct hvo_machine *m, uint64_t va)
{
	uint64_t v;

	if (hvo_kread64(m, va, &v) != 0)
		fail("hvo_kread64", hvo_machine_error(m));
	return v;
}

int
main(void)
{
	struct hvo_config cfg;
	struct hvo_machine *m;
	struct hvo_geometry g;
	char err[256], canon[512];
	uint64_t old_pfn, new_pfn, old_pa, new_pa, v, stale0, stale1;

	if (hvo_config_parse(&cfg, SPEC, err, sizeof(err)) != 0 ||
	    hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		fail(SPEC, err);
	hvo_config_format(hvo_machine_config(m), canon, sizeof(canon));
	hvo_machine_geometry(m, &g);
	printf("ARG machine  %s\n", canon);
	printf("ARG va       0x%016" PRIx64 "\n", VA);

	/* Two frames, each labelled, so we can tell which one a read hit. */
	if (hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &old_pfn) != 0 ||
	    hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &new_pfn) != 0)
		fail("hvo_alloc_pages", hvo_machine_error(m));
	old_pa = old_pfn * g.page_size;
	new_pa = new_pfn * g.page_size;
	fill(m, old_pa, g.page_size, DATA_OLD);
	fill(m, new_pa, g.page_size, DATA_NEW);
	printf("frame OLD pa 0x%" PRIx64 " holds 0x%016" PRIx64 "\n", old_pa,
	       DATA_OLD);
	printf("frame NEW pa 0x%" PRIx64 " holds 0x%016" PRIx64 "\n", new_pa,
	       DATA_NEW);

	/* Step 1: map VA -> OLD and read: the walk's result lands in the TLB. */
	if (hvo_map(m, VA, old_pa, g.page_size, HVO_PROT_KERNEL) != 0)
		fail("hvo_map", hvo_machine_error(m));
	v = read_va(m, VA);
	printf("\n1. map va -> OLD, read:            0x%016" PRIx64 "\n", v);

	/*
	 * Step 2: the bug. Rewrite the PTE to point at NEW, but skip the
	 * flush. The page table is right; the TLB is not.
	 */
	stale0 = counter(m, "check.stale_tlb");
	if (hvo_unmap(m, VA) != 0 ||
	    hvo_map(m, VA, new_pa, g.page_size, HVO_PROT_KERNEL) != 0)
		fail("remap", hvo_machine_error(m));
	v = read_va(m, VA);
	stale1 = counter(m, "check.stale_tlb");
	printf("2. remap va -> NEW, NO flush, read: 0x%016" PRIx64 "  %s\n", v,
	       v == DATA_OLD ? "<- still OLD: the stale TLB entry was used" :
	       "(new data?)");
	printf("   check.stale_tlb: %" PRIu64 " -> %" PRIu64 "\n", stale0,
	       stale1);
	if (v != DATA_OLD || stale1 <= stale0)
		fail("step 2", "the stale translation was not used");

	/* Step 3: the checker refuses a machine with a stale entry. */
	if (hvo_machine_check(m) == 0)
		fail("step 3", "hvo_machine_check passed with a stale TLB entry");
	printf("3. hvo_machine_check FAILS, as it should:\n   \"%s\"\n",
	       hvo_machine_error(m));

	/* Step 4: the repair is the flush that was missing. */
	if (hvo_flush_tlb_kernel_range(m, VA, VA + g.page_size) != 0)
		fail("flush", hvo_machine_error(m));
	v = read_va(m, VA);
	printf("4. flush_tlb_kernel_range, read:    0x%016" PRIx64 "  %s\n", v,
	       v == DATA_NEW ? "<- NEW, as the page table says" : "(?)");
	if (v != DATA_NEW)
		fail("step 4", "the flush did not take effect");
	if (hvo_machine_check(m) != 0)
		fail("hvo_machine_check", hvo_machine_error(m));
	printf("   hvo_machine_check: all invariants hold\n");

	/* Clean up, this time in the right order, and check again. */
	if (hvo_unmap(m, VA) != 0 ||
	    hvo_flush_tlb_kernel_range(m, VA, VA + g.page_size) != 0 ||
	    hvo_free_pages(m, old_pfn, 0) != 0 ||
	    hvo_free_pages(m, new_pfn, 0) != 0)
		fail("cleanup", hvo_machine_error(m));
	if (hvo_machine_check(m) != 0)
		fail("hvo_machine_check", hvo_machine_error(m));
	printf("\nshown: a missed flush reads stale data and the checker names it;"
	       " the flush repairs it.\n");
	hvo_machine_free(m);
	return 0;
}
