/* SPDX-License-Identifier: MIT */
/*
 * The public face of HugeTLB and HVO.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "hugetlb/hugetlb.h"

HVO_EXPORT int
hvo_machine_hstate(const struct hvo_machine *m, unsigned i,
		   struct hvo_hstate_info *out)
{
	const struct hstate *h;
	const char *why = NULL;

	if (!m)
		return -EINVAL;
	if (!out)
		return machine_err_null(m, __func__, "out");
	if (i >= m->hugetlb->nr_hstates)
		return machine_err_const(m, -ENOENT,
					 "hstate %u: this machine has %u hugepage sizes, 0..%u",
					 i, m->hugetlb->nr_hstates,
					 m->hugetlb->nr_hstates - 1);
	h = &m->hugetlb->hstates[i];
	memset(out, 0, sizeof(*out));
	out->size = h->size;
	out->order = h->order;
	out->name = h->name;
	out->nr = h->nr;
	out->free = h->free;
	out->resv = h->resv;
	out->surplus = h->surplus;
	out->nr_overcommit = h->nr_overcommit;
	out->max_huge_pages = h->max_huge_pages;
	out->optimized = h->optimized;
	out->vmemmap_pages_per_hugepage = h->vmemmap_pages;
	out->optimizable = hugetlb_vmemmap_optimizable(m, h, &why);
	if (m->hugetlb->hvo_variant == HVO_VARIANT_OFF && out->optimizable) {
		out->optimizable = false;
		why = HVO_REASON_OFF;
	}
	out->reason = why ? why : "";
	if (out->optimizable)
		out->vmemmap_pages_freed_per_hugepage =
			h->vmemmap_pages - variant_kept_pages(m->hugetlb->hvo_variant);
	out->vmemmap_bytes_per_hugepage =
		(h->size >> m->arch.page_shift) * m->cfg.struct_page_size;
	out->vmemmap_bytes_freed_per_hugepage =
		out->vmemmap_pages_freed_per_hugepage * m->arch.page_size;
	for (uint64_t k = 0; k < h->nr; k++) {
		enum hvo_variant v = h->pages[k].variant;

		if (v != HVO_VARIANT_OFF)
			out->saved_bytes += (h->vmemmap_pages - variant_kept_pages(v)) *
					    m->arch.page_size;
	}
	return 0;
}

/* Refuse a hugepage @size the machine lacks with @rc, listing its sizes. */
static int
no_such_size(const struct hvo_machine *m, int rc, uint64_t size)
{
	char sizes[128] = "";

	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++) {
		size_t used = strlen(sizes);

		snprintf(sizes + used, sizeof(sizes) - used, "%s%s", i ? ", " : "",
			 m->hugetlb->hstates[i].name);
	}
	return machine_err_const(m, rc,
				 "size %" PRIu64 ": this machine has no hugepages of that size; allowed are %s",
				 size, sizes);
}

HVO_EXPORT int
hvo_machine_hstate_by_size(const struct hvo_machine *m, uint64_t size,
			   struct hvo_hstate_info *out)
{
	if (!m)
		return -EINVAL;
	if (!out)
		return machine_err_null(m, __func__, "out");
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++)
		if (m->hugetlb->hstates[i].size == size)
			return hvo_machine_hstate(m, i, out);
	return no_such_size(m, -ENOENT, size);
}

static struct hstate *
hstate_or_err(struct hvo_machine *m, uint64_t size)
{
	struct hstate *h = size_to_hstate(m, size);

	if (!h)
		no_such_size(m, -EINVAL, size);
	return h;
}

HVO_EXPORT int
hvo_set_nr_hugepages(struct hvo_machine *m, uint64_t size, uint64_t nr)
{
	struct hstate *h;

	if (!m)
		return -EINVAL;
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	return machine_oops_take(m, set_max_huge_pages(m, h, nr, false));
}

HVO_EXPORT int
hvo_set_max_huge_pages(struct hvo_machine *m, uint64_t size, uint64_t nr)
{
	struct hstate *h;
	int rc;

	if (!m)
		return -EINVAL;
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	rc = machine_oops_take(m, set_max_huge_pages(m, h, nr, true));
	/* Like the kernel's sysfs write: running out of memory is not an error. */
	return rc == -ENOMEM || rc == -EBUSY ? 0 : rc;
}

