/* SPDX-License-Identifier: MIT */
/**
 * @file hvo.h
 * @brief libhvo: the Linux kernel's HugeTLB Vmemmap Optimization, in a process.
 *
 * libhvo simulates the parts of a machine that HVO touches: physical memory,
 * the kernel page table (bit-exact to the hardware), a software TLB, the boot
 * allocator and the struct page array (vmemmap). A machine is described by a
 * plain struct hvo_config, usually parsed from a one-line text spec such as
 * "x86_64:levels=5,mem=64G" or "arm64:granule=16K,va=48".
 *
 * The declarations come in groups, one per topic (the "Topics" of the API
 * reference, built with meson -Ddocs=true). DESIGN.md describes the model
 * behind them and KERNEL-FACTS.md the kernel facts it follows; both are
 * installed in share/doc/libhvo, beside this reference.
 *
 * Conventions:
 * - Every call that can fail returns 0 or a negative errno. Calls that take a
 *   machine store a readable reason for every failure, read back with
 *   hvo_machine_error(); a refused argument is named, with what is allowed
 *   ("hvo_alloc_pages(): pfn must not be NULL", "order 64 is above
 *   MAX_PAGE_ORDER 10"). Given a NULL machine they have nowhere to store
 *   one: they return -EINVAL (or NULL, 0 or nothing, by their type), and
 *   hvo_machine_error(NULL) says "no machine".
 * - Calls that have no machine yet (hvo_config_parse(),
 *   hvo_config_validate(), hvo_machine_new()) take an (err, errlen) buffer
 *   instead; it may be NULL. The other calls without a machine
 *   (hvo_config_init(), hvo_parse_size(), hvo_config_format(),
 *   hvo_kpageflags_describe(), hvo_event_format(), and the lookups by
 *   index or id that return NULL) give only the errno: their documentation
 *   says which argument each one stands for.
 * - Addresses are kernel virtual addresses (va) or simulated physical
 *   addresses (pa), both 64-bit.
 * - Nothing here aborts on bad input.
 * - Threads: libhvo keeps no global mutable state; everything a call
 *   changes belongs to the machine it is given. Different machines may be
 *   used on different threads at the same time, with no locking; one
 *   machine must be used by one thread at a time (it has no lock of its
 *   own). The calls without a machine are safe from any thread. A trace
 *   callback runs on the thread of the call that caused the event.
 *   (doc/ABI.md, "Threads"; tests/threads/ checks it under
 *   ThreadSanitizer.)
 * - ABI: doc/ABI.md. Public structs keep their size and layout for a
 *   soname: later fields take their reserved words.
 */
