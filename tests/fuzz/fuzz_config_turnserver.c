/*
 * fuzz_config_turnserver.c: reading coturn's turnserver.conf to compare it
 * with icegate's configuration (config_check_turnserver).
 *
 * The report goes into a buffer of a size chosen by the input, allocated at
 * exactly that size (0 included), so any write past it is caught. The
 * result is -1 exactly when the text holds a NUL byte, else the number of
 * problems; the report is NUL-terminated within its buffer, empty when there
 * is no problem, says something when there is one and has at most one line
 * per problem.
 *
 * Input: one byte choosing the report size (255 means 8192), then the text.
 */
#include "config/config.h"
#include "tests/fuzz/support/fuzz_check.h"
#include "tests/fuzz/support/fuzz_input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	uint8_t size_choice = fuzz_take_byte(&in);
	size_t report_size = size_choice == 255 ? 8192 : size_choice;
	/* An exact-size copy of the text, so a read past its end is caught. */
	char *text = malloc(in.size ? in.size : 1);
	char *report = malloc(report_size);
	FUZZ_CHECK(text && (report || report_size == 0));
	if (in.size)
		memcpy(text, in.data, in.size);

	struct config cfg;
	config_defaults(&cfg);
	int problems = config_check_turnserver(&cfg, text, in.size, report, report_size);
	int has_nul = in.size > 0 && memchr(text, '\0', in.size) != NULL;
	FUZZ_CHECK(problems >= -1);
	FUZZ_CHECK((problems == -1) == has_nul);
	if (report_size > 0) {
		FUZZ_CHECK(memchr(report, '\0', report_size) != NULL);
		if (problems == 0)
			FUZZ_CHECK(report[0] == '\0');
		if (problems != 0 && report_size > 1)
			FUZZ_CHECK(report[0] != '\0');
		int lines = 0;
		for (const char *c = report; *c; c++)
			lines += *c == '\n';
		FUZZ_CHECK(problems < 0 || lines <= problems);
	}
	free(text);
	free(report);
	return 0;
}
