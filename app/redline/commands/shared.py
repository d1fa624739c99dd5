"""`redline shared`: set up the team's shared database (a lead's admin tasks).

    redline shared init [--profile ADMIN]           # create or migrate schema, roles, RLS
    redline shared add-user NAME --role reviewer|lead [--reset-password]
    redline shared verify-audit                     # recompute the audit hash chain

The profile's login must own the database and have CREATEROLE (or be a superuser).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from redline.commands.common import EXIT_ERROR, EXIT_OK, Handler, Subparsers, fmt_count
from redline.errors import RedlineError


def register(commands: Subparsers, common: argparse.ArgumentParser) -> dict[str, Handler]:
    p = commands.add_parser(
        "shared",
        parents=[common],
        help="set up the shared database (lead): init, add-user, verify-audit",
    )
    p.add_argument("--profile", metavar="NAME", help="an admin login's profile (default: active)")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read passwords from stdin, one per line (admin's first, then the new user's)",
    )
    actions = p.add_subparsers(dest="shared_action", metavar="ACTION", required=True)
    actions.add_parser("init", help="create or migrate the schema, roles, GRANTs, RLS, triggers")
    add = actions.add_parser("add-user", help="create a login (or reset its password/role)")
    add.add_argument("name", metavar="NAME", help="the login, also the reviewer name")
    add.add_argument("--role", choices=["reviewer", "lead"], required=True)
    add.add_argument(
        "--reset-password",
        action="store_true",
        help="the login exists: give it this new password and role (else refused)",
    )
    actions.add_parser("verify-audit", help="check the audit chain for tampering")
    return {"shared": cmd_shared}


def cmd_shared(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from redline.commands.sync import ask_password
    from redline.profiles import get_profile
    from redline.settings import load_settings
    from redline.sync.connect import connection_error, shared_engine
    from redline.sync.server import add_user, verify_audit
    from redline.sync.shared import init_shared

    profile = get_profile(load_settings(), args.profile)
    password = ask_password(profile, from_stdin=args.password_stdin)
    # `init` migrates, which may rightly outlast the sync's statement timeout.
    engine = shared_engine(profile, password, timeouts=args.shared_action != "init")
    try:
        if args.shared_action == "init":
            report = init_shared(engine, where=profile.where)
            before = report.before or "empty"
            print(
                f"shared database {profile.where}: schema {before} -> {report.after}, "
                f"roles, GRANTs, row-level security and triggers v{report.objects_version}"
            )
        elif args.shared_action == "add-user":
            if args.password_stdin:
                new_password = sys.stdin.readline().rstrip("\n")
            else:
                new_password = getpass.getpass(f"password for the new login {args.name}: ")
                if new_password != getpass.getpass("again: "):
                    raise RedlineError("the two passwords differ; nothing was changed")
            if len(new_password) < 8:
                raise RedlineError("the password is shorter than 8 characters")
            created = add_user(
                engine, args.name, args.role, new_password, reset_password=args.reset_password
            )
            print(f"{'created' if created else 'updated'} login {args.name} ({args.role})")
        else:
            with engine.connect() as conn:
                check = verify_audit(conn)
            print(f"{fmt_count(check.events)} audit events checked")
            for problem in check.problems:
                print(f"TAMPERED: {problem}")
            return EXIT_OK if check.intact else EXIT_ERROR
    except DBAPIError as exc:
        raise connection_error(exc, profile, password) from None
    finally:
        engine.dispose()
    return EXIT_OK
