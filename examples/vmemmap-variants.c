/* SPDX-License-Identifier: MIT */
/*
 * vmemmap-variants: what HVO does to the vmemmap of one 2 MiB hugepage,
 * drawn for each of the four variants libhvo models.
 *
 * A 2 MiB hugepage is 512 base pages, so it owns 512 struct pages. At 64
 * bytes each they fill 32 KiB of the vmemmap: 8 pages of 4 KiB. Only the
 * first few struct pages carry real information (the head, and the folio
 * fields of the first tails); the other tails all say the same thing ("my
 * head is over there"). HVO exploits that: it points several of those 8
 * vmemmap pages at one frame and gives the rest back to the buddy
 * allocator. The variants differ in which frames survive:
 *
 *   off         nothing changes: 8 pages, 8 frames.
 *   keep2       (Linux 5.14-5.17) pages 0 and 1 keep their frames; pages
 *               2..7 become read-only views of page 1's frame. 6 freed.
 *   fakehead    (5.18-6.19) only the head's page is kept (copied to a fresh
 *               frame); pages 1..7 become read-only views of it. 7 freed.
 *               Tails in those views read the head's bytes: see fake-head.c.
 *   sharedtail  (2026) a fresh frame for the head's page; pages 1..7 map one
 *               read-only tail frame that every hugepage of the same zone
 *               and order shares. 7 freed, and the tails are real tails.
 *
 * For each variant this program boots a 1 GiB x86-64 machine, grows a pool
 * of two 2 MiB hugepages with HVO switched off (the "before" picture), then
 * switches the variant back on and optimizes each hugepage by hand (the
 * "after" picture).
 *
 * Run it: ./build/examples/vmemmap-variants
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const BASE_SPEC = "x86_64:mem=1G";
static const uint64_t HUGEPAGE_SIZE = UINT64_C(2) << 20;
static const uint64_t NR_HUGEPAGES = 2;

/* More than enough: a 2M hugepage has 8 vmemmap pages on every arch here. */
#define MAX_VMEMMAP_PAGES 16
#define MAX_FRAMES (3 * MAX_VMEMMAP_PAGES)

/* What one vmemmap page of the hugepage maps to. */
struct snap {
	uint64_t pa;
	uint64_t leaf_size;
	bool writable;
};

/*
 * Frames get letters, in order of first sight, so the picture can say "same
 * frame" without making you compare long hex numbers.
 */
struct letters {
	unsigned n;
	uint64_t pa[MAX_FRAMES];
};

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "vmemmap-variants: %s: %s\n", what, why);
	exit(1);
}

static char
letter_of(struct letters *l, uint64_t pa, bool *first)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (l->pa[i] == pa) {
			*first = false;
			return (char)('A' + i);
		}
	}
	if (l->n == MAX_FRAMES)
		fail("letter_of", "too many frames");
	l->pa[l->n] = pa;
	*first = true;
	return (char)('A' + l->n++);
}

/* Walk each vmemmap page of a hugepage: which frame, writable or not. */
static void
snapshot(struct hvo_machine *m, uint64_t head_va, unsigned nr, unsigned psz,
	 struct snap *s)
{
	for (unsigned i = 0; i < nr; i++) {
		struct hvo_walk w;

		if (hvo_walk(m, head_va + (uint64_t)i * psz, &w) != 0)
			fail("hvo_walk", hvo_machine_error(m));
		if (!w.mapped)
			fail("hvo_walk", "a vmemmap page is not mapped");
		s[i].pa = w.pa & ~(uint64_t)(psz - 1);
		s[i].leaf_size = w.leaf_size;
		s[i].writable = w.writable;
	}
}

/*
 * The picture: struct-page pages (virtual) on the left, the frames they
 * map (physical) on the right. A frame seen before is shown as "= X".
 */
static void
draw(const char *title, struct letters *l, uint64_t head_va, unsigned nr,
     unsigned psz, const struct snap *s)
{
	printf("  %s\n", title);
	printf("    struct pages (vmemmap VA)         frames (PA)\n");
	printf("    +-----------------------+         +------------------+\n");
	for (unsigned i = 0; i < nr; i++) {
		char frame[32];
		bool first;
		char c = letter_of(l, s[i].pa, &first);

		if (first)
			snprintf(frame, sizeof(frame), "%c  0x%" PRIx64, c,
				 s[i].pa);
		else
			snprintf(frame, sizeof(frame), "   = %c", c);
		printf("    | %u  0x%016" PRIx64 " | --%s--> | %-16s |\n", i,
		       head_va + (uint64_t)i * psz,
		       s[i].writable ? "RW" : "RO", frame);
	}
	printf("    +-----------------------+         +------------------+\n");
	printf("    (each mapped by a %" PRIu64 " KiB leaf)\n",
	       s[0].leaf_size >> 10);
}

/* Print the letters of the frames in @a that @b does not map. */
static void
list_frames(const char *what, struct letters *l, unsigned nr,
	    const struct snap *a, const struct snap *b)
{
	unsigned found = 0;

	printf("  frames %s", what);
	for (unsigned i = 0; i < nr; i++) {
		bool in_b = false, dup = false, first;

		for (unsigned j = 0; j < nr; j++)
			in_b = in_b || b[j].pa == a[i].pa;
		for (unsigned j = 0; j < i; j++)
			dup = dup || a[j].pa == a[i].pa;
		if (!in_b && !dup) {
			printf(" %c", letter_of(l, a[i].pa, &first));
			found++;
		}
	}
	printf("%s\n", found ? "" : " none");
}

