/* The C subject of bench/run: the same operations through libplexctl's ABI. Prints JSON lines. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "plexctl.h"

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

static void ok(plexctl_status rc) {
  if (rc != PLEXCTL_STATUS_OK) {
    fprintf(stderr, "bench: %s\n", plexctl_last_error_message());
    exit(1);
  }
}

typedef void (*op_fn)(void);
static plexctl_client *client, *big;

static void report(const char *op, int n, op_fn f) {
  double *s = malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < 20 && i < n; i++) f();
  double cpu = cpu_us();
  for (int i = 0; i < n; i++) {
    double t = now_us();
    f();
    s[i] = now_us() - t;
  }
  cpu = (cpu_us() - cpu) / n;
  qsort(s, (size_t)n, sizeof(double), cmp);
  printf("{\"subject\":\"c-abi\",\"op\":\"%s\",\"median_us\":%.1f,\"p99_us\":%.1f,\"cpu_us\":%.2f,\"n\":%d}\n", op,
         s[(n - 1) / 2], s[(int)((n - 1) * 0.99 + 0.5)], cpu, n);
  free(s);
}

static void list10(void) {
  plexctl_token_list *l = NULL;
  ok(plexctl_list_tokens(client, &l));
  plexctl_token_list_free(l);
}
static void list10k(void) {
  plexctl_token_list *l = NULL;
  ok(plexctl_list_tokens(big, &l));
  plexctl_token_list_free(l);
}
static void issue_delete(void) {
  plexctl_token *t = NULL;
  ok(plexctl_issue_token(client, env("BENCH_IDENTITY"), "dev", NULL, &t));
  ok(plexctl_delete_token(client, plexctl_token_id(t)));
  plexctl_token_free(t);
}
static void rotate(void) {
  plexctl_token *t = NULL;
  ok(plexctl_rotate_token(client, env("BENCH_ROTATE_ID"), &t));
  plexctl_token_free(t);
}
static void preview(void) {
  plexctl_rotation_preview *p = NULL;
  ok(plexctl_preview_node_key_rotation(client, env("BENCH_NODE"), &p));
  plexctl_rotation_preview_free(p);
}
static void grant(void) {
  const char *secret = env("BENCH_CLIENT_SECRET");
  plexctl_service_token *t = NULL;
  ok(plexctl_mint_service_token(client, env("BENCH_CLIENT_ID"), "client_credentials", (const uint8_t *)secret,
                                strlen(secret), NULL, 0, NULL, &t));
  plexctl_service_token_free(t);
}

static plexctl_client *make(const char *token) {
  plexctl_client_builder *b = plexctl_client_builder_new();
  plexctl_client *c = NULL;
  ok(plexctl_client_builder_set_server(b, env("BENCH_URL")));
  ok(plexctl_client_builder_set_use_environment(b, false));
  ok(plexctl_client_builder_set_token(b, (const uint8_t *)token, strlen(token)));
  ok(plexctl_client_builder_build(b, &c));
  return c;
}

int main(void) {
  int n = atoi(env("BENCH_N"));
  client = make(env("BENCH_TOKEN"));
  big = make(env("BENCH_BIG_TOKEN"));
  for (int round = 0; round < 2; round++) {
    report("list10", n, list10);
    report("issue+delete", n, issue_delete);
    report("rotate", n, rotate);
    report("preview", n, preview);
    report("grant", n, grant);
    report("list10k", n / 10 > 20 ? n / 10 : 20, list10k);
  }
  plexctl_client_free(big);
  plexctl_client_free(client);
  return 0;
}
