"""The Terraform in terraform/ is driven by functions.json alone, and that manifest is fresh and deployable."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import hcl2
import pytest

from infra.manifest import MANIFEST_PATH, render_manifest
from tests.support.terraform import TERRAFORM, TEST_VARS, TF_FILES
from tests.support.terraform import console_result as _console_result
from tests.support.terraform import evaluate as _evaluate  # the helpers' names in this module's tests
from tests.support.terraform import function_member as _function_member
from tests.support.terraform import locals_text as _locals
from tests.support.terraform import manifest as _manifest
from tests.support.terraform import parsed as _parsed
from tests.support.terraform import profiles_of as _profiles_of
from tests.support.terraform import resource as _resource
from tests.support.terraform import resources as _resources
from tests.support.terraform import unquote as _unquote

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# --skip-download: offline, no calls to the Prisma Cloud platform for guidelines or custom policies.
CHECKOV_ARGS = ("--framework", "terraform", "--quiet", "--compact", "-o", "json", "--skip-download")

FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,61}[a-z0-9]$")
SERVICE_ACCOUNT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
TOPIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$")
LOCAL_REF = re.compile(r"local\.([A-Za-z_][A-Za-z0-9_-]*)")

# Resource type -> the local its single block must iterate over.
MANIFEST_DRIVEN = {
    "google_cloudfunctions2_function": "functions",
    "google_pubsub_topic": "pubsub_topics",
    "google_cloud_scheduler_job": "scheduled_functions",
    "google_firestore_index": "indexes",
}


def _derives_from_manifest(name: str, expressions: dict[str, str], seen: frozenset[str] = frozenset()) -> bool:
    expression = expressions.get(name, "")
    if "functions.json" in expression:
        return True
    return any(
        _derives_from_manifest(ref, expressions, seen | {name})
        for ref in LOCAL_REF.findall(expression)
        if ref not in seen and ref != name
    )


def _resources_of(rtype: str) -> dict[str, dict[str, Any]]:
    return {name: body for kind, name, body in _resources() if kind == rtype}


def _manifest_functions() -> dict[str, dict[str, Any]]:
    return {fn["name"]: fn for fn in _manifest()["functions"]}


def _declared_grants(fn: dict[str, Any]) -> dict[str, Any]:
    """What a function's manifest entry asks IAM for, read from its own fields."""
    return {
        "firestore": "google.cloud.firestore" in fn["sdks"],
        "publishes": sorted(fn["publishes"]),
        "secrets": sorted(fn["secrets"]),
        "uses": sorted(fn["uses"]),
    }


# --- 1. syntax -------------------------------------------------------------------------------------


def test_terraform_files_exist() -> None:
    names = {path.name for path in TF_FILES}
    assert {"versions.tf", "variables.tf", "main.tf", "outputs.tf"} <= names


@pytest.mark.parametrize("path", TF_FILES, ids=lambda path: path.name)
def test_tf_file_parses(path: Path) -> None:
    with path.open() as handle:
        document = hcl2.load(handle)
    assert isinstance(document, dict)


# --- 2. consistency with the manifest ------------------------------------------------------------


def test_manifest_is_fresh() -> None:
    assert MANIFEST_PATH.read_text() == render_manifest(), (
        "terraform/functions.json is stale: run `make manifest` and commit the result"
    )


def test_manifest_local_reads_functions_json() -> None:
    expressions = _locals()
    assert 'jsondecode(file("${path.module}/functions.json"))' in expressions["manifest"]


@pytest.mark.parametrize(("rtype", "local_name"), sorted(MANIFEST_DRIVEN.items()))
def test_manifest_driven_resource_is_one_for_each_block(rtype: str, local_name: str) -> None:
    blocks = [(name, body) for kind, name, body in _resources() if kind == rtype]
    assert len(blocks) == 1, f"expected exactly one {rtype} block, found {[name for name, _ in blocks]}"
    name, body = blocks[0]
    for_each = body.get("for_each")
    assert isinstance(for_each, str), f"{rtype}.{name} must use for_each"
    assert for_each == f"${{local.{local_name}}}", f"{rtype}.{name} iterates over {for_each}"
    assert _derives_from_manifest(local_name, _locals()), f"local.{local_name} is not derived from functions.json"


def test_every_manifest_collection_resource_uses_for_each() -> None:
    """Resources naming per-function/topic/job/index things are never written once per item."""
    per_item = {*MANIFEST_DRIVEN, "google_firestore_field", "google_secret_manager_secret", "google_service_account"}
    expressions = _locals()
    singletons = {("google_service_account", name) for name in ("build", "gateway", "push")}
    for rtype, name, body in _resources():
        if rtype not in per_item or (rtype, name) in singletons:
            continue
        for_each = body.get("for_each")
        assert isinstance(for_each, str), f"{rtype}.{name} must use for_each"
        refs = LOCAL_REF.findall(for_each)
        assert refs, f"{rtype}.{name} for_each must iterate over a local derived from functions.json"
        assert all(_derives_from_manifest(ref, expressions) for ref in refs), f"{rtype}.{name}: {for_each}"


