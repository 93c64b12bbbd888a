/* End the active session: revoke the stored token, then clear its profile.
 *   ./logout [profile]
 * Prints plexctl's line; "No active session" goes to stderr and still exits 0. */
#include <stdio.h>

#include "plexctl.h"

int main(int argc, char **argv) {
  plexctl_client_builder *b = plexctl_client_builder_new();
  plexctl_client *client = NULL;
  plexctl_logout_outcome *out = NULL;
  plexctl_status rc = argc > 1 ? plexctl_client_builder_set_profile(b, argv[1]) : PLEXCTL_STATUS_OK;
  if (rc != PLEXCTL_STATUS_OK) {
    plexctl_client_builder_free(b);
  } else {
    rc = plexctl_client_builder_build(b, &client);
  }
  if (rc == PLEXCTL_STATUS_OK) rc = plexctl_logout(client, &out);
  if (rc != PLEXCTL_STATUS_OK) {
    fprintf(stderr, "plexctl: %s\n", plexctl_last_error_message());
  } else {
    fprintf(plexctl_logout_outcome_profile(out) ? stdout : stderr, "%s\n", plexctl_logout_outcome_text(out));
  }
  plexctl_logout_outcome_free(out);
  plexctl_client_free(client);
  return (int)rc;
}