#ifndef HVO_HVO_H
#define HVO_HVO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup config Machine descriptions
 * The version, the architectures and HVO variants, struct hvo_config and
 * the calls that fill it from a spec, a preset or a kernel command line.
 * @{
 */

/**
 * @name The version of libhvo this header belongs to
 * hvo_version() gives the loaded library's, which may differ.
 * @{
 */
#define HVO_VERSION_MAJOR 0 /**< major: raised by an incompatible change */
#define HVO_VERSION_MINOR 1 /**< minor: raised by additions */
#define HVO_VERSION_MICRO 0 /**< micro: raised by fixes */
/** @} */

/** The architectures libhvo models. */
enum hvo_arch_id {
	HVO_ARCH_X86_64 = 0,
	HVO_ARCH_ARM64,
	HVO_ARCH_RISCV64,
};

/** The HVO algorithm variants (see DESIGN.md, "hugetlb"). */
enum hvo_variant {
	HVO_VARIANT_RELEASE = -1, /**< in a config: the kernel release's own */
	HVO_VARIANT_OFF = 0,    /**< no optimization */
	HVO_VARIANT_KEEP2,      /**< 5.14-5.17: two vmemmap pages kept */
	HVO_VARIANT_FAKEHEAD,   /**< 5.18-7.0: one page kept, fake heads */
	HVO_VARIANT_SHAREDTAIL, /**< 7.1 (2026): own head page, shared RO tail */
};

/**
 * A boot-time switch that may follow the kernel build's default (or, for
 * struct hvo_config.kpti, the modelled CPU's).
 */
enum hvo_switch {
	HVO_SWITCH_BUILD = 0, /**< the default of the release's build config */
	HVO_SWITCH_OFF,
	HVO_SWITCH_ON,
};

/** Room for a release string in struct hvo_config, with its NUL. */
#define HVO_KERNEL_LEN 32

/** Room for a kernel command line in struct hvo_config, with its NUL. */
#define HVO_CMDLINE_LEN 512

/** Most physical memory ranges a machine may have (RAM with holes). */
#define HVO_MAX_MEM_RANGES 8

/**
 * One range of RAM, in simulated physical addresses. This pair is frozen:
 * it never grows (doc/ABI.md), so it carries no reserved space.
 */
struct hvo_mem_range {
	uint64_t base; /**< first byte; page aligned */
	uint64_t size; /**< bytes; a multiple of the page size */
};

/**
 * A machine description: plain data, filled by hvo_config_init() and
 * hvo_config_parse(), or by hand. hvo_machine_new() validates it again.
 */
struct hvo_config {
	enum hvo_arch_id arch;     /**< the architecture */
	unsigned page_shift;       /**< 12 (4K), 14 (16K) or 16 (64K) */
	unsigned va_bits;          /**< virtual address bits */
	unsigned levels;           /**< page-table levels (derived) */
	unsigned nr_mem_ranges;    /**< 0 means "the arch's default RAM" */
	struct hvo_mem_range mem[HVO_MAX_MEM_RANGES]; /**< RAM, ascending */
	unsigned struct_page_size; /**< bytes: 40..256, a multiple of 8 */
	/**
	 * The HVO variant: HVO_VARIANT_RELEASE (the default) runs the
	 * release's own; any other value overrides it ("this release's
	 * machine with that variant").
	 */
	enum hvo_variant hvo;
	unsigned tlb_entries;      /**< software TLB size, a power of two */
	bool tlb_check;            /**< report every use of a stale TLB entry */
	bool bbm_check;            /**< report break-before-make violations */
	bool deferred_init;        /**< defer struct page init, as
				        DEFERRED_STRUCT_PAGE_INIT */
	bool pcp;                  /**< per-CPU page lists for orders <= 3 */
	bool check_pages;          /**< check tails when hugepages are freed */
	unsigned nr_boot_hugepages; /**< entries in boot_hugepages */
	struct {
		uint64_t size;     /**< bytes */
		uint64_t nr;
		/**
		 * given per node (hugepages=0:N): a shortfall is warned
		 * about for node 0, as hugetlb_hstate_alloc_pages_onenode()
		 */
		bool per_node;
	} boot_hugepages[HVO_MAX_MEM_RANGES]; /**< hugepages= at boot */
	/**
	 * false: a boot whose pools do not fit fails (a spec's hugepages=);
	 * true: the boot allocates what fits and logs the kernel's warning,
	 * as the kernel does with hugepages= on its command line
	 * (hvo_config_cmdline() sets it when the line gives a pool). A spec
	 * does not carry it.
	 */
	bool boot_hugepages_partial;
	/**
	 * default_hugepagesz=: the default hugepage size (bytes), one of the
	 * arch's; 0 for HPAGE_SIZE (the PMD size). hvo_config_cmdline() sets
	 * it; a spec does not carry it. hvo_machine_geometry() reports it.
	 */
	uint64_t default_hugepagesz;
	/**
	 * The Linux release the machine behaves as: "6.1" (the 6.1 line with
	 * its stable updates), "6.1.15", a Debian `uname -r` such as
	 * "6.12.117+deb12-amd64"; "" is the newest modeled (hvo_kernel_newest()).
	 */
	char kernel[HVO_KERNEL_LEN];
	/** vm.hugetlb_optimize_vmemmap at boot (CONFIG_..._DEFAULT_ON). */
	enum hvo_switch hvo_default;
	/** init_on_alloc=: with init_on_free=, turns on the page checks (5.3 on). */
	enum hvo_switch init_on_alloc;
	/** init_on_free= */
	enum hvo_switch init_on_free;
	/**
	 * arm64 only: kpti=, whether the kernel is unmapped at EL0, which
	 * makes every entry it writes for itself non-global (nG, bit 11).
	 * HVO_SWITCH_BUILD is what the modelled CPU gets by default: a
	 * Cortex-A57/A72 under QEMU's virt machine with a KASLR seed, where
	 * KASLR turns KPTI on (from 4.16; KERNEL-FACTS.md, "arm64").
	 * Other arches refuse anything but HVO_SWITCH_BUILD.
	 */
	enum hvo_switch kpti;
	/**
	 * The kernel command line, as hvo_config_cmdline() kept it ("" for
	 * none). A machine logs it at boot, with what its kernel says about
	 * it (hvo_machine_dmesg()); the fields it sets were set by
	 * hvo_config_cmdline(). A spec does not carry it.
	 */
	char cmdline[HVO_CMDLINE_LEN];
	/**
	 * Room for fields of later releases: must be zero (hvo_config_init()
	 * and the calls that fill this struct write zeros), else refused.
	 */
	uint64_t reserved[16];
};

/* ---------------------------------------------------------------------- */
/* Configuration                                                          */
/* ---------------------------------------------------------------------- */

/**
 * Fill @p cfg with the defaults of @p arch: x86_64 4-level, arm64 4K pages
 * with 48-bit VA, riscv64 Sv48; 64-byte struct page; the newest modeled
 * kernel (kernel "", see hvo_kernel_newest()) with its own variant
 * (HVO_VARIANT_RELEASE) and its build's defaults (HVO_SWITCH_BUILD);
 * 8 GiB of RAM at the arch's usual base (filled in by validation).
 *
 * @return 0, or -EINVAL if @p cfg is NULL or @p arch is unknown.
 */
int
hvo_config_init(struct hvo_config *cfg, enum hvo_arch_id arch);

/**
 * Parse a size as the kernel's memparse() (lib/cmdline.c) reads one, as in
 * hugepagesz=2M or mem=0x40000000: a number in decimal, in hex after 0x or
 * 0X, or in octal after a leading 0, then at most one suffix K, M, G, T, P
 * or E, in either case, each a factor of 1024. In hex, E is a digit, as in
 * memparse(): 0x1E is 30. Unlike memparse(), the whole string must be the
 * size, and a size past 64 bits is refused instead of wrapped.
 *
 * Every size in a machine spec (see hvo_config_parse()) is read this way.
 *
 * @param s   the text, e.g. "2M", "1g", "0x10M"
 * @param out receives the size in bytes; untouched on failure
 * @return 0; -EINVAL if @p s or @p out is NULL or @p s is not a size (empty,
 *         a sign, a blank, an unknown suffix, anything after the suffix);
 *         -ERANGE if the size does not fit in 64 bits.
 */
int
hvo_parse_size(const char *s, uint64_t *out);

/**
 * Parse a machine spec "ARCH[:key=value,...]" into @p cfg.
 *
 * ARCH is an arch name (x86_64, arm64, riscv64) or a preset name (see
 * hvo_preset_name()). Keys: x86_64 levels=4|5; arm64 granule=4K|16K|64K,
 * va= and kpti=on|off; riscv64 va=39|48|57; common
 * mem=SIZE[\@BASE][+SIZE\@BASE...], struct_page=40..256,
 * hvo=off|keep2|fakehead|sharedtail, tlb=N, tlbcheck=on|off,
 * bbmcheck=on|off, deferred=on|off, pcp=on|off, checkpages=on|off,
 * hugepages=SIZE:N[;SIZE:N...], kernel=RELEASE,
 * hvo_default=on|off, init_on_alloc=0|1, init_on_free=0|1.
 *
 * kernel= makes the machine behave as that Linux release (its variant,
 * entry values, flushes; KERNEL-FACTS.md, "Release history"); hvo=
 * then overrides only the variant.
 *
 * @param cfg    receives the machine; untouched on failure
 * @param spec   the text
 * @param err    receives a reason on failure (may be NULL)
 * @param errlen size of @p err
 * @return 0, or -EINVAL with a reason that names the key and allowed values.
 */
int
hvo_config_parse(struct hvo_config *cfg, const char *spec, char *err,
		 size_t errlen);

/**
 * Apply a kernel command line to @p cfg as the kernel of @p cfg->kernel
 * (and its build, for the defaults) reads it, so set kernel= first. The
 * parameters read are:
 * - hugetlb_free_vmemmap: the boot value of vm.hugetlb_optimize_vmemmap
 *   (@p cfg->hvo_default), by the release's rule: unknown before 5.14 and
 *   wherever the release builds no HVO for the arch; "on" or "off" in
 *   5.14 to 5.18; kstrtobool() from 5.19 (y, n, 1, 0, on, off, ...); a
 *   bool core_param in 6.0 to 6.14, where a bare name means on; an early
 *   parameter again from 6.15, where a bare name is refused;
 * - init_on_alloc= and init_on_free= (5.3 on): kstrtobool(), into
 *   @p cfg->init_on_alloc and @p cfg->init_on_free; either one on turns on
 *   the page checks when pages are freed.
 *
 * - hugepagesz=, hugepages= and default_hugepagesz= by the rules of
 *   hugepagesz_setup(), hugepages_setup() and default_hugepagesz_setup()
 *   (6.1 and 6.12 read them alike), into @p cfg->boot_hugepages and
 *   @p cfg->default_hugepagesz: sizes in memparse() syntax, one of the
 *   arch's hugepage sizes (else "HugeTLB: unsupported hugepagesz=..."); a
 *   second hugepagesz= of a size is ignored, and so is a second
 *   hugepages= without a hugepagesz= between them; hugepages= before any
 *   hugepagesz= is the default size's; "hugepages=0:N" gives node 0's
 *   count (the machine has one node: any other node is an invalid
 *   parameter). The pools are then allocated as the kernel does, as far
 *   as memory allows (@p cfg->boot_hugepages_partial), with its warning
 *   when they fall short.
 *
 * Parameter names match with '-' for '_', as the kernel's do, and "--"
 * ends the kernel's part of the line. Every other word is taken as one
 * the kernel knows and libhvo does not model. When a line was kept
 * already, the hugetlb parameters are read over the whole kept line, as
 * one command line, and only the new part's messages are reported.
 *
 * A kernel boots whatever its command line says: a value it refuses is
 * logged and ignored, an unknown parameter is passed to init. So does this
 * call: it applies what the kernel takes and returns 0, with what the
 * kernel logs about the line in @p err, one message a line ("Malformed
 * early option 'init_on_alloc'", "Unknown kernel command line parameters
 * \"hugetlb_free_vmemmap=on\", will be passed to user space."), or "" when
 * it says nothing. The line is added to @p cfg->cmdline (after a blank,
 * if one was kept already); a machine built from @p cfg logs it at boot.
 *
 * @param cfg     the configuration the line applies to
 * @param cmdline the kernel command line, words separated by blanks
 * @param err    on success what the kernel logs, on failure the reason
 *               (may be NULL)
 * @param errlen size of @p err
 * @return 0, or -EINVAL (@p cfg or @p cmdline NULL, @p cfg->kernel not a
 *         release, the line longer than HVO_CMDLINE_LEN - 1 characters
 *         with the one kept) with @p cfg untouched.
 */
int
hvo_config_cmdline(struct hvo_config *cfg, const char *cmdline, char *err,
		   size_t errlen);

/**
 * Check a configuration and fill its derived fields (levels, default RAM).
 *
 * @return 0, or -EINVAL with a reason in @p err.
 */
int
hvo_config_validate(struct hvo_config *cfg, char *err, size_t errlen);

/**
 * Write the canonical spec of @p cfg (every parameter spelled out) to @p buf.
 *
 * @return 0; -EINVAL for a NULL argument, a @p len of 0, or a
 *         configuration no spec can give (an unknown arch or variant, an
 *         arm64 page_shift no granule has); -ENOSPC if @p buf is too small.
 */
int
hvo_config_format(const struct hvo_config *cfg, char *buf, size_t len);

/** @return the newest Linux release libhvo models: the default kernel=. */
const char *
hvo_kernel_newest(void);

/** @return the version of the loaded library, "MAJOR.MINOR.MICRO". */
const char *
hvo_version(void);

/** @return the name of an arch ("x86_64", ...), or NULL if unknown. */
const char *
hvo_arch_name(enum hvo_arch_id arch);

/** @return the name of a variant ("off", "keep2", ...), or NULL if unknown. */
const char *
hvo_variant_name(enum hvo_variant v);

/** @return the number of named machine presets. */
size_t
hvo_preset_count(void);

/** @return the name of preset @p i ("x86_64-4l", ...), or NULL past the end. */
const char *
hvo_preset_name(size_t i);

/** @return the spec text of preset @p i, or NULL past the end. */
const char *
hvo_preset_spec(size_t i);

/** @} */

/**
 * @defgroup machine Machines
 * Building, checking and freeing a machine; its geometry, page
 * accounting and kernel log.
 * @{
 */

/* ---------------------------------------------------------------------- */
/* Machines                                                               */
/* ---------------------------------------------------------------------- */

/** An opaque simulated machine. */
struct hvo_machine;

/**
 * Build and boot a machine: reserve its physical memory, build the kernel
 * page table and map the vmemmap for all RAM.
 *
 * @param cfg    the configuration (validated again here)
 * @param out    receives the machine
 * @param err    receives a reason on failure (may be NULL)
 * @param errlen size of @p err
 * @return 0, -EINVAL (bad configuration) or -ENOMEM.
 */
int
hvo_machine_new(const struct hvo_config *cfg, struct hvo_machine **out,
		char *err, size_t errlen);

/**
 * hvo_config_parse() and hvo_machine_new() in one call: the machine of a
 * spec ("arm64:granule=16K", a preset name such as "riscv64-sv39", ...).
 *
 * @param spec   the spec text (see hvo_config_parse())
 * @param out    receives the machine; NULL on failure
 * @param err    receives the reason on failure (may be NULL): the spec's
 *               error or the boot's, as the two calls give them
 * @param errlen size of @p err
 * @return 0, -EINVAL (a NULL argument, a bad spec) or -ENOMEM.
 */
int
hvo_machine_new_from_spec(const char *spec, struct hvo_machine **out,
			  char *err, size_t errlen);

/** Free a machine and everything it holds. NULL is allowed. */
void
hvo_machine_free(struct hvo_machine *m);

/**
 * @return the reason for the last failed call on @p m ("" if none).
 *         Valid until the next call on @p m.
 */
const char *
hvo_machine_error(const struct hvo_machine *m);

/** @return the configuration @p m was built from, or NULL if @p m is NULL. */
const struct hvo_config *
hvo_machine_config(const struct hvo_machine *m);

/**
 * Prove the machine's invariants: accounting exact, page tables well formed,
 * vmemmap mapped for all RAM, buddy and pcp lists consistent and merged,
 * no stale TLB entry. The checker's own reads are not counted, and it
 * leaves the TLB as it found it.
 *
 * @return 0, or -EUCLEAN with the first broken rule in hvo_machine_error().
 */
int
hvo_machine_check(struct hvo_machine *m);

/** The most bytes the kernel log of a machine holds (its ring). */
#define HVO_DMESG_MAX 65536

/**
 * The machine's kernel log, what `dmesg -t` prints on a real machine (this
 * one has no clock, so no timestamps): one message a line, oldest first,
 * in the kernel's words. It holds what the machine's kernel says at boot
 * (the command line and what it makes of it, how much vmemmap each
 * hugepage size can free) and after (a bad page found when a page is
 * freed). When HVO_DMESG_MAX bytes are used, the oldest lines make room.
 *
 * @param m   the machine
 * @param buf receives the log, NUL-terminated
 * @param len size of @p buf; HVO_DMESG_MAX + 1 always takes the whole log
 * @return 0; -EINVAL (@p buf NULL, @p len 0); -ENOSPC if the log does not
 *         fit: @p buf then holds the oldest lines that do.
 */
int
hvo_machine_dmesg(const struct hvo_machine *m, char *buf, size_t len);

/**
 * Name the process the machine's kernel works for: current->comm, which
 * its log names ("BUG: Bad page state in process sh  pfn:..."). Longer
 * names are cut to 15 characters, as the kernel's set_task_comm() cuts
 * them. A new machine's process is "hvo".
 *
 * @return 0, or -EINVAL (@p comm NULL).
 */
int
hvo_machine_set_comm(struct hvo_machine *m, const char *comm);

/** Most levels a page table may have. */
#define HVO_MAX_LEVELS 5

/** The geometry of a machine, top level first. */
struct hvo_geometry {
	const char *arch;         /**< "x86_64", "arm64", "riscv64" */
	unsigned page_size;       /**< bytes: PAGE_SIZE */
	unsigned page_shift;      /**< PAGE_SHIFT */
	unsigned va_bits;         /**< virtual address bits */
	unsigned levels;          /**< page-table levels */
	unsigned level_shift[HVO_MAX_LEVELS];   /**< VA shift of each level */
	unsigned level_entries[HVO_MAX_LEVELS]; /**< entries in a table */
	const char *level_name[HVO_MAX_LEVELS]; /**< "pgd", ..., "pte" */
	uint64_t level_leaf_size[HVO_MAX_LEVELS]; /**< 0: no leaf there */
	unsigned struct_page_size; /**< bytes per struct page */
	uint64_t mem_bytes;       /**< RAM, holes excluded */
	uint64_t first_pfn;       /**< the lowest pfn of RAM */
	uint64_t default_hugepage_size; /**< default_hugepagesz: HPAGE_SIZE */
	uint64_t vmemmap_start;   /**< VMEMMAP_START */
	uint64_t vmemmap_base;    /**< address of pfn 0's struct page */
	unsigned max_page_order;  /**< MAX_PAGE_ORDER */
	unsigned pageblock_order; /**< pageblock_order: 9 on x86_64 */
	unsigned section_size_bits; /**< SECTION_SIZE_BITS */
	unsigned tlb_flush_ceiling; /**< pages; a larger range flushes all */
	uint64_t page_kernel;     /**< PAGE_KERNEL */
	uint64_t page_kernel_ro;  /**< PAGE_KERNEL_RO (== PAGE_KERNEL: none) */
	bool has_kernel_ro;       /**< false where the arch has no RO kernel prot */
	bool needs_bbm;           /**< live entries need break-before-make */
	/** Room for fields of later releases; the library writes zeros. */
	uint64_t reserved[8];
};

/**
 * pfn_to_page(): the kernel virtual address of the struct page of @p pfn.
 *
 * @return 0, or -EINVAL if @p pfn has no struct page (not in a section
 *         with RAM) or @p va is NULL.
 */
int
hvo_pfn_to_page(const struct hvo_machine *m, uint64_t pfn, uint64_t *va);

/** Fill @p out with the geometry of @p m. @return 0 or -EINVAL (NULL). */
int
hvo_machine_geometry(const struct hvo_machine *m, struct hvo_geometry *out);

/** What every physical page frame of a machine is used for. */
enum hvo_page_category {
	HVO_PAGES_FREE = 0,    /**< free (memblock, later the buddy allocator) */
	HVO_PAGES_RESERVED,    /**< firmware, first MiB, kernel image */
	HVO_PAGES_PAGETABLE,   /**< kernel page-table pages */
	HVO_PAGES_VMEMMAP,     /**< pages holding struct pages */
	HVO_PAGES_ALLOCATED,   /**< allocated by a user of the machine */
	HVO_PAGES_HUGETLB,     /**< hugepages in the HugeTLB pools */
	/**
	 * frames the kernel will never free: a compound page whose free found
	 * a bad struct page (bad_page(), "BUG: Bad page state"); neither free
	 * nor in a pool, and still in MemTotal
	 */
	HVO_PAGES_LEAKED,
	HVO_PAGES__COUNT
};

/** @return the name of a category ("free", ...), or NULL if unknown. */
const char *
hvo_page_category_name(enum hvo_page_category c);

/**
 * Count the frames of @p m in category @p c. The categories sum exactly to
 * the pages of RAM.
 *
 * @return 0, or -EINVAL (@p out NULL, @p c not a category).
 */
int
hvo_machine_pages(const struct hvo_machine *m, enum hvo_page_category c,
		  uint64_t *out);

/** @return the pages of RAM of @p m (0 if @p m is NULL). */
uint64_t
hvo_machine_total_pages(const struct hvo_machine *m);

/** @} */

/**
 * @defgroup alloc The page allocator
 * Pages from the buddy allocator, contiguous ranges, fault injection
 * (fail_page_alloc), the zones and their free lists.
 * @{
 */

/* ---------------------------------------------------------------------- */
/* The page allocator                                                     */
/* ---------------------------------------------------------------------- */

/** Which zones an allocation may come from, as the kernel's GFP zone bits. */
enum hvo_gfp {
	HVO_GFP_KERNEL = 0, /**< Normal, falling back to DMA32 and DMA */
	HVO_GFP_DMA32,      /**< DMA32 or DMA: below 4 GiB */
	HVO_GFP_DMA,        /**< DMA only */
};

/**
 * alloc_pages(): 2^@p order contiguous, naturally aligned pages from the
 * buddy allocator. The pages count as "allocated".
 *
 * @return 0 and the first pfn in @p pfn, -EINVAL (order above
 *         MAX_PAGE_ORDER, an unknown @p gfp, @p pfn NULL) or -ENOMEM (no
 *         block, or fault injection).
 */
int
hvo_alloc_pages(struct hvo_machine *m, unsigned order, enum hvo_gfp gfp,
		uint64_t *pfn);

/**
 * free_pages(): give back an allocation of hvo_alloc_pages() with the same
 * order. A pfn that is not such an allocation (boot memory, a pool
 * hugepage, a page HVO or a page table holds), a double free or a wrong
 * order fails with -EINVAL and changes nothing.
 */
int
hvo_free_pages(struct hvo_machine *m, uint64_t pfn, unsigned order);

/**
 * split_page(): make an order-N allocation 2^N order-0 allocations, each
 * freed on its own. @return 0 or -EINVAL (order above MAX_PAGE_ORDER, a
 * pfn that is not RAM or not an allocation of that order made by
 * hvo_alloc_pages(): the kernel's own pages are refused).
 */
int
hvo_split_page(struct hvo_machine *m, uint64_t pfn, unsigned order);

/**
 * alloc_contig_pages(): 2^@p order pages, aligned, for orders above
 * MAX_PAGE_ORDER (gigantic pages), up to 31. @return 0, -EINVAL (an order
 * outside that, an unknown @p gfp, @p pfn NULL) or -ENOMEM.
 */
int
hvo_alloc_contig(struct hvo_machine *m, unsigned order, enum hvo_gfp gfp,
		 uint64_t *pfn);

/**
 * free_contig_range() of an hvo_alloc_contig() allocation. @return 0, or
 * -EINVAL (an order hvo_alloc_contig() does not give, a pfn that is not
 * such an allocation, a gigantic pool hugepage).
 */
int
hvo_free_contig(struct hvo_machine *m, uint64_t pfn, unsigned order);

/**
 * Fault injection, the shortcut: make the @p nth page allocation from now
 * on fail (1 = the next one), or with @p persistent every allocation from
 * the nth on. @p nth = 0 turns it off. It counts every allocation the
 * machine makes (contiguous ones too) and ignores the kernel's filters;
 * hvo_fail_page_alloc_set() is the kernel's fail_page_alloc itself. The
 * two work side by side: an allocation fails if either says so.
 *
 * @return 0 or -EINVAL.
 */
int
hvo_fail_page_alloc(struct hvo_machine *m, uint64_t nth, bool persistent);

/** The default seed of the fault-injection PRNG ("libhvo" in ASCII). */
#define HVO_FAULT_SEED UINT64_C(0x6c696268766f)

/**
 * The kernel's fail_page_alloc (mm/fail_page_alloc.c), as the files of
 * /sys/kernel/debug/fail_page_alloc/ show it: a struct fault_attr judged
 * by should_fail_ex() (lib/fault-inject.c) and fail_page_alloc's filters.
 * A call fails when, in this order: @p probability is not 0, @p times is
 * not 0, @p space is used up (each call spends its size, 2^order pages,
 * while more is left), it is the @p interval -th call counted, and a
 * random number below 100 is below @p probability. A failure spends one
 * of @p times (unless -1).
 */
struct hvo_fault_attr {
	uint64_t probability;    /**< percent; 0 off; 100 or more: always */
	uint64_t interval;       /**< only every interval-th call (0, 1: each) */
	int32_t times;           /**< failures left; -1 no limit */
	int32_t space;           /**< pages let through before any failure */
	uint64_t verbose;        /**< 0 quiet; 1, 2: log each failure */
	uint32_t min_order;      /**< min-order: smaller allocations never fail */
	/**
	 * ignore-gfp-wait: allocations that may sleep to reclaim never fail.
	 * Every allocation libhvo models may (it has no atomic context):
	 * clear it for any to fail.
	 */
	bool ignore_gfp_wait;
	/**
	 * ignore-gfp-highmem: __GFP_HIGHMEM allocations never fail. Hugetlb
	 * pool pages are (GFP_HIGHUSER): clear it for a pool to fail.
	 */
	bool ignore_gfp_highmem;
	/**
	 * The seed of the PRNG that stands for get_random_u32_below(100), so
	 * that the same steps fail the same calls every run; HVO_FAULT_SEED
	 * at boot. Setting another value restarts the sequence.
	 */
	uint64_t seed;
	/**
	 * Room for fields of later releases: zeros from
	 * hvo_fail_page_alloc_get(); hvo_fail_page_alloc_set() refuses
	 * anything else.
	 */
	uint64_t reserved[4];
};

/**
 * Read the fail_page_alloc attributes, as they stand now (@p times and
 * @p space count down as the kernel's do). A machine boots with the
 * kernel's defaults: probability 0, interval 1, times 1, space 0,
 * verbose 2, min_order 1, both ignore flags set, HVO_FAULT_SEED.
 *
 * @return 0, or -EINVAL if @p m or @p attr is NULL.
 */
int
hvo_fail_page_alloc_get(const struct hvo_machine *m,
			struct hvo_fault_attr *attr);

/**
 * Set the fail_page_alloc attributes (echo to its debugfs files). The
 * interval's call count goes on, as a write of the kernel's files leaves
 * it; a new @p seed restarts the random sequence. Failures logged with
 * @p verbose read "FAULT_INJECTION: forcing a failure." and the attr's
 * values, at most 10 of them (the kernel's ratelimit burst; the machine
 * has no clock to refill it); hugetlb pool pages are __GFP_NOWARN and
 * never logged, as in the kernel.
 *
 * @return 0; -EINVAL if @p m or @p attr is NULL, or @p times is below -1
 *         or @p space below 0 (the kernel's files take them, and they
 *         mean nothing -1 and 0 do not), with the reason; nothing changes.
 */
int
hvo_fail_page_alloc_set(struct hvo_machine *m,
			const struct hvo_fault_attr *attr);

/**
 * drain_all_pages(): give every page parked on the per-CPU lists back to
 * the buddy allocator, where it merges. @return 0 or -EINVAL.
 */
int
hvo_drain_pages(struct hvo_machine *m);

/**
 * Finish deferred struct page initialization now (the kernel does this in
 * page_alloc_init_late() at the end of boot; libhvo does it on demand).
 * @return 0, or -EFAULT if a struct page could not be written.
 */
int
hvo_machine_init_deferred(struct hvo_machine *m);

/** Most orders a free list can have (MAX_PAGE_ORDER + 1 is at most 14). */
#define HVO_MAX_ORDERS 14
/** Migratetypes a zone's free lists are kept by (MIGRATE_TYPES). */
#define HVO_MIGRATE_TYPES 5

/** Most zones a node has (MAX_NR_ZONES). */
#define HVO_MAX_ZONES 8

/** A zone, as /proc/zoneinfo and /proc/buddyinfo show it. */
struct hvo_zone_info {
	const char *name;        /**< "DMA" .. "Device" (zone_names[]) */
	uint64_t start_pfn;      /**< zone_start_pfn */
	uint64_t spanned_pages;  /**< pfns from start, holes included */
	uint64_t present_pages;  /**< pages of RAM in the span */
	uint64_t managed_pages;  /**< pages the buddy allocator manages */
	uint64_t free_pages;     /**< in the buddy allocator */
	uint64_t deferred_pages; /**< free, struct pages not yet initialized */
	uint64_t pcp_pages;      /**< free, parked on the per-CPU lists */
	uint64_t pcp_high;       /**< the per-CPU lists drain above this */
	uint64_t pcp_batch;      /**< pages moved at a time */
	unsigned nr_orders;      /**< MAX_PAGE_ORDER + 1 */
	uint64_t nr_free[HVO_MAX_ORDERS]; /**< free blocks per order */
	uint64_t wmark_min;      /**< _watermark[WMARK_MIN], pages */
	uint64_t wmark_low;      /**< _watermark[WMARK_LOW], pages */
	uint64_t wmark_high;     /**< _watermark[WMARK_HIGH], pages */
	uint64_t wmark_promo;    /**< _watermark[WMARK_PROMO], pages */
	uint64_t watermark_boost; /**< added to each watermark */
	/** lowmem_reserve[]: entries in @p protection (MAX_NR_ZONES). */
	unsigned nr_protection;
	/**
	 * lowmem_reserve[j]: pages this zone keeps free from allocations
	 * whose highest zone is zone j ("protection" in /proc/zoneinfo).
	 */
	uint64_t protection[HVO_MAX_ZONES];
	uint64_t pcp_high_min;   /**< the lowest pcp->high (zone_highsize()) */
	uint64_t pcp_high_max;   /**< the highest pcp->high it may be tuned to */
	/** NR_FREE_PAGES: @p free_pages and @p deferred_pages, never pcp. */
	uint64_t nr_free_pages;
	/** The per-CPU vm stats threshold (calculate_normal_threshold()). */
	unsigned stat_threshold;
	/**
	 * Free blocks per order as a booted kernel's /proc/buddyinfo shows
	 * them: @p nr_free and the blocks deferred struct page init will
	 * free (the machine defers that work until memory is asked for,
	 * a kernel finishes it during boot).
	 */
	uint64_t nr_free_booted[HVO_MAX_ORDERS];
	/**
	 * Free blocks per migratetype and order, as /proc/pagetypeinfo
	 * counts them: the buddy's free lists, without the per-CPU lists.
	 * The types are named by hvo_migratetype_name().
	 */
	uint64_t nr_free_by_type[HVO_MIGRATE_TYPES][HVO_MAX_ORDERS];
	/**
	 * The zone's pageblocks per migratetype, as pagetypeinfo's
	 * "Number of blocks type" counts them.
	 */
	uint64_t nr_pageblocks[HVO_MIGRATE_TYPES];
	/** Room for fields of later releases; the library writes zeros. */
	uint64_t reserved[8];
};

/**
 * The name of migratetype @p mt as the kernel prints it ("Unmovable",
 * "Movable", "Reclaimable", "HighAtomic", "Isolate": a stock x86_64 6.12
 * build, which has no CMA).
 *
 * @return the name, or NULL for @p mt HVO_MIGRATE_TYPES and above.
 */
const char *
hvo_migratetype_name(unsigned mt);

/**
 * Describe zone @p i (0 = DMA ...), as /proc/zoneinfo lists them: zones
 * the arch does not configure are skipped, empty ones are not
 * (/proc/buddyinfo shows only zones with memory).
 *
 * @return 0, -ENOENT past the last zone, or -EINVAL (@p out NULL).
 */
int
hvo_machine_zone(const struct hvo_machine *m, unsigned i,
		 struct hvo_zone_info *out);

/** Free memory as /proc/meminfo counts it (si_meminfo(), si_mem_available()). */
struct hvo_mem_available {
	uint64_t free_pages;         /**< NR_FREE_PAGES, MemFree: not the pcp lists */
	uint64_t totalreserve_pages; /**< calculate_totalreserve_pages() */
	uint64_t available_pages;    /**< MemAvailable: free less totalreserve */
};

/**
 * si_mem_available() of Linux 6.12: free pages less totalreserve_pages
 * (each zone's high watermark and largest protection, at most its managed
 * pages), plus the reclaimable page cache and slab, which this machine
 * does not have. @return 0, or -EINVAL if @p m or @p out is NULL.
 */
int
hvo_mem_available(const struct hvo_machine *m, struct hvo_mem_available *out);

/**
 * Read vm.min_free_kbytes. A machine boots with the kernel's
 * calculate_min_free_kbytes(): 4 * sqrt(lowmem kB), within 128..262144.
 * @return 0, or -EINVAL if @p m or @p kbytes is NULL.
 */
int
hvo_min_free_kbytes_get(const struct hvo_machine *m, int *kbytes);

/**
 * Write vm.min_free_kbytes (min_free_kbytes_sysctl_handler()): the value
 * becomes the user's and every zone's watermarks, pcp high and the
 * reserve total follow. @return 0, or -EINVAL for a value outside
 * 0..INT_MAX (the kernel's range), with the reason; nothing changes.
 */
int
hvo_min_free_kbytes_set(struct hvo_machine *m, int64_t kbytes);

/**
 * Read vm.watermark_scale_factor (10 at boot: 0.1% of a zone between
 * watermarks). @return 0, or -EINVAL if @p m or @p factor is NULL.
 */
int
hvo_watermark_scale_factor_get(const struct hvo_machine *m, int *factor);

/**
 * Write vm.watermark_scale_factor (watermark_scale_factor_sysctl_handler()).
 * @return 0, or -EINVAL for a value outside 1..3000, with the reason;
 *         nothing changes.
 */
int
hvo_watermark_scale_factor_set(struct hvo_machine *m, int64_t factor);

/**
 * Read vm.watermark_boost_factor (15000 at boot). @return 0, or -EINVAL
 * if @p m or @p factor is NULL.
 */
int
hvo_watermark_boost_factor_get(const struct hvo_machine *m, int *factor);

/**
 * Write vm.watermark_boost_factor (proc_dointvec_minmax() from 0). The
 * value is kept, and changes nothing: the kernel boosts a watermark only
 * when an allocation falls back to another migratetype, which the
 * allocator does not model. @return 0, or -EINVAL outside 0..INT_MAX,
 * with the reason; nothing changes.
 */
int
hvo_watermark_boost_factor_set(struct hvo_machine *m, int64_t factor);

/**
 * Read vm.percpu_pagelist_high_fraction (0 at boot). @return 0, or
 * -EINVAL if @p m or @p fraction is NULL.
 */
int
hvo_percpu_pagelist_high_fraction_get(const struct hvo_machine *m,
				      int *fraction);

/**
 * Write vm.percpu_pagelist_high_fraction
 * (percpu_pagelist_high_fraction_sysctl_handler()): 0 bases each zone's
 * pcp high on its low watermark, a fraction of 8 or more fixes it at the
 * zone's managed pages / fraction (at least four batches); every zone's
 * pcp high follows. @return 0, or -EINVAL for 1..7 or a value outside
 * 0..INT_MAX, with the reason; nothing changes.
 */
int
hvo_percpu_pagelist_high_fraction_set(struct hvo_machine *m, int64_t fraction);

/**
 * Read vm.lowmem_reserve_ratio: one ratio per zone (MAX_NR_ZONES, the
 * zones of hvo_machine_zone() in order), at most @p n into @p ratio, and
 * how many there are in @p nr. @return 0, or -EINVAL (a NULL pointer).
 */
int
hvo_lowmem_reserve_ratio_get(const struct hvo_machine *m, int *ratio,
			     unsigned n, unsigned *nr);

/**
 * Write the first @p n ratios of vm.lowmem_reserve_ratio
 * (lowmem_reserve_ratio_sysctl_handler()): a ratio below 1 is stored as
 * 0 (no protection), and every zone's protection and the reserve total
 * follow. @return 0, or -EINVAL (@p ratio NULL, @p n 0 or above
 * MAX_NR_ZONES, a value outside int), with the reason; nothing changes.
 */
int
hvo_lowmem_reserve_ratio_set(struct hvo_machine *m, const int64_t *ratio,
			     unsigned n);

/**
 * Line @p i (from 0) of /proc/vmstat: 6.12's vmstat_text in its order,
 * the lines the arch's distribution build configures and the machine's
 * release has (nr_memmap_pages and nr_memmap_boot_pages from 6.11).
 * Counters of what the machine never does (reclaim, swap, page cache,
 * THP) read 0; nr_free_pages counts memory deferred struct page init has
 * yet to free, as a booted kernel shows it.
 *
 * @return 0 with @p name and @p value set, -ENOENT past the last line,
 *         or -EINVAL (@p name or @p value NULL).
 */
int
hvo_machine_vmstat(const struct hvo_machine *m, unsigned i,
		   const char **name, uint64_t *value);

/**
 * Counter @p i (from 0) of zone @p zone (as hvo_machine_zone() numbers
 * the zones) in /proc/zoneinfo, named and ordered as /proc/vmstat names
 * them (6.12's vmstat_text, one table): with @p node_stats the node's
 * counters (enum node_stat_item, "per-node stats", the same for every
 * zone), else the zone's (enum zone_stat_item, then enum numa_stat_item,
 * the zone's own values: nr_free_pages is its NR_FREE_PAGES, numa_hit
 * and numa_local its allocations).
 *
 * @return 0 with @p name and @p value set, -ENOENT past the last counter
 *         or zone, or -EINVAL (@p name or @p value NULL).
 */
int
hvo_machine_zoneinfo_stat(const struct hvo_machine *m, unsigned zone,
			  bool node_stats, unsigned i, const char **name,
			  uint64_t *value);

/**
 * Line @p i (from 0) of /proc/meminfo, as 6.12's meminfo_proc_show()
 * prints it (with hugetlb_report_meminfo() and the arch's
 * arch_report_meminfo()), without the newline: every field the arch's
 * distribution build prints, in its order and format. Fields of what the
 * machine has not (swap, page cache, slab, user page tables) read 0;
 * memory deferred struct page init has yet to free is counted as a
 * booted kernel counts it.
 *
 * @return 0, -ENOENT past the last line, -ENOSPC when @p len is too
 *         short for the line, or -EINVAL (@p buf NULL or @p len 0).
 */
int
hvo_machine_meminfo(const struct hvo_machine *m, unsigned i, char *buf,
		    size_t len);

/** @} */

/**
 * @defgroup hugetlb HugeTLB and HVO
 * Hugepage pools (nr, surplus, overcommit, reservations, demotion),
 * single hugepages, the optimization itself, /proc/kpageflags.
 * @{
 */

/* ---------------------------------------------------------------------- */
/* HugeTLB and the vmemmap optimization                                   */
/* ---------------------------------------------------------------------- */

/** A hugepage size and its pool, as /sys/kernel/mm/hugepages shows it. */
struct hvo_hstate_info {
	uint64_t size;         /**< bytes */
	unsigned order;        /**< huge_page_order(): pages are 2^order */
	const char *name;      /**< "2M", "1G", ... */
	uint64_t nr;           /**< nr_hugepages (sysfs): nr_huge_pages */
	uint64_t free;         /**< free_hugepages */
	uint64_t optimized;    /**< hugepages with an optimized vmemmap */
	uint64_t vmemmap_pages_per_hugepage; /**< pages its struct pages fill */
	/** What the current variant frees per hugepage (0: not optimizable). */
	uint64_t vmemmap_pages_freed_per_hugepage;
	uint64_t saved_bytes;  /**< freed by the hugepages optimized now */
	bool optimizable;      /**< HVO can optimize hugepages of this size */
	const char *reason;    /**< why not, when not optimizable */
	uint64_t resv;         /**< resv_hugepages: reserved, not yet faulted */
	uint64_t surplus;      /**< surplus_hugepages: freed when put back */
	uint64_t nr_overcommit; /**< nr_overcommit_hugepages */
	/**
	 * max_huge_pages: what /proc/sys/vm/nr_hugepages reads, the
	 * persistent pages (nr - surplus) when the pool was last resized.
	 */
	uint64_t max_huge_pages;
	/**
	 * Bytes of struct pages of one hugepage: its pages times
	 * struct_page_size (on arm64 64K with 2M pages, 32 x 64 = 2048, less
	 * than one vmemmap page).
	 */
	uint64_t vmemmap_bytes_per_hugepage;
	/**
	 * Bytes of vmemmap the current variant frees per hugepage:
	 * vmemmap_pages_freed_per_hugepage whole pages. 0 when the struct
	 * pages of a hugepage fill no more than the pages the variant keeps
	 * (arm64 16K and 64K with 2M hugepages: a page the struct pages share
	 * with their neighbours' cannot be freed; see reason).
	 */
	uint64_t vmemmap_bytes_freed_per_hugepage;
	/** Room for fields of later releases; the library writes zeros. */
	uint64_t reserved[8];
};

/**
 * Describe hstate @p i (0 .. the arch's sizes - 1, smallest first).
 *
 * @return 0, -ENOENT past the last one, or -EINVAL (@p out NULL).
 */
int
hvo_machine_hstate(const struct hvo_machine *m, unsigned i,
		   struct hvo_hstate_info *out);

/**
 * The hstate of hugepages of @p size bytes.
 *
 * @return 0, -ENOENT (no such size on this machine) or -EINVAL (@p out
 *         NULL).
 */
int
hvo_machine_hstate_by_size(const struct hvo_machine *m, uint64_t size,
			   struct hvo_hstate_info *out);

/**
 * libhvo's all-or-nothing resize of the pool of @p size to @p nr
 * hugepages, for tests that want an exact pool (the kernel's resize is
 * hvo_set_max_huge_pages()). Growing allocates every page, then
 * optimizes them as one batch (6.7 on); shrinking restores the free ones
 * as one batch, then frees them. A grow that cannot complete changes
 * nothing; a shrink frees what is free and neither reserved nor in use,
 * but never turns pages in use into surplus pages. It counts every page
 * of the pool as persistent, surplus pages too (a free surplus page is
 * freed, which no resize of the kernel does).
 *
 * @return 0; -EINVAL (no such size); -ENOMEM (not enough memory, or a
 *         vmemmap restore failed: those hugepages stay in the pool as
 *         surplus pages, as the kernel keeps them); -EBUSY (hugepages in
 *         use or reserved keep the pool above @p nr).
 */
int
hvo_set_nr_hugepages(struct hvo_machine *m, uint64_t size, uint64_t nr);

/**
 * set_max_huge_pages(), the kernel's resize, which a write to
 * nr_hugepages runs (sysctl or sysfs; what scenarios use): as many as
 * fit. A grow first turns surplus pages into persistent ones, then stops
 * where memory runs out and still succeeds (read the pool back to see
 * how far it got). A shrink frees free pages down to those in use and
 * reserved (adjust_pool_surplus()), and counts the pages in use beyond
 * @p nr as surplus pages, each freed when it is put back. A page whose
 * vmemmap cannot be restored stays in the pool as a surplus page.
 *
 * @return 0, or -EINVAL (no such size).
 */
int
hvo_set_max_huge_pages(struct hvo_machine *m, uint64_t size, uint64_t nr);

/** The old name of hvo_set_max_huge_pages(), kept for its callers. */
int
hvo_write_nr_hugepages(struct hvo_machine *m, uint64_t size, uint64_t nr);

/**
 * demote_store(): a write of @p nr to
 * hugepages-\<size\>kB/demote (Linux 5.16 on). Free hugepages of @p size
 * become hugepages of its demote size (hvo_demote_size()): each has its
 * vmemmap restored, is split, and the new pages join the smaller pool,
 * optimized. Up to 6.11 one page at a time, with its own flushes; from
 * 6.12 the pages taken are restored as one batch and the new pages
 * optimized as another. The pages are taken from the head of the free
 * list (the LIFO order of hvo_alloc_hugetlb_folio()); pages in use are
 * never demoted. Up to 6.11 it stops, without an error, when no free
 * page nobody reserved (hvo_hugetlb_reserve_pages()) is left; 6.12 looks
 * only before each batch, which takes up to @p nr free pages, reserved
 * ones too. Surplus counts stay as they were, as the kernel's do
 * (doc/KERNEL-BUGS.md: demote-takes-reserved, demote-keeps-surplus).
 *
 * @param m    the machine
 * @param size the hugepage size whose pool is demoted, in bytes
 * @param nr   how many hugepages to demote, at most
 * @param done if not NULL, how many hugepages of @p size were demoted,
 *        also when the call fails part way.
 * @return 0; -EINVAL (no such size, or no smaller size to demote to: the
 *         kernel has no demote file then); -EOPNOTSUPP (a release before
 *         5.16); -ENOMEM (a vmemmap restore failed: that hugepage stays
 *         in the pool, optimized, and the pages demoted before it stay
 *         demoted).
 */
int
hvo_demote(struct hvo_machine *m, uint64_t size, uint64_t nr,
	   uint64_t *done);

/**
 * demote_size_show(): the size, in bytes, that hugepages of @p size
 * demote to: by default the next smaller hugepage size, or what
 * hvo_set_demote_size() wrote.
 *
 * @return 0; -EINVAL (no such size, @p demote_size NULL, or no smaller
 *         size); -EOPNOTSUPP (a release before 5.16).
 */
int
hvo_demote_size(const struct hvo_machine *m, uint64_t size,
		uint64_t *demote_size);

/**
 * demote_size_store(): make hugepages of @p size demote to @p
 * demote_size bytes, which must be a smaller hugepage size of the
 * machine and no smaller than HUGETLB_PAGE_ORDER (the PMD size: an arm64
 * 64K size can be the default demote size, yet not be written).
 *
 * @return 0; -EINVAL (no such size, no smaller size, or @p demote_size
 *         refused); -EOPNOTSUPP (a release before 5.16).
 */
int
hvo_set_demote_size(struct hvo_machine *m, uint64_t size,
		    uint64_t demote_size);

/**
 * A write to nr_overcommit_hugepages (nr_overcommit_hugepages_store(),
 * the sysctl's hugetlb_overcommit_handler()): how many surplus pages of
 * @p size may be allocated on demand.
 *
 * @return 0, or -EINVAL (no such size; a gigantic size, which the
 *         kernel never allocates as surplus).
 */
int
hvo_set_nr_overcommit_hugepages(struct hvo_machine *m, uint64_t size,
				uint64_t nr);

/**
 * hugetlb_reserve_pages(), as an mmap() of @p nr hugepages of @p size
 * runs it: hugetlb_acct_memory() reserves them (resv_hugepages), taking
 * free pages not yet reserved and allocating surplus pages for the rest
 * (gather_surplus_pages()), up to nr_overcommit_hugepages.
 *
 * @return 0; -EINVAL (no such size); -ENOMEM (the pool and the
 *         overcommit cannot cover them: the mmap fails, nothing changes).
 */
int
hvo_hugetlb_reserve_pages(struct hvo_machine *m, uint64_t size, uint64_t nr);

/**
 * hugetlb_unreserve_pages(), as the unmap of a mapping runs it for the
 * pages it reserved and never faulted: the reservations go, and as many
 * free surplus pages leave the pool (return_unused_surplus_pages()).
 *
 * @return 0, or -EINVAL (no such size; more than are reserved: nothing
 *         changes).
 */
int
hvo_hugetlb_unreserve_pages(struct hvo_machine *m, uint64_t size, uint64_t nr);

/**
 * alloc_hugetlb_folio(), as a fault runs it: a hugepage of @p size, in
 * use from now on. With @p reserved it consumes one of the reservations
 * of hvo_hugetlb_reserve_pages(); without, it takes a free page nobody
 * has reserved. With no page to take it allocates a surplus page up to
 * nr_overcommit_hugepages (alloc_surplus_hugetlb_folio()), which a
 * reserved fault finds only after a 6.12 demote took reserved pages.
 *
 * @return 0 and its head pfn; -EINVAL (no such size, @p pfn NULL,
 *         @p reserved with nothing reserved); -ENOMEM (none to take:
 *         the fault's SIGBUS).
 */
int
hvo_alloc_hugetlb_folio(struct hvo_machine *m, uint64_t size, bool reserved,
			uint64_t *pfn);

/** hvo_alloc_hugetlb_folio() without a reservation (a MAP_NORESERVE fault). */
int
hvo_hugepage_get(struct hvo_machine *m, uint64_t size, uint64_t *pfn);

/**
 * free_huge_folio(): the last reference to a hugepage in use is gone.
 * While the pool has surplus pages, the page leaves the pool for the page
 * allocator (its vmemmap restored; if that fails it stays, free, as a
 * surplus page); otherwise it goes back to the free list.
 *
 * @return 0, or -EINVAL if @p pfn is not a hugepage in use.
 */
int
hvo_free_huge_folio(struct hvo_machine *m, uint64_t pfn);

/** The same as hvo_free_huge_folio(), the old name. */
int
hvo_hugepage_put(struct hvo_machine *m, uint64_t pfn);

/**
 * Optimize (or restore) the vmemmap of one free hugepage, with the
 * single-folio TLB flushes. Restoring needs memory: -ENOMEM leaves the
 * hugepage optimized and its struct pages as they were. An optimize that
 * fails leaves the hugepage exactly as before, with one exception the
 * kernel makes too: with sharedtail, the shared tail page of the
 * hugepage's (zone, order), once allocated, stays (vmemmap_get_tail()
 * keeps it for every later hugepage), even if this optimize then failed.
 *
 * @return 0, -EINVAL (not a hugepage; not optimizable), -EBUSY (in use),
 *         -ENOMEM.
 */
int
hvo_hugepage_optimize(struct hvo_machine *m, uint64_t pfn);

/** @copydoc hvo_hugepage_optimize */
int
hvo_hugepage_restore(struct hvo_machine *m, uint64_t pfn);

/**
 * vm.hugetlb_optimize_vmemmap: the variant used for hugepages allocated from
 * now on (those already optimized keep theirs). The compound_info encoding
 * is fixed at boot: a machine booted with sharedtail (the 2026 kernel) can
 * switch between sharedtail and off, one booted otherwise among off, keep2
 * and fakehead.
 *
 * @return 0 or -EINVAL with the reason.
 */
int
hvo_set_variant(struct hvo_machine *m, enum hvo_variant v);

/** The kernel a machine runs, and what it decides about HVO. */
struct hvo_kernel_info {
	const char *release;      /**< as given, or the newest modeled */
	const char *build;        /**< "mainline" (libhvo's build), "Debian" */
	enum hvo_variant variant; /**< HVO's variant on this machine */
	bool variant_from_release; /**< false: the hvo= override chose it */
	bool has_hvo;             /**< the release builds HVO for this arch */
	bool has_sysctl;          /**< vm.hugetlb_optimize_vmemmap exists */
	bool hvo_default;         /**< the sysctl's value at boot */
	bool check_pages;         /**< page checks on free (init_on_alloc/free) */
	bool kpti;                /**< arm64: the kernel is unmapped at EL0, so
				       its own entries are non-global (nG) */
	/**
	 * /proc/zoneinfo prints no "promo" watermark line (6.1 does not;
	 * 6.12 does). In the padding before @c reserved: the layout holds.
	 */
	bool zoneinfo_no_promo;
	/** Room for fields of later releases; the library writes zeros. */
	uint64_t reserved[4];
};

/**
 * What the machine's kernel release decides (see struct hvo_kernel_info).
 * @return 0, or -EINVAL (@p out NULL).
 */
int
hvo_machine_kernel(const struct hvo_machine *m, struct hvo_kernel_info *out);

/**
 * The variant in force, and whether this machine can optimize at all. Each
 * output may be NULL. @return 0.
 */
int
hvo_machine_hvo(const struct hvo_machine *m, enum hvo_variant *v,
		bool *enabled, const char **reason);

/**
 * How tails point at their head: true for the 2026 mask encoding of
 * compound_info (a machine booted with sharedtail, a power-of-two struct
 * page and a vmemmap aligned to the largest folio), false for a pointer.
 * @return 0 or -EINVAL (@p mask NULL).
 */
int
hvo_machine_compound_encoding(const struct hvo_machine *m, bool *mask);

/**
 * The /proc/kpageflags bits of @p pfn, computed from its struct page as
 * read through the vmemmap (KPF_NOPAGE for a pfn without one).
 * @return 0, -EINVAL (@p flags NULL) or -EFAULT (the struct page could not
 *         be read).
 */
int
hvo_kpageflags(struct hvo_machine *m, uint64_t pfn, uint64_t *flags);

/**
 * Name the bits of a kpageflags value, as page-types does:
 * "COMPOUND_HEAD HUGE". @return 0, -EINVAL (@p buf NULL or @p len 0) or
 * -ENOSPC (@p buf too small).
 */
int
hvo_kpageflags_describe(uint64_t flags, char *buf, size_t len);

/**
 * The head pfn of hugepage @p i of the pool of @p size (in pool order).
 * @return 0, -EINVAL (no such size, @p pfn NULL) or -ENOENT (past the end).
 */
int
hvo_hugepage_pfn(struct hvo_machine *m, uint64_t size, uint64_t i,
		 uint64_t *pfn);

/** What a vmemmap fault injection targets. */
enum hvo_fail_point {
	HVO_FAIL_VMEMMAP_PMD = 0, /**< the n-th PMD split (a kernel failure point) */
	HVO_FAIL_VMEMMAP_PTE,     /**< the n-th PTE step of a remap (libhvo's own) */
};

/**
 * Make the @p nth event of @p point fail (from now on; 0 turns it off),
 * or every one from the nth on with @p persistent.
 *
 * Where the points come from: a PMD split can fail in the kernel (it
 * allocates a page-table page), as can every page allocation
 * (hvo_fail_page_alloc()). A PTE step cannot: no released kernel's PTE
 * callback can fail (6.12's and the 2026 design's remap and restore PTE
 * callbacks return nothing that stops the walk). HVO_FAIL_VMEMMAP_PTE is
 * libhvo's own point, kept to exercise the rollback at every step; a
 * failure it causes is one no real kernel can have.
 * @return 0 or -EINVAL (an unknown @p point).
 */
int
hvo_fail_vmemmap(struct hvo_machine *m, enum hvo_fail_point point,
		 uint64_t nth, bool persistent);

/** @} */

/**
 * @defgroup pgtable Page tables
 * Walking the kernel page table, decoding entries, mapping, unmapping,
 * splitting and protecting kernel ranges.
 * @{
 */

/* ---------------------------------------------------------------------- */
/* Page tables                                                            */
/* ---------------------------------------------------------------------- */

/** One level of a walk. */
struct hvo_walk_level {
	const char *name;  /**< "pgd", "p4d", "pud", "pmd", "pte" */
	unsigned shift;    /**< VA shift of this level */
	unsigned index;    /**< index into the table */
	uint64_t table_pa; /**< physical address of the table */
	uint64_t entry_pa; /**< physical address of the entry */
	uint64_t entry;    /**< the raw entry */
	bool valid;        /**< the entry is present */
	bool leaf;         /**< a leaf (page or block) */
	/** Room for fields of later releases; the library writes zeros. */
	uint64_t reserved[2];
};

/** The result of a page-table walk. */
struct hvo_walk {
	uint64_t va;        /**< the address walked */
	unsigned nr_levels; /**< levels visited */
	struct hvo_walk_level level[HVO_MAX_LEVELS]; /**< top level first */
	bool mapped;        /**< a valid leaf was reached */
	uint64_t pa;        /**< translation of va, if mapped */
	uint64_t leaf_size; /**< bytes mapped by the leaf */
	uint64_t prot;      /**< the leaf's attribute bits (arch format) */
	/** the leaf allows kernel writes */
	bool writable;
	/** Room for fields of later releases; the library writes zeros. */
	uint64_t reserved[4];
};

/**
 * Walk the kernel page table for @p va, recording every level.
 *
 * @return 0 (also when @p va is not mapped: see hvo_walk.mapped), or -EINVAL
 *         for a non-canonical address or @p out NULL.
 */
int
hvo_walk(struct hvo_machine *m, uint64_t va, struct hvo_walk *out);

/**
 * Describe a raw entry of the given level (0 = top) in words, e.g.
 * "pmd block pa=0x200000 P RW A D G NX".
 *
 * @return 0, -EINVAL (@p buf NULL, @p len 0, no such level), or -ENOSPC if
 *         @p buf is too small.
 */
int
hvo_entry_describe(const struct hvo_machine *m, unsigned level,
		   uint64_t entry, char *buf, size_t len);

/** The protections a kernel mapping may be given. */
enum hvo_prot {
	HVO_PROT_KERNEL = 0, /**< PAGE_KERNEL */
	HVO_PROT_KERNEL_RO,  /**< PAGE_KERNEL_RO */
};

/**
 * Map [@p va, @p va + @p size) to @p pa with one leaf of that size (a page, or
 * a block where the arch allows one of that size). Missing tables are
 * allocated. Like the kernel's set_pte_at(), this does not flush the TLB.
 *
 * @return 0, -EINVAL (misaligned, non-canonical, no leaf of that size, pa not
 *         RAM), -EEXIST (something is mapped there) or -ENOMEM.
 */
int
hvo_map(struct hvo_machine *m, uint64_t va, uint64_t pa, uint64_t size,
	enum hvo_prot prot);

/**
 * Clear the leaf that maps @p va (it must start at @p va). No TLB flush.
 *
 * @return 0, -EINVAL or -ENOENT.
 */
int
hvo_unmap(struct hvo_machine *m, uint64_t va);

/**
 * Split the block that maps @p va into a table of next-level leaves that map
 * the same memory with the same protection. No TLB flush.
 *
 * @return 0, -EINVAL (not a block), -ENOENT or -ENOMEM.
 */
int
hvo_split(struct hvo_machine *m, uint64_t va);

/**
 * Change the protection of the leaf that maps @p va. No TLB flush.
 *
 * @return 0, -EINVAL or -ENOENT.
 */
int
hvo_protect(struct hvo_machine *m, uint64_t va, enum hvo_prot prot);

/** @} */

/**
 * @defgroup kmem Kernel memory and the TLB
 * Loads and stores through the kernel page table and the software TLB,
 * and TLB flushes.
 * @{
 */

/* ---------------------------------------------------------------------- */
/* Kernel memory access and the TLB                                       */
/* ---------------------------------------------------------------------- */

/**
 * Load 8 bytes at kernel virtual address @p va through the TLB.
 *
 * @return 0, -EINVAL (misaligned, @p val NULL), or -EFAULT (a fault: not
 *         mapped).
 */
int
hvo_kread64(struct hvo_machine *m, uint64_t va, uint64_t *val);

/**
 * Store 8 bytes at @p va through the TLB. A store to a read-only mapping is a
 * fault: it is counted and reported, and memory is left unchanged.
 *
 * @return 0, -EINVAL (misaligned) or -EFAULT.
 */
int
hvo_kwrite64(struct hvo_machine *m, uint64_t va, uint64_t val);

/**
 * flush_tlb_kernel_range(): page by page up to the arch's ceiling.
 * @return 0 or -EINVAL (@p end below @p start).
 */
int
hvo_flush_tlb_kernel_range(struct hvo_machine *m, uint64_t start,
			   uint64_t end);

/** flush_tlb_all(). */
int
hvo_flush_tlb_all(struct hvo_machine *m);

/** @} */

/**
 * @defgroup trace Tracing
 * Events as they happen: entries written, flushes, pages allocated and
 * freed, faults.
 * @{
 */

/* ---------------------------------------------------------------------- */
/* Tracing                                                                */
/* ---------------------------------------------------------------------- */

/** What happened. */
enum hvo_event_kind {
	HVO_EVENT_ENTRY_WRITE = 0, /**< a live page-table entry was written */
	HVO_EVENT_TLB_FLUSH,       /**< flush_tlb_kernel_range() or flush_tlb_all() */
	HVO_EVENT_PAGE_ALLOC,      /**< pages left the buddy allocator */
	HVO_EVENT_PAGE_FREE,       /**< pages went back to it */
	HVO_EVENT_FAULT,           /**< a kernel access faulted */
};

/** One event; which fields mean something depends on the kind. */
struct hvo_event {
	enum hvo_event_kind kind; /**< which of the events below */
	const char *level;   /**< ENTRY_WRITE: "pgd" ... "pte" */
	uint64_t entry_pa;   /**< ENTRY_WRITE: where the entry lives */
	uint64_t old_entry;  /**< ENTRY_WRITE */
	uint64_t new_entry;  /**< ENTRY_WRITE */
	uint64_t start;      /**< TLB_FLUSH: the range asked for */
	uint64_t end;        /**< TLB_FLUSH: its end, exclusive */
	bool all;            /**< TLB_FLUSH: the whole TLB was flushed */
	uint64_t pfn;        /**< PAGE_ALLOC, PAGE_FREE */
	unsigned order;      /**< PAGE_ALLOC, PAGE_FREE: 2^order pages */
	const char *why;     /**< PAGE_ALLOC/FREE: what the pages were for
				  ("vmemmap", "hugetlb", "boot memory", ...);
				  FAULT: the reason */
	/**
	 * FAULT: the address that faulted. ENTRY_WRITE: the first virtual
	 * address whose mapping the write changes; the entry covers the
	 * level's size from there (hvo_geometry.level_shift).
	 */
	uint64_t va;
	/**
	 * Room for fields of later releases; the library writes zeros and
	 * hvo_event_format() ignores it.
	 */
	uint64_t reserved[4];
};

/** A trace callback: called synchronously, in the order things happen. */
typedef void (*hvo_trace_fn)(void *ctx, const struct hvo_event *ev);

/**
 * Send every event of @p m from now on to @p fn (NULL stops tracing).
 * Boot is over by the time a machine exists, so it is not traced.
 *
 * @return 0 or -EINVAL.
 */
int
hvo_set_trace(struct hvo_machine *m, hvo_trace_fn fn, void *ctx);

/**
 * One line describing @p ev, e.g.
 * "write pte @0x1234000 va 0xffffea0000040000: 0x...163 -> 0x...121".
 * Decode the entries with hvo_entry_describe() (the depth is the index of
 * hvo_event.level in hvo_geometry.level_name).
 *
 * @return 0, -EINVAL (a NULL argument, @p len 0, an unknown kind) or
 *         -ENOSPC (@p buf too small).
 */
int
hvo_event_format(const struct hvo_event *ev, char *buf, size_t len);

/** @} */

/**
 * @defgroup counters Counters
 * The counters of work every machine keeps.
 * @{
 */

/* ---------------------------------------------------------------------- */
/* Counters and reports                                                   */
/* ---------------------------------------------------------------------- */

/**
 * The counters every machine keeps, by number: HVO_COUNTER_X is counter
 * number X of hvo_counter_name() (its name in the comment). Values never
 * change; a later release appends counters, so a program may see
 * hvo_counter_count() larger than the counters it knows.
 */
enum hvo_counter {
	HVO_COUNTER_PT_READ_PGD = 0,    /**< "pt.read.pgd" */
	HVO_COUNTER_PT_READ_P4D,        /**< "pt.read.p4d" */
	HVO_COUNTER_PT_READ_PUD,        /**< "pt.read.pud" */
	HVO_COUNTER_PT_READ_PMD,        /**< "pt.read.pmd" */
	HVO_COUNTER_PT_READ_PTE,        /**< "pt.read.pte" */
	HVO_COUNTER_PT_WRITE_PGD,       /**< "pt.write.pgd" */
	HVO_COUNTER_PT_WRITE_P4D,       /**< "pt.write.p4d" */
	HVO_COUNTER_PT_WRITE_PUD,       /**< "pt.write.pud" */
	HVO_COUNTER_PT_WRITE_PMD,       /**< "pt.write.pmd" */
	HVO_COUNTER_PT_WRITE_PTE,       /**< "pt.write.pte" */
	HVO_COUNTER_PT_TABLE_ALLOC,     /**< "pt.table_alloc" */
	HVO_COUNTER_PT_TABLE_FREE,      /**< "pt.table_free" */
	HVO_COUNTER_PT_SPLIT,           /**< "pt.split" */
	HVO_COUNTER_TLB_HIT,            /**< "tlb.hit" */
	HVO_COUNTER_TLB_MISS,           /**< "tlb.miss" */
	HVO_COUNTER_TLB_FLUSH_RANGE,    /**< "tlb.flush_range" */
	HVO_COUNTER_TLB_FLUSH_PAGE,     /**< "tlb.flush_page" */
	HVO_COUNTER_TLB_FLUSH_ALL,      /**< "tlb.flush_all" */
	HVO_COUNTER_FAULT_NOT_PRESENT,  /**< "fault.not_present" */
	HVO_COUNTER_FAULT_WRITE_PROTECT, /**< "fault.write_protect" */
	HVO_COUNTER_FAULT_BAD_ENTRY,    /**< "fault.bad_entry" */
	HVO_COUNTER_CHECK_STALE_TLB,    /**< "check.stale_tlb" */
	HVO_COUNTER_CHECK_BBM,          /**< "check.bbm" */
	HVO_COUNTER_BUDDY_ALLOC,        /**< "buddy.alloc" */
	HVO_COUNTER_BUDDY_FREE,         /**< "buddy.free" */
	HVO_COUNTER_DEFERRED_GROW,      /**< "buddy.deferred_grow" */
	HVO_COUNTER_FAULT_INJECTED,     /**< "fault.injected" */
	HVO_COUNTER_HOST_RELEASE,       /**< "host.release" */
	HVO_COUNTER_HVO_OPTIMIZE,       /**< "hvo.optimize" */
	HVO_COUNTER_HVO_RESTORE,        /**< "hvo.restore" */
	HVO_COUNTER_HVO_SPLIT_PMD,      /**< "hvo.split_pmd" */
	HVO_COUNTER_HVO_VMEMMAP_FREED,  /**< "hvo.vmemmap_freed" */
	HVO_COUNTER_HVO_VMEMMAP_ALLOCED, /**< "hvo.vmemmap_alloced" */
	HVO_COUNTER_HVO_PREHVO,         /**< "hvo.prehvo" */
	HVO_COUNTER_HVO_ROLLBACK,       /**< "hvo.rollback" */
	HVO_COUNTER_HVO_BAD_PAGE,       /**< "hvo.bad_page" */
	HVO_COUNTER_HVO_SANITY,         /**< "hvo.sanity_fail" */
	HVO_COUNTER_HVO_SYNCHRONIZE_RCU, /**< "hvo.synchronize_rcu" */
	HVO_COUNTER_BUDDY_CLAIM,        /**< "buddy.claim" (0.2.0) */
	HVO_COUNTER_BUDDY_STEAL,        /**< "buddy.steal" (0.2.0) */
	HVO_COUNTER_HOST_MEMMAP_FILL,   /**< "host.memmap_fill" (0.2.0) */
	HVO_COUNTER_HOST_MEMMAP_COMPACT, /**< "host.memmap_compact" (0.2.0) */
};

/** @return the number of counters every machine keeps. */
size_t
hvo_counter_count(void);

/** @return the name of counter @p i ("tlb.hit", ...), or NULL past the end. */
const char *
hvo_counter_name(size_t i);

/** @return what counter @p i counts, in words, or NULL past the end. */
const char *
hvo_counter_help(size_t i);

/**
 * @return the value of counter @p i of @p m; 0 if @p i is out of range,
 *         with the reason in hvo_machine_error().
 */
uint64_t
hvo_machine_counter(const struct hvo_machine *m, size_t i);

/**
 * Read a counter by name.
 *
 * @return 0, -EINVAL (@p name or @p val NULL), or -ENOENT if no counter
 *         has that name.
 */
int
hvo_machine_counter_get(const struct hvo_machine *m, const char *name,
			uint64_t *val);

/**
 * Read counter @p c of @p m: the same value as hvo_machine_counter_get()
 * with its name, without the look-up or the chance of a misspelt name.
 *
 * @return 0, or -EINVAL (@p val NULL, @p c not a counter) with the reason.
 */
int
hvo_counter_get(const struct hvo_machine *m, enum hvo_counter c,
		uint64_t *val);

/**
 * Copy the first @p n counters of @p m into @p vals, in the order of
 * enum hvo_counter: a snapshot to measure an operation with
 * hvo_machine_counters_delta(). @p n may be less than
 * hvo_counter_count() (a program built against an older header).
 *
 * @return 0, or -EINVAL (@p vals NULL, @p n 0 or above
 *         hvo_counter_count()) with the reason.
 */
int
hvo_machine_counters_snapshot(const struct hvo_machine *m, uint64_t *vals,
			      size_t n);

/**
 * What the first @p n counters of @p m have counted since @p before was
 * taken by hvo_machine_counters_snapshot(): @p delta[i] = now - before[i].
 * @p delta may be @p before (the snapshot is then replaced). Counters
 * only grow, so a value below its snapshot means the counters were reset
 * in between: refused.
 *
 * @return 0, or -EINVAL (@p before or @p delta NULL, @p n 0 or above
 *         hvo_counter_count(), a counter below its snapshot) with the
 *         reason.
 */
int
hvo_machine_counters_delta(const struct hvo_machine *m,
			   const uint64_t *before, uint64_t *delta, size_t n);

/** Set every counter of @p m to zero. */
void
hvo_machine_counters_reset(struct hvo_machine *m);

/** @} */

/**
 * @defgroup json JSON documents
 * The JSON report, and the helpers every JSON document of libhvo and its
 * tools is written with: format_version and libhvo_version first.
 * @{
 */

/**
 * Write a JSON report of @p m to @p f, one object whose keys come in this
 * order: "format_version" and "libhvo_version" (see hvo_json_begin()),
 * "machine", "memory", "buddyinfo", "zones", "hstates", "hvo", "check"
 * ("passed", "failed" or "not run": the result of the latest
 * hvo_machine_check() of @p m), "walks" (one per address in @p walk_va)
 * and "counters". README.md (installed in share/doc/libhvo), "The JSON
 * report", lists the keys inside each; the JSON Schema
 * report.schema.json, installed in share/libhvo/schema, pins them.
 *
 * @return 0, -EINVAL (@p f NULL, or @p walk_va NULL with @p nr_walks not
 *         0), or -EIO if writing failed.
 */
int
hvo_machine_report_json(struct hvo_machine *m, const uint64_t *walk_va,
			size_t nr_walks, FILE *f);

/**
 * The version of the format of every JSON document libhvo and hvo-sim
 * write, the value of their "format_version" key. It starts at 1 and is
 * raised whenever a key is removed or renamed, or a value changes its type
 * or meaning; adding a key does not raise it. NEWS says what each raise
 * changed; the schemas in share/libhvo/schema describe the current one.
 */
#define HVO_JSON_FORMAT_VERSION 1

/** Flags of hvo_json_begin(). */
enum hvo_json_flags {
	HVO_JSON_COMPACT = 1 << 0, /**< the object on one line (JSON Lines) */
};

/**
 * Open a JSON document the way every document of libhvo opens: write "{"
 * and its first two members, "format_version" (HVO_JSON_FORMAT_VERSION, a
 * number) and "libhvo_version" (hvo_version(), a string), to @p f. The
 * object stays open: the caller writes each further member after a comma
 * and closes it with "}". hvo_machine_report_json() and every JSON output
 * of hvo-sim start with this call, so that the two keys are written in
 * one place.
 *
 * Without flags the members go on lines of their own, indented by two
 * blanks: continue with a comma, a new line, two blanks and the next
 * member. With HVO_JSON_COMPACT they go on one line without blanks, as a
 * record of JSON Lines: continue with a comma and the next member,
 * {"format_version":1,"libhvo_version":"0.1.0","key":value}.
 *
 * @return 0, -EINVAL (@p f NULL, or an unknown flag in @p flags) or -EIO
 *         if writing failed.
 */
int
hvo_json_begin(FILE *f, unsigned flags);

/**
 * Write @p s to @p f as a JSON string, quoted and escaped as libhvo's own
 * documents escape strings: quotes, backslashes and control characters
 * escaped, and every byte that is not part of valid UTF-8 replaced by
 * U+FFFD, so any JSON reader accepts the result.
 *
 * @return 0, -EINVAL (@p f or @p s NULL) or -EIO if writing failed.
 */
int
hvo_json_string(FILE *f, const char *s);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* HVO_HVO_H */
