/* SPDX-License-Identifier: MIT */
/*
 * The public face of the MMU layer: argument checks, then the pt_* and k*
 * primitives.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mmu/mmu.h"

static pgprot_t
prot_of(const struct hvo_arch *a, enum hvo_prot prot)
{
	return prot == HVO_PROT_KERNEL_RO ? a->page_kernel_ro : a->page_kernel;
}

static bool
prot_valid(enum hvo_prot prot)
{
	return prot == HVO_PROT_KERNEL || prot == HVO_PROT_KERNEL_RO;
}

HVO_EXPORT int
hvo_walk(struct hvo_machine *m, kva_t va, struct hvo_walk *out)
{
	const struct hvo_arch *a;
	struct pt_walk w;

	if (!m)
		return -EINVAL;
	if (!out)
		return machine_err_null(m, __func__, "out");
	a = &m->arch;
	memset(out, 0, sizeof(*out));
	out->va = va;
	if (pt_walk(m, va, &w, true))
		return machine_err(m, -EINVAL,
				   "va 0x%" PRIx64 " is not a canonical kernel address for %u-bit VA",
				   va, a->va_bits);
	out->nr_levels = w.nr;
	for (unsigned d = 0; d < w.nr; d++) {
		struct hvo_walk_level *l = &out->level[d];

		l->name = a->level[d].name;
		l->shift = a->level[d].shift;
		l->index = w.lvl[d].index;
		l->table_pa = w.lvl[d].table_pa;
		l->entry_pa = w.lvl[d].entry_pa;
		l->entry = w.lvl[d].entry;
		l->valid = w.lvl[d].d.kind != PTK_NONE;
		l->leaf = w.lvl[d].d.kind == PTK_LEAF;
	}
	if (w.leaf >= 0) {
		const struct pt_decoded *d = &w.lvl[w.leaf].d;

		out->mapped = true;
		out->leaf_size = arch_level_size(a, (unsigned)w.leaf);
		out->pa = d->pa + (va & (out->leaf_size - 1));
		out->prot = d->prot;
		out->writable = d->writable;
	}
	return 0;
}

HVO_EXPORT int
hvo_entry_describe(const struct hvo_machine *m, unsigned level, uint64_t entry,
		   char *buf, size_t len)
{
	const struct hvo_arch *a;
	struct pt_decoded d;
	char bits[160];
	int n, rc;

	if (!m)
		return -EINVAL;
	if (!buf)
		return machine_err_null(m, __func__, "buf");
	if (!len)
		return machine_err_const(m, -EINVAL,
					 "len 0: buf must have room for the text and its NUL");
	if (level >= m->arch.levels)
		return machine_err_const(m, -EINVAL,
					 "level %u: this machine's levels are 0 (the top) to %u",
					 level, m->arch.levels - 1);
	a = &m->arch;
	d = pt_decode(m, level, entry);
	rc = a->ops.describe_bits(a, level, entry, bits, sizeof(bits));
	if (rc)
		return rc;
	switch (d.kind) {
	case PTK_NONE:
		n = snprintf(buf, len, "%s none", a->level[level].name);
		break;
	case PTK_TABLE:
		n = snprintf(buf, len, "%s table pa=0x%" PRIx64 " %s",
			     a->level[level].name, d.pa, bits);
		break;
	case PTK_LEAF:
		n = snprintf(buf, len, "%s %s pa=0x%" PRIx64 " %s",
			     a->level[level].name,
			     a->level[level].role == PT_PTE ? "page" : "block",
			     d.pa, bits);
		break;
	default:
		n = snprintf(buf, len, "%s malformed (%s) %s",
			     a->level[level].name, d.why, bits);
		break;
	}
	if (n < 0 || (size_t)n >= len)
		return machine_err_const(m, -ENOSPC,
					 "len %zu: buf is too small for the %d characters of the description",
					 len, n);
	return 0;
}

HVO_EXPORT int
hvo_map(struct hvo_machine *m, kva_t va, phys_addr_t pa, uint64_t size,
	enum hvo_prot prot)
{
	int depth;

	if (!m)
		return -EINVAL;
	if (!prot_valid(prot))
		return machine_err(m, -EINVAL, "prot %d: allowed are HVO_PROT_KERNEL and HVO_PROT_KERNEL_RO",
				   (int)prot);
	depth = pt_depth_for_size(&m->arch, size);
	if (depth < 0)
		return machine_err(m, -EINVAL,
				   "size 0x%" PRIx64 ": no leaf of that size on this machine; allowed are the level_leaf_size values of hvo_machine_geometry()",
				   size);
	return pt_map(m, va, pa, (unsigned)depth, prot_of(&m->arch, prot));
}

HVO_EXPORT int
hvo_unmap(struct hvo_machine *m, kva_t va)
{
	if (!m)
		return -EINVAL;
	return pt_unmap(m, va);
}

HVO_EXPORT int
hvo_split(struct hvo_machine *m, kva_t va)
{
	if (!m)
		return -EINVAL;
	return pt_split(m, va, true, 0);
}

HVO_EXPORT int
hvo_protect(struct hvo_machine *m, kva_t va, enum hvo_prot prot)
{
	if (!m)
		return -EINVAL;
	if (!prot_valid(prot))
		return machine_err(m, -EINVAL, "prot %d: allowed are HVO_PROT_KERNEL and HVO_PROT_KERNEL_RO",
				   (int)prot);
	return pt_protect(m, va, prot_of(&m->arch, prot));
}

HVO_EXPORT int
hvo_kread64(struct hvo_machine *m, kva_t va, uint64_t *val)
{
	if (!m)
		return -EINVAL;
	if (!val)
		return machine_err_null(m, __func__, "val");
	return kread64(m, va, val);
}

HVO_EXPORT int
hvo_kwrite64(struct hvo_machine *m, kva_t va, uint64_t val)
{
	if (!m)
		return -EINVAL;
	return kwrite64(m, va, val);
}

HVO_EXPORT int
hvo_flush_tlb_kernel_range(struct hvo_machine *m, kva_t start, kva_t end)
{
	if (!m)
		return -EINVAL;
	if (end < start)
		return machine_err(m, -EINVAL,
				   "flush range end 0x%" PRIx64 " is below its start 0x%" PRIx64,
				   end, start);
	flush_tlb_kernel_range(m, start, end);
	return 0;
}

HVO_EXPORT int
hvo_flush_tlb_all(struct hvo_machine *m)
{
	if (!m)
		return -EINVAL;
	flush_tlb_all(m);
	return 0;
}
