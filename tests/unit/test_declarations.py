"""What each function declares it does (capabilities, topics emitted) is what its code can do, no more, no less.

Terraform grants IAM from these declarations only (`terraform/functions.tf`), so a missing declaration is a
function that fails in production with a 403 from Google, and a superfluous one is a privilege nobody needs.

The reference is the static call graph of `tests/support/callgraph.py`, not the import graph: every signed-in
route imports `bloom.users.firebase_accounts` (through `bloom.api` → `bloom.users.service`), but only the routes
whose handler can call into it manage accounts. `bloom.api.authenticate` is a root of every HTTP function, so
whatever the toolkit's authentication calls counts too.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bloom.core.errors import ErrorSpec
from bloom.platform.http import documented_errors
from bloom.platform.registry import Capability, FunctionSpec, Role, Sdk
from bloom.platform.request_body import ERRORS as BODY_ERRORS
from bloom.platform.webhook_verification import ERRORS as WEBHOOK_ERRORS
from infra.manifest import build_manifest, event_topics
from tests.support.callgraph import CallGraph, Node
from tests.support.reach import AUTHENTICATE, SPECS, graph, hands_off, reached, roots

ACCOUNTS_MODULE = "bloom.users.firebase_accounts"
SWEEP = Node("bloom.platform.store.outbox", "sweep")
# The one `uow.emit(topic, ...)` whose topic is a variable: a webhook receiver handing a delivery to its worker.
# The receiver's declaration carries that topic (`webhook_function` sets `emits`), checked below.
HAND_OFF = Node("bloom.platform.webhooks", "Webhook._hand_off")


# --- the analysis itself --------------------------------------------------------------------------------------


def test_the_only_emit_with_a_variable_topic_is_the_webhook_hand_off() -> None:
    """Every other `emit` names a module-level Topic, which the analysis resolves; a new dynamic one must be
    understood (and this test extended) before declarations can be checked against it."""
    assert graph().dynamic_emits == {HAND_OFF}


def test_the_call_graph_follows_aliases_methods_and_callbacks(tmp_path: Path) -> None:
    """The analysis on a small package: what it must find, and what it must not."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    sources = {
        "accounts.py": "def delete(uid):\n    return uid\n",
        "service.py": """
            from pkg import accounts as acc
            from pkg.accounts import delete as remove_account

            class Work:
                def run(self, work):
                    return work(self)

            def erase(uid):
                def work(uow):
                    acc.delete(uid)
                return Work().run(work)

            def erase_again(uid):
                return remove_account(uid)

            def read(uid):
                return uid
        """,
        "entry.py": """
            from pkg import service

            def delete_route(ctx):
                return service.erase(ctx)

            def delete_route_2(ctx):
                return service.erase_again(ctx)

            def read_route(ctx):
                return service.read(ctx)
        """,
    }
    for name, text in sources.items():
        (package / name).write_text(textwrap.dedent(text))
    calls = CallGraph([(tmp_path, "pkg")])
    target = Node("pkg.accounts", "delete")

    assert target in calls.reachable([Node("pkg.entry", "delete_route")])
    assert target in calls.reachable([Node("pkg.entry", "delete_route_2")])
    assert target not in calls.reachable([Node("pkg.entry", "read_route")])


# --- capabilities -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda spec: spec.name)
def test_a_function_manages_firebase_accounts_exactly_when_it_declares_it(spec: FunctionSpec) -> None:
    calls = sorted(str(node) for node in reached(spec) if node.module == ACCOUNTS_MODULE)
    declared = Capability.FIREBASE_AUTH_ADMIN in spec.deployment.uses
    assert declared == bool(calls), (
        f"{spec.name} can call {calls}: declare uses=(Capability.FIREBASE_AUTH_ADMIN,)"
        if calls
        else f"{spec.name} declares FIREBASE_AUTH_ADMIN but its code never manages an account"
    )
    if declared:
        assert Sdk.FIREBASE_AUTH in spec.deployment.sdks, spec.name


def test_the_account_managers_are_the_expected_ones() -> None:
    """The derived set, written out once: a change to it is a change of who may manage accounts."""
    managers = {name for name, spec in SPECS.items() if Capability.FIREBASE_AUTH_ADMIN in spec.deployment.uses}
    assert managers == {
        "create_user",
        "update_user",
        "admin_update_user",
        "delete_user",
        "delete_user_by_id",
        "delete_cypress_users",
        "create_partner_admin_user",
        "create_therapist",
        "disable_user",
        "enable_user",
    }


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda spec: spec.name)
def test_a_function_sweeps_the_outbox_exactly_when_it_declares_it(spec: FunctionSpec) -> None:
    assert (Capability.OUTBOX_SWEEP in spec.deployment.uses) == (SWEEP in reached(spec)), spec.name


