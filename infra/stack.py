"""The local stack: the official emulators, the topics and subscriptions, the gateway and the job clock.

`make dev` runs this in the foreground. It prints where everything listens and the environment a frontend or
script needs, and stops every process it started on Ctrl-C (each emulator runs in its own process group).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import requests

if TYPE_CHECKING:
    from bloom.platform.registry import FunctionSpec, ServiceSpec
    from infra.storage_notifications import StorageNotifier

ROOT = Path(__file__).resolve().parent.parent
SDK_PLATFORM = Path(os.environ.get("CLOUDSDK_PLATFORM", "/usr/lib/google-cloud-sdk/platform"))
FIRESTORE_BIN = SDK_PLATFORM / "cloud-firestore-emulator" / "cloud_firestore_emulator"
PUBSUB_BIN = SDK_PLATFORM / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
FIREBASE_BIN = ROOT / "infra" / "node_modules" / ".bin" / "firebase"
FIRESTORE_RULES = ROOT / "firestore.rules"  # the security rules clients are held to (Terraform deploys the same file)
DEFAULT_STATE = ROOT / ".local" / "stack.json"
PROJECT = "demo-bloom"
HOST = "127.0.0.1"


@dataclass
class Ports:
    gateway: int = 35001
    firestore: int = 8080
    pubsub: int = 8085
    auth: int = 9099
    storage: int = 9023
    hub: int = 4400
    logging: int = 4500

    @classmethod
    def free(cls, gateway: int | None = None) -> Ports:
        """Ports nobody listens on, for a stack beside another (tests, CI)."""
        values = [_free_port() for _ in range(7)]
        ports = cls(*values)
        if gateway:
            ports.gateway = gateway
        return ports


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def stack_env(ports: Ports, project: str = PROJECT) -> dict[str, str]:
    """What a process needs to talk to this stack (the gateway itself, tests, the CLI, scripts)."""
    return {
        "GOOGLE_CLOUD_PROJECT": project,
        "FIRESTORE_EMULATOR_HOST": f"{HOST}:{ports.firestore}",
        "PUBSUB_EMULATOR_HOST": f"{HOST}:{ports.pubsub}",
        "FIREBASE_AUTH_EMULATOR_HOST": f"{HOST}:{ports.auth}",
        "STORAGE_EMULATOR_HOST": f"http://{HOST}:{ports.storage}",
        "BLOOM_API_URL": f"http://localhost:{ports.gateway}/api",
    }


class ManagedProcess:
    """A child in its own process group, so stopping it also stops whatever it spawned (java, node)."""

    def __init__(
        self,
        name: str,
        command: list[str],
        ready: Callable[[], bool],
        log_dir: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name, self.command, self.ready = name, command, ready
        self.log_path = log_dir / f"{name}.log"
        self.env, self.cwd = env, cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self.command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(self.env or {})},
            cwd=self.cwd,
        )

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
            try:
                if self.ready():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f}s; see {self.log_path}")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=8)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass


def _port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return True
        except OSError:
            return False

    return check


def service_processes(services: list[ServiceSpec], work_dir: Path) -> dict[str, tuple[ManagedProcess, int]]:
    """Each Cloud Run service of the registry as Cloud Run runs it (uvicorn on its ASGI app), on a free port:
    service name → (process, port). The gateway routes the service's path prefixes to it."""
    found: dict[str, tuple[ManagedProcess, int]] = {}
    (work_dir / "logs").mkdir(parents=True, exist_ok=True)
    for spec in services:
        port = _free_port()
        command = [sys.executable, "-m", "uvicorn", f"{spec.module}:{spec.app}", "--host", HOST, "--port", str(port)]
        process = ManagedProcess(
            f"service-{spec.deploy_name}",
            [*command, "--no-access-log"],
            _port_open(port),
            work_dir / "logs",
            env={"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}"},
            cwd=ROOT,
        )
        found[spec.name] = (process, port)
    return found


def _http_ok(url: str, expect: str = "") -> Callable[[], bool]:
    def check() -> bool:
        response = requests.get(url, timeout=1)
        return response.ok and expect in response.text

    return check


