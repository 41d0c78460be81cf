/*
 * fuzz_check.h: invariants in fuzz targets. A broken invariant aborts with the
 * condition and where it is, so libFuzzer treats it like any sanitizer report:
 * it saves the input as a crash and can minimise it. A plain assert would
 * vanish in a build with NDEBUG.
 */
#ifndef ICEGATE_FUZZ_CHECK_H
#define ICEGATE_FUZZ_CHECK_H

#define FUZZ_CHECK(condition)                                                                      \
	do {                                                                                       \
		if (!(condition))                                                                  \
			fuzz_check_failed(__FILE__, __LINE__, #condition);                         \
	} while (0)

/* Prints the broken invariant and aborts. */
void fuzz_check_failed(const char *file, int line, const char *condition) __attribute__((noreturn));

#endif
