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
 * API only, so the same arguments always print the same bytes.
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
		"                           [--format text|dot]\n"
		"       " PROG " show walk VA [--machine SPEC] [--format text|dot]\n"
		"       " PROG " show buddy [--machine SPEC] [--hugepages SIZE=N]...\n"
		"\n"
		"Draw a part of a simulated machine (default machine: " SHOW_DEFAULT_SPEC ").\n"
		"\n"
		"  vmemmap  grow a pool of one hugepage of SIZE (default: the arch's\n"
		"           default hugepage size) with HVO off, then optimize it with\n"
		"           the boot variant, and draw which frame every vmemmap page\n"
		"           of the hugepage maps, before and after, and what was saved\n"
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
		"      --format text|dot  vmemmap, walk: text (default) or a Graphviz\n"
		"                         digraph\n"
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
			if (a->what == SHOW_BUDDY)
				return not_for("--format", what);
			if (strcmp(optarg, "text") == 0) {
				a->format = FORMAT_TEXT;
			} else if (strcmp(optarg, "dot") == 0) {
				a->format = FORMAT_DOT;
			} else {
				fprintf(stderr, PROG " show: --format %s: allowed are text, dot\n",
					optarg);
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

static void
print_spec(const struct hvo_machine *m, const char *prefix)
{
	char canon[1024];

	if (hvo_config_format(hvo_machine_config(m), canon, sizeof(canon)))
		snprintf(canon, sizeof(canon), "(cannot format)");
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

static void
draw_text(const char *title, const struct vm_layout *l,
	  const struct vm_map *map, const struct vm_line *line, size_t nl,
	  const struct vm_map *other)
{
	uint64_t leaf = map[0].leaf_size;
	char name[16], name2[16], sz[32], left[96], right[96];
	bool mixed = false;

	printf("\n%s\n", title);
	printf("  %-56s         %s\n", "vmemmap (virtual)", "frames (physical)");
	for (size_t k = 0; k < nl; k++) {
		const struct vm_line *ln = &line[k];
		const struct vm_map *p = &map[ln->first];
		const struct vm_map *q = &map[ln->last];
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

/* Print "A B C" and pfn ranges of the frames of @p a that @p b lacks. */
static size_t
print_difference(const char *what, const struct vm_map *a,
		 const struct vm_map *b, size_t nr, unsigned psz)
{
	size_t count = 0, shown = 0;
	uint64_t run_start = 0, run_end = 0;
	bool open = false;
	char name[16];

	printf("  %s:", what);
	for (size_t i = 0; i < nr; i++) {
		bool dup = false;

		if (maps_frame(b, nr, a[i].pa))
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = a[j].pa == a[i].pa;
		if (dup)
			continue;
		count++;
		if (shown < 8) {
			label_name(a[i].frame, name, sizeof(name));
			printf(" %s", name);
			shown++;
		} else if (shown == 8) {
			printf(" ...");
			shown++;
		}
	}
	printf("%s (%zu)\n", count ? "" : " none", count);
	if (!count)
		return 0;
	/* The pfns, as ranges of consecutive frames. */
	printf("    pfn");
	for (size_t i = 0; i <= nr; i++) {
		uint64_t pfn = 0;
		bool dup = false;

		if (i < nr) {
			if (maps_frame(b, nr, a[i].pa))
				continue;
			for (size_t j = 0; j < i && !dup; j++)
				dup = a[j].pa == a[i].pa;
			if (dup)
				continue;
			pfn = a[i].pa / psz;
			if (open && pfn == run_end + 1) {
				run_end = pfn;
				continue;
			}
		}
		if (open) {
			if (run_end == run_start)
				printf(" 0x%" PRIx64, run_start);
			else
				printf(" 0x%" PRIx64 "..0x%" PRIx64, run_start,
				       run_end);
		}
		open = i < nr;
		run_start = run_end = pfn;
	}
	printf("\n");
	return count;
}

static void
dot_cluster(const char *id, const char *title, const struct vm_layout *l,
	    const struct vm_map *map, const struct vm_line *line, size_t nl)
{
	char name[16], name2[16];

	printf("  subgraph cluster_%s {\n", id);
	printf("    label=\"%s\";\n", title);
	for (size_t k = 0; k < nl; k++) {
		const struct vm_line *ln = &line[k];
		const struct vm_map *p = &map[ln->first];
		const struct vm_map *q = &map[ln->last];
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
		if (!ln->shared) {
			label_name(q->frame, name2, sizeof(name2));
			printf("    %s_f%s [shape=box3d, label=\"frames %s..%s\\n"
			       "pfn 0x%" PRIx64 "..0x%" PRIx64 "\"];\n", id,
			       name, name, name2, p->pa / l->psz,
			       q->pa / l->psz);
		} else if (!seen) {
			printf("    %s_f%s [shape=box3d, label=\"frame %s\\n"
			       "pfn 0x%" PRIx64 "\"];\n", id, name, name,
			       p->pa / l->psz);
		}
		printf("    %s_p%zu -> %s_f%s [label=\"%s\"%s];\n", id,
		       ln->first, id, name, p->writable ? "RW" : "RO",
		       p->writable ? "" : ", style=dashed");
	}
	printf("  }\n");
}

static int
show_vmemmap(const struct show_args *a)
{
	struct hvo_machine *m = NULL;
	struct hvo_geometry g;
	struct hvo_hstate_info h;
	struct vm_layout l;
	struct frames f = { 0 };
	struct vm_map *before = NULL, *after = NULL;
	struct vm_line *lb = NULL, *la = NULL;
	enum hvo_variant boot_v;
	struct hvo_kernel_info k;
	bool enabled, optimized = false, found = false;
	const char *why = NULL, *pfx;
	char sz[32], fsz[32], title[256];
	uint64_t size, end;
	size_t nlb, nla, gone, fresh;
	int status;

	status = boot(a, &m);
	if (status)
		return status;
	status = EXIT_RUNTIME;
	if (hvo_machine_geometry(m, &g) || !g.page_size ||
	    !g.struct_page_size) {
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
	if (boot_v != HVO_VARIANT_OFF && !enabled && hvo_set_variant(m, boot_v) == 0)
		hvo_machine_hvo(m, NULL, &enabled, &why);
	size = a->size_text ? a->size : g.default_hugepage_size;
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		if (h.size == size) {
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

	/* In a dot file, the parameters are comments. */
	pfx = a->format == FORMAT_DOT ? "// " : "";
	printf("%sshow vmemmap\n", pfx);
	printf("%s  machine  ", pfx);
	print_spec(m, "");
	printf("%s  kernel   Linux %s (%s build)\n", pfx, k.release, k.build);
	printf("%s  hvo      %s%s\n", pfx, hvo_variant_name(boot_v),
	       a->set_variant ? " (from --hvo)" :
	       k.variant_from_release ? " (the release's)" : " (from the spec)");
	printf("%s  size     %s%s\n", pfx, sz,
	       a->size_text ? "" : " (the default)");
	printf("%s  format   %s\n", pfx,
	       a->format == FORMAT_DOT ? "dot" : "text");

	/* Before: a hugepage allocated with HVO off keeps boot's mapping. */
	if (hvo_set_variant(m, HVO_VARIANT_OFF)) {
		failed(m, "switching HVO off");
		goto out;
	}
	if (hvo_set_nr_hugepages(m, size, 1)) {
		failed(m, "growing the pool to one hugepage");
		goto out;
	}
	l.psz = g.page_size;
	l.sps = g.struct_page_size;
	l.nr_struct = size / g.page_size;
	if (hvo_hugepage_pfn(m, size, 0, &l.head_pfn) ||
	    hvo_pfn_to_page(m, l.head_pfn, &l.head_va)) {
		failed(m, "finding the hugepage");
		goto out;
	}
	l.start = l.head_va & ~(uint64_t)(l.psz - 1);
	end = l.head_va + l.nr_struct * l.sps;
	end = (end + l.psz - 1) & ~(uint64_t)(l.psz - 1);
	l.nr = (size_t)((end - l.start) / l.psz);
	before = calloc(l.nr, sizeof(*before));
	after = calloc(l.nr, sizeof(*after));
	lb = calloc(l.nr, sizeof(*lb));
	la = calloc(l.nr, sizeof(*la));
	if (!before || !after || !lb || !la) {
		fprintf(stderr, PROG " show: out of memory\n");
		goto out;
	}
	if (record(m, l.start, l.nr, l.psz, before, &f))
		goto out;

	/* After: the boot variant back, and HVO run on the hugepage. */
	if (hvo_set_variant(m, boot_v)) {
		failed(m, "switching back to the boot variant");
		goto out;
	}
	found = false;
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		if (h.size == size) {
			found = true;
			break;
		}
	}
	if (!found) {
		failed(m, "reading the hstate");
		goto out;
	}
	if (h.optimizable) {
		if (hvo_hugepage_optimize(m, l.head_pfn)) {
			failed(m, "optimizing the hugepage");
			goto out;
		}
		optimized = true;
		/* Read again: the pool now holds an optimized hugepage. */
		for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++)
			if (h.size == size)
				break;
	}
	if (record(m, l.start, l.nr, l.psz, after, &f))
		goto out;
	nlb = make_lines(before, l.nr, l.psz, lb);
	nla = make_lines(after, l.nr, l.psz, la);

	format_size(l.psz, fsz, sizeof(fsz));
	printf("%s  hugepage head pfn 0x%" PRIx64 ": %" PRIu64
	       " struct pages of %u bytes in %zu vmemmap pages of %s\n",
	       pfx, l.head_pfn, l.nr_struct, l.sps, l.nr, fsz);
	printf("%s  vmemmap  0x%016" PRIx64 "..0x%016" PRIx64 "\n", pfx,
	       l.start, end);
	if (!optimized)
		printf("%s  not optimized: %s\n", pfx,
		       h.reason && *h.reason ? h.reason : "HVO is off");

	if (a->format == FORMAT_DOT) {
		printf("digraph vmemmap {\n");
		printf("  rankdir=LR;\n");
		printf("  node [shape=box, fontname=\"monospace\"];\n");
		printf("  edge [fontname=\"monospace\"];\n");
		snprintf(title, sizeof(title), "AFTER: %s hugepage, hvo=%s%s",
			 sz, hvo_variant_name(boot_v),
			 optimized ? "" : " (not optimized)");
		dot_cluster("after", title, &l, after, la, nla);
		snprintf(title, sizeof(title), "BEFORE: %s hugepage, hvo=off",
			 sz);
		dot_cluster("before", title, &l, before, lb, nlb);
		printf("}\n");
	} else {
		draw_text("BEFORE (grown with hvo=off: the vmemmap as boot mapped it)",
			  &l, before, lb, nlb, NULL);
		snprintf(title, sizeof(title), "AFTER (%s%s)",
			 optimized ? "hvo_hugepage_optimize with " :
				     "not optimized: hvo=",
			 hvo_variant_name(boot_v));
		draw_text(title, &l, after, la, nla, before);

		printf("\nsavings\n");
		gone = print_difference("frames no longer mapped (freed)",
					before, after, l.nr, l.psz);
		fresh = print_difference("frames newly mapped (allocated)",
					 after, before, l.nr, l.psz);
		printf("  net: %zu - %zu = %lld frames fewer behind this hugepage's vmemmap\n",
		       gone, fresh, (long long)gone - (long long)fresh);
		format_size(h.vmemmap_pages_freed_per_hugepage * l.psz, fsz,
			  sizeof(fsz));
		printf("  hstate %s: %" PRIu64 " vmemmap pages per hugepage, %"
		       PRIu64 " freed per hugepage (%s), %" PRIu64
		       " optimized, %" PRIu64 " bytes saved\n", h.name,
		       h.vmemmap_pages_per_hugepage,
		       h.vmemmap_pages_freed_per_hugepage,
		       h.vmemmap_pages_freed_per_hugepage ? fsz : "0",
		       h.optimized, h.saved_bytes);
	}
	status = final_check(m, a->format == FORMAT_TEXT);
out:
	free(la);
	free(lb);
	free(after);
	free(before);
	free(f.pa);
	hvo_machine_free(m);
	return status;
}

/* ------------------------------------------------------------------ */
/* show walk                                                          */
/* ------------------------------------------------------------------ */

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
	printf("show buddy\n");
	print_spec(m, "  machine  ");
	for (size_t i = 0; i < a->nr_pools; i++) {
		const struct sim_pool *p = &a->pools[i];

		format_size(p->size, sz, sizeof(sz));
		printf("  hugepages %s=%" PRIu64 "\n", sz, p->nr);
		if (hvo_set_nr_hugepages(m, p->size, p->nr)) {
			fprintf(stderr, PROG " show buddy: --hugepages %s: %s\n",
				p->text, hvo_machine_error(m));
			goto out;
		}
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
