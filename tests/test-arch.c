/* SPDX-License-Identifier: MIT */
/*
 * The architecture descriptors against doc/KERNEL-FACTS.md: level
 * geometry, the kernel's constants and layout, entry encodings bit for bit,
 * decoding (including malformed entries), arm64's break-before-make rule and
 * x86's PAT bit.
 *
 * The expected values are written out by hand from the facts sheet (only
 * the vmemmap for struct page sizes other than 64 is worked out, from the
 * sheet's macros), never taken from the library, so that a wrong formula in
 * lib/arch/ shows up here as a wrong number. A check names the preset, the
 * level and the value, and a test reports every mismatch before it fails.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "arch/arch.h"
#include "base/util.h"

#define KB(x) ((uint64_t)(x) << 10)
#define MB(x) ((uint64_t)(x) << 20)
#define GB(x) ((uint64_t)(x) << 30)
#define BIT(n) (UINT64_C(1) << (n))

/* x86-64, doc/KERNEL-FACTS.md, "x86-64". */
#define X86_PAGE_KERNEL		UINT64_C(0x8000000000000163)
#define X86_PAGE_KERNEL_RO	UINT64_C(0x8000000000000121)
#define X86_PAGE_KERNEL_LARGE	UINT64_C(0x80000000000001e3)
#define X86_KERNPG_TABLE	UINT64_C(0x63)
#define X86_PSE			BIT(7)
#define X86_PAT			BIT(7)
#define X86_PAT_LARGE		BIT(12)

/*
 * arm64, doc/KERNEL-FACTS.md, "arm64". The presets run the newest release
 * on the modelled CPU, whose KPTI makes every kernel entry nG (bit 11);
 * LPA2 drops the SH bits. PROT_SECT_NORMAL, the vmemmap's block prot, is
 * kept in page form (bits[1:0] 0b11): PTE_WRITE (6.5 on) but no PTE_DIRTY.
 */
#define ARM64_PAGE_KERNEL	UINT64_C(0x00e8000000000f03)
#define ARM64_PAGE_KERNEL_RO	UINT64_C(0x00e0000000000f83)
#define ARM64_PAGE_KERNEL_LPA2	UINT64_C(0x00e8000000000c03)
#define ARM64_PAGE_KERNEL_RO_LPA2 UINT64_C(0x00e0000000000c83)
#define ARM64_SECT_NORMAL	UINT64_C(0x0068000000000f03)
#define ARM64_SECT_NORMAL_LPA2	UINT64_C(0x0068000000000c03)
#define ARM64_TABLE_BIT		BIT(1)
#define ARM64_PMD_TYPE_TABLE	UINT64_C(3)
#define ARM64_PMD_TABLE_UXN	BIT(60)
#define ARM64_ATTRINDX_MASK	(UINT64_C(7) << 2)
#define ARM64_AF		BIT(10)
#define ARM64_NG		BIT(11)
#define ARM64_CONT		BIT(52)
#define ARM64_PXN		BIT(53)
#define ARM64_UXN		BIT(54)
#define ARM64_SW_DIRTY		BIT(55)

/* riscv64, doc/KERNEL-FACTS.md, "riscv64". */
#define RV_PAGE_KERNEL		UINT64_C(0xe7)
#define RV_V			BIT(0)
#define RV_R			BIT(1)
#define RV_W			BIT(2)
#define RV_X			BIT(3)
#define RV_A			BIT(6)
#define RV_D			BIT(7)

/* How an arm64 descriptor holds the output address (doc/KERNEL-FACTS.md, "arm64"). */
enum oa_format {
	OA_PLAIN,   /* x86, riscv, arm64 with 48-bit PA */
	OA_LPA2,    /* 4K/16K with 52-bit PA: OA[51:50] in bits [9:8] */
	OA_LPA64K,  /* 64K with 52-bit PA: OA[51:48] in bits [15:12] */
};

struct arch_expect {
	const char *preset;
	enum hvo_arch_id id;
	unsigned page_shift;
	unsigned va_bits;
	unsigned levels;
	const char *names;   /* Linux level names, top first */
	unsigned shift[HVO_MAX_LEVELS];
	unsigned entries[HVO_MAX_LEVELS];
	bool leaf_ok[HVO_MAX_LEVELS];
	enum oa_format oa;
	uint64_t page_kernel;
	uint64_t page_kernel_ro;
	bool has_kernel_ro;
	uint64_t sect_normal;   /* the vmemmap's block prot, in page form */
	bool kernel_ng;         /* kernel entries are nG (arm64 KPTI) */
	uint64_t vmemmap_start; /* with a 64-byte struct page */
	unsigned tlb_flush_ceiling;
	unsigned max_page_order;
	unsigned pageblock_order;
	unsigned section_size_bits;
	unsigned max_physmem_bits;
	unsigned cont_ptes;
	unsigned cont_pmds;
	bool vmemmap_pmd_blocks;
	bool needs_bbm;
};

#define T true
#define F false

/*
 * One row per preset. Geometry: x86 table 1.1; arm64 tables 2.2 (shifts,
 * entries) and 2.3 (which levels take a block: level 0 only for 4K with LPA2,
 * level 1 for 4K, or for 16K with LPA2 and 64K with a 52-bit PA, level 2
 * always); riscv section 3 (a leaf at any level). Constants: sections 1.3-1.7,
 * 2.4-2.7, 3, 5 and 6.
 */
