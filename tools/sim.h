/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim's pieces: the main program (hvo-sim.c) and its subcommands, each
 * in a file of its own; what they share is in simutil.h. Every subcommand
 * takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status.
 */
#ifndef HVO_SIM_H
#define HVO_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROG "hvo-sim"

/* Exit statuses shared by every subcommand. */
#define EXIT_OK      0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

/* hvo-sim run FILE|-: a scenario in the kernel's own syntax. */
int
scenario_main(int argc, char **argv);

struct hvo_machine;

/* How scenario_run() runs a scenario. */
struct scenario_opts {
	FILE *out;          /* what cat, echo, kpageflags and --trace print */
	FILE *err;          /* the messages about failed lines */
	bool trace;         /* print every event once the machine has booted
			     * (to err under json) */
	bool json;          /* one JSON Lines record per command line on out,
			     * with the line's output and messages inside */
	uint64_t max_mem;   /* bytes: refuse a machine with more RAM; 0: any */
	/* Called after every line once the machine has booted (the fuzzer
	 * checks the machine there); may be NULL. */
	void (*after_line)(void *ctx, struct hvo_machine *m,
			   unsigned long line);
	void *ctx;
};

/*
 * Run the scenario read from @p in; messages name it @p name.
 * @return the exit status: EXIT_OK if every line ran, EXIT_RUNTIME if any
 * failed.
 */
int
scenario_run(FILE *in, const char *name, const struct scenario_opts *opts);

/* hvo-sim show vmemmap|walk|buddy: diagrams. */
int
show_main(int argc, char **argv);

/* hvo-sim quiz: generated exercises with worked answers. */
int
quiz_main(int argc, char **argv);

#endif /* HVO_SIM_H */
