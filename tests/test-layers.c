/* SPDX-License-Identifier: MIT */
/*
 * The layers of lib/ call only downward (doc/DESIGN.md, "Layers"): every
 * #include "dir/file.h" in lib/ names a header of its own layer or of one
 * below. This reads the include lines of every .c and .h file under lib/
 * and names each file and include that breaks the rule.
 *
 *   test-layers [LIBDIR]          the CMocka cases (LIBDIR: the tree's lib/)
 *   test-layers --check LIBDIR    only list what breaks the rule; exit 1 if any
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/*
 * Bottom to top. A file's layer is the folder it sits in, right under lib/.
 * The public header (hvo/) is below everything: it is the types the API
 * shares with its users.
 */
static const char *const layers[] = {
	"hvo",      /* include/hvo/: the public types */
	"base",
	"release",
	"phys",
	"arch",
	"core",
	"mmu",
	"mm",
	"mem",
	"hugetlb",
	"boot",
};

#define NR_LAYERS (int)(sizeof(layers) / sizeof(layers[0]))

/* The layer of a path whose first component is a layer folder, or -1. */
static int
layer_of(const char *path)
{
	const char *slash = strchr(path, '/');
	size_t len;

	if (!slash)
		return -1;
	len = (size_t)(slash - path);
	for (int i = 0; i < NR_LAYERS; i++)
		if (strlen(layers[i]) == len && !strncmp(path, layers[i], len))
			return i;
	return -1;
}

struct report {
	unsigned files;
	unsigned includes;
	unsigned bad;
	char text[8192]; /* the first violations, one a line */
	bool quiet;
};

static void __attribute__((format(printf, 2, 3)))
violation(struct report *r, const char *fmt, ...)
{
	size_t used = strlen(r->text);
	va_list ap;

	r->bad++;
	va_start(ap, fmt);
	if (used < sizeof(r->text))
		vsnprintf(r->text + used, sizeof(r->text) - used, fmt, ap);
	va_end(ap);
	used = strlen(r->text);
	if (used + 1 < sizeof(r->text))
		strcat(r->text, "\n");
}

/* The quoted name of an #include "..." line, or NULL. */
static const char *
include_of(char *line)
{
	char *p = line, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '#')
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "include", 7))
		return NULL;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '"')
		return NULL;
	end = strchr(p, '"');
	if (!end)
		return NULL;
	*end = '\0';
	return p;
}

/* Check one file; @rel is its path under lib/. */
static void
check_file(struct report *r, const char *path, const char *rel)
{
	int layer = layer_of(rel);
	char line[1024];
	unsigned lineno = 0;
	FILE *f;

	r->files++;
	if (layer < 0) {
		violation(r, "lib/%s: belongs to no layer (put it in one of the folders doc/DESIGN.md lists)",
			  rel);
		return;
	}
	f = fopen(path, "r");
	if (!f) {
		violation(r, "lib/%s: cannot read: %s", rel, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *inc;
		int to;

		lineno++;
		inc = include_of(line);
		if (!inc)
			continue;
		r->includes++;
		to = layer_of(inc);
		if (to < 0)
			violation(r, "lib/%s:%u: #include \"%s\" does not name its layer (write \"layer/file.h\")",
				  rel, lineno, inc);
		else if (to > layer)
			violation(r, "lib/%s:%u: #include \"%s\" reaches up from %s to %s",
				  rel, lineno, inc, layers[layer], layers[to]);
	}
	fclose(f);
}

static int
walk(struct report *r, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[PATH_MAX], sub[PATH_MAX];
		size_t len = strlen(e->d_name);
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			 e->d_name);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(r, path, sub);
			continue;
		}
		if (len > 2 && e->d_name[len - 2] == '.' &&
		    (e->d_name[len - 1] == 'c' || e->d_name[len - 1] == 'h'))
			check_file(r, path, sub);
	}
	closedir(d);
	return 0;
}

static int
check_tree(struct report *r, const char *libdir)
{
	memset(r, 0, sizeof(*r));
	return walk(r, libdir, "");
}

static const char *libdir = "lib";

