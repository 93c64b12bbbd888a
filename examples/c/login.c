/* Log in with a device code: show where to go and which code to enter, wait for the approval in a
 * browser, then save the session in a profile of the config file.
 *   PLEXSPHERE_URL=... ./login <domain-id> [profile] [idp-binding-alias]
 * The code and the URL go to stderr, the outcome to stdout. Ctrl-C stops the wait: the library
 * asks stop_requested() between polls. Exits with the library's status (the plexctl taxonomy:
 * 4 when the user denied the request). */
#include <signal.h>
#include <stdio.h>

#include "plexctl.h"

static volatile sig_atomic_t interrupted = 0;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

/* What a UI shows: the library has checked the code and the URLs are safe to print. */
static void show_code(const plexctl_device_authorization *auth, void *user_data) {
  (void)user_data;
  fprintf(stderr, "%s\nThe code expires at %s.\n", plexctl_device_authorization_text(auth),
          plexctl_device_authorization_expires_at(auth));
  fprintf(stderr, "user code: %s\n", plexctl_device_authorization_user_code(auth));
  fflush(stderr);
}

static bool stop_requested(void *user_data) {
  (void)user_data;
  return interrupted != 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s <domain-id> [profile] [idp-binding-alias]\n", argv[0]);
    return PLEXCTL_STATUS_USAGE;
  }
  signal(SIGINT, on_sigint);
  plexctl_client *client = NULL;
  plexctl_login_outcome *outcome = NULL;
  /* The server comes from PLEXSPHERE_URL (or the profile); the session goes to the config file
   * (PLEXCTL_CONFIG, or the XDG location). */
  plexctl_status rc = plexctl_client_builder_build(plexctl_client_builder_new(), &client);
  if (rc == PLEXCTL_STATUS_OK) {
    rc = plexctl_login(client, argv[1], NULL, argc > 3 ? argv[3] : NULL, argc > 2 ? argv[2] : "default", false,
                       show_code, stop_requested, NULL, &outcome);
  }
  if (rc != PLEXCTL_STATUS_OK) {
    fprintf(stderr, "plexctl: %s\n", plexctl_last_error_message());
    /* Approved but not saved: the session exists on the server, so show it once rather than lose it. */
    const plexctl_secret *token = plexctl_last_error_plaintext();
    if (token != NULL) {
      printf("# WARNING: this is the only time this session token will be displayed\n");
      fwrite(plexctl_secret_expose(token), 1, plexctl_secret_len(token), stdout);
      printf("\n");
    }
  } else {
    printf("%s\n", plexctl_login_outcome_text(outcome));
  }
  plexctl_login_outcome_free(outcome);
  plexctl_client_free(client);
  return (int)rc;
}
