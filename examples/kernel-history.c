/* SPDX-License-Identifier: MIT */
/*
 * kernel-history: the same pool grow on each Linux release that changed
 * what HVO does, side by side.
 *
 * The workload is what a test program would do on a fresh x86_64 machine
 * with 4 GiB of RAM: `echo 64 > /proc/sys/vm/nr_hugepages` (64 hugepages
 * of 2 MiB), with HVO switched on. For each release the table shows
 *
 *   saved    vmemmap pages HVO gave back, net, per hugepage (a 2 MiB page
 *            has 8 pages of struct pages)
 *   MemTotal how much MemTotal rose: the boot memmap HVO frees joins the
 *            managed memory, so it says how many pages came from memblock
 *   PTEs     vmemmap PTEs written (remaps and PMD splits)
 *   flushes  full flushes, flush_tlb_kernel_range() calls, single pages
 *   rcu      synchronize_rcu() grace periods HVO waited for
 *   head     whether vm[0] still maps the head's own page ("kept") or a
 *            new copy of it ("copied")
 *   tail PTE the low 12 bits of a read-only tail entry (x86: 0x161 is
 *            P|A|D|G, 0x121 is P|A|G)
 *
 * Things to notice: 5.14 keeps two pages and 5.18 one; 6.2 starts copying
 * the head page (MemTotal rises by 8 pages each, not 7); 6.6 drops the
 * Dirty bit of read-only kernel entries; 6.7 stops flushing per hugepage
 * and flushes the whole TLB twice per batch; 6.10 waits for RCU once per
 * request, 6.12 once per batch that optimizes something (with HVO off,
 * 6.10 still waits and 6.12 does not), 7.1 never (no fake heads, nothing
 * to race with). The table in lib/release/release.c names the commit of each.
 *
 * A second table boots `hugepagesz=1G hugepages=2` (8 GiB, HVO on from
 * boot) and compares it with the same boot with HVO off: how much higher
 * MemTotal is, the vmemmap PMDs HVO split, the memblock vmemmap pages it
 * freed, the pages pre-HVO populated already optimized, the full flushes
 * at boot, and the flag bits of a tail PTE. Up to 6.14 a boot 1G page gets
 * its full vmemmap and HVO frees it at hugetlb init; from 6.15 (x86_64)
 * it never gets one: no split, nothing to free, one flush, and the tails
 * are write-protected by ptep_set_wrprotect() (x86's SavedDirty, bit 58);
 * 7.1 maps every tail on one shared page taken from memblock.
 *
 * Run it: ./build/examples/kernel-history
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define NR_HUGEPAGES 64
/* include/uapi/linux/kernel-page-flags.h */
#define KPF_RESERVED (UINT64_C(1) << 32)
#define SZ_2M (UINT64_C(2) << 20)

static const char *const releases[] = {
	"5.14", "5.18", "6.1", "6.2", "6.6", "6.7", "6.10", "6.12", "7.1",
};

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "kernel-history: %s: %s\n", what, why);
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

/* MemTotal in pages, once deferred struct page init is over. */
static uint64_t
mem_total(struct hvo_machine *m)
{
	struct hvo_zone_info z;
	uint64_t total = 0;

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++)
		total += z.managed_pages;
	return total;
}

/* The counters a grow moves. */
enum { PTE, ALL, RANGE, PAGE, RCU, NR_COUNTERS };

static const char *const counter_names[NR_COUNTERS] = {
	"pt.write.pte", "tlb.flush_all", "tlb.flush_range", "tlb.flush_page",
	"hvo.synchronize_rcu",
};

