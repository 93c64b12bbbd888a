/* TLS for real, from C: against HTTPS emulators tests/ffi.sh starts with a chain they generated.
 * With the CA as the extra bundle a call succeeds; without it, or against an expired certificate,
 * it fails with PLEXCTL_STATUS_RUNTIME and a message naming the certificate problem.
 * Environment: PLEXCTL_TLS_URL, PLEXCTL_TLS_TOKEN, PLEXCTL_TLS_CA_FILE (a valid chain) and
 * PLEXCTL_TLS_EXPIRED_URL, PLEXCTL_TLS_EXPIRED_TOKEN, PLEXCTL_TLS_EXPIRED_CA_FILE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexctl.h"

#include "check.h"

/* A client for url with token, trusting ca_file when it is not NULL. */
static plexctl_client *client(const char *url, const char *token, const char *ca_file) {
  plexctl_client_builder *b = plexctl_client_builder_new();
  plexctl_client *c = NULL;
  CHECK(plexctl_client_builder_set_server(b, url) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_token(b, (const uint8_t *)token, strlen(token)) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_use_environment(b, false) == PLEXCTL_STATUS_OK);
  if (ca_file != NULL) CHECK(plexctl_client_builder_set_ca_bundle_file(b, ca_file) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_OK);
  return c;
}

int main(void) {
  plexctl_token_list *list = NULL;
  plexctl_client *c = client(env("PLEXCTL_TLS_URL"), env("PLEXCTL_TLS_TOKEN"), env("PLEXCTL_TLS_CA_FILE"));
  CHECK(strncmp(env("PLEXCTL_TLS_URL"), "https://", 8) == 0);
  CHECK(plexctl_list_tokens(c, &list) == PLEXCTL_STATUS_OK && plexctl_token_list_len(list) > 0);
  plexctl_token_list_free(list);
  plexctl_client_free(c);

  list = NULL;
  c = client(env("PLEXCTL_TLS_URL"), env("PLEXCTL_TLS_TOKEN"), NULL);
  CHECK(plexctl_list_tokens(c, &list) == PLEXCTL_STATUS_RUNTIME && list == NULL);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_TRANSPORT);
  CHECK(strstr(plexctl_last_error_message(), "certificate") != NULL);
  plexctl_client_free(c);

  c = client(env("PLEXCTL_TLS_EXPIRED_URL"), env("PLEXCTL_TLS_EXPIRED_TOKEN"), env("PLEXCTL_TLS_EXPIRED_CA_FILE"));
  CHECK(plexctl_list_tokens(c, &list) == PLEXCTL_STATUS_RUNTIME && list == NULL);
  CHECK(strstr(plexctl_last_error_message(), "certificate expired") != NULL);
  plexctl_client_free(c);

  return summary();
}
