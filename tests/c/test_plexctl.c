/*
 * The C ABI against the emulator: every function, every error branch reachable through the ABI,
 * NULL for every pointer argument, and freeing in every state. Run by tests/ffi.sh under valgrind.
 * The harness passes the emulator and its fixtures in the environment.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plexctl.h"

#include "check.h"

/* Drives the emulator's control API (faults, deny switches) through curl. */
static void control(const char *method, const char *path, const char *body) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "curl -sf -o /dev/null -X %s -H 'content-type: application/json' -d '%s' %s/_emulator/%s",
           method, body, env("PLEXCTL_TEST_URL"), path);
  if (system(cmd) != 0) {
    fprintf(stderr, "control call failed: %s\n", cmd);
    exit(2);
  }
}

/* A control call whose answer is wanted: the first `size` - 1 bytes of it, NUL-terminated. */
static void control_out(const char *method, const char *path, const char *body, char *out, size_t size) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "curl -sf -X %s -H 'content-type: application/json' -d '%s' %s/_emulator/%s", method, body,
           env("PLEXCTL_TEST_URL"), path);
  FILE *p = popen(cmd, "r");
  size_t n = p == NULL ? 0 : fread(out, 1, size - 1, p);
  out[n] = 0;
  if (p == NULL || pclose(p) != 0) {
    fprintf(stderr, "control call failed: %s\n", cmd);
    exit(2);
  }
}

static plexctl_client *client_with(const char *token) {
  plexctl_client_builder *b = plexctl_client_builder_new();
  plexctl_client *c = NULL;
  CHECK(plexctl_client_builder_set_server(b, env("PLEXCTL_TEST_URL")) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_use_environment(b, false) == PLEXCTL_STATUS_OK);
  if (token != NULL) {
    CHECK(plexctl_client_builder_set_token(b, (const uint8_t *)token, strlen(token)) == PLEXCTL_STATUS_OK);
  }
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_OK);
  return c;
}

static void test_version_and_errors(void) {
  CHECK(strcmp(plexctl_version(), PLEXCTL_VERSION_STRING) == 0);
  CHECK(plexctl_last_error_status() == PLEXCTL_STATUS_OK);
  CHECK(plexctl_last_error_http_status() == 0);
  CHECK(plexctl_last_error_code() == NULL);
  CHECK(plexctl_last_error_correlation_id() == NULL);
  CHECK(strcmp(plexctl_last_error_message(), "") == 0);
}