/* The tree as it is: every include in lib/ runs downward. */
static void
test_tree_runs_downward(void **state)
{
	struct report r;

	(void)state;
	assert_int_equal(check_tree(&r, libdir), 0);
	if (r.bad)
		printf("# %u includes reach up:\n%s", r.bad, r.text);
	assert_true(r.files > 20);
	assert_true(r.includes > 50);
	assert_int_equal(r.bad, 0);
}

/* Write @text to @root/@rel, making its folder. */
static void
put(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	char *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	mkdir(dir, 0700);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
rm_tree(const char *root, const char *const *rels, size_t n)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, rels[i]);
		unlink(path);
		*strrchr(path, '/') = '\0';
		rmdir(path);
	}
	rmdir(root);
}

/*
 * The checker itself: a tree with one include of each kind, the way the
 * tree before the restack had them (mm/memmap.c included mem/buddy.h; mmu
 * included a machine.h that sat in no layer).
 */
static void
test_checker_names_what_reaches_up(void **state)
{
	static const char *const files[] = {
		"mm/memmap.c", "mem/buddy.h", "mmu/mmu.h", "core/machine.h",
		"machine.h",
	};
	char root[] = "/tmp/hvo-layers-XXXXXX";
	struct report r;

	(void)state;
	assert_non_null(mkdtemp(root));
	put(root, "mm/memmap.c", "#include <stdio.h>\n#include \"mm/page.h\"\n"
				 "# include \"mem/buddy.h\"\n");
	put(root, "mem/buddy.h", "#include \"core/machine.h\"\n");
	put(root, "mmu/mmu.h", "#include \"machine.h\"\n");
	put(root, "core/machine.h", "#include \"phys/phys.h\"\n#include \"hvo/hvo.h\"\n");
	put(root, "machine.h", "\n");
	assert_int_equal(check_tree(&r, root), 0);
	rm_tree(root, files, sizeof(files) / sizeof(files[0]));

	assert_int_equal(r.files, 5);
	assert_int_equal(r.includes, 6);
	assert_int_equal(r.bad, 3);
	assert_non_null(strstr(r.text,
		"lib/mm/memmap.c:3: #include \"mem/buddy.h\" reaches up from mm to mem"));
	assert_non_null(strstr(r.text,
		"lib/mmu/mmu.h:1: #include \"machine.h\" does not name its layer"));
	assert_non_null(strstr(r.text, "lib/machine.h: belongs to no layer"));
}

static void
test_layer_of(void **state)
{
	(void)state;
	assert_int_equal(layer_of("hvo/hvo.h"), 0);
	assert_true(layer_of("phys/phys.h") < layer_of("core/machine.h"));
	assert_true(layer_of("core/machine.h") < layer_of("mmu/mmu.h"));
	assert_true(layer_of("mmu/mmu.h") < layer_of("mm/page.h"));
	assert_true(layer_of("mm/page.h") < layer_of("mem/buddy.h"));
	assert_true(layer_of("mem/buddy.h") < layer_of("hugetlb/hugetlb.h"));
	assert_true(layer_of("hugetlb/hugetlb.h") < layer_of("boot/boot.c"));
	assert_int_equal(layer_of("machine.h"), -1);
	assert_int_equal(layer_of("mmx/tlb.h"), -1);
	assert_int_equal(layer_of("mm"), -1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_of),
		cmocka_unit_test(test_checker_names_what_reaches_up),
		cmocka_unit_test(test_tree_runs_downward),
	};

	if (argc == 3 && !strcmp(argv[1], "--check")) {
		struct report r;

		if (check_tree(&r, argv[2])) {
			fprintf(stderr, "test-layers: cannot read %s\n", argv[2]);
			return 2;
		}
		fputs(r.text, stdout);
		printf("%u files, %u includes, %u reach up or sit in no layer\n",
		       r.files, r.includes, r.bad);
		return r.bad ? 1 : 0;
	}
	if (argc == 2)
		libdir = argv[1];
	return tu_run("test-layers", tests, sizeof(tests) / sizeof(tests[0]));
}
