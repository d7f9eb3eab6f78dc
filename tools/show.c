/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim show: pictures of a simulated machine.
 *
 *   show vmemmap  the vmemmap of one hugepage before and after HVO: which
 *                 frame each vmemmap page maps, read-write or read-only
 *   show walk VA  one page-table walk, a level per line, as a tree
 *   show buddy    the free lists of every populated zone, as bars
 *
 * Every picture is computed from the simulated machine through the public
 * API only, so the same arguments always print the same bytes. --format
 * json writes them as JSON (doc/schema/show.schema.json).
 */
#include <errno.h>
#include <getopt.h>
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

#define SHOW_DEFAULT_SPEC "x86_64:mem=1G"

/* A hugepage with more vmemmap pages than this is drawn with runs. */
#define SHOW_FULL_LINES 16
/* The width of the longest bar of show buddy. */
#define SHOW_BAR_COLUMNS 60

enum show_format {
	FORMAT_TEXT = 0,
	FORMAT_DOT,
	FORMAT_JSON,
};

enum show_what {
	SHOW_VMEMMAP = 0,
	SHOW_WALK,
	SHOW_BUDDY,
};

/* Options long enough to be named, so the short ones stay free. */
enum {
	OPT_HVO = 256,
	OPT_SIZE,
	OPT_FORMAT,
	OPT_HUGEPAGES,
};

/* Everything the command line said. */
struct show_args {
	enum show_what what;
	const char *spec;
	bool set_variant;
	enum hvo_variant variant;
	const char *size_text;  /* NULL: the default hugepage size */
	uint64_t size;
	enum show_format format;
	const char *va_text;    /* show walk */
	size_t nr_pools;
	struct sim_pool *pools; /* show buddy: --hugepages SIZE=N */
};

/* What one vmemmap page of the hugepage maps. */
struct vm_map {
	uint64_t pa;        /* the frame, page aligned */
	uint64_t leaf_size;
	bool writable;
	size_t frame;       /* index of the frame's label */
};

/*
 * A picture line: vmemmap pages [first, last] that either all map one
 * frame (shared) or map frames that follow each other, each seen for the
 * first time (a run of fresh frames, as boot maps them).
 */
struct vm_line {
	size_t first, last;
	bool shared;
};

/* The frames of both pictures, labelled in the order they appear. */
struct frames {
	size_t n, cap;
	uint64_t *pa;
};

static void
show_usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " show vmemmap [--machine SPEC] [--hvo VARIANT] [--size SIZE]\n"
		"                           [--format text|dot|json]\n"
		"       " PROG " show walk VA [--machine SPEC] [--format text|dot|json]\n"
		"       " PROG " show buddy [--machine SPEC] [--hugepages SIZE=N]...\n"
		"                         [--format text|json]\n"
		"\n"
		"Draw a part of a simulated machine (default machine: " SHOW_DEFAULT_SPEC ").\n"
		"\n"
		"  vmemmap  grow a pool of one hugepage of SIZE (default: the arch's\n"
		"           default hugepage size) with HVO off, then optimize it with\n"
		"           the boot variant, and draw which frame every vmemmap page\n"
		"           of the hugepage maps, before and after, what was saved\n"
		"           and where the freed frames went\n"
		"  walk VA  walk the kernel page table for VA, one level per line;\n"
		"           VA is 0x... or decimal, pfn:N (the struct page of pfn N,\n"
		"           N decimal or 0x hex)\n"
		"           or vmemmap (the struct page of the first RAM pfn)\n"
		"  buddy    the free blocks of every populated zone, per order, as\n"
		"           /proc/buddyinfo and as bars of free pages\n"
		"\n"
		"Options:\n"
		"  -m, --machine SPEC     the machine (see " PROG " --help)\n"
		"      --hvo VARIANT      vmemmap: boot with off, keep2, fakehead or\n"
		"                         sharedtail (overrides the spec's hvo=)\n"
		"      --size SIZE        vmemmap: the hugepage size (2M, 1G, ...)\n"
		"      --format FORMAT    text (default), dot (vmemmap, walk: a Graphviz\n"
		"                         digraph) or json (doc/schema/show.schema.json)\n"
		"      --hugepages SIZE=N buddy: set the pool of SIZE to N first; may\n"
		"                         be repeated\n"
		"  -h, --help             show this help and exit\n"
		"\n"
		"Exit status: 0 on success; 1 if the machine refused something or\n"
		"failed its check; 2 for a usage error.\n");
}

static void
show_hint(void)
{
	fprintf(stderr, "Try '" PROG " show --help' for more information.\n");
}

/* Labels A..Z, then AA, AB, ...: bijective base 26. */
static void
label_name(size_t i, char *buf, size_t len)
{
	char tmp[16];
	size_t n = 0, k;

	i++;
	while (i && n < sizeof(tmp)) {
		i--;
		tmp[n++] = (char)('A' + i % 26);
		i /= 26;
	}
	for (k = 0; k < n && k + 1 < len; k++)
		buf[k] = tmp[n - 1 - k];
	if (len)
		buf[k < len ? k : len - 1] = '\0';
}

/* ------------------------------------------------------------------ */
/* Arguments                                                          */
/* ------------------------------------------------------------------ */

static void
bad_show_option(int what, const char *arg, int letter)
{
	report_bad_option(PROG " show", what, arg, letter);
	show_hint();
}

/* An option that the chosen picture has no use for is a usage error. */
static int
not_for(const char *option, const char *what)
{
	fprintf(stderr, PROG " show %s: %s does not apply here\n", what,
		option);
	show_hint();
	return -EINVAL;
}

/*
 * Parse argv (argv[0] is the picture's name). Returns 0, 1 for --help
 * (already printed) or -EINVAL (already reported).
 */
static int
parse_show_args(int argc, char **argv, struct show_args *a)
{
	static const struct option longopts[] = {
		{ "machine", required_argument, NULL, 'm' },
		{ "hvo", required_argument, NULL, OPT_HVO },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "hugepages", required_argument, NULL, OPT_HUGEPAGES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *what = argv[0];
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":m:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			a->spec = optarg;
			break;
		case OPT_HVO:
			if (a->what != SHOW_VMEMMAP)
				return not_for("--hvo", what);
			if (parse_variant(PROG " show", optarg, &a->variant))
				return -EINVAL;
			a->set_variant = true;
			break;
		case OPT_SIZE:
			if (a->what != SHOW_VMEMMAP)
				return not_for("--size", what);
			if (hvo_parse_size(optarg, &a->size) || !a->size) {
				fprintf(stderr, PROG " show: --size %s: not a size (" SIZE_HELP ")\n",
					optarg);
				return -EINVAL;
			}
			a->size_text = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0) {
				a->format = FORMAT_TEXT;
			} else if (strcmp(optarg, "dot") == 0 &&
				   a->what != SHOW_BUDDY) {
				a->format = FORMAT_DOT;
			} else if (strcmp(optarg, "json") == 0) {
				a->format = FORMAT_JSON;
			} else {
				fprintf(stderr, PROG " show %s: --format %s: allowed are text, %sjson\n",
					what, optarg,
					a->what == SHOW_BUDDY ? "" : "dot, ");
				return -EINVAL;
			}
			break;
		case OPT_HUGEPAGES:
			if (a->what != SHOW_BUDDY)
				return not_for("--hugepages", what);
			if (sim_parse_pool(PROG " show: --hugepages", optarg,
					   &a->pools[a->nr_pools]))
				return -EINVAL;
			a->nr_pools++;
			break;
		case 'h':
			show_usage(stdout);
			return 1;
		default:
			bad_show_option(opt, argv[optind - 1], optopt);
			return -EINVAL;
		}
	}
	if (a->what == SHOW_WALK) {
		if (optind >= argc) {
			fprintf(stderr, PROG " show walk: which address? (VA, pfn:N or vmemmap)\n");
			show_hint();
			return -EINVAL;
		}
		a->va_text = argv[optind++];
	}
	if (optind < argc) {
		fprintf(stderr, PROG " show %s: unexpected argument '%s'\n",
			what, argv[optind]);
		show_hint();
		return -EINVAL;
	}
	return 0;
}

/* Boot the machine of @p a; the exit status on failure, else EXIT_OK. */
static int
boot(const struct show_args *a, struct hvo_machine **m)
{
	return sim_boot(PROG " show", a->spec,
			a->set_variant ? &a->variant : NULL, m);
}

/* The machine's own complaint about @p what, and the runtime status. */
static int
failed(const struct hvo_machine *m, const char *what)
{
	fprintf(stderr, PROG " show: %s: %s\n", what, hvo_machine_error(m));
	return EXIT_RUNTIME;
}