static const struct arch_expect expects[] = {
	{
		.preset = "x86_64-4l", .id = HVO_ARCH_X86_64,
		.page_shift = 12, .va_bits = 48, .levels = 4,
		.names = "pgd pud pmd pte",
		.shift = { 39, 30, 21, 12 },
		.entries = { 512, 512, 512, 512 },
		.leaf_ok = { F, T, T, T },
		.oa = OA_PLAIN,
		.page_kernel = X86_PAGE_KERNEL, .sect_normal = X86_PAGE_KERNEL,
		.page_kernel_ro = X86_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xffffea0000000000),
		.tlb_flush_ceiling = 33, .max_page_order = 10,
		.pageblock_order = 9, .section_size_bits = 27,
		.max_physmem_bits = 46, .cont_ptes = 0, .cont_pmds = 0,
		.vmemmap_pmd_blocks = true, .needs_bbm = false,
	},
	{
		.preset = "x86_64-5l", .id = HVO_ARCH_X86_64,
		.page_shift = 12, .va_bits = 57, .levels = 5,
		.names = "pgd p4d pud pmd pte",
		.shift = { 48, 39, 30, 21, 12 },
		.entries = { 512, 512, 512, 512, 512 },
		.leaf_ok = { F, F, T, T, T },
		.oa = OA_PLAIN,
		.page_kernel = X86_PAGE_KERNEL, .sect_normal = X86_PAGE_KERNEL,
		.page_kernel_ro = X86_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xffd4000000000000),
		.tlb_flush_ceiling = 33, .max_page_order = 10,
		.pageblock_order = 9, .section_size_bits = 27,
		.max_physmem_bits = 52, .cont_ptes = 0, .cont_pmds = 0,
		.vmemmap_pmd_blocks = true, .needs_bbm = false,
	},
	{
		.preset = "arm64-4k-39", .id = HVO_ARCH_ARM64,
		.page_shift = 12, .va_bits = 39, .levels = 3,
		.names = "pgd pmd pte",
		.shift = { 30, 21, 12 },
		.entries = { 512, 512, 512 },
		.leaf_ok = { T, T, T },
		.oa = OA_PLAIN,
		.page_kernel = ARM64_PAGE_KERNEL,
		.sect_normal = ARM64_SECT_NORMAL, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xfffffffec0000000),
		.tlb_flush_ceiling = 512, .max_page_order = 10,
		.pageblock_order = 9, .section_size_bits = 27,
		.max_physmem_bits = 48, .cont_ptes = 16, .cont_pmds = 16,
		.vmemmap_pmd_blocks = true, .needs_bbm = true,
	},
	{
		.preset = "arm64-4k-48", .id = HVO_ARCH_ARM64,
		.page_shift = 12, .va_bits = 48, .levels = 4,
		.names = "pgd pud pmd pte",
		.shift = { 39, 30, 21, 12 },
		.entries = { 512, 512, 512, 512 },
		.leaf_ok = { F, T, T, T },
		.oa = OA_PLAIN,
		.page_kernel = ARM64_PAGE_KERNEL,
		.sect_normal = ARM64_SECT_NORMAL, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xfffffdffc0000000),
		.tlb_flush_ceiling = 512, .max_page_order = 10,
		.pageblock_order = 9, .section_size_bits = 27,
		.max_physmem_bits = 48, .cont_ptes = 16, .cont_pmds = 16,
		.vmemmap_pmd_blocks = true, .needs_bbm = true,
	},
	{
		/* Level 0 takes a 512G block with LPA2 (doc/KERNEL-FACTS.md, "arm64"). */
		.preset = "arm64-4k-52", .id = HVO_ARCH_ARM64,
		.page_shift = 12, .va_bits = 52, .levels = 5,
		.names = "pgd p4d pud pmd pte",
		.shift = { 48, 39, 30, 21, 12 },
		.entries = { 16, 512, 512, 512, 512 },
		.leaf_ok = { F, T, T, T, T },
		.oa = OA_LPA2,
		.page_kernel = ARM64_PAGE_KERNEL_LPA2,
		.sect_normal = ARM64_SECT_NORMAL_LPA2, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO_LPA2,
		.has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xffffc1ffc0000000),
		.tlb_flush_ceiling = 512, .max_page_order = 10,
		.pageblock_order = 9, .section_size_bits = 27,
		.max_physmem_bits = 52, .cont_ptes = 16, .cont_pmds = 16,
		.vmemmap_pmd_blocks = true, .needs_bbm = true,
	},
	{
		.preset = "arm64-16k-47", .id = HVO_ARCH_ARM64,
		.page_shift = 14, .va_bits = 47, .levels = 3,
		.names = "pgd pmd pte",
		.shift = { 36, 25, 14 },
		.entries = { 2048, 2048, 2048 },
		.leaf_ok = { F, T, T },
		.oa = OA_PLAIN,
		.page_kernel = ARM64_PAGE_KERNEL,
		.sect_normal = ARM64_SECT_NORMAL, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xffffffbfc0000000),
		.tlb_flush_ceiling = 2048, .max_page_order = 11,
		.pageblock_order = 11, .section_size_bits = 27,
		.max_physmem_bits = 48, .cont_ptes = 128, .cont_pmds = 32,
		.vmemmap_pmd_blocks = false, .needs_bbm = true,
	},
	{
		/* Level 0 resolves VA bit 47 alone: 2 entries. */
		.preset = "arm64-16k-48", .id = HVO_ARCH_ARM64,
		.page_shift = 14, .va_bits = 48, .levels = 4,
		.names = "pgd pud pmd pte",
		.shift = { 47, 36, 25, 14 },
		.entries = { 2, 2048, 2048, 2048 },
		.leaf_ok = { F, F, T, T },
		.oa = OA_PLAIN,
		.page_kernel = ARM64_PAGE_KERNEL,
		.sect_normal = ARM64_SECT_NORMAL, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xffffff7fc0000000),
		.tlb_flush_ceiling = 2048, .max_page_order = 11,
		.pageblock_order = 11, .section_size_bits = 27,
		.max_physmem_bits = 48, .cont_ptes = 128, .cont_pmds = 32,
		.vmemmap_pmd_blocks = false, .needs_bbm = true,
	},
	{
		/* Level 1 takes a 64G block with LPA2. */
		.preset = "arm64-16k-52", .id = HVO_ARCH_ARM64,
		.page_shift = 14, .va_bits = 52, .levels = 4,
		.names = "pgd pud pmd pte",
		.shift = { 47, 36, 25, 14 },
		.entries = { 32, 2048, 2048, 2048 },
		.leaf_ok = { F, T, T, T },
		.oa = OA_LPA2,
		.page_kernel = ARM64_PAGE_KERNEL_LPA2,
		.sect_normal = ARM64_SECT_NORMAL_LPA2, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO_LPA2,
		.has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xfffff03fc0000000),
		.tlb_flush_ceiling = 2048, .max_page_order = 11,
		.pageblock_order = 11, .section_size_bits = 27,
		.max_physmem_bits = 52, .cont_ptes = 128, .cont_pmds = 32,
		.vmemmap_pmd_blocks = false, .needs_bbm = true,
	},
	{
		.preset = "arm64-64k-42", .id = HVO_ARCH_ARM64,
		.page_shift = 16, .va_bits = 42, .levels = 2,
		.names = "pgd pte",
		.shift = { 29, 16 },
		.entries = { 8192, 8192 },
		.leaf_ok = { T, T },
		.oa = OA_PLAIN,
		.page_kernel = ARM64_PAGE_KERNEL,
		.sect_normal = ARM64_SECT_NORMAL, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xffffffff40000000),
		.tlb_flush_ceiling = 8192, .max_page_order = 13,
		.pageblock_order = 13, .section_size_bits = 29,
		.max_physmem_bits = 48, .cont_ptes = 32, .cont_pmds = 32,
		.vmemmap_pmd_blocks = false, .needs_bbm = true,
	},
	{
		.preset = "arm64-64k-48", .id = HVO_ARCH_ARM64,
		.page_shift = 16, .va_bits = 48, .levels = 3,
		.names = "pgd pmd pte",
		.shift = { 42, 29, 16 },
		.entries = { 64, 8192, 8192 },
		.leaf_ok = { F, T, T },
		.oa = OA_PLAIN,
		.page_kernel = ARM64_PAGE_KERNEL,
		.sect_normal = ARM64_SECT_NORMAL, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xffffffdfc0000000),
		.tlb_flush_ceiling = 8192, .max_page_order = 13,
		.pageblock_order = 13, .section_size_bits = 29,
		.max_physmem_bits = 48, .cont_ptes = 32, .cont_pmds = 32,
		.vmemmap_pmd_blocks = false, .needs_bbm = true,
	},
	{
		/* FEAT_LPA, not LPA2: the SH bits stay; level 1 takes 4T. */
		.preset = "arm64-64k-52", .id = HVO_ARCH_ARM64,
		.page_shift = 16, .va_bits = 52, .levels = 3,
		.names = "pgd pmd pte",
		.shift = { 42, 29, 16 },
		.entries = { 1024, 8192, 8192 },
		.leaf_ok = { T, T, T },
		.oa = OA_LPA64K,
		.page_kernel = ARM64_PAGE_KERNEL,
		.sect_normal = ARM64_SECT_NORMAL, .kernel_ng = true,
		.page_kernel_ro = ARM64_PAGE_KERNEL_RO, .has_kernel_ro = true,
		.vmemmap_start = UINT64_C(0xfffffc1fc0000000),
		.tlb_flush_ceiling = 8192, .max_page_order = 13,
		.pageblock_order = 13, .section_size_bits = 29,
		.max_physmem_bits = 52, .cont_ptes = 32, .cont_pmds = 32,
		.vmemmap_pmd_blocks = false, .needs_bbm = true,
	},
	{
		.preset = "riscv64-sv39", .id = HVO_ARCH_RISCV64,
		.page_shift = 12, .va_bits = 39, .levels = 3,
		.names = "pgd pmd pte",
		.shift = { 30, 21, 12 },
		.entries = { 512, 512, 512 },
		.leaf_ok = { T, T, T },
		.oa = OA_PLAIN,
		.page_kernel = RV_PAGE_KERNEL, .sect_normal = RV_PAGE_KERNEL,
		.page_kernel_ro = RV_PAGE_KERNEL, .has_kernel_ro = false,
		.vmemmap_start = UINT64_C(0xffffffc500000000),
		.tlb_flush_ceiling = 64, .max_page_order = 10,
		.pageblock_order = 9, .section_size_bits = 27,
		.max_physmem_bits = 56, .cont_ptes = 16, .cont_pmds = 0,
		.vmemmap_pmd_blocks = true, .needs_bbm = false,
	},
	{
		.preset = "riscv64-sv48", .id = HVO_ARCH_RISCV64,
		.page_shift = 12, .va_bits = 48, .levels = 4,
		.names = "pgd pud pmd pte",
		.shift = { 39, 30, 21, 12 },
		.entries = { 512, 512, 512, 512 },
		.leaf_ok = { T, T, T, T },
		.oa = OA_PLAIN,
		.page_kernel = RV_PAGE_KERNEL, .sect_normal = RV_PAGE_KERNEL,
		.page_kernel_ro = RV_PAGE_KERNEL, .has_kernel_ro = false,
		.vmemmap_start = UINT64_C(0xffff8d8000000000),
		.tlb_flush_ceiling = 64, .max_page_order = 10,
		.pageblock_order = 9, .section_size_bits = 27,
		.max_physmem_bits = 56, .cont_ptes = 16, .cont_pmds = 0,
		.vmemmap_pmd_blocks = true, .needs_bbm = false,
	},
	{
		.preset = "riscv64-sv57", .id = HVO_ARCH_RISCV64,
		.page_shift = 12, .va_bits = 57, .levels = 5,
		.names = "pgd p4d pud pmd pte",
		.shift = { 48, 39, 30, 21, 12 },
		.entries = { 512, 512, 512, 512, 512 },
		.leaf_ok = { T, T, T, T, T },
		.oa = OA_PLAIN,
		.page_kernel = RV_PAGE_KERNEL, .sect_normal = RV_PAGE_KERNEL,
		.page_kernel_ro = RV_PAGE_KERNEL, .has_kernel_ro = false,
		.vmemmap_start = UINT64_C(0xff1c000000000000),
		.tlb_flush_ceiling = 64, .max_page_order = 10,
		.pageblock_order = 9, .section_size_bits = 27,
		.max_physmem_bits = 56, .cont_ptes = 16, .cont_pmds = 0,
		.vmemmap_pmd_blocks = true, .needs_bbm = false,
	},
};

