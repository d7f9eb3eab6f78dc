/* SPDX-License-Identifier: MIT */
/*
 * What hvo-sim's main program and its subcommands share: reading the
 * command line (numbers, variants, bad options), printing sizes, and
 * printing trace events. Messages go to stderr and start with the WHO the
 * caller gives ("hvo-sim", "hvo-sim show", ...).
 */
#ifndef HVO_SIMUTIL_H
#define HVO_SIMUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hvo/hvo.h>

/*
 * Every size is read by hvo_parse_size(), as the kernel's memparse(); this
 * says so in messages.
 */
#define SIZE_HELP "decimal, 0x hex or 0 octal, with an optional K, M, G, T, P or E"

/*
 * A number as every tool reads one, a pfn, an address, a count or a seed:
 * decimal or 0x hex, the whole string, without a sign or blanks, and at
 * most @p max. Returns 0, -EINVAL (not such a number) or -ERANGE (above
 * @p max). Sizes are read by hvo_parse_size() instead.
 */
int
sim_parse_number(const char *s, uint64_t max, uint64_t *out);

/* A --hugepages SIZE=N: the pool of hugepages of SIZE set to N. */
struct sim_pool {
	const char *text; /* as typed */
	uint64_t size;    /* bytes */
	uint64_t nr;
};

/*
 * Read SIZE=N: a size as hvo_parse_size() reads it, not 0, and a number
 * up to INT64_MAX. On error prints "WHERE TEXT: ..." (WHERE is, say,
 * "hvo-sim: --hugepages") and returns -EINVAL.
 */
int
sim_parse_pool(const char *where, const char *text, struct sim_pool *p);

/* What hvo-sim --walk and hvo-sim show walk take, resolved once booted. */
enum sim_target_kind {
	SIM_TARGET_VA,      /* a kernel virtual address */
	SIM_TARGET_PFN,     /* pfn:N, the struct page of pfn N */
	SIM_TARGET_VMEMMAP, /* the struct page of the first RAM pfn */
};

struct sim_target {
	const char *text; /* as typed */
	enum sim_target_kind kind;
	uint64_t value;   /* the address, or the pfn */
};

/*
 * Read VA (a number), pfn:N (N a number) or vmemmap. On error prints
 * "WHERE TEXT: ..." and returns -EINVAL.
 */
int
sim_parse_target(const char *where, const char *text, struct sim_target *t);

/*
 * The address @p t names on @p m: a struct page's for pfn:N and vmemmap.
 * A pfn without one prints "WHERE TEXT: ..." and returns -EINVAL.
 */
int
sim_resolve_target(const char *where, const struct hvo_machine *m,
		   const struct sim_target *t, uint64_t *va);

/*
 * Build the machine of @p spec, with *@p variant in place of its hvo= if
 * @p variant is not NULL. Returns EXIT_OK, or after printing "WHO: ..."
 * EXIT_USAGE for a spec or a configuration the library refuses and
 * EXIT_RUNTIME if the machine could not be built for another reason.
 */
int
sim_boot(const char *who, const char *spec, const enum hvo_variant *variant,
	 struct hvo_machine **m);

/*
 * getopt_long() refused @p arg: @p what is ':' (a missing argument) or
 * '?'. A short option's letter is @p letter (optopt); a long option that is
 * known but misused also leaves its letter there. Prints "WHO: ...".
 */
void
report_bad_option(const char *who, int what, const char *arg, int letter);

/* Is @p v a power of two (1, 2, 4, ...)? 0 is not. */
bool
sim_is_pow2(uint64_t v);

/* "2M" for an exact power of 1024, else the byte count. */
void
format_size(uint64_t v, char *buf, size_t len);

/*
 * A variant by name ("off", "keep2", ...). On error, prints "WHO: --hvo
 * TEXT: allowed are ..." to stderr and returns -EINVAL.
 */
int
parse_variant(const char *who, const char *text, enum hvo_variant *out);

/*
 * A trace callback for hvo_set_trace(): one "trace: ..." line per event,
 * to the FILE given as ctx. sim_tracer_print() says more.
 */
void
sim_trace_print(void *ctx, const struct hvo_event *ev);

/*
 * An entry as hvo_entry_describe() words it, "LEVEL TYPE [pa=PA] BITS..."
 * ("pte page pa=0x1000 P RW", "pmd none", "pmd malformed (WHY) BITS"),
 * taken apart: TYPE is none, table, page, block or malformed.
 */
struct sim_entry_desc {
	char type[16];
	bool has_pa;
	uint64_t pa;
	const char *bits; /* the bits' names, into the description */
};

/* Take @p desc apart into @p out. Returns 0, or -EINVAL if it is not one. */
int
sim_entry_parse(const char *desc, struct sim_entry_desc *out);

/*
 * Every trace event with what a reader needs to follow it: for an entry
 * write, the virtual address whose mapping it changes and both entries
 * decoded by the arch (hvo_entry_describe()). As text, "trace: ..." lines;
 * as JSON Lines, one object per event (doc/schema/trace.schema.json).
 */
struct sim_tracer {
	FILE *out;
	const struct hvo_machine *m;
	struct hvo_geometry g;
	bool json;
	uint64_t seq;   /* events printed so far */
};

/* Ready @p t to print the events of @p m to @p out. Returns 0 or -EINVAL. */
int
sim_tracer_init(struct sim_tracer *t, FILE *out, const struct hvo_machine *m,
		bool json);

/* The callback for hvo_set_trace(), with a struct sim_tracer as ctx. */
void
sim_tracer_print(void *ctx, const struct hvo_event *ev);

#endif /* HVO_SIMUTIL_H */
