/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim quiz: generated exercises, in the manner of OSTEP's simulators.
 * A seed makes a question (-n makes several); every parameter it depends
 * on is printed; -c prints the worked answer, computed by hand here from
 * what the question printed and then checked against what the simulated
 * machine really does. A disagreement is a bug in one of the two and ends
 * the run with status 1. --json prints the same as one JSON document
 * (doc/schema/quiz.schema.json), each question with its text.
 *
 * Three kinds of question:
 *   walk     the page-table walk of a struct page's address, with a dump
 *            of the tables it may visit
 *   savings  the bytes of vmemmap HVO frees for a pool of hugepages
 *   buddy    the merges of the buddy allocator and /proc/buddyinfo
 *
 * This file uses only the public API in <hvo/hvo.h>.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "simjson.h"
#include "procfs.h"
#include "sim.h"
#include "simutil.h"

enum quiz_kind {
	KIND_WALK = 0,
	KIND_SAVINGS,
	KIND_BUDDY,
	KIND__COUNT
};

static const char *const kind_names[KIND__COUNT] = {
	"walk", "savings", "buddy",
};

/* ---------------------------------------------------------------------- */
/* The random numbers: the same on every machine                          */
/* ---------------------------------------------------------------------- */

/* splitmix64: spreads a small seed (0, 1, 2...) over all 64 bits. */
static uint64_t
splitmix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* xorshift64*: the quiz's only source of choices. */
struct rng {
	uint64_t s; /* never 0 */
};

static void
rng_seed(struct rng *r, uint64_t seed)
{
	r->s = splitmix64(seed);
	if (!r->s)
		r->s = 1;
}

static uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * UINT64_C(0x2545f4914f6cdd1d);
}

/* A number in [0, n); n > 0. The high bits are the better ones. */
static uint64_t
rng_below(struct rng *r, uint64_t n)
{
	return (rng_next(r) >> 11) % n;
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */
/* ---------------------------------------------------------------------- */

#if defined(__GNUC__)
#define QUIZ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define QUIZ_PRINTF(a, b)
#endif

static unsigned
log2_u64(uint64_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* The low @p bits bits of @p v in binary, most significant first. */
static void
binary(uint64_t v, unsigned bits, char *buf, size_t len)
{
	size_t n = 0;

	for (unsigned b = bits; b-- > 0 && n + 1 < len;)
		buf[n++] = (v >> b) & 1 ? '1' : '0';
	buf[n] = '\0';
}

/* How the questions are asked. */
struct quiz {
	bool solve;          /* -c: the worked answers too */
	FILE *out;           /* the text: stdout, or a buffer under --json */
	struct sj *j;      /* under --json: the question's object */
	const char *machine; /* --machine, or NULL: the seed picks */
};

static void QUIZ_PRINTF(2, 3)
qp(const struct quiz *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(q->out, fmt, ap);
	va_end(ap);
}

/* The last word on every question: the machine's invariants hold. */
static int
finish(struct hvo_machine *m, int status)
{
	if (hvo_machine_check(m)) {
		fprintf(stderr, PROG " quiz: machine check failed: %s\n",
			hvo_machine_error(m));
		status = EXIT_RUNTIME;
	}
	hvo_machine_free(m);
	return status;
}

static void
print_machine(const struct quiz *q, const struct hvo_machine *m)
{
	char spec[1024];

	if (hvo_config_format(hvo_machine_config(m), spec, sizeof(spec)))
		snprintf(spec, sizeof(spec), "?");
	qp(q, "  machine       %s\n", spec);
	if (q->j)
		sj_kv_str(q->j, "machine", spec);
}

static void
mismatch(const char *what, uint64_t hand, uint64_t machine)
{
	fprintf(stderr, PROG " quiz: BUG: %s: worked out %" PRIu64
		" (0x%" PRIx64 "), the machine says %" PRIu64 " (0x%" PRIx64 ")\n",
		what, hand, hand, machine, machine);
}

/*
 * Boot @p spec, with the per-CPU lists and deferred struct page init off
 * if @p plain (every free then goes straight to the buddy lists). The
 * spec is the user's or the quiz's; -EINVAL from the library is the
 * user's (status 2) only when it came from --machine.
 */
static int
quiz_boot(const struct quiz *q, const char *spec, bool plain,
	  struct hvo_machine **m)
{
	struct hvo_config cfg;
	char err[1024];
	int rc;

	*m = NULL;
	rc = hvo_config_parse(&cfg, spec, err, sizeof(err));
	if (!rc && plain) {
		cfg.pcp = false;
		cfg.deferred_init = false;
	}
	if (!rc)
		rc = hvo_machine_new(&cfg, m, err, sizeof(err));
	if (!rc)
		return EXIT_OK;
	fprintf(stderr, PROG " quiz: %s %s: %s\n",
		q->machine ? "--machine" : "cannot build", spec, err);
	/* The quiz makes its own specs: one the library refuses is a bug. */
	return q->machine && rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}
/* ---------------------------------------------------------------------- */
/* walk: which entry of each level, and where the walk ends               */
/* ---------------------------------------------------------------------- */

static const char *const walk_mem[] = { "128M", "256M", "512M", "1G", "2G" };

/*
 * The page-table dump a walk question prints, as OSTEP's paging
 * simulators print the pages of memory: every table the walk reads, with
 * the entry it reads and a few others, and a table it does not read. The
 * student follows the entries from the top table; the answer does the
 * same, from this dump only, and is then checked against the machine.
 */
#define DUMP_TABLES 8
#define DUMP_ENTRIES 8

struct dump_entry {
	unsigned index;
	uint64_t entry;
	char desc[192];     /* hvo_entry_describe() */
};

struct dump_table {
	uint64_t pa;
	unsigned depth;
	unsigned n;
	struct dump_entry e[DUMP_ENTRIES];
};

struct walk_dump {
	unsigned n;
	struct dump_table t[DUMP_TABLES];
};

static struct dump_table *
dump_table(struct walk_dump *d, uint64_t pa, unsigned depth)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->t[i].pa == pa)
			return &d->t[i];
	if (d->n == DUMP_TABLES)
		return NULL;
	d->t[d->n] = (struct dump_table){ .pa = pa, .depth = depth };
	return &d->t[d->n++];
}

/* Add entry @p index of the table at @p pa, kept in index order. */
static void
dump_add(const struct hvo_machine *m, struct walk_dump *d, uint64_t pa,
	 unsigned depth, unsigned index, uint64_t entry)
{
	struct dump_table *t = dump_table(d, pa, depth);
	unsigned k;

	if (!t || t->n == DUMP_ENTRIES)
		return;
	for (k = 0; k < t->n && t->e[k].index < index; k++)
		;
	if (k < t->n && t->e[k].index == index)
		return;
	memmove(&t->e[k + 1], &t->e[k], (t->n - k) * sizeof(t->e[0]));
	t->e[k].index = index;
	t->e[k].entry = entry;
	if (hvo_entry_describe(m, depth, entry, t->e[k].desc,
			       sizeof(t->e[k].desc)))
		snprintf(t->e[k].desc, sizeof(t->e[k].desc), "(cannot decode)");
	t->n++;
}

static const struct dump_entry *
dump_find(const struct walk_dump *d, uint64_t pa, unsigned index)
{
	for (unsigned i = 0; i < d->n; i++)
		for (unsigned k = 0; d->t[i].pa == pa && k < d->t[i].n; k++)
			if (d->t[i].e[k].index == index)
				return &d->t[i].e[k];
	return NULL;
}

/* @p va with the index of level @p depth set to @p index. */
static uint64_t
va_with_index(const struct hvo_geometry *g, uint64_t va, unsigned depth,
	      unsigned index)
{
	uint64_t mask = (uint64_t)(g->level_entries[depth] - 1) <<
			g->level_shift[depth];

	return (va & ~mask) | ((uint64_t)index << g->level_shift[depth]);
}

/*
 * Walk @p va with the index of level @p depth set to @p index; 0 if that
 * walk reads the same table at @p depth as @p w, with the result in @p w2.
 */
static int
walk_sibling(struct hvo_machine *m, const struct hvo_geometry *g,
	     const struct hvo_walk *w, uint64_t va, unsigned depth,
	     unsigned index, struct hvo_walk *w2)
{
	if (hvo_walk(m, va_with_index(g, va, depth, index), w2) ||
	    w2->nr_levels <= depth ||
	    w2->level[depth].table_pa != w->level[depth].table_pa)
		return -ENOENT;
	return 0;
}

/*
 * The dump for the walk @p w of @p va: each table on the path with its
 * entry, its neighbours and one at random; and one table off the path,
 * reached from another table entry of a table on the path, with the
 * entry at the path's index there and another: a walk that took the
 * wrong entry above would read them.
 */
