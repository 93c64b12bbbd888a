/*
 * No secret left behind in a C process: the flow of tests/memscan (issue + rotate x5,
 * client_credentials x5, store -> rotate -> logout a session) through the C ABI, every result freed
 * with its _free and the clients last, then a scan of this process's own readable memory
 * (/proc/self/maps + /proc/self/mem) for every secret the flow saw. Prints `<label> <count>` per
 * secret and exits non-zero when any secret is found, or when the control (a secret still alive in
 * the library during the scan) is not: a scan that cannot find a live secret proves nothing.
 *
 * The program keeps only XOR-masked copies of the secrets (for a psk its last 22 characters, the
 * secret part; else all of it), and masks each chunk of memory before searching it, so the scan
 * never makes an unmasked copy that outlives the search of one chunk (the chunk buffer is wiped
 * after each search). Secrets this program copies itself (the client secret it reads) are its own
 * to wipe and are wiped; the point is that the library leaves none.
 *
 * Inputs (from tests/ffi.sh): PLEXCTL_TEST_URL, PLEXCTL_TEST_TOKEN (the admin token: a fixture,
 * not scanned), PLEXCTL_TEST_IDENTITY, PLEXCTL_MEMSCAN_CONFIG (a config file path of its own),
 * PLEXCTL_MEMSCAN_CLIENT_ID, and that identity's client secret on standard input (read with
 * read(2) into a buffer that is wiped; never in the environment).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plexctl.h"

#define MASK 0xA5
#define PSK_SECRET_LEN 22
#define MAX_NEEDLES 32
#define MAX_NEEDLE_LEN 512
#define CHUNK ((size_t)1 << 20)
#define MAX_REGIONS 4096

struct needle {
  char label[32];
  unsigned char masked[MAX_NEEDLE_LEN];
  size_t len;
  size_t count;
};

static struct needle needles[MAX_NEEDLES];
static size_t n_needles = 0;

/* Stores that the compiler cannot drop as dead: how this program wipes what it copied. */
static void wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n-- > 0) {
    *v++ = 0;
  }
}

static void die(const char *what) {
  fprintf(stderr, "memscan: %s: %s (status %d)\n", what, plexctl_last_error_message(),
          (int)plexctl_last_error_status());
  exit(2);
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  if (v == NULL || *v == '\0') {
    fprintf(stderr, "memscan: %s is not set (tests/ffi.sh sets it)\n", name);
    exit(2);
  }
  return v;
}

/* Keeps a masked copy of a secret's distinctive part: for a psk its 22 secret characters, else
 * all of it. Reads the secret in place; never copies it unmasked. */
static void keep(const char *label, const unsigned char *text, size_t len) {
  struct needle *n;
  size_t i;
  if (len > PSK_SECRET_LEN && strncmp((const char *)text, "psk_", 4) == 0) {
    text += len - PSK_SECRET_LEN;
    len = PSK_SECRET_LEN;
  }
  if (n_needles == MAX_NEEDLES || len == 0 || len > MAX_NEEDLE_LEN) {
    fprintf(stderr, "memscan: cannot keep %s (%zu bytes)\n", label, len);
    exit(2);
  }
  n = &needles[n_needles++];
  snprintf(n->label, sizeof n->label, "%s", label);
  for (i = 0; i < len; i++) {
    n->masked[i] = (unsigned char)(text[i] ^ MASK);
  }
  n->len = len;
}

static void keep_secret(const char *label, const plexctl_secret *s) {
  if (s == NULL) {
    fprintf(stderr, "memscan: %s: no secret\n", label);
    exit(2);
  }
  keep(label, plexctl_secret_expose(s), plexctl_secret_len(s));
}

static plexctl_client *client(const char *token, const char *config) {
  plexctl_client_builder *b = plexctl_client_builder_new();
  plexctl_client *c = NULL;
  if (plexctl_client_builder_set_use_environment(b, false) != PLEXCTL_STATUS_OK ||
      (config == NULL && plexctl_client_builder_set_server(b, env("PLEXCTL_TEST_URL")) != PLEXCTL_STATUS_OK) ||
      (config != NULL && plexctl_client_builder_set_config_path(b, config) != PLEXCTL_STATUS_OK) ||
      (token != NULL &&
       plexctl_client_builder_set_token(b, (const uint8_t *)token, strlen(token)) != PLEXCTL_STATUS_OK)) {
    plexctl_client_builder_free(b);
    die("configure a client");
  }
  if (plexctl_client_builder_build(b, &c) != PLEXCTL_STATUS_OK) {
    die("build a client");
  }
  return c;
}

