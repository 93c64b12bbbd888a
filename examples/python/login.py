"""Log in with a device code, then show the session's status.

    PLEXSPHERE_URL=https://plexsphere.example.com \\
        python login.py 0190a8b9-1234-7a0a-8a0a-a0a0a0a0a0a1 [--idp-binding-alias github] \\
        [--profile work] [--default] [--config ~/.config/plexctl/config.yaml] [--give-up-after 300] \\
        [--output json]

The code and the URL to open go to stderr; once the login is approved in a browser, the outcome
and the status go to stdout. The status is what the next plexctl call would use: a
PLEXSPHERE_TOKEN in the environment wins over the profile the login wrote.

Ctrl-C stops the waiting at once (exit 130); --give-up-after stops it after that many seconds
(exit 1). Other failures exit with the library's code: 4 when the login was denied, 1 when the
code expired, 2 for a malformed domain or binding id, 3 without a server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import plexctl


def show_code(auth: plexctl.DeviceAuthorization) -> None:
    """What the user needs: where to go and which code to enter (never the device code)."""
    print(auth.text(), file=sys.stderr)
    print(f"Waiting for approval (the code expires in {auth.expires_in} s; Ctrl-C to stop)...", file=sys.stderr)
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("domain", help="the Domain to authenticate against (a UUID)")
    p.add_argument("--idp-binding-id", default=None, help="the IdP binding, by id")
    p.add_argument("--idp-binding-alias", default=None, help="the IdP binding, by alias (e.g. github)")
    p.add_argument("--profile", default="default", help="the profile to save the session in")
    p.add_argument("--default", action="store_true", help="make the profile the file's default")
    p.add_argument("--server", default=None, help="server URL (default: $PLEXSPHERE_URL)")
    p.add_argument("--config", default=None, help="config file (default: $PLEXCTL_CONFIG or XDG)")
    p.add_argument("--give-up-after", type=float, default=None, help="stop waiting after this many seconds")
    p.add_argument("--output", choices=["text", "json"], default="text")
    args = p.parse_args(argv)

    # Asked between polls, while the polling waits: keep it quick.
    stop: Callable[[], bool] | None = None
    if args.give_up_after is not None:
        give_up = time.monotonic() + args.give_up_after
        stop = lambda: time.monotonic() > give_up  # noqa: E731

    try:
        client = plexctl.Client(args.server, config_path=args.config)
        outcome = client.login(
            args.domain,
            profile=args.profile,
            make_default=args.default,
            idp_binding_id=args.idp_binding_id,
            idp_binding_alias=args.idp_binding_alias,
            on_code=show_code,
            cancelled=stop,
        )
        status = plexctl.Client(profile=outcome.profile, config_path=args.config).status()
    except KeyboardInterrupt:
        print("login: interrupted", file=sys.stderr)
        return 130
    except plexctl.SessionNotSavedError as e:
        # The session exists on the server but could not be saved: show it once rather than lose it.
        print(f"login: {e}", file=sys.stderr)
        if e.plaintext is not None:
            with e.plaintext as token:  # wiped when the block ends
                print("# WARNING: this is the only time this session token will be displayed")
                print(token.reveal())
        return e.exit_code
    except plexctl.Error as e:
        print(f"login: {e}", file=sys.stderr)
        return e.exit_code

    if args.output == "json":
        print(json.dumps({"login": outcome.to_dict(), "status": status.to_dict()}, indent=2))
    else:
        print(outcome.text())
        print(status.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