static int
final_check(struct hvo_machine *m, bool say)
{
	if (hvo_machine_check(m)) {
		fprintf(stderr, PROG " show: the machine failed its check: %s\n",
			hvo_machine_error(m));
		return EXIT_RUNTIME;
	}
	if (say)
		printf("\ncheck: all invariants hold\n");
	return EXIT_OK;
}

/* The spec of @p m as hvo_config_format() writes it, into @p buf. */
static void
spec_of(const struct hvo_machine *m, char *buf, size_t len)
{
	if (hvo_config_format(hvo_machine_config(m), buf, len))
		snprintf(buf, len, "(cannot format)");
}

static void
print_spec(const struct hvo_machine *m, const char *prefix)
{
	char canon[1024];

	spec_of(m, canon, sizeof(canon));
	printf("%s%s\n", prefix, canon);
}

/* ------------------------------------------------------------------ */
/* show vmemmap                                                       */
/* ------------------------------------------------------------------ */

static int
frame_label(struct frames *f, uint64_t pa, size_t *out)
{
	size_t i;

	/* Newest first: runs of one shared frame find it at once. */
	for (i = f->n; i-- > 0;) {
		if (f->pa[i] == pa) {
			*out = i;
			return 0;
		}
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		uint64_t *p = realloc(f->pa, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		f->pa = p;
		f->cap = cap;
	}
	f->pa[f->n] = pa;
	*out = f->n++;
	return 0;
}

/* Walk each vmemmap page from @p start: its frame and protection. */
static int
record(struct hvo_machine *m, uint64_t start, size_t nr, unsigned psz,
       struct vm_map *map, struct frames *f)
{
	for (size_t i = 0; i < nr; i++) {
		struct hvo_walk w;

		if (hvo_walk(m, start + (uint64_t)i * psz, &w))
			return failed(m, "walking the vmemmap");
		if (!w.mapped) {
			fprintf(stderr, PROG " show: vmemmap page %zu of the hugepage is not mapped\n",
				i);
			return EXIT_RUNTIME;
		}
		map[i].pa = w.pa & ~(uint64_t)(psz - 1);
		map[i].leaf_size = w.leaf_size;
		map[i].writable = w.writable;
		if (frame_label(f, map[i].pa, &map[i].frame)) {
			fprintf(stderr, PROG " show: out of memory\n");
			return EXIT_RUNTIME;
		}
	}
	return EXIT_OK;
}

/*
 * Cut the pages into lines. With few pages every page is a line; with
 * many, a line is a run of pages with one protection that map one frame,
 * or that map fresh frames one after the other.
 */
static size_t
make_lines(const struct vm_map *map, size_t nr, unsigned psz,
	   struct vm_line *line)
{
	size_t n = 0, i = 0;

	while (i < nr) {
		size_t j = i;
		bool shared = true;

		if (nr > SHOW_FULL_LINES && i + 1 < nr &&
		    map[i + 1].writable == map[i].writable) {
			if (map[i + 1].frame == map[i].frame) {
				while (j + 1 < nr &&
				       map[j + 1].writable == map[i].writable &&
				       map[j + 1].frame == map[i].frame)
					j++;
			} else if (map[i + 1].frame == map[i].frame + 1 &&
				   map[i + 1].pa == map[i].pa + psz) {
				shared = false;
				while (j + 1 < nr &&
				       map[j + 1].writable == map[i].writable &&
				       map[j + 1].frame == map[j].frame + 1 &&
				       map[j + 1].pa == map[j].pa + psz)
					j++;
			}
		}
		line[n].first = i;
		line[n].last = j;
		line[n].shared = shared;
		n++;
		i = j + 1;
	}
	return n;
}

/* The geometry of one hugepage's struct pages in the vmemmap. */
struct vm_layout {
	uint64_t head_pfn;
	uint64_t head_va;   /* the head's struct page */
	uint64_t start;     /* the first vmemmap page, page aligned */
	uint64_t nr_struct; /* struct pages of the hugepage */
	size_t nr;          /* vmemmap pages they touch */
	unsigned psz;
	unsigned sps;       /* struct page size */
};

/* The hugepage's struct pages that start in vmemmap page @p i. */
static void
struct_range(const struct vm_layout *l, size_t i, uint64_t *a, uint64_t *b)
{
	uint64_t off = l->head_va - l->start; /* < one page */
	uint64_t lo = (uint64_t)i * l->psz, hi = lo + l->psz;

	*a = lo <= off ? 0 : (lo - off + l->sps - 1) / l->sps;
	*b = hi <= off ? 0 : (hi - off + l->sps - 1) / l->sps;
	if (*a > l->nr_struct)
		*a = l->nr_struct;
	if (*b > l->nr_struct)
		*b = l->nr_struct;
}

/* Was frame @p pa mapped by any page of @p map? */
static bool
maps_frame(const struct vm_map *map, size_t nr, uint64_t pa)
{
	for (size_t i = 0; i < nr; i++)
		if (map[i].pa == pa)
			return true;
	return false;
}

/* What one vmemmap page of the AFTER picture is to the hugepage. */
enum vm_role {
	ROLE_NONE = 0,
	ROLE_HEAD,         /* the frame of vmemmap page 0, the head's */
	ROLE_TAIL,         /* the frame the tail pages share */
	ROLE_HEAD_TAIL,    /* both: the tails map the head's own frame */
};

/* A page allocation or free seen while the hugepage was optimized. */
struct vm_page_ev {
	uint64_t pfn;
	unsigned order;
	char why[32];
};

struct vm_page_evs {
	size_t n, cap;
	struct vm_page_ev *ev;
};

/* The machine's page counts, to show where the frames went. */
struct vm_counts {
	uint64_t free, vmemmap, pagetable; /* hvo_machine_pages() */
	uint64_t buddy, pcp, deferred;     /* free pages by list, all zones */
};

/* Everything show vmemmap draws, whatever the format. */
struct vm_pic {
	struct vm_layout l;
	struct frames f;
	struct vm_map *before, *after;
	struct vm_line *lb, *la;
	size_t nlb, nla;
	bool optimized;
	const char *reason;         /* not optimized: why */
	struct hvo_hstate_info h;
	struct hvo_geometry g;
	enum hvo_variant variant;
	struct vm_page_evs alloc, freed; /* during the optimize */
	bool events_ok;             /* no event was lost */
	struct vm_counts c0, c1;    /* before and after the optimize */
	size_t head_frame;          /* the frame of vmemmap page 0 after */
	size_t tail_frame;          /* the tails' shared frame; SIZE_MAX: none */
	bool tail_ro;               /* the tails map it read-only */
};

static int
vm_events_add(struct vm_page_evs *e, const struct hvo_event *ev)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		struct vm_page_ev *p = realloc(e->ev, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		e->ev = p;
		e->cap = cap;
	}
	e->ev[e->n].pfn = ev->pfn;
	e->ev[e->n].order = ev->order;
	snprintf(e->ev[e->n].why, sizeof(e->ev[e->n].why), "%s",
		 ev->why ? ev->why : "?");
	e->n++;
	return 0;
}

/* The trace callback while the hugepage is optimized. */
static void
vm_record_event(void *ctx, const struct hvo_event *ev)
{
	struct vm_pic *p = ctx;

	if (ev->kind == HVO_EVENT_PAGE_ALLOC && vm_events_add(&p->alloc, ev))
		p->events_ok = false;
	if (ev->kind == HVO_EVENT_PAGE_FREE && vm_events_add(&p->freed, ev))
		p->events_ok = false;
}

/* Was one of @p e's blocks holding @p pfn? */
static const struct vm_page_ev *
vm_events_find(const struct vm_page_evs *e, uint64_t pfn)
{
	for (size_t i = 0; i < e->n; i++)
		if (pfn >= e->ev[i].pfn &&
		    pfn - e->ev[i].pfn < (UINT64_C(1) << e->ev[i].order))
			return &e->ev[i];
	return NULL;
}

static int
vm_count(const struct hvo_machine *m, struct vm_counts *c)
{
	struct hvo_zone_info z;

	memset(c, 0, sizeof(*c));
	if (hvo_machine_pages(m, HVO_PAGES_FREE, &c->free) ||
	    hvo_machine_pages(m, HVO_PAGES_VMEMMAP, &c->vmemmap) ||
	    hvo_machine_pages(m, HVO_PAGES_PAGETABLE, &c->pagetable))
		return -EINVAL;
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		c->buddy += z.free_pages;
		c->pcp += z.pcp_pages;
		c->deferred += z.deferred_pages;
	}
	return 0;
}

