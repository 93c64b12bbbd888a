"""Issue an API token, then rotate it, printing each plaintext exactly once.

    PLEXSPHERE_URL=http://127.0.0.1:8080 PLEXSPHERE_TOKEN=psk_dev_... \
        python issue_and_rotate.py user:0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a2 --env-prefix dev --ttl 1h

The server and bearer token come from --server / --token-file or from PLEXSPHERE_URL /
PLEXSPHERE_TOKEN (a token is never taken on the command line, where `ps` would show it).
Exits with the library's exit code on failure.
"""

from __future__ import annotations

import argparse
import json
import sys

import plexctl


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("identity_ref", help="user:<uuid> or service:<uuid>")
    p.add_argument("--env-prefix", default="dev", help="dev, stage or prod")
    p.add_argument("--ttl", default=None, help="lifetime, e.g. 1h or 24h")
    p.add_argument("--server", default=None, help="server URL (default: $PLEXSPHERE_URL)")
    p.add_argument("--token-file", default=None, help="file holding the bearer token")
    args = p.parse_args(argv)

    try:
        client = plexctl.Client(args.server, token_file=args.token_file)
        issued = client.issue_token(args.identity_ref, args.env_prefix, ttl=args.ttl)
        # to_dict() keeps the plaintext a Secret; default=str prints it masked (psk_dev_****).
        print(json.dumps({"issued": issued.to_dict()}, default=str))
        with issued.plaintext as plaintext:  # wiped when the block ends
            print("# WARNING: this is the only time this plaintext will be displayed")
            print(plaintext.reveal())

        rotated = client.rotate_token(issued.id)
        print(json.dumps({"rotated": rotated.to_dict()}, default=str))
        if not rotated.sunset_agrees:
            print("warning: the Sunset header does not match rotation_deadline", file=sys.stderr)
        with rotated.plaintext as plaintext:
            print("# WARNING: this is the only time this plaintext will be displayed")
            print(plaintext.reveal())
        print(f"the old plaintext keeps working until {rotated.rotation_deadline.isoformat()}")
    except plexctl.Error as e:
        print(f"issue_and_rotate: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
