/* What both C subjects of bench/run share: the environment they read, the clocks, and the one
 * report line per operation (median and p99 wall time, CPU time per call), so the raw-socket
 * floor and the libplexctl subject are timed exactly alike. Include after the system headers. */
#ifndef PLEXCTL_BENCH_MEASURE_H
#define PLEXCTL_BENCH_MEASURE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static const char *env(const char *name) {
  const char *v = getenv(name);
  if (v == NULL) {
    fprintf(stderr, "%s is not set (run bench/run)\n", name);
    exit(2);
  }
  return v;
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* The CPU time this process has used so far (every thread), in microseconds. */
static double cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Runs `f` 20 times to warm up, then `n` timed times, and prints one JSON line for `subject`. */
static void report(const char *subject, const char *op, int n, void (*f)(void)) {
  double *s = malloc(sizeof(double) * (size_t)n);
  if (s == NULL) {
    fprintf(stderr, "bench: out of memory\n");
    exit(1);
  }
  for (int i = 0; i < 20 && i < n; i++) f();
  double cpu = cpu_us();
  for (int i = 0; i < n; i++) {
    double t = now_us();
    f();
    s[i] = now_us() - t;
  }
  cpu = (cpu_us() - cpu) / n;
  qsort(s, (size_t)n, sizeof(double), cmp);
  printf("{\"subject\":\"%s\",\"op\":\"%s\",\"median_us\":%.1f,\"p99_us\":%.1f,\"cpu_us\":%.2f,\"n\":%d}\n", subject,
         op, s[(n - 1) / 2], s[(int)((n - 1) * 0.99 + 0.5)], cpu, n);
  free(s);
}

#endif
