/*
 * fuzz_check.c: the abort behind FUZZ_CHECK.
 */
#include "tests/fuzz/support/fuzz_check.h"

#include <stdio.h>
#include <stdlib.h>

void fuzz_check_failed(const char *file, int line, const char *condition)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, condition);
	abort();
}
