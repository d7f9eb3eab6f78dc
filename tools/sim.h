/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim's pieces: the main program (hvo-sim.c) and its subcommands, each
 * in a file of its own; what they share is in simutil.h. Every subcommand
 * takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status.
 */
#ifndef HVO_SIM_H
#define HVO_SIM_H

#define PROG "hvo-sim"

/* Exit statuses shared by every subcommand. */
#define EXIT_OK      0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

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
