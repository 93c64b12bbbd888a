"""Preview, then trigger, a Node's mesh-key rotation.

    PLEXSPHERE_URL=http://127.0.0.1:8080 PLEXSPHERE_TOKEN=psk_dev_... \
        python rotate_node_keys.py 0190a8c0-1234-7a0a-8a0a-a0a0a0a0a0a3 [--dry-run]

A second trigger while a rotation is pending is success with already_pending=true.
Exit codes: 4 node not found, 77 denied by the ReBAC authorizer, 1 other failures.
"""

from __future__ import annotations

import argparse
import json
import sys

import plexctl


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("node_id")
    p.add_argument("--dry-run", action="store_true", help="only preview the impact")
    p.add_argument("--server", default=None, help="server URL (default: $PLEXSPHERE_URL)")
    p.add_argument("--token-file", default=None, help="file holding the bearer token")
    args = p.parse_args(argv)

    try:
        client = plexctl.Client(args.server, token_file=args.token_file)
        preview = client.preview_node_key_rotation(args.node_id)
        print(json.dumps({"preview": preview.to_dict()}))
        if args.dry_run:
            return 0
        trigger = client.rotate_node_keys(args.node_id)
        print(json.dumps({"trigger": trigger.to_dict()}))
    except plexctl.RebacDenied as e:
        print(f"rotate_node_keys: denied ({e.reason}, correlation id {e.correlation_id})",
              file=sys.stderr)
        return e.exit_code
    except plexctl.Error as e:
        print(f"rotate_node_keys: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