def test_no_manifest_item_is_hard_coded() -> None:
    manifest = _manifest()
    text = json.dumps(list(_parsed().values()))
    names: set[str] = set()
    for fn in manifest["functions"]:
        names |= {fn["name"], fn["deploy_name"], fn["entry_point"]}
        if fn["schedule"]:
            names.add(fn["schedule"]["cron"])
    names |= {topic["name"] for topic in manifest["topics"]}
    names |= set(manifest["secrets"])
    for name in sorted(names):
        pattern = re.compile(rf"(?<![A-Za-z0-9_.-]){re.escape(name)}(?![A-Za-z0-9_-])")
        assert not pattern.search(text), f"{name!r} is written in terraform/*.tf; derive it from functions.json"


# --- service accounts: one per grant profile ---------------------------------------------------------------

SINGLETON_ACCOUNTS = {"gateway", "push"}
DEFAULT_SERVICE_ACCOUNT_QUOTA = 100  # per project (https://cloud.google.com/iam/quotas)


def test_the_service_accounts_fit_a_new_projects_quota() -> None:
    """One account per function (~130) cannot be created on a new project; one per grant profile can."""
    accounts = _resources_of("google_service_account")
    assert set(accounts) == {"grant_profile", "service", *SINGLETON_ACCOUNTS}  # `service`: one per Cloud Run service
    assert accounts["grant_profile"]["for_each"] == "${local.grant_profiles}"
    assert _unquote(accounts["grant_profile"]["account_id"]) == "${each.key}"
    profiles = _manifest()["grant_profiles"]
    bootstrap = len(
        re.findall(r'^resource "google_service_account"', (TERRAFORM / "bootstrap" / "main.tf").read_text(), re.M)
    )
    assert bootstrap >= 4, "deployer, function build, CI and plan accounts"
    services = len(_manifest()["services"])
    assert len(profiles) + services + len(SINGLETON_ACCOUNTS) + bootstrap < DEFAULT_SERVICE_ACCOUNT_QUOTA
    assert len(profiles) < len(_manifest()["functions"])


def test_functions_share_an_account_only_with_functions_declaring_the_same_grants() -> None:
    functions = _manifest_functions()
    profiles = {profile["id"]: profile for profile in _manifest()["grant_profiles"]}
    assert sorted(name for profile in profiles.values() for name in profile["functions"]) == sorted(functions)
    for profile_id, profile in profiles.items():
        grants = {key: profile[key] for key in ("firestore", "publishes", "secrets", "uses")}
        for name in profile["functions"]:
            assert functions[name]["grant_profile"] == profile_id, name
            assert _declared_grants(functions[name]) == grants, f"{name} runs as {profile_id} with other grants"
    distinct = {json.dumps(_declared_grants(fn), sort_keys=True) for fn in functions.values()}
    assert len(distinct) == len(profiles), "two profiles hold the same grants"


def test_every_function_runs_as_its_profiles_account() -> None:
    [service] = _resource("google_cloudfunctions2_function", "function")["service_config"]
    assert service["service_account_email"] == "${google_service_account.grant_profile[each.value.grant_profile].email}"


def test_grant_profile_ids_are_valid_service_account_ids() -> None:
    ids = [profile["id"] for profile in _manifest()["grant_profiles"]]
    assert ids and len(ids) == len(set(ids))
    for profile_id in ids:
        assert SERVICE_ACCOUNT_ID.match(profile_id), profile_id


# --- 3. the manifest is deployable ---------------------------------------------------------------


def test_function_topics_are_declared() -> None:
    manifest = _manifest()
    topics = {topic["name"] for topic in manifest["topics"]}
    for fn in manifest["functions"]:
        if fn["kind"] == "http":
            assert fn["topic"] is None and fn["http"], fn["name"]
        else:
            assert fn["topic"] in topics, f"{fn['name']} subscribes to undeclared topic {fn['topic']}"


def test_topic_names_are_valid() -> None:
    for topic in _manifest()["topics"]:
        name = topic["name"]
        assert TOPIC_NAME.match(f"{name}.dead-letter"), name
        assert not name.lower().startswith("goog"), name
        assert not name.endswith(".dead-letter"), f"{name} collides with the dead-letter topics"


