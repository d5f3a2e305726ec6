"""The dev CLI: `python -m infra.cli --help`. Commands that touch the stack read `.local/stack.json`,
which `make dev` writes, so they talk to the running emulators."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.stack import DEFAULT_STATE

ROTATION_CURSOR = DEFAULT_STATE.parent / "records-rotate-keys.json"

if TYPE_CHECKING:
    from bloom.users.schemas import UserRecord


def _use_stack(state_file: Path) -> None:
    if not state_file.exists():
        sys.exit(f"no running local stack ({state_file} is missing): start it with `make dev`")
    os.environ.update(json.loads(state_file.read_text())["env"])


def cmd_functions(_: argparse.Namespace) -> None:
    from infra.manifest import load_everything

    for spec in load_everything().values():
        trigger = f"{spec.method} {spec.path}" if spec.kind == "http" else (spec.topic.name if spec.topic else "")
        extra = f" [{spec.cron} {spec.time_zone}]" if spec.cron else ""
        role = f" ({spec.role})" if spec.role else ""
        limits = f" [{', '.join(str(limit) for limit in spec.rate_limits)}]" if spec.rate_limits else ""
        print(f"{spec.name:32} {spec.kind:9} {trigger}{role}{extra}{limits}")


def cmd_manifest(_: argparse.Namespace) -> None:
    from infra.manifest import MANIFEST_PATH, write_manifest

    changed = write_manifest()
    print(
        f"{MANIFEST_PATH.relative_to(Path.cwd()) if MANIFEST_PATH.is_relative_to(Path.cwd()) else MANIFEST_PATH}: "
        f"{'updated' if changed else 'already up to date'}"
    )


def cmd_fire(args: argparse.Namespace) -> None:
    _use_stack(args.state_file)
    from infra.jobs import fire_job
    from infra.manifest import load_everything

    load_everything()
    print(f"fired {args.job}: message {fire_job(args.job)}")


def cmd_publish(args: argparse.Namespace) -> None:
    _use_stack(args.state_file)
    from infra.jobs import publish_event
    from infra.manifest import load_everything

    load_everything()
    print(f"published to {args.topic}: message {publish_event(args.topic, args.payload)}")


def cmd_make_super_admin(args: argparse.Namespace) -> None:
    _use_stack(args.state_file)
    from bloom.core.errors import NotFound
    from bloom.users.service import grant_super_admin

    try:
        user = grant_super_admin(args.email)
    except NotFound:
        sys.exit(f"no Bloom user has the email {args.email}: sign up first (POST /api/v1/user or the frontend)")
    print(f"{args.email} is now a super admin (user id {user.id}). Before super-admin endpoints answer them:")
    print("  1. verify the email address (the frontend sends the verification email; on the local stack the")
    print("     Auth emulator shows the link at /emulator/v1/projects/<project>/oobCodes);")
    print("  2. enrol a second factor (phone) and sign in with it: tokens must carry firebase.sign_in_second_factor")
    print("     (on the local stack, SMS codes are at /emulator/v1/projects/<project>/verificationCodes).")


def cmd_make_practice_admin(args: argparse.Namespace) -> None:
    _use_stack(args.state_file)
    from bloom.core.errors import NotFound
    from bloom.practice.service import grant_practice_admin

    try:
        granted = grant_practice_admin(args.email)
    except NotFound:
        sys.exit(f"no Bloom user has the email {args.email}: sign up first (POST /api/v1/user or the frontend)")
    print(f"{args.email} is {'now' if granted else 'already'} a practice admin (audited as a role change).")
    print("Practice endpoints answer them once they sign in with a second factor (phone).")


def _use_target(args: argparse.Namespace, emulator_variable: str) -> None:
    """Point the SDKs at `--project` (the real service, your gcloud credentials) or at the running local stack."""
    if args.project is None:
        _use_stack(args.state_file)
    elif os.environ.get(emulator_variable):
        sys.exit(f"{emulator_variable} is set: unset it to reach the real service of --project")
    else:
        os.environ["GOOGLE_CLOUD_PROJECT"] = args.project


def _use_pubsub(args: argparse.Namespace) -> str:
    """The project whose dead letters to use: `--project` (real Pub/Sub, your gcloud credentials) or the stack."""
    _use_target(args, "PUBSUB_EMULATOR_HOST")
    from bloom.core.settings import get_settings

    return get_settings().project_id


PEEK_WORKERS = 16


def cmd_dead_letters_list(args: argparse.Namespace) -> None:
    project = _use_pubsub(args)
    from bloom.platform.topics import all_topics
    from infra.dead_letters import peek
    from infra.manifest import load_everything

    load_everything()
    topics = list(all_topics())
    # An empty subscription's pull waits out its timeout: ask every topic at once rather than one after another.
    with ThreadPoolExecutor(max_workers=PEEK_WORKERS) as pool:
        found = list(pool.map(lambda topic: peek(project, topic), topics))
    total = 0
    for topic, letters in zip(topics, found, strict=True):
        total += len(letters)
        if letters:
            print(f"{topic}: {len(letters)} dead letter(s)")
        for letter in letters:
            print(
                f"  event {letter.event_id or '-'}  from {letter.subscription or '?'}  after {letter.attempts or '?'}"
                f" attempts  published {letter.published_at}"
            )
    print(f"{total} dead letter(s) in {project}")


def cmd_dead_letters_replay(args: argparse.Namespace) -> None:
    project = _use_pubsub(args)
    from bloom.platform.topics import all_topics
    from infra.dead_letters import replay
    from infra.manifest import load_everything

    load_everything()
    if args.topic not in all_topics():
        sys.exit(f"no topic named {args.topic!r}: see `python -m infra.cli functions` or terraform/functions.json")
    replayed = replay(project, args.topic)
    for letter in replayed:
        print(f"  replayed event {letter.event_id or '-'} (dead-lettered by {letter.subscription or '?'})")
    print(f"{len(replayed)} message(s) published again to {args.topic} in {project}")


def cmd_secrets(args: argparse.Namespace) -> None:
    from infra.secrets import project_of, set_secrets

    try:
        project = project_of(args.env)
        print(f"Secret values for {args.env} ({project}), typed here, never echoed or stored in a file:")
        changed = set_secrets(project, args.names)
    except (ValueError, RuntimeError) as exc:
        sys.exit(str(exc))
    if changed:
        print("Instances started from now on read the new values; running ones keep theirs until replaced.")


def cmd_seed(args: argparse.Namespace) -> None:
    _use_stack(args.state_file)
    from infra.seed import seed
    from infra.seed_content import seed_content

    print("Demo accounts (docs/development.md, 'Demo data and accounts'):")
    for line in seed():
        print(f"  {line}")
    print("Demo content:")
    for line in seed_content():
        print(f"  {line}")


def cmd_profiles_rebuild(args: argparse.Namespace) -> None:
    _use_target(args, "FIRESTORE_EMULATOR_HOST")
    from tqdm import tqdm

    from bloom.accounts import service as accounts

    partners, content = accounts.rebuild_catalogues()
    print(f"catalogues rewritten: {partners} partner(s), {content} course(s) and resource(s)")
    if args.user is not None:
        print("changed" if accounts.rebuild_profile(args.user) else "already current")
        return
    changed = total = 0
    for _, was_changed in tqdm(accounts.rebuild_all_profiles(), desc="profiles", unit=" users"):
        total += 1
        changed += was_changed
    print(f"{total} profile projection(s) checked, {changed} rewritten")


def cmd_records_rotate_keys(args: argparse.Namespace) -> None:
    _use_target(args, "FIRESTORE_EMULATOR_HOST")
    if args.project is not None and not os.environ.get("KMS_KEY_URI"):
        sys.exit("set KMS_KEY_URI to the records KEK (terraform output records_kek_uri) to reach --project")
    from tqdm import tqdm

    from bloom.platform import crypto
    from infra.records_keys import rotate_keys

    with tqdm(desc="data keys", total=crypto.count_data_keys(), unit=" keys") as bar:
        rotation = rotate_keys(args.cursor_file, advance=bar.update)
    resumed = f" (resumed after {rotation.resumed_after})" if rotation.resumed_after else ""
    print(f"{rotation.rewrapped} data key(s) re-wrapped under the current KEK{resumed}; the search key too")


def cmd_reporting_backfill(args: argparse.Namespace) -> None:
    _use_target(args, "FIRESTORE_EMULATOR_HOST")
    from datetime import date

    from tqdm import tqdm

    from bloom.reporting.backfill import Progress, backfill

    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        sys.exit(f"--from must be a date (YYYY-MM-DD), not {args.start!r}")
    bars: dict[str, Any] = {}  # one tqdm bar per source, then for the days and the months

    def show(progress: Progress) -> None:
        if progress.label not in bars:
            for earlier in bars.values():
                earlier.close()
            unit = " records" if progress.total is None else " " + progress.label
            bars[progress.label] = tqdm(desc=progress.label, total=progress.total, unit=unit)
        bar = bars[progress.label]
        bar.update(progress.done - bar.n)

    state = backfill(start, show)
    for bar in bars.values():
        bar.close()
    print(f"backfill from {start} done: {state.staged} records counted (run it again to rebuild once more)")


def cmd_crm_resync(args: argparse.Namespace) -> None:
    if args.project is None:
        _use_stack(args.state_file)
    elif os.environ.get("FIRESTORE_EMULATOR_HOST"):
        sys.exit("FIRESTORE_EMULATOR_HOST is set: unset it to reach the real Firestore of --project")
    else:
        os.environ["GOOGLE_CLOUD_PROJECT"] = args.project
    from tqdm import tqdm

    from bloom.crm import service as crm
    from bloom.crm.schemas import PROVIDERS

    providers = PROVIDERS if args.provider is None else (args.provider,)
    candidates: Iterable[UserRecord]
    if args.user is not None:
        user = crm.user_by_id(args.user)
        if user is None:
            sys.exit("no such user")
        candidates = [user]
    else:
        candidates = crm.every_user()
    verb = "would sync" if args.dry_run else "sync queued"
    total = stale = 0
    for user, providers_stale in tqdm(
        crm.resync(candidates, providers, dry_run=args.dry_run, force=args.force), desc="users", unit=" users"
    ):
        total += 1
        if providers_stale:
            stale += 1
            tqdm.write(f"{user.id}: {verb} ({', '.join(providers_stale)})")
    print(f"{total} user(s) checked, {stale} {'to sync' if args.dry_run else 'queued'}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.cli", description="Bloom developer commands.")
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE, help="the running stack's state file")
    commands = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Callable[[argparse.Namespace], None]] = {}

    def add(name: str, help_text: str, handler: Callable[[argparse.Namespace], None]) -> argparse.ArgumentParser:
        handlers[name] = handler
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add("functions", "List every registered function with its trigger, role, schedule and rate limits.", cmd_functions)
    add("manifest", "Regenerate terraform/functions.json from the registry.", cmd_manifest)
    fire = add("fire", "Fire a scheduled job now on the running local stack.", cmd_fire)
    fire.add_argument("job", help="the job's function name, e.g. sweep_outbox")
    publish = add("publish", "Publish an event to a topic on the running local stack.", cmd_publish)
    publish.add_argument("topic", help="the topic name, e.g. system.heartbeat")
    publish.add_argument("payload", help='the JSON payload, e.g. \'{"source": "cli"}\'')
    admin = add(
        "make-super-admin", "Make an existing user a super admin on the running local stack.", cmd_make_super_admin
    )
    admin.add_argument("email", help="the user's email")
    practice_admin = add(
        "make-practice-admin",
        "Make an existing user a practice admin on the running local stack.",
        cmd_make_practice_admin,
    )
    practice_admin.add_argument("email", help="the user's email")
    add("seed", "Load the demo partners, accounts and content into the running local stack (idempotent).", cmd_seed)
    secrets = add(
        "secrets",
        "Set secret values of a deployed environment from this terminal (`make secrets ENV=...`).",
        cmd_secrets,
    )
    secrets.add_argument("--env", required=True, help="an environment of terraform/environments, e.g. staging")
    secrets.add_argument("names", nargs="*", help="secrets to set (default: every secret that has no value yet)")
    dead_letters = commands.add_parser(
        "dead-letters",
        help="List or replay the messages Pub/Sub gave up delivering (local stack, or --project PROJECT).",
        description="List or replay the messages Pub/Sub gave up delivering (local stack, or --project PROJECT).",
    )
    actions = dead_letters.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="Show every dead letter (nothing is consumed).")
    listing.set_defaults(handler=cmd_dead_letters_list)
    again = actions.add_parser("replay", help="Publish a topic's dead letters to it again (event ids kept).")
    again.add_argument("topic", help="the original topic, e.g. user.deleted")
    again.set_defaults(handler=cmd_dead_letters_replay)
    for action in (listing, again):
        action.add_argument("--project", help="a GCP project (default: the running local stack)")
    profiles = commands.add_parser(
        "profiles",
        help="Rebuild the profile projections and catalogues from the records (local stack, or --project).",
        description="Rebuild the profile projections and catalogues from the records (local stack, or --project).",
    )
    profile_actions = profiles.add_subparsers(dest="action", required=True)
    rebuild = profile_actions.add_parser(
        "rebuild", help="Rewrite the catalogues, then every user's projection that differs (resumable: run again)."
    )
    rebuild.add_argument("--user", help="only this account (its Firebase uid = user document id)")
    rebuild.add_argument("--project", help="a GCP project (default: the running local stack)")
    rebuild.set_defaults(handler=cmd_profiles_rebuild)
    reporting = commands.add_parser(
        "reporting", help="Reporting counters.", description="Reporting counters (docs/reporting.md)."
    )
    reporting_actions = reporting.add_subparsers(dest="action", required=True)
    rebuild = reporting_actions.add_parser(
        "backfill", help="Rebuild the counters from the stored records (batched, resumable: run it again to resume)."
    )
    rebuild.add_argument("--from", dest="start", required=True, help="the first day to rebuild, YYYY-MM-DD")
    rebuild.add_argument("--project", help="a GCP project (default: the running local stack)")
    rebuild.set_defaults(handler=cmd_reporting_backfill)
    records = commands.add_parser("records", help="Clinical records' keys.", description="Clinical records' keys.")
    records_actions = records.add_subparsers(dest="action", required=True)
    rotate = records_actions.add_parser(
        "rotate-keys",
        help="Re-wrap every data key under the KEK's current primary (resumable: run again after a stop).",
    )
    rotate.add_argument("--project", help="a GCP project (default: the running local stack); needs KMS_KEY_URI")
    rotate.add_argument(
        "--cursor-file", type=Path, default=ROTATION_CURSOR, help="where the progress is kept between runs"
    )
    rotate.set_defaults(handler=cmd_records_rotate_keys)
    crm = commands.add_parser(
        "crm",
        help="Bring Crisp and Mailchimp profiles up to date after an outage or a change (local stack, or --project).",
        description="Bring Crisp and Mailchimp profiles up to date after an outage or a change.",
    )
    crm_actions = crm.add_subparsers(dest="action", required=True)
    resync = crm_actions.add_parser(
        "resync",
        help="Queue a sync for every profile whose state differs from what was last written (resumable: run again).",
    )
    who = resync.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="one user (their public id)")
    who.add_argument("--all", action="store_true", help="every user, a page at a time")
    resync.add_argument("--provider", choices=("crisp", "mailchimp"), help="only this provider (default: both)")
    resync.add_argument("--dry-run", action="store_true", help="list what would be synced; change nothing")
    resync.add_argument(
        "--force", action="store_true", help="sync even profiles that look current (a provider lost data)"
    )
    resync.add_argument("--project", help="a GCP project (default: the running local stack)")
    resync.set_defaults(handler=cmd_crm_resync)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()
