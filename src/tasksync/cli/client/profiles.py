"""Where the client keeps its servers and sign-ins: one JSON file in the user's config folder
(`$TASKSYNC_CONFIG_DIR`, else `$XDG_CONFIG_HOME/tasksync`, else `~/.config/tasksync`),
readable by its owner only (0600), since it holds a refresh token."""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_PROFILE = "default"


@dataclass
class Profile:
    url: str = DEFAULT_URL
    username: str | None = None
    refresh_token: str | None = None
    access_token: str | None = None


@dataclass
class Profiles:
    current: str = DEFAULT_PROFILE
    profiles: dict[str, Profile] = field(default_factory=dict)


def config_dir() -> Path:
    if explicit := os.environ.get("TASKSYNC_CONFIG_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "tasksync"


def config_file() -> Path:
    return config_dir() / "profiles.json"


def load() -> Profiles:
    path = config_file()
    if not path.exists():
        return Profiles()
    raw = json.loads(path.read_text())
    return Profiles(
        current=raw.get("current", DEFAULT_PROFILE),
        profiles={name: Profile(**fields) for name, fields in raw.get("profiles", {}).items()},
    )


def save(profiles: Profiles) -> None:
    """Writes the file whole through a private temporary file, so it is never readable by
    others, not even for a moment, and never half written."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = config_file()
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(
            {
                "current": profiles.current,
                "profiles": {name: asdict(p) for name, p in profiles.profiles.items()},
            },
            out,
            indent=2,
        )
    os.replace(temporary, path)


def chosen_name(explicit: str | None, profiles: Profiles) -> str:
    """`--profile`, else `TASKSYNC_PROFILE`, else the one signed in to last."""
    return explicit or os.environ.get("TASKSYNC_PROFILE") or profiles.current


def resolve_url(explicit: str | None, profile: Profile) -> str:
    """`--url`, else `TASKSYNC_URL`, else the profile's server."""
    return (explicit or os.environ.get("TASKSYNC_URL") or profile.url).rstrip("/")