static void
build_dump(struct hvo_machine *m, struct rng *r, const struct hvo_geometry *g,
	   uint64_t va, const struct hvo_walk *w, struct walk_dump *d)
{
	struct hvo_walk w2;
	unsigned nr_off = 0, pick = 0;

	memset(d, 0, sizeof(*d));
	for (unsigned k = 0; k < w->nr_levels && k < HVO_MAX_LEVELS; k++)
		dump_add(m, d, w->level[k].table_pa, k, w->level[k].index,
			 w->level[k].entry);
	for (unsigned k = 0; k < w->nr_levels && k < HVO_MAX_LEVELS; k++) {
		unsigned idx = w->level[k].index, n = g->level_entries[k];
		unsigned cand[3] = {
			idx ? idx - 1 : n - 1,
			idx + 1 < n ? idx + 1 : 0,
			(unsigned)rng_below(r, n),
		};

		for (unsigned c = 0; c < 3; c++)
			if (cand[c] != idx &&
			    !walk_sibling(m, g, w, va, k, cand[c], &w2))
				dump_add(m, d, w2.level[k].table_pa, k, cand[c],
					 w2.level[k].entry);
	}
	/* Count the other table entries of the path's tables, pick one. */
	for (int pass = 0; pass < 2; pass++) {
		unsigned seen = 0;

		if (pass == 1) {
			if (!nr_off)
				return;
			pick = (unsigned)rng_below(r, nr_off);
		}
		for (unsigned k = 0; k + 1 < w->nr_levels &&
		     k < HVO_MAX_LEVELS - 1; k++) {
			for (unsigned c = 0; c < g->level_entries[k]; c++) {
				const struct hvo_walk_level *l;

				if (c == w->level[k].index ||
				    walk_sibling(m, g, w, va, k, c, &w2) ||
				    w2.nr_levels <= k + 1 ||
				    !w2.level[k].valid || w2.level[k].leaf)
					continue;
				if (pass == 0 || seen++ != pick) {
					nr_off += pass == 0;
					continue;
				}
				dump_add(m, d, w2.level[k].table_pa, k, c,
					 w2.level[k].entry);
				l = &w2.level[k + 1];
				dump_add(m, d, l->table_pa, k + 1, l->index,
					 l->entry);
				return;
			}
		}
	}
}

/*
 * Give the dump a table the walk does not read: map one page of a frame
 * of its own at @p va with the index of the deepest table entry on the
 * path moved to an empty slot. The new tables hang off that slot; one of
 * them has a valid entry at the very index the walk uses one level down.
 */
static void
plant_distractor(struct hvo_machine *m, struct rng *r,
		 const struct hvo_geometry *g, uint64_t va,
		 const struct hvo_walk *w)
{
	struct hvo_walk w2;
	uint64_t pfn, target;

	for (unsigned k = w->nr_levels - 1; k-- > 0;) {
		unsigned n = g->level_entries[k], start, c;

		if (!w->level[k].valid || w->level[k].leaf)
			continue;
		start = (unsigned)rng_below(r, n);
		for (unsigned t = 0; t < n; t++) {
			c = (start + t) % n;
			if (c == w->level[k].index ||
			    walk_sibling(m, g, w, va, k, c, &w2) ||
			    w2.level[k].valid)
				continue;
			target = va_with_index(g, va, k, c) &
				 ~(uint64_t)(g->page_size - 1);
			if (hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn))
				return;
			if (hvo_map(m, target, pfn << g->page_shift,
				    g->page_size, HVO_PROT_KERNEL))
				hvo_free_pages(m, pfn, 0);
			return;
		}
	}
}

static void
print_dump(const struct quiz *q, const struct hvo_geometry *g,
	   const struct walk_dump *d)
{
	/* Top level first; tables of one level by address. */
	for (unsigned depth = 0; depth < g->levels; depth++) {
		uint64_t last = 0;

		for (;;) {
			const struct dump_table *t = NULL;

			for (unsigned i = 0; i < d->n; i++)
				if (d->t[i].depth == depth &&
				    (!last || d->t[i].pa > last) &&
				    (!t || d->t[i].pa < t->pa))
					t = &d->t[i];
			if (!t)
				break;
			last = t->pa;
			qp(q, "    %s table at pa 0x%" PRIx64 ":\n",
			   g->level_name[depth], t->pa);
			for (unsigned k = 0; k < t->n; k++)
				qp(q, "      [%4u] 0x%016" PRIx64 "  %s\n",
				   t->e[k].index, t->e[k].entry, t->e[k].desc);
			if (q->j) {
				sj_begin_object(q->j);
				sj_kv_hex(q->j, "table_pa", t->pa);
				sj_kv_str(q->j, "level", g->level_name[depth]);
				sj_kv_u64(q->j, "depth", depth);
				sj_key(q->j, "entries");
				sj_begin_array(q->j);
				for (unsigned k = 0; k < t->n; k++) {
					sj_begin_object(q->j);
					sj_kv_u64(q->j, "index", t->e[k].index);
					sj_kv_hex16(q->j, "entry",
						      t->e[k].entry);
					sj_kv_str(q->j, "decoded",
						    t->e[k].desc);
					sj_end_object(q->j);
				}
				sj_end_array(q->j);
				sj_end_object(q->j);
			}
		}
	}
}

/* What the student works out, level by level, from the dump alone. */
struct walk_answer {
	unsigned nr;                      /* levels read */
	unsigned index[HVO_MAX_LEVELS];
	uint64_t table_pa[HVO_MAX_LEVELS];
	bool mapped;
	uint64_t leaf_size, leaf_pa, pa;
};

static int
solve_walk(const struct quiz *q, const struct hvo_geometry *g,
	   const struct walk_dump *d, uint64_t root, uint64_t va,
	   struct walk_answer *a)
{
	uint64_t table = root;

	memset(a, 0, sizeof(*a));
	qp(q, "  index = (VA >> shift) & (entries - 1), level by level, "
	   "from the %s table at pa 0x%" PRIx64 ":\n", g->level_name[0], root);
	for (unsigned k = 0; k < g->levels && k < HVO_MAX_LEVELS; k++) {
		unsigned bits = log2_u64(g->level_entries[k]);
		uint64_t idx = (va >> g->level_shift[k]) &
			       (g->level_entries[k] - 1);
		const struct dump_entry *e;
		struct sim_entry_desc ed;
		char bin[72];

		a->index[k] = (unsigned)idx;
		a->table_pa[k] = table;
		a->nr = k + 1;
		binary(idx, bits ? bits : 1, bin, sizeof(bin));
		if (bits)
			qp(q, "  %-4s  VA bits %2u..%-2u = (0x%016" PRIx64
			   " >> %u) & 0x%x = 0b%s = %" PRIu64 "\n",
			   g->level_name[k], g->level_shift[k] + bits - 1,
			   g->level_shift[k], va, g->level_shift[k],
			   g->level_entries[k] - 1, bin, idx);
		else
			qp(q, "  %-4s  a table of one entry: index 0\n",
			   g->level_name[k]);
		e = dump_find(d, table, (unsigned)idx);
		if (!e || sim_entry_parse(e->desc, &ed)) {
			fprintf(stderr, PROG " quiz: BUG: entry %" PRIu64
				" of the table at pa 0x%" PRIx64
				" is not in the dump\n", idx, table);
			return -ENOENT;
		}
		qp(q, "        entry [%" PRIu64 "] of the table at pa 0x%"
		   PRIx64 " = 0x%016" PRIx64 ": %s\n", idx, table, e->entry,
		   e->desc);
		if (!strcmp(ed.type, "table") && ed.has_pa) {
			table = ed.pa;
			qp(q, "        a table: the next level's is at pa 0x%"
			   PRIx64 "\n", table);
			continue;
		}
		if ((!strcmp(ed.type, "page") || !strcmp(ed.type, "block")) &&
		    ed.has_pa) {
			a->mapped = true;
			a->leaf_size = UINT64_C(1) << g->level_shift[k];
			a->leaf_pa = ed.pa;
			a->pa = ed.pa + (va & (a->leaf_size - 1));
			qp(q, "        a leaf: the walk ends here\n");
			return 0;
		}
		qp(q, "        %s: the walk ends here, VA is not mapped\n",
		   ed.type);
		return 0;
	}
	return 0;
}