#undef T
#undef F

/*
 * A checker that keeps going: every mismatch is printed with its preset and
 * what was compared, and the test fails once at the end, so one run shows
 * all that is wrong with a descriptor.
 */
struct ck {
	const char *preset;
	unsigned failed;
};

static void
ck_u64(struct ck *ck, uint64_t got, uint64_t want, const char *fmt, ...)
	HVO_PRINTF(4, 5);

static void
ck_u64(struct ck *ck, uint64_t got, uint64_t want, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (got == want)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	print_error("%s: %s: got 0x%" PRIx64 ", want 0x%" PRIx64 "\n",
		    ck->preset, what, got, want);
	ck->failed++;
}

static void
ck_str(struct ck *ck, const char *got, const char *want, const char *what)
{
	if (got && strcmp(got, want) == 0)
		return;
	print_error("%s: %s: got '%s', want '%s'\n", ck->preset, what,
		    got ? got : "(null)", want);
	ck->failed++;
}

static void
ck_done(struct ck *ck)
{
	assert_int_equal(ck->failed, 0);
}

static const struct arch_expect *
expect_of(const char *preset)
{
	for (size_t i = 0; i < ARRAY_SIZE(expects); i++)
		if (strcmp(expects[i].preset, preset) == 0)
			return &expects[i];
	return NULL;
}

/* The descriptor of a preset, optionally with extra keys, and its row. */
static const struct arch_expect *
load(size_t preset, const char *extra, struct hvo_arch *a)
{
	struct kernel_release rel;
	const char *name = hvo_preset_name(preset);
	const struct arch_expect *ex = expect_of(name);
	struct hvo_config cfg;
	char spec[256], err[512];
	int rc;

	if (!ex) {
		print_error("preset '%s' has no row in test-arch.c\n", name);
		fail();
	}
	snprintf(spec, sizeof(spec), "%s%s%s", name, extra ? ":" : "",
		 extra ? extra : "");
	rc = hvo_config_parse(&cfg, spec, err, sizeof(err));
	if (rc) {
		print_error("spec '%s': %s\n", spec, err);
		fail();
	}
	if (release_parse(cfg.kernel, &rel, err, sizeof(err))) {
		print_error("spec '%s': %s\n", spec, err);
		fail();
	}
	arch_init(a, &cfg, &rel);
	return ex;
}

static unsigned
pte_depth(const struct hvo_arch *a)
{
	return a->levels - 1;
}

static unsigned
pmd_depth(const struct hvo_arch *a)
{
	return a->levels - 2;
}

/* The Linux name of each level, joined with spaces. */
static void
join_names(const struct hvo_arch *a, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned d = 0; d < a->levels; d++) {
		strncat(buf, d ? " " : "", len - strlen(buf) - 1);
		strncat(buf, a->level[d].name ? a->level[d].name : "(null)",
			len - strlen(buf) - 1);
	}
}

/* Every preset has a row, and every row is a preset. */
static void
test_row(void **state)
{
	const char *name = hvo_preset_name(tu_preset_of(state));

	assert_int_equal(hvo_preset_count(), ARRAY_SIZE(expects));
	if (!expect_of(name))
		print_error("preset '%s' has no row in test-arch.c\n", name);
	assert_non_null(expect_of(name));
}

static void
test_geometry(void **state)
{
	struct hvo_arch a;
	const struct arch_expect *ex = load(tu_preset_of(state), NULL, &a);
	struct ck ck = { ex->preset, 0 };
	char names[64];

	ck_u64(&ck, a.id, ex->id, "arch id");
	ck_u64(&ck, a.page_shift, ex->page_shift, "page_shift");
	ck_u64(&ck, a.page_size, BIT(ex->page_shift), "page_size");
	ck_u64(&ck, a.va_bits, ex->va_bits, "va_bits");
	ck_u64(&ck, a.levels, ex->levels, "levels");
	assert_int_equal(ck.failed, 0); /* the rest indexes by level */
	join_names(&a, names, sizeof(names));
	ck_str(&ck, names, ex->names, "level names");
	for (unsigned d = 0; d < ex->levels; d++) {
		ck_u64(&ck, a.level[d].shift, ex->shift[d],
		       "level %u (%s) shift", d, a.level[d].name);
		ck_u64(&ck, a.level[d].entries, ex->entries[d],
		       "level %u (%s) entries", d, a.level[d].name);
		ck_u64(&ck, a.level[d].leaf_ok, ex->leaf_ok[d],
		       "level %u (%s) leaf_ok", d, a.level[d].name);
		/* Roles count from the bottom: the last level is the PTE. */
		ck_u64(&ck, a.level[d].role, ex->levels - 1 - d,
		       "level %u role", d);
	}
	/* The tables cover exactly va_bits: shift + index bits of the top. */
	ck_u64(&ck, BIT(ex->shift[0]) * ex->entries[0], BIT(ex->va_bits),
	       "top level span");
	ck_done(&ck);
}

static void
test_constants(void **state)
{
	struct hvo_arch a;
	const struct arch_expect *ex = load(tu_preset_of(state), NULL, &a);
	struct ck ck = { ex->preset, 0 };
	const uint64_t pageblock_pages = UINT64_C(1) << a.pageblock_order;

	ck_u64(&ck, a.page_kernel, ex->page_kernel, "PAGE_KERNEL");
	ck_u64(&ck, a.page_kernel_ro, ex->page_kernel_ro, "PAGE_KERNEL_RO");
	ck_u64(&ck, a.has_kernel_ro, ex->has_kernel_ro, "has_kernel_ro");
	ck_u64(&ck, a.sect_normal, ex->sect_normal,
	       "the vmemmap's block prot (page form)");
	ck_u64(&ck, a.kpti, ex->kernel_ng, "KPTI (kernel entries nG)");
	ck_u64(&ck, a.vmemmap_start, ex->vmemmap_start, "VMEMMAP_START");
	ck_u64(&ck, a.tlb_flush_ceiling, ex->tlb_flush_ceiling,
	       "TLB flush ceiling");
	ck_u64(&ck, a.max_page_order, ex->max_page_order, "MAX_PAGE_ORDER");
	ck_u64(&ck, a.pageblock_order, ex->pageblock_order, "pageblock_order");
	/*
	 * No zone ends inside a pageblock: free_unref_page() takes a run of
	 * frees' zone from the pageblock it looked up last.
	 */
	ck_u64(&ck, a.zone_dma_pfn & (pageblock_pages - 1), 0,
	       "ZONE_DMA's end inside a pageblock");
	ck_u64(&ck, a.zone_dma32_pfn & (pageblock_pages - 1), 0,
	       "ZONE_DMA32's end inside a pageblock");
	ck_u64(&ck, a.section_size_bits, ex->section_size_bits,
	       "SECTION_SIZE_BITS");
	ck_u64(&ck, a.max_physmem_bits, ex->max_physmem_bits,
	       "MAX_PHYSMEM_BITS");
	ck_u64(&ck, a.cont_ptes, ex->cont_ptes, "CONT_PTES");
	ck_u64(&ck, a.cont_pmds, ex->cont_pmds, "CONT_PMDS");
	ck_u64(&ck, a.vmemmap_pmd_blocks, ex->vmemmap_pmd_blocks,
	       "vmemmap mapped with PMD blocks");
	ck_u64(&ck, a.needs_bbm, ex->needs_bbm, "needs_bbm");
	/* The rule exists exactly where the architecture demands it. */
	ck_u64(&ck, a.ops.bbm_change_safe != NULL, ex->needs_bbm,
	       "ops.bbm_change_safe present");
	ck_u64(&ck, a.ops.mk_table != NULL && a.ops.mk_leaf != NULL &&
		    a.ops.decode != NULL && a.ops.describe_bits != NULL, 1,
	       "encode/decode ops present");
	/* MAX_PAGE_ORDER + PAGE_SHIFT <= SECTION_SIZE_BITS (doc/KERNEL-FACTS.md, "Buddy allocator"). */
	ck_u64(&ck, ex->max_page_order + ex->page_shift <= a.section_size_bits,
	       1, "a MAX_PAGE_ORDER block fits a section");
	ck_done(&ck);
}