def test_scheduled_functions_have_cron_and_time_zone() -> None:
    for fn in _manifest()["functions"]:
        if fn["kind"] != "scheduled":
            assert fn["schedule"] is None, fn["name"]
            continue
        schedule = fn["schedule"]
        assert schedule and schedule["cron"] and schedule["time_zone"], fn["name"]
        assert len(schedule["cron"].split()) == 5, f"{fn['name']}: cron must have 5 fields"
        ZoneInfo(schedule["time_zone"])


def test_http_routes_are_unique() -> None:
    routes = [(fn["http"]["method"], fn["http"]["path"]) for fn in _manifest()["functions"] if fn["kind"] == "http"]
    assert len(routes) == len(set(routes))


@pytest.mark.parametrize("fn", _manifest()["functions"], ids=lambda fn: str(fn["name"]))
def test_deploy_name_is_valid(fn: dict[str, Any]) -> None:
    assert FUNCTION_NAME.match(fn["deploy_name"]), fn["deploy_name"]


# --- 4. checkov ----------------------------------------------------------------------------------


def test_checkov_passes() -> None:
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make tools`")
    result = subprocess.run(
        [str(CHECKOV), "-d", str(TERRAFORM), *CHECKOV_ARGS],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}): {result.stderr[-2000:]}"
    output = json.loads(result.stdout)
    reports = output if isinstance(output, list) else [output]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']}:{check['file_line_range']}): "
        f"{check['check_name']}"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "checkov failed checks (fix, or skip inline with a reason):\n" + "\n".join(failed)
    summaries = [report.get("summary", report) for report in reports]
    assert all(summary.get("parsing_errors", 0) == 0 for summary in summaries), summaries
    assert sum(summary.get("resource_count", 0) for summary in summaries) > 0, summaries
    assert result.returncode == 0, result.stderr[-2000:]


# --- 5. IAM follows the registry's declarations ------------------------------------------------------------


def test_firebase_account_management_is_granted_to_the_declaring_functions_only() -> None:
    managers = _evaluate({"managers": "keys(local.account_managers)"})["managers"]
    declared = _profiles_of(lambda fn: "firebase_auth_admin" in fn["uses"])
    assert managers and set(managers) == declared
    grant = _resource("google_project_iam_member", "firebase_accounts")
    assert grant["for_each"] == "${local.account_managers}"
    assert grant["role"] == "${google_project_iam_custom_role.firebase_accounts.name}"
    assert _function_member(grant)


def test_the_firebase_account_role_holds_exactly_the_account_permissions() -> None:
    role = _resource("google_project_iam_custom_role", "firebase_accounts")
    assert sorted(_unquote(permission) for permission in role["permissions"]) == [
        "firebaseauth.users.create",
        "firebaseauth.users.delete",
        "firebaseauth.users.get",
        "firebaseauth.users.update",
    ]


def test_the_identity_toolkit_api_is_enabled() -> None:
    services = _resource("google_project_service", "api")["for_each"]
    assert '"identitytoolkit.googleapis.com"' in services


def _pairs(local_name: str) -> set[str]:
    return set(_evaluate({local_name: f"keys(local.{local_name})"})[local_name])


def test_each_function_publishes_only_to_the_topics_it_declares() -> None:
    manifest = _manifest_functions()
    declared = {f"{fn['grant_profile']}/{topic}" for fn in manifest.values() for topic in fn["publishes"]}
    assert declared and _pairs("publisher_topics") == declared
    jobs = {fn["topic"] for fn in manifest.values() if fn["kind"] == "scheduled"}
    assert not {pair.split("/", 1)[1] for pair in declared} & jobs, "only Cloud Scheduler publishes to job topics"
    grant = _resource("google_pubsub_topic_iam_member", "publisher")
    assert grant["for_each"] == "${local.publisher_topics}"
    assert _unquote(grant["role"]) == "roles/pubsub.publisher"
    assert grant["topic"] == "${google_pubsub_topic.topic[each.value.topic].id}"


def test_only_functions_that_use_firestore_may_use_it() -> None:
    users = _pairs("firestore_profiles")
    manifest = _manifest_functions()
    assert users == _profiles_of(lambda fn: "google.cloud.firestore" in fn["sdks"])
    assert "ping" in manifest and manifest["ping"]["grant_profile"] not in users
    grant = _resource("google_project_iam_member", "firestore")
    assert grant["for_each"] == "${local.firestore_profiles}"


def test_no_function_account_holds_a_project_wide_role_beyond_its_declarations() -> None:
    """Project-level grants to function accounts: only Firestore and Vertex AI (IAM has nothing narrower) and the
    account role, each to the functions whose declarations ask for it. Pub/Sub, secrets and invocation are per
    resource."""
    allowed = {
        ('"roles/datastore.user"', "${local.firestore_profiles}"),
        ("${google_project_iam_custom_role.firebase_accounts.name}", "${local.account_managers}"),
        ('"roles/aiplatform.user"', "${local.embedders}"),  # Vertex AI has no resource narrower than the project
        ('"roles/monitoring.metricWriter"', "${local.metric_writers}"),
    }
    grants = {
        (body["role"], body.get("for_each"))
        for body in _resources_of("google_project_iam_member").values()
        if _function_member(body)
    }
    assert grants == allowed
    for authoritative in ("google_project_iam_binding", "google_project_iam_policy"):
        assert not _resources_of(authoritative), f"{authoritative} would replace grants made outside Terraform"


def test_invokers_are_one_authoritative_binding_per_function() -> None:
    for rtype in ("google_cloud_run_service_iam_member", "google_cloud_run_v2_service_iam_member"):
        assert not _resources_of(rtype), f"{rtype} adds invokers; use the authoritative binding"
    binding = _resource("google_cloud_run_v2_service_iam_binding", "invoker")
    assert binding["for_each"] == "${local.functions}"
    assert _unquote(binding["role"]) == "roles/run.invoker"
    assert not any("allUsers" in member or "allAuthenticatedUsers" in member for member in binding["members"])


def test_the_build_account_reads_the_source_bucket_and_writes_one_cleaned_repository() -> None:
    """The build account and its project-wide grants are the bootstrap's (tests/unit/test_cloudbuild.py); here only
    grants on resources this configuration owns."""
    assert not [
        name
        for name, body in _resources_of("google_project_iam_member").items()
        if "google_service_account.build" in body["member"]
    ], "the deployer may grant no project-wide role to the build account: the bootstrap does"
    account = _parsed()[TERRAFORM / "functions.tf"]["data"][0]['"google_service_account"']['"build"']
    assert account["project"] == "${var.project_id}"
    source = _resource("google_storage_bucket_iam_member", "build_source")
    assert (source["bucket"], _unquote(source["role"])) == (
        "${google_storage_bucket.source.name}",
        "roles/storage.objectViewer",
    )
    writer = _resource("google_artifact_registry_repository_iam_member", "build")
    assert writer["repository"] == "${google_artifact_registry_repository.functions.name}"
    assert _unquote(writer["role"]) == "roles/artifactregistry.writer"
    repository = _resource("google_artifact_registry_repository", "functions")
    actions = {_unquote(policy["action"]) for policy in repository["cleanup_policies"]}
    assert actions == {"KEEP", "DELETE"} and repository["cleanup_policy_dry_run"] is False
    [build] = _resource("google_cloudfunctions2_function", "function")["build_config"]
    assert build["docker_repository"] == "${google_artifact_registry_repository.functions.id}"
    assert build["service_account"] == "${data.google_service_account.build.name}"


def test_functions_are_built_only_after_the_build_accounts_grants_have_settled() -> None:
    """The provider's builder example waits after the build account's grants; a fresh project needs it."""
    wait = _resource("time_sleep", "build_grants")
    assert int(_unquote(wait["create_duration"]).rstrip("s")) >= 60
    grants = {
        f"{rtype}.{name}"
        for rtype, name, body in _resources()
        if rtype.endswith("_iam_member") and "google_service_account.build." in str(body.get("member"))
    }
    assert grants and set(wait["depends_on"]) == {f"${{{grant}}}" for grant in grants}
    assert "${time_sleep.build_grants}" in _resource("google_cloudfunctions2_function", "function")["depends_on"]


def _audited_services() -> dict[str, set[str]]:
    """Service -> Data Access log types enabled by google_project_iam_audit_config."""
    audited: dict[str, set[str]] = {}
    for body in _resources_of("google_project_iam_audit_config").values():
        services = re.findall(r'"([a-z.]+\.googleapis\.com)"', body.get("for_each", body["service"]))
        for service in services:
            audited.setdefault(service, set()).update(_unquote(c["log_type"]) for c in body["audit_log_config"])
    return audited


def test_data_access_audit_logs_cover_firestore_and_cloud_storage() -> None:
    audited = _audited_services()
    for service in ("datastore.googleapis.com", "storage.googleapis.com"):
        assert {"DATA_READ", "DATA_WRITE"} <= audited.get(service, set()), service


SKIP = re.compile(r"#checkov:skip=(CKV2?_[A-Z]+_\d+):(.+)$", re.MULTILINE)


def test_every_checkov_skip_gives_a_reason_and_audit_log_claims_are_true() -> None:
    """A skip justified by audit logs must be backed by the audit configuration for that service."""
    audited = _audited_services()
    skips = [(path.name, check, reason) for path in TF_FILES for check, reason in SKIP.findall(path.read_text())]
    assert skips
    for name, check, reason in skips:
        assert len(reason.split()) >= 8, f"{name} {check}: say why the check does not apply"
        if "audit log" in reason.lower():
            services = re.findall(r"[a-z]+\.googleapis\.com", reason)
            assert services, f"{name} {check}: name the service whose audit logs are meant"
            for service in services:
                assert {"DATA_READ", "DATA_WRITE"} <= audited.get(service, set()), (
                    f"{name} {check} cites {service} audit logs that are not enabled"
                )


# --- 6. every subscriber's deliveries end in a dead-letter topic ------------------------------------------------


def test_every_subscriber_has_a_push_subscription_with_dead_letters_and_push_auth() -> None:
    manifest = _manifest_functions()
    subscribers = {name for name, fn in manifest.items() if fn["kind"] != "http"}
    assert subscribers and _pairs("event_functions") == subscribers
    push = _resource("google_pubsub_subscription", "push")
    assert push["for_each"] == "${local.event_functions}"
    assert push["topic"] == "${google_pubsub_topic.topic[each.value.topic].id}"
    [policy] = push["dead_letter_policy"]
    assert policy["dead_letter_topic"] == '${google_pubsub_topic.topic["${each.value.topic}.dead-letter"].id}'
    assert policy["max_delivery_attempts"] == 10
    [retry] = push["retry_policy"]
    assert (_unquote(retry["minimum_backoff"]), _unquote(retry["maximum_backoff"])) == ("10s", "600s")
    [config] = push["push_config"]
    uri = "${google_cloudfunctions2_function.function[each.key].service_config[0].uri}"
    assert config["push_endpoint"] == uri
    [token] = config["oidc_token"]
    assert (token["service_account_email"], token["audience"]) == ("${google_service_account.push.email}", uri)


def test_a_push_waits_at_least_as_long_as_its_function_may_run() -> None:
    push = _resource("google_pubsub_subscription", "push")
    assert push["ack_deadline_seconds"] == "${each.value.timeout_s}"
    for name, fn in _manifest_functions().items():
        if fn["kind"] != "http":
            assert 10 <= fn["timeout_s"] <= 600, f"{name}: Pub/Sub ack deadlines are 10-600 s"


def test_no_function_is_triggered_through_eventarc() -> None:
    function = _resource("google_cloudfunctions2_function", "function")
    assert "event_trigger" not in json.dumps(function)
    assert not _resources_of("google_eventarc_trigger")


def test_only_the_push_account_invokes_subscribers_and_it_holds_nothing_else() -> None:
    [members] = _resource("google_cloud_run_v2_service_iam_binding", "invoker")["members"]
    assert members == (
        '${each.value.kind == "http" ? "serviceAccount:${google_service_account.gateway.email}"'
        ' : "serviceAccount:${google_service_account.push.email}"}'
    )
    grants = [
        (rtype, name)
        for rtype, name, body in _resources()
        if "google_service_account.push." in json.dumps(body.get("member", "")) and rtype.endswith("_iam_member")
    ]
    assert grants == [], f"the push account may only invoke subscribers: {grants}"


def test_the_pubsub_agent_may_dead_letter_every_subscription() -> None:
    publisher = _resource("google_pubsub_topic_iam_member", "dead_letter_publisher")
    assert publisher["for_each"] == "${local.topics}"
    assert publisher["topic"] == '${google_pubsub_topic.topic["${each.key}.dead-letter"].id}'
    forwarder = _resource("google_pubsub_subscription_iam_member", "dead_letter_forwarder")
    assert forwarder["for_each"] == "${local.event_functions}"
    assert forwarder["subscription"] == "${google_pubsub_subscription.push[each.key].name}"
    assert _unquote(forwarder["role"]) == "roles/pubsub.subscriber"
    for grant in (publisher, forwarder):
        assert grant["member"] == "${local.pubsub_service_agent}"


def test_dead_letters_waiting_raise_an_alert() -> None:
    [condition] = _resource("google_monitoring_alert_policy", "dead_letters")["conditions"]
    [threshold] = condition["condition_threshold"]
    assert "subscription/num_undelivered_messages" in threshold["filter"]
    assert "dead-letter" in threshold["filter"]
    assert _unquote(threshold["comparison"]) == "COMPARISON_GT" and threshold["threshold_value"] == 0


# --- 7. monitoring follows the manifest -----------------------------------------------------------------------

OUTBOX_SOURCE = ROOT / "shared" / "bloom" / "platform" / "store" / "outbox.py"


def test_every_function_has_an_error_rate_alert_and_a_dashboard() -> None:
    for rtype, name in (
        ("google_monitoring_alert_policy", "function_errors"),
        ("google_monitoring_dashboard", "function"),
    ):
        assert _resource(rtype, name)["for_each"] == "${local.functions}", f"{rtype}.{name}"
    [condition] = _resource("google_monitoring_alert_policy", "function_errors")["conditions"]
    [threshold] = condition["condition_threshold"]
    assert 'resource.label.service_name = \\"${each.value.deploy_name}\\"' in threshold["filter"]
    assert "response_code_class" in threshold["filter"] and "denominator_filter" in threshold
    assert "run.googleapis.com/request_count" in threshold["denominator_filter"]


def test_5xx_at_the_gateway_raise_an_alert() -> None:
    """One condition per place the API's requests are counted (the load balancer's: test_load_balancer.py)."""
    [dynamic] = _resource("google_monitoring_alert_policy", "gateway_errors")["dynamic"]
    assert dynamic['"conditions"']["for_each"] == "${local.api_request_counts}"
    [threshold] = dynamic['"conditions"']["content"][0]["condition_threshold"]
    assert "conditions.value.errors" in threshold["filter"] and "denominator_filter" in threshold
    counts = _locals()["api_request_counts"]
    assert "apigateway.googleapis.com/proxy/request_count" in counts and 'response_code_class = \\"5xx\\"' in counts


def test_the_health_routes_are_probed_through_the_gateway() -> None:
    paths = _evaluate({"paths": "[for fn in local.probed_functions : fn.http.path]"})["paths"]
    assert "/api/ping" in paths
    check = _resource("google_monitoring_uptime_check_config", "health")
    assert check["for_each"] == "${local.probed_functions}"
    [http] = check["http_check"]
    assert http["path"] == "${each.value.http.path}" and http["use_ssl"] is True
    [resource] = check["monitored_resource"]
    assert resource["labels"]["host"] == "${google_api_gateway_gateway.bloom.default_hostname}"
    assert _resource("google_monitoring_alert_policy", "uptime")["for_each"] == "${local.probed_functions}"


def test_the_outbox_age_alert_reads_what_the_sweeper_logs() -> None:
    sweepers = _pairs("outbox_sweepers")
    assert sweepers == {name for name, fn in _manifest_functions().items() if "outbox_sweep" in fn["uses"]} != set()
    metric = _resource("google_logging_metric", "outbox_oldest_age")
    source = OUTBOX_SOURCE.read_text()
    message = re.search(r'jsonPayload\.message = \\"([^\\]+)\\"', metric["filter"])
    field = re.fullmatch(r"EXTRACT\(jsonPayload\.(\w+)\)", _unquote(metric["value_extractor"]))
    assert message and field
    assert f'_log.info("{message.group(1)}"' in source and f'"{field.group(1)}":' in source
    assert "local.outbox_sweepers" in metric["filter"]
    conditions = _resource("google_monitoring_alert_policy", "outbox_age")["conditions"]
    [threshold] = [
        condition["condition_threshold"][0] for condition in conditions if "condition_threshold" in condition
    ]
    assert threshold["threshold_value"] == 300
    assert any("condition_absent" in condition for condition in conditions), "a stopped sweeper must alert too"


def test_every_alert_notifies_the_configured_recipients() -> None:
    policies = _resources_of("google_monitoring_alert_policy")
    assert {"dead_letters", "function_errors", "gateway_errors", "outbox_age", "uptime"} <= set(policies)
    for name, body in policies.items():
        assert body["notification_channels"] == "${local.notification_channels}", name


# --- 6. buckets and signing follow the registry's declarations ---------------------------------------------


def test_signing_as_oneself_is_granted_on_each_declaring_functions_own_account_only() -> None:
    declared = _profiles_of(lambda fn: "sign_as_self" in fn["uses"])
    assert declared and _pairs("self_signers") == declared
    grant = _resource("google_service_account_iam_member", "sign_as_self")
    assert grant["for_each"] == "${local.self_signers}"
    assert grant["service_account_id"] == "${google_service_account.grant_profile[each.key].name}"
    assert _unquote(grant["member"]) == "serviceAccount:${google_service_account.grant_profile[each.key].email}"
    assert grant["role"] == "${google_project_iam_custom_role.sign_blob.name}"
    role = _resource("google_project_iam_custom_role", "sign_blob")
    assert [_unquote(permission) for permission in role["permissions"]] == ["iam.serviceAccounts.signBlob"]
    assert '"iamcredentials.googleapis.com"' in _resource("google_project_service", "api")["for_each"]


def test_declared_buckets_are_private_and_their_objects_granted_to_declaring_functions_only() -> None:
    buckets = {bucket["name"]: bucket for bucket in _manifest()["buckets"]}
    assert "uploads" in buckets
    bucket = _resource("google_storage_bucket", "declared")
    assert bucket["for_each"] == "${local.buckets}"
    assert (bucket["uniform_bucket_level_access"], _unquote(bucket["public_access_prevention"])) == (True, "enforced")
    expected = {
        f"{fn['grant_profile']}/{b['name']}"
        for fn in _manifest_functions().values()
        for b in buckets.values()
        if b["capability"] in fn["uses"]
    }
    assert expected and _pairs("bucket_users") == expected
    grant = _resource("google_storage_bucket_iam_member", "object_user")
    assert grant["for_each"] == "${local.bucket_users}" and _unquote(grant["role"]) == "roles/storage.objectUser"
    for name, body in _resources_of("google_storage_bucket_iam_member").items():
        assert "allUsers" not in json.dumps(body) and "allAuthenticatedUsers" not in json.dumps(body), name


def test_storage_notifications_reach_the_declared_topic_for_the_declared_prefix() -> None:
    uploads = next(bucket for bucket in _manifest()["buckets"] if bucket["name"] == "uploads")
    assert (uploads["notify_topic"], uploads["notify_prefix"]) == ("storage.uploads-finalized", "pending/")
    assert (uploads["expire_prefix"], uploads["expire_after_days"]) == ("pending/", 1)
    notification = _resource("google_storage_notification", "declared")
    assert notification["for_each"] == "${local.notifying_buckets}"
    assert _unquote(notification["payload_format"]) == "JSON_API_V1"
    assert notification["object_name_prefix"] == "${each.value.notify_prefix}"
    assert notification["topic"] == "${google_pubsub_topic.topic[each.value.notify_topic].id}"
    assert _pairs("notifying_buckets") == {"uploads"}
    subscribers = [fn["name"] for fn in _manifest_functions().values() if fn["topic"] == "storage.uploads-finalized"]
    assert subscribers == ["finalize_upload"]


# --- 8. a first apply on a new project succeeds, and stays safe ---------------------------------------------------


def _console_errors(variables: dict[str, str]) -> str:
    """What `terraform console` reports about the variables alone (their validations), offline."""
    result = _console_result({"environment": "var.environment"}, variables)
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stderr)


def test_production_requires_alert_recipients() -> None:
    missing = "production alerts must"
    assert missing in _console_errors({**TEST_VARS, "environment": "production"})
    assert missing not in _console_errors({**TEST_VARS, "environment": "production", "alert_emails": '["a@b.org"]'})
    assert missing not in _console_errors(TEST_VARS)


def test_service_images_are_taken_by_digest_only() -> None:
    """The plan names the exact image CD deploys (docs/deploy.md, Service images): a tag could move in between."""
    image = "europe-west2-docker.pkg.dev/ci-project/bloom-services/livechat-socket"
    refused = "Pin each service image by digest"
    by_digest = f'{{livechat_socket="{image}@sha256:{"ab" * 32}"}}'
    assert refused not in _console_errors({**TEST_VARS, "service_images": by_digest})
    assert refused in _console_errors({**TEST_VARS, "service_images": f'{{livechat_socket="{image}:{"1" * 64}"}}'})


def test_declared_buckets_keep_no_soft_deleted_objects() -> None:
    """Erased means gone: a soft-deleted upload would stay readable (and restorable) for 7 more days."""
    [policy] = _resource("google_storage_bucket", "declared")["soft_delete_policy"]
    assert policy["retention_duration_seconds"] == 0


def test_the_existing_firestore_rules_release_is_imported() -> None:
    """Firebase creates cloud.firestore with the database (provider issue 20917): creating it again is a 409."""
    imports = [block for document in _parsed().values() for block in document.get("import", [])]
    assert {
        "to": "${google_firebaserules_release.firestore}",
        "id": '"projects/${var.project_id}/releases/cloud.firestore"',
    } in [{key: value for key, value in block.items() if key in ("to", "id")} for block in imports]
    release = _resource("google_firebaserules_release", "firestore")
    assert _unquote(release["name"]) == "cloud.firestore"


def test_an_alert_on_a_log_metric_waits_until_the_metric_is_known() -> None:
    """A new log-based metric is unknown to Monitoring for up to 10 minutes (provider issue 11102)."""
    metric_alerts = {
        name: body
        for name, body in _resources_of("google_monitoring_alert_policy").items()
        if "google_logging_metric." in json.dumps(body)
    }
    assert metric_alerts
    for name, body in metric_alerts.items():
        waits = [ref for ref in body.get("depends_on", []) if ref.startswith("${time_sleep.")]
        assert waits, f"{name} is created as soon as its metric is"
        for ref in waits:
            wait = _resource("time_sleep", ref.removeprefix("${time_sleep.").removesuffix("}"))
            assert int(_unquote(wait["create_duration"]).rstrip("s")) >= 600
            assert "google_logging_metric." in json.dumps(wait["triggers"])


def test_signed_in_routes_are_checked_at_the_gateway_too() -> None:
    """x-google-issuer on every route but the public ones and webhooks: defence in depth."""
    from bloom.platform.registry import Role

    expressions = _locals()
    assert [_unquote(role) for role in json.loads(expressions["open_roles"])] == [Role.PUBLIC, Role.WEBHOOK]
    assert (
        "contains(local.open_roles, local.http_functions[name].http.role) ? {} : {security = [{firebase = []}]}"
        in expressions["gateway_paths"]
    )
    document = json.loads(expressions["gateway_document"])
    firebase = {_unquote(key): _unquote(value) for key, value in document["securityDefinitions"]["firebase"].items()}
    assert firebase["x-google-issuer"] == "https://securetoken.google.com/${var.project_id}"
    assert firebase["x-google-audiences"] == "${var.project_id}"
    assert firebase["x-google-jwks_uri"].endswith("/securetoken@system.gserviceaccount.com")
    roles = {fn["http"]["role"] for fn in _manifest()["functions"] if fn["http"]}
    assert roles - {"public", "webhook"}, "some routes need a signed-in caller"


def test_secret_versions_are_pinned() -> None:
    """A function reads the version the reviewed configuration names, never `latest`."""
    [service] = _resource("google_cloudfunctions2_function", "function")["service_config"]
    [secrets] = [block['"secret_environment_variables"'] for block in service["dynamic"]]
    [content] = secrets["content"]
    assert content["version"] == "${var.secret_versions[secret_environment_variables.value]}"
    assert '\\"latest\\"' not in json.dumps([body for _, _, body in _resources()])
    [lifecycle] = _resource("google_cloudfunctions2_function", "function")["lifecycle"]
    assert "var.secret_versions" in lifecycle["precondition"][0]["condition"]


def test_secret_manager_data_access_is_audited() -> None:
    assert {"DATA_READ", "DATA_WRITE"} <= _audited_services().get("secretmanager.googleapis.com", set())


def test_the_outbox_sweeper_publishes_to_no_storage_notification_or_job_topic() -> None:
    manifest = _manifest()
    owned_by_others = {bucket["notify_topic"] for bucket in manifest["buckets"] if bucket["notify_topic"]}
    owned_by_others |= {fn["topic"] for fn in manifest["functions"] if fn["kind"] == "scheduled"}
    assert owned_by_others
    for fn in manifest["functions"]:
        assert not set(fn["publishes"]) & owned_by_others, fn["name"]
    assert any("outbox_sweep" in fn["uses"] and fn["publishes"] for fn in manifest["functions"])


LOCK = TERRAFORM / ".terraform.lock.hcl"


@pytest.mark.parametrize("root", [TERRAFORM, TERRAFORM / "bootstrap"], ids=["main", "bootstrap"])
def test_the_lock_file_is_committed_and_pins_every_required_provider(root: Path) -> None:
    with (root / "versions.tf").open() as handle:
        [terraform] = hcl2.load(handle)["terraform"]
    [required] = terraform["required_providers"]
    required = {name: provider for name, provider in required.items() if isinstance(provider, dict)}
    with (root / ".terraform.lock.hcl").open() as handle:
        locked = {_unquote(address): body for block in hcl2.load(handle)["provider"] for address, body in block.items()}
    expected = {f"registry.terraform.io/{_unquote(provider['source'])}": provider for provider in required.values()}
    assert set(locked) == set(expected)
    for address, provider in expected.items():
        lock = locked[address]
        assert _unquote(lock["constraints"]) == _unquote(provider["version"]), f"{address}: terraform providers lock"
        minimum = _unquote(provider["version"]).removeprefix("~> ").split(".")
        version = _unquote(lock["version"]).split(".")
        assert version[: len(minimum) - 1] == minimum[:-1] and int(version[len(minimum) - 1]) >= int(minimum[-1])
        hashes = [_unquote(value) for value in lock["hashes"]]
        assert any(value.startswith("h1:") for value in hashes) and any(value.startswith("zh:") for value in hashes)
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", str(root / ".terraform.lock.hcl")],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert ignored.returncode == 1, "the lock file must be committed, not ignored"


def test_each_function_deploys_from_an_object_named_after_its_closure() -> None:
    """Only the functions whose code (closure) changed get a new object name, so only they redeploy."""
    source = _resource("google_storage_bucket_object", "function_source")
    assert source["for_each"] == "${local.functions}"
    assert _unquote(source["name"]) == "functions/${each.value.deploy_name}/${local.closures[each.key]}.zip"
    assert set(source["lifecycle"][0]["ignore_changes"]) == {"source", "detect_md5hash"}
    assert "jsondecode(file(var.closures_path))" in _locals()["closures"]
    [build] = _resource("google_cloudfunctions2_function", "function")["build_config"]
    [storage] = build["source"][0]["storage_source"]
    assert storage["object"] == "${google_storage_bucket_object.function_source[each.key].name}"
    assert not _resources_of("google_storage_bucket_object").keys() - {"function_source"}
