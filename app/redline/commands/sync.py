"""`redline sync` and `redline profile`: sync with the team's shared database.

redline profile add team --host db.example.org --database redline --user ana
redline profile list | use NAME | remove NAME
redline sync login              # ask the password, check it, keep it in the keyring
redline sync                    # push, then pull
redline sync status             # pending and refused changes, the last sync, no network
"""

from __future__ import annotations

import argparse
import getpass
import sys

from redline.commands.common import (
    EXIT_OK,
    Handler,
    Subparsers,
    TerminalProgress,
    cancel_on_interrupt,
    fmt_count,
    open_store,
    print_table,
)
from redline.errors import RedlineError


def register(commands: Subparsers, common: argparse.ArgumentParser) -> dict[str, Handler]:
    p = commands.add_parser(
        "sync",
        parents=[common],
        help="sync with the team's shared database (push, then pull)",
        description="Push your reviews, corrections, proposals, drafts and imported batches "
        "to the shared database, then pull everyone else's. Offline work is never lost.",
    )
    p.add_argument(
        "action",
        nargs="?",
        default="now",
        choices=["now", "status", "login", "logout"],
        help="now (default): sync; status: what is pending; login: store the password in "
        "the keyring; logout: forget it",
    )
    p.add_argument("--profile", metavar="NAME", help="the connection profile (default: active)")
    p.add_argument("--push-only", action="store_true", help="only push")
    p.add_argument("--pull-only", action="store_true", help="only pull")
    p.add_argument(
        "--include-demo",
        action="store_true",
        help="also push demo data (`redline demo`), which is never pushed otherwise",
    )
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )

    p = commands.add_parser("profile", parents=[common], help="shared database profiles")
    actions = p.add_subparsers(dest="profile_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add or replace a profile and make it active")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--host", required=True)
    add.add_argument("--port", default="5432")
    add.add_argument("--database", required=True)
    add.add_argument("--user", required=True, help="your login (also your reviewer name)")
    add.add_argument("--sslmode", default="prefer")
    actions.add_parser("list", help="list profiles")
    use = actions.add_parser("use", help="make a profile the active one")
    use.add_argument("name", metavar="NAME")
    remove = actions.add_parser("remove", help="remove a profile (and its stored password)")
    remove.add_argument("name", metavar="NAME")
    return {"sync": cmd_sync, "profile": cmd_profile}


def ask_password(profile: object, *, from_stdin: bool) -> str:
    """The password for `profile`: stdin, the keyring, or a prompt (saying why)."""
    from redline.profiles import Profile
    from redline.sync.credentials import SESSION_PASSWORDS, keyring_status, password_for

    assert isinstance(profile, Profile)
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    found = password_for(profile)
    if found:
        return found
    status = keyring_status()
    if not status.available:
        print(f"redline: {status.reason}", file=sys.stderr)
    if not sys.stdin.isatty():
        raise RedlineError(
            "no password for this profile and no terminal to ask for it",
            where=profile.where,
            hint="run `redline sync login` once, or pass --password-stdin",
        )
    password = getpass.getpass(f"password for {profile.where}: ")
    SESSION_PASSWORDS.put(profile, password)
    return password


def cmd_sync(args: argparse.Namespace) -> int:
    from redline.profiles import get_profile
    from redline.settings import load_settings
    from redline.sync.connect import check_shared, shared_engine
    from redline.sync.credentials import forget_password, store_password
    from redline.sync.service import SyncContext, sync, sync_status

    settings = load_settings()
    profile = get_profile(settings, args.profile)
    if args.action == "logout":
        forget_password(profile)
        print(f"forgot the stored password of {profile.where}")
        return EXIT_OK
    store = open_store(args, create=True)
    try:
        if args.action == "status":
            status = sync_status(
                store, profile, is_lead=settings.role == "lead", include_demo=args.include_demo
            )
            last = status.last_sync.strftime("%Y-%m-%d %H:%M UTC") if status.last_sync else "never"
            print(f"profile: {profile.name} ({profile.where})")
            print(f"last sync: {last}")
            print(f"pending: {fmt_count(status.pending_total)}")
            for table, n in sorted(status.pending.items()):
                print(f"  {table.replace('_', ' ')}: {fmt_count(n)}")
            if status.refused:
                # Kept here, not sent again until changed (redline.sync.refusals).
                print(f"refused: {fmt_count(len(status.refused))}")
                for line in status.refused:
                    print(f"  {line}")
            return EXIT_OK
        password = ask_password(profile, from_stdin=args.password_stdin)
        shared = shared_engine(profile, password)
        try:
            if args.action == "login":
                info = check_shared(shared, profile, password)
                where = "in the keyring" if store_password(profile, password) else "for now"
                print(
                    f"logged in as {info.user}{' (lead)' if info.is_lead else ''}; "
                    f"password kept {where}"
                )
                return EXIT_OK
            progress = TerminalProgress(sys.stderr)
            ctx = SyncContext(profile, settings.device or "cli", include_demo=args.include_demo)
            with cancel_on_interrupt(progress):
                report = sync(
                    store,
                    shared,
                    ctx,
                    password=password,
                    push=not args.pull_only,
                    pull=not args.push_only,
                    progress=progress,
                )
            progress.clear()
            store_password(profile, password)
        finally:
            shared.dispose()
        kept = len(sync_status(store, profile, include_demo=args.include_demo).refused)
    finally:
        store.dispose()
    print(
        f"pushed {fmt_count(report.total_pushed)}, pulled {fmt_count(report.total_pulled)}"
        + (f", {report.conflicts} conflicts kept in history" if report.conflicts else "")
    )
    for line in report.renamed:
        print(f"renamed: {line}")
    for line in report.refused:
        print(f"refused: {line}", file=sys.stderr)
    if kept:
        print(
            f"{fmt_count(kept)} {'change' if kept == 1 else 'changes'} the shared database "
            f"refused {'is' if kept == 1 else 'are'} kept here, not sent again until changed "
            "(`redline sync status` lists them)",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_profile(args: argparse.Namespace) -> int:
    from redline.profiles import (
        active_profile_name,
        get_profile,
        list_profiles,
        make_profile,
        put_profile,
        remove_profile,
    )
    from redline.settings import load_settings, save_settings
    from redline.sync.credentials import forget_password

    settings = load_settings()
    action = args.profile_action
    if action == "add":
        profile = make_profile(
            args.name,
            host=args.host,
            port=args.port,
            database=args.database,
            user=args.user,
            sslmode=args.sslmode,
        )
        put_profile(settings, profile)
        save_settings(settings)
        print(
            f"profile {profile.name}: {profile.where} (active); "
            "run `redline sync login` to store the password"
        )
    elif action == "list":
        active = active_profile_name(settings)
        rows = [
            ["*" if p.name == active else "", p.name, p.where, p.sslmode]
            for p in list_profiles(settings)
        ]
        if rows:
            print_table(["", "profile", "login", "sslmode"], rows)
        else:
            print("no profiles (add one with `redline profile add`)")
    elif action == "use":
        get_profile(settings, args.name)
        settings.extra["active_profile"] = args.name
        save_settings(settings)
        print(f"active profile: {args.name}")
    elif action == "remove":
        profile = get_profile(settings, args.name)
        forget_password(profile)
        remove_profile(settings, args.name)
        save_settings(settings)
        print(f"removed profile {args.name}")
    return EXIT_OK
