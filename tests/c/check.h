/* What the C tests share: CHECK (counts, and on failure names the line, the condition and the
 * library's last error), env() for the values tests/ffi.sh exports, and the summary line that
 * decides the exit status. Include after plexctl.h. */
#ifndef PLEXCTL_TEST_CHECK_H
#define PLEXCTL_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    checks++;                                                                            \
    if (!(cond)) {                                                                       \
      failures++;                                                                        \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, \
              #cond, plexctl_last_error_message());                                      \
    }                                                                                    \
  } while (0)

static const char *env(const char *name) {
  const char *v = getenv(name);
  if (v == NULL) {
    fprintf(stderr, "missing %s (tests/ffi.sh exports it)\n", name);
    exit(2);
  }
  return v;
}

/* Prints "<passed> passed, <failed> failed" and gives main's exit status. */
static int summary(void) {
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}

#endif
