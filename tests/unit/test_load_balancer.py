"""The API origin's HTTPS load balancer (terraform/load_balancer.tf, api_origin.tf): on api_url's host only, the
gateway by default, each deployed Cloud Run service on the paths its declared prefixes give, every path derived
from functions.json. Locals are evaluated offline with `terraform console`; the resources are read with hcl2
(checkov, in test_terraform.py, covers these files too)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.terraform import TERRAFORM, TEST_VARS, TF_FILES
from tests.support.terraform import bootstrap_permissions as _permissions
from tests.support.terraform import bootstrap_roles as _roles
from tests.support.terraform import console_result as _console_result
from tests.support.terraform import evaluate as _evaluate
from tests.support.terraform import locals_text as _locals
from tests.support.terraform import manifest as _manifest
from tests.support.terraform import parsed as _parsed
from tests.support.terraform import resource as _resource
from tests.support.terraform import resources as _resources
from tests.support.terraform import unquote as _unquote

API_URL = "https://api.example.org/api"
LOAD_BALANCER_TF = TERRAFORM / "load_balancer.tf"


def _origin(api_url: str | None) -> dict[str, Any]:
    expressions = {
        "domain": "local.api_domain",
        "load_balancer": "local.load_balancer",
        "paths": "local.service_url_paths",
        "ingress": "local.service_ingress",
    }
    return _evaluate(expressions, {"api_url": api_url} if api_url else None)


def _url_map_routes(paths: list[str], request_path: str) -> bool:
    """Whether a URL map path rule with `paths` matches `request_path`: "<p>/*" matches what starts with "<p>/",
    any other path only itself."""
    return any(request_path.startswith(path[:-1]) if path.endswith("/*") else request_path == path for path in paths)


def _load_balancer_resources() -> list[tuple[str, str, dict[str, Any]]]:
    document = _parsed()[LOAD_BALANCER_TF]
    return [
        (_unquote(rtype), _unquote(name), body)
        for entry in document["resource"]
        for rtype, named in entry.items()
        for name, body in named.items()
    ]


def test_the_domain_is_api_urls_host() -> None:
    assert _origin(API_URL)["domain"] == "api.example.org"
    assert _origin(None)["domain"] is None


def test_no_load_balancer_without_api_url() -> None:
    assert (_origin(None)["load_balancer"], _origin(API_URL)["load_balancer"]) == (0, 1)
    [routed] = [block["routed_services"] for block in _parsed()[LOAD_BALANCER_TF]["locals"]]
    assert "google_cloud_run_v2_service.service" in routed and "if local.api_domain != null" in routed
    for rtype, name, body in _load_balancer_resources():
        gate = str(body.get("count", body.get("for_each")))
        assert (
            gate in ("${local.load_balancer}", "${local.routed_services}")
            or (rtype == "google_compute_security_policy" and "length(local.routed_services) > 0" in gate)
            or (rtype == "google_compute_global_forwarding_rule" and "if local.load_balancer == 1" in gate)
        ), f"{rtype}.{name} exists without api_url ({gate})"
    for resource in ("google_compute_region_network_endpoint_group", "google_compute_backend_service"):
        assert _resource(resource, "service")["for_each"] == "${local.routed_services}"


@pytest.mark.parametrize("service", _manifest()["services"], ids=lambda svc: str(svc["name"]))
def test_each_declared_prefix_reaches_its_service_and_no_api_route_does(service: dict[str, Any]) -> None:
    paths = _origin(API_URL)["paths"][service["name"]]
    for path in paths:
        assert path.startswith("/") and "*" not in path.removesuffix("/*"), f"not a URL map path: {path}"
    for prefix in service["prefixes"]:
        under = f"{prefix}x" if prefix.endswith("/") else f"{prefix}/x"
        assert _url_map_routes(paths, prefix) and _url_map_routes(paths, under), prefix
    # The gateway keeps every route of the API (the chat's own HTTP routes included): no service path shadows one.
    for fn in _manifest()["functions"]:
        if fn["kind"] == "http":
            route = re.sub(r"\{[^}]+\}", "x", fn["http"]["path"])
            assert not _url_map_routes(paths, route), f"{route} would leave the gateway for {service['name']}"


def test_the_url_map_maps_exactly_the_services_paths_to_their_backends_and_the_rest_to_the_gateway() -> None:
    url_map = _resource("google_compute_url_map", "api")
    gateway = "${google_compute_backend_service.gateway[0].id}"
    assert url_map["default_service"] == gateway
    [host_rule] = url_map["host_rule"]
    [matcher] = url_map["path_matcher"]
    assert host_rule["hosts"] == ["${local.api_domain}"]
    assert _unquote(host_rule["path_matcher"]) == _unquote(matcher["name"])
    assert matcher["default_service"] == gateway
    [dynamic] = matcher["dynamic"]
    [rule] = dynamic['"path_rule"']["content"]
    assert dynamic['"path_rule"']["for_each"] == "${local.routed_services}"
    assert rule["paths"] == "${local.service_url_paths[path_rule.key]}"
    assert rule["service"] == "${google_compute_backend_service.service[path_rule.key].id}"
    assert set(url_map) - {"__is_block__"} == {
        "count",
        "name",
        "description",
        "default_service",
        "host_rule",
        "path_matcher",
    }
    # Every service of the manifest has its paths, and the paths of two services never overlap.
    paths = _origin(API_URL)["paths"]
    assert set(paths) == {svc["name"] for svc in _manifest()["services"]}
    flat = [path for service_paths in paths.values() for path in service_paths]
    assert len(flat) == len(set(flat))


def test_each_service_backend_is_its_own_cloud_run_service_behind_cloud_armor() -> None:
    neg = _resource("google_compute_region_network_endpoint_group", "service")
    assert _unquote(neg["network_endpoint_type"]) == "SERVERLESS"
    assert neg["cloud_run"][0]["service"] == "${each.value.name}" and neg["region"] == "${each.value.location}"
    backend = _resource("google_compute_backend_service", "service")
    assert backend["backend"][0]["group"] == "${google_compute_region_network_endpoint_group.service[each.key].id}"
    assert backend["security_policy"] == "${google_compute_security_policy.services[0].id}"
    assert "timeout_sec" not in backend, "serverless NEG backends ignore it: Cloud Run's request timeout applies"
    policy = _resource("google_compute_security_policy", "services")
    [throttle] = [rule for rule in policy["rule"] if _unquote(rule["action"]) == "throttle"]
    [limits] = throttle["rate_limit_options"]
    assert (_unquote(limits["enforce_on_key"]), _unquote(limits["exceed_action"])) == ("IP", "deny(429)")
    [default] = [rule for rule in policy["rule"] if rule["priority"] == 2147483647]
    assert _unquote(default["action"]) == "allow"


def test_the_gateway_is_the_default_backend_through_a_beta_serverless_neg_in_its_region() -> None:
    neg = _resource("google_compute_region_network_endpoint_group", "gateway")
    assert neg["provider"] == "google-beta", "serverless_deployment is in the beta API only"
    assert neg["region"] == "${var.gateway_region}"
    [deployment] = neg["serverless_deployment"]
    assert _unquote(deployment["platform"]) == "apigateway.googleapis.com"
    assert deployment["resource"] == "${google_api_gateway_gateway.bloom.gateway_id}"
    backend = _resource("google_compute_backend_service", "gateway")
    assert backend["backend"][0]["group"] == "${google_compute_region_network_endpoint_group.gateway[0].id}"


def test_backends_log_a_sample_of_requests_and_are_external_managed() -> None:
    for name in ("gateway", "service"):
        backend = _resource("google_compute_backend_service", name)
        assert _unquote(backend["load_balancing_scheme"]) == "EXTERNAL_MANAGED"
        [log] = backend["log_config"]
        assert log["enable"] is True
        rate = _evaluate_local(log["sample_rate"])
        assert 0 < rate < 1, f"{name}: logged, and sampled"


def _evaluate_local(reference: str) -> Any:
    """A local of load_balancer.tf that is a literal."""
    name = reference.removeprefix("${local.").removesuffix("}")
    [value] = [block[name] for block in _parsed()[LOAD_BALANCER_TF]["locals"] if name in block]
    return value


def test_https_on_443_with_a_managed_certificate_for_the_domain_and_tls_1_2_and_http_only_redirects() -> None:
    certificate = _resource("google_compute_managed_ssl_certificate", "api")
    assert certificate["managed"][0]["domains"] == ["${local.api_domain}"]
    assert certificate["lifecycle"][0]["create_before_destroy"] is True
    policy = _resource("google_compute_ssl_policy", "api")
    assert _unquote(policy["min_tls_version"]) == "TLS_1_2" and _unquote(policy["profile"]) in ("MODERN", "RESTRICTED")
    proxy = _resource("google_compute_target_https_proxy", "api")
    assert proxy["ssl_certificates"] == ["${google_compute_managed_ssl_certificate.api[0].id}"]
    assert proxy["ssl_policy"] == "${google_compute_ssl_policy.api[0].id}"
    assert proxy["url_map"] == "${google_compute_url_map.api[0].id}"
    rule = _resource("google_compute_global_forwarding_rule", "api")
    assert rule["ip_address"] == "${google_compute_global_address.api[0].id}"
    assert _unquote(rule["load_balancing_scheme"]) == "EXTERNAL_MANAGED"
    assert (rule["port_range"], rule["target"]) == ("${each.key}", "${each.value}")
    ports = rule["for_each"]
    assert '"443" = one(google_compute_target_https_proxy.api[*].id)' in ports
    assert '"80" = one(google_compute_target_http_proxy.https_redirect[*].id)' in ports
    assert "if local.load_balancer == 1" in ports
    assert _resource("google_compute_target_http_proxy", "https_redirect")["url_map"] == (
        "${google_compute_url_map.https_redirect[0].id}"
    )
    redirect = _resource("google_compute_url_map", "https_redirect")
    assert redirect["default_url_redirect"][0]["https_redirect"] is True
    assert "default_service" not in redirect and "path_matcher" not in redirect
    forwarding = [name for rtype, name, _ in _resources() if rtype == "google_compute_global_forwarding_rule"]
    assert forwarding == ["api"]


def test_the_address_is_output_for_the_dns_record() -> None:
    [outputs] = _parsed()[LOAD_BALANCER_TF]["output"]
    assert "google_compute_global_address.api[0].address" in outputs['"api_address"']["value"]


def test_the_services_ingress_follows_the_load_balancer() -> None:
    assert _origin(API_URL)["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    assert _origin(None)["ingress"] == "INGRESS_TRAFFIC_ALL"
    assert _resource("google_cloud_run_v2_service", "service")["ingress"] == "${local.service_ingress}"


@pytest.mark.parametrize(
    ("api_url", "refused_with"),
    [
        ("https://bloom-production-1a2b3c4d.nw.gateway.dev/api", "not the gateway's hostname"),
        ("https://api.example.org:8443/api", "no port"),
        ("http://api.example.org/api", "An https URL"),
    ],
)
def test_api_url_is_an_https_origin_on_our_own_domain(api_url: str, refused_with: str) -> None:
    result = _console_result({"domain": "local.api_domain"}, {**TEST_VARS, "api_url": api_url})
    assert result.returncode != 0
    assert refused_with in " ".join(re.sub(r"\x1b\[[0-9;]*m|│", " ", result.stderr).split())


def test_no_service_prefix_is_written_in_terraform() -> None:
    text = "\n".join(path.read_text() for path in TF_FILES)
    for service in _manifest()["services"]:
        for prefix in service["prefixes"]:
            assert prefix.rstrip("/") not in text, (
                f"{prefix} is written in terraform/*.tf; derive it from functions.json"
            )


def _api_error_conditions(url_maps: str) -> dict[str, Any]:
    """The 5xx alert's conditions (filter and denominator per place), evaluated by Terraform from monitoring.tf's own
    expressions with the resources they read replaced by values: the gateway's id and `url_maps`."""
    counts = _locals()["api_request_counts"].removeprefix("${").removesuffix("}")
    counts = counts.replace("google_api_gateway_gateway.bloom.gateway_id", '"bloom-staging"')
    counts = counts.replace("google_compute_url_map.api", url_maps)
    [dynamic] = _resource("google_monitoring_alert_policy", "gateway_errors")["dynamic"]
    [threshold] = dynamic['"conditions"']["content"][0]["condition_threshold"]
    filters = {
        key: threshold[key].removeprefix("${").removesuffix("}").replace("conditions.value", "place")
        for key in ("filter", "denominator_filter")
    }
    expression = f"{{for name, place in {counts} : name => {{{', '.join(f'{k} = {v}' for k, v in filters.items())}}}}}"
    return dict(_evaluate({"conditions": expression})["conditions"])