/*
 * Which frame of the AFTER picture is the head's and which the tails
 * share: the frame most tail pages (pages 1 on) map, if more than one
 * maps it.
 */
static void
vm_find_roles(struct vm_pic *p)
{
	size_t best = 0, best_n = 0;

	p->head_frame = p->after[0].frame;
	p->tail_frame = SIZE_MAX;
	for (size_t i = 1; i < p->l.nr; i++) {
		size_t n = 0;

		if (i > 1 && p->after[i].frame == p->after[i - 1].frame)
			continue;
		for (size_t k = 1; k < p->l.nr; k++)
			n += p->after[k].frame == p->after[i].frame;
		if (n > best_n) {
			best_n = n;
			best = p->after[i].frame;
		}
	}
	if (best_n < 2)
		return;
	p->tail_frame = best;
	p->tail_ro = true;
	for (size_t k = 1; k < p->l.nr; k++)
		if (p->after[k].frame == best && p->after[k].writable)
			p->tail_ro = false;
	/* keep2: the first tail page maps it read-write, the rest read-only. */
	for (size_t k = 2; k < p->l.nr; k++)
		if (p->after[k].frame == best && !p->after[k].writable)
			p->tail_ro = true;
}

static enum vm_role
vm_role(const struct vm_pic *p, size_t frame)
{
	bool head = frame == p->head_frame, tail = frame == p->tail_frame;

	if (!p->optimized)
		return ROLE_NONE;
	return head && tail ? ROLE_HEAD_TAIL : head ? ROLE_HEAD :
	       tail ? ROLE_TAIL : ROLE_NONE;
}

/* The name of @p frame's role in the AFTER picture, or NULL. */
static const char *
vm_role_name(const struct vm_pic *p, size_t frame, bool fresh)
{
	switch (vm_role(p, frame)) {
	case ROLE_HEAD:
		return fresh ? "head copy" : "head page";
	case ROLE_TAIL:
		return "shared tail page";
	case ROLE_HEAD_TAIL:
		return "head page = shared tail page";
	case ROLE_NONE:
		break;
	}
	return NULL;
}

/* "page 0", "pages 1..7": the vmemmap pages that map @p frame. */
static void
vm_pages_of(const struct vm_pic *p, size_t frame, char *buf, size_t len)
{
	size_t n = 0, first = SIZE_MAX, last = 0, used = 0;

	for (size_t i = 0; i < p->l.nr; i++) {
		if (p->after[i].frame != frame)
			continue;
		if (first == SIZE_MAX)
			first = i;
		last = i;
		n++;
	}
	if (!n)
		used = (size_t)snprintf(buf, len, "no page");
	else if (n == 1)
		used = (size_t)snprintf(buf, len, "page %zu", first);
	else if (n == last - first + 1)
		used = (size_t)snprintf(buf, len, "pages %zu..%zu", first,
					last);
	else
		used = (size_t)snprintf(buf, len, "%zu pages from %zu to %zu",
					n, first, last);
	(void)used;
}

static void
draw_text(const char *title, const struct vm_pic *pic,
	  const struct vm_map *map, const struct vm_line *line, size_t nl,
	  const struct vm_map *other)
{
	const struct vm_layout *l = &pic->l;
	uint64_t leaf = map[0].leaf_size;
	char name[16], name2[16], sz[32], left[96], right[128];
	bool mixed = false;

	printf("\n%s\n", title);
	printf("  %-56s         %s\n", "vmemmap (virtual)", "frames (physical)");
	for (size_t k = 0; k < nl; k++) {
		const struct vm_line *ln = &line[k];
		const struct vm_map *p = &map[ln->first];
		const struct vm_map *q = &map[ln->last];
		const char *role = NULL;
		uint64_t a, b, tmp;
		size_t count = ln->last - ln->first + 1;
		bool seen = false, fresh;

		struct_range(l, ln->first, &a, &tmp);
		struct_range(l, ln->last, &tmp, &b);
		if (count == 1)
			snprintf(left, sizeof(left),
				 "vmemmap page %zu: struct pages [%" PRIu64
				 ", %" PRIu64 ")", ln->first, a, b);
		else
			snprintf(left, sizeof(left),
				 "vmemmap pages %zu..%zu: struct pages [%" PRIu64
				 ", %" PRIu64 ")", ln->first, ln->last, a, b);
		/* The frame's pfn where this picture shows it first. */
		for (size_t i = 0; i < ln->first; i++)
			seen = seen || map[i].frame == p->frame;
		fresh = other && !maps_frame(other, l->nr, p->pa);
		if (other && ln->shared)
			role = vm_role_name(pic, p->frame, fresh);
		label_name(p->frame, name, sizeof(name));
		if (!ln->shared) {
			label_name(q->frame, name2, sizeof(name2));
			snprintf(right, sizeof(right), "%s..%s  pfn 0x%" PRIx64
				 "..0x%" PRIx64 " (x%zu, one each)", name,
				 name2, p->pa / l->psz, q->pa / l->psz, count);
		} else if (seen) {
			snprintf(right, sizeof(right), "%s", name);
		} else {
			snprintf(right, sizeof(right), "%s  pfn 0x%" PRIx64 "%s",
				 name, p->pa / l->psz, fresh ? " (new)" : "");
		}
		if (ln->shared && count > 1) {
			size_t len = strlen(right);

			snprintf(right + len, sizeof(right) - len, " (x%zu)",
				 count);
		}
		if (role && !seen) {
			size_t len = strlen(right);

			snprintf(right + len, sizeof(right) - len, "  <- %s",
				 role);
		}
		printf("  %-56s --%s--> %s\n", left, p->writable ? "RW" : "RO",
		       right);
	}
	for (size_t i = 1; i < l->nr; i++)
		mixed = mixed || map[i].leaf_size != leaf;
	format_size(leaf, sz, sizeof(sz));
	if (mixed)
		printf("  (mapped by leaves of different sizes)\n");
	else if (leaf == l->psz)
		printf("  (each mapped by a %s page-table leaf of its own)\n",
		       sz);
	else
		printf("  (inside %s block mappings)\n", sz);
}

/* Call @p fn for each frame of @p a that @p b lacks, once, in order. */
static size_t
for_each_difference(const struct vm_map *a, const struct vm_map *b,
		    size_t nr, void (*fn)(void *ctx, const struct vm_map *),
		    void *ctx)
{
	size_t count = 0;

	for (size_t i = 0; i < nr; i++) {
		bool dup = false;

		if (maps_frame(b, nr, a[i].pa))
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = a[j].pa == a[i].pa;
		if (dup)
			continue;
		count++;
		if (fn)
			fn(ctx, &a[i]);
	}
	return count;
}

/* Prints labels "A B C ..." (the first 8), then pfn ranges. */
struct diff_print {
	unsigned psz;
	size_t shown;
	bool open;
	uint64_t run_start, run_end;
};

static void
diff_label(void *ctx, const struct vm_map *v)
{
	struct diff_print *d = ctx;
	char name[16];

	if (d->shown < 8) {
		label_name(v->frame, name, sizeof(name));
		printf(" %s", name);
	} else if (d->shown == 8) {
		printf(" ...");
	}
	d->shown++;
}

static void
diff_run_end(struct diff_print *d)
{
	if (!d->open)
		return;
	if (d->run_end == d->run_start)
		printf(" 0x%" PRIx64, d->run_start);
	else
		printf(" 0x%" PRIx64 "..0x%" PRIx64, d->run_start, d->run_end);
}

static void
diff_pfn(void *ctx, const struct vm_map *v)
{
	struct diff_print *d = ctx;
	uint64_t pfn = v->pa / d->psz;

	if (d->open && pfn == d->run_end + 1) {
		d->run_end = pfn;
		return;
	}
	diff_run_end(d);
	d->open = true;
	d->run_start = d->run_end = pfn;
}

/* "  WHAT: A B C (3)" and, with @p pfns, "    pfn 0x1..0x3". */
static size_t
print_difference(const char *what, const struct vm_map *a,
		 const struct vm_map *b, size_t nr, unsigned psz, bool pfns)
{
	struct diff_print d = { .psz = psz };
	size_t count;

	printf("  %s:", what);
	count = for_each_difference(a, b, nr, diff_label, &d);
	printf("%s (%zu)\n", count ? "" : " none", count);
	if (!count || !pfns)
		return count;
	printf("    pfn");
	for_each_difference(a, b, nr, diff_pfn, &d);
	diff_run_end(&d);
	printf("\n");
	return count;
}