/*
 * The same facts through the public API, from a booted machine: what a
 * program linked to libhvo sees.
 */
static void
test_machine_geometry(void **state)
{
	size_t p = tu_preset_of(state);
	const struct arch_expect *ex = expect_of(hvo_preset_name(p));
	struct hvo_machine *m;
	struct hvo_geometry g;
	struct ck ck = { hvo_preset_name(p), 0 };
	const struct hvo_config *cfg;
	uint64_t first;

	assert_non_null(ex);
	m = tu_preset_machine(p, "mem=64M");
	assert_int_equal(hvo_machine_geometry(m, &g), 0);
	ck_str(&ck, g.arch, hvo_arch_name(ex->id), "arch");
	ck_u64(&ck, g.page_size, BIT(ex->page_shift), "page_size");
	ck_u64(&ck, g.page_shift, ex->page_shift, "page_shift");
	ck_u64(&ck, g.va_bits, ex->va_bits, "va_bits");
	ck_u64(&ck, g.levels, ex->levels, "levels");
	for (unsigned d = 0; d < ex->levels && d < g.levels; d++) {
		ck_u64(&ck, g.level_shift[d], ex->shift[d],
		       "level %u shift", d);
		ck_u64(&ck, g.level_entries[d], ex->entries[d],
		       "level %u entries", d);
		ck_u64(&ck, g.level_leaf_size[d],
		       ex->leaf_ok[d] ? BIT(ex->shift[d]) : 0,
		       "level %u leaf size", d);
	}
	ck_str(&ck, g.level_name[g.levels - 1], "pte", "bottom level name");
	ck_str(&ck, g.level_name[0], "pgd", "top level name");
	ck_u64(&ck, g.struct_page_size, 64, "struct_page_size");
	ck_u64(&ck, g.mem_bytes, MB(64), "mem_bytes");
	ck_u64(&ck, g.vmemmap_start, ex->vmemmap_start, "vmemmap_start");
	ck_u64(&ck, g.max_page_order, ex->max_page_order, "max_page_order");
	ck_u64(&ck, g.section_size_bits, ex->section_size_bits,
	       "section_size_bits");
	ck_u64(&ck, g.tlb_flush_ceiling, ex->tlb_flush_ceiling,
	       "tlb_flush_ceiling");
	ck_u64(&ck, g.page_kernel, ex->page_kernel, "page_kernel");
	ck_u64(&ck, g.page_kernel_ro, ex->page_kernel_ro, "page_kernel_ro");
	ck_u64(&ck, g.has_kernel_ro, ex->has_kernel_ro, "has_kernel_ro");
	ck_u64(&ck, g.needs_bbm, ex->needs_bbm, "needs_bbm");
	{
		struct hvo_kernel_info k;

		assert_int_equal(hvo_machine_kernel(m, &k), 0);
		ck_u64(&ck, k.kpti, ex->kernel_ng, "hvo_kernel_info.kpti");
	}
	/* The first pfn of RAM has its struct page inside the vmemmap. */
	cfg = hvo_machine_config(m);
	first = g.vmemmap_base +
		(cfg->mem[0].base >> ex->page_shift) * g.struct_page_size;
	ck_u64(&ck, first >= g.vmemmap_start, 1,
	       "struct page of the first RAM pfn (0x%" PRIx64
	       ") at or above vmemmap_start", first);
	tu_assert_check(m);
	hvo_machine_free(m);
	ck_done(&ck);
}

/*
 * VMEMMAP_START moves with sizeof(struct page): on arm64 the region is
 * (VA range >> PAGE_SHIFT) * sizeof(struct page) below -1G (doc/KERNEL-FACTS.md, "arm64");
 * on riscv it is 2^(VA_BITS - PAGE_SHIFT - 1 + order_base_2(size)) below
 * VMALLOC_START (section 3); x86 keeps its fixed base (1.4).
 */
static void
test_vmemmap_with_struct_page(void **state)
{
	static const unsigned sizes[] = { 64, 80, 128, 256 };
	size_t p = tu_preset_of(state);
	const struct arch_expect *ex = expect_of(hvo_preset_name(p));
	struct ck ck = { hvo_preset_name(p), 0 };

	assert_non_null(ex);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned sp = sizes[i];
		char extra[64];
		struct hvo_arch a;
		uint64_t want = 0;

		snprintf(extra, sizeof(extra), "struct_page=%u", sp);
		load(p, extra, &a);
		switch (ex->id) {
		case HVO_ARCH_X86_64:
			want = ex->vmemmap_start;
			break;
		case HVO_ARCH_ARM64: {
			uint64_t end = -GB(1);
			uint64_t size64 = end - ex->vmemmap_start;

			want = end - size64 / 64 * sp;
			break;
		}
		case HVO_ARCH_RISCV64: {
			unsigned base = ex->va_bits - ex->page_shift - 1;
			unsigned order = sp <= 64 ? 6 : sp <= 128 ? 7 : 8;
			uint64_t end = ex->vmemmap_start + BIT(base + 6);

			want = end - BIT(base + order);
			break;
		}
		default:
			fail();
		}
		ck_u64(&ck, a.vmemmap_start, want,
		       "VMEMMAP_START with struct_page=%u", sp);
	}
	ck_done(&ck);
}

/* The entry the facts give for a table pointing at @pa. */
static uint64_t
want_table(const struct arch_expect *ex, uint64_t pa)
{
	switch (ex->id) {
	case HVO_ARCH_X86_64:
		return pa | X86_KERNPG_TABLE;
	case HVO_ARCH_ARM64:
		/* pmd_populate_kernel(): PMD_TYPE_TABLE | PMD_TABLE_UXN */
		return pa | ARM64_PMD_TYPE_TABLE | ARM64_PMD_TABLE_UXN;
	case HVO_ARCH_RISCV64:
		return ((pa >> 12) << 10) | RV_V;
	}
	return 0;
}

/* A PA with bits in every part of the OA field, aligned to @size. */
static uint64_t
pa_for(uint64_t size)
{
	return 3 * size;
}