static void
json_walk_answer(struct sj *j, const struct walk_answer *a,
		 const struct hvo_geometry *g, uint64_t va)
{
	sj_key(j, "answer");
	sj_begin_object(j);
	sj_key(j, "path");
	sj_begin_array(j);
	for (unsigned k = 0; k < a->nr; k++) {
		sj_begin_object(j);
		sj_kv_str(j, "level", g->level_name[k]);
		sj_kv_u64(j, "index", a->index[k]);
		sj_kv_hex(j, "table_pa", a->table_pa[k]);
		sj_end_object(j);
	}
	sj_end_array(j);
	sj_kv_bool(j, "mapped", a->mapped);
	if (a->mapped) {
		sj_kv_u64(j, "leaf_size", a->leaf_size);
		sj_kv_hex(j, "offset", va & (a->leaf_size - 1));
		sj_kv_hex(j, "pa", a->pa);
	} else {
		sj_kv_null(j, "leaf_size");
		sj_kv_null(j, "offset");
		sj_kv_null(j, "pa");
	}
	sj_end_object(j);
}

/* Does the worked answer agree with the machine's own walk? */
static int
check_walk(const struct walk_answer *a, const struct hvo_walk *w)
{
	int status = EXIT_OK;

	if (a->nr != w->nr_levels) {
		mismatch("levels the walk reads", a->nr, w->nr_levels);
		status = EXIT_RUNTIME;
	}
	for (unsigned k = 0; k < a->nr && k < w->nr_levels; k++) {
		if (a->index[k] != w->level[k].index) {
			mismatch("walk index", a->index[k], w->level[k].index);
			status = EXIT_RUNTIME;
		}
		if (a->table_pa[k] != w->level[k].table_pa) {
			mismatch("table address", a->table_pa[k],
				 w->level[k].table_pa);
			status = EXIT_RUNTIME;
		}
	}
	if (a->mapped != w->mapped) {
		mismatch("mapped", a->mapped, w->mapped);
		status = EXIT_RUNTIME;
	} else if (a->mapped && (a->pa != w->pa ||
				 a->leaf_size != w->leaf_size)) {
		mismatch("physical address", a->pa, w->pa);
		status = EXIT_RUNTIME;
	}
	return status;
}