/* "8 pages of order 0 (boot memory)": the events, grouped. */
static void
print_events(const char *indent, const char *verb,
	     const struct vm_page_evs *e)
{
	bool *done = calloc(e->n ? e->n : 1, sizeof(*done));

	if (!done)
		return;
	for (size_t i = 0; i < e->n; i++) {
		size_t n = 0;

		if (done[i])
			continue;
		for (size_t k = i; k < e->n; k++) {
			if (e->ev[k].order == e->ev[i].order &&
			    !strcmp(e->ev[k].why, e->ev[i].why)) {
				done[k] = true;
				n++;
			}
		}
		printf("%s%s%zu block%s of order %u (%s)\n", indent, verb, n,
		       n == 1 ? "" : "s", e->ev[i].order, e->ev[i].why);
	}
	free(done);
}

/* Pages the optimize allocated for @p why. */
static uint64_t
events_pages(const struct vm_page_evs *e, const char *why)
{
	uint64_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		if (!why || !strcmp(e->ev[i].why, why))
			n += UINT64_C(1) << e->ev[i].order;
	return n;
}

static void
print_delta(const char *what, uint64_t a, uint64_t b)
{
	printf("    %-22s %10" PRIu64 " -> %-10" PRIu64 " (%+lld)\n", what, a,
	       b, (long long)b - (long long)a);
}

static void
print_legend(const struct vm_pic *p)
{
	printf("\nlegend\n");
	printf("  A, B, ...          frames (physical pages), lettered where they first appear\n");
	printf("  --RW--> / --RO-->  the vmemmap page maps the frame read-write / read-only\n");
	printf("                     (a store through a read-only mapping faults)\n");
	printf("  (new)              AFTER maps the frame and BEFORE did not\n");
	printf("  (xN)               N vmemmap pages in a row map this frame\n");
	printf("  head page          the frame of vmemmap page 0, with the head struct page;\n");
	printf("                     a head copy is a new frame with a copy of it\n");
	printf("  shared tail page   the one frame the tail vmemmap pages all map%s:\n",
	       p->g.has_kernel_ro ? " read-only" : "");
	printf("                     their struct pages are alike, so one copy serves them all\n");
	if (!p->g.has_kernel_ro)
		printf("                     (this arch has no read-only kernel protection: the\n"
		       "                     tails stay writable)\n");
	printf("  freed              frames no mapping reaches any more: HVO gave them back\n");
	printf("                     to the page allocator, whose buddy free lists (or\n");
	printf("                     per-CPU lists, with pcp=on) hold them now\n");
}

/* Names of the new frames of AFTER, those that are @p tail or are not. */
static size_t
fresh_names(const struct vm_pic *p, bool tail, char *buf, size_t len)
{
	size_t n = 0, used = 0;
	char name[16];

	buf[0] = '\0';
	for (size_t i = 0; i < p->l.nr; i++) {
		const struct vm_map *v = &p->after[i];
		bool dup = false;

		if (maps_frame(p->before, p->l.nr, v->pa) ||
		    (v->frame == p->tail_frame) != tail)
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = p->after[k].frame == v->frame;
		if (dup)
			continue;
		label_name(v->frame, name, sizeof(name));
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 n ? ", " : "", name);
		n++;
	}
	return n;
}

/*
 * The hstate's count of frames freed per hugepage differs from what this
 * hugepage's vmemmap lost: say why, from the machine's own numbers.
 */
static void
print_why(const struct vm_pic *p, size_t gone, size_t fresh, uint64_t kept)
{
	const struct hvo_hstate_info *h = &p->h;
	char own[64], shared[64];
	size_t n_own = fresh_names(p, false, own, sizeof(own));
	size_t n_shared = fresh_names(p, true, shared, sizeof(shared));

	printf("  why %" PRIu64 " and not %lld: the hstate counts what each "
	       "hugepage costs.\n", h->vmemmap_pages_freed_per_hugepage,
	       (long long)gone - (long long)fresh);
	printf("    Of its %" PRIu64 " vmemmap pages each hugepage keeps %"
	       PRIu64 " - %" PRIu64 " = %" PRIu64 " of its own",
	       h->vmemmap_pages_per_hugepage, h->vmemmap_pages_per_hugepage,
	       h->vmemmap_pages_freed_per_hugepage, kept);
	if (n_own == kept && n_shared)
		printf(" (%s);\n    the other new frame%s here, %s, %s the "
		       "shared tail page, which the tails of\n    every "
		       "hugepage optimized in its zone map: no one hugepage "
		       "pays for it.\n", own, n_shared == 1 ? "" : "s",
		       shared, n_shared == 1 ? "is" : "are");
	else
		printf(";\n    %zu frames are new here, %zu of them shared.\n",
		       fresh, n_shared);
}

/* The savings, and why the hstate's count may differ from this one's. */
static void
print_savings(const struct vm_pic *p)
{
	const struct hvo_hstate_info *h = &p->h;
	size_t gone, fresh;
	uint64_t kept, pt, vm;
	char fsz[32];

	printf("\nsavings\n");
	gone = print_difference("freed (no longer mapped)", p->before,
				p->after, p->l.nr, p->l.psz, true);
	if (gone && p->events_ok)
		print_events("    went back to the page allocator: ", "",
			     &p->freed);
	fresh = print_difference("allocated (newly mapped)", p->after,
				 p->before, p->l.nr, p->l.psz, false);
	for (size_t i = 0; i < p->l.nr; i++) {
		const struct vm_map *v = &p->after[i];
		const char *role;
		char name[16], pages[64];
		bool dup = false;

		if (maps_frame(p->before, p->l.nr, v->pa))
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = p->after[k].frame == v->frame;
		if (dup)
			continue;
		role = vm_role_name(p, v->frame, true);
		label_name(v->frame, name, sizeof(name));
		vm_pages_of(p, v->frame, pages, sizeof(pages));
		printf("    %-4s pfn 0x%-8" PRIx64 " %s%s%s, %s\n", name,
		       v->pa / p->l.psz, role ? role : "", role ? ": " : "",
		       pages, vm_events_find(&p->alloc, v->pa / p->l.psz) ?
		       "allocated by this optimize" :
		       "allocated before (by an earlier hugepage)");
	}
	printf("  net: %zu - %zu = %lld frames fewer behind this hugepage's vmemmap\n",
	       gone, fresh, (long long)gone - (long long)fresh);
	format_size(h->vmemmap_pages_freed_per_hugepage * p->l.psz, fsz,
		    sizeof(fsz));
	printf("  hstate %s: %" PRIu64 " vmemmap pages per hugepage, %"
	       PRIu64 " freed per hugepage (%s), %" PRIu64
	       " optimized, %" PRIu64 " bytes saved\n", h->name,
	       h->vmemmap_pages_per_hugepage,
	       h->vmemmap_pages_freed_per_hugepage,
	       h->vmemmap_pages_freed_per_hugepage ? fsz : "0",
	       h->optimized, h->saved_bytes);
	kept = h->vmemmap_pages_per_hugepage - h->vmemmap_pages_freed_per_hugepage;
	if (p->optimized &&
	    (long long)gone - (long long)fresh !=
	    (long long)h->vmemmap_pages_freed_per_hugepage)
		print_why(p, gone, fresh, kept);
	if (!p->optimized || !p->events_ok)
		return;
	pt = events_pages(&p->alloc, "pagetable");
	vm = events_pages(&p->alloc, NULL) - pt;
	if (pt)
		printf("  page tables: the optimize also took %" PRIu64
		       " page-table page%s, to split the block%s that mapped\n"
		       "    this vmemmap; the kernel never gives %s back\n", pt,
		       pt == 1 ? "" : "s", pt == 1 ? "" : "s",
		       pt == 1 ? "it" : "them");
	printf("  the machine's pages, before -> after the optimize:\n");
	print_delta("free", p->c0.free, p->c1.free);
	print_delta("  in the buddy lists", p->c0.buddy, p->c1.buddy);
	print_delta("  on per-CPU lists", p->c0.pcp, p->c1.pcp);
	print_delta("  deferred (no init)", p->c0.deferred, p->c1.deferred);
	print_delta("vmemmap", p->c0.vmemmap, p->c1.vmemmap);
	print_delta("page tables", p->c0.pagetable, p->c1.pagetable);
	printf("    free: %+lld = %" PRIu64 " freed - %" PRIu64
	       " allocated for the vmemmap - %" PRIu64 " for page tables\n",
	       (long long)p->c1.free - (long long)p->c0.free,
	       events_pages(&p->freed, NULL), vm, pt);
}

