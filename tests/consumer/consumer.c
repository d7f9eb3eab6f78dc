/* SPDX-License-Identifier: MIT */
/*
 * An outside program: built by tests/consumer/run.sh against an installed
 * libhvo with nothing but `pkg-config libhvo`. It boots a 1 GiB x86_64
 * machine, grows the 2 MiB pool to 4 hugepages and checks that all four
 * are optimized, 7 vmemmap pages freed each, and the machine consistent.
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

int
main(void)
{
	struct hvo_config cfg;
	struct hvo_machine *m = NULL;
	struct hvo_hstate_info hs;
	char err[256] = "";
	int ret;

	if (check_version() != 0)
		return 1;

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