static int
quiz_walk(const struct quiz *q, struct rng *r)
{
	size_t preset = (size_t)rng_below(r, hvo_preset_count());
	const char *mem = walk_mem[rng_below(r, sizeof(walk_mem) /
					       sizeof(walk_mem[0]))];
	const struct hvo_config *cfg;
	struct walk_answer ans;
	struct walk_dump *dump;
	struct hvo_geometry g;
	struct hvo_machine *m;
	struct hvo_walk w;
	uint64_t pfn, va, first, pages, root;
	char spec[256], sz[32];
	int status = EXIT_OK;

	snprintf(spec, sizeof(spec), "%s:mem=%s", hvo_preset_name(preset), mem);
	status = quiz_boot(q, q->machine ? q->machine : spec, false, &m);
	if (status)
		return status;
	cfg = hvo_machine_config(m);
	if (hvo_machine_geometry(m, &g) || !cfg->nr_mem_ranges) {
		fprintf(stderr, PROG " quiz: %s\n", hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}
	/* Any RAM pfn, in any of the machine's ranges. */
	{
		const struct hvo_mem_range *mr =
			&cfg->mem[rng_below(r, cfg->nr_mem_ranges)];

		first = mr->base >> g.page_shift;
		pages = mr->size >> g.page_shift;
	}
	pfn = first + rng_below(r, pages);
	if (hvo_pfn_to_page(m, pfn, &va) || hvo_walk(m, va, &w) ||
	    !w.nr_levels) {
		fprintf(stderr, PROG " quiz: pfn 0x%" PRIx64 ": %s\n", pfn,
			hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}
	root = w.level[0].table_pa;
	dump = calloc(1, sizeof(*dump));
	if (!dump) {
		fprintf(stderr, PROG " quiz: out of memory\n");
		return finish(m, EXIT_RUNTIME);
	}
	plant_distractor(m, r, &g, va, &w);
	build_dump(m, r, &g, va, &w, dump);

	format_size(g.page_size, sz, sizeof(sz));
	qp(q, "Question (walk)\n");
	print_machine(q, m);
	qp(q, "  arch          %s\n", g.arch);
	qp(q, "  page size     %u (%s)\n", g.page_size, sz);
	qp(q, "  VA bits       %u\n", g.va_bits);
	qp(q, "  levels        %u, top first\n", g.levels);
	for (unsigned d = 0; d < g.levels && d < HVO_MAX_LEVELS; d++) {
		unsigned bits = log2_u64(g.level_entries[d]);

		qp(q, "    %-4s  shift %2u  entries %5u", g.level_name[d],
		   g.level_shift[d], g.level_entries[d]);
		if (bits)
			qp(q, "  (VA bits %u..%u)\n",
			   g.level_shift[d] + bits - 1, g.level_shift[d]);
		else
			qp(q, "  (one entry)\n");
	}
	qp(q, "  a leaf at a level maps 2^shift bytes; the offset in it is "
	   "VA & (2^shift - 1)\n");
	qp(q, "  struct page   %u bytes; the struct page of pfn 0 is at 0x%016"
	   PRIx64 "\n", g.struct_page_size, g.vmemmap_base);
	qp(q, "  VA            0x%016" PRIx64 "  (pfn_to_page(0x%" PRIx64 "))\n",
	   va, pfn);
	qp(q, "  top table     the %s table is at pa 0x%" PRIx64 "\n",
	   g.level_name[0], root);
	qp(q, "  page-table dump: [index] raw entry, then what the arch's "
	   "decoder reads in it\n");
	if (q->j) {
		sj_kv_str(q->j, "arch", g.arch);
		sj_kv_u64(q->j, "page_size", g.page_size);
		sj_kv_u64(q->j, "va_bits", g.va_bits);
		sj_key(q->j, "levels");
		sj_begin_array(q->j);
		for (unsigned d = 0; d < g.levels && d < HVO_MAX_LEVELS; d++) {
			sj_begin_object(q->j);
			sj_kv_str(q->j, "name", g.level_name[d]);
			sj_kv_u64(q->j, "shift", g.level_shift[d]);
			sj_kv_u64(q->j, "entries", g.level_entries[d]);
			sj_end_object(q->j);
		}
		sj_end_array(q->j);
		sj_kv_u64(q->j, "struct_page_size", g.struct_page_size);
		sj_kv_hex16(q->j, "vmemmap_base", g.vmemmap_base);
		sj_kv_hex(q->j, "pfn", pfn);
		sj_kv_hex16(q->j, "va", va);
		sj_kv_hex(q->j, "top_table_pa", root);
		sj_key(q->j, "dump");
		sj_begin_array(q->j);
	}
	print_dump(q, &g, dump);
	if (q->j) {
		sj_end_array(q->j);
		sj_kv_str(q->j, "question",
			    "Which entry of each level does the walk of VA "
			    "read, where does it end, and to which physical "
			    "address does VA translate?");
	}
	qp(q, "\nWhich entry of each level does the walk of VA read, where "
	   "does it end,\nand to which physical address does VA translate?\n");
	if (!q->solve) {
		qp(q, "(run with -c to see the answer)\n");
		free(dump);
		return finish(m, status);
	}

	qp(q, "\nAnswer\n");
	qp(q, "  VA = 0x%016" PRIx64 " + 0x%" PRIx64 " * 0x%x = 0x%016" PRIx64
	   "\n", g.vmemmap_base, pfn, g.struct_page_size,
	   g.vmemmap_base + pfn * g.struct_page_size);
	if (g.vmemmap_base + pfn * g.struct_page_size != va) {
		mismatch("pfn_to_page()", g.vmemmap_base + pfn * g.struct_page_size, va);
		status = EXIT_RUNTIME;
	}
	if (solve_walk(q, &g, dump, root, va, &ans))
		status = EXIT_RUNTIME;
	if (ans.mapped) {
		uint64_t off = va & (ans.leaf_size - 1);

		format_size(ans.leaf_size, sz, sizeof(sz));
		qp(q, "  leaf size     %s (the %s level)\n", sz,
		   g.level_name[ans.nr - 1]);
		qp(q, "  offset        VA & (%s - 1) = 0x%" PRIx64 "\n", sz, off);
		qp(q, "  pa            leaf base 0x%" PRIx64 " + offset 0x%"
		   PRIx64 " = 0x%" PRIx64 "\n", ans.leaf_pa, off, ans.pa);
	} else {
		fprintf(stderr, PROG " quiz: BUG: the struct page of a RAM pfn "
			"is not mapped\n");
		status = EXIT_RUNTIME;
	}
	if (q->j)
		json_walk_answer(q->j, &ans, &g, va);
	/* The machine's own walk, which the answer must match. */
	if (check_walk(&ans, &w))
		status = EXIT_RUNTIME;
	if (status == EXIT_OK)
		qp(q, "  agrees with the machine's walk (hvo_walk())\n");
	if (q->j)
		sj_kv_bool(q->j, "checked", status == EXIT_OK);
	free(dump);
	return finish(m, status);
}

/* ---------------------------------------------------------------------- */
/* savings: what HVO frees for a pool of hugepages                        */
/* ---------------------------------------------------------------------- */

/* The largest hugepage a question uses: larger ones need too much RAM. */
#define SAVINGS_MAX_SIZE (UINT64_C(1) << 30)

static unsigned
kept_pages(enum hvo_variant v)
{
	switch (v) {
	case HVO_VARIANT_KEEP2: return 2;
	case HVO_VARIANT_FAKEHEAD:
	case HVO_VARIANT_SHAREDTAIL: return 1;
	case HVO_VARIANT_RELEASE:
	case HVO_VARIANT_OFF: break;
	}
	return 0;
}

static int
quiz_savings(const struct quiz *q, struct rng *r)
{
	static const unsigned sps_choices[] = { 64, 64, 64, 64, 64, 72, 80 };
	size_t preset = (size_t)rng_below(r, hvo_preset_count());
	struct hvo_hstate_info hs[16], h;
	unsigned nr_hs = 0, pick;
	enum hvo_variant v = (enum hvo_variant)rng_below(r, 4);
	unsigned sps = sps_choices[rng_below(r, sizeof(sps_choices) /
						sizeof(sps_choices[0]))];
	uint64_t n = 1 + rng_below(r, 4), mem, pages, bytes, vp = 0, kept, freed;
	uint64_t total;
	struct hvo_machine *m;
	struct hvo_geometry g;
	char spec[256], sz[32], memsz[32];
	const char *why = NULL;
	bool mask = false;
	int status = EXIT_OK;

	/* --machine names the arch or preset; the question picks the rest. */
	const char *arch = q->machine ? q->machine : hvo_preset_name(preset);

	/* A first, small machine tells the hugepage sizes of the preset. */
	snprintf(spec, sizeof(spec), "%s:mem=256M", arch);
	status = quiz_boot(q, spec, false, &m);
	if (status)
		return status;
	while (nr_hs < 16 && hvo_machine_hstate(m, nr_hs, &hs[nr_hs]) == 0 &&
	       hs[nr_hs].size <= SAVINGS_MAX_SIZE)
		nr_hs++;
	hvo_machine_free(m);
	if (!nr_hs) {
		fprintf(stderr, PROG " quiz: %s has no hugepage size\n", spec);
		return EXIT_RUNTIME;
	}
	pick = (unsigned)rng_below(r, nr_hs);
	if (hs[pick].size >= (UINT64_C(256) << 20))
		n = 1 + rng_below(r, 2);
	/*
	 * Room for the pool, the kernel and a naturally aligned start; a
	 * gigantic page needs an aligned range boot left whole, and boot's
	 * allocations (the vmemmap, page tables, the swiotlb buffer below
	 * 4G) may sit in two more.
	 */
	mem = (n + (hs[pick].size >= (UINT64_C(256) << 20) ? 4 : 2)) *
	      hs[pick].size;
	if (mem < (UINT64_C(256) << 20))
		mem = UINT64_C(256) << 20;
	format_size(mem, memsz, sizeof(memsz));
	snprintf(spec, sizeof(spec), "%s:mem=%s,struct_page=%u,hvo=%s",
		 arch, memsz, sps, hvo_variant_name(v));
	status = quiz_boot(q, spec, false, &m);
	if (status)
		return status;
	if (hvo_machine_geometry(m, &g) ||
	    hvo_machine_compound_encoding(m, &mask) ||
	    hvo_machine_hstate(m, pick, &h)) {
		fprintf(stderr, PROG " quiz: %s\n", hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}

	format_size(h.size, sz, sizeof(sz));
	qp(q, "Question (savings)\n");
	print_machine(q, m);
	qp(q, "  arch          %s\n", g.arch);
	qp(q, "  page size     %u\n", g.page_size);
	qp(q, "  hugepage      %s (%" PRIu64 " bytes)\n", sz, h.size);
	qp(q, "  struct page   %u bytes\n", sps);
	qp(q, "  HVO variant   %s\n", hvo_variant_name(v));
	if (v == HVO_VARIANT_SHAREDTAIL)
		qp(q, "  compound_info %s\n", mask ?
		       "mask encoding (vmemmap aligned to the largest folio)" :
		       "pointer encoding (vmemmap not aligned to the largest folio)");
	qp(q, "  N             %" PRIu64 "\n", n);
	if (q->j) {
		sj_kv_str(q->j, "arch", g.arch);
		sj_kv_u64(q->j, "page_size", g.page_size);
		sj_kv_u64(q->j, "hugepage_size", h.size);
		sj_kv_u64(q->j, "struct_page_size", sps);
		sj_kv_str(q->j, "variant", hvo_variant_name(v));
		if (v == HVO_VARIANT_SHAREDTAIL)
			sj_kv_str(q->j, "compound_info",
				    mask ? "mask" : "pointer");
		else
			sj_kv_null(q->j, "compound_info");
		sj_kv_u64(q->j, "n", n);
		sj_kv_str(q->j, "question", "How many bytes of vmemmap "
			    "does HVO free for N such hugepages?");
	}
	qp(q, "\nHow many bytes of vmemmap does HVO free for %" PRIu64
	       " such hugepage%s?\n", n, n == 1 ? "" : "s");
	if (!q->solve) {
		qp(q, "(run with -c to see the answer)\n");
		return finish(m, status);
	}

	pages = h.size / g.page_size;
	bytes = pages * sps;
	qp(q, "\nAnswer\n");
	qp(q, "  pages per hugepage  %" PRIu64 " / %u = %" PRIu64 "\n",
	       h.size, g.page_size, pages);
	qp(q, "  struct page bytes   %" PRIu64 " * %u = %" PRIu64 "\n",
	       pages, sps, bytes);
	if (bytes % g.page_size)
		qp(q, "  vmemmap pages       %" PRIu64 " / %u is not whole: "
		       "a part of a page cannot be remapped, so 0\n",
		       bytes, g.page_size);
	else
		vp = bytes / g.page_size;
	if (vp)
		qp(q, "  vmemmap pages       %" PRIu64 " / %u = %" PRIu64 "\n",
		       bytes, g.page_size, vp);
	kept = kept_pages(v);
	qp(q, "  kept by %-11s %" PRIu64 " page%s%s\n", hvo_variant_name(v),
	       kept, kept == 1 ? "" : "s",
	       v == HVO_VARIANT_SHAREDTAIL ?
	       " (its own head page; tails map one shared read-only page)" : "");
	if (!sim_is_pow2(sps))
		why = "a struct page of a size that is not a power of two "
		      "straddles page boundaries";
	else if (v == HVO_VARIANT_SHAREDTAIL && !mask)
		why = "sharedtail needs the mask encoding of compound_info";
	else if (vp <= 1 || (v == HVO_VARIANT_KEEP2 && vp <= 2))
		why = "all of its struct pages fit in the pages HVO keeps";
	else if (v == HVO_VARIANT_OFF)
		why = "HVO is off";
	freed = why ? 0 : vp - kept;
	total = n * freed * g.page_size;
	if (why)
		qp(q, "  not optimizable     %s: 0 pages freed\n", why);
	else
		qp(q, "  freed per hugepage  %" PRIu64 " - %" PRIu64 " = %"
		       PRIu64 " pages\n", vp, kept, freed);
	qp(q, "  freed for N = %" PRIu64 "   %" PRIu64 " * %" PRIu64 " * %u = %"
	       PRIu64 " bytes\n", n, n, freed, g.page_size, total);
	if (!why && v == HVO_VARIANT_SHAREDTAIL)
		qp(q, "  (the shared tail page is allocated once per zone and "
		       "order, not per hugepage)\n");
	if (q->j) {
		sj_key(q->j, "answer");
		sj_begin_object(q->j);
		sj_kv_u64(q->j, "pages_per_hugepage", pages);
		sj_kv_u64(q->j, "struct_page_bytes", bytes);
		sj_kv_u64(q->j, "vmemmap_pages", vp);
		sj_kv_u64(q->j, "kept_pages", kept);
		if (why)
			sj_kv_str(q->j, "not_optimizable", why);
		else
			sj_kv_null(q->j, "not_optimizable");
		sj_kv_u64(q->j, "freed_per_hugepage", freed);
		sj_kv_u64(q->j, "bytes_freed", total);
		sj_end_object(q->j);
	}

	/* Now do it on the machine. */
	if (hvo_set_nr_hugepages(m, h.size, n)) {
		fprintf(stderr, PROG " quiz: nr_hugepages %s=%" PRIu64 ": %s\n",
			sz, n, hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}
	if (hvo_machine_hstate(m, pick, &h)) {
		fprintf(stderr, PROG " quiz: %s\n", hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}
	qp(q, "\nThe machine, after nr_hugepages %s = %" PRIu64 ":\n", sz, n);
	qp(q, "  nr %" PRIu64 ", optimized %" PRIu64 ", vmemmap pages %" PRIu64
	       ", freed per hugepage %" PRIu64 ", saved %" PRIu64 " bytes%s%s\n",
	       h.nr, h.optimized, h.vmemmap_pages_per_hugepage,
	       h.vmemmap_pages_freed_per_hugepage, h.saved_bytes,
	       h.optimizable ? "" : "; not optimizable: ",
	       h.optimizable ? "" : h.reason);
	if (h.nr != n) {
		mismatch("nr_hugepages", n, h.nr);
		status = EXIT_RUNTIME;
	}
	if (h.vmemmap_pages_per_hugepage != vp) {
		mismatch("vmemmap pages per hugepage", vp,
			 h.vmemmap_pages_per_hugepage);
		status = EXIT_RUNTIME;
	}
	if (h.vmemmap_pages_freed_per_hugepage != freed) {
		mismatch("vmemmap pages freed per hugepage", freed,
			 h.vmemmap_pages_freed_per_hugepage);
		status = EXIT_RUNTIME;
	}
	if (h.saved_bytes != total) {
		mismatch("saved bytes", total, h.saved_bytes);
		status = EXIT_RUNTIME;
	}
	if (q->j) {
		sj_key(q->j, "machine_result");
		sj_begin_object(q->j);
		sj_kv_u64(q->j, "nr", h.nr);
		sj_kv_u64(q->j, "optimized", h.optimized);
		sj_kv_u64(q->j, "vmemmap_pages_per_hugepage",
			    h.vmemmap_pages_per_hugepage);
		sj_kv_u64(q->j, "vmemmap_pages_freed_per_hugepage",
			    h.vmemmap_pages_freed_per_hugepage);
		sj_kv_u64(q->j, "saved_bytes", h.saved_bytes);
		sj_end_object(q->j);
	}
	if (status == EXIT_OK)
		qp(q, "  agrees with the worked answer\n");
	if (q->j)
		sj_kv_bool(q->j, "checked", status == EXIT_OK);
	return finish(m, status);
}

/* ---------------------------------------------------------------------- */
/* buddy: merges and /proc/buddyinfo                                      */
/* ---------------------------------------------------------------------- */

/* Orders of the arena the question plays in: 2^ARENA_ORDER pages. */
#define ARENA_ORDER 4
#define ARENA_PAGES (1u << ARENA_ORDER)
#define MAX_ZONES 8
#define MAX_BLOCKS (2 * ARENA_PAGES + 32)

/* A block of pages: allocated by the quiz, or free in the arena. */
struct block {
	uint64_t pfn;
	unsigned order;
};

/*
 * The unmovable free lists of the arena's zone (free_area[].free_list[
 * MIGRATE_UNMOVABLE]), as the student can know them: the
 * blocks the question shows (freed by it, or split off by its
 * allocations), in list order, and runs of blocks that were free before
 * the question, whose pfns it does not show. An allocation takes the head
 * of its order's list; a freed block goes to the head, or to the tail when
 * its buddy one order up is free (__free_one_page()); split halves go to
 * the head (expand()). Where a block's place depends on a block the
 * question does not show, it is marked unsure.
 */
#define FL_MAX 64

struct fl_entry {
	uint64_t pfn;     /* a block the question shows */
	uint64_t unknown; /* > 0: a run of blocks free before the question */
	bool unsure;      /* head or tail: the question cannot tell */
};

struct freelist {
	unsigned n;
	struct fl_entry e[FL_MAX];
};

struct buddy_state {
	struct hvo_zone_info zone[MAX_ZONES];
	uint64_t nr_free[MAX_ZONES][HVO_MAX_ORDERS]; /* the prediction */
	uint64_t nr_unmovable[MAX_ZONES][HVO_MAX_ORDERS]; /* its unmovable part */
	unsigned nr_zones;
	uint64_t arena;
	unsigned anchor;                 /* arena page never freed */
	struct block owned[MAX_BLOCKS];  /* allocations in the arena */
	unsigned nr_owned;
	struct block free[MAX_BLOCKS];   /* free blocks in the arena */
	unsigned nr_free_blocks;
	int za;                          /* the arena's zone */
	struct freelist fl[HVO_MAX_ORDERS]; /* its free lists, modelled */
};

static int
zone_of(const struct buddy_state *s, uint64_t pfn)
{
	for (unsigned i = 0; i < s->nr_zones; i++)
		if (pfn >= s->zone[i].start_pfn &&
		    pfn < s->zone[i].start_pfn + s->zone[i].spanned_pages)
			return (int)i;
	return -1;
}

static int
read_zones(const struct hvo_machine *m, struct hvo_zone_info *z, unsigned *n)
{
	*n = 0;
	while (*n < MAX_ZONES && hvo_machine_zone(m, *n, &z[*n]) == 0)
		(*n)++;
	return *n ? 0 : -ENOENT;
}

/* /proc/buddyinfo of @p z, with the free counts of @p counts if given. */
static void
print_buddyinfo(const struct quiz *q, const struct hvo_zone_info *z,
		unsigned nz,
		uint64_t (*counts)[HVO_MAX_ORDERS], const char *indent)
{
	for (unsigned i = 0; i < nz; i++) {
		struct hvo_zone_info zi = z[i];

		if (counts)
			memcpy(zi.nr_free, counts[i], sizeof(zi.nr_free));
		procfs_buddyinfo_zone(q->out, &zi, indent, PROCFS_REPORT);
	}
}

static int
find_free(const struct buddy_state *s, uint64_t pfn, unsigned order)
{
	for (unsigned i = 0; i < s->nr_free_blocks; i++)
		if (s->free[i].pfn == pfn && s->free[i].order == order)
			return (int)i;
	return -1;
}

static void
drop_free(struct buddy_state *s, unsigned i)
{
	s->free[i] = s->free[--s->nr_free_blocks];
}

static void
fl_push(struct freelist *fl, struct fl_entry e, bool tail)
{
	if (fl->n == FL_MAX)
		fl->n--; /* the quiz never gets here: few blocks move */
	if (!tail) {
		memmove(&fl->e[1], &fl->e[0], fl->n * sizeof(fl->e[0]));
		fl->e[0] = e;
	} else {
		fl->e[fl->n] = e;
	}
	fl->n++;
}

static void
fl_drop(struct freelist *fl, unsigned i)
{
	memmove(&fl->e[i], &fl->e[i + 1], (fl->n - i - 1) * sizeof(fl->e[0]));
	fl->n--;
}

/* Take block @p pfn off @p fl: a known one, else one of a run. */
static void
fl_remove(struct freelist *fl, uint64_t pfn)
{
	for (unsigned i = 0; i < fl->n; i++) {
		if (!fl->e[i].unknown && fl->e[i].pfn == pfn) {
			fl_drop(fl, i);
			return;
		}
	}
	for (unsigned i = 0; i < fl->n; i++) {
		if (fl->e[i].unknown && !--fl->e[i].unknown) {
			fl_drop(fl, i);
			return;
		}
		if (fl->e[i].unknown)
			return;
	}
}

/* Is block (@p pfn, @p order) free as far as the model knows: 1 yes, 0
 * no, -1 cannot tell (one of the blocks the question does not show). */
static int
fl_has(const struct freelist *fl, uint64_t pfn)
{
	bool runs = false;

	for (unsigned i = 0; i < fl->n; i++) {
		if (!fl->e[i].unknown && fl->e[i].pfn == pfn)
			return 1;
		runs = runs || fl->e[i].unknown;
	}
	return runs ? -1 : 0;
}

/*
 * Free (pfn, order) by hand: merge with the buddy while it is free, and
 * count the blocks in the predicted buddyinfo. Prints the steps when @p solve.
 */
static void
hand_free(const struct quiz *q, struct buddy_state *s, int z, uint64_t pfn,
	  unsigned order, bool solve)
{
	unsigned max = s->zone[z].nr_orders - 1;

	while (order < max) {
		uint64_t buddy = pfn ^ (UINT64_C(1) << order);
		int i = find_free(s, buddy, order);

		if (solve)
			qp(q, "      order %u: buddy = 0x%" PRIx64 " ^ 0x%" PRIx64
			       " = 0x%" PRIx64 ": %s\n", order, pfn,
			       UINT64_C(1) << order, buddy,
			       i < 0 ? "not free, stop" : "free, merge");
		if (i < 0)
			break;
		drop_free(s, (unsigned)i);
		s->nr_free[z][order]--;
		s->nr_unmovable[z][order]--;
		if (z == s->za)
			fl_remove(&s->fl[order], buddy);
		pfn &= buddy;
		order++;
		if (solve)
			qp(q, "               combined block: pfn 0x%" PRIx64
			       ", order %u\n", pfn, order);
	}
	s->free[s->nr_free_blocks++] = (struct block){ pfn, order };
	s->nr_free[z][order]++;
	s->nr_unmovable[z][order]++;
	if (solve)
		qp(q, "      result: free block (pfn 0x%" PRIx64 ", order %u)\n",
		       pfn, order);
	if (z != s->za)
		return;
	/* __free_one_page(): to the tail if it may merge one order up. */
	int up = 0;

	if (order + 1 < max) {
		uint64_t higher = (pfn & ~((UINT64_C(2) << order) - 1)) ^
				  (UINT64_C(2) << order);

		/*
		 * buddy_merge_likely() asks whether the block is free on any
		 * list. Outside the arena it still lies in the arena's
		 * pageblock (pageblock_order > ARENA_ORDER on every arch),
		 * whose free blocks are all on the unmovable lists modelled.
		 */
		if (higher >= s->arena && higher < s->arena + ARENA_PAGES)
			up = find_free(s, higher, order + 1) >= 0;
		else
			up = fl_has(&s->fl[order + 1], higher);
		if (solve)
			qp(q, "      its buddy one order up, (pfn 0x%" PRIx64
			   ", order %u), is %s: %s\n", higher, order + 1,
			   up > 0 ? "free" : up == 0 ? "not free" :
			   "outside what the question shows",
			   up > 0 ? "to the tail of its list" :
			   up == 0 ? "to the head of its list" :
			   "to the head, or the tail if that block is free");
	}
	fl_push(&s->fl[order], (struct fl_entry){ .pfn = pfn, .unsure = up < 0 },
		up > 0);
}

/*
 * __rmqueue_smallest(): the allocation takes the head of the list of
 * order @p j. Say which block that is, as far as the question shows, and
 * check it against the block the machine gave, @p pfn.
 */
static int
predict_alloc(const struct quiz *q, struct buddy_state *s, unsigned j,
	      uint64_t pfn)
{
	struct freelist *fl = &s->fl[j];
	const struct fl_entry *h = fl->n ? &fl->e[0] : NULL;

	if (h && !h->unknown && !h->unsure) {
		qp(q, "      the head of the order-%u list is pfn 0x%" PRIx64
		   ", freed or split off last: it is taken\n", j, h->pfn);
		if (h->pfn != pfn) {
			mismatch("the block at the head of the free list",
				 h->pfn, pfn);
			return -EINVAL;
		}
	} else if (h && !h->unknown) {
		struct fl_entry e = *h;

		qp(q, "      the head of the order-%u list is pfn 0x%" PRIx64
		   " unless it went to the tail: the machine took 0x%" PRIx64
		   "\n", j, h->pfn, pfn);
		/* Now the question shows where it went. */
		if (e.pfn != pfn) {
			fl_drop(fl, 0);
			e.unsure = false;
			fl_push(fl, e, true);
		}
	} else {
		qp(q, "      the head of the order-%u list is a block that was "
		   "free before the\n      question (its pfn is not shown): "
		   "the machine took 0x%" PRIx64 "\n", j, pfn);
	}
	fl_remove(fl, pfn);
	return 0;
}

/* How the allocator picks among equal free blocks, as the question says. */
static const char tie_rule[] =
	"  tie rule      alloc_pages() here is GFP_KERNEL, so MIGRATE_UNMOVABLE: it\n"
	"                takes the smallest order whose unmovable free list has a\n"
	"                block (/proc/pagetypeinfo counts them), and the block at the\n"
	"                head of that list; it splits the block and puts the upper\n"
	"                halves at the head of the unmovable lists below\n"
	"                (__rmqueue_smallest(), expand()). The arena's pageblock is\n"
	"                unmovable, so a freed arena block, merged as far as it goes,\n"
	"                goes to the unmovable list of its order: to the head, or to\n"
	"                the tail if its buddy one order up is free (__free_one_page()),\n"
	"                so the block freed last is taken first. No allocation here\n"
	"                falls back to another migratetype's block (__rmqueue_claim(),\n"
	"                __rmqueue_steal()): before the operations the unmovable lists\n"
	"                hold more blocks of order 3 and up than they can take.\n";

/*
 * How many allocations of order below ARENA_ORDER the unmovable lists of
 * zone @p z can serve for sure: each takes at most one aligned block of
 * order ARENA_ORDER - 1 out of a larger free block, so count those.
 */
static uint64_t
unmovable_room(const struct buddy_state *s, int z)
{
	uint64_t room = 0;

	for (unsigned o = ARENA_ORDER - 1; o < HVO_MAX_ORDERS; o++)
		room += s->nr_unmovable[z][o] << (o - (ARENA_ORDER - 1));
	return room;
}

static void
json_buddyinfo(struct sj *j, const char *key, const struct hvo_zone_info *z,
	       unsigned nz, uint64_t (*counts)[HVO_MAX_ORDERS])
{
	sj_key(j, key);
	sj_begin_array(j);
	for (unsigned i = 0; i < nz; i++) {
		unsigned orders = z[i].nr_orders < HVO_MAX_ORDERS ?
				  z[i].nr_orders : HVO_MAX_ORDERS;

		if (!z[i].present_pages)
			continue;
		sj_begin_object(j);
		sj_kv_str(j, "zone", z[i].name);
		sj_key(j, "nr_free");
		sj_begin_array(j);
		for (unsigned o = 0; o < orders; o++)
			sj_u64(j, counts ? counts[i][o] : z[i].nr_free[o]);
		sj_end_array(j);
		sj_end_object(j);
	}
	sj_end_array(j);
}

static int
quiz_buddy(const struct quiz *q, struct rng *r)
{
	static const char *const archs[] = { "x86_64", "arm64", "riscv64" };
	const char *arch = archs[rng_below(r, 3)];
	struct buddy_state *s;
	struct hvo_machine *m;
	struct hvo_zone_info after[MAX_ZONES];
	unsigned nr_after, nr_ops = 6 + (unsigned)rng_below(r, 5);
	int za, status = EXIT_OK;
	char spec[128];

	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, PROG " quiz: out of memory\n");
		return EXIT_RUNTIME;
	}
	snprintf(spec, sizeof(spec), "%s:mem=64M,pcp=off,deferred=off", arch);
	status = quiz_boot(q, q->machine ? q->machine : spec, true, &m);
	if (status) {
		free(s);
		return status;
	}

	/*
	 * The arena: one block of 2^ARENA_ORDER pages, split into single
	 * pages owned by the quiz. One page (the anchor) stays allocated,
	 * so no merge ever leaves the arena and every answer can be worked
	 * out from the operations alone.
	 */
	if (hvo_alloc_pages(m, ARENA_ORDER, HVO_GFP_KERNEL, &s->arena) ||
	    hvo_split_page(m, s->arena, ARENA_ORDER) ||
	    read_zones(m, s->zone, &s->nr_zones)) {
		fprintf(stderr, PROG " quiz: arena: %s\n", hvo_machine_error(m));
		free(s);
		return finish(m, EXIT_RUNTIME);
	}
	za = zone_of(s, s->arena);
	if (za < 0) {
		fprintf(stderr, PROG " quiz: arena pfn 0x%" PRIx64 " in no zone\n",
			s->arena);
		free(s);
		return finish(m, EXIT_RUNTIME);
	}
	s->anchor = (unsigned)rng_below(r, ARENA_PAGES);
	for (unsigned i = 0; i < ARENA_PAGES; i++)
		if (i != s->anchor)
			s->owned[s->nr_owned++] =
				(struct block){ s->arena + i, 0 };
	for (unsigned i = 0; i < s->nr_zones; i++) {
		memcpy(s->nr_free[i], s->zone[i].nr_free, sizeof(s->nr_free[i]));
		memcpy(s->nr_unmovable[i], s->zone[i].nr_free_by_type[0],
		       sizeof(s->nr_unmovable[i]));
	}
	/* The tie rule promises that no allocation falls back: hold to it. */
	if (unmovable_room(s, za) < nr_ops) {
		fprintf(stderr, PROG " quiz: zone %s has room for %" PRIu64
			" unmovable allocations, fewer than %u\n",
			s->zone[za].name, unmovable_room(s, za), nr_ops);
		free(s);
		return finish(m, EXIT_RUNTIME);
	}

	qp(q, "Question (buddy)\n");
	print_machine(q, m);
	qp(q, "  zones         ");
	for (unsigned i = 0; i < s->nr_zones; i++)
		qp(q, "%s%s [0x%" PRIx64 ", 0x%" PRIx64 ")", i ? ", " : "",
		       s->zone[i].name, s->zone[i].start_pfn,
		       s->zone[i].start_pfn + s->zone[i].spanned_pages);
	qp(q, "\n  pcp=off and deferred=off: every free goes straight to the "
	       "buddy lists\n");
	qp(q, "%s", tie_rule);
	qp(q, "  unmovable free blocks now (order 0, 1, 2, ...):\n");
	print_buddyinfo(q, s->zone, s->nr_zones, s->nr_unmovable, "    ");
	qp(q, "  arena         pfns 0x%" PRIx64 "..0x%" PRIx64
	       " (order %u), split into single pages;\n"
	       "                pfn 0x%" PRIx64 " stays allocated, the others "
	       "are ours\n", s->arena, s->arena + ARENA_PAGES - 1,
	       ARENA_ORDER, s->arena + s->anchor);
	qp(q, "  buddyinfo now (free blocks of order 0, 1, 2, ...):\n");
	print_buddyinfo(q, s->zone, s->nr_zones, NULL, "    ");
	qp(q, "  operations:\n");
	if (q->j) {
		sj_key(q->j, "zones");
		sj_begin_array(q->j);
		for (unsigned i = 0; i < s->nr_zones; i++) {
			sj_begin_object(q->j);
			sj_kv_str(q->j, "name", s->zone[i].name);
			sj_kv_hex(q->j, "start_pfn", s->zone[i].start_pfn);
			sj_kv_hex(q->j, "end_pfn", s->zone[i].start_pfn +
				    s->zone[i].spanned_pages);
			sj_end_object(q->j);
		}
		sj_end_array(q->j);
		sj_kv_str(q->j, "tie_rule", tie_rule);
		sj_kv_hex(q->j, "arena_pfn", s->arena);
		sj_kv_u64(q->j, "arena_order", ARENA_ORDER);
		sj_kv_hex(q->j, "anchor_pfn", s->arena + s->anchor);
		json_buddyinfo(q->j, "unmovable_before", s->zone, s->nr_zones,
			       s->nr_unmovable);
		json_buddyinfo(q->j, "buddyinfo_before", s->zone, s->nr_zones,
			       NULL);
	}

	/* Print the operations first, then the question. */
	struct {
		bool alloc;
		uint64_t pfn;
		unsigned order;
	} ops[16];
	bool have_last = false;
	uint64_t last = 0;

	for (unsigned k = 0; k < nr_ops; k++) {
		bool alloc = s->nr_owned == 0 || rng_below(r, 4) == 0;

		if (alloc) {
			unsigned order = (unsigned)rng_below(r, ARENA_ORDER);
			uint64_t pfn;

			if (hvo_alloc_pages(m, order, HVO_GFP_KERNEL, &pfn)) {
				fprintf(stderr, PROG " quiz: alloc order %u: %s\n",
					order, hvo_machine_error(m));
				free(s);
				return finish(m, EXIT_RUNTIME);
			}
			ops[k].alloc = true;
			ops[k].pfn = pfn;
			ops[k].order = order;
			qp(q, "    %u. alloc_pages(order %u) -> pfn 0x%" PRIx64 "\n",
			       k + 1, order, pfn);
		} else {
			unsigned i = (unsigned)rng_below(r, s->nr_owned);
			struct block b;

			/* Often a neighbour of the last free: merges. */
			if (have_last && rng_below(r, 3)) {
				uint64_t best = UINT64_MAX;

				for (unsigned c = 0; c < s->nr_owned; c++) {
					uint64_t p = s->owned[c].pfn, d;

					d = p > last ? p - last : last - p;
					if (d < best) {
						best = d;
						i = c;
					}
				}
			}
			b = s->owned[i];
			last = b.pfn;
			have_last = true;

			s->owned[i] = s->owned[--s->nr_owned];
			if (hvo_free_pages(m, b.pfn, b.order)) {
				fprintf(stderr, PROG " quiz: free pfn 0x%" PRIx64
					": %s\n", b.pfn, hvo_machine_error(m));
				free(s);
				return finish(m, EXIT_RUNTIME);
			}
			ops[k].alloc = false;
			ops[k].pfn = b.pfn;
			ops[k].order = b.order;
			qp(q, "    %u. free_pages(pfn 0x%" PRIx64 ", order %u)\n",
			       k + 1, b.pfn, b.order);
		}
		/*
		 * The model follows along now, so that frees can pick the
		 * arena blocks allocations return; it prints later.
		 */
		if (ops[k].alloc && ops[k].pfn >= s->arena &&
		    ops[k].pfn < s->arena + ARENA_PAGES &&
		    s->nr_owned < MAX_BLOCKS)
			s->owned[s->nr_owned++] =
				(struct block){ ops[k].pfn, ops[k].order };
	}
	qp(q, "\nFor each alloc: which rule gave it that block? For each free: "
	   "which free\nblocks does it merge with, what block results, and "
	   "where in its free list\ndoes it go? What does /proc/buddyinfo "
	   "show after these operations?\n");
	if (q->j) {
		sj_key(q->j, "operations");
		sj_begin_array(q->j);
		for (unsigned k = 0; k < nr_ops; k++) {
			sj_begin_object(q->j);
			sj_kv_str(q->j, "op", ops[k].alloc ? "alloc_pages" :
				    "free_pages");
			sj_kv_u64(q->j, "order", ops[k].order);
			sj_kv_hex(q->j, "pfn", ops[k].pfn);
			sj_end_object(q->j);
		}
		sj_end_array(q->j);
		sj_kv_str(q->j, "question", "For each alloc: which rule "
			    "gave it that block? For each free: which free "
			    "blocks does it merge with, what block results, "
			    "and where in its free list does it go? What does "
			    "/proc/buddyinfo show after these operations?");
	}
	if (!q->solve) {
		qp(q, "(run with -c to see the answer)\n");
		free(s);
		return finish(m, status);
	}

	/* Replay by hand. */
	qp(q, "\nAnswer\n");
	qp(q, "  buddy of (pfn, order) = pfn ^ (1 << order); two free "
	       "buddies merge into pfn & ~(1 << order)\n");
	s->nr_free_blocks = 0;
	s->za = za;
	for (unsigned o = 0; o < HVO_MAX_ORDERS; o++)
		if (s->nr_unmovable[za][o])
			fl_push(&s->fl[o], (struct fl_entry){
				.unknown = s->nr_unmovable[za][o] }, false);
	for (unsigned k = 0; k < nr_ops; k++) {
		int z = zone_of(s, ops[k].pfn);

		if (z < 0) {
			fprintf(stderr, PROG " quiz: pfn 0x%" PRIx64
				" in no zone\n", ops[k].pfn);
			status = EXIT_RUNTIME;
			break;
		}
		if (!ops[k].alloc) {
			qp(q, "  %u. free pfn 0x%" PRIx64 ", order %u\n", k + 1,
			       ops[k].pfn, ops[k].order);
			hand_free(q, s, z, ops[k].pfn, ops[k].order, true);
			continue;
		}
		/*
		 * __rmqueue_smallest(): the lowest order with a block on the
		 * unmovable lists.
		 */
		unsigned j = ops[k].order, max = s->zone[z].nr_orders;

		while (j < max && !s->nr_unmovable[z][j])
			j++;
		qp(q, "  %u. alloc order %u from zone %s: the smallest free "
		       "unmovable block has order %u", k + 1, ops[k].order,
		       s->zone[z].name, j);
		if (j >= max) {
			qp(q, "\n");
			mismatch("a free block for the allocation", 0, ops[k].pfn);
			status = EXIT_RUNTIME;
			break;
		}
		s->nr_free[z][j]--;
		s->nr_unmovable[z][j]--;
		if (ops[k].pfn >= s->arena && ops[k].pfn < s->arena + ARENA_PAGES) {
			int i = find_free(s, ops[k].pfn, j);

			qp(q, ", our pfn 0x%" PRIx64 "\n", ops[k].pfn);
			if (i < 0) {
				mismatch("the arena block the allocation split",
					 ops[k].pfn, ops[k].pfn);
				status = EXIT_RUNTIME;
				break;
			}
			drop_free(s, (unsigned)i);
		} else {
			qp(q, ", outside the arena\n");
		}
		if (z == za && predict_alloc(q, s, j, ops[k].pfn))
			status = EXIT_RUNTIME;
		for (unsigned o = j; o-- > ops[k].order;) {
			uint64_t half = ops[k].pfn + (UINT64_C(1) << o);

			qp(q, "      split: the upper half (pfn 0x%" PRIx64
			       ", order %u) goes back free\n", half, o);
			s->nr_free[z][o]++;
			s->nr_unmovable[z][o]++;
			if (z == za)
				fl_push(&s->fl[o],
					(struct fl_entry){ .pfn = half }, false);
			if (ops[k].pfn >= s->arena &&
			    ops[k].pfn < s->arena + ARENA_PAGES)
				s->free[s->nr_free_blocks++] =
					(struct block){ half, o };
		}
	}

	qp(q, "  buddyinfo, worked out:\n");
	print_buddyinfo(q, s->zone, s->nr_zones, s->nr_free, "    ");
	if (read_zones(m, after, &nr_after) || nr_after != s->nr_zones) {
		fprintf(stderr, PROG " quiz: zones: %s\n", hvo_machine_error(m));
		free(s);
		return finish(m, EXIT_RUNTIME);
	}
	qp(q, "  buddyinfo, from the machine:\n");
	print_buddyinfo(q, after, nr_after, NULL, "    ");
	for (unsigned i = 0; i < nr_after; i++)
		for (unsigned o = 0; o < after[i].nr_orders && o < HVO_MAX_ORDERS; o++)
			if (after[i].nr_free[o] != s->nr_free[i][o]) {
				char what[64];

				snprintf(what, sizeof(what),
					 "zone %s, free blocks of order %u",
					 after[i].name, o);
				mismatch(what, s->nr_free[i][o],
					 after[i].nr_free[o]);
				status = EXIT_RUNTIME;
			}
	/* The unmovable lists the answer modelled, against pagetypeinfo. */
	for (unsigned i = 0; i < nr_after; i++)
		for (unsigned o = 0; o < after[i].nr_orders && o < HVO_MAX_ORDERS; o++)
			if (after[i].nr_free_by_type[0][o] !=
			    s->nr_unmovable[i][o]) {
				char what[80];

				snprintf(what, sizeof(what),
					 "zone %s, free unmovable blocks of "
					 "order %u", after[i].name, o);
				mismatch(what, s->nr_unmovable[i][o],
					 after[i].nr_free_by_type[0][o]);
				status = EXIT_RUNTIME;
			}
	if (q->j) {
		sj_key(q->j, "answer");
		sj_begin_object(q->j);
		json_buddyinfo(q->j, "buddyinfo", s->zone, s->nr_zones,
			       s->nr_free);
		sj_end_object(q->j);
		json_buddyinfo(q->j, "machine_buddyinfo", after, nr_after,
			       NULL);
	}
	if (status == EXIT_OK)
		qp(q, "  agrees with the worked answer\n");
	if (q->j)
		sj_kv_bool(q->j, "checked", status == EXIT_OK);
	free(s);
	return finish(m, status);
}

/* ---------------------------------------------------------------------- */
/* The subcommand                                                         */
/* ---------------------------------------------------------------------- */

/* Most questions one run asks (-n). */
#define QUIZ_MAX_QUESTIONS 100

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " quiz [--seed N] [--kind walk|savings|buddy] [-n COUNT]\n"
		"                   [--machine SPEC] [-c] [--json]\n"
		"\n"
		"Make questions about a simulated machine, in the manner of\n"
		"OSTEP's simulators: the seed decides everything, and every\n"
		"parameter the answer depends on is printed (for a walk, the\n"
		"page-table entries it may read). With -c the worked answer\n"
		"follows, computed by hand from what the question printed and\n"
		"checked against the machine.\n"
		"\n"
		"Options:\n"
		"  -s, --seed N       the seed (default 0)\n"
		"  -k, --kind KIND    walk (a page-table walk), savings (what HVO\n"
		"                     frees for N hugepages) or buddy (merges and\n"
		"                     /proc/buddyinfo); default: chosen by the seed\n"
		"  -n, --count COUNT  ask COUNT questions of the kind (default 1,\n"
		"                     at most 100)\n"
		"  -m, --machine SPEC the machine (see " PROG " --help) instead of one\n"
		"                     the seed picks; savings takes an arch or preset\n"
		"                     name only, as it picks memory, struct page size\n"
		"                     and variant itself; buddy turns pcp and deferred off\n"
		"  -c, --solve        print the worked answers too\n"
		"  -j, --json         print one JSON document (doc/schema/quiz.schema.json)\n"
		"  -h, --help         show this help and exit\n"
		"\n"
		"Exit status: 0 on success; 1 if a worked answer and the machine\n"
		"disagree or the machine fails its check; 2 for a usage error.\n");
}

static int QUIZ_PRINTF(1, 2)
quiz_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG " quiz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " quiz --help'.\n");
	return EXIT_USAGE;
}