def emulator_processes(ports: Ports, work_dir: Path) -> list[ManagedProcess]:
    logs = work_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    firebase_config = work_dir / "firebase.json"
    firebase_config.write_text(
        json.dumps(
            {
                "emulators": {
                    "auth": {"host": HOST, "port": ports.auth},
                    "hub": {"host": HOST, "port": ports.hub},
                    "logging": {"host": HOST, "port": ports.logging},
                    "ui": {"enabled": False},
                    "singleProjectMode": True,
                }
            }
        )
    )
    if not FIREBASE_BIN.exists():
        raise RuntimeError("firebase-tools is not installed: run `make install`")
    storage_bin = Path(sys.executable).parent / "gcp-storage-emulator"
    return [
        ManagedProcess(
            "firestore",
            [str(FIRESTORE_BIN), f"--host={HOST}", f"--port={ports.firestore}", f"--rules={FIRESTORE_RULES}"],
            _http_ok(f"http://{HOST}:{ports.firestore}/", "Ok"),
            logs,
        ),
        ManagedProcess(
            "pubsub",
            [str(PUBSUB_BIN), f"--host={HOST}", f"--port={ports.pubsub}"],
            _http_ok(f"http://{HOST}:{ports.pubsub}/", "Ok"),
            logs,
        ),
        ManagedProcess(
            "auth",
            [
                str(FIREBASE_BIN),
                "emulators:start",
                "--only",
                "auth",
                "--project",
                PROJECT,
                "--config",
                str(firebase_config),
            ],
            _http_ok(f"http://{HOST}:{ports.auth}/", "authEmulator"),
            logs,
            cwd=work_dir,
        ),
        ManagedProcess(
            "storage",
            [str(storage_bin), "start", f"--host={HOST}", f"--port={ports.storage}", "--in-memory", "--quiet"],
            _http_ok(f"http://{HOST}:{ports.storage}/storage/v1/b?project={PROJECT}"),
            logs,
        ),
    ]


# Every push subscription's delivery policy. Production's (terraform/pubsub.tf) has the same shape with 10
# attempts and a 10-600 s backoff; here the attempts are the API's minimum (5) and the backoff short, so an event
# whose subscriber keeps failing reaches its dead-letter topic within seconds.
MAX_DELIVERY_ATTEMPTS = 5
RETRY_BACKOFF_S = (1, 2)
DEAD_LETTER_RETENTION_S = 7 * 24 * 3600


def push_subscription(spec: FunctionSpec) -> str:
    """The name of a subscriber's push subscription (as in terraform/pubsub.tf)."""
    return f"{spec.deploy_name}-push"


def provision(gateway_url: str) -> list[str]:
    """Create every topic and its dead-letter topic (with a pull subscription to inspect it), and one push
    subscription per subscriber (to the gateway) that dead-letters what it fails to deliver; returns the topics."""
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import pubsub_v1

    from bloom.core.settings import get_settings
    from bloom.platform.topics import all_topics
    from infra.dead_letters import dead_letter_topic
    from infra.manifest import load_everything

    project = get_settings().project_id
    specs = load_everything()
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    for topic in all_topics():
        for name in (topic, dead_letter_topic(topic)):
            with contextlib.suppress(AlreadyExists):
                publisher.create_topic(name=publisher.topic_path(project, name))
        with contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(
                request={
                    "name": subscriber.subscription_path(project, dead_letter_topic(topic)),
                    "topic": publisher.topic_path(project, dead_letter_topic(topic)),
                    "message_retention_duration": {"seconds": DEAD_LETTER_RETENTION_S},
                }
            )
    minimum, maximum = RETRY_BACKOFF_S
    for spec in specs.values():
        if spec.topic is None:
            continue
        with contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(
                request={
                    "name": subscriber.subscription_path(project, push_subscription(spec)),
                    "topic": publisher.topic_path(project, spec.topic.name),
                    "push_config": {"push_endpoint": f"{gateway_url}/_/events/{spec.name}"},
                    "ack_deadline_seconds": spec.deployment.timeout_s,
                    "dead_letter_policy": {
                        "dead_letter_topic": publisher.topic_path(project, dead_letter_topic(spec.topic.name)),
                        "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS,
                    },
                    "retry_policy": {
                        "minimum_backoff": {"seconds": minimum},
                        "maximum_backoff": {"seconds": maximum},
                    },
                }
            )
    return sorted(all_topics())


class JobClock(threading.Thread):
    """Fires each scheduled job's topic on its cron expression, as Cloud Scheduler does in production."""

    def __init__(self, jobs: list[FunctionSpec], fire: Callable[[str], object], now: datetime) -> None:
        super().__init__(name="job-clock", daemon=True)
        self.stopped = threading.Event()
        self.jobs, self.fire = jobs, fire
        self.next_runs = {spec.name: next_run(spec, now) for spec in jobs}

    def tick(self, now: datetime) -> list[str]:
        """Fire every job that is due at `now` (once, however late) and schedule its next run."""
        fired = []
        for spec in self.jobs:
            if now >= self.next_runs[spec.name]:
                try:
                    self.fire(spec.name)
                    fired.append(spec.name)
                except Exception as exc:  # the clock keeps going; the job's next run tries again
                    print(f"job {spec.name} could not be fired: {exc}", file=sys.stderr)
                self.next_runs[spec.name] = next_run(spec, now)
        return fired

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            self.tick(datetime.now(UTC))


def next_run(spec: FunctionSpec, after: datetime) -> datetime:
    """The job's next time strictly after `after`, with its cron read in its own time zone."""
    from croniter import croniter

    local = after.astimezone(ZoneInfo(spec.time_zone or "UTC"))
    following: datetime = croniter(spec.cron, local).get_next(datetime)
    return following.astimezone(UTC)


