/* SPDX-License-Identifier: MIT */
/*
 * The files of /proc that hvo-sim prints, one function per file, each in
 * the kernel's own format so that its lines compare with a real machine's.
 * Every part of hvo-sim that shows one of these files calls the function
 * here.
 *
 * This file uses only the public API in <hvo/hvo.h>.
 */
#ifndef HVO_PROCFS_H
#define HVO_PROCFS_H

#include <stdint.h>
#include <stdio.h>

#include <hvo/hvo.h>

/* How a file is shown. */
enum procfs_form {
	PROCFS_KERNEL, /* byte for byte what a read of the file returns */
	PROCFS_REPORT, /* the same lines, without their trailing blanks */
};

/*
 * /proc/buddyinfo: the line of zone @p z, free blocks per order, lowest
 * first; nothing for a zone without memory. @p indent starts the line.
 */
void
procfs_buddyinfo_zone(FILE *f, const struct hvo_zone_info *z,
		      const char *indent, enum procfs_form form);

/*
 * /proc/buddyinfo: the line of every zone of @p m that has memory, as a
 * booted kernel shows it (deferred struct page init done: nr_free_booted).
 */
void
procfs_buddyinfo(FILE *f, const struct hvo_machine *m, const char *indent,
		 enum procfs_form form);

/*
 * /proc/meminfo, every field of the kernel's, in its order; the
 * HugePages_ lines are of the default hugepage size (default_hugepagesz=).
 */
void
procfs_meminfo(FILE *f, const struct hvo_machine *m);

/* /proc/vmstat: a line per counter, "name value", in the kernel's order. */
void
procfs_vmstat(FILE *f, const struct hvo_machine *m);

/* /proc/pagetypeinfo, as mm/vmstat.c prints it. */
void
procfs_pagetypeinfo(FILE *f, const struct hvo_machine *m);

/* /proc/zoneinfo, the lines the machine has. */
void
procfs_zoneinfo(FILE *f, const struct hvo_machine *m);

/*
 * /proc/kpageflags of @p count pfns from @p pfn, as text: a line per pfn
 * with the pfn and the flags in hex and the flags' names. The file itself
 * is binary, 64 bits a pfn. Returns 0, or the library's -errno with the
 * reason in hvo_machine_error() and the pfn it failed on in *@p bad.
 */
int
procfs_kpageflags(FILE *f, struct hvo_machine *m, uint64_t pfn,
		  uint64_t count, const char *indent, uint64_t *bad);

/*
 * The same pfns as JSON, one object per pfn separated by commas, on one
 * line: {"pfn":N,"flags":"0x...","names":["COMPOUND_HEAD",...]} (the pfn a
 * number, the flags 16 hex digits as in the report's entries, the names as
 * page-types prints them). Returns as procfs_kpageflags() does.
 */
int
procfs_kpageflags_json(FILE *f, struct hvo_machine *m, uint64_t pfn,
		       uint64_t count, uint64_t *bad);

#endif /* HVO_PROCFS_H */
