/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets of tests/fuzz/ share. Each fuzz-<name>.c defines
 * LLVMFuzzerTestOneInput() and fuzz_generate(), and is built twice: with
 * clang's libFuzzer (fuzz-<name>, when the compiler has it) and as an
 * ordinary program with replay.c's main() (replay-<name>), which runs
 * the seed corpus and random inputs as tests with any compiler.
 *
 * A target reports a broken promise with fuzz_fail(): it prints what broke
 * and aborts, which libFuzzer and the test runner both see as a crash.
 */
#ifndef HVO_FUZZ_H
#define HVO_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point: run one input; @return 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Write a random input of at most @p cap bytes to @p buf, drawn from
 * @p rng with fuzz_rand(). @return its length. replay-<name> --random
 * runs such inputs, so that the default test suite explores a little
 * beyond the corpus even without libFuzzer.
 */
size_t
fuzz_generate(uint64_t *rng, uint8_t *buf, size_t cap);

/* xorshift64*: the same sequence from the same seed on every libc. */
uint64_t
fuzz_rand(uint64_t *rng);

/* A number below @p n (0 if @p n is 0). */
uint64_t
fuzz_below(uint64_t *rng, uint64_t n);

/* Print "fuzz: <target>: <what broke>" to stderr and abort(). */
__attribute__((format(printf, 1, 2), noreturn))
void
fuzz_fail(const char *fmt, ...);

/*
 * Defects that are known and not fixed yet are kept out of the fuzzers'
 * way by guards, so that a run finds what is new. Each guard has a name,
 * and its reproducer is tests/fuzz/known/<target>/<name>. HVO_FUZZ_KNOWN
 * in the environment turns guards off: a comma-separated list of names,
 * or "all". No guard is in place now: every defect found so far is fixed
 * and its reproducer replays from corpus/.
 * @return true if the guard @p name is off.
 */
bool
fuzz_known(const char *name);


/*
 * A byte stream read from the front, as the targets decode their input:
 * past the end, every read gives 0.
 */
struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

uint8_t
fuzz_u8(struct fuzz_input *in);

uint16_t
fuzz_u16(struct fuzz_input *in);

uint64_t
fuzz_u64(struct fuzz_input *in);

#endif /* HVO_FUZZ_H */
