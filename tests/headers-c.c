/* SPDX-License-Identifier: MIT */
/*
 * <hvo/hvo.h> stands alone in strict ISO C11 (-std=c11 -pedantic-errors):
 * nothing before it, nothing after it but uses of what it declares.
 */
#include <hvo/hvo.h>

int
main(void)
{
	struct hvo_config cfg;
	struct hvo_machine *m = NULL;
	struct hvo_geometry g;
	struct hvo_walk w;
	enum hvo_page_category c = HVO_PAGES_FREE;
	uint64_t n = 0;
	char err[256];

	if (hvo_config_parse(&cfg, "x86_64:mem=64M", err, sizeof(err)) != 0)
		return 1;
	if (hvo_machine_new(&cfg, &m, err, sizeof(err)) != 0)
		return 1;
	if (hvo_machine_geometry(m, &g) != 0 || g.levels > HVO_MAX_LEVELS)
		return 1;
	if (hvo_walk(m, g.vmemmap_base, &w) != 0 || !w.mapped)
		return 1;
	if (hvo_machine_pages(m, c, &n) != 0 || n == 0)
		return 1;
	if (hvo_machine_check(m) != 0)
		return 1;
	hvo_machine_free(m);
	return hvo_preset_count() > 0 && hvo_arch_name(HVO_ARCH_RISCV64) ? 0 : 1;
}
