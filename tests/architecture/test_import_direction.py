"""Dependencies point one way: the domain (`clinic`) imports none of the apps; no production package imports the
simulator (`sim`), which the image does not ship (deployment/Dockerfile copies clinic, dialer, agent,
token_server and speech_server only). Every import statement counts, including ones inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("clinic", "dialer", "agent", "token_server", "speech_server")
FORBIDDEN = {
    "clinic": ("dialer", "agent", "token_server", "sim", "speech_server"),
    "dialer": ("agent", "token_server", "sim"),
    "agent": ("dialer", "token_server", "sim"),
    "token_server": ("agent", "sim"),
    "speech_server": ("dialer", "agent", "token_server", "sim"),
}
# `python -m agent converse` runs one text-mode call against the LiveKit stand-in for a person at a shell; the
# command's module is the one place an agent file reaches into sim, and only when that command runs.
ALLOWED = {("agent/__main__.py", "sim")}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_imports_point_one_way() -> None:
    wrong = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            for top in imports_of(path) & set(forbidden):
                if (rel, top) not in ALLOWED:
                    wrong.append(f"{rel} imports {top}")
    assert not wrong, "wrong-way imports:\n" + "\n".join(wrong)


def test_the_image_ships_no_simulator() -> None:
    dockerfile = (ROOT / "deployment" / "Dockerfile").read_text()
    copied = {line.split()[1].rstrip("/") for line in dockerfile.splitlines()
              if line.startswith("COPY ") and not line.startswith("COPY --from")}
    assert "sim" not in copied
    assert {"clinic", "dialer", "agent", "token_server", "speech_server"} <= copied