HVO_EXPORT int
hvo_write_nr_hugepages(struct hvo_machine *m, uint64_t size, uint64_t nr)
{
	return hvo_set_max_huge_pages(m, size, nr);
}

HVO_EXPORT int
hvo_set_nr_overcommit_hugepages(struct hvo_machine *m, uint64_t size,
				uint64_t nr)
{
	struct hstate *h;

	if (!m)
		return -EINVAL;
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	/* nr_overcommit_hugepages_store(): gigantic pages are never surplus. */
	if (h->order > m->arch.max_page_order)
		return machine_err(m, -EINVAL,
				   "%s hugepages are gigantic: the kernel never allocates them as surplus pages, so it refuses an overcommit",
				   h->name);
	h->nr_overcommit = nr;
	return 0;
}

HVO_EXPORT int
hvo_hugetlb_reserve_pages(struct hvo_machine *m, uint64_t size, uint64_t nr)
{
	struct hstate *h;

	if (!m)
		return -EINVAL;
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	if (nr > INT64_MAX)
		return machine_err(m, -EINVAL, "nr %" PRIu64 ": too many to reserve",
				   nr);
	return machine_oops_take(m, hugetlb_acct_memory(m, h, (int64_t)nr));
}

HVO_EXPORT int
hvo_hugetlb_unreserve_pages(struct hvo_machine *m, uint64_t size, uint64_t nr)
{
	struct hstate *h;

	if (!m)
		return -EINVAL;
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	if (nr > h->resv)
		return machine_err(m, -EINVAL,
				   "unreserving %" PRIu64 " %s hugepages: only %" PRIu64 " are reserved",
				   nr, h->name, h->resv);
	return machine_oops_take(m, hugetlb_acct_memory(m, h, -(int64_t)nr));
}

HVO_EXPORT int
hvo_alloc_hugetlb_folio(struct hvo_machine *m, uint64_t size, bool reserved,
			pfn_t *pfn)
{
	struct huge_page *hp;
	struct hstate *h;
	int rc;

	if (!m)
		return -EINVAL;
	if (!pfn)
		return machine_err_null(m, __func__, "pfn");
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	rc = machine_oops_take(m, alloc_hugetlb_folio(m, h, reserved, &hp));
	if (!rc)
		*pfn = hp->pfn;
	return rc;
}

HVO_EXPORT int
hvo_hugepage_get(struct hvo_machine *m, uint64_t size, pfn_t *pfn)
{
	return hvo_alloc_hugetlb_folio(m, size, false, pfn);
}

static struct huge_page *
hugepage_or_err(struct hvo_machine *m, pfn_t pfn, struct hstate **h)
{
	struct huge_page *hp = find_huge_page(m, pfn, h);

	if (!hp)
		machine_err(m, -EINVAL, "pfn 0x%" PRIx64 " is not the head of a pool hugepage",
			    pfn);
	return hp;
}

HVO_EXPORT int
hvo_free_huge_folio(struct hvo_machine *m, pfn_t pfn)
{
	struct hstate *h;
	struct huge_page *hp;

	if (!m)
		return -EINVAL;
	hp = hugepage_or_err(m, pfn, &h);
	if (!hp)
		return -EINVAL;
	if (!hp->in_use)
		return machine_err(m, -EINVAL, "the %s hugepage at pfn 0x%" PRIx64 " is not in use",
				   h->name, pfn);
	return machine_oops_take(m, free_huge_folio(m, h, hp));
}

HVO_EXPORT int
hvo_hugepage_put(struct hvo_machine *m, pfn_t pfn)
{
	return hvo_free_huge_folio(m, pfn);
}

/* A pool hugepage that is free, for the vmemmap operations; or the error. */
static int
free_hugepage(struct hvo_machine *m, pfn_t pfn, struct hstate **h,
	      struct huge_page **hp)
{
	if (!m)
		return -EINVAL;
	*hp = hugepage_or_err(m, pfn, h);
	if (!*hp)
		return -EINVAL;
	if ((*hp)->in_use)
		return machine_err(m, -EBUSY, "the %s hugepage at pfn 0x%" PRIx64 " is in use",
				   (*h)->name, pfn);
	return 0;
}

