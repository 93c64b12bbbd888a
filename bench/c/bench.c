/* The C subject of bench/run: the same operations through libplexctl's ABI. Prints JSON lines. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "plexctl.h"

#include "measure.h"

static void ok(plexctl_status rc) {
  if (rc != PLEXCTL_STATUS_OK) {
    fprintf(stderr, "bench: %s\n", plexctl_last_error_message());
    exit(1);
  }
}

static plexctl_client *client, *big;

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
    report("c-abi", "list10", n, list10);
    report("c-abi", "issue+delete", n, issue_delete);
    report("c-abi", "rotate", n, rotate);
    report("c-abi", "preview", n, preview);
    report("c-abi", "grant", n, grant);
    report("c-abi", "list10k", n / 10 > 20 ? n / 10 : 20, list10k);
  }
  plexctl_client_free(big);
  plexctl_client_free(client);
  return 0;
}