/* The client secret from fd 0, read(2) straight into `buf` (no stdio buffer); trailing
 * whitespace is cut. Returns its length. */
static size_t read_stdin_secret(unsigned char *buf, size_t cap) {
  size_t len = 0;
  for (;;) {
    ssize_t n = read(0, buf + len, cap - len);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      perror("memscan: read stdin");
      exit(2);
    }
    if (n == 0 || (len += (size_t)n) == cap) {
      break;
    }
  }
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ')) {
    buf[--len] = 0;
  }
  if (len == 0 || len == cap) {
    fprintf(stderr, "memscan: expected the client secret on standard input\n");
    exit(2);
  }
  return len;
}

/* The flow. Returns the control: a token kept alive (its plaintext in the library) for the scan. */
static plexctl_token *flow(void) {
  const char *url = env("PLEXCTL_TEST_URL");
  const char *identity = env("PLEXCTL_TEST_IDENTITY");
  const char *client_id = env("PLEXCTL_MEMSCAN_CLIENT_ID");
  unsigned char client_secret[256];
  size_t client_secret_len = read_stdin_secret(client_secret, sizeof client_secret);
  plexctl_client *admin = client(env("PLEXCTL_TEST_TOKEN"), NULL);
  plexctl_client *anonymous = client(NULL, NULL);
  plexctl_client *store = client(NULL, env("PLEXCTL_MEMSCAN_CONFIG"));
  plexctl_token *issued = NULL, *rotated = NULL, *session = NULL, *control = NULL;
  plexctl_service_token *minted = NULL;
  plexctl_logout_outcome *out = NULL;
  char label[32];
  int i;

  keep("client_secret", client_secret, client_secret_len);
  for (i = 0; i < 5; i++) {
    if (plexctl_issue_token(admin, identity, "prod", "1h", &issued) != PLEXCTL_STATUS_OK) {
      die("issue");
    }
    snprintf(label, sizeof label, "issued_%d", i);
    keep_secret(label, plexctl_token_plaintext(issued));
    if (plexctl_rotate_token(admin, plexctl_token_id(issued), &rotated) != PLEXCTL_STATUS_OK) {
      die("rotate");
    }
    snprintf(label, sizeof label, "rotated_%d", i);
    keep_secret(label, plexctl_token_plaintext(rotated));
    plexctl_token_free(rotated);
    plexctl_token_free(issued);
    rotated = issued = NULL;
  }
  for (i = 0; i < 5; i++) {
    if (plexctl_mint_service_token(anonymous, client_id, "client_credentials", client_secret,
                                   client_secret_len, NULL, 0, NULL, &minted) != PLEXCTL_STATUS_OK) {
      die("client_credentials");
    }
    snprintf(label, sizeof label, "access_token_%d", i);
    keep_secret(label, plexctl_service_token_access_token(minted));
    plexctl_service_token_free(minted);
    minted = NULL;
  }
  /* This program's own copy: the caller's to wipe. */
  wipe(client_secret, sizeof client_secret);

  if (plexctl_issue_token(admin, identity, "prod", "1h", &session) != PLEXCTL_STATUS_OK) {
    die("issue the session");
  }
  keep_secret("session", plexctl_token_plaintext(session));
  if (plexctl_store_session(store, "default", url, plexctl_secret_expose(plexctl_token_plaintext(session)),
                            plexctl_secret_len(plexctl_token_plaintext(session)), true) != PLEXCTL_STATUS_OK) {
    die("store the session");
  }
  plexctl_token_free(session);
  if (plexctl_rotate_session(store, &rotated) != PLEXCTL_STATUS_OK) {
    die("rotate the session");
  }
  keep_secret("session_rotated", plexctl_token_plaintext(rotated));
  plexctl_token_free(rotated);
  if (plexctl_logout(store, &out) != PLEXCTL_STATUS_OK || !plexctl_logout_outcome_revoked(out)) {
    die("logout");
  }
  plexctl_logout_outcome_free(out);

  if (plexctl_issue_token(admin, identity, "prod", "1h", &control) != PLEXCTL_STATUS_OK) {
    die("issue the control");
  }
  plexctl_client_free(store);
  plexctl_client_free(anonymous);
  plexctl_client_free(admin);
  return control;
}

