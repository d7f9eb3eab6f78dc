/* SPDX-License-Identifier: MIT */
/*
 * What hvo-sim's main program and its subcommands share: reading the
 * command line (numbers, variants, bad options), printing sizes, and
 * printing trace events. Messages go to stderr and start with the WHO the
 * caller gives ("hvo-sim", "hvo-sim show", ...).
 */
#ifndef HVO_SIMUTIL_H
#define HVO_SIMUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <hvo/hvo.h>

/*
 * Every size is read by hvo_parse_size(), as the kernel's memparse(); this
 * says so in messages.
 */
#define SIZE_HELP "decimal, 0x hex or 0 octal, with an optional K, M, G, T, P or E"

/* Numbers as hvo-sim reads them: decimal or 0x hex. */
int
parse_u64(const char *s, uint64_t *out);

/*
 * getopt_long() refused @p arg: @p what is ':' (a missing argument) or
 * '?'. A short option's letter is @p letter (optopt); a long option that is
 * known but misused also leaves its letter there. Prints "WHO: ...".
 */
void
report_bad_option(const char *who, int what, const char *arg, int letter);

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
 * to the FILE given as ctx.
 */
void
sim_trace_print(void *ctx, const struct hvo_event *ev);

#endif /* HVO_SIMUTIL_H */
