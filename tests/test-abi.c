/* SPDX-License-Identifier: MIT */
/*
 * The ABI of the public structs (doc/ABI.md) and the calls for research
 * tools: a machine from a spec in one call, counters by number with a
 * snapshot and a delta around one operation, and the vmemmap of each
 * hstate in bytes.
 */
#include <stddef.h>
#include <stdlib.h>

#include "testutil.h"

#define MIB (UINT64_C(1) << 20)

/*
 * The size of every public struct, and where its reserved space starts,
 * on LP64 (x86-64, arm64, riscv64 Linux): a change to either breaks the
 * ABI of libhvo.so.0. A new field takes words from reserved[] and moves
 * neither (doc/ABI.md); then update the offset here, not the size.
 */
#define PIN(type, size, reserved_at)                                        \
	do {                                                                \
		assert_int_equal(sizeof(struct type), size);                \
		assert_int_equal(offsetof(struct type, reserved), reserved_at); \
	} while (0)

static void
test_struct_layout(void **state)
{
	if (sizeof(void *) != 8 || sizeof(long) != 8)
		skip();
	assert_int_equal(sizeof(struct hvo_mem_range), 16); /* frozen */
	PIN(hvo_config, 1072, 944);
	PIN(hvo_geometry, 296, 232);
	PIN(hvo_zone_info, 1120, 1056);
	PIN(hvo_hstate_info, 200, 136);
	PIN(hvo_walk_level, 64, 48);
	PIN(hvo_walk, 408, 376);
	PIN(hvo_kernel_info, 64, 32);
	PIN(hvo_fault_attr, 80, 48);
	PIN(hvo_event, 128, 96);
}

/* What the library fills, it fills whole: reserved space reads zero. */
static void
test_reserved_zero_on_output(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,hugepages=2M:2");
	struct hvo_geometry g;
	struct hvo_zone_info z;
	struct hvo_hstate_info h;
	struct hvo_walk w;
	struct hvo_kernel_info k;
	struct hvo_fault_attr a;
	uint64_t va;

	memset(&g, 0xa5, sizeof(g));
	memset(&z, 0xa5, sizeof(z));
	memset(&h, 0xa5, sizeof(h));
	memset(&w, 0xa5, sizeof(w));
	memset(&k, 0xa5, sizeof(k));
	memset(&a, 0xa5, sizeof(a));
	assert_int_equal(hvo_machine_geometry(m, &g), 0);
	assert_int_equal(hvo_machine_zone(m, 0, &z), 0);
	assert_int_equal(hvo_machine_hstate(m, 0, &h), 0);
	assert_int_equal(hvo_pfn_to_page(m, 0x1000, &va), 0);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_int_equal(hvo_machine_kernel(m, &k), 0);
	assert_int_equal(hvo_fail_page_alloc_get(m, &a), 0);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(g.reserved[i], 0);
		assert_int_equal(z.reserved[i], 0);
		assert_int_equal(h.reserved[i], 0);
	}
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(w.reserved[i], 0);
		assert_int_equal(k.reserved[i], 0);
		assert_int_equal(a.reserved[i], 0);
	}
	for (unsigned d = 0; d < HVO_MAX_LEVELS; d++)
		assert_true(!w.level[d].reserved[0] && !w.level[d].reserved[1]);
	/* get, change a field, set: the reserved zeros go back unchanged. */
	a.probability = 0;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* A config with reserved space set is refused by the boot too. */
static void
test_reserved_refused_on_input(void **state)
{
	struct hvo_machine *m = NULL;
	struct hvo_config cfg;
	char err[256] = "";

	assert_int_equal(hvo_config_parse(&cfg, "arm64", err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cfg.reserved) / sizeof(cfg.reserved[0]);
	     i++)
		assert_int_equal(cfg.reserved[i], 0);
	cfg.reserved[0] = 42;
	assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(err, "reserved[0]"));
	cfg.reserved[0] = 0;
	assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* One call gives the machine hvo_config_parse() and hvo_machine_new() give. */