class Stack:
    def __init__(self, ports: Ports, work_dir: Path, with_clock: bool = True) -> None:
        self.ports, self.work_dir, self.with_clock = ports, work_dir, with_clock
        self.processes = emulator_processes(ports, work_dir)
        self.clock: JobClock | None = None
        self.notifier: StorageNotifier | None = None
        self.server: Any = None
        self.services: dict[str, tuple[ManagedProcess, int]] = {}

    def start(self) -> list[str]:
        """Start everything; returns the topics provisioned."""
        os.environ.update(stack_env(self.ports))
        os.environ.setdefault("BLOOM_ENV", "local")
        os.environ.setdefault("BLOOM_EXPOSE_METRICS", "1")
        os.environ.setdefault("BLOOM_TRUSTED_PROXY_HOPS", "1")  # the gateway appends the peer, as GCP's proxies do
        try:
            for process in self.processes:
                process.start()
            for process in self.processes:
                print(f"  waiting for {process.name} emulator…", flush=True)
                process.wait_ready(timeout_s=90)
            from werkzeug.serving import make_server

            from bloom.platform.registry import registered_services
            from infra.gateway import create_gateway, request_handler
            from infra.manifest import load_everything

            load_everything()
            services = registered_services()
            self.services = service_processes(list(services.values()), self.work_dir)
            for process, _ in self.services.values():
                process.start()
            for process, _ in self.services.values():
                print(f"  waiting for {process.name}…", flush=True)
                process.wait_ready(timeout_s=60)
            routes = [
                (prefix, (HOST, self.services[name][1])) for name, spec in services.items() for prefix in spec.prefixes
            ]
            gateway_url = f"http://{HOST}:{self.ports.gateway}"
            self.server = make_server(
                HOST, self.ports.gateway, create_gateway(), threaded=True, request_handler=request_handler(routes)
            )
            threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True).start()
            topics = provision(gateway_url)
            self.notifier = _storage_notifier(self.ports)
            if self.with_clock:
                from bloom.platform.registry import registered
                from infra.jobs import fire_job

                jobs = [spec for spec in registered().values() if spec.kind == "scheduled"]
                self.clock = JobClock(jobs, fire_job, datetime.now(UTC))
                self.clock.start()
        except BaseException:
            self.stop()
            raise
        return topics

    def stop(self) -> None:
        if self.clock is not None:
            self.clock.stopped.set()
        if self.notifier is not None:
            self.notifier.stopped.set()
        if self.server is not None:
            self.server.shutdown()
        for process, _ in self.services.values():
            process.stop()
        for process in reversed(self.processes):
            process.stop()


def _storage_notifier(ports: Ports) -> StorageNotifier:
    """The uploads bucket in the storage emulator, and the notifications Cloud Storage would publish for it."""
    from bloom.core.settings import get_settings
    from bloom.files.events import UPLOAD_OBJECT_FINALIZED
    from infra.storage_notifications import start_notifier

    settings = get_settings()
    emulator = f"http://{HOST}:{ports.storage}"
    return start_notifier(emulator, settings.project_id, settings.uploads_bucket, UPLOAD_OBJECT_FINALIZED.name)


def describe(ports: Ports, topics: list[str]) -> str:
    env = stack_env(ports)
    lines = [
        "Bloom local stack is up.",
        f"  API gateway     http://localhost:{ports.gateway}/api   (frontend: NEXT_PUBLIC_API_URL="
        f"http://localhost:{ports.gateway}/api/v1)",
        f"  OpenAPI         http://localhost:{ports.gateway}/api/openapi.json",
        f"  Swagger UI      http://localhost:{ports.gateway}/swagger",
        f"  Firestore       {HOST}:{ports.firestore}",
        f"  Pub/Sub         {HOST}:{ports.pubsub}",
        f"  Firebase Auth   {HOST}:{ports.auth}   (frontend: connectAuthEmulator to http://localhost:{ports.auth})",
        f"  Cloud Storage   http://{HOST}:{ports.storage}",
        f"  Topics          {', '.join(topics)}",
        "Environment for scripts and the dev CLI:",
        *[f"  export {key}={value}" for key, value in env.items()],
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the Bloom local stack.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "35001")), help="gateway port")
    parser.add_argument("--free-ports", action="store_true", help="pick free ports for every emulator")
    parser.add_argument("--state-file", type=Path, default=DEFAULT_STATE, help="where to write ports and env")
    parser.add_argument("--no-clock", action="store_true", help="do not fire scheduled jobs on their cron")
    args = parser.parse_args(argv)
    ports = Ports.free(args.port) if args.free_ports else Ports(gateway=args.port)
    work_dir = args.state_file.parent / f"stack-{ports.gateway}"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    stack = Stack(ports, work_dir, with_clock=not args.no_clock)
    stopping = threading.Event()

    def request_stop(*_: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    topics = stack.start()
    state = {
        "ports": asdict(ports),
        "env": stack_env(ports),
        "pid": os.getpid(),
        "process_groups": {process.name: process.pid for process in stack.processes},
        "log_dir": str(work_dir / "logs"),
    }
    args.state_file.write_text(json.dumps(state))
    print(describe(ports, topics), flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        print("Stopping the local stack…", flush=True)
        stack.stop()
        args.state_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
