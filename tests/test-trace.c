/* SPDX-License-Identifier: MIT */
/*
 * The trace callback: every event, in order, with its fields.
 */
#include <inttypes.h>

#include "testutil.h"

#define MAX_EVENTS 4096

struct log {
	size_t n;
	struct hvo_event ev[MAX_EVENTS];
};

static void
record(void *ctx, const struct hvo_event *ev)
{
	struct log *l = ctx;

	if (l->n < MAX_EVENTS)
		l->ev[l->n++] = *ev;
}

static size_t
count_kind(const struct log *l, enum hvo_event_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->ev[i].kind == k;
	return n;
}

/* A map, a store, a protect, a faulting store, a flush: in that order. */
static void
test_page_table_events(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct log *l = calloc(1, sizeof(*l));
	uint64_t va = tu_free_kernel_va(m, 3), pfn;
	char line[256];

	(void)state;
	assert_non_null(l);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	assert_int_equal(hvo_set_trace(m, record, l), 0);
	assert_int_equal(hvo_map(m, va, pfn << 12, 4096, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_kwrite64(m, va, 1), 0);
	assert_int_equal(hvo_protect(m, va, HVO_PROT_KERNEL_RO), 0);
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + 4096), 0);
	assert_int_equal(hvo_kwrite64(m, va, 2), -EFAULT);
	assert_int_equal(hvo_flush_tlb_all(m), 0);

	/* The last three events: the protect's write is before the flush. */
	assert_true(l->n >= 4);
	const struct hvo_event *e = &l->ev[l->n - 3];

	assert_int_equal(e[0].kind, HVO_EVENT_TLB_FLUSH);
	assert_false(e[0].all);
	assert_int_equal(e[0].start, va);
	assert_int_equal(e[1].kind, HVO_EVENT_FAULT);
	assert_int_equal(e[1].va, va);
	assert_int_equal(e[2].kind, HVO_EVENT_TLB_FLUSH);
	assert_true(e[2].all);
	/*
	 * The leaf was written twice: RW, then RO. Each write names the page
	 * it maps, and decodes (x86's PTE bits: RW is bit 1) as the write
	 * left it.
	 */
	size_t writes = 0;

	for (size_t i = 0; i < l->n; i++) {
		char want[64];

		if (l->ev[i].kind != HVO_EVENT_ENTRY_WRITE ||
		    strcmp(l->ev[i].level, "pte") != 0)
			continue;
		writes++;
		assert_int_equal(l->ev[i].va, va);
		assert_int_equal(hvo_event_format(&l->ev[i], line, sizeof(line)), 0);
		snprintf(want, sizeof(want), "write pte @0x%" PRIx64
			 " va 0x%016" PRIx64 ": ", l->ev[i].entry_pa, va);
		assert_non_null(strstr(line, want));
		assert_int_equal(hvo_entry_describe(m, 3, l->ev[i].new_entry,
						    line, sizeof(line)), 0);
		assert_true(strncmp(line, "pte page pa=", 12) == 0);
		if (writes == 1)
			assert_non_null(strstr(line, " RW "));
		else
			assert_null(strstr(line, " RW "));
	}
	assert_int_equal(writes, 2);
	assert_int_equal(hvo_event_format(&l->ev[l->n - 1], line, sizeof(line)), 0);
	assert_string_equal(line, "flush_tlb_all");
	assert_int_equal(hvo_event_format(&l->ev[0], line, 4), -ENOSPC);
	assert_int_equal(hvo_event_format(NULL, line, sizeof(line)), -EINVAL);

	/* Off again: nothing more is recorded. */
	size_t n = l->n;

	assert_int_equal(hvo_set_trace(m, NULL, NULL), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_int_equal(l->n, n);
	assert_int_equal(hvo_set_trace(NULL, record, l), -EINVAL);

	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);
	tu_assert_check(m);
	free(l);
	hvo_machine_free(m);
}

/*
 * HVO of one 2M hugepage, batched: the hugepage and the vmemmap pages
 * allocated, 8 PTE writes, two full flushes, 8 old vmemmap pages freed.
 */