/*
 * Do the optimize's events account for the machine's page counts? The
 * free pages grow by what it freed less what it allocated, and the
 * vmemmap shrinks by the vmemmap pages freed less those allocated.
 */
static bool
vm_accounts(const struct vm_pic *p)
{
	uint64_t freed = events_pages(&p->freed, NULL);
	uint64_t all = events_pages(&p->alloc, NULL);
	uint64_t pt = events_pages(&p->alloc, "pagetable");

	if (!p->events_ok)
		return false;
	if (p->c1.free + all != p->c0.free + freed ||
	    p->c1.pagetable != p->c0.pagetable + pt ||
	    p->c1.vmemmap + freed != p->c0.vmemmap + (all - pt)) {
		fprintf(stderr, PROG " show vmemmap: BUG: the optimize freed %"
			PRIu64 " and allocated %" PRIu64 " pages (%" PRIu64
			" for page tables), but free went %" PRIu64 " -> %"
			PRIu64 ", vmemmap %" PRIu64 " -> %" PRIu64
			", page tables %" PRIu64 " -> %" PRIu64 "\n", freed,
			all, pt, p->c0.free, p->c1.free, p->c0.vmemmap,
			p->c1.vmemmap, p->c0.pagetable, p->c1.pagetable);
		return false;
	}
	return true;
}

/* Edges from the freed frames of BEFORE to the buddy allocator. */
static void
dot_freed(const struct vm_pic *p)
{
	size_t gone = for_each_difference(p->before, p->after, p->l.nr, NULL,
					  NULL);
	char name[16];

	printf("  buddy [shape=cylinder, label=\"page allocator\\n"
	       "(buddy free lists)\\n%zu frame%s freed\"];\n", gone,
	       gone == 1 ? "" : "s");
	for (size_t k = 0; k < p->nlb; k++) {
		const struct vm_line *ln = &p->lb[k];
		const struct vm_map *v = &p->before[ln->first];
		bool seen = false;

		for (size_t i = 0; i < k; i++)
			seen = seen || p->before[p->lb[i].first].frame == v->frame;
		if (seen || maps_frame(p->after, p->l.nr, v->pa))
			continue;
		label_name(v->frame, name, sizeof(name));
		printf("  before_f%s -> buddy [label=\"freed\", style=dotted, "
		       "color=gray40];\n", name);
	}
}

/* The savings as a note: the counts, and why the hstate's may differ. */
static void
dot_savings(const struct vm_pic *p)
{
	size_t gone = for_each_difference(p->before, p->after, p->l.nr, NULL,
					  NULL);
	size_t fresh = for_each_difference(p->after, p->before, p->l.nr, NULL,
					   NULL);
	uint64_t per = p->h.vmemmap_pages_freed_per_hugepage;
	char shared[64];

	printf("  savings [shape=note, fontname=\"monospace\", label=\""
	       "savings\\l%zu frames freed - %zu allocated = net %lld\\l"
	       "hstate %s: %" PRIu64 " freed per hugepage\\l", gone, fresh,
	       (long long)gone - (long long)fresh, p->h.name, per);
	if (p->optimized && (long long)gone - (long long)fresh != (long long)per &&
	    fresh_names(p, true, shared, sizeof(shared)))
		printf("%s, the shared tail page, is no one\\lhugepage's cost: "
		       "every hugepage optimized\\lin its zone maps it\\l",
		       shared);
	printf("\"];\n");
}

static void
dot_legend(const struct vm_pic *p)
{
	printf("  legend [shape=note, fontname=\"monospace\", label=\""
	       "legend\\l"
	       "A, B, ...: frames (physical pages)\\l"
	       "solid edge RW: mapped read-write\\l"
	       "dashed edge RO: mapped read-only (a store faults)\\l"
	       "head page: the frame of vmemmap page 0; head copy: a new copy\\l"
	       "shared tail page: the frame every tail vmemmap page maps%s\\l"
	       "dotted edge to the page allocator: a frame HVO freed\\l\"];\n",
	       p->g.has_kernel_ro ? " read-only" : "");
}

static void
dot_cluster(const char *id, const char *title, const struct vm_pic *pic,
	    const struct vm_map *map, const struct vm_line *line, size_t nl,
	    bool after)
{
	const struct vm_layout *l = &pic->l;
	char name[16], name2[16];

	printf("  subgraph cluster_%s {\n", id);
	printf("    label=\"%s\";\n", title);
	for (size_t k = 0; k < nl; k++) {
		const struct vm_line *ln = &line[k];
		const struct vm_map *p = &map[ln->first];
		const struct vm_map *q = &map[ln->last];
		const char *role = NULL;
		uint64_t a, b, tmp;
		bool seen = false;

		struct_range(l, ln->first, &a, &tmp);
		struct_range(l, ln->last, &tmp, &b);
		if (ln->first == ln->last)
			printf("    %s_p%zu [label=\"vmemmap page %zu\\n"
			       "struct pages [%" PRIu64 ", %" PRIu64 ")\"];\n",
			       id, ln->first, ln->first, a, b);
		else
			printf("    %s_p%zu [label=\"vmemmap pages %zu..%zu\\n"
			       "struct pages [%" PRIu64 ", %" PRIu64 ")\"];\n",
			       id, ln->first, ln->first, ln->last, a, b);
		label_name(p->frame, name, sizeof(name));
		for (size_t i = 0; i < k; i++)
			seen = seen || map[line[i].first].frame == p->frame;
		if (after && ln->shared)
			role = vm_role_name(pic, p->frame,
					    !maps_frame(pic->before, l->nr, p->pa));
		if (!ln->shared) {
			label_name(q->frame, name2, sizeof(name2));
			printf("    %s_f%s [shape=box3d, label=\"frames %s..%s\\n"
			       "pfn 0x%" PRIx64 "..0x%" PRIx64 "\"];\n", id,
			       name, name, name2, p->pa / l->psz,
			       q->pa / l->psz);
		} else if (!seen) {
			printf("    %s_f%s [shape=box3d, label=\"frame %s\\n"
			       "pfn 0x%" PRIx64 "%s%s\"];\n", id, name, name,
			       p->pa / l->psz, role ? "\\n" : "",
			       role ? role : "");
		}
		printf("    %s_p%zu -> %s_f%s [label=\"%s\"%s];\n", id,
		       ln->first, id, name, p->writable ? "RW" : "RO",
		       p->writable ? "" : ", style=dashed");
	}
	printf("  }\n");
}

/* One page of a picture, as JSON. */
static void
json_pages(struct sj *j, const char *key, const struct vm_pic *p,
	   const struct vm_map *map, bool after)
{
	char name[16];

	sj_key(j, key);
	sj_begin_array(j);
	for (size_t i = 0; i < p->l.nr; i++) {
		uint64_t a, b;
		const char *role = NULL;

		struct_range(&p->l, i, &a, &b);
		label_name(map[i].frame, name, sizeof(name));
		sj_begin_object(j);
		sj_kv_u64(j, "page", i);
		sj_kv_hex16(j, "va", p->l.start + (uint64_t)i * p->l.psz);
		sj_kv_u64(j, "struct_page_first", a);
		sj_kv_u64(j, "struct_page_end", b);
		sj_kv_str(j, "frame", name);
		sj_kv_hex(j, "pfn", map[i].pa / p->l.psz);
		sj_kv_bool(j, "writable", map[i].writable);
		sj_kv_u64(j, "leaf_size", map[i].leaf_size);
		if (after)
			role = vm_role_name(p, map[i].frame,
					    !maps_frame(p->before, p->l.nr,
							map[i].pa));
		if (role)
			sj_kv_str(j, "role", role);
		else
			sj_kv_null(j, "role");
		sj_end_object(j);
	}
	sj_end_array(j);
}

struct json_pfns {
	struct sj *j;
	unsigned psz;
};

static void
json_pfn_item(void *ctx, const struct vm_map *v)
{
	struct json_pfns *jp = ctx;

	sj_hex(jp->j, v->pa / jp->psz);
}

static void
json_events(struct sj *j, const char *key, const struct vm_page_evs *e)
{
	sj_key(j, key);
	sj_begin_array(j);
	for (size_t i = 0; i < e->n; i++) {
		sj_begin_object(j);
		sj_kv_hex(j, "pfn", e->ev[i].pfn);
		sj_kv_u64(j, "order", e->ev[i].order);
		sj_kv_str(j, "why", e->ev[i].why);
		sj_end_object(j);
	}
	sj_end_array(j);
}