# --- topics ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda spec: spec.name)
def test_a_function_declares_exactly_the_topics_its_code_emits(spec: FunctionSpec) -> None:
    nodes = reached(spec)
    emitted = {topic for node in nodes for topic in graph().topic_emits.get(node, set())}
    worker = hands_off(spec)
    if worker is not None:
        assert worker.topic is not None
        emitted.add(worker.topic.name)
    assert {topic.name for topic in spec.deployment.emits} == emitted, spec.name


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda spec: spec.name)
def test_a_function_loads_the_pubsub_sdk_exactly_when_it_publishes(spec: FunctionSpec) -> None:
    publishes = bool(spec.deployment.emits) or Capability.OUTBOX_SWEEP in spec.deployment.uses
    assert (Sdk.PUBSUB in spec.deployment.sdks) == publishes, spec.name
    if publishes:
        assert Sdk.FIRESTORE in spec.deployment.sdks, f"{spec.name} publishes through the outbox, which is in Firestore"


def test_the_manifest_grants_publishing_from_declarations_and_never_to_job_topics() -> None:
    manifest = {fn["name"]: fn for fn in build_manifest()["functions"]}
    jobs = {spec.topic.name for spec in SPECS.values() if spec.kind == "scheduled" and spec.topic is not None}
    everything = set(event_topics(SPECS))
    assert jobs and not jobs & everything
    for name, spec in SPECS.items():
        publishes = set(manifest[name]["publishes"])
        assert not publishes & jobs, f"{name} may publish to a job topic: only Cloud Scheduler does"
        expected = (
            everything
            if Capability.OUTBOX_SWEEP in spec.deployment.uses
            else {topic.name for topic in spec.deployment.emits}
        )
        assert publishes == expected, name
        assert manifest[name]["uses"] == sorted(capability.value for capability in spec.deployment.uses), name


# --- buckets and signing ---------------------------------------------------------------------------------------

OBJECT_STORE = Node("bloom.files.backends", "object_store")  # the one way to the bucket's objects
# The use cases that sign (a class reference makes all its methods reachable, so the signing methods of the
# stores cannot tell a signer from a function that only reads or deletes objects).
SIGNERS = {
    Node("bloom.files.service", "create_upload"),
    Node("bloom.files.service", "download_link"),
    Node("bloom.files.service", "download_url"),
    Node("bloom.identity.firebase_tokens", "custom_token"),
}


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda spec: spec.name)
def test_a_function_signs_as_itself_exactly_when_it_declares_it(spec: FunctionSpec) -> None:
    assert (Capability.SIGN_AS_SELF in spec.deployment.uses) == bool(SIGNERS & reached(spec)), spec.name


@pytest.mark.parametrize("spec", SPECS.values(), ids=lambda spec: spec.name)
def test_a_function_touches_the_uploads_bucket_exactly_when_it_declares_it(spec: FunctionSpec) -> None:
    touches = OBJECT_STORE in reached(spec)
    assert (Capability.UPLOADS_BUCKET in spec.deployment.uses) == touches, spec.name
    if touches:
        assert Sdk.STORAGE in spec.deployment.sdks, spec.name


# --- errors ---------------------------------------------------------------------------------------------------

# Where the call graph over-approximates: the error cannot happen on this route although the function raising it
# is reached (one function serves two routes and raises it on the other's path only).
NOT_ON_THIS_PATH = {
    ("remove_reaction", "TOO_MANY_REACTIONS"): "react() raises it when adding a reaction only",
    # Leaving the waitlist passes a released offer on; an offer that cannot be held is caught (offered to nobody).
    ("leave_waitlist", "NOT_A_SLOT"): "waitlist.service._offer_in catches it",
    ("leave_waitlist", "SLOT_TAKEN"): "waitlist.service._offer_in catches it",
}


def toolkit_errors(spec: FunctionSpec) -> set[ErrorSpec]:
    """The errors the toolkit documents on its own for this route (`infra/openapi.py`): 401 (and 403 for roles
    beyond a user) from authentication, 413/415 for a body, 503 contention, a webhook scheme's refusals."""
    own = set(documented_errors((), uses_firestore=Sdk.FIRESTORE in spec.deployment.sdks))
    if spec.role not in (Role.PUBLIC, Role.WEBHOOK):
        signing_in = {error for node in graph().reachable([AUTHENTICATE]) for error in graph().error_refs.get(node, ())}
        own |= {
            error for error in signing_in if error.status == 401 or (error.status == 403 and spec.role != Role.USER)
        }
    if spec.body is not None:
        own |= set(BODY_ERRORS)
    if spec.role == Role.WEBHOOK:
        own |= {*WEBHOOK_ERRORS, *spec.extra["verify"].errors}
    return own


@pytest.mark.parametrize("spec", [spec for spec in SPECS.values() if spec.kind == "http"], ids=lambda spec: spec.name)
def test_a_route_declares_exactly_the_errors_its_code_can_raise(spec: FunctionSpec) -> None:
    """`errors=` is what the OpenAPI document lists: every error the handler's code can raise, and no other."""
    handler_roots = [node for node in roots(spec) if node != AUTHENTICATE]
    nodes = graph().reachable(handler_roots)
    raised = {error for node in nodes for error in graph().error_refs.get(node, ())} - toolkit_errors(spec)
    raised = {error for error in raised if (spec.name, error.message) not in NOT_ON_THIS_PATH}
    declared = set(spec.errors) - toolkit_errors(spec)
    assert sorted(error.message for error in raised - declared) == [], f"{spec.name} does not declare these"
    assert sorted(error.message for error in declared - raised) == [], f"{spec.name} cannot raise these"
