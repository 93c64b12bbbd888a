"""Mint a service access token with the client_credentials or jwt-bearer grant.

    PLEXSPHERE_URL=http://127.0.0.1:8080 PLEXCTL_CLIENT_SECRET=... \
        python service_token.py --client-id svc-123 --grant-type client_credentials

The client secret comes from $PLEXCTL_CLIENT_SECRET or --client-secret-file, the JWT assertion
from --client-assertion-file (never from the command line). The grant needs no bearer token.
With --source, the token is taken from a ServiceTokenSource, which mints again shortly before
expiry; a long-running program keeps one source and calls token() before each request.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import plexctl


def read_secret(path: str | None) -> plexctl.Secret | None:
    if path is None:
        return None
    # A bytearray can be cleared once the Secret holds its own copy.
    raw = bytearray(Path(path).read_bytes().strip())
    try:
        return plexctl.Secret(raw)
    finally:
        raw[:] = bytes(len(raw))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--client-id", required=True)
    p.add_argument("--grant-type", required=True,
                   help="client_credentials or urn:ietf:params:oauth:grant-type:jwt-bearer")
    p.add_argument("--client-secret-file", default=None)
    p.add_argument("--client-assertion-file", default=None)
    p.add_argument("--scope", default=None)
    p.add_argument("--server", default=None, help="server URL (default: $PLEXSPHERE_URL)")
    p.add_argument("--source", action="store_true", help="use a refreshing ServiceTokenSource")
    p.add_argument("--reveal", action="store_true", help="print the access token itself")
    args = p.parse_args(argv)

    secret = read_secret(args.client_secret_file)
    if secret is None and "PLEXCTL_CLIENT_SECRET" in os.environ:
        secret = plexctl.Secret(os.environ["PLEXCTL_CLIENT_SECRET"])
    assertion = read_secret(args.client_assertion_file)
    try:
        client = plexctl.Client(args.server)
        if args.source:
            source = plexctl.ServiceTokenSource(
                client, args.client_id, args.grant_type,
                client_secret=secret, client_assertion=assertion, scope=args.scope,
            )
            access = source.token()
            print(json.dumps({"access_token": str(access)}))
        else:
            minted = client.mint_service_token(
                args.client_id, args.grant_type,
                client_secret=secret, client_assertion=assertion, scope=args.scope,
            )
            print(json.dumps(minted.to_dict(), default=str))
            access = minted.access_token
        if args.reveal:
            with access:
                print(access.reveal())
    except plexctl.Error as e:
        print(f"service_token: {e}", file=sys.stderr)
        return e.exit_code
    finally:
        for s in (secret, assertion):
            if s is not None:
                s.wipe()
    return 0


if __name__ == "__main__":
    sys.exit(main())