def test_the_api_5xx_alert_watches_the_load_balancer_when_there_is_one() -> None:
    assert set(_api_error_conditions("[]")) == {"gateway"}
    conditions = _api_error_conditions('[{name = "bloom-api-staging"}]')
    assert set(conditions) == {"gateway", "load_balancer"}
    balancer = conditions["load_balancer"]
    assert balancer["denominator_filter"] == (
        'resource.type = "https_lb_rule" AND resource.label.url_map_name = "bloom-api-staging" AND '
        'metric.type = "loadbalancing.googleapis.com/https/request_count"'
    )
    assert balancer["filter"] == f"{balancer['denominator_filter']} AND metric.label.response_code_class = 500"
    gateway = conditions["gateway"]
    assert 'resource.label.gateway_id = "bloom-staging"' in gateway["denominator_filter"]
    assert gateway["filter"] == f'{gateway["denominator_filter"]} AND metric.label.response_code_class = "5xx"'


def test_the_compute_api_is_enabled() -> None:
    assert '"compute.googleapis.com"' in _resource("google_project_service", "api")["for_each"]


def test_a_service_deployed_without_api_url_is_flagged_in_the_plan() -> None:
    [checks] = _parsed()[LOAD_BALANCER_TF]["check"]
    [assertion] = checks['"services_are_reachable_from_the_frontend"']["assert"]
    assert assertion["condition"] == "${local.api_domain != null || length(google_cloud_run_v2_service.service) == 0}"


def test_the_deployer_manages_the_load_balancer_and_cloud_armor_and_the_planner_reads_them() -> None:
    deployer = _roles("deployer_roles")
    assert "roles/compute.loadBalancerAdmin" in deployer
    assert not deployer & {"roles/compute.admin", "roles/compute.securityAdmin", "roles/compute.networkAdmin"}
    managed = {"create", "delete", "get", "list", "update", "use"}
    assert {f"compute.securityPolicies.{verb}" for verb in managed} <= _permissions("deployer_extra")
    assert "roles/compute.networkViewer" in _roles("planner_roles")


def test_every_load_balancer_resource_waits_for_the_compute_api() -> None:
    """On a first apply the compute API is enabled in the same run: a resource made before it would fail."""
    for rtype, name, body in _load_balancer_resources():
        text = json.dumps(body)
        after_another = re.search(r"\$\{google_compute_[a-z_]+\.[a-z_]+\[", text) is not None
        assert after_another or "${google_project_service.api}" in body.get("depends_on", []), f"{rtype}.{name}"