static void
test_encode(void **state)
{
	struct hvo_arch a;
	const struct arch_expect *ex = load(tu_preset_of(state), NULL, &a);
	struct ck ck = { ex->preset, 0 };
	unsigned pte = pte_depth(&a), pmd = pmd_depth(&a);
	uint64_t pk = ex->page_kernel, ro = ex->page_kernel_ro;

	assert_int_equal(a.levels, ex->levels);
	/* Tables: every level above the PTE. */
	for (unsigned d = 0; d < pte; d++) {
		uint64_t pa = UINT64_C(0x12345) << ex->page_shift;

		ck_u64(&ck, a.ops.mk_table(&a, d, pa), want_table(ex, pa),
		       "level %u table to 0x%" PRIx64, d, pa);
	}

	/* Leaves where the facts allow them, with both protections. */
	for (unsigned d = 0; d < ex->levels; d++) {
		uint64_t size = BIT(ex->shift[d]);
		uint64_t pa = pa_for(size);
		const pgprot_t prots[] = { pk, ro };

		if (!ex->leaf_ok[d])
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(prots); i++) {
			pgprot_t prot = prots[i];
			uint64_t want = 0;

			switch (ex->id) {
			case HVO_ARCH_X86_64:
				/* PS set; PAT is clear in both prots. */
				want = pa | prot | (d == pte ? 0 : X86_PSE);
				break;
			case HVO_ARCH_ARM64:
				/* A block is a page with bit 1 clear. */
				want = pa | (d == pte ? prot
						      : prot & ~ARM64_TABLE_BIT);
				break;
			case HVO_ARCH_RISCV64:
				want = ((pa >> 12) << 10) | prot;
				break;
			}
			ck_u64(&ck, a.ops.mk_leaf(&a, d, pa, prot), want,
			       "level %u leaf to 0x%" PRIx64 " with %s", d, pa,
			       i ? "PAGE_KERNEL_RO" : "PAGE_KERNEL");
		}
	}

	/* The literal values of the facts sheet. */
	switch (ex->id) {
	case HVO_ARCH_X86_64:
		ck_u64(&ck, a.ops.mk_leaf(&a, pte, 0x5000, pk),
		       UINT64_C(0x8000000000005163), "4K PTE, PAGE_KERNEL");
		ck_u64(&ck, a.ops.mk_leaf(&a, pte, 0x5000, ro),
		       UINT64_C(0x8000000000005121), "4K PTE, PAGE_KERNEL_RO");
		ck_u64(&ck, a.ops.mk_leaf(&a, pmd, MB(6), pk),
		       X86_PAGE_KERNEL_LARGE | MB(6), "2M leaf, PAGE_KERNEL");
		ck_u64(&ck, a.ops.mk_leaf(&a, pmd - 1, GB(3), pk),
		       X86_PAGE_KERNEL_LARGE | GB(3), "1G leaf, PAGE_KERNEL");
		/* vmemmap_set_pmd() writes PAGE_KERNEL_LARGE
		 * (L6.12 arch/x86/mm/init_64.c:1519-1526). */
		ck_u64(&ck, a.ops.mk_leaf(&a, pmd, MB(6), a.sect_normal),
		       X86_PAGE_KERNEL_LARGE | MB(6), "2M vmemmap block");
		ck_u64(&ck, a.ops.mk_table(&a, 0, 0x7000), UINT64_C(0x7063),
		       "_KERNPG_TABLE");
		break;
	case HVO_ARCH_ARM64: {
		bool lpa2 = ex->oa == OA_LPA2;
		uint64_t blk = lpa2 ? UINT64_C(0x00e8000000000c01)
				    : UINT64_C(0x00e8000000000f01);
		/* PROT_SECT_NORMAL (L6.12 pgtable-prot.h:41, :50): nG, no
		 * PTE_DIRTY. */
		uint64_t sect = lpa2 ? UINT64_C(0x0068000000000c01)
				     : UINT64_C(0x0068000000000f01);
		uint64_t pa = BIT(ex->shift[pmd]) * 5;

		ck_u64(&ck, a.ops.mk_leaf(&a, pmd, pa, pk), pa | blk,
		       "PMD block, PAGE_KERNEL");
		ck_u64(&ck, a.ops.mk_leaf(&a, pmd, pa, a.sect_normal),
		       pa | sect, "PMD block, PROT_SECT_NORMAL");
		ck_u64(&ck, a.ops.mk_table(&a, pmd, 0x40000000),
		       UINT64_C(0x1000000040000003), "PMD table");
		break;
	}
	case HVO_ARCH_RISCV64:
		ck_u64(&ck, a.ops.mk_leaf(&a, pte, 0x80005000, pk),
		       UINT64_C(0x200014e7), "4K PTE, PAGE_KERNEL");
		ck_u64(&ck, a.ops.mk_leaf(&a, pmd, 0x80200000, pk),
		       UINT64_C(0x200800e7), "2M leaf, PAGE_KERNEL");
		/* vmemmap_set_pmd(): PAGE_KERNEL (L6.12
		 * arch/riscv/mm/init.c:1461-1465). */
		ck_u64(&ck, a.ops.mk_leaf(&a, pmd, 0x80200000, a.sect_normal),
		       UINT64_C(0x200800e7), "2M vmemmap block");
		ck_u64(&ck, a.ops.mk_table(&a, pmd, 0x80003000),
		       UINT64_C(0x20000c01), "table");
		break;
	}
	ck_done(&ck);
}

/* The entry the facts give for a leaf at the top of the PA space. */
static void
check_wide_pa(struct ck *ck, const struct hvo_arch *a,
	      const struct arch_expect *ex, unsigned d, uint64_t pa,
	      uint64_t want_oa)
{
	struct pt_decoded dec;
	uint64_t e = a->ops.mk_leaf(a, d, pa, ex->page_kernel);
	uint64_t want = want_oa | (d == pte_depth(a) || ex->id != HVO_ARCH_ARM64 ?
				   ex->page_kernel :
				   ex->page_kernel & ~ARM64_TABLE_BIT);

	if (ex->id == HVO_ARCH_X86_64 && d != pte_depth(a))
		want |= X86_PSE;
	ck_u64(ck, e, want, "level %u leaf to pa 0x%" PRIx64, d, pa);
	a->ops.decode(a, d, e, &dec);
	ck_u64(ck, dec.kind, PTK_LEAF, "level %u leaf to pa 0x%" PRIx64
	       " decodes as a leaf", d, pa);
	ck_u64(ck, dec.pa, pa, "level %u leaf: decoded pa", d);

	e = a->ops.mk_table(a, d, pa);
	a->ops.decode(a, d, e, &dec);
	if (d != pte_depth(a)) {
		ck_u64(ck, dec.kind, PTK_TABLE, "level %u table to 0x%" PRIx64
		       " decodes as a table", d, pa);
		ck_u64(ck, dec.pa, pa, "level %u table: decoded pa", d);
	}
}

/*
 * Output addresses near the top of each arch's PA space: x86 MAXPHYADDR 52
 * (PTE_PFN_MASK), riscv a 44-bit PPN, arm64 48 bits, or 52 with OA[51:50] in
 * bits [9:8] (LPA2) or OA[51:48] in bits [15:12] (64K, FEAT_LPA).
 */
static void
test_wide_pa(void **state)
{
	struct hvo_arch a;
	const struct arch_expect *ex = load(tu_preset_of(state), NULL, &a);
	struct ck ck = { ex->preset, 0 };
	unsigned pte = pte_depth(&a), pmd = pmd_depth(&a);
	uint64_t pg = BIT(ex->page_shift);

	switch (ex->id) {
	case HVO_ARCH_X86_64:
		check_wide_pa(&ck, &a, ex, pte, UINT64_C(0x000ffffffffff000),
			      UINT64_C(0x000ffffffffff000));
		check_wide_pa(&ck, &a, ex, pmd, UINT64_C(0x000fffffffe00000),
			      UINT64_C(0x000fffffffe00000));
		break;
	case HVO_ARCH_RISCV64: {
		uint64_t pa = BIT(56) - pg;

		check_wide_pa(&ck, &a, ex, pte, pa, (pa >> 12) << 10);
		pa = BIT(56) - MB(2);
		check_wide_pa(&ck, &a, ex, pmd, pa, (pa >> 12) << 10);
		break;
	}
	case HVO_ARCH_ARM64:
		switch (ex->oa) {
		case OA_PLAIN: {
			uint64_t pa = BIT(48) - pg;

			check_wide_pa(&ck, &a, ex, pte, pa, pa);
			break;
		}
		case OA_LPA2: {
			uint64_t pa = BIT(51) | BIT(50) | BIT(49) | (5 * pg);

			check_wide_pa(&ck, &a, ex, pte, pa,
				      BIT(49) | (5 * pg) | (UINT64_C(3) << 8));
			pa = BIT(50) | (7 * pg);
			check_wide_pa(&ck, &a, ex, pte, pa,
				      (7 * pg) | (UINT64_C(1) << 8));
			break;
		}
		case OA_LPA64K: {
			uint64_t pa = (UINT64_C(0xa) << 48) | (7 * pg);

			check_wide_pa(&ck, &a, ex, pte, pa,
				      (7 * pg) | (UINT64_C(0xa) << 12));
			break;
		}
		}
		break;
	}
	ck_done(&ck);
}

