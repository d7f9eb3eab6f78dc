/* SPDX-License-Identifier: MIT */
/*
 * An outside program: built by tests/consumer/run.sh against an installed
 * libhvo with nothing but `pkg-config libhvo`. It boots a 1 GiB x86_64
 * machine, grows the 2 MiB pool to 4 hugepages and checks that all four
 * are optimized, 7 vmemmap pages freed each, and the machine consistent.
 *
 * `consumer sweep` prints the consumers' sweep instead, which
 * consumer.cpp and sweep.py print too, byte for byte: for each arch in
 * ARCHES, struct page size in STRUCT_PAGES and variant in VARIANTS, the
 * machine "ARCH[:|,]mem=1G,struct_page=N,hvo=V"; for each of its
 * hstates one line "SPEC NAME vmemmap=BYTES freed=BYTES" (struct pages
 * of one hugepage, vmemmap freed per hugepage); then the pool of the
 * smallest size grown to 2 with a counter snapshot around it, "SPEC
 * pool NAME nr=N optimized=N saved=BYTES optimize=DELTA"; then the check.
 */
#include <hvo/hvo.h>

#include <stdio.h>
#include <string.h>

#define SPEC "x86_64:mem=1G"
#define HUGEPAGE_SIZE ((uint64_t)2 << 20)
#define NR_HUGEPAGES 4

static int
fail(struct hvo_machine *m, const char *what, int ret)
{
	fprintf(stderr, "consumer: %s failed (%d)%s%s\n", what, ret,
		m ? ": " : "", m ? hvo_machine_error(m) : "");
	hvo_machine_free(m);
	return 1;
}

static int
check_version(void)
{
	char want[64];
	const char *have = hvo_version();

	snprintf(want, sizeof(want), "%d.%d.%d", HVO_VERSION_MAJOR,
		 HVO_VERSION_MINOR, HVO_VERSION_MICRO);
	if (!have || strcmp(have, want) != 0) {
		fprintf(stderr,
			"consumer: hvo_version() is \"%s\", the header says "
			"\"%s\"\n", have ? have : "(null)", want);
		return -1;
	}
	return 0;
}

/* The hstate of HUGEPAGE_SIZE, found by size rather than by index. */
static int
find_hstate(struct hvo_machine *m, struct hvo_hstate_info *out)
{
	unsigned i;
	int ret;

	for (i = 0;; i++) {
		ret = hvo_machine_hstate(m, i, out);
		if (ret != 0)
			return ret;
		if (out->size == HUGEPAGE_SIZE)
			return 0;
	}
}

static const char *const arches[] = {
	"x86_64", "x86_64:levels=5", "arm64:granule=16K,va=47",
	"arm64:granule=64K,va=48", "riscv64:va=39",
};
static const unsigned struct_pages[] = { 56, 64 };
static const char *const variants[] = { "keep2", "fakehead", "sharedtail" };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int
sweep_one(const char *spec)
{
	struct hvo_machine *m = NULL;
	struct hvo_hstate_info hs, first;
	uint64_t before[64], delta[64];
	size_t n = hvo_counter_count();
	char err[256] = "";
	unsigned i;
	int ret;

	if (n > ARRAY_LEN(before))
		n = ARRAY_LEN(before);
	ret = hvo_machine_new_from_spec(spec, &m, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "consumer: %s: %s\n", spec, err);
		return 1;
	}
	for (i = 0; hvo_machine_hstate(m, i, &hs) == 0; i++) {
		if (i == 0)
			first = hs;
		printf("%s %s vmemmap=%llu freed=%llu\n", spec, hs.name,
		       (unsigned long long)hs.vmemmap_bytes_per_hugepage,
		       (unsigned long long)hs.vmemmap_bytes_freed_per_hugepage);
	}
	if (i == 0)
		return fail(m, "hvo_machine_hstate(0)", -1);
	ret = hvo_machine_counters_snapshot(m, before, n);
	if (ret == 0)
		ret = hvo_set_nr_hugepages(m, first.size, 2);
	if (ret == 0)
		ret = hvo_machine_counters_delta(m, before, delta, n);
	if (ret == 0)
		ret = hvo_machine_hstate_by_size(m, first.size, &hs);
	if (ret != 0)
		return fail(m, "grow the pool", ret);
	printf("%s pool %s nr=%llu optimized=%llu saved=%llu optimize=%llu\n",
	       spec, hs.name, (unsigned long long)hs.nr,
	       (unsigned long long)hs.optimized,
	       (unsigned long long)hs.saved_bytes,
	       (unsigned long long)delta[HVO_COUNTER_HVO_OPTIMIZE]);
	ret = hvo_machine_check(m);
	if (ret != 0)
		return fail(m, "hvo_machine_check", ret);
	hvo_machine_free(m);
	return 0;
}

static int
sweep(void)
{
	char spec[128];
	size_t a, s, v;

	for (a = 0; a < ARRAY_LEN(arches); a++)
		for (s = 0; s < ARRAY_LEN(struct_pages); s++)
			for (v = 0; v < ARRAY_LEN(variants); v++) {
				snprintf(spec, sizeof(spec),
					 "%s%smem=1G,struct_page=%u,hvo=%s",
					 arches[a],
					 strchr(arches[a], ':') ? "," : ":",
					 struct_pages[s], variants[v]);
				if (sweep_one(spec) != 0)
					return 1;
			}
	return 0;
}

int
main(int argc, char **argv)
{
	struct hvo_config cfg;
	struct hvo_machine *m = NULL;
	struct hvo_hstate_info hs;
	char err[256] = "";
	int ret;

	if (check_version() != 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "sweep") == 0)
		return sweep();

	ret = hvo_config_parse(&cfg, SPEC, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "consumer: parse \"%s\": %s\n", SPEC, err);
		return 1;
	}
	ret = hvo_machine_new(&cfg, &m, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "consumer: boot \"%s\": %s\n", SPEC, err);
		return 1;
	}

	ret = hvo_set_nr_hugepages(m, HUGEPAGE_SIZE, NR_HUGEPAGES);
	if (ret != 0)
		return fail(m, "hvo_set_nr_hugepages", ret);
	ret = find_hstate(m, &hs);
	if (ret != 0)
		return fail(m, "hvo_machine_hstate(2M)", ret);
	if (hs.nr != NR_HUGEPAGES || hs.optimized != NR_HUGEPAGES ||
	    hs.vmemmap_pages_freed_per_hugepage != 7) {
		fprintf(stderr,
			"consumer: 2M pool: nr=%llu optimized=%llu "
			"freed/hugepage=%llu, want %d, %d and 7\n",
			(unsigned long long)hs.nr,
			(unsigned long long)hs.optimized,
			(unsigned long long)hs.vmemmap_pages_freed_per_hugepage,
			NR_HUGEPAGES, NR_HUGEPAGES);
		hvo_machine_free(m);
		return 1;
	}
	ret = hvo_machine_check(m);
	if (ret != 0)
		return fail(m, "hvo_machine_check", ret);

	printf("consumer: libhvo %s: %s, %llu x %s optimized, "
	       "%llu vmemmap pages freed each, %llu bytes saved, check ok\n",
	       hvo_version(), SPEC, (unsigned long long)hs.optimized, hs.name,
	       (unsigned long long)hs.vmemmap_pages_freed_per_hugepage,
	       (unsigned long long)hs.saved_bytes);
	hvo_machine_free(m);
	return 0;
}
