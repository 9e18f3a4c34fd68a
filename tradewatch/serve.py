"""``tradewatch serve``: the deployments of ``prefect.yaml``, run on this machine.

``prefect.yaml`` is the one place schedules are declared; ``serve`` reads it, so the
single-machine path and the server-and-workers path never drift apart. Prefect schedules
runs only through a server with its scheduler running (a temporary, in-process server
schedules nothing), so without ``PREFECT_API_URL`` this starts ``prefect server start`` on
127.0.0.1 as a child process (its SQLite database under ``PREFECT_HOME``) and stops it on exit.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import yaml

from tradewatch.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment
    from prefect.flows import Flow

PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"


class ServeError(Exception):
    """The deployments file is unusable or the local Prefect server did not come up."""


@dataclass(frozen=True)
class CronSchedule:
    cron: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment as ``prefect.yaml`` declares it."""

    name: str
    entrypoint: str  # path/to/file.py:flow_function
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    schedules: tuple[CronSchedule, ...] = ()

    @property
    def module(self) -> str:
        path = self.entrypoint.partition(":")[0]
        return path.removesuffix(".py").replace("/", ".")

    @property
    def function(self) -> str:
        return self.entrypoint.partition(":")[2]


def load_specs(path: Path = PREFECT_YAML) -> list[DeploymentSpec]:
    """The deployments declared in ``path``; raises ``ServeError`` naming what is wrong."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ServeError(f"{path}: {exc}") from exc
    specs: list[DeploymentSpec] = []
    for index, entry in enumerate(document.get("deployments") or []):
        where = f"{path.name}: deployments[{index}]"
        if (
            not isinstance(entry, dict)
            or not entry.get("name")
            or ":" not in str(entry.get("entrypoint", ""))
        ):
            raise ServeError(f"{where}: needs a name and an entrypoint like file.py:flow")
        schedules = []
        for item in entry.get("schedules") or []:
            if not isinstance(item, dict) or "cron" not in item:
                raise ServeError(f"{where}.schedules: only cron schedules are supported")
            schedules.append(CronSchedule(str(item["cron"]), str(item.get("timezone", "UTC"))))
        specs.append(
            DeploymentSpec(
                name=str(entry["name"]),
                entrypoint=str(entry["entrypoint"]),
                description=str(entry.get("description") or ""),
                parameters=dict(entry.get("parameters") or {}),
                schedules=tuple(schedules),
            )
        )
    if not specs:
        raise ServeError(f"{path}: no deployments declared")
    return specs


def load_flow(spec: DeploymentSpec) -> Flow[..., Any]:
    """The flow object a spec's entrypoint names."""
    return getattr(importlib.import_module(spec.module), spec.function)  # type: ignore[no-any-return]


def runner_deployments(specs: list[DeploymentSpec]) -> list[RunnerDeployment]:
    """One ``RunnerDeployment`` per spec, with its parameters and cron schedules."""
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron

    deployments = []
    for spec in specs:
        deployment = load_flow(spec).to_deployment(
            name=spec.name,
            description=spec.description or None,
            parameters=dict(spec.parameters),
            schedules=[Cron(s.cron, timezone=s.timezone) for s in spec.schedules],
        )
        # Called outside an event loop, Prefect's dual API returns the value itself.
        assert isinstance(deployment, RunnerDeployment)
        deployments.append(deployment)
    return deployments


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(api_url: str, *, timeout: float, process: subprocess.Popen[bytes]) -> None:
    """Poll ``<api_url>/health`` until it answers, the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServeError(f"prefect server exited with code {process.returncode}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise ServeError(f"prefect server not healthy at {api_url} after {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 15.0) -> None:
    """SIGTERM (to its process group), wait up to ``timeout``, then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


@contextmanager
def prefect_server(
    *,
    home: Path,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 90,
) -> Iterator[str]:
    """Run ``prefect server start`` on 127.0.0.1 until the block exits; yields its API URL.

    ``env`` adds to the environment (e.g. ``PREFECT_API_DATABASE_CONNECTION_URL`` for
    PostgreSQL). Output goes to ``home/server.log``.
    """
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    full_env = os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
    }
    full_env |= dict(env or {})
    full_env.pop("PREFECT_API_URL", None)
    api_url = f"http://127.0.0.1:{port}/api"
    prefect = Path(sys.executable).with_name("prefect")
    with (home / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )
        try:
            wait_healthy(api_url, timeout=timeout, process=process)
            yield api_url
        finally:
            stop_process(process)


def serve(specs: list[DeploymentSpec], *, api_url: str | None, home: Path) -> None:
    """Serve every deployment until interrupted, starting a local server when needed."""
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with api_server(api_url, home) as url, temporary_settings({PREFECT_API_URL: url}):
        prefect_serve(*runner_deployments(specs))


@contextmanager
def api_server(api_url: str | None, home: Path) -> Iterator[str]:
    """``api_url`` when given, else a local server's for the duration of the block."""
    if api_url:
        yield api_url
        return
    with prefect_server(home=home) as url:
        yield url