/* mk_* then decode gives back the kind, the address and the permissions. */
static void
test_roundtrip(void **state)
{
	struct hvo_arch a;
	const struct arch_expect *ex = load(tu_preset_of(state), NULL, &a);
	struct ck ck = { ex->preset, 0 };
	unsigned pte = pte_depth(&a);

	assert_int_equal(a.levels, ex->levels);
	for (unsigned d = 0; d < a.levels; d++) {
		struct pt_decoded dec;
		uint64_t size = BIT(ex->shift[d]);
		uint64_t pa = pa_for(size);
		const pgprot_t prots[] = { ex->page_kernel, ex->page_kernel_ro };

		a.ops.decode(&a, d, 0, &dec);
		ck_u64(&ck, dec.kind, PTK_NONE, "level %u: 0 is not valid", d);

		if (d != pte) {
			uint64_t tpa = UINT64_C(0x2468) << ex->page_shift;

			a.ops.decode(&a, d, a.ops.mk_table(&a, d, tpa), &dec);
			ck_u64(&ck, dec.kind, PTK_TABLE, "level %u table kind", d);
			ck_u64(&ck, dec.pa, tpa, "level %u table pa", d);
		}
		/*
		 * Only where the facts and the descriptor agree that a leaf
		 * may sit; test_geometry reports where they do not.
		 */
		if (!ex->leaf_ok[d] || !a.level[d].leaf_ok)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(prots); i++) {
			bool want_w = i == 0 || !ex->has_kernel_ro;
			const char *pn = i ? "RO" : "RW";
			uint64_t e = a.ops.mk_leaf(&a, d, pa, prots[i]);

			a.ops.decode(&a, d, e, &dec);
			ck_u64(&ck, dec.kind, PTK_LEAF, "level %u %s leaf kind",
			       d, pn);
			ck_u64(&ck, dec.pa, pa, "level %u %s leaf pa", d, pn);
			ck_u64(&ck, dec.writable, want_w,
			       "level %u %s leaf writable", d, pn);
			ck_u64(&ck, dec.global, !ex->kernel_ng,
			       "level %u %s leaf global", d, pn);
			/* The prot comes back in its 4K-page form. */
			ck_u64(&ck, dec.prot, prots[i], "level %u %s leaf prot",
			       d, pn);
			if (dec.kind == PTK_BAD)
				print_error("  why: %s\n", dec.why);
		}
	}
	/* A mapping of pa 0 is still a mapping. */
	{
		struct pt_decoded dec;

		a.ops.decode(&a, pte, a.ops.mk_leaf(&a, pte, 0, ex->page_kernel),
			     &dec);
		ck_u64(&ck, dec.kind, PTK_LEAF, "PTE mapping pa 0");
		ck_u64(&ck, dec.pa, 0, "PTE mapping pa 0: pa");
	}
	/*
	 * pte_pa(), pte_pfn()'s shortcut (decode() itself where the arch has
	 * none), answers as decode() does: an entry not present, and leaves
	 * RW and RO.
	 */
	{
		uint64_t pa = pa_for(BIT(ex->shift[pte]));
		const uint64_t es[] = {
			0,
			a.ops.mk_leaf(&a, pte, pa, ex->page_kernel) & ~UINT64_C(1),
			a.ops.mk_leaf(&a, pte, pa, ex->page_kernel),
			a.ops.mk_leaf(&a, pte, pa, ex->page_kernel_ro),
		};

		for (size_t i = 0; i < ARRAY_SIZE(es); i++) {
			struct pt_decoded dec;

			a.ops.decode(&a, pte, es[i], &dec);
			ck_u64(&ck, a.ops.pte_pa(&a, es[i]), dec.pa,
			       "pte_pa() of entry %zu", i);
		}
		ck_u64(&ck, a.ops.pte_pa(&a, es[2]), pa, "pte_pa() of a leaf");
	}
	/*
	 * arch_decode(), decode() inline for a PTE where the arch allows it,
	 * gives decode()'s every field: for entries not present, leaves RW
	 * and RO, and an entry of the level above.
	 */
	{
		uint64_t pa = pa_for(BIT(ex->shift[pte]));
		const uint64_t es[] = {
			0,
			a.ops.mk_leaf(&a, pte, pa, ex->page_kernel) & ~UINT64_C(1),
			a.ops.mk_leaf(&a, pte, pa, ex->page_kernel),
			a.ops.mk_leaf(&a, pte, pa, ex->page_kernel_ro),
		};

		for (unsigned d = pte ? pte - 1 : pte; d <= pte; d++)
			for (size_t i = 0; i < ARRAY_SIZE(es); i++) {
				struct pt_decoded want, got;
				uint64_t e = d == pte ? es[i] :
					     a.ops.mk_table(&a, d, pa);

				a.ops.decode(&a, d, e, &want);
				arch_decode(&a, d, e, &got);
				ck_u64(&ck, got.kind, want.kind,
				       "arch_decode() at level %u of entry %zu: kind", d, i);
				ck_u64(&ck, got.pa, want.pa,
				       "arch_decode() at level %u of entry %zu: pa", d, i);
				ck_u64(&ck, got.prot, want.prot,
				       "arch_decode() at level %u of entry %zu: prot", d, i);
				ck_u64(&ck, got.writable, want.writable,
				       "arch_decode() at level %u of entry %zu: writable", d, i);
				ck_u64(&ck, got.global, want.global,
				       "arch_decode() at level %u of entry %zu: global", d, i);
				ck_u64(&ck, got.why == want.why, 1,
				       "arch_decode() at level %u of entry %zu: why", d, i);
			}
	}
	ck_done(&ck);
}

/* Decoding @e at @d must say PTK_BAD, with a reason. */
static void
want_bad(struct ck *ck, const struct hvo_arch *a, unsigned d, uint64_t e,
	 const char *what)
{
	struct pt_decoded dec;

	a->ops.decode(a, d, e, &dec);
	ck_u64(ck, dec.kind, PTK_BAD, "%s (level %u, entry 0x%" PRIx64 ")",
	       what, d, e);
	if (dec.kind == PTK_BAD && (!dec.why || !*dec.why)) {
		print_error("%s: %s: PTK_BAD without a reason\n", ck->preset,
			    what);
		ck->failed++;
	}
}

static void
want_leaf(struct ck *ck, const struct hvo_arch *a, unsigned d, uint64_t e,
	  uint64_t pa, const char *what)
{
	struct pt_decoded dec;

	a->ops.decode(a, d, e, &dec);
	ck_u64(ck, dec.kind, PTK_LEAF, "%s (level %u, entry 0x%" PRIx64 ")",
	       what, d, e);
	ck_u64(ck, dec.pa, pa, "%s: pa", what);
}

static void
malformed_x86(struct ck *ck, const struct hvo_arch *a)
{
	unsigned pmd = pmd_depth(a), pud = pmd - 1;
	uint64_t pk = a->page_kernel;

	/* PS is reserved in the PML4E and PML5E (doc/KERNEL-FACTS.md, "x86-64"). */
	for (unsigned d = 0; d < pud; d++)
		want_bad(ck, a, d, a->ops.mk_table(a, d, 0x7000) | X86_PSE,
			 "PS set above the PUD");
	/* Bits 20:13 of a 2M leaf and 29:13 of a 1G leaf are reserved. */
	want_bad(ck, a, pmd, a->ops.mk_leaf(a, pmd, MB(6), pk) | BIT(13),
		 "2M leaf with bit 13 set");
	want_bad(ck, a, pmd, a->ops.mk_leaf(a, pmd, MB(6), pk) | BIT(20),
		 "2M leaf with bit 20 set");
	want_bad(ck, a, pud, a->ops.mk_leaf(a, pud, GB(3), pk) | BIT(29),
		 "1G leaf with bit 29 set");
	want_bad(ck, a, pud, a->ops.mk_leaf(a, pud, GB(3), pk) | BIT(21),
		 "1G leaf with bit 21 set");
	/* Bit 12 of a large leaf is PAT, not a reserved bit. */
	want_leaf(ck, a, pmd, a->ops.mk_leaf(a, pmd, MB(6), pk) | BIT(12),
		  MB(6), "2M leaf with PAT (bit 12)");
	/* Not present is not valid, whatever else is set. */
	{
		struct pt_decoded dec;

		a->ops.decode(a, pmd, (pk | MB(6)) & ~UINT64_C(1), &dec);
		ck_u64(ck, dec.kind, PTK_NONE, "P=0 with other bits");
	}
}

static void
malformed_arm64(struct ck *ck, const struct hvo_arch *a,
		const struct arch_expect *ex)
{
	unsigned pte = pte_depth(a), pmd = pmd_depth(a);
	uint64_t pk = a->page_kernel;
	uint64_t blk = pk & ~ARM64_TABLE_BIT;

	/* bits[1:0] = 01 is reserved at level 3 (doc/KERNEL-FACTS.md, "arm64"). */
	want_bad(ck, a, pte, (UINT64_C(5) << ex->page_shift) | blk,
		 "type 0b01 at level 3");
	/* A block where the granule and PA size allow none. */
	for (unsigned d = 0; d < pte; d++) {
		if (ex->leaf_ok[d])
			continue;
		want_bad(ck, a, d, blk, "block at a level without blocks");
	}
	/* RES0 bits between bit 17 and the block's size. */
	want_bad(ck, a, pmd,
		 a->ops.mk_leaf(a, pmd, 3 * BIT(ex->shift[pmd]), pk) |
		 BIT(ex->shift[pmd] - 1), "PMD block with a RES0 bit set");
	/* bit 0 clear: invalid, whatever else is set. */
	{
		struct pt_decoded dec;

		a->ops.decode(a, pte, (UINT64_C(5) << ex->page_shift) |
				      (pk & ~UINT64_C(1)), &dec);
		ck_u64(ck, dec.kind, PTK_NONE, "bit 0 clear");
	}
}