static void
json_counts(struct sj *j, const char *key, const struct vm_counts *c)
{
	sj_key(j, key);
	sj_begin_object(j);
	sj_kv_u64(j, "free", c->free);
	sj_kv_u64(j, "free_buddy", c->buddy);
	sj_kv_u64(j, "free_pcp", c->pcp);
	sj_kv_u64(j, "vmemmap", c->vmemmap);
	sj_kv_u64(j, "pagetable", c->pagetable);
	sj_end_object(j);
}

static void
vmemmap_json(const struct hvo_machine *m, const struct vm_pic *p,
	     const struct hvo_kernel_info *k, uint64_t size)
{
	struct sj j;
	struct json_pfns jp = { .j = &j, .psz = p->l.psz };
	char spec[1024], name[16];
	size_t gone, fresh;

	spec_of(m, spec, sizeof(spec));
	gone = for_each_difference(p->before, p->after, p->l.nr, NULL, NULL);
	fresh = for_each_difference(p->after, p->before, p->l.nr, NULL, NULL);
	sj_begin_document(&j, stdout, false, "show");
	sj_kv_str(&j, "picture", "vmemmap");
	sj_kv_str(&j, "machine", spec);
	sj_kv_str(&j, "kernel", k->release);
	sj_kv_str(&j, "hvo", hvo_variant_name(p->variant));
	sj_kv_u64(&j, "hugepage_size", size);
	sj_kv_hex(&j, "head_pfn", p->l.head_pfn);
	sj_kv_u64(&j, "struct_pages", p->l.nr_struct);
	sj_kv_u64(&j, "struct_page_size", p->l.sps);
	sj_kv_u64(&j, "page_size", p->l.psz);
	sj_kv_u64(&j, "vmemmap_pages", p->l.nr);
	sj_kv_hex16(&j, "vmemmap_start", p->l.start);
	sj_kv_bool(&j, "optimized", p->optimized);
	if (p->optimized)
		sj_kv_null(&j, "reason");
	else
		sj_kv_str(&j, "reason", p->reason);
	json_pages(&j, "before", p, p->before, false);
	json_pages(&j, "after", p, p->after, true);
	if (p->optimized && p->tail_frame != SIZE_MAX) {
		label_name(p->tail_frame, name, sizeof(name));
		sj_key(&j, "shared_tail_page");
		sj_begin_object(&j);
		sj_kv_str(&j, "frame", name);
		sj_kv_hex(&j, "pfn", p->f.pa[p->tail_frame] / p->l.psz);
		sj_kv_bool(&j, "read_only", p->tail_ro);
		sj_end_object(&j);
	} else {
		sj_kv_null(&j, "shared_tail_page");
	}
	sj_key(&j, "freed_pfns");
	sj_begin_array(&j);
	for_each_difference(p->before, p->after, p->l.nr, json_pfn_item, &jp);
	sj_end_array(&j);
	sj_key(&j, "allocated_pfns");
	sj_begin_array(&j);
	for_each_difference(p->after, p->before, p->l.nr, json_pfn_item, &jp);
	sj_end_array(&j);
	sj_kv_u64(&j, "frames_freed", gone);
	sj_kv_u64(&j, "frames_allocated", fresh);
	/* HVO frees at least what it allocates, or it does not run. */
	sj_kv_u64(&j, "net_frames", gone >= fresh ? gone - fresh : 0);
	json_events(&j, "page_frees", &p->freed);
	json_events(&j, "page_allocs", &p->alloc);
	json_counts(&j, "pages_before", &p->c0);
	json_counts(&j, "pages_after", &p->c1);
	sj_key(&j, "hstate");
	sj_begin_object(&j);
	sj_kv_str(&j, "name", p->h.name);
	sj_kv_u64(&j, "vmemmap_pages_per_hugepage",
		    p->h.vmemmap_pages_per_hugepage);
	sj_kv_u64(&j, "vmemmap_pages_freed_per_hugepage",
		    p->h.vmemmap_pages_freed_per_hugepage);
	sj_kv_u64(&j, "optimized", p->h.optimized);
	sj_kv_u64(&j, "saved_bytes", p->h.saved_bytes);
	sj_end_object(&j);
	sj_end_object(&j);
	printf("\n");
}

static void
vm_pic_free(struct vm_pic *p)
{
	free(p->la);
	free(p->lb);
	free(p->after);
	free(p->before);
	free(p->f.pa);
	free(p->alloc.ev);
	free(p->freed.ev);
}

static int
show_vmemmap(const struct show_args *a)
{
	struct hvo_machine *m = NULL;
	struct vm_pic p = { .events_ok = true };
	struct vm_layout *l = &p.l;
	struct hvo_geometry *g = &p.g;
	struct hvo_hstate_info *h = &p.h;
	enum hvo_variant boot_v;
	struct hvo_kernel_info k;
	bool enabled, found = false;
	const char *why = NULL, *pfx;
	char sz[32], fsz[32], title[256];
	uint64_t size, end;
	int status;

	status = boot(a, &m);
	if (status)
		return status;
	status = EXIT_RUNTIME;
	if (hvo_machine_geometry(m, g) || !g->page_size ||
	    !g->struct_page_size) {
		failed(m, "reading the geometry");
		goto out;
	}
	if (hvo_machine_hvo(m, NULL, &enabled, &why) ||
	    hvo_machine_kernel(m, &k)) {
		failed(m, "reading the HVO state");
		goto out;
	}
	/* The machine's variant, even where its sysctl starts at 0. */
	boot_v = k.variant;
	p.variant = boot_v;
	if (boot_v != HVO_VARIANT_OFF && !enabled && hvo_set_variant(m, boot_v) == 0)
		hvo_machine_hvo(m, NULL, &enabled, &why);
	size = a->size_text ? a->size : g->default_hugepage_size;
	for (unsigned i = 0; hvo_machine_hstate(m, i, h) == 0; i++) {
		if (h->size == size) {
			found = true;
			break;
		}
	}
	format_size(size, sz, sizeof(sz));
	if (!found) {
		fprintf(stderr, PROG " show vmemmap: --size %s: this machine has no hugepages of %s\n",
			a->size_text ? a->size_text : sz, sz);
		status = EXIT_USAGE;
		goto out;
	}

	/* In a dot file, the parameters are comments; JSON has its own. */
	pfx = a->format == FORMAT_DOT ? "// " : "";
	if (a->format != FORMAT_JSON) {
		printf("%sshow vmemmap\n", pfx);
		printf("%s  machine  ", pfx);
		print_spec(m, "");
		printf("%s  kernel   Linux %s (%s build)\n", pfx, k.release,
		       k.build);
		printf("%s  hvo      %s%s\n", pfx, hvo_variant_name(boot_v),
		       a->set_variant ? " (from --hvo)" :
		       k.variant_from_release ? " (the release's)" :
		       " (from the spec)");
		printf("%s  size     %s%s\n", pfx, sz,
		       a->size_text ? "" : " (the default)");
		printf("%s  format   %s\n", pfx,
		       a->format == FORMAT_DOT ? "dot" : "text");
	}

	/* Before: a hugepage allocated with HVO off keeps boot's mapping. */
	if (hvo_set_variant(m, HVO_VARIANT_OFF)) {
		failed(m, "switching HVO off");
		goto out;
	}
	if (hvo_set_nr_hugepages(m, size, 1)) {
		failed(m, "growing the pool to one hugepage");
		goto out;
	}
	l->psz = g->page_size;
	l->sps = g->struct_page_size;
	l->nr_struct = size / g->page_size;
	if (hvo_hugepage_pfn(m, size, 0, &l->head_pfn) ||
	    hvo_pfn_to_page(m, l->head_pfn, &l->head_va)) {
		failed(m, "finding the hugepage");
		goto out;
	}
	l->start = l->head_va & ~(uint64_t)(l->psz - 1);
	end = l->head_va + l->nr_struct * l->sps;
	end = (end + l->psz - 1) & ~(uint64_t)(l->psz - 1);
	l->nr = (size_t)((end - l->start) / l->psz);
	p.before = calloc(l->nr, sizeof(*p.before));
	p.after = calloc(l->nr, sizeof(*p.after));
	p.lb = calloc(l->nr, sizeof(*p.lb));
	p.la = calloc(l->nr, sizeof(*p.la));
	if (!p.before || !p.after || !p.lb || !p.la) {
		fprintf(stderr, PROG " show: out of memory\n");
		goto out;
	}
	if (record(m, l->start, l->nr, l->psz, p.before, &p.f))
		goto out;

	/* After: the boot variant back, and HVO run on the hugepage. */
	if (hvo_set_variant(m, boot_v)) {
		failed(m, "switching back to the boot variant");
		goto out;
	}
	if (hvo_machine_hstate_by_size(m, size, h)) {
		failed(m, "reading the hstate");
		goto out;
	}
	if (vm_count(m, &p.c0)) {
		failed(m, "counting pages");
		goto out;
	}
	p.c1 = p.c0;
	if (h->optimizable) {
		/* The optimize's allocations and frees: where frames went. */
		hvo_set_trace(m, vm_record_event, &p);
		if (hvo_hugepage_optimize(m, l->head_pfn)) {
			hvo_set_trace(m, NULL, NULL);
			failed(m, "optimizing the hugepage");
			goto out;
		}
		hvo_set_trace(m, NULL, NULL);
		p.optimized = true;
		/* Read again: the pool now holds an optimized hugepage. */
		if (hvo_machine_hstate_by_size(m, size, h) ||
		    vm_count(m, &p.c1)) {
			failed(m, "reading the hstate");
			goto out;
		}
	}
	p.reason = h->reason && *h->reason ? h->reason : "HVO is off";
	if (record(m, l->start, l->nr, l->psz, p.after, &p.f))
		goto out;
	p.nlb = make_lines(p.before, l->nr, l->psz, p.lb);
	p.nla = make_lines(p.after, l->nr, l->psz, p.la);
	vm_find_roles(&p);
	if (!vm_accounts(&p))
		goto out;

	if (a->format == FORMAT_JSON) {
		vmemmap_json(m, &p, &k, size);
		status = final_check(m, false);
		goto out;
	}
	format_size(l->psz, fsz, sizeof(fsz));
	printf("%s  hugepage head pfn 0x%" PRIx64 ": %" PRIu64
	       " struct pages of %u bytes in %zu vmemmap pages of %s\n",
	       pfx, l->head_pfn, l->nr_struct, l->sps, l->nr, fsz);
	printf("%s  vmemmap  0x%016" PRIx64 "..0x%016" PRIx64 "\n", pfx,
	       l->start, end);
	if (!p.optimized)
		printf("%s  not optimized: %s\n", pfx, p.reason);

	if (a->format == FORMAT_DOT) {
		printf("digraph vmemmap {\n");
		printf("  rankdir=LR;\n");
		printf("  node [shape=box, fontname=\"monospace\"];\n");
		printf("  edge [fontname=\"monospace\"];\n");
		dot_legend(&p);
		snprintf(title, sizeof(title), "AFTER: %s hugepage, hvo=%s%s",
			 sz, hvo_variant_name(boot_v),
			 p.optimized ? "" : " (not optimized)");
		dot_cluster("after", title, &p, p.after, p.la, p.nla, true);
		snprintf(title, sizeof(title), "BEFORE: %s hugepage, hvo=off",
			 sz);
		dot_cluster("before", title, &p, p.before, p.lb, p.nlb, false);
		dot_freed(&p);
		dot_savings(&p);
		printf("}\n");
	} else {
		print_legend(&p);
		draw_text("BEFORE (grown with hvo=off: the vmemmap as boot mapped it)",
			  &p, p.before, p.lb, p.nlb, NULL);
		snprintf(title, sizeof(title), "AFTER (%s%s)",
			 p.optimized ? "hvo_hugepage_optimize with " :
				       "not optimized: hvo=",
			 hvo_variant_name(boot_v));
		draw_text(title, &p, p.after, p.la, p.nla, p.before);
		print_savings(&p);
	}
	status = final_check(m, a->format == FORMAT_TEXT);
out:
	vm_pic_free(&p);
	hvo_machine_free(m);
	return status;
}

