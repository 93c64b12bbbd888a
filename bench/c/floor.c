/* The raw-socket floor of bench/run (subject c-socket): one kept-alive TCP connection, each
 * operation's request bytes written as they are, each answer read by its Content-Length into one
 * reused buffer, nothing decoded. What no client can beat on this machine. Prints JSON lines. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "measure.h"

static int sock;
static char host[64];
static char *buf;
static size_t cap = 8u << 20;
static size_t body_at, body_len; /* the last answer's body within buf */

static void die(const char *what) {
  perror(what);
  exit(1);
}

/* Writes `req` and reads one answer: the head, then Content-Length bytes of body. */
static void exchange(const char *req, size_t len) {
  for (size_t off = 0; off < len;) {
    ssize_t n = write(sock, req + off, len - off);
    if (n <= 0) die("write");
    off += (size_t)n;
  }
  size_t have = 0, head = 0;
  while (head == 0) {
    ssize_t n = read(sock, buf + have, cap - have);
    if (n <= 0) die("read");
    have += (size_t)n;
    for (size_t i = 3; i < have; i++)
      if (buf[i - 3] == '\r' && buf[i - 2] == '\n' && buf[i - 1] == '\r' && buf[i] == '\n') {
        head = i + 1;
        break;
      }
  }
  if (strncmp(buf + 9, "2", 1) != 0) {
    fprintf(stderr, "c-socket: %.*s\n", 12, buf);
    exit(1);
  }
  size_t length = 0;
  for (char *line = strstr(buf, "\r\n") + 2; line < buf + head - 2; line = strstr(line, "\r\n") + 2)
    if (strncasecmp(line, "content-length:", 15) == 0) length = strtoul(line + 15, NULL, 10);
  if (head + length > cap) die("answer larger than the buffer");
  while (have < head + length) {
    ssize_t n = read(sock, buf + have, cap - have);
    if (n <= 0) die("read body");
    have += (size_t)n;
  }
  body_at = head;
  body_len = length;
}

typedef struct {
  char *bytes;
  size_t len;
} request;

static request make(const char *method, const char *path, const char *token, const char *body) {
  request r;
  size_t blen = body ? strlen(body) : 0;
  r.bytes = malloc(1024 + blen);
  int n = snprintf(r.bytes, 1024, "%s %s HTTP/1.1\r\nhost: %s\r\naccept: application/json\r\n", method, path, host);
  if (token) n += snprintf(r.bytes + n, 1024 - (size_t)n, "authorization: Bearer %s\r\n", token);
  if (body) n += snprintf(r.bytes + n, 1024 - (size_t)n, "content-type: application/json\r\n");
  n += snprintf(r.bytes + n, 1024 - (size_t)n, "content-length: %zu\r\n\r\n", blen);
  if (body) memcpy(r.bytes + n, body, blen);
  r.len = (size_t)n + blen;
  return r;
}

static request list10, list10k, issue, rotate, preview, grant;

static void op_list10(void) { exchange(list10.bytes, list10.len); }
static void op_list10k(void) { exchange(list10k.bytes, list10k.len); }
static void op_rotate(void) { exchange(rotate.bytes, rotate.len); }
static void op_preview(void) { exchange(preview.bytes, preview.len); }
static void op_grant(void) { exchange(grant.bytes, grant.len); }
static void op_issue_delete(void) {
  exchange(issue.bytes, issue.len);
  /* The id is the 36 characters after "id":" : located, not decoded. */
  char *at = memmem(buf + body_at, body_len, "\"id\":\"", 6);
  if (at == NULL) die("no id in the issued token");
  char req[512];
  int n = snprintf(req, sizeof req, "DELETE /v1/auth/tokens/%.36s HTTP/1.1\r\nhost: %s\r\nauthorization: Bearer %s\r\n\r\n",
                   at + 6, host, env("BENCH_TOKEN"));
  exchange(req, (size_t)n);
}


int main(void) {
  int n = atoi(env("BENCH_N"));
  const char *url = env("BENCH_URL");
  int port;
  if (sscanf(url, "http://%63[^:]:%d", host, &port) != 2) {
    fprintf(stderr, "c-socket: expected http://host:port, got %s\n", url);
    return 2;
  }
  snprintf(host + strlen(host), sizeof host - strlen(host), ":%d", port);
  buf = malloc(cap);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sock = socket(AF_INET, SOCK_STREAM, 0);
  if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
  int one = 1;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  const char *token = env("BENCH_TOKEN");
  char path[256], body[512];
  list10 = make("GET", "/v1/auth/tokens", token, NULL);
  list10k = make("GET", "/v1/auth/tokens", env("BENCH_BIG_TOKEN"), NULL);
  snprintf(body, sizeof body, "{\"identity_ref\":\"%s\",\"env_prefix\":\"dev\"}", env("BENCH_IDENTITY"));
  issue = make("POST", "/v1/auth/tokens", token, body);
  snprintf(path, sizeof path, "/v1/auth/tokens/%s/rotate", env("BENCH_ROTATE_ID"));
  rotate = make("POST", path, token, NULL);
  snprintf(path, sizeof path, "/v1/nodes/%s/keys/rotate/preview", env("BENCH_NODE"));
  preview = make("GET", path, token, NULL);
  snprintf(body, sizeof body, "{\"grant_type\":\"client_credentials\",\"client_id\":\"%s\",\"client_secret\":\"%s\"}",
           env("BENCH_CLIENT_ID"), env("BENCH_CLIENT_SECRET"));
  grant = make("POST", "/v1/auth/service/token", NULL, body);
  for (int round = 0; round < 2; round++) {
    report("c-socket", "list10", n, op_list10);
    report("c-socket", "issue+delete", n, op_issue_delete);
    report("c-socket", "rotate", n, op_rotate);
    report("c-socket", "preview", n, op_preview);
    report("c-socket", "grant", n, op_grant);
    report("c-socket", "list10k", n / 10 > 20 ? n / 10 : 20, op_list10k);
  }
  close(sock);
  return 0;
}