static void
malformed_riscv(struct ck *ck, const struct hvo_arch *a)
{
	unsigned pte = pte_depth(a), pmd = pmd_depth(a), pud = pmd - 1;
	uint64_t ppn5 = (UINT64_C(0x80005000) >> 12) << 10;
	uint64_t leaf = a->ops.mk_leaf(a, pte, 0x80005000, a->page_kernel);

	/* W=1 with R=0 is reserved, with or without X. */
	want_bad(ck, a, pte, ppn5 | RV_V | RV_W | RV_A | RV_D, "W=1 R=0");
	want_bad(ck, a, pte, ppn5 | RV_V | RV_W | RV_X | RV_A | RV_D,
		 "W=1 X=1 R=0");
	want_bad(ck, a, pmd, ppn5 | RV_V | RV_W | RV_A | RV_D,
		 "W=1 R=0 at the PMD");
	/* A superpage's low PPN bits must be zero. */
	want_bad(ck, a, pmd,
		 ((UINT64_C(0x80201000) >> 12) << 10) | a->page_kernel,
		 "2M leaf at a 4K-aligned pa");
	want_bad(ck, a, pud,
		 ((UINT64_C(0x80200000) >> 12) << 10) | a->page_kernel,
		 "1G leaf at a 2M-aligned pa");
	/* Bits 60:54 are reserved, in leaves and in tables. */
	want_bad(ck, a, pte, leaf | BIT(54), "leaf with bit 54 set");
	want_bad(ck, a, pte, leaf | BIT(60), "leaf with bit 60 set");
	want_bad(ck, a, pmd, a->ops.mk_table(a, pmd, 0x80003000) | BIT(57),
		 "table with bit 57 set");
	/* V=0: invalid. */
	{
		struct pt_decoded dec;

		a->ops.decode(a, pte, leaf & ~RV_V, &dec);
		ck_u64(ck, dec.kind, PTK_NONE, "V=0 with other bits");
	}
}

static void
test_malformed(void **state)
{
	struct hvo_arch a;
	const struct arch_expect *ex = load(tu_preset_of(state), NULL, &a);
	struct ck ck = { ex->preset, 0 };

	assert_int_equal(a.levels, ex->levels);
	switch (ex->id) {
	case HVO_ARCH_X86_64:
		malformed_x86(&ck, &a);
		break;
	case HVO_ARCH_ARM64:
		malformed_arm64(&ck, &a, ex);
		break;
	case HVO_ARCH_RISCV64:
		malformed_riscv(&ck, &a);
		break;
	}
	ck_done(&ck);
}

struct bbm_case {
	const char *what;
	uint64_t old;
	uint64_t new_entry;
	bool safe;
};

/*
 * pgattr_change_is_safe() as doc/KERNEL-FACTS.md ("arm64", "Break-before-make") states it: always safe when
 * either side is invalid; otherwise the pfn must stay, no CONT on either
 * side, no nG->G, and only PXN, RDONLY, WRITE, nG and the software bits may
 * change (plus Normal <-> Normal-Tagged).
 */