/* ------------------------------------------------------------------ */
/* show walk                                                          */
/* ------------------------------------------------------------------ */

/* One walk as JSON, each level with its entry decoded. */
static void
walk_json(const struct hvo_machine *m, const char *target,
	  const struct hvo_walk *w)
{
	struct sj j;
	char spec[1024], desc[256];

	spec_of(m, spec, sizeof(spec));
	sj_begin_document(&j, stdout, false, "show");
	sj_kv_str(&j, "picture", "walk");
	sj_kv_str(&j, "machine", spec);
	sj_kv_str(&j, "target", target);
	sj_kv_hex16(&j, "va", w->va);
	sj_key(&j, "levels");
	sj_begin_array(&j);
	for (unsigned d = 0; d < w->nr_levels && d < HVO_MAX_LEVELS; d++) {
		const struct hvo_walk_level *lv = &w->level[d];

		if (hvo_entry_describe(m, d, lv->entry, desc, sizeof(desc)))
			snprintf(desc, sizeof(desc), "(cannot decode)");
		sj_begin_object(&j);
		sj_kv_str(&j, "level", lv->name);
		sj_kv_u64(&j, "depth", d);
		sj_kv_u64(&j, "shift", lv->shift);
		sj_kv_u64(&j, "index", lv->index);
		sj_kv_hex(&j, "table_pa", lv->table_pa);
		sj_kv_hex(&j, "entry_pa", lv->entry_pa);
		sj_kv_hex16(&j, "entry", lv->entry);
		sj_kv_str(&j, "decoded", desc);
		sj_kv_bool(&j, "valid", lv->valid);
		sj_kv_bool(&j, "leaf", lv->leaf);
		sj_end_object(&j);
	}
	sj_end_array(&j);
	sj_kv_bool(&j, "mapped", w->mapped);
	/* The keys of a walk in the machine's JSON report, and its values. */
	if (w->mapped) {
		sj_kv_hex(&j, "pa", w->pa);
		sj_kv_u64(&j, "leaf_size", w->leaf_size);
		sj_kv_hex16(&j, "prot", w->prot);
		sj_kv_bool(&j, "writable", w->writable);
	} else {
		sj_kv_null(&j, "pa");
		sj_kv_u64(&j, "leaf_size", 0);
		sj_kv_null(&j, "prot");
		sj_kv_null(&j, "writable");
	}
	sj_end_object(&j);
	printf("\n");
}

static int
show_walk(const struct show_args *a)
{
	struct hvo_machine *m = NULL;
	struct sim_target t;
	struct hvo_walk w;
	char desc[256], sz[32];
	uint64_t va;
	int status;

	/* VA as hvo-sim --walk takes it: an address, pfn:N or vmemmap. */
	if (sim_parse_target(PROG " show walk:", a->va_text, &t))
		return EXIT_USAGE;
	status = boot(a, &m);
	if (status)
		return status;
	if (sim_resolve_target(PROG " show walk:", m, &t, &va)) {
		status = EXIT_USAGE;
		goto out;
	}
	status = EXIT_RUNTIME;
	if (hvo_walk(m, va, &w)) {
		failed(m, "walk");
		goto out;
	}
	if (a->format == FORMAT_JSON) {
		walk_json(m, a->va_text, &w);
		status = final_check(m, false);
		goto out;
	}
	if (a->format == FORMAT_DOT) {
		printf("// show walk %s\n//   machine  ", a->va_text);
		print_spec(m, "");
		printf("digraph walk {\n");
		printf("  rankdir=LR;\n");
		printf("  node [shape=record, fontname=\"monospace\"];\n");
		printf("  va [shape=box, label=\"va 0x%016" PRIx64 "\\n%s\"];\n",
		       va, a->va_text);
		for (unsigned d = 0; d < w.nr_levels && d < HVO_MAX_LEVELS;
		     d++) {
			const struct hvo_walk_level *lv = &w.level[d];

			printf("  t%u [label=\"%s table\\npa 0x%" PRIx64
			       "|<e> [%u] 0x%016" PRIx64 "%s\"];\n", d,
			       lv->name, lv->table_pa, lv->index, lv->entry,
			       !lv->valid ? " (invalid)" :
			       lv->leaf ? " (leaf)" : "");
			if (d == 0)
				printf("  va -> t0 [label=\"index %u\"];\n",
				       lv->index);
			else
				printf("  t%u:e -> t%u [label=\"index %u\"];\n",
				       d - 1, d, lv->index);
		}
		if (w.mapped && w.nr_levels) {
			format_size(w.leaf_size, sz, sizeof(sz));
			printf("  frame [shape=box3d, label=\"frame %s\\n"
			       "pa 0x%" PRIx64 "\\n%s\"];\n", sz,
			       w.pa & ~(w.leaf_size - 1),
			       w.writable ? "RW" : "RO");
			printf("  t%u:e -> frame [label=\"+0x%" PRIx64
			       "\"%s];\n", w.nr_levels - 1,
			       w.pa & (w.leaf_size - 1),
			       w.writable ? "" : ", style=dashed");
		} else {
			printf("  unmapped [shape=plaintext, label=\"not mapped\"];\n");
			if (w.nr_levels)
				printf("  t%u:e -> unmapped;\n",
				       w.nr_levels - 1);
		}
		printf("}\n");
		status = final_check(m, false);
		goto out;
	}
	printf("show walk %s\n", a->va_text);
	print_spec(m, "  machine  ");
	printf("  va       0x%016" PRIx64 "\n", va);
	printf("\n(level[index] entry-pa: entry -> decoded)\n");
	for (unsigned d = 0; d < w.nr_levels && d < HVO_MAX_LEVELS; d++) {
		const struct hvo_walk_level *lv = &w.level[d];

		if (hvo_entry_describe(m, d, lv->entry, desc, sizeof(desc)))
			snprintf(desc, sizeof(desc), "(cannot decode)");
		for (unsigned k = 0; k <= d; k++)
			printf(" ..");
		printf("%s[%u] 0x%" PRIx64 ": 0x%016" PRIx64 " -> %s\n",
		       lv->name, lv->index, lv->entry_pa, lv->entry, desc);
	}
	if (w.mapped) {
		format_size(w.leaf_size, sz, sizeof(sz));
		printf("\nva 0x%016" PRIx64 " -> pa 0x%" PRIx64
		       " (in a %s leaf at pa 0x%" PRIx64 ", %s)\n", va, w.pa,
		       sz, w.pa & ~(w.leaf_size - 1),
		       w.writable ? "read-write" : "read-only");
	} else {
		printf("\nva 0x%016" PRIx64 " -> not mapped\n", va);
	}
	status = final_check(m, true);
out:
	hvo_machine_free(m);
	return status;
}

