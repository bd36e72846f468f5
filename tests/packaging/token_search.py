"""Find an API token in the files a run left behind."""

from __future__ import annotations

from pathlib import Path


def files_holding(root: Path, token: str) -> list[str]:
    """The paths (relative to ``root``) of every file under ``root`` whose bytes contain ``token``."""
    needle = token.encode()
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file() and needle in path.read_bytes())


def assert_search_finds_a_planted_token(root: Path, token: str) -> None:
    """Self-check: a token planted deep in ``root`` is found, so an empty result means no token, not a blind search."""
    planted = root / "planted" / "deeper" / "event.json"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(f'{{"stdout": "Authorization: Bearer {token}"}}\n', encoding="utf-8")
    try:
        assert str(planted.relative_to(root)) in files_holding(root, token)
    finally:
        planted.unlink()
