"""Settings of the webhook service, and the config file that tunes the audit per org or repo.

The config file (YAML, ``--config FILE``) overrides the command line's ``--policy``,
``--fail-on``, ``--verify`` and ``--mirror`` for one organisation or one repository, and adds
waivers that apply to every pull request there::

    repos:
      acme:                       # every repo of the org
        policy: [strict]
        fail_on: warning
      acme/special-lora:          # one repo (datasets: datasets/org/name); wins over its org
        verify: load
        mirrors: [/srv/mirror]
        waivers:                  # same entries as a repo's .ailiance-audit.yaml
          - rule: license.sharealike-leak
            reason: legal review 2026-11
            owner: compliance@example.org
            expires: 2027-03-31

Fields are merged one by one: repo entry, then org entry, then the command line. Everything is
validated at start-up (a bad policy, waiver or mirror refuses to start: exit 2).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import yaml

from auditor.errors import UsageError
from auditor.models import FAIL_ON as FAIL_ON_RANK
from auditor.models import VERIFY_LEVELS, RepoKind, VerifyLevel

FAIL_ON = tuple(FAIL_ON_RANK)  # the severities (auditor.models.Severity) and never
VERIFY = VERIFY_LEVELS
MAX_CONFIG_BYTES = 1 << 20
_FIELDS = {"policy", "fail_on", "verify", "mirrors", "waivers"}


@dataclass(frozen=True)
class RepoSettings:
    """How the pull requests of one repo are audited and gated."""

    policy: tuple[str, ...] = ("default",)
    fail_on: str = "error"
    verify: VerifyLevel = "load"
    mirrors: tuple[Path, ...] = ()
    waivers: str | None = None  # YAML text ``waivers: [...]``, read by auditor.policy.waivers
    source: str = "command line"  # where the settings came from (shown in the comment)


@dataclass(frozen=True)
class GateConfig:
    """The command line's settings and the config file's overrides, by org or repo key."""

    defaults: RepoSettings = RepoSettings()
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    file: str = ""

    def for_repo(self, kind: RepoKind, repo_id: str) -> RepoSettings:
        """The settings of one repo: repo entry over org entry over the command line."""
        key = f"datasets/{repo_id}" if kind == RepoKind.DATASET else repo_id
        org = key.rsplit("/", 1)[0]
        merged: dict[str, Any] = {}
        used = []
        for name in (org, key):
            if name in self.overrides:
                merged.update(self.overrides[name])
                used.append(name)
        if not merged:
            return self.defaults
        return replace(self.defaults, **merged, source=f"{self.file} ({', '.join(used)})")


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service needs besides the gate config; secrets are never printed."""

    db: Path
    gate: GateConfig
    host: str = "127.0.0.1"
    port: int = 8000
    secret: str | None = None
    token: str | None = None
    ui_token: str | None = None
    endpoint: str | None = None
    workers: int = 2
    max_queue: int = 1000
    max_body: int = 256 << 10
    retry_base: float = 2.0  # seconds before the first retry of a failed comment
    retry_max: float = 300.0
    max_attempts: int = 20

    def __repr__(self) -> str:  # the dataclass repr would show the secret and the token
        return f"ServiceSettings(db={self.db!s}, host={self.host}, port={self.port})"


def is_loopback(host: str) -> bool:
    """Whether ``host`` binds only the loopback interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_gate_config(path: Path | None, defaults: RepoSettings) -> GateConfig:
    """Read and validate the config file (None: the command line's settings for every repo)."""
    if path is None:
        return GateConfig(defaults=defaults)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--config {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError(f"--config {path}: larger than 1 MiB")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise UsageError(f"--config {path}: invalid YAML ({str(exc).splitlines()[0]})") from exc
    repos = data.get("repos") if isinstance(data, dict) else None
    if not isinstance(repos, dict) or set(data) - {"repos"}:
        raise UsageError(f"--config {path}: expected a mapping with one key, 'repos'")
    overrides = {str(k): _entry(path, str(k), v) for k, v in repos.items()}
    config = GateConfig(defaults=defaults, overrides=overrides, file=path.name)
    for key in overrides:
        settings = config.for_repo(RepoKind.MODEL, key if "/" in key else f"{key}/x")
        check_settings(settings, f"--config {path}: {key}")
    return config


def _entry(path: Path, key: str, value: Any) -> dict[str, Any]:
    where = f"--config {path}: {key}"
    if not isinstance(value, dict) or set(value) - _FIELDS:
        raise UsageError(f"{where}: expected a mapping of {', '.join(sorted(_FIELDS))}")
    out: dict[str, Any] = {}
    if "policy" in value:
        policy = value["policy"]
        policy = [policy] if isinstance(policy, str) else policy
        if not isinstance(policy, list) or not all(isinstance(p, str) for p in policy):
            raise UsageError(f"{where}: policy is a profile name or a list of them")
        out["policy"] = tuple(policy)
    if "fail_on" in value:
        if value["fail_on"] not in FAIL_ON:
            raise UsageError(f"{where}: fail_on is one of {', '.join(FAIL_ON)}")
        out["fail_on"] = value["fail_on"]
    if "verify" in value:
        if value["verify"] not in VERIFY:
            raise UsageError(f"{where}: verify is one of {', '.join(VERIFY)}")
        out["verify"] = cast(VerifyLevel, value["verify"])
    if "mirrors" in value:
        mirrors = value["mirrors"]
        if not isinstance(mirrors, list) or not all(isinstance(m, str) for m in mirrors):
            raise UsageError(f"{where}: mirrors is a list of directories")
        out["mirrors"] = tuple((path.parent / m).resolve() for m in mirrors)
    if "waivers" in value:
        out["waivers"] = yaml.safe_dump({"waivers": value["waivers"]}, sort_keys=False)
    return out


def check_settings(settings: RepoSettings, where: str) -> None:
    """Refuse settings that could only fail later: policies, mirrors, waivers."""
    from auditor.policy import load_policies
    from auditor.policy.waivers import load_waivers

    try:
        load_policies(list(settings.policy))
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from exc
    for mirror in settings.mirrors:
        if not mirror.is_dir():
            raise UsageError(f"{where}: mirror {mirror}: no such directory")
    _, problems = load_waivers(settings.waivers, "config")
    if problems:
        raise UsageError(f"{where}: waivers: {problems[0][0]}")
