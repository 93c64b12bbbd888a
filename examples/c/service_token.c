/* Mint a service access token; the client secret is read from standard input, never argv.
 *   PLEXSPHERE_URL=... ./service_token <client-id> client_credentials < secret-file
 * Prints the token's type, lifetime and scope, not the token itself. */
#include <stdio.h>
#include <string.h>

#include "plexctl.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <client-id> <grant-type> [scope] < secret\n", argv[0]);
    return 2;
  }
  char secret[512];
  if (fgets(secret, sizeof secret, stdin) == NULL) return 2;
  size_t len = strcspn(secret, "\r\n");
  plexctl_client *client = NULL;
  plexctl_service_token *token = NULL;
  plexctl_status rc = plexctl_client_builder_build(plexctl_client_builder_new(), &client);
  if (rc == PLEXCTL_STATUS_OK)
    rc = plexctl_mint_service_token(client, argv[1], argv[2], (const uint8_t *)secret, len, NULL, 0, argc > 3 ? argv[3] : NULL,
                               &token);
  memset(secret, 0, sizeof secret); /* the library holds its own wiped copy */
  if (rc != PLEXCTL_STATUS_OK) {
    fprintf(stderr, "plexctl: %s\n", plexctl_last_error_message());
    plexctl_client_free(client);
    return (int)rc;
  }
  printf("token_type: %s  expires_in: %llus  scope: %s\n", plexctl_service_token_token_type(token),
         (unsigned long long)plexctl_service_token_expires_in(token),
         plexctl_service_token_scope(token) ? plexctl_service_token_scope(token) : "");
  plexctl_service_token_free(token);
  plexctl_client_free(client);
  return 0;
}