static void
run(const char *release)
{
	char spec[128], err[256];
	struct hvo_config cfg;
	struct hvo_machine *m;
	struct hvo_kernel_info k;
	struct hvo_walk w0, w7;
	struct hvo_hstate_info h;
	uint64_t before[NR_COUNTERS], total0, pfn, va, kpf;

	snprintf(spec, sizeof(spec), "x86_64:mem=4G,kernel=%s", release);
	if (hvo_config_parse(&cfg, spec, err, sizeof(err)) != 0 ||
	    hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		fail(spec, err);
	if (hvo_machine_kernel(m, &k) != 0 || hvo_machine_init_deferred(m) != 0)
		fail(spec, hvo_machine_error(m));
	total0 = mem_total(m);
	for (unsigned i = 0; i < NR_COUNTERS; i++)
		before[i] = counter(m, counter_names[i]);

	if (hvo_set_nr_hugepages(m, SZ_2M, NR_HUGEPAGES) != 0)
		fail("echo 64 > nr_hugepages", hvo_machine_error(m));

	/*
	 * What became of the first hugepage's vmemmap: its first page and
	 * its last (a tail in every variant). The boot memmap came from
	 * memblock, so a head page that was kept is still reserved memory;
	 * a copy came from the buddy allocator.
	 */
	if (hvo_hugepage_pfn(m, SZ_2M, 0, &pfn) != 0 ||
	    hvo_pfn_to_page(m, pfn, &va) != 0 ||
	    hvo_walk(m, va, &w0) != 0 || hvo_walk(m, va + 7 * 4096, &w7) != 0 ||
	    hvo_kpageflags(m, w0.pa >> 12, &kpf) != 0 ||
	    hvo_machine_hstate_by_size(m, SZ_2M, &h) != 0)
		fail("reading the vmemmap", hvo_machine_error(m));

	printf("%-6s %-10s %5" PRIu64 " %8" PRIu64 "K %5" PRIu64 "  %3" PRIu64
	       " %5" PRIu64 " %5" PRIu64 "  %4" PRIu64 "  %-7s 0x%03" PRIx64 "\n",
	       release, hvo_variant_name(k.variant),
	       h.vmemmap_pages_freed_per_hugepage,
	       (mem_total(m) - total0) * 4,
	       counter(m, "pt.write.pte") - before[PTE],
	       counter(m, "tlb.flush_all") - before[ALL],
	       counter(m, "tlb.flush_range") - before[RANGE],
	       counter(m, "tlb.flush_page") - before[PAGE],
	       counter(m, "hvo.synchronize_rcu") - before[RCU],
	       kpf & KPF_RESERVED ? "kept" : "copied",
	       w7.level[w7.nr_levels - 1].entry & 0xfff);

	if (hvo_machine_check(m) != 0)
		fail("hvo_machine_check", hvo_machine_error(m));
	hvo_machine_free(m);
}

/* The second table: boot 1G pools. */
static const char *const boot_releases[] = { "6.1", "6.12", "6.15", "7.1" };

static struct hvo_machine *
boot_machine(const char *release, const char *hvo_default)
{
	char spec[128], err[256];
	struct hvo_config cfg;
	struct hvo_machine *m;

	snprintf(spec, sizeof(spec),
		 "x86_64:mem=8G,hugepages=1G:2,hvo_default=%s,kernel=%s",
		 hvo_default, release);
	if (hvo_config_parse(&cfg, spec, err, sizeof(err)) != 0 ||
	    hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		fail(spec, err);
	if (hvo_machine_init_deferred(m) != 0)
		fail(spec, hvo_machine_error(m));
	return m;
}

static void
run_boot(const char *release)
{
	struct hvo_machine *on = boot_machine(release, "on");
	struct hvo_machine *off = boot_machine(release, "off");
	uint64_t pfn, va;
	struct hvo_walk w;

	if (hvo_hugepage_pfn(on, UINT64_C(1) << 30, 0, &pfn) != 0 ||
	    hvo_pfn_to_page(on, pfn, &va) != 0 ||
	    hvo_walk(on, (va & ~UINT64_C(4095)) + 4096, &w) != 0)
		fail("reading the vmemmap", hvo_machine_error(on));
	printf("%-6s %8" PRIu64 "K %6" PRIu64 " %6" PRIu64 " %7" PRIu64
	       " %4" PRIu64 "  0x%016" PRIx64 "\n",
	       release, (mem_total(on) - mem_total(off)) * 4,
	       counter(on, "hvo.split_pmd"), counter(on, "hvo.vmemmap_freed"),
	       counter(on, "hvo.prehvo"), counter(on, "tlb.flush_all"),
	       w.level[w.nr_levels - 1].entry & ~UINT64_C(0x000ffffffffff000));
	if (hvo_machine_check(on) != 0)
		fail("hvo_machine_check", hvo_machine_error(on));
	if (hvo_machine_check(off) != 0)
		fail("hvo_machine_check", hvo_machine_error(off));
	hvo_machine_free(on);
	hvo_machine_free(off);
}

int
main(void)
{
	printf("ARG machine    x86_64:mem=4G,kernel=RELEASE\n");
	printf("ARG workload   echo %d > /proc/sys/vm/nr_hugepages (2 MiB)\n\n",
	       NR_HUGEPAGES);
	printf("%-6s %-10s %5s %9s %5s  %3s %5s %5s  %4s  %-7s %s\n", "kernel",
	       "variant", "saved", "MemTotal", "PTEs", "all", "range", "pages",
	       "rcu", "head", "tail PTE");
	for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
		run(releases[i]);

	printf("\nARG machine    x86_64:mem=8G,kernel=RELEASE\n");
	printf("ARG cmdline    hugepagesz=1G hugepages=2, HVO on (against off)\n\n");
	printf("%-6s %9s %6s %6s %7s %4s  %s\n", "kernel", "MemTotal",
	       "splits", "freed", "pre-HVO", "all", "tail PTE flags");
	for (size_t i = 0; i < sizeof(boot_releases) / sizeof(boot_releases[0]); i++)
		run_boot(boot_releases[i]);
	return 0;
}