/* ------------------------------------------------------------------ */
/* show buddy                                                         */
/* ------------------------------------------------------------------ */

/* The pools and the free lists of every zone, as JSON. */
static void
buddy_json(const struct hvo_machine *m)
{
	struct hvo_hstate_info h;
	struct hvo_zone_info z;
	struct sj j;
	char spec[1024];

	spec_of(m, spec, sizeof(spec));
	sj_begin_document(&j, stdout, false, "show");
	sj_kv_str(&j, "picture", "buddy");
	sj_kv_str(&j, "machine", spec);
	sj_key(&j, "pools");
	sj_begin_array(&j);
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		if (!h.nr)
			continue;
		sj_begin_object(&j);
		sj_kv_str(&j, "name", h.name);
		sj_kv_u64(&j, "size", h.size);
		sj_kv_u64(&j, "nr", h.nr);
		sj_kv_u64(&j, "optimized", h.optimized);
		sj_end_object(&j);
	}
	sj_end_array(&j);
	sj_key(&j, "zones");
	sj_begin_array(&j);
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		unsigned orders = z.nr_orders < HVO_MAX_ORDERS ?
				  z.nr_orders : HVO_MAX_ORDERS;

		if (!z.present_pages)
			continue;
		sj_begin_object(&j);
		sj_kv_str(&j, "name", z.name);
		sj_kv_hex(&j, "start_pfn", z.start_pfn);
		sj_kv_u64(&j, "present_pages", z.present_pages);
		sj_kv_u64(&j, "free_pages", z.free_pages);
		sj_kv_u64(&j, "pcp_pages", z.pcp_pages);
		sj_kv_u64(&j, "deferred_pages", z.deferred_pages);
		sj_key(&j, "nr_free");
		sj_begin_array(&j);
		for (unsigned o = 0; o < orders; o++)
			sj_u64(&j, z.nr_free[o]);
		sj_end_array(&j);
		sj_end_object(&j);
	}
	sj_end_array(&j);
	sj_end_object(&j);
	printf("\n");
}

static int
show_buddy(const struct show_args *a)
{
	struct hvo_machine *m = NULL;
	struct hvo_zone_info z;
	struct hvo_hstate_info h;
	char sz[32];
	int status;

	status = boot(a, &m);
	if (status)
		return status;
	status = EXIT_RUNTIME;
	if (a->format != FORMAT_JSON) {
		printf("show buddy\n");
		print_spec(m, "  machine  ");
	}
	for (size_t i = 0; i < a->nr_pools; i++) {
		const struct sim_pool *p = &a->pools[i];

		format_size(p->size, sz, sizeof(sz));
		if (a->format != FORMAT_JSON)
			printf("  hugepages %s=%" PRIu64 "\n", sz, p->nr);
		if (hvo_set_nr_hugepages(m, p->size, p->nr)) {
			fprintf(stderr, PROG " show buddy: --hugepages %s: %s\n",
				p->text, hvo_machine_error(m));
			goto out;
		}
	}
	if (a->format == FORMAT_JSON) {
		buddy_json(m);
		status = final_check(m, false);
		goto out;
	}
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++)
		if (h.nr)
			printf("  pool %s: %" PRIu64 " hugepages, %" PRIu64
			       " optimized\n", h.name, h.nr, h.optimized);

	/*
	 * The lists as they are, as the bars below draw them: memory that
	 * deferred struct page init has not reached is on none of them yet
	 * (/proc/buddyinfo would count it, as a booted kernel has).
	 */
	printf("\nbuddyinfo\n");
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++)
		procfs_buddyinfo_zone(stdout, &z, "", PROCFS_REPORT);

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		unsigned orders = z.nr_orders < HVO_MAX_ORDERS ?
				  z.nr_orders : HVO_MAX_ORDERS;
		uint64_t most = 0, total = 0;

		if (!z.present_pages)
			continue;
		for (unsigned o = 0; o < orders; o++) {
			uint64_t pages = z.nr_free[o] << o;

			total += pages;
			if (pages > most)
				most = pages;
		}
		printf("\nzone %s: %" PRIu64 " free pages in the buddy lists",
		       z.name, total);
		if (z.pcp_pages)
			printf(", %" PRIu64 " more on per-CPU lists",
			       z.pcp_pages);
		printf("\n");
		for (unsigned o = 0; o < orders; o++) {
			uint64_t pages = z.nr_free[o] << o;
			unsigned cols = most ? (unsigned)((pages *
				SHOW_BAR_COLUMNS + most - 1) / most) : 0;
			char bar[SHOW_BAR_COLUMNS + 1];

			memset(bar, '#', cols);
			bar[cols] = '\0';
			printf("  order %2u |%-*s| %" PRIu64 " x %" PRIu64
			       " = %" PRIu64 " pages\n", o, SHOW_BAR_COLUMNS,
			       bar, z.nr_free[o], UINT64_C(1) << o, pages);
		}
	}
	status = final_check(m, true);
out:
	hvo_machine_free(m);
	return status;
}

int
show_main(int argc, char **argv)
{
	struct show_args a = {
		.spec = SHOW_DEFAULT_SPEC,
		.format = FORMAT_TEXT,
	};
	int status = EXIT_USAGE, rc;

	if (argc < 2) {
		fprintf(stderr, PROG " show: what? (vmemmap, walk or buddy)\n");
		show_hint();
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "vmemmap") == 0) {
		a.what = SHOW_VMEMMAP;
	} else if (strcmp(argv[1], "walk") == 0) {
		a.what = SHOW_WALK;
	} else if (strcmp(argv[1], "buddy") == 0) {
		a.what = SHOW_BUDDY;
	} else {
		fprintf(stderr, PROG " show: unknown picture '%s' (vmemmap, walk or buddy)\n",
			argv[1]);
		show_hint();
		return EXIT_USAGE;
	}
	/* Every --hugepages is an argument: argc bounds them. */
	a.pools = calloc((size_t)argc, sizeof(*a.pools));
	if (!a.pools) {
		fprintf(stderr, PROG " show: out of memory\n");
		status = EXIT_RUNTIME;
		goto out;
	}
	rc = parse_show_args(argc - 1, argv + 1, &a);
	if (rc) {
		status = rc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	switch (a.what) {
	case SHOW_VMEMMAP:
		status = show_vmemmap(&a);
		break;
	case SHOW_WALK:
		status = show_walk(&a);
		break;
	case SHOW_BUDDY:
	default:
		status = show_buddy(&a);
		break;
	}
out:
	if (fflush(stdout) || ferror(stdout)) {
		if (status == EXIT_OK)
			fprintf(stderr, PROG " show: writing to standard output failed\n");
		if (status != EXIT_USAGE)
			status = EXIT_RUNTIME;
	}
	free(a.pools);
	return status;
}