static void
test_hvo_events(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,pcp=off");
	struct log *l = calloc(1, sizeof(*l));
	size_t ptes = 0, vm_allocs = 0, hugetlb_allocs = 0, frees = 0, all = 0;

	(void)state;
	assert_non_null(l);
	/* Split the PMD beforehand, so only the remap is seen. */
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 1), 0);
	assert_int_equal(hvo_set_trace(m, record, l), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 2), 0);
	for (size_t i = 0; i < l->n; i++) {
		const struct hvo_event *e = &l->ev[i];

		if (e->kind == HVO_EVENT_ENTRY_WRITE && !strcmp(e->level, "pte"))
			ptes++;
		if (e->kind == HVO_EVENT_PAGE_ALLOC && !strcmp(e->why, "vmemmap"))
			vm_allocs++;
		if (e->kind == HVO_EVENT_PAGE_ALLOC && !strcmp(e->why, "hugetlb")) {
			hugetlb_allocs++;
			assert_int_equal(e->order, 9);
		}
		if (e->kind == HVO_EVENT_PAGE_FREE)
			frees++;
		if (e->kind == HVO_EVENT_TLB_FLUSH && e->all)
			all++;
	}
	assert_int_equal(hugetlb_allocs, 1);
	assert_int_equal(vm_allocs, 1);     /* the new head; the tail exists */
	assert_int_equal(ptes, 8);
	assert_int_equal(all, 2);
	assert_int_equal(frees, 8);
	assert_int_equal(count_kind(l, HVO_EVENT_FAULT), 0);

	/*
	 * Each PTE write names the vmemmap page it remaps: the 8 pages of
	 * struct pages of the new hugepage, in order, from its head's
	 * (vmemmap_remap_pte() walks the range from its start). The head's
	 * page stays writable, the 7 tail pages become read-only
	 * (PAGE_KERNEL_RO: x86 clears RW, bit 1).
	 */
	uint64_t head, head_page;
	size_t k = 0;

	assert_int_equal(hvo_hugepage_pfn(m, 2 << 20, 1, &head), 0);
	assert_int_equal(hvo_pfn_to_page(m, head, &head_page), 0);
	for (size_t i = 0; i < l->n; i++) {
		const struct hvo_event *e = &l->ev[i];
		char desc[256];

		if (e->kind != HVO_EVENT_ENTRY_WRITE || strcmp(e->level, "pte"))
			continue;
		assert_int_equal(e->va, head_page + k * 4096);
		assert_int_equal(hvo_entry_describe(m, 3, e->new_entry, desc,
						    sizeof(desc)), 0);
		if (k == 0)
			assert_non_null(strstr(desc, " RW "));
		else
			assert_null(strstr(desc, " RW "));
		k++;
	}
	assert_int_equal(k, 8);
	tu_assert_check(m);
	free(l);
	hvo_machine_free(m);
}

/* What a listener saw at each page freed. */
struct free_seen {
	const struct hvo_machine *m;
	size_t n;
	uint64_t freed[16];  /* hvo.vmemmap_freed */
	uint64_t memmap[16]; /* nr_memmap_pages + nr_memmap_boot_pages */
};

static void
note_free(void *ctx, const struct hvo_event *ev)
{
	struct free_seen *s = ctx;

	if (ev->kind != HVO_EVENT_PAGE_FREE || s->n == sizeof(s->freed) / sizeof(s->freed[0]))
		return;
	assert_int_equal(hvo_counter_get(s->m, HVO_COUNTER_HVO_VMEMMAP_FREED,
					 &s->freed[s->n]), 0);
	s->memmap[s->n] = tu_vmstat(s->m, "nr_memmap_pages") +
			  tu_vmstat(s->m, "nr_memmap_boot_pages");
	s->n++;
}

/*
 * free_vmemmap_page() (mm/hugetlb_vmemmap.c, 6.12) counts a page in
 * nr_memmap_pages or nr_memmap_boot_pages before it frees it, and HVO's
 * freed counter with it: a listener that reads them at a page's free
 * event sees that page counted already, the k-th free k pages down, as
 * on a kernel, though without a listener the frees are counted in one
 * go.
 */
static void
test_listener_sees_each_free_counted(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,pcp=off,hvo=sharedtail");
	struct free_seen s = { .m = m };
	uint64_t freed0, memmap0;

	(void)state;
	/* Split the PMD beforehand: the traced grow frees only vmemmap. */
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 1), 0);
	assert_int_equal(hvo_counter_get(m, HVO_COUNTER_HVO_VMEMMAP_FREED,
					 &freed0), 0);
	memmap0 = tu_vmstat(m, "nr_memmap_pages") +
		  tu_vmstat(m, "nr_memmap_boot_pages");
	assert_int_equal(hvo_set_trace(m, note_free, &s), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 2), 0);
	assert_int_equal(hvo_set_trace(m, NULL, NULL), 0);
	/* 8 old pages freed, 1 new head page allocated (counted at once). */
	assert_int_equal(s.n, 8);
	for (size_t k = 0; k < s.n; k++) {
		assert_int_equal(s.freed[k], freed0 + k + 1);
		assert_int_equal(s.memmap[k], memmap0 + 1 - (k + 1));
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* A listener that only counts: it never goes through the machine. */
static void
count_only(void *ctx, const struct hvo_event *ev)
{
	(void)ev;
	(*(uint64_t *)ctx)++;
}

/* Pool resizes and single-hugepage HVO calls, the same on every machine. */
static void
listener_scenario(struct hvo_machine *m)
{
	uint64_t pfn[8];
	size_t n;

	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 120), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 25), 0);
	n = tu_pool_pfns(m, 2 << 20, pfn, 8);
	for (size_t i = 0; i < n; i += 2)
		if (hvo_hugepage_restore(m, pfn[i]))
			fail_msg("restore: %s", hvo_machine_error(m));
	for (size_t i = 0; i < n; i += 4)
		if (hvo_hugepage_optimize(m, pfn[i]))
			fail_msg("optimize: %s", hvo_machine_error(m));
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 90), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 << 20, 3), 0);
}