static void test_nulls_and_frees(void) {
  plexctl_client *c = client_with(env("PLEXCTL_TEST_TOKEN"));
  plexctl_token *t = NULL;
  plexctl_token_list *l = NULL;
  plexctl_service_token *st = NULL;
  plexctl_token_source *src = NULL;
  plexctl_secret *s = NULL;
  plexctl_rotation_trigger *tr = NULL;
  plexctl_rotation_preview *pv = NULL;
  plexctl_logout_outcome *lo = NULL;
  plexctl_device_authorization *da = NULL;
  plexctl_login_outcome *li = NULL;
  plexctl_principal *pr = NULL;
  plexctl_session_status *ss = NULL;
  const char *domain = env("PLEXCTL_TEST_DOMAIN");
  const char *id = env("PLEXCTL_TEST_IDENTITY");
  const char bad_utf8[] = {(char)0xff, (char)0xfe, 0};

  CHECK(plexctl_client_builder_set_server(NULL, "https://x") == PLEXCTL_STATUS_USAGE);
  CHECK(strstr(plexctl_last_error_message(), "NULL") != NULL);
  plexctl_client_builder *b = plexctl_client_builder_new();
  CHECK(plexctl_client_builder_set_server(b, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_server(b, bad_utf8) == PLEXCTL_STATUS_USAGE);
  CHECK(strstr(plexctl_last_error_message(), "UTF-8") != NULL);
  CHECK(plexctl_client_builder_set_token(b, NULL, 3) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_token(b, (const uint8_t *)"\xff", 1) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_token_file(b, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_profile(b, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_config_path(b, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_ca_bundle_file(b, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_timeout_ms(NULL, 1) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_retries(NULL, 1) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_proxy(NULL, "http://p:1") == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_no_proxy(NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_connect_timeout_ms(NULL, 1) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_use_environment(NULL, false) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_allow_insecure_http(NULL, false) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_build(NULL, NULL) == PLEXCTL_STATUS_USAGE);
  /* build consumes the builder even when the out pointer is NULL. */
  CHECK(plexctl_client_builder_build(b, NULL) == PLEXCTL_STATUS_USAGE);
  plexctl_client_builder_free(NULL);
  plexctl_client_builder_free(plexctl_client_builder_new());

  CHECK(plexctl_issue_token(NULL, id, "prod", NULL, &t) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_issue_token(c, NULL, "prod", NULL, &t) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_issue_token(c, id, NULL, NULL, &t) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_issue_token(c, id, "prod", NULL, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(t == NULL);
  CHECK(plexctl_rotate_token(NULL, id, &t) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_rotate_token(c, NULL, &t) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_rotate_token(c, "0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3", NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_delete_token(NULL, id) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_delete_token(c, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_list_tokens(NULL, &l) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_list_tokens(c, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_mint_service_token(NULL, "svc", "client_credentials", NULL, 0, NULL, 0, NULL, &st) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_mint_service_token(c, NULL, "client_credentials", NULL, 0, NULL, 0, NULL, &st) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_mint_service_token(c, "svc", NULL, NULL, 0, NULL, 0, NULL, &st) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_token_source_new(NULL, "svc", "client_credentials", NULL, 0, NULL, 0, NULL, &src) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_token_source_token(NULL, &s) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_token_source_invalidate(NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_token_source_with_timeout(NULL, 1, &src) == PLEXCTL_STATUS_USAGE && src == NULL);
  plexctl_client *derived = NULL;
  CHECK(plexctl_client_with_timeout(NULL, 1, &derived) == PLEXCTL_STATUS_USAGE && derived == NULL);
  CHECK(plexctl_client_with_timeout(c, 1, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_timeout_ms(NULL) == 0);
  CHECK(plexctl_rotate_node_keys(NULL, id, &tr) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_rotate_node_keys(c, NULL, &tr) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_rotate_node_keys(c, env("PLEXCTL_TEST_NODE"), NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_preview_node_key_rotation(NULL, id, &pv) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_preview_node_key_rotation(c, NULL, &pv) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_store_session(NULL, "p", "https://x", (const uint8_t *)"t", 1, false) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_store_session(c, NULL, "https://x", (const uint8_t *)"t", 1, false) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_store_session(c, "p", NULL, (const uint8_t *)"t", 1, false) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_store_session(c, "p", "https://x", NULL, 1, false) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_logout(NULL, &lo) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_logout(c, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_rotate_session(NULL, &t) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_rotate_session(c, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_start_device_login(NULL, domain, NULL, NULL, &da) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_start_device_login(c, NULL, NULL, NULL, &da) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_start_device_login(c, bad_utf8, NULL, NULL, &da) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_start_device_login(c, domain, NULL, bad_utf8, &da) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_start_device_login(c, domain, NULL, NULL, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_complete_device_login(NULL, NULL, "p", false, NULL, NULL, &li) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_complete_device_login(c, NULL, "p", false, NULL, NULL, &li) == PLEXCTL_STATUS_USAGE);
  CHECK(strstr(plexctl_last_error_message(), "auth") != NULL);
  CHECK(plexctl_login(NULL, domain, NULL, NULL, "p", false, NULL, NULL, NULL, &li) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_login(c, NULL, NULL, NULL, "p", false, NULL, NULL, NULL, &li) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_login(c, domain, NULL, NULL, NULL, false, NULL, NULL, NULL, &li) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_login(c, domain, NULL, NULL, "p", false, NULL, NULL, NULL, &li) == PLEXCTL_STATUS_USAGE);
  CHECK(strstr(plexctl_last_error_message(), "on_code") != NULL);
  CHECK(da == NULL && li == NULL);
  CHECK(plexctl_whoami(NULL, &pr) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_whoami(c, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_auth_status(NULL, &ss) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_auth_status(c, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(pr == NULL && ss == NULL);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_USAGE);
  CHECK(strcmp(plexctl_error_kind_name(PLEXCTL_ERROR_KIND_USAGE), "usage") == 0);
  CHECK(plexctl_error_kind_name(0) == NULL);

  /* Accessors of NULL answer NULL, 0 or false. */
  CHECK(plexctl_token_id(NULL) == NULL && plexctl_token_plaintext(NULL) == NULL);
  CHECK(plexctl_token_env_prefix(NULL) == NULL && plexctl_token_expires_at(NULL) == NULL);
  CHECK(plexctl_token_rotation_deadline(NULL) == NULL && plexctl_token_sunset(NULL) == NULL);
  CHECK(!plexctl_token_sunset_agrees(NULL));
  CHECK(plexctl_token_list_len(NULL) == 0 && plexctl_token_list_get(NULL, 0) == NULL);
  CHECK(plexctl_token_summary_id(NULL) == NULL && plexctl_token_summary_env_prefix(NULL) == NULL);
  CHECK(plexctl_token_summary_created_at(NULL) == NULL && plexctl_token_summary_expires_at(NULL) == NULL);
  CHECK(plexctl_token_summary_last_used_at(NULL) == NULL && plexctl_token_summary_rotated_at(NULL) == NULL);
  CHECK(plexctl_secret_expose(NULL) == NULL && plexctl_secret_len(NULL) == 0);
  CHECK(plexctl_service_token_access_token(NULL) == NULL && plexctl_service_token_token_type(NULL) == NULL);
  CHECK(plexctl_service_token_expires_in(NULL) == 0 && plexctl_service_token_scope(NULL) == NULL);
  CHECK(plexctl_service_token_expires_at(NULL) == NULL);
  CHECK(plexctl_rotation_trigger_rotation_id(NULL) == NULL && plexctl_rotation_trigger_peer_id(NULL) == NULL);
  CHECK(plexctl_rotation_trigger_node_id(NULL) == NULL && plexctl_rotation_trigger_state(NULL) == NULL);
  CHECK(plexctl_rotation_trigger_requested_at(NULL) == NULL && !plexctl_rotation_trigger_already_pending(NULL));
  CHECK(plexctl_rotation_preview_node_id(NULL) == NULL && plexctl_rotation_preview_peer_id(NULL) == NULL);
  CHECK(plexctl_rotation_preview_affected_peer_count(NULL) == 0 && !plexctl_rotation_preview_already_pending(NULL));
  CHECK(plexctl_rotation_preview_estimated_duration_seconds(NULL) == 0 && plexctl_rotation_preview_affected_edges_len(NULL) == 0);
  CHECK(plexctl_rotation_preview_affected_edges_get(NULL, 0) == NULL);
  CHECK(plexctl_rotation_impact_edge_peer_node_id(NULL) == NULL && plexctl_rotation_impact_edge_current_kid(NULL) == NULL);
  CHECK(plexctl_rotation_impact_edge_current_wrap_key_version(NULL) == -1);
  CHECK(plexctl_logout_outcome_profile(NULL) == NULL && plexctl_logout_outcome_server(NULL) == NULL);
  CHECK(!plexctl_logout_outcome_revoked(NULL) && plexctl_logout_outcome_text(NULL) == NULL);
  CHECK(plexctl_logout_outcome_json(NULL) == NULL);
  CHECK(plexctl_device_authorization_user_code(NULL) == NULL && plexctl_device_authorization_verification_uri(NULL) == NULL);
  CHECK(plexctl_device_authorization_verification_uri_complete(NULL) == NULL);
  CHECK(plexctl_device_authorization_expires_in(NULL) == 0 && plexctl_device_authorization_interval(NULL) == 0);
  CHECK(plexctl_device_authorization_expires_at(NULL) == NULL && plexctl_device_authorization_text(NULL) == NULL);
  CHECK(plexctl_login_outcome_profile(NULL) == NULL && plexctl_login_outcome_server(NULL) == NULL);
  CHECK(plexctl_login_outcome_token_id(NULL) == NULL && plexctl_login_outcome_expires_at(NULL) == NULL);
  CHECK(plexctl_login_outcome_text(NULL) == NULL);
  CHECK(plexctl_principal_principal_type(NULL) == NULL && plexctl_principal_subject(NULL) == NULL);
  CHECK(plexctl_principal_domain_id(NULL) == NULL && plexctl_principal_email(NULL) == NULL);
  CHECK(plexctl_principal_acr(NULL) == NULL && plexctl_principal_amr_len(NULL) == 0);
  CHECK(plexctl_principal_amr_get(NULL, 0) == NULL && plexctl_principal_text(NULL) == NULL);
  CHECK(plexctl_session_status_server(NULL) == NULL && plexctl_session_status_credential_source(NULL) == NULL);
  CHECK(plexctl_session_status_profile(NULL) == NULL && plexctl_session_status_state(NULL) == NULL);
  CHECK(plexctl_session_status_principal(NULL) == NULL && plexctl_session_status_token(NULL) == NULL);
  CHECK(plexctl_session_status_rejection(NULL) == NULL && plexctl_session_status_text(NULL) == NULL);
  CHECK(plexctl_session_status_json(NULL) == NULL);

  /* Every _free accepts NULL. */
  plexctl_client_free(NULL);
  plexctl_token_free(NULL);
  plexctl_token_list_free(NULL);
  plexctl_service_token_free(NULL);
  plexctl_token_source_free(NULL);
  plexctl_secret_free(NULL);
  plexctl_rotation_trigger_free(NULL);
  plexctl_rotation_preview_free(NULL);
  plexctl_logout_outcome_free(NULL);
  plexctl_device_authorization_free(NULL);
  plexctl_login_outcome_free(NULL);
  plexctl_principal_free(NULL);
  plexctl_session_status_free(NULL);
  plexctl_client_free(c);
}

static void test_builder_errors(void) {
  plexctl_client *c = NULL;
  plexctl_client_builder *b = plexctl_client_builder_new();
  CHECK(plexctl_client_builder_set_server(b, "http://plexsphere.example.com") == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_CREDENTIALS);
  CHECK(c == NULL);
  b = plexctl_client_builder_new();
  CHECK(plexctl_client_builder_set_server(b, "not a url") == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_USAGE);
  b = plexctl_client_builder_new();
  CHECK(plexctl_client_builder_set_server(b, "http://plexsphere.example.com") == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_allow_insecure_http(b, true) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_timeout_ms(b, 5000) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_retries(b, 2) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_proxy(b, NULL) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_no_proxy(b) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_connect_timeout_ms(b, 1000) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_use_environment(b, false) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_OK);
  plexctl_client_free(c);
  /* A failed setter keeps what was set before: the server survives a NULL token. */
  b = plexctl_client_builder_new();
  c = NULL;
  CHECK(plexctl_client_builder_set_server(b, env("PLEXCTL_TEST_URL")) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_token(b, NULL, 0) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_client_builder_set_use_environment(b, false) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_OK);
  plexctl_token_list *l = NULL;
  CHECK(plexctl_list_tokens(c, &l) == PLEXCTL_STATUS_CREDENTIALS);
  CHECK(strstr(plexctl_last_error_message(), "no token") != NULL);
  plexctl_client_free(c);
  /* A missing CA bundle fails at build. */
  b = plexctl_client_builder_new();
  CHECK(plexctl_client_builder_set_ca_bundle_file(b, "/nonexistent/ca.pem") == PLEXCTL_STATUS_OK);
  c = NULL;
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_RUNTIME && c == NULL);
}

static void test_tokens(void) {
  plexctl_client *admin = client_with(env("PLEXCTL_TEST_TOKEN"));
  const char *id = env("PLEXCTL_TEST_IDENTITY");
  plexctl_token *issued = NULL, *rotated = NULL;
  plexctl_token_list *list = NULL;

  CHECK(plexctl_issue_token(admin, "group:nope", "prod", NULL, &issued) == PLEXCTL_STATUS_USAGE);
  CHECK(strstr(plexctl_last_error_message(), "identity_ref") != NULL);
  CHECK(plexctl_issue_token(admin, id, "qa", NULL, &issued) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_issue_token(admin, id, "prod", "soon", &issued) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_delete_token(admin, "not-a-uuid") == PLEXCTL_STATUS_USAGE);

  CHECK(plexctl_issue_token(admin, id, "prod", "24h", &issued) == PLEXCTL_STATUS_OK);
  const plexctl_secret *pt = plexctl_token_plaintext(issued);
  CHECK(plexctl_secret_len(pt) == strlen("psk_prod_") + 44);
  CHECK(strncmp((const char *)plexctl_secret_expose(pt), "psk_prod_", 9) == 0);
  CHECK(strlen((const char *)plexctl_secret_expose(pt)) == plexctl_secret_len(pt));
  CHECK(strcmp(plexctl_token_env_prefix(issued), "prod") == 0);
  CHECK(strlen(plexctl_token_id(issued)) == 36);
  CHECK(plexctl_token_expires_at(issued) != NULL);
  CHECK(plexctl_token_rotation_deadline(issued) == NULL);
  /* The id never appears in the error message, and neither does the token. */
  char old_plaintext[128];
  snprintf(old_plaintext, sizeof old_plaintext, "%s", (const char *)plexctl_secret_expose(pt));

  CHECK(plexctl_list_tokens(admin, &list) == PLEXCTL_STATUS_OK);
  size_t n = plexctl_token_list_len(list);
  int found = 0;
  for (size_t i = 0; i < n; i++) {
    const plexctl_token_summary *s = plexctl_token_list_get(list, i);
    CHECK(plexctl_token_summary_created_at(s) != NULL && plexctl_token_summary_expires_at(s) != NULL);
    CHECK(plexctl_token_summary_env_prefix(s) != NULL);
    if (strcmp(plexctl_token_summary_id(s), plexctl_token_id(issued)) == 0) {
      found = 1;
      CHECK(plexctl_token_summary_rotated_at(s) == NULL);
    }
    (void)plexctl_token_summary_last_used_at(s);
  }
  CHECK(found);
  CHECK(plexctl_token_list_get(list, n) == NULL);
  plexctl_token_list_free(list);

  CHECK(plexctl_rotate_token(admin, plexctl_token_id(issued), &rotated) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_token_sunset_agrees(rotated));
  CHECK(plexctl_token_rotation_deadline(rotated) != NULL && plexctl_token_sunset(rotated) != NULL);
  CHECK(strcmp((const char *)plexctl_secret_expose(plexctl_token_plaintext(rotated)), old_plaintext) != 0);

  /* Both plaintexts work until the deadline. */
  plexctl_client *old_c = client_with(old_plaintext);
  plexctl_client *new_c = client_with((const char *)plexctl_secret_expose(plexctl_token_plaintext(rotated)));
  CHECK(plexctl_list_tokens(old_c, &list) == PLEXCTL_STATUS_OK);
  plexctl_token_list_free(list);
  CHECK(plexctl_delete_token(admin, plexctl_token_id(issued)) == PLEXCTL_STATUS_OK);
  list = NULL;
  CHECK(plexctl_list_tokens(new_c, &list) == PLEXCTL_STATUS_RUNTIME && list == NULL);
  CHECK(plexctl_last_error_http_status() == 401 && plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_API);
  CHECK(strcmp(plexctl_last_error_code(), "unauthenticated") == 0);
  CHECK(strstr(plexctl_last_error_message(), old_plaintext + 9) == NULL);
  CHECK(plexctl_delete_token(admin, plexctl_token_id(issued)) == PLEXCTL_STATUS_RUNTIME);
  CHECK(plexctl_last_error_http_status() == 404);

  /* No token: credentials error before the wire. */
  plexctl_client *anon = client_with(NULL);
  CHECK(plexctl_list_tokens(anon, &list) == PLEXCTL_STATUS_CREDENTIALS);

  /* Denied principal: 403, exit code 4, with the denial's correlation id. */
  char body[256];
  snprintf(body, sizeof body, "{\"identity_ref\":\"%s\",\"denied\":true}", env("PLEXCTL_TEST_IDENTITY"));
  control("PUT", "deny", body);
  CHECK(plexctl_list_tokens(admin, &list) == PLEXCTL_STATUS_DENIED);
  CHECK(plexctl_last_error_http_status() == 403 && plexctl_last_error_correlation_id() != NULL);
  snprintf(body, sizeof body, "{\"identity_ref\":\"%s\",\"denied\":false}", env("PLEXCTL_TEST_IDENTITY"));
  control("PUT", "deny", body);

  /* Faults: a 5xx, a proxy's HTML page, a dropped connection (the last two persist through both retries). */
  control("PUT", "fault", "{\"kind\":\"status\",\"status\":500,\"count\":1}");
  CHECK(plexctl_list_tokens(admin, &list) == PLEXCTL_STATUS_RUNTIME && plexctl_last_error_http_status() == 500);
  control("PUT", "fault", "{\"kind\":\"html_bad_gateway\",\"count\":3}");
  CHECK(plexctl_list_tokens(admin, &list) == PLEXCTL_STATUS_RUNTIME);
  CHECK(strstr(plexctl_last_error_message(), "Bad Gateway") != NULL);
  control("PUT", "fault", "{\"kind\":\"drop\",\"count\":3}");
  CHECK(plexctl_list_tokens(admin, &list) == PLEXCTL_STATUS_RUNTIME && plexctl_last_error_http_status() == 0);
  CHECK(plexctl_list_tokens(admin, &list) == PLEXCTL_STATUS_OK);
  plexctl_token_list_free(list);

  plexctl_token_free(issued);
  plexctl_token_free(rotated);
  plexctl_client_free(old_c);
  plexctl_client_free(new_c);
  plexctl_client_free(anon);
  plexctl_client_free(admin);
}

static void test_grants(void) {
  plexctl_client *c = client_with(NULL);
  const char *secret = env("PLEXCTL_TEST_CLIENT_SECRET");
  const char *jwt = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  plexctl_service_token *st = NULL;
  CHECK(plexctl_mint_service_token(c, "svc-c", "client_credentials", (const uint8_t *)secret, strlen(secret), NULL, 0,
                              "domain:read", &st) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_service_token_token_type(st), "Bearer") == 0);
  CHECK(plexctl_service_token_expires_in(st) > 0);
  CHECK(strcmp(plexctl_service_token_scope(st), "domain:read") == 0);
  CHECK(plexctl_service_token_expires_at(st) != NULL && strlen(plexctl_service_token_expires_at(st)) >= 20);
  CHECK(plexctl_secret_len(plexctl_service_token_access_token(st)) > 0);
  plexctl_service_token_free(st);

  st = NULL;
  CHECK(plexctl_mint_service_token(c, "svc-c", jwt, (const uint8_t *)secret, strlen(secret), NULL, 0, NULL, &st) ==
        PLEXCTL_STATUS_RUNTIME);
  CHECK(st == NULL);
  CHECK(strcmp(plexctl_last_error_message(),
               "--client-secret must not be set for grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer") == 0);
  CHECK(plexctl_mint_service_token(c, "svc-c", "password", (const uint8_t *)secret, strlen(secret), NULL, 0, NULL, &st) ==
        PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_mint_service_token(c, "svc-c", "client_credentials", (const uint8_t *)"wrong", 5, NULL, 0, NULL, &st) ==
        PLEXCTL_STATUS_RUNTIME);
  CHECK(plexctl_last_error_http_status() == 401 && strcmp(plexctl_last_error_code(), "invalid_client") == 0);
  CHECK(strstr(plexctl_last_error_message(), secret) == NULL);

  plexctl_token_source *src = NULL;
  plexctl_secret *a = NULL, *b = NULL;
  CHECK(plexctl_token_source_new(c, "svc-c", jwt, (const uint8_t *)secret, strlen(secret), NULL, 0, NULL, &src) ==
        PLEXCTL_STATUS_RUNTIME);
  CHECK(plexctl_token_source_new(c, "svc-c", "client_credentials", (const uint8_t *)secret, strlen(secret), NULL, 0,
                                 NULL, &src) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_token_source_token(src, &a) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_token_source_token(src, &b) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_secret_len(a) == plexctl_secret_len(b) &&
        memcmp(plexctl_secret_expose(a), plexctl_secret_expose(b), plexctl_secret_len(a)) == 0);
  CHECK(plexctl_token_source_invalidate(src) == PLEXCTL_STATUS_OK);
  plexctl_secret_free(b);
  b = NULL;
  CHECK(plexctl_token_source_token(src, &b) == PLEXCTL_STATUS_OK);
  CHECK(memcmp(plexctl_secret_expose(a), plexctl_secret_expose(b), plexctl_secret_len(a)) != 0);
  plexctl_secret_free(a);
  plexctl_secret_free(b);
  /* The source shares the client: freeing the client first is allowed. */
  plexctl_client_free(c);
  a = NULL;
  CHECK(plexctl_token_source_token(src, &a) == PLEXCTL_STATUS_OK);
  plexctl_secret_free(a);
  plexctl_token_source_free(src);
}

static void test_keys(void) {
  plexctl_client *c = client_with(env("PLEXCTL_TEST_TOKEN"));
  const char *node = env("PLEXCTL_TEST_NODE");
  plexctl_rotation_preview *p = NULL;
  plexctl_rotation_trigger *t = NULL, *again = NULL;
  CHECK(plexctl_preview_node_key_rotation(c, node, &p) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_rotation_preview_node_id(p), node) == 0);
  CHECK(plexctl_rotation_preview_peer_id(p) != NULL);
  CHECK(plexctl_rotation_preview_affected_peer_count(p) == 2 && plexctl_rotation_preview_affected_edges_len(p) == 2);
  CHECK(!plexctl_rotation_preview_already_pending(p));
  CHECK(plexctl_rotation_preview_estimated_duration_seconds(p) > 0);
  CHECK(plexctl_rotation_impact_edge_peer_node_id(plexctl_rotation_preview_affected_edges_get(p, 1)) != NULL);
  const plexctl_rotation_impact_edge *edge = plexctl_rotation_preview_affected_edges_get(p, 0);
  CHECK(strcmp(plexctl_rotation_impact_edge_current_kid(edge), "did:web:plexsphere.com#psk-2026-04") == 0);
  CHECK(plexctl_rotation_impact_edge_current_wrap_key_version(edge) == 7);
  CHECK(plexctl_rotation_preview_affected_edges_get(p, 2) == NULL);
  plexctl_rotation_preview_free(p);

  CHECK(plexctl_rotate_node_keys(c, node, &t) == PLEXCTL_STATUS_OK);
  CHECK(!plexctl_rotation_trigger_already_pending(t));
  CHECK(plexctl_rotation_trigger_rotation_id(t) != NULL && plexctl_rotation_trigger_peer_id(t) != NULL);
  CHECK(strcmp(plexctl_rotation_trigger_node_id(t), node) == 0);
  CHECK(strcmp(plexctl_rotation_trigger_state(t), "pending") == 0);
  CHECK(plexctl_rotation_trigger_requested_at(t) != NULL);
  control("PATCH", "config", "{\"retrigger_mode\":\"conflict\"}");
  CHECK(plexctl_rotate_node_keys(c, node, &again) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_rotation_trigger_already_pending(again));
  CHECK(strcmp(plexctl_rotation_trigger_rotation_id(again), plexctl_rotation_trigger_rotation_id(t)) == 0);
  plexctl_rotation_trigger_free(again);
  control("PATCH", "config", "{\"retrigger_mode\":\"ok\"}");
  plexctl_rotation_trigger_free(t);

  t = NULL;
  CHECK(plexctl_rotate_node_keys(c, "0190a8b8-a0c0-7a0a-8a0a-a0a0a0a0a0a0", &t) == PLEXCTL_STATUS_DENIED);
  CHECK(strcmp(plexctl_last_error_code(), "node_not_found") == 0 && t == NULL);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_NODE_NOT_FOUND);
  CHECK(plexctl_rotate_node_keys(c, env("PLEXCTL_TEST_DENIED_NODE"), &t) == PLEXCTL_STATUS_REBAC_DENIED);
  CHECK(plexctl_last_error_status() == PLEXCTL_STATUS_REBAC_DENIED);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_REBAC_DENIED);
  CHECK(strcmp(plexctl_error_kind_name(plexctl_last_error_kind()), "rebac_denied") == 0);
  CHECK(plexctl_last_error_correlation_id() != NULL);
  CHECK(plexctl_rotate_node_keys(c, "node-1", &t) == PLEXCTL_STATUS_USAGE);
  control("PATCH", "config", "{\"key_rotate_provisioned\":false}");
  CHECK(plexctl_preview_node_key_rotation(c, node, &p) == PLEXCTL_STATUS_RUNTIME);
  CHECK(strstr(plexctl_last_error_message(), "not provisioned") != NULL);
  control("PATCH", "config", "{\"key_rotate_provisioned\":true}");
  plexctl_client_free(c);
}

static plexctl_client *config_client(const char *config, const char *profile) {
  plexctl_client_builder *b = plexctl_client_builder_new();
  plexctl_client *c = NULL;
  CHECK(plexctl_client_builder_set_config_path(b, config) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_use_environment(b, false) == PLEXCTL_STATUS_OK);
  if (profile != NULL) CHECK(plexctl_client_builder_set_profile(b, profile) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_OK);
  return c;
}

static void test_session(void) {
  const char *config = env("PLEXCTL_TEST_CONFIG");
  plexctl_client *admin = client_with(env("PLEXCTL_TEST_TOKEN"));
  plexctl_token *session = NULL, *rotated = NULL;
  plexctl_logout_outcome *out = NULL;
  CHECK(plexctl_issue_token(admin, env("PLEXCTL_TEST_IDENTITY"), "prod", NULL, &session) == PLEXCTL_STATUS_OK);
  const plexctl_secret *pt = plexctl_token_plaintext(session);

  plexctl_client *c = config_client(config, NULL);
  CHECK(plexctl_logout(c, &out) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_logout_outcome_profile(out) == NULL);
  CHECK(strcmp(plexctl_logout_outcome_text(out), "No active session; nothing to do.") == 0);
  plexctl_logout_outcome_free(out);
  CHECK(plexctl_store_session(c, "", env("PLEXCTL_TEST_URL"), plexctl_secret_expose(pt), plexctl_secret_len(pt), true) ==
        PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_store_session(c, "ci", "http://plexsphere.example.com", plexctl_secret_expose(pt), plexctl_secret_len(pt),
                              true) == PLEXCTL_STATUS_CREDENTIALS);
  CHECK(plexctl_store_session(c, "ci", env("PLEXCTL_TEST_URL"), plexctl_secret_expose(pt), plexctl_secret_len(pt), true) ==
        PLEXCTL_STATUS_OK);
  plexctl_client_free(c);

  c = config_client(config, "ci");
  plexctl_token_list *l = NULL;
  CHECK(plexctl_list_tokens(c, &l) == PLEXCTL_STATUS_OK);
  plexctl_token_list_free(l);
  CHECK(plexctl_rotate_session(c, &rotated) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_token_sunset_agrees(rotated));
  plexctl_token_free(rotated);
  out = NULL;
  CHECK(plexctl_logout(c, &out) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_logout_outcome_profile(out), "ci") == 0);
  CHECK(plexctl_logout_outcome_revoked(out));
  CHECK(strcmp(plexctl_logout_outcome_server(out), env("PLEXCTL_TEST_URL")) == 0);
  CHECK(strcmp(plexctl_logout_outcome_text(out), "Logged out. Cleared profile \"ci\".") == 0);
  CHECK(strstr(plexctl_logout_outcome_json(out), "\"revoked\": true") != NULL);
  plexctl_logout_outcome_free(out);
  rotated = NULL;
  CHECK(plexctl_rotate_session(c, &rotated) == PLEXCTL_STATUS_CREDENTIALS && rotated == NULL);
  plexctl_client_free(c);
  plexctl_token_free(session);
  plexctl_client_free(admin);
}

/* What the login callbacks see and do: the code shown, and what the "browser" does with it. */
struct login_ctx {
  const char *action; /* "device/approve", "device/deny", or NULL: nobody answers */
  int cancel_after;   /* the cancel check says stop on this call; 0: never */
  int codes, checks;
  char user_code[64];
  char text[512];
};

static void on_code(const plexctl_device_authorization *auth, void *user_data) {
  struct login_ctx *ctx = (struct login_ctx *)user_data;
  ctx->codes++;
  snprintf(ctx->user_code, sizeof ctx->user_code, "%s", plexctl_device_authorization_user_code(auth));
  snprintf(ctx->text, sizeof ctx->text, "%s", plexctl_device_authorization_text(auth));
  CHECK(strstr(plexctl_device_authorization_verification_uri(auth), "/device") != NULL);
  CHECK(strstr(plexctl_device_authorization_verification_uri_complete(auth), ctx->user_code) != NULL);
  CHECK(plexctl_device_authorization_expires_at(auth) != NULL);
  if (ctx->action != NULL) {
    char body[256];
    snprintf(body, sizeof body, "{\"user_code\":\"%s\"}", ctx->user_code);
    control("POST", ctx->action, body);
  }
}

static bool cancelled(void *user_data) {
  struct login_ctx *ctx = (struct login_ctx *)user_data;
  ctx->checks++;
  return ctx->cancel_after > 0 && ctx->checks >= ctx->cancel_after;
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A derived handle has a deadline of its own on the same pool; so has a derived token source. */
static void test_with_timeout(void) {
  plexctl_client *admin = client_with(env("PLEXCTL_TEST_TOKEN"));
  plexctl_client *quick = NULL;
  plexctl_token_list *list = NULL;
  CHECK(plexctl_client_timeout_ms(admin) == 30000);
  CHECK(plexctl_client_with_timeout(admin, 300, &quick) == PLEXCTL_STATUS_OK && quick != NULL);
  CHECK(plexctl_client_timeout_ms(quick) == 300 && plexctl_client_timeout_ms(admin) == 30000);
  CHECK(plexctl_list_tokens(quick, &list) == PLEXCTL_STATUS_OK);
  plexctl_token_list_free(list);
  list = NULL;

  /* An answer 3 s late: the derived handle gives up at its 300 ms. */
  control("PUT", "fault", "{\"kind\":\"latency\",\"ms\":3000,\"count\":1}");
  double started = now_seconds();
  CHECK(plexctl_list_tokens(quick, &list) == PLEXCTL_STATUS_RUNTIME && list == NULL);
  CHECK(now_seconds() - started < 2.5);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_TIMEOUT);
  control("DELETE", "fault", "");
  /* Either handle may be freed first; the other keeps working. */
  plexctl_client_free(admin);
  CHECK(plexctl_list_tokens(quick, &list) == PLEXCTL_STATUS_OK);
  plexctl_token_list_free(list);
  plexctl_client_free(quick);

  plexctl_client *c = client_with(NULL);
  const char *secret = env("PLEXCTL_TEST_CLIENT_SECRET");
  plexctl_token_source *src = NULL, *quick_src = NULL;
  plexctl_secret *a = NULL, *b = NULL;
  CHECK(plexctl_token_source_new(c, "svc-c", "client_credentials", (const uint8_t *)secret, strlen(secret), NULL, 0,
                                 NULL, &src) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_token_source_with_timeout(src, 300, &quick_src) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_token_source_with_timeout(src, 300, NULL) == PLEXCTL_STATUS_USAGE);
  control("PUT", "fault", "{\"kind\":\"latency\",\"ms\":3000,\"count\":1}");
  started = now_seconds();
  CHECK(plexctl_token_source_token(quick_src, &a) == PLEXCTL_STATUS_RUNTIME && a == NULL);
  CHECK(now_seconds() - started < 2.5);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_TIMEOUT);
  control("DELETE", "fault", "");
  /* One cache: what the source mints, the derived handle hands out. */
  CHECK(plexctl_token_source_token(src, &a) == PLEXCTL_STATUS_OK);
  plexctl_token_source_free(src);
  CHECK(plexctl_token_source_token(quick_src, &b) == PLEXCTL_STATUS_OK);
  CHECK(a != NULL && b != NULL && plexctl_secret_len(a) == plexctl_secret_len(b) &&
        memcmp(plexctl_secret_expose(a), plexctl_secret_expose(b), plexctl_secret_len(a)) == 0);
  plexctl_secret_free(a);
  plexctl_secret_free(b);
  plexctl_token_source_free(quick_src);
  plexctl_client_free(c);
}

/* A client that logs in to the emulator and keeps its sessions in `config`. */
static plexctl_client *login_client(const char *config) {
  plexctl_client_builder *b = plexctl_client_builder_new();
  plexctl_client *c = NULL;
  CHECK(plexctl_client_builder_set_server(b, env("PLEXCTL_TEST_URL")) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_config_path(b, config) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_set_use_environment(b, false) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_client_builder_build(b, &c) == PLEXCTL_STATUS_OK);
  return c;
}

/* The login config: login.yaml beside PLEXCTL_TEST_CONFIG. */
static void login_config(char *path, size_t size) {
  const char *config = env("PLEXCTL_TEST_CONFIG");
  const char *slash = strrchr(config, '/');
  snprintf(path, size, "%.*slogin.yaml", slash == NULL ? 0 : (int)(slash - config + 1), config);
}

static void test_login_status_rotate_logout(void) {
  char config[1024];
  login_config(config, sizeof config);
  const char *domain = env("PLEXCTL_TEST_DOMAIN");
  const char *url = env("PLEXCTL_TEST_URL");
  control("PATCH", "config", "{\"device_poll_interval_seconds\":0}");
  plexctl_client *c = login_client(config);
  plexctl_login_outcome *out = NULL;
  struct login_ctx ctx = {"device/approve", 0, 0, 0, "", ""};

  CHECK(plexctl_login(c, domain, NULL, "github", "work", true, on_code, cancelled, &ctx, &out) == PLEXCTL_STATUS_OK);
  CHECK(ctx.codes == 1 && ctx.checks >= 1);
  CHECK(strstr(ctx.text, ctx.user_code) != NULL && strstr(ctx.text, "/device") != NULL);
  CHECK(strcmp(plexctl_login_outcome_profile(out), "work") == 0);
  CHECK(strcmp(plexctl_login_outcome_server(out), url) == 0);
  CHECK(plexctl_login_outcome_token_id(out) != NULL && strlen(plexctl_login_outcome_token_id(out)) == 36);
  CHECK(plexctl_login_outcome_expires_at(out) != NULL);
  CHECK(strstr(plexctl_login_outcome_text(out), "Logged in to") != NULL);
  char token_id[64];
  snprintf(token_id, sizeof token_id, "%s", plexctl_login_outcome_token_id(out));
  plexctl_login_outcome_free(out);
  plexctl_client_free(c);

  /* A client reading the file's default profile sees who it is and its token. */
  c = config_client(config, NULL);
  plexctl_session_status *st = NULL;
  CHECK(plexctl_auth_status(c, &st) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_session_status_state(st), "authenticated") == 0);
  /* The resolved server is the URL as parsed (with a trailing slash), unlike the login outcome's. */
  CHECK(strncmp(plexctl_session_status_server(st), url, strlen(url)) == 0);
  CHECK(strcmp(plexctl_session_status_credential_source(st), "profile") == 0);
  CHECK(strcmp(plexctl_session_status_profile(st), "work") == 0);
  CHECK(plexctl_session_status_rejection(st) == NULL);
  const plexctl_principal *who = plexctl_session_status_principal(st);
  CHECK(who != NULL && strcmp(plexctl_principal_principal_type(who), "user") == 0);
  CHECK(strcmp(plexctl_principal_email(who), "admin@plexsphere.test") == 0);
  CHECK(strcmp(plexctl_principal_domain_id(who), domain) == 0);
  const plexctl_token_summary *tok = plexctl_session_status_token(st);
  CHECK(tok != NULL && strcmp(plexctl_token_summary_id(tok), token_id) == 0);
  CHECK(plexctl_token_summary_expires_at(tok) != NULL);
  CHECK(strstr(plexctl_session_status_text(st), "logged in as user") != NULL);
  CHECK(strstr(plexctl_session_status_json(st), "\"state\": \"authenticated\"") != NULL);
  plexctl_session_status_free(st);

  plexctl_principal *me = NULL;
  CHECK(plexctl_whoami(c, &me) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_principal_principal_type(me), "user") == 0 && strlen(plexctl_principal_subject(me)) > 0);
  CHECK(strcmp(plexctl_principal_email(me), "admin@plexsphere.test") == 0);
  CHECK(plexctl_principal_amr_get(me, plexctl_principal_amr_len(me)) == NULL);
  CHECK(strstr(plexctl_principal_text(me), "admin@plexsphere.test") != NULL);
  plexctl_principal_free(me);

  /* Rotate-session and logout act on the profile the login stored. */
  plexctl_token *rotated = NULL;
  CHECK(plexctl_rotate_session(c, &rotated) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_token_id(rotated), token_id) == 0 && plexctl_token_sunset_agrees(rotated));
  plexctl_logout_outcome *lo = NULL;
  CHECK(plexctl_logout(c, &lo) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_logout_outcome_profile(lo), "work") == 0 && plexctl_logout_outcome_revoked(lo));
  plexctl_logout_outcome_free(lo);
  plexctl_client_free(c);

  /* The revoked token is a rejected status, and whoami's 401. */
  const plexctl_secret *pt = plexctl_token_plaintext(rotated);
  plexctl_client *revoked = client_with((const char *)plexctl_secret_expose(pt));
  st = NULL;
  CHECK(plexctl_auth_status(revoked, &st) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_session_status_state(st), "rejected") == 0);
  CHECK(strcmp(plexctl_session_status_credential_source(st), "explicit") == 0);
  CHECK(plexctl_session_status_rejection(st) != NULL && plexctl_session_status_principal(st) == NULL);
  CHECK(plexctl_session_status_token(st) == NULL);
  CHECK(strstr(plexctl_session_status_text(st), (const char *)plexctl_secret_expose(pt) + 9) == NULL);
  CHECK(strstr(plexctl_session_status_json(st), (const char *)plexctl_secret_expose(pt) + 9) == NULL);
  plexctl_session_status_free(st);
  me = NULL;
  CHECK(plexctl_whoami(revoked, &me) == PLEXCTL_STATUS_RUNTIME && me == NULL);
  CHECK(plexctl_last_error_http_status() == 401);
  plexctl_client_free(revoked);
  plexctl_token_free(rotated);

  /* No credentials is a status too. */
  plexctl_client *anon = client_with(NULL);
  st = NULL;
  CHECK(plexctl_auth_status(anon, &st) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_session_status_state(st), "no_credentials") == 0);
  CHECK(strcmp(plexctl_session_status_credential_source(st), "none") == 0);
  CHECK(strncmp(plexctl_session_status_server(st), url, strlen(url)) == 0 && plexctl_session_status_profile(st) == NULL);
  CHECK(plexctl_session_status_principal(st) == NULL && plexctl_session_status_token(st) == NULL);
  CHECK(strstr(plexctl_session_status_text(st), "not logged in") != NULL);
  plexctl_session_status_free(st);
  CHECK(plexctl_whoami(anon, &me) == PLEXCTL_STATUS_CREDENTIALS);
  plexctl_client_free(anon);
}

static void test_login_two_steps(void) {
  char config[1024];
  login_config(config, sizeof config);
  const char *domain = env("PLEXCTL_TEST_DOMAIN");
  char answer[512], identity[128] = "";
  control_out("POST", "users", "{\"email\":\"c-mfa@plexsphere.test\",\"acr\":\"urn:plexsphere:mfa\",\"amr\":[\"pwd\",\"otp\"]}",
              answer, sizeof answer);
  const char *ref = strstr(answer, "\"identity_ref\":\"");
  CHECK(ref != NULL);
  if (ref != NULL) sscanf(ref + strlen("\"identity_ref\":\""), "%127[^\"]", identity);

  plexctl_client *c = login_client(config);
  plexctl_device_authorization *auth = NULL;
  plexctl_login_outcome *out = NULL;
  CHECK(plexctl_start_device_login(c, "00000000-0000-0000-0000-000000000000", NULL, NULL, &auth) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_start_device_login(c, domain, domain, "github", &auth) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_start_device_login(c, domain, NULL, "gitlab", &auth) == PLEXCTL_STATUS_RUNTIME && auth == NULL);
  CHECK(plexctl_last_error_http_status() == 404);
  CHECK(plexctl_start_device_login(c, domain, NULL, NULL, &auth) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_device_authorization_expires_in(auth) == 600 && plexctl_device_authorization_interval(auth) == 0);
  CHECK(strlen(plexctl_device_authorization_user_code(auth)) == 9);
  CHECK(plexctl_complete_device_login(c, auth, NULL, false, NULL, NULL, &out) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_complete_device_login(c, auth, "", false, NULL, NULL, &out) == PLEXCTL_STATUS_USAGE);
  CHECK(plexctl_complete_device_login(c, auth, "mfa", false, NULL, NULL, NULL) == PLEXCTL_STATUS_USAGE);

  char body[256];
  snprintf(body, sizeof body, "{\"user_code\":\"%s\",\"identity_ref\":\"%s\"}", plexctl_device_authorization_user_code(auth),
           identity);
  control("POST", "device/approve", body);
  struct login_ctx ctx = {NULL, 0, 0, 0, "", ""};
  CHECK(plexctl_complete_device_login(c, auth, "mfa", false, cancelled, &ctx, &out) == PLEXCTL_STATUS_OK);
  CHECK(ctx.checks >= 1 && strcmp(plexctl_login_outcome_profile(out), "mfa") == 0);
  plexctl_login_outcome_free(out);
  /* A device code is exchanged once. */
  out = NULL;
  CHECK(plexctl_complete_device_login(c, auth, "again", false, NULL, NULL, &out) == PLEXCTL_STATUS_RUNTIME && out == NULL);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_API && strcmp(plexctl_last_error_code(), "invalid_grant") == 0);
  plexctl_device_authorization_free(auth);
  plexctl_client_free(c);

  /* The session is the approving user's: whoami shows their authentication methods. */
  c = config_client(config, "mfa");
  plexctl_principal *me = NULL;
  CHECK(plexctl_whoami(c, &me) == PLEXCTL_STATUS_OK);
  CHECK(strcmp(plexctl_principal_email(me), "c-mfa@plexsphere.test") == 0);
  CHECK(strcmp(plexctl_principal_acr(me), "urn:plexsphere:mfa") == 0);
  CHECK(plexctl_principal_amr_len(me) == 2);
  CHECK(strcmp(plexctl_principal_amr_get(me, 0), "pwd") == 0 && strcmp(plexctl_principal_amr_get(me, 1), "otp") == 0);
  CHECK(plexctl_principal_amr_get(me, 2) == NULL);
  CHECK(strstr(identity, plexctl_principal_subject(me)) != NULL);
  plexctl_principal_free(me);
  plexctl_logout_outcome *lo = NULL;
  CHECK(plexctl_logout(c, &lo) == PLEXCTL_STATUS_OK && plexctl_logout_outcome_revoked(lo));
  plexctl_logout_outcome_free(lo);
  plexctl_client_free(c);
}

static void test_login_denied_cancelled_expired(void) {
  char config[1024];
  login_config(config, sizeof config);
  const char *domain = env("PLEXCTL_TEST_DOMAIN");
  plexctl_client *c = login_client(config);
  plexctl_login_outcome *out = NULL;

  struct login_ctx deny = {"device/deny", 0, 0, 0, "", ""};
  CHECK(plexctl_login(c, domain, NULL, NULL, "denied", false, on_code, NULL, &deny, &out) == PLEXCTL_STATUS_DENIED);
  CHECK(out == NULL && deny.codes == 1);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_ACCESS_DENIED);
  CHECK(plexctl_last_error_status() == PLEXCTL_STATUS_DENIED);
  CHECK(strcmp(plexctl_error_kind_name(plexctl_last_error_kind()), "access_denied") == 0);

  /* The cancel check stops a wait at once, not at the next poll: the server asks for 5 s. */
  control("PATCH", "config", "{\"device_poll_interval_seconds\":5}");
  struct login_ctx stop = {NULL, 3, 0, 0, "", ""};
  double started = now_seconds();
  CHECK(plexctl_login(c, domain, NULL, NULL, "cancelled", false, on_code, cancelled, &stop, &out) == PLEXCTL_STATUS_RUNTIME);
  CHECK(now_seconds() - started < 2.0);
  CHECK(out == NULL && stop.codes == 1 && stop.checks == 3);
  CHECK(plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_CANCELLED);
  CHECK(strstr(plexctl_last_error_message(), "cancelled") != NULL);
  control("PATCH", "config", "{\"device_poll_interval_seconds\":0}");

  /* A code nobody approves expires. */
  control("PATCH", "config", "{\"device_code_ttl_seconds\":1}");
  struct login_ctx nobody = {NULL, 0, 0, 0, "", ""};
  CHECK(plexctl_login(c, domain, NULL, NULL, "expired", false, on_code, NULL, &nobody, &out) == PLEXCTL_STATUS_RUNTIME);
  CHECK(out == NULL && plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_LOGIN_EXPIRED);
  control("PATCH", "config", "{\"device_code_ttl_seconds\":600}");
  plexctl_client_free(c);
}

static void test_login_not_saved(void) {
  char config[1024], lock[1100];
  login_config(config, sizeof config);
  snprintf(lock, sizeof lock, "%s.lock", config);
  plexctl_client *c = login_client(config);
  plexctl_login_outcome *out = NULL;
  /* The write cannot take its lock: the approved session must still reach the caller. */
  unlink(lock);
  CHECK(mkdir(lock, 0700) == 0);
  struct login_ctx ctx = {"device/approve", 0, 0, 0, "", ""};
  CHECK(plexctl_login(c, env("PLEXCTL_TEST_DOMAIN"), NULL, NULL, "lost", false, on_code, NULL, &ctx, &out) ==
        PLEXCTL_STATUS_RUNTIME);
  CHECK(out == NULL && plexctl_last_error_kind() == PLEXCTL_ERROR_KIND_SESSION_NOT_SAVED);
  const plexctl_secret *token = plexctl_last_error_plaintext();
  CHECK(token != NULL && strncmp((const char *)plexctl_secret_expose(token), "psk_", 4) == 0);
  char plaintext[128] = "";
  if (token != NULL) snprintf(plaintext, sizeof plaintext, "%s", (const char *)plexctl_secret_expose(token));
  CHECK(strstr(plexctl_last_error_message(), plaintext + 9) == NULL);
  CHECK(rmdir(lock) == 0);
  /* The recovered session works; the next fallible call wipes the library's copy. */
  plexctl_client *saved = client_with(plaintext);
  plexctl_principal *me = NULL;
  CHECK(plexctl_whoami(saved, &me) == PLEXCTL_STATUS_OK);
  CHECK(plexctl_last_error_plaintext() == NULL);
  plexctl_principal_free(me);
  plexctl_client_free(saved);
  memset(plaintext, 0, sizeof plaintext);
  plexctl_client_free(c);
}

static void *list_in_thread(void *arg) {
  const plexctl_client *c = (const plexctl_client *)arg;
  for (int i = 0; i < 5; i++) {
    plexctl_token_list *l = NULL;
    if (plexctl_list_tokens(c, &l) != PLEXCTL_STATUS_OK) return (void *)1;
    plexctl_token_list_free(l);
  }
  return NULL;
}

static void test_threads(void) {
  plexctl_client *c = client_with(env("PLEXCTL_TEST_TOKEN"));
  pthread_t threads[4];
  for (int i = 0; i < 4; i++) CHECK(pthread_create(&threads[i], NULL, list_in_thread, c) == 0);
  for (int i = 0; i < 4; i++) {
    void *r = NULL;
    CHECK(pthread_join(threads[i], &r) == 0 && r == NULL);
  }
  plexctl_client_free(c);
}

int main(void) {
  test_version_and_errors();
  test_nulls_and_frees();
  test_builder_errors();
  test_tokens();
  test_grants();
  test_with_timeout();
  test_keys();
  test_session();
  test_login_status_rotate_logout();
  test_login_two_steps();
  test_login_denied_cancelled_expired();
  test_login_not_saved();
  test_threads();
  return summary();
}
