/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim's pieces: the main program (hvo-sim.c) and its subcommands, each
 * in a file of its own. Every subcommand takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status.
 */
#ifndef HVO_SIM_H
#define HVO_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <hvo/hvo.h>

#define PROG "hvo-sim"

/* Exit statuses shared by every subcommand. */
#define EXIT_OK      0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

/*
 * Every size is read by hvo_parse_size(), as the kernel's memparse(); this
 * says so in help and messages.
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

/* hvo-sim run FILE|-: a scenario in the kernel's own syntax. */
int
scenario_main(int argc, char **argv);

/* hvo-sim show vmemmap|walk|buddy: diagrams. */
int
show_main(int argc, char **argv);

/* hvo-sim quiz: generated exercises with worked answers. */
int
quiz_main(int argc, char **argv);

#endif /* HVO_SIM_H */
