/* SPDX-License-Identifier: MIT */
/*
 * debian-6.12-regression: a stable backport that makes every hugepage
 * free leak its memory.
 *
 * Debian's 6.12.115 to 6.12.118 (stable 6.12.114) took a backport of the
 * 2026 rework of HVO's restore: when an optimized hugepage is freed, each
 * of its vmemmap pages is rebuilt as a verbatim copy of the head page, and
 * nothing resets the first struct pages of each copy. So the struct pages
 * at head+64, +65, ... read as copies of the head and of page[1] to
 * page[3] instead of plain tails.
 *
 * Debian builds its kernels with init_on_alloc=1, which also turns on the
 * page allocator's checks of every tail of a page being freed. They find
 * those copies ("BUG: Bad page state ... corrupted mapping in tail
 * page"), and the allocator refuses to free the page: the hugepage leaves
 * the pool, but its memory never comes back.
 *
 * The experiment is what a user of a 6 GiB Debian guest did:
 *
 *     echo 512 > /proc/sys/vm/nr_hugepages
 *     echo 0 > /proc/sys/vm/nr_hugepages
 *
 * on three kernels: 6.12.113 (before the backport), Debian's 6.12.117 as
 * shipped (init_on_alloc=1), and the same with init_on_alloc=0 on the
 * command line. HVO is off by default in Debian's build, so each boots
 * with hugetlb_free_vmemmap=on.
 *
 * This program exits 0 when 6.12.117 with the checks lost exactly the
 * hugepages' memory and the other two lost nothing, and every machine
 * passes its invariants.
 *
 * Run it: ./build/examples/debian-6.12-regression
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HUGEPAGE (UINT64_C(2) << 20)
#define POOL 512
/* The first lines of the log this program prints for each kernel. */
#define DMESG_LINES 10

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "debian-6.12-regression: %s: %s\n", what, why);
	exit(1);
}

static uint64_t
pages(struct hvo_machine *m, enum hvo_page_category c)
{
	uint64_t n = 0;

	if (hvo_machine_pages(m, c, &n))
		fail("pages", hvo_machine_error(m));
	return n;
}

static uint64_t
counter(struct hvo_machine *m, const char *name)
{
	uint64_t v = 0;

	if (hvo_machine_counter_get(m, name, &v))
		fail(name, hvo_machine_error(m));
	return v;
}

/* Print the first @n lines of the machine's kernel log, indented. */
static void
print_dmesg(struct hvo_machine *m, unsigned n)
{
	static char log[HVO_DMESG_MAX + 1];
	const char *l = log;

	if (hvo_machine_dmesg(m, log, sizeof(log)))
		fail("dmesg", hvo_machine_error(m));
	printf("  dmesg (the first %u lines):\n", n);
	for (unsigned i = 0; i < n && *l; i++) {
		size_t len = strcspn(l, "\n");

		printf("    %.*s\n", (int)len, l);
		l += len + (l[len] == '\n');
	}
}

struct run {
	const char *kernel;
	const char *cmdline;
	bool leaks;          /* what the kernel did on the real guest */
};

/* Grow the pool to POOL hugepages, shrink it to 0; say what was lost. */
static bool
run(const struct run *r)
{
	struct hvo_config cfg;
	struct hvo_machine *m;
	struct hvo_hstate_info h;
	char spec[256], said[512];
	uint64_t free0, pt0, lost, splits, leaked, bad;
	bool ok;

	snprintf(spec, sizeof(spec), "x86_64:mem=6G,kernel=%s", r->kernel);
	if (hvo_config_parse(&cfg, spec, said, sizeof(said)))
		fail(spec, said);
	if (hvo_config_cmdline(&cfg, r->cmdline, said, sizeof(said)))
		fail(r->cmdline, said);
	if (hvo_machine_new(&cfg, &m, said, sizeof(said)))
		fail(spec, said);
	if (hvo_config_format(hvo_machine_config(m), spec, sizeof(spec)))
		fail("spec", "cannot format");
	/* The kernel finishes deferred struct page init before userspace. */
	if (hvo_machine_init_deferred(m))
		fail("deferred init", hvo_machine_error(m));
	/* The shell that writes the sysctl is the process the log names. */
	hvo_machine_set_comm(m, "bash");

	printf("kernel %s, command line \"%s\"\n  %s\n", r->kernel,
	       r->cmdline, spec);
	free0 = pages(m, HVO_PAGES_FREE);
	pt0 = pages(m, HVO_PAGES_PAGETABLE);
	if (hvo_write_nr_hugepages(m, HUGEPAGE, POOL) ||
	    hvo_machine_hstate_by_size(m, HUGEPAGE, &h) || h.nr != POOL)
		fail("echo 512", hvo_machine_error(m));
	printf("  echo 512: HugePages_Total %" PRIu64 ", %" PRIu64 " optimized\n",
	       h.nr, h.optimized);
	if (hvo_write_nr_hugepages(m, HUGEPAGE, 0) ||
	    hvo_machine_hstate_by_size(m, HUGEPAGE, &h))
		fail("echo 0", hvo_machine_error(m));

	/*
	 * Free memory is down by the page tables the PMD splits took (they
	 * stay, on every kernel) and by whatever was never given back.
	 */
	splits = pages(m, HVO_PAGES_PAGETABLE) - pt0;
	lost = free0 - pages(m, HVO_PAGES_FREE) - splits;
	leaked = pages(m, HVO_PAGES_LEAKED);
	bad = counter(m, "hvo.bad_page");
	printf("  echo 0:   HugePages_Total %" PRIu64 "\n", h.nr);
	printf("  free pages lost: %" PRIu64 " (%" PRIu64 " MiB), besides %" PRIu64 " page-table pages of the PMD splits\n",
	       lost, lost >> 8, splits);
	printf("  leaked pages: %" PRIu64 ", bad page reports: %" PRIu64 "\n",
	       leaked, bad);
	print_dmesg(m, DMESG_LINES);

	ok = h.nr == 0 && lost == leaked &&
	     (r->leaks ? leaked == (uint64_t)POOL * 512 && bad > 0 :
			 leaked == 0 && bad == 0);
	if (hvo_machine_check(m)) {
		printf("  check failed: %s\n", hvo_machine_error(m));
		ok = false;
	}
	printf("  %s\n\n", ok ? "as on the real guest" : "NOT as on the real guest");
	hvo_machine_free(m);
	return ok;
}

int
main(void)
{
	static const struct run runs[] = {
		{ "6.12.113", "hugetlb_free_vmemmap=on init_on_alloc=1", false },
		{ "6.12.117+deb12-amd64", "hugetlb_free_vmemmap=on", true },
		{ "6.12.117+deb12-amd64", "hugetlb_free_vmemmap=on init_on_alloc=0", false },
	};
	bool ok = true;

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		ok &= run(&runs[i]);
	return ok ? 0 : 1;
}