/* One question of @p kind, to @p q. */
static int
ask(const struct quiz *q, int kind, struct rng *r)
{
	switch (kind) {
	case KIND_WALK:
		return quiz_walk(q, r);
	case KIND_SAVINGS:
		return quiz_savings(q, r);
	default:
		return quiz_buddy(q, r);
	}
}

/*
 * Under --json each question's text goes to a buffer, then into the
 * question's object with everything the question printed as fields.
 */
static int
ask_json(struct quiz *q, int kind, struct rng *r, unsigned i)
{
	char *text = NULL;
	size_t len = 0;
	int status;

	q->out = open_memstream(&text, &len);
	if (!q->out) {
		fprintf(stderr, PROG " quiz: out of memory\n");
		return EXIT_RUNTIME;
	}
	sj_begin_object(q->j);
	sj_kv_u64(q->j, "index", i);
	sj_kv_str(q->j, "kind", kind_names[kind]);
	status = ask(q, kind, r);
	if (fclose(q->out)) {
		free(text);
		text = NULL;
		status = EXIT_RUNTIME;
	}
	sj_kv_str(q->j, "text", text ? text : "");
	sj_end_object(q->j);
	free(text);
	q->out = NULL;
	return status;
}

int
quiz_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'n' },
		{ "machine", required_argument, NULL, 'm' },
		{ "solve", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct quiz q = { .out = stdout };
	uint64_t seed = 0, count = 1;
	int kind = -1, opt, status = EXIT_OK;
	bool json = false;
	struct sj j;
	struct rng r;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":s:k:n:m:cjh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			if (sim_parse_number(optarg, UINT64_MAX, &seed))
				return quiz_usage_error("bad seed '%s': want a number",
							optarg);
			break;
		case 'k':
			kind = -1;
			for (int k = 0; k < KIND__COUNT; k++)
				if (!strcmp(optarg, kind_names[k]))
					kind = k;
			if (kind < 0)
				return quiz_usage_error("bad kind '%s': want walk, savings or buddy",
							optarg);
			break;
		case 'n':
			if (sim_parse_number(optarg, QUIZ_MAX_QUESTIONS, &count) ||
			    !count)
				return quiz_usage_error("bad count '%s': want 1 to 100",
							optarg);
			break;
		case 'm':
			q.machine = optarg;
			break;
		case 'c':
			q.solve = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			return quiz_usage_error("option '%s' needs an argument",
						argv[optind - 1]);
		default:
			return quiz_usage_error("unknown option '%s'",
						argv[optind - 1]);
		}
	}
	if (optind < argc)
		return quiz_usage_error("unexpected argument '%s'", argv[optind]);
	/* The kind the seed picks does not depend on the other choices. */
	if (kind < 0)
		kind = (int)(splitmix64(seed ^ UINT64_C(0x5155495a)) % KIND__COUNT);
	if (kind == KIND_SAVINGS && q.machine && strchr(q.machine, ':'))
		return quiz_usage_error("--machine %s: savings takes an arch or "
					"preset name, without keys", q.machine);
	rng_seed(&r, seed);

	if (json) {
		q.j = &j;
		sj_begin_document(&j, stdout, false, "quiz");
		sj_kv_u64(&j, "seed", seed);
		sj_kv_str(&j, "quiz_kind", kind_names[kind]);
		sj_kv_u64(&j, "count", count);
		sj_kv_bool(&j, "solve", q.solve);
		if (q.machine)
			sj_kv_str(&j, "machine_option", q.machine);
		else
			sj_kv_null(&j, "machine_option");
		sj_key(&j, "questions");
		sj_begin_array(&j);
	} else {
		printf(PROG " quiz: seed %" PRIu64 ", kind %s", seed,
		       kind_names[kind]);
		if (count > 1)
			printf(", %" PRIu64 " questions", count);
		printf("\n\n");
	}
	for (unsigned i = 1; i <= count; i++) {
		int rc;

		if (json) {
			rc = ask_json(&q, kind, &r, i);
		} else {
			if (count > 1)
				printf("%s== %u of %" PRIu64 " ==\n",
				       i > 1 ? "\n" : "", i, count);
			rc = ask(&q, kind, &r);
		}
		/* A usage error stops at once; a wrong answer goes on. */
		if (rc == EXIT_USAGE)
			return rc;
		if (rc)
			status = rc;
	}
	if (json) {
		sj_end_array(&j);
		sj_end_object(&j);
		printf("\n");
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG " quiz: writing to standard output failed\n");
		status = EXIT_RUNTIME;
	}
	return status;
}