HVO_EXPORT int
hvo_hugepage_optimize(struct hvo_machine *m, pfn_t pfn)
{
	struct hstate *h;
	struct huge_page *hp;
	const char *why;
	int rc = free_hugepage(m, pfn, &h, &hp);

	if (rc)
		return rc;
	if (hp->variant != HVO_VARIANT_OFF)
		return 0;
	if (m->hugetlb->hvo_variant == HVO_VARIANT_OFF)
		return machine_err(m, -EINVAL, "%s", HVO_REASON_OFF);
	if (!hugetlb_vmemmap_optimizable(m, h, &why))
		return machine_err(m, -EINVAL, "%s hugepages: %s", h->name, why);
	return machine_oops_take(m, hugetlb_vmemmap_optimize_folio(m, h, hp));
}

HVO_EXPORT int
hvo_hugepage_restore(struct hvo_machine *m, pfn_t pfn)
{
	struct hstate *h;
	struct huge_page *hp;
	int rc = free_hugepage(m, pfn, &h, &hp);

	if (rc)
		return rc;
	return machine_oops_take(m, hugetlb_restore_folio(m, h, hp));
}

HVO_EXPORT int
hvo_set_variant(struct hvo_machine *m, enum hvo_variant v)
{
	if (!m)
		return -EINVAL;
	if (!hvo_variant_name(v))
		return machine_err(m, -EINVAL, "variant %d: allowed are off, keep2, fakehead and sharedtail",
				   (int)v);
	/*
	 * The kernel a machine runs is fixed at boot: a 2026 kernel
	 * (booted with sharedtail) knows only sharedtail and off; an older
	 * one knows keep2, fakehead and off, and the pointer encoding.
	 */
	if (v == HVO_VARIANT_SHAREDTAIL && m->hvo_variant != HVO_VARIANT_SHAREDTAIL)
		return machine_err(m, -EINVAL,
				   "sharedtail is the 2026 kernel's and needs the mask encoding of compound_head; this machine booted an older kernel (pointer encoding): boot with hvo=sharedtail");
	if ((v == HVO_VARIANT_KEEP2 || v == HVO_VARIANT_FAKEHEAD) &&
	    m->hvo_variant == HVO_VARIANT_SHAREDTAIL)
		return machine_err(m, -EINVAL,
				   "%s is an older kernel's variant and needs the pointer encoding of compound_head; this machine booted the 2026 kernel (mask encoding): boot with hvo=%s",
				   hvo_variant_name(v), hvo_variant_name(v));
	m->hugetlb->hvo_variant = v;
	return 0;
}

HVO_EXPORT int
hvo_machine_hvo(const struct hvo_machine *m, enum hvo_variant *v,
		bool *enabled, const char **reason)
{
	if (!m)
		return -EINVAL;
	if (v)
		*v = m->hugetlb->hvo_variant;
	const char *why = hvo_disabled_reason(m);

	if (enabled)
		*enabled = why == NULL;
	if (reason)
		*reason = why ? why : "";
	return 0;
}

HVO_EXPORT int
hvo_machine_compound_encoding(const struct hvo_machine *m, bool *mask)
{
	if (!m)
		return -EINVAL;
	if (!mask)
		return machine_err_null(m, __func__, "mask");
	*mask = compound_info_has_mask(m);
	return 0;
}

HVO_EXPORT int
hvo_kpageflags(struct hvo_machine *m, pfn_t pfn, uint64_t *flags)
{
	if (!m)
		return -EINVAL;
	if (!flags)
		return machine_err_null(m, __func__, "flags");
	return machine_oops_take(m, stable_page_flags(m, pfn, flags));
}

HVO_EXPORT int
hvo_kpageflags_describe(uint64_t flags, char *buf, size_t len)
{
	/* include/uapi/linux/kernel-page-flags.h and KPF_RESERVED (32). */
	static const struct bitname names[] = {
		{ UINT64_C(1) << 0, "LOCKED" },
		{ UINT64_C(1) << 2, "REFERENCED" },
		{ UINT64_C(1) << 3, "UPTODATE" },
		{ UINT64_C(1) << 4, "DIRTY" },
		{ UINT64_C(1) << 5, "LRU" },
		{ UINT64_C(1) << 7, "SLAB" },
		{ UINT64_C(1) << 10, "BUDDY" },
		{ UINT64_C(1) << 15, "COMPOUND_HEAD" },
		{ UINT64_C(1) << 16, "COMPOUND_TAIL" },
		{ UINT64_C(1) << 17, "HUGE" },
		{ UINT64_C(1) << 19, "HWPOISON" },
		{ UINT64_C(1) << 20, "NOPAGE" },
		{ UINT64_C(1) << 26, "PGTABLE" },
		{ UINT64_C(1) << 32, "RESERVED" },
	};

	return describe_bitnames(flags, names, ARRAY_SIZE(names), buf, len);
}

