/* SPDX-License-Identifier: MIT */
/*
 * <hvo/hvo.h> in C++11: it must compile alone and link against the
 * installed shared library through its extern "C" block.
 */
#include <hvo/hvo.h>

int
main()
{
	hvo_config cfg;
	hvo_machine *m = nullptr;
	hvo_geometry g;
	uint64_t v = 0;
	char err[256];

	if (hvo_config_init(&cfg, HVO_ARCH_ARM64) != 0)
		return 1;
	if (hvo_config_parse(&cfg, "arm64-16k-48:mem=64M", err, sizeof(err)) != 0)
		return 1;
	if (hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		return 1;
	if (hvo_machine_geometry(m, &g) != 0 || g.page_size != 16384)
		return 1;
	if (hvo_kread64(m, g.vmemmap_base + g.struct_page_size *
			(cfg.mem[0].base >> g.page_shift), &v) != 0)
		return 1;
	if (hvo_machine_counter_get(m, "tlb.miss", &v) != 0 || v == 0)
		return 1;
	int rc = hvo_machine_check(m);
	hvo_machine_free(m);
	return rc == 0 && hvo_variant_name(HVO_VARIANT_SHAREDTAIL) ? 0 : 1;
}
