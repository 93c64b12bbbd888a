/* Issue an API token and show its plaintext exactly once.
 *   PLEXSPHERE_URL=... PLEXSPHERE_TOKEN=... ./issue_token user:<uuid> [prod|stage|dev] [ttl]
 * Exits with the library's status (the plexctl exit-code taxonomy). */
#include <stdio.h>

#include "plexctl.h"

static int fail(plexctl_status rc) {
  fprintf(stderr, "plexctl: %s\n", plexctl_last_error_message());
  return (int)rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s user:<uuid>|service:<uuid> [env-prefix] [ttl]\n", argv[0]);
    return 2;
  }
  plexctl_client *client = NULL;
  plexctl_token *token = NULL;
  /* The server and token come from PLEXSPHERE_URL / PLEXSPHERE_TOKEN or the config file. */
  plexctl_status rc = plexctl_client_builder_build(plexctl_client_builder_new(), &client);
  if (rc != PLEXCTL_STATUS_OK) return fail(rc);
  rc = plexctl_issue_token(client, argv[1], argc > 2 ? argv[2] : "prod", argc > 3 ? argv[3] : NULL, &token);
  if (rc != PLEXCTL_STATUS_OK) {
    plexctl_client_free(client);
    return fail(rc);
  }
  const plexctl_secret *plaintext = plexctl_token_plaintext(token);
  printf("# WARNING: this is the only time this plaintext will be displayed\n");
  fwrite(plexctl_secret_expose(plaintext), 1, plexctl_secret_len(plaintext), stdout);
  printf("\n\nid:          %s\nenv_prefix:  %s\nexpires_at:  %s\n", plexctl_token_id(token),
         plexctl_token_env_prefix(token), plexctl_token_expires_at(token));
  plexctl_token_free(token); /* wipes the plaintext */
  plexctl_client_free(client);
  return 0;
}
