/* SPDX-License-Identifier: MIT */
/*
 * arm64-bbm: why Linux does not run HVO on arm64.
 *
 * HVO edits page-table entries that are live: other CPUs may be reading
 * struct pages through them at that very moment. On x86-64 that is fine:
 * a CPU sees either the old entry or the new one, and a TLB flush afterwards
 * retires the old one.
 *
 * The Arm architecture promises less. When a valid entry is replaced by
 * another valid entry with a different output address (or block size), the
 * architecture requires "break-before-make": first write an invalid entry,
 * invalidate the TLB, and only then write the new entry. Skip that and the
 * result is CONSTRAINED UNPREDICTABLE: the TLB may hold both translations at
 * once and raise a conflict abort, or hand back either one. But doing the
 * "break" step on the vmemmap opens a window in which the struct pages are
 * simply unmapped, and any CPU that touches one then faults in a place the
 * kernel cannot handle. HVO as written never breaks: it overwrites live
 * vmemmap PTEs in place (remapping tails to another frame, splitting the
 * PMD block into PTEs). Catalin Marinas made exactly this argument, and
 * arm64 dropped HVO support again (it does not select
 * ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP); later series that tried to make it
 * safe, by handling the faults or by parking the other CPUs, were not merged.
 *
 * libhvo runs the releases that had it (kernel=6.1.15 here) and, with
 * bbmcheck=on (the default), counts every live entry changed without
 * break-before-make in check.bbm. Those counts are the finding, not a
 * crash: the machine's invariants still hold.
 *
 * Run it: ./build/examples/arm64-bbm
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const uint64_t HUGEPAGE_SIZE = UINT64_C(2) << 20;
static const uint64_t NR_HUGEPAGES = 3;

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "arm64-bbm: %s: %s\n", what, why);
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

/* Returns the total of check.bbm the optimizations raised. */
static uint64_t
run(const char *spec)
{
	struct hvo_config cfg;
	struct hvo_machine *m;
	struct hvo_geometry g;
	char err[256], canon[512];
	uint64_t total = 0;
	struct hvo_kernel_info k;

	if (hvo_config_parse(&cfg, spec, err, sizeof(err)) != 0 ||
	    hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		fail(spec, err);
	hvo_config_format(hvo_machine_config(m), canon, sizeof(canon));
	hvo_machine_geometry(m, &g);
	if (hvo_machine_kernel(m, &k) != 0)
		fail("hvo_machine_kernel", hvo_machine_error(m));
	printf("\nARG machine    %s\n", canon);
	printf("ARG kernel     Linux %s: HVO %s, variant %s\n", k.release,
	       k.has_hvo ? "built for this arch" : "not built for this arch",
	       hvo_variant_name(k.variant));
	printf("ARG hugepages  %" PRIu64 " x 2M\n", NR_HUGEPAGES);
	printf("architecture says: break-before-make %s\n",
	       g.needs_bbm ? "REQUIRED for live entries" : "not required");

	/*
	 * Grow the pool with HVO off, then optimize the hugepages one by one,
	 * so each one's share of the count can be seen on its own.
	 */
	if (hvo_set_variant(m, HVO_VARIANT_OFF) != 0 ||
	    hvo_set_nr_hugepages(m, HUGEPAGE_SIZE, NR_HUGEPAGES) != 0 ||
	    hvo_set_variant(m, k.variant) != 0)
		fail("grow the pool", hvo_machine_error(m));
	printf("  hugepage  head pfn    check.bbm  (PMD splits)\n");
	for (uint64_t i = 0; i < NR_HUGEPAGES; i++) {
		uint64_t pfn, bbm0, split0, bbm, split;

		if (hvo_hugepage_pfn(m, HUGEPAGE_SIZE, i, &pfn) != 0)
			fail("hvo_hugepage_pfn", hvo_machine_error(m));
		bbm0 = counter(m, "check.bbm");
		split0 = counter(m, "hvo.split_pmd");
		if (hvo_hugepage_optimize(m, pfn) != 0)
			fail("hvo_hugepage_optimize", hvo_machine_error(m));
		bbm = counter(m, "check.bbm") - bbm0;
		split = counter(m, "hvo.split_pmd") - split0;
		total += bbm;
		printf("  %8" PRIu64 "  0x%-8" PRIx64 "  %9" PRIu64 "  (%" PRIu64
		       ")\n", i, pfn, bbm, split);
	}
	printf("  total check.bbm %" PRIu64 "\n", total);

	if (hvo_machine_check(m) != 0)
		fail("hvo_machine_check", hvo_machine_error(m));
	printf("  hvo_machine_check: all invariants hold\n");
	hvo_machine_free(m);
	return total;
}

int
main(void)
{
	uint64_t arm, x86;

	/*
	 * arm64, 4 KiB pages, on Linux 6.1.15: the last 6.1 point release
	 * that built HVO for arm64 (6.1.16 took the revert). The vmemmap is
	 * mostly built from 2 MiB blocks, as on x86-64, so a hugepage whose
	 * struct pages still sit in a block also pays for splitting it (a
	 * live block replaced by a table: a block-size change). 6.1 keeps
	 * the head's vmemmap page and rewrites the 7 tail PTEs in place to
	 * it, read-only. So 7 violations per hugepage, plus 1 per split.
	 */
	arm = run("arm64-4k-48:mem=1G,kernel=6.1.15");
	/* The same kernel's work on x86-64, where in-place updates are
	 * architectural. */
	x86 = run("x86_64:mem=1G,kernel=6.1.15");

	printf("\narm64: %" PRIu64 " live entries changed without "
	       "break-before-make; x86_64: %" PRIu64 ".\n", arm, x86);
	printf("Each arm64 one is a window in which another CPU could take a "
	       "TLB conflict abort\nor use either the old or the new frame: this is "
	       "why Linux 6.1.16 and 6.3 turned HVO off on arm64.\n");
	if (arm == 0 || x86 != 0)
		fail("result", "expected violations on arm64 and none on x86_64");
	return 0;
}