HVO_EXPORT int
hvo_hugepage_pfn(struct hvo_machine *m, uint64_t size, uint64_t i,
		 pfn_t *pfn)
{
	struct hstate *h;

	if (!m)
		return -EINVAL;
	if (!pfn)
		return machine_err_null(m, __func__, "pfn");
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	if (i >= h->nr)
		return machine_err(m, -ENOENT,
				   "i %" PRIu64 ": the %s pool has %" PRIu64 " hugepages%s",
				   i, h->name, h->nr,
				   h->nr ? ", from 0" : "");
	*pfn = h->pages[i].pfn;
	return 0;
}

HVO_EXPORT int
hvo_fail_vmemmap(struct hvo_machine *m, enum hvo_fail_point point,
		 uint64_t nth, bool persistent)
{
	struct fail_attr *f;

	if (!m)
		return -EINVAL;
	switch (point) {
	case HVO_FAIL_VMEMMAP_PMD: f = &m->fail_vmemmap_pmd; break;
	case HVO_FAIL_VMEMMAP_PTE: f = &m->fail_vmemmap_pte; break;
	default:
		return machine_err(m, -EINVAL, "fail point %d: allowed are PMD and PTE",
				   (int)point);
	}
	f->nth = nth;
	f->persistent = persistent;
	f->calls = 0;
	return 0;
}

/*
 * Whether @h has the demote files: the release has them (5.16 on) and
 * @h a smaller size to demote to. @return 0 or the refusal, with a reason.
 */
static int
demote_files(const struct hvo_machine *m, const struct hstate *h)
{
	if (!kernel_get(m, RP_DEMOTE))
		return machine_err_const(m, -EOPNOTSUPP,
					 "kernel %s has no demote (hugepages-<size>kB/demote and demote_size exist from 5.16)",
					 m->release.name);
	if (!hstate_demote_order(m, h))
		return machine_err_const(m, -EINVAL,
					 "the %s hugepages cannot demote: this machine has no smaller hugepage size (the kernel creates no demote files for them)",
					 h->name);
	return 0;
}

HVO_EXPORT int
hvo_demote_size(const struct hvo_machine *m, uint64_t size,
		uint64_t *demote_size)
{
	const struct hstate *h = NULL;
	int rc;

	if (!m)
		return -EINVAL;
	if (!demote_size)
		return machine_err_null(m, __func__, "demote_size");
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++)
		if (m->hugetlb->hstates[i].size == size)
			h = &m->hugetlb->hstates[i];
	if (!h)
		return no_such_size(m, -EINVAL, size);
	rc = demote_files(m, h);
	if (rc)
		return rc;
	*demote_size = UINT64_C(1) << (hstate_demote_order(m, h) +
				       m->arch.page_shift);
	return 0;
}

HVO_EXPORT int
hvo_set_demote_size(struct hvo_machine *m, uint64_t size,
		    uint64_t demote_size)
{
	struct hstate *h;
	int rc;

	if (!m)
		return -EINVAL;
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	rc = demote_files(m, h);
	if (rc)
		return rc;
	return demote_size_store(m, h, demote_size);
}

HVO_EXPORT int
hvo_demote(struct hvo_machine *m, uint64_t size, uint64_t nr,
	   uint64_t *done)
{
	struct hstate *h;
	uint64_t n = 0;
	int rc;

	if (done)
		*done = 0;
	if (!m)
		return -EINVAL;
	h = hstate_or_err(m, size);
	if (!h)
		return -EINVAL;
	rc = demote_files(m, h);
	if (rc)
		return rc;
	rc = machine_oops_take(m, demote_store(m, h, nr, &n));
	if (done)
		*done = n;
	return rc;
}