static void
bbm_cases_at(struct ck *ck, const struct hvo_arch *a, unsigned d)
{
	uint64_t size = d == pte_depth(a) ? a->page_size :
					    arch_level_size(a, d);
	uint64_t pa = 5 * size, pb = 6 * size;
	uint64_t pk = a->ops.mk_leaf(a, d, pa, a->page_kernel);
	uint64_t ro = a->ops.mk_leaf(a, d, pa, a->page_kernel_ro);
	uint64_t pk_b = a->ops.mk_leaf(a, d, pb, a->page_kernel);
	uint64_t ro_b = a->ops.mk_leaf(a, d, pb, a->page_kernel_ro);
	uint64_t attr = pk & ~ARM64_ATTRINDX_MASK;
	uint64_t pk_g = pk & ~ARM64_NG, pk_ng = pk | ARM64_NG;
	const struct bbm_case cases[] = {
		{ "identical", pk, pk, true },
		{ "new output address", pk, pk_b, false },
		{ "new output address, RW to RO (HVO's remap)", pk, ro_b,
		  false },
		{ "new output address, RO to RO", ro, ro_b, false },
		{ "RW to RO, same pa", pk, ro, true },
		{ "RO to RW, same pa", ro, pk, true },
		{ "nG to G", pk_ng, pk_g, false },
		{ "G to nG", pk_g, pk_ng, true },
		{ "CONT set", pk, pk | ARM64_CONT, false },
		{ "CONT cleared", pk | ARM64_CONT, pk, false },
		{ "CONT on both", pk | ARM64_CONT, pk | ARM64_CONT, false },
		{ "valid to invalid", pk, 0, true },
		{ "invalid to valid", 0, pk, true },
		{ "invalid (stale bits) to valid elsewhere",
		  pk & ~UINT64_C(1), pk_b, true },
		{ "valid to invalid (stale bits)", pk, pk_b & ~UINT64_C(1),
		  true },
		{ "Normal to Normal-Tagged", pk, attr | (UINT64_C(1) << 2),
		  true },
		{ "Normal to Device-nGnRE", pk, attr | (UINT64_C(4) << 2),
		  false },
		{ "PXN cleared", pk, pk & ~ARM64_PXN, true },
		{ "UXN cleared", pk, pk & ~ARM64_UXN, false },
		{ "AF cleared", pk, pk & ~ARM64_AF, false },
		{ "software dirty bit cleared", pk, pk & ~ARM64_SW_DIRTY, true },
		/* A table becoming a block is a change of block size. */
		{ "table to block", d == pte_depth(a) ? 0 :
		  a->ops.mk_table(a, d, pa), pk, d == pte_depth(a) },
		{ "block to table", pk, d == pte_depth(a) ? 0 :
		  a->ops.mk_table(a, d, pa), d == pte_depth(a) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool got = a->ops.bbm_change_safe(a, d, cases[i].old,
						  cases[i].new_entry);

		ck_u64(ck, got, cases[i].safe,
		       "level %u: %s (0x%" PRIx64 " -> 0x%" PRIx64 ") safe",
		       d, cases[i].what, cases[i].old, cases[i].new_entry);
	}
}

static void
test_bbm(void **state)
{
	struct hvo_arch a;
	const struct arch_expect *ex = load(tu_preset_of(state), NULL, &a);
	struct ck ck = { ex->preset, 0 };

	if (ex->id != HVO_ARCH_ARM64) {
		/* x86 and riscv rewrite live entries in place. */
		ck_u64(&ck, a.ops.bbm_change_safe == NULL, 1,
		       "no break-before-make rule");
		ck_u64(&ck, a.needs_bbm, 0, "needs_bbm");
		ck_done(&ck);
		return;
	}
	assert_non_null(a.ops.bbm_change_safe);
	bbm_cases_at(&ck, &a, pte_depth(&a));
	bbm_cases_at(&ck, &a, pmd_depth(&a));
	ck_done(&ck);
}

/*
 * pgprot_4k_2_large() and back: PAT is bit 7 in a 4K PTE and bit 12 in a
 * 2M/1G leaf, where bit 7 is PS (doc/KERNEL-FACTS.md, "x86-64").
 */
static void
test_x86_pat(void **state)
{
	size_t p = tu_preset_of(state);
	const struct arch_expect *ex = expect_of(hvo_preset_name(p));
	struct ck ck = { hvo_preset_name(p), 0 };
	pgprot_t pat = X86_PAGE_KERNEL | X86_PAT;
	struct pt_decoded dec;
	struct hvo_arch a;
	unsigned pte, pmd;
	uint64_t e;

	assert_non_null(ex);
	/* PAT is an x86 bit; elsewhere test_encode covers blocks. */
	if (ex->id != HVO_ARCH_X86_64)
		return;
	load(p, NULL, &a);
	pte = pte_depth(&a);
	pmd = pmd_depth(&a);

	e = a.ops.mk_leaf(&a, pte, MB(6), pat);
	ck_u64(&ck, e, MB(6) | pat, "4K PTE keeps PAT in bit 7");
	a.ops.decode(&a, pte, e, &dec);
	ck_u64(&ck, dec.prot, pat, "4K PTE decoded prot");
	ck_u64(&ck, dec.pa, MB(6), "4K PTE decoded pa");

	/* The 1G and the 2M leaf. */
	for (unsigned d = pmd - 1; d <= pmd; d++) {
		uint64_t pa = 3 * arch_level_size(&a, d);

		e = a.ops.mk_leaf(&a, d, pa, pat);
		ck_u64(&ck, e, pa | X86_PAGE_KERNEL_LARGE | X86_PAT_LARGE,
		       "level %u leaf: PAT in bit 12, PS in bit 7", d);
		a.ops.decode(&a, d, e, &dec);
		ck_u64(&ck, dec.kind, PTK_LEAF, "level %u PAT leaf kind", d);
		ck_u64(&ck, dec.pa, pa, "level %u PAT leaf: pa without bit 12",
		       d);
		ck_u64(&ck, dec.prot, pat,
		       "level %u PAT leaf: prot with PAT back in bit 7", d);

		/* Without PAT, bit 12 stays clear. */
		e = a.ops.mk_leaf(&a, d, pa, X86_PAGE_KERNEL);
		ck_u64(&ck, e & X86_PAT_LARGE, 0,
		       "level %u leaf without PAT: bit 12", d);
		a.ops.decode(&a, d, e, &dec);
		ck_u64(&ck, dec.prot & X86_PAT, 0,
		       "level %u leaf without PAT: decoded bit 7", d);
	}
	ck_done(&ck);
}

/*
 * arm64's kernel prots per release and KPTI (L6.1 and L6.12
 * arch/arm64/include/asm/pgtable-prot.h; doc/KERNEL-FACTS.md, "arm64"):
 * PAGE_KERNEL and PAGE_KERNEL_RO carry PTE_DIRTY and did not change from
 * 6.1 to 6.12; PROT_SECT_NORMAL never has PTE_DIRTY and gains PTE_WRITE
 * in 6.5 (L6.1 :43 against L6.12 :50); nG (PTE_MAYBE_NG, PMD_MAYBE_NG)
 * is in all three when the kernel is unmapped at EL0, which the modelled
 * CPU's seeded KASLR asks for from 4.16 on.
 */
struct arm64_prot_case {
	const char *extra;
	uint64_t page_kernel, page_kernel_ro;
	uint64_t block; /* a PMD block of PROT_SECT_NORMAL, at pa 0 */
};

static const struct arm64_prot_case arm64_prot_cases[] = {
	{ "kernel=6.1,kpti=off", UINT64_C(0x00e8000000000703),
	  UINT64_C(0x00e0000000000783), UINT64_C(0x0060000000000701) },
	{ "kernel=6.1,kpti=on", UINT64_C(0x00e8000000000f03),
	  UINT64_C(0x00e0000000000f83), UINT64_C(0x0060000000000f01) },
	{ "kernel=6.1", UINT64_C(0x00e8000000000f03),
	  UINT64_C(0x00e0000000000f83), UINT64_C(0x0060000000000f01) },
	{ "kernel=6.4,kpti=off", UINT64_C(0x00e8000000000703),
	  UINT64_C(0x00e0000000000783), UINT64_C(0x0060000000000701) },
	{ "kernel=6.4,kpti=on", UINT64_C(0x00e8000000000f03),
	  UINT64_C(0x00e0000000000f83), UINT64_C(0x0060000000000f01) },
	{ "kernel=6.5,kpti=off", UINT64_C(0x00e8000000000703),
	  UINT64_C(0x00e0000000000783), UINT64_C(0x0068000000000701) },
	{ "kernel=6.5,kpti=on", UINT64_C(0x00e8000000000f03),
	  UINT64_C(0x00e0000000000f83), UINT64_C(0x0068000000000f01) },
	{ "kernel=6.12,kpti=off", UINT64_C(0x00e8000000000703),
	  UINT64_C(0x00e0000000000783), UINT64_C(0x0068000000000701) },
	{ "kernel=6.12,kpti=on", UINT64_C(0x00e8000000000f03),
	  UINT64_C(0x00e0000000000f83), UINT64_C(0x0068000000000f01) },
	{ "kernel=6.12", UINT64_C(0x00e8000000000f03),
	  UINT64_C(0x00e0000000000f83), UINT64_C(0x0068000000000f01) },
	/* Before KPTI existed, the kernel's entries were global. */
	{ "kernel=4.15", UINT64_C(0x00e8000000000703),
	  UINT64_C(0x00e0000000000783), UINT64_C(0x0060000000000701) },
	{ "kernel=4.16", UINT64_C(0x00e8000000000f03),
	  UINT64_C(0x00e0000000000f83), UINT64_C(0x0060000000000f01) },
};

/* With LPA2 (52-bit VA, 4K or 16K; 6.9 on) SH is clear everywhere. */
static const struct arm64_prot_case arm64_prot_cases_lpa2[] = {
	{ "kernel=6.12,kpti=off", UINT64_C(0x00e8000000000403),
	  UINT64_C(0x00e0000000000483), UINT64_C(0x0068000000000401) },
	{ "kernel=6.12,kpti=on", UINT64_C(0x00e8000000000c03),
	  UINT64_C(0x00e0000000000c83), UINT64_C(0x0068000000000c01) },
};

static void
test_arm64_prot_by_release(void **state)
{
	size_t p = tu_preset_of(state);
	const struct arch_expect *ex = expect_of(hvo_preset_name(p));
	struct ck ck = { hvo_preset_name(p), 0 };
	const struct arm64_prot_case *cases = arm64_prot_cases;
	size_t n = ARRAY_SIZE(arm64_prot_cases);

	assert_non_null(ex);
	if (ex->id != HVO_ARCH_ARM64)
		return;
	if (ex->oa == OA_LPA2) {
		cases = arm64_prot_cases_lpa2;
		n = ARRAY_SIZE(arm64_prot_cases_lpa2);
	}
	for (size_t i = 0; i < n; i++) {
		const struct arm64_prot_case *c = &cases[i];
		struct hvo_arch a;
		unsigned pte, pmd;
		uint64_t pa;

		load(p, c->extra, &a);
		pte = pte_depth(&a);
		pmd = pmd_depth(&a);
		pa = 5 * BIT(ex->shift[pmd]);
		ck_u64(&ck, a.page_kernel, c->page_kernel, "%s: PAGE_KERNEL",
		       c->extra);
		ck_u64(&ck, a.page_kernel_ro, c->page_kernel_ro,
		       "%s: PAGE_KERNEL_RO", c->extra);
		ck_u64(&ck, a.ops.mk_leaf(&a, pmd, pa, a.sect_normal),
		       pa | c->block, "%s: PMD block of the vmemmap", c->extra);
		/* The PTEs a split and HVO write: PAGE_KERNEL, _RO. */
		ck_u64(&ck, a.ops.mk_leaf(&a, pte, 7 * a.page_size,
					  a.page_kernel),
		       7 * a.page_size | c->page_kernel, "%s: PTE", c->extra);
		ck_u64(&ck, a.ops.mk_leaf(&a, pte, 7 * a.page_size,
					  a.page_kernel_ro),
		       7 * a.page_size | c->page_kernel_ro, "%s: RO PTE",
		       c->extra);
		ck_u64(&ck, a.kpti, (c->page_kernel & ARM64_NG) != 0,
		       "%s: kpti", c->extra);
	}
	ck_done(&ck);
}

int
main(void)
{
	const struct tu_matrix_test matrix[] = {
		{ "row", test_row },
		{ "geometry", test_geometry },
		{ "constants", test_constants },
		{ "machine_geometry", test_machine_geometry },
		{ "vmemmap_with_struct_page", test_vmemmap_with_struct_page },
		{ "encode", test_encode },
		{ "wide_pa", test_wide_pa },
		{ "roundtrip", test_roundtrip },
		{ "malformed", test_malformed },
		{ "bbm", test_bbm },
		{ "x86_pat", test_x86_pat },
		{ "arm64_prot_by_release", test_arm64_prot_by_release },
	};

	return tu_run_matrix("arch", matrix, ARRAY_SIZE(matrix));
}