static void
run_variant(enum hvo_variant v)
{
	char spec[128], err[256], canon[512];
	struct snap before[MAX_VMEMMAP_PAGES], after[MAX_VMEMMAP_PAGES];
	struct letters l = { 0 };
	struct hvo_config cfg;
	struct hvo_machine *m;
	struct hvo_geometry g;
	struct hvo_hstate_info h;
	uint64_t head[2], head_va, tail_va;
	unsigned nr;

	snprintf(spec, sizeof(spec), "%s,hvo=%s", BASE_SPEC,
		 hvo_variant_name(v));
	if (hvo_config_parse(&cfg, spec, err, sizeof(err)) != 0 ||
	    hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		fail(spec, err);
	hvo_config_format(hvo_machine_config(m), canon, sizeof(canon));
	hvo_machine_geometry(m, &g);
	printf("\n=== variant %s ===\n", hvo_variant_name(v));
	printf("ARG machine    %s\n", canon);
	printf("ARG hugepages  %" PRIu64 " x 2M\n", NR_HUGEPAGES);

	/*
	 * "Before": allocate the pool with HVO off, so the hugepages keep their
	 * vmemmap exactly as boot built it. Switching the variant is the
	 * vm.hugetlb_optimize_vmemmap sysctl; it only affects hugepages
	 * allocated from now on.
	 */
	if (hvo_set_variant(m, HVO_VARIANT_OFF) != 0 ||
	    hvo_set_nr_hugepages(m, HUGEPAGE_SIZE, NR_HUGEPAGES) != 0)
		fail("grow the pool", hvo_machine_error(m));
	for (unsigned i = 0; i < NR_HUGEPAGES; i++)
		if (hvo_hugepage_pfn(m, HUGEPAGE_SIZE, i, &head[i]) != 0)
			fail("hvo_hugepage_pfn", hvo_machine_error(m));
	if (hvo_pfn_to_page(m, head[0], &head_va) != 0)
		fail("hvo_pfn_to_page", hvo_machine_error(m));
	nr = (unsigned)(HUGEPAGE_SIZE / g.page_size * g.struct_page_size /
			g.page_size);
	if (nr > MAX_VMEMMAP_PAGES)
		fail("vmemmap", "more vmemmap pages than this program draws");
	printf("hugepage 0: head pfn 0x%" PRIx64 ", %" PRIu64
	       " struct pages of %u bytes = %u vmemmap pages\n", head[0],
	       HUGEPAGE_SIZE / g.page_size, g.struct_page_size, nr);
	snapshot(m, head_va, nr, g.page_size, before);

	/* "After": the variant back on, and HVO run on each hugepage. */
	if (hvo_set_variant(m, v) != 0)
		fail("hvo_set_variant", hvo_machine_error(m));
	if (v != HVO_VARIANT_OFF)
		for (unsigned i = 0; i < NR_HUGEPAGES; i++)
			if (hvo_hugepage_optimize(m, head[i]) != 0)
				fail("hvo_hugepage_optimize",
				     hvo_machine_error(m));
	snapshot(m, head_va, nr, g.page_size, after);

	draw("before HVO", &l, head_va, nr, g.page_size, before);
	draw("after HVO", &l, head_va, nr, g.page_size, after);

	/*
	 * Frames the "before" picture had and the "after" one lacks went back
	 * to the buddy allocator; frames only "after" has were allocated by
	 * HVO (a fresh head page, or the shared tail page). The difference is
	 * what the hugepage saved.
	 */
	list_frames("given back to the buddy allocator:", &l, nr, before, after);
	list_frames("newly allocated by HVO:           ", &l, nr, after, before);

	/*
	 * Only sharedtail lets different hugepages share a frame: compare the
	 * frame behind the second vmemmap page of both hugepages.
	 */
	if (hvo_pfn_to_page(m, head[1], &tail_va) == 0) {
		struct snap t;

		snapshot(m, tail_va + g.page_size, 1, g.page_size, &t);
		printf("  vmemmap page 1 of hugepage 1 maps pa 0x%" PRIx64
		       ": %s\n", t.pa, t.pa == after[1].pa ?
		       "the SAME frame as hugepage 0 (shared tail)" :
		       "a frame of its own");
	}

	if (hvo_machine_hstate(m, 0, &h) != 0)
		fail("hvo_machine_hstate", hvo_machine_error(m));
	printf("  hstate %s: %" PRIu64 " vmemmap pages per hugepage, %" PRIu64
	       " freed per hugepage, %" PRIu64 " optimized, %" PRIu64
	       " bytes saved\n", h.name, h.vmemmap_pages_per_hugepage,
	       h.vmemmap_pages_freed_per_hugepage, h.optimized,
	       h.saved_bytes);

	if (hvo_machine_check(m) != 0)
		fail("hvo_machine_check", hvo_machine_error(m));
	printf("  hvo_machine_check: all invariants hold\n");
	hvo_machine_free(m);
}

int
main(void)
{
	run_variant(HVO_VARIANT_OFF);
	run_variant(HVO_VARIANT_KEEP2);
	run_variant(HVO_VARIANT_FAKEHEAD);
	run_variant(HVO_VARIANT_SHAREDTAIL);
	return 0;
}
