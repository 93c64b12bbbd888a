"""End the active session: revoke the stored token on its server, then clear its profile.

    python logout.py [--profile staging] [--config ~/.config/plexctl/config.yaml] [--output json]

No active session is a clean no-op (exit 0). Every failure keeps the stored credential so the
logout can be retried: exit 1 (server or transport failure), 2 (the stored token is not a psk),
3 (config file wider than 0600), 4 (permission denied).
"""

from __future__ import annotations

import argparse
import json
import sys

import plexctl


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default=None, help="profile to end (default: the file's default)")
    p.add_argument("--config", default=None, help="config file (default: $PLEXCTL_CONFIG or XDG)")
    p.add_argument("--output", choices=["text", "json"], default="text")
    args = p.parse_args(argv)
    try:
        outcome = plexctl.Client(profile=args.profile, config_path=args.config).logout()
    except plexctl.Error as e:
        print(f"plexctl: {e}", file=sys.stderr)
        return e.exit_code
    if args.output == "json" and outcome.had_session:
        print(json.dumps(outcome.to_dict(), indent=2))
    else:
        print(outcome.text(), file=sys.stdout if outcome.had_session else sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