/*
 * A listener turns off every host shortcut that batches simulated steps
 * (alloc_pages_n() and free_pages_n() go page by page, the remap walks
 * leave their quick runs): the machine must end exactly as without one,
 * every counter of the report and every byte of the pool's struct pages.
 */
static void
test_listener_changes_nothing(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=2G,hvo=sharedtail",
		"x86_64:mem=2G,hvo=fakehead,kernel=6.1",
		"x86_64:mem=2G,hvo=keep2",
		"arm64:mem=2G,hvo=sharedtail",
		"riscv64:mem=2G,hvo=fakehead",
	};

	(void)state;
	for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		struct hvo_machine *plain = tu_machine(specs[k]);
		struct hvo_machine *heard = tu_machine(specs[k]);
		uint64_t events = 0, pa[8], pb[8];
		char *ra, *rb;
		size_t na, nb;

		assert_int_equal(hvo_set_trace(heard, count_only, &events), 0);
		listener_scenario(plain);
		listener_scenario(heard);
		assert_true(events > 0);
		ra = tu_report_json(plain);
		rb = tu_report_json(heard);
		if (strcmp(ra, rb) != 0)
			fail_msg("%s: the report differs with a listener", specs[k]);
		free(ra);
		free(rb);
		na = tu_pool_pfns(plain, 2 << 20, pa, 8);
		nb = tu_pool_pfns(heard, 2 << 20, pb, 8);
		assert_int_equal(na, nb);
		for (size_t i = 0; i < na; i++) {
			uint64_t bytes = 512 * tu_geometry(plain).struct_page_size;
			uint64_t *a, *b;

			assert_int_equal(pa[i], pb[i]);
			a = tu_read_struct_pages(plain, pa[i], bytes);
			b = tu_read_struct_pages(heard, pb[i], bytes);
			if (memcmp(a, b, bytes) != 0)
				fail_msg("%s: struct pages of pfn 0x%" PRIx64 " differ",
					 specs[k], pa[i]);
			free(a);
			free(b);
		}
		tu_assert_check(plain);
		tu_assert_check(heard);
		hvo_machine_free(plain);
		hvo_machine_free(heard);
	}
}

/*
 * A split of a block names the block's range: pt_split() rewrites the PMD
 * that maps 2M at the block's start, whatever address inside it was
 * asked for (the address the kernel's pmd_populate_kernel() is about).
 */
static void
test_split_names_block(void **state)
{
	struct hvo_machine *m = tu_machine("riscv64:mem=256M,pcp=off");
	struct log *l = calloc(1, sizeof(*l));
	uint64_t va = tu_free_kernel_va(m, 2), pfn;
	size_t writes = 0;

	(void)state;
	assert_non_null(l);
	assert_int_equal(hvo_alloc_pages(m, 9, HVO_GFP_KERNEL, &pfn), 0);
	assert_int_equal(hvo_map(m, va, pfn << 12, 2 << 20, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_set_trace(m, record, l), 0);
	assert_int_equal(hvo_split(m, va + 5 * 4096), 0);
	for (size_t i = 0; i < l->n; i++) {
		if (l->ev[i].kind != HVO_EVENT_ENTRY_WRITE)
			continue;
		writes++;
		assert_string_equal(l->ev[i].level, "pmd");
		assert_int_equal(l->ev[i].va, va);
	}
	assert_int_equal(writes, 1);
	assert_int_equal(hvo_set_trace(m, NULL, NULL), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	free(l);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_table_events),
		cmocka_unit_test(test_hvo_events),
		cmocka_unit_test(test_split_names_block),
		cmocka_unit_test(test_listener_changes_nothing),
		cmocka_unit_test(test_listener_sees_each_free_counted),
	};

	return tu_run("trace", tests, sizeof(tests) / sizeof(tests[0]));
}