static void
test_new_from_spec(void **state)
{
	const char *spec = "arm64:granule=16K,va=47,mem=2G";
	struct hvo_machine *m = NULL;
	struct hvo_config cfg;
	char a[256], b[256], err[256] = "";

	assert_int_equal(hvo_machine_new_from_spec(spec, &m, err, sizeof(err)),
			 0);
	assert_int_equal(hvo_config_parse(&cfg, spec, err, sizeof(err)), 0);
	assert_int_equal(hvo_config_validate(&cfg, err, sizeof(err)), 0);
	assert_int_equal(hvo_config_format(&cfg, a, sizeof(a)), 0);
	assert_int_equal(hvo_config_format(hvo_machine_config(m), b,
					   sizeof(b)), 0);
	assert_string_equal(a, b);
	tu_assert_check(m);
	hvo_machine_free(m);

	/* A preset name is a spec too. */
	assert_int_equal(hvo_machine_new_from_spec(hvo_preset_name(0), &m, err,
						   sizeof(err)), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Counter number i is the counter named hvo_counter_name(i). */
static void
test_counter_enum(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,hugepages=2M:2");
	uint64_t by_num, by_name;

	assert_int_equal(HVO_COUNTER_PT_READ_PGD, 0);
	assert_string_equal(hvo_counter_name(HVO_COUNTER_TLB_HIT), "tlb.hit");
	assert_string_equal(hvo_counter_name(HVO_COUNTER_HVO_VMEMMAP_FREED),
			    "hvo.vmemmap_freed");
	assert_string_equal(hvo_counter_name(HVO_COUNTER_HVO_SYNCHRONIZE_RCU),
			    "hvo.synchronize_rcu");
	/* doc/ABI.md: the enum grows at its end. */
	assert_string_equal(hvo_counter_name(HVO_COUNTER_BUDDY_STEAL),
			    "buddy.steal");
	assert_string_equal(hvo_counter_name(HVO_COUNTER_HOST_MEMMAP_COMPACT),
			    "host.memmap_compact");
	assert_int_equal(HVO_COUNTER_HOST_MEMMAP_COMPACT + 1, hvo_counter_count());
	for (size_t i = 0; i < hvo_counter_count(); i++) {
		assert_int_equal(hvo_counter_get(m, (enum hvo_counter)i,
						 &by_num), 0);
		assert_int_equal(hvo_machine_counter_get(m, hvo_counter_name(i),
							 &by_name), 0);
		assert_true(by_num == by_name);
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * A snapshot and a delta around one optimize of a 2M hugepage with
 * fakehead (hugetlb_vmemmap_optimize()): one hugepage optimized, its 8
 * vmemmap pages down to 1. The newest kernel's vmemmap_remap_free()
 * copies the head page to a newly allocated one (walk.reuse_page) and
 * frees all 8, so the delta counts 8 freed and 1 allocated: 7 net.
 */
static void
test_counters_delta_one_optimize(void **state)
{
	struct hvo_machine *m =
		tu_machine("x86_64:mem=1G,hvo=off,hugepages=2M:1");
	size_t n = hvo_counter_count();
	uint64_t *before = calloc(n, sizeof(*before));
	uint64_t *delta = calloc(n, sizeof(*delta));
	uint64_t pfn;

	assert_non_null(before);
	assert_non_null(delta);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_FAKEHEAD), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	assert_int_equal(hvo_machine_counters_snapshot(m, before, n), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	assert_int_equal(hvo_machine_counters_delta(m, before, delta, n), 0);
	assert_int_equal(delta[HVO_COUNTER_HVO_OPTIMIZE], 1);
	assert_int_equal(delta[HVO_COUNTER_HVO_VMEMMAP_FREED] -
			 delta[HVO_COUNTER_HVO_VMEMMAP_ALLOCED], 7);
	assert_int_equal(delta[HVO_COUNTER_HVO_RESTORE], 0);
	print_message("# optimize: freed %llu, allocated %llu\n",
		      (unsigned long long)delta[HVO_COUNTER_HVO_VMEMMAP_FREED],
		      (unsigned long long)delta[HVO_COUNTER_HVO_VMEMMAP_ALLOCED]);
	/* The snapshot may take the delta in place. */
	assert_int_equal(hvo_machine_counters_snapshot(m, before, n), 0);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	assert_int_equal(hvo_machine_counters_delta(m, before, before, n), 0);
	assert_int_equal(before[HVO_COUNTER_HVO_RESTORE], 1);
	assert_int_equal(before[HVO_COUNTER_HVO_OPTIMIZE], 0);
	assert_int_equal(before[HVO_COUNTER_HVO_VMEMMAP_FREED], 0);
	/* An older program knows fewer counters: a prefix is fine. */
	assert_int_equal(hvo_machine_counters_snapshot(m, before, 3), 0);
	free(before);
	free(delta);
	tu_assert_check(m);
	hvo_machine_free(m);
}

struct bytes_case {
	const char *spec;
	uint64_t size;
	uint64_t bytes;       /* struct pages of one hugepage */
	uint64_t freed_bytes; /* freed per hugepage */
};

/*
 * hugetlb_vmemmap_optimizable_size() (mm/hugetlb_vmemmap.h, 6.12): the
 * vmemmap of a hugepage minus the one page HVO keeps (fakehead), 0 when
 * the struct pages do not fill more than that page.
 */
static void
test_vmemmap_bytes(void **state)
{
	static const struct bytes_case cases[] = {
		/* 512 x 64 = 32 KiB: 8 pages of 4K, 7 freed */
		{ "x86_64:hvo=fakehead", 2 * MIB, 32768, 7 * 4096 },
		/* 262144 x 64 = 16 MiB: 4096 pages, 4095 freed */
		{ "x86_64:hvo=fakehead", 1024 * MIB, 16 * MIB, 4095 * 4096 },
		/* keep2 keeps two pages */
		{ "x86_64:hvo=keep2", 2 * MIB, 32768, 6 * 4096 },
		/* 128 x 64 = 8 KiB: half a 16K page, nothing to free */
		{ "arm64:granule=16K,va=47,hvo=fakehead", 2 * MIB, 8192, 0 },
		/* 2048 x 64 = 128 KiB: 8 pages of 16K, 7 freed */
		{ "arm64:granule=16K,va=47,hvo=fakehead", 32 * MIB, 131072,
		  7 * 16384 },
		/* 32 x 64 = 2 KiB of a 64K page, nothing to free */
		{ "arm64:granule=64K,va=48,hvo=fakehead", 2 * MIB, 2048, 0 },
		/* 8192 x 64 = 512 KiB: 8 pages of 64K, 7 freed */
		{ "arm64:granule=64K,va=48,hvo=fakehead", 512 * MIB, 524288,
		  7 * 65536 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bytes_case *c = &cases[i];
		struct hvo_machine *m = tu_machine(c->spec);
		struct hvo_hstate_info h;

		assert_int_equal(hvo_machine_hstate_by_size(m, c->size, &h), 0);
		if (h.vmemmap_bytes_per_hugepage != c->bytes ||
		    h.vmemmap_bytes_freed_per_hugepage != c->freed_bytes)
			print_error("%s %s: %llu bytes, %llu freed\n", c->spec,
				    h.name,
				    (unsigned long long)h.vmemmap_bytes_per_hugepage,
				    (unsigned long long)h.vmemmap_bytes_freed_per_hugepage);
		assert_true(h.vmemmap_bytes_per_hugepage == c->bytes);
		assert_true(h.vmemmap_bytes_freed_per_hugepage ==
			    c->freed_bytes);
		assert_true(h.vmemmap_bytes_freed_per_hugepage ==
			    h.vmemmap_pages_freed_per_hugepage *
			    tu_geometry(m).page_size);
		/* Nothing freed: the hstate says why. */
		assert_true(c->freed_bytes || (!h.optimizable && *h.reason));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_layout),
		cmocka_unit_test(test_reserved_zero_on_output),
		cmocka_unit_test(test_reserved_refused_on_input),
		cmocka_unit_test(test_new_from_spec),
		cmocka_unit_test(test_counter_enum),
		cmocka_unit_test(test_counters_delta_one_optimize),
		cmocka_unit_test(test_vmemmap_bytes),
	};

	return tu_run("abi", tests, sizeof(tests) / sizeof(tests[0]));
}