/* Counts the matches of each needle in buf[0..n) that start before `limit` (a match starting in
 * the overlap is counted by the next chunk). */
static void count_in(const unsigned char *buf, size_t n, size_t limit) {
  size_t k;
  for (k = 0; k < n_needles; k++) {
    struct needle *nd = &needles[k];
    const unsigned char *p = buf;
    const unsigned char *end = buf + n;
    while ((size_t)(end - p) >= nd->len) {
      const unsigned char *hit = memchr(p, nd->masked[0], (size_t)(end - p) - nd->len + 1);
      if (hit == NULL) {
        break;
      }
      if (memcmp(hit, nd->masked, nd->len) == 0 && (size_t)(hit - buf) < limit) {
        nd->count++;
      }
      p = hit + 1;
    }
  }
}

struct region {
  uint64_t start, end;
};

/* Counts every occurrence of each needle in this process's readable memory. */
static void scan(void) {
  static struct region regions[MAX_REGIONS];
  size_t n_regions = 0, overlap = 1, k, r;
  char line[512];
  unsigned char *buf;
  int mem;
  FILE *maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) {
    perror("memscan: /proc/self/maps");
    exit(2);
  }
  /* The map is read whole first, so the scan's own allocations come before it. */
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long long start, end;
    char perms[8];
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\n') {
      line[--len] = '\0';
    }
    if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) != 3 || perms[0] != 'r' ||
        strstr(line, "[vvar") != NULL || strstr(line, "[vsyscall]") != NULL) {
      continue;
    }
    if (n_regions == MAX_REGIONS) {
      fprintf(stderr, "memscan: more than %d regions\n", MAX_REGIONS);
      exit(2);
    }
    regions[n_regions].start = start;
    regions[n_regions].end = end;
    n_regions++;
  }
  fclose(maps);
  for (k = 0; k < n_needles; k++) {
    if (needles[k].len > overlap) {
      overlap = needles[k].len;
    }
  }
  buf = calloc(1, CHUNK + overlap);
  mem = open("/proc/self/mem", O_RDONLY);
  if (buf == NULL || mem < 0) {
    perror("memscan: /proc/self/mem");
    exit(2);
  }
  for (r = 0; r < n_regions; r++) {
    uint64_t at = regions[r].start;
    while (at < regions[r].end) {
      uint64_t left = regions[r].end - at;
      size_t want = left < CHUNK + overlap ? (size_t)left : CHUNK + overlap;
      ssize_t got = pread(mem, buf, want, (off_t)at);
      size_t i, n;
      if (got <= 0) {
        break;
      }
      n = (size_t)got;
      for (i = 0; i < n; i++) {
        buf[i] ^= MASK;
      }
      count_in(buf, n, n < CHUNK ? n : CHUNK);
      /* The masked chunk holds the secrets unmasked where it covered the needles: gone now. */
      wipe(buf, n);
      at += CHUNK;
    }
  }
  close(mem);
  free(buf);
}

int main(void) {
  plexctl_token *control = flow();
  size_t k, survivors = 0, control_count = 0;
  keep_secret("control", plexctl_token_plaintext(control));
  scan();
  plexctl_token_free(control);
  for (k = 0; k < n_needles; k++) {
    printf("%s %zu\n", needles[k].label, needles[k].count);
    if (strcmp(needles[k].label, "control") == 0) {
      control_count = needles[k].count;
    } else if (needles[k].count > 0) {
      survivors++;
    }
  }
  wipe(needles, sizeof needles);
  if (n_needles != 19) {
    fprintf(stderr, "memscan: %zu secrets scanned, want 19\n", n_needles);
    return 1;
  }
  if (control_count == 0) {
    fprintf(stderr, "memscan: the live control secret was not found: the scan proves nothing\n");
    return 1;
  }
  if (survivors > 0) {
    fprintf(stderr, "memscan: %zu secrets survive in freed memory\n", survivors);
    return 1;
  }
  return 0;
}
