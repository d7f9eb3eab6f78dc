/* SPDX-License-Identifier: MIT */
/*
 * fake-head: a tail struct page that looks like a head.
 *
 * With the fakehead variant (Linux 5.18 to 6.19) HVO keeps only the first
 * vmemmap page of a hugepage and maps the other seven, read-only, onto that
 * same frame. So the struct page at the start of vmemmap page 1 (that is,
 * pfn head + page_size / sizeof(struct page), here head + 64) reads exactly
 * the bytes of the head's struct page: its flags word has PG_head set.
 *
 * A naive compound_head() ("if PG_head, I am the head") would now return the
 * wrong page for 7/8 of the hugepage. The kernel therefore checks, for a
 * struct page that claims PG_head and sits at the start of a vmemmap page,
 * what its *next* struct page says: a real head's page[1] is a real first
 * tail whose compound_head word has bit 0 set and points back at the head.
 * If page[1] reads that, the PG_head was fake and page[1] names the true
 * head. /proc/kpageflags, which goes through that fix-up, reports the page
 * as a tail, as it must.
 *
 * The sharedtail variant (2026) has no such trap: the tails map a page full
 * of genuine tail struct pages, so PG_head is simply absent.
 *
 * Run it: ./build/examples/fake-head
 */
#include <hvo/hvo.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const uint64_t HUGEPAGE_SIZE = UINT64_C(2) << 20;

/* Bit numbers of the kernel's flags word and of /proc/kpageflags. */
#define PG_HEAD                 6  /* include/linux/page-flags.h, x86-64 */
#define KPF_COMPOUND_HEAD      15  /* include/uapi/linux/kernel-page-flags.h */
#define KPF_COMPOUND_TAIL      16

static _Noreturn void
fail(const char *what, const char *why)
{
	fprintf(stderr, "fake-head: %s: %s\n", what, why);
	exit(1);
}

/* Returns whether the "fake" tail read PG_head. */
static bool
look(const char *spec)
{
	struct hvo_config cfg;
	struct hvo_machine *m;
	struct hvo_geometry g;
	char err[256], canon[512], names[128];
	uint64_t head, tail, head_va, tail_va, flags, next_info, kpf;
	bool pg_head, mask;

	if (hvo_config_parse(&cfg, spec, err, sizeof(err)) != 0 ||
	    hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		fail(spec, err);
	hvo_config_format(hvo_machine_config(m), canon, sizeof(canon));
	hvo_machine_geometry(m, &g);
	printf("\nARG machine    %s\n", canon);
	printf("ARG hugepages  1 x 2M (optimized as it joins the pool)\n");

	if (hvo_set_nr_hugepages(m, HUGEPAGE_SIZE, 1) != 0 ||
	    hvo_hugepage_pfn(m, HUGEPAGE_SIZE, 0, &head) != 0)
		fail("grow the pool", hvo_machine_error(m));

	/* The first struct page of the second vmemmap page of the hugepage. */
	tail = head + g.page_size / g.struct_page_size;
	if (hvo_pfn_to_page(m, head, &head_va) != 0 ||
	    hvo_pfn_to_page(m, tail, &tail_va) != 0)
		fail("hvo_pfn_to_page", hvo_machine_error(m));
	printf("head pfn 0x%" PRIx64 " (struct page at 0x%" PRIx64 ")\n",
	       head, head_va);
	printf("tail pfn 0x%" PRIx64 " = head + %u/%u (struct page at 0x%"
	       PRIx64 ", start of vmemmap page 1)\n", tail, g.page_size,
	       g.struct_page_size, tail_va);

	/* What a naive compound_head() would look at: the flags word. */
	if (hvo_kread64(m, tail_va, &flags) != 0)
		fail("hvo_kread64", hvo_machine_error(m));
	pg_head = (flags >> PG_HEAD) & 1;
	printf("  tail's flags word   0x%016" PRIx64 "  PG_head (bit %d) = %d%s\n",
	       flags, PG_HEAD, pg_head,
	       pg_head ? "  <- a naive compound_head() says: I am a head!" : "");

	/*
	 * The fix-up's second look: page[1].compound_head, 8 bytes into the
	 * next struct page. Bit 0 set means "I am a tail"; the rest is where
	 * the head is (a pointer, or with sharedtail's mask encoding a value
	 * the address is masked with).
	 */
	if (hvo_kread64(m, tail_va + g.struct_page_size + 8, &next_info) != 0)
		fail("hvo_kread64", hvo_machine_error(m));
	printf("  page[1] word at +8  0x%016" PRIx64 "  bit 0 = %d", next_info,
	       (int)(next_info & 1));
	if (pg_head && (next_info & 1))
		printf("  -> fake head; the real head is 0x%" PRIx64 "%s",
		       next_info - 1, next_info - 1 == head_va ?
		       " (the head's struct page)" : " (?)");
	if (hvo_machine_compound_encoding(m, &mask) != 0)
		fail("hvo_machine_compound_encoding", hvo_machine_error(m));
	if (!pg_head && mask && (next_info & 1))
		printf("  -> a mask: 0x%" PRIx64 " & 0x%" PRIx64 " = 0x%" PRIx64
		       "%s", tail_va + g.struct_page_size, next_info - 1,
		       (tail_va + g.struct_page_size) & (next_info - 1),
		       ((tail_va + g.struct_page_size) & (next_info - 1)) ==
		       head_va ? " (the head's struct page)" : " (?)");
	printf("\n");

	/* What /proc/kpageflags says: computed with the fix-up. */
	if (hvo_kpageflags(m, tail, &kpf) != 0 ||
	    hvo_kpageflags_describe(kpf, names, sizeof(names)) != 0)
		fail("hvo_kpageflags", hvo_machine_error(m));
	printf("  kpageflags          0x%016" PRIx64 "  %s (COMPOUND_HEAD bit "
	       "%d = %d, COMPOUND_TAIL bit %d = %d)\n", kpf, names,
	       KPF_COMPOUND_HEAD, (int)((kpf >> KPF_COMPOUND_HEAD) & 1),
	       KPF_COMPOUND_TAIL, (int)((kpf >> KPF_COMPOUND_TAIL) & 1));
	if (!((kpf >> KPF_COMPOUND_TAIL) & 1) ||
	    ((kpf >> KPF_COMPOUND_HEAD) & 1))
		fail("kpageflags", "the tail is not reported as a tail");

	if (hvo_machine_check(m) != 0)
		fail("hvo_machine_check", hvo_machine_error(m));
	printf("  hvo_machine_check: all invariants hold\n");
	hvo_machine_free(m);
	return pg_head;
}

int
main(void)
{
	printf("== fakehead (Linux 5.18-6.19): tails map the head's page ==");
	if (!look("x86_64:mem=256M,hvo=fakehead"))
		fail("fakehead", "expected the tail to read PG_head");
	printf("\n== sharedtail (2026): tails map a shared page of real tails ==");
	if (look("x86_64:mem=256M,hvo=sharedtail"))
		fail("sharedtail", "a tail read PG_head");
	printf("\nfakehead: the tail read PG_head and only the fix-up saved it;"
	       " sharedtail: no PG_head to fix.\n");
	return 0;
}
