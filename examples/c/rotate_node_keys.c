/* Rotate a Node's mesh keys, or preview the impact with --dry-run.
 *   PLEXSPHERE_URL=... PLEXSPHERE_TOKEN=... ./rotate_node_keys <node-uuid> [--dry-run]
 * Exit codes: 0 (also when a rotation was already pending), 4 node not found, 77 ReBAC denied. */
#include <stdio.h>
#include <string.h>

#include "plexctl.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <node-uuid> [--dry-run]\n", argv[0]);
    return 2;
  }
  plexctl_client *client = NULL;
  plexctl_status rc = plexctl_client_builder_build(plexctl_client_builder_new(), &client);
  if (rc == PLEXCTL_STATUS_OK && argc > 2 && strcmp(argv[2], "--dry-run") == 0) {
    plexctl_rotation_preview *p = NULL;
    rc = plexctl_preview_node_key_rotation(client, argv[1], &p);
    if (rc == PLEXCTL_STATUS_OK) {
      printf("node %s  peer %s  affected peers %llu  already pending %s  estimated %llus\n",
             plexctl_rotation_preview_node_id(p), plexctl_rotation_preview_peer_id(p),
             (unsigned long long)plexctl_rotation_preview_affected_peer_count(p),
             plexctl_rotation_preview_already_pending(p) ? "true" : "false",
             (unsigned long long)plexctl_rotation_preview_estimated_duration_seconds(p));
      plexctl_rotation_preview_free(p);
    }
  } else if (rc == PLEXCTL_STATUS_OK) {
    plexctl_rotation_trigger *t = NULL;
    rc = plexctl_rotate_node_keys(client, argv[1], &t);
    if (rc == PLEXCTL_STATUS_OK) {
      const char *id = plexctl_rotation_trigger_rotation_id(t);
      printf("rotation %s  already pending %s\n", id ? id : "(not reported)",
             plexctl_rotation_trigger_already_pending(t) ? "true" : "false");
      plexctl_rotation_trigger_free(t);
    }
  }
  if (rc != PLEXCTL_STATUS_OK) {
    const char *cid = plexctl_last_error_correlation_id();
    fprintf(stderr, "plexctl: %s%s%s\n", plexctl_last_error_message(), cid ? " correlation id " : "", cid ? cid : "");
  }
  plexctl_client_free(client);
  return (int)rc;
}
