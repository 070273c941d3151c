"""Every pointer from the code to a definition resolves inside the repository.

A reader holding only the repository must be able to follow a comment such as
`docs/metrics.md#conversion`: the file exists and has that heading. Nothing points at
material outside the repository.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_REFERENCE = re.compile(r"\b(docs/[\w/.-]+\.md)(?:#([\w-]+))?")
_OUTSIDE = re.compile(r"\.\./shared/|\bshared/(?:spec|notes)/|(?<![\w/])spec/\w+\.md")


def _code_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py", "*.sql"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@cache
def _anchors(doc: Path) -> frozenset[str]:
    headings = re.findall(r"^#+ (.+)$", doc.read_text("utf-8"), flags=re.MULTILINE)
    return frozenset(_slug(h) for h in headings)


def test_slugs_follow_github() -> None:
    assert _slug("Event time, lateness and duplicates") == "event-time-lateness-and-duplicates"
    assert _slug("Platform bases (平台口径)") == "platform-bases-平台口径"


def test_every_reference_names_a_file_and_heading_that_exist() -> None:
    broken = []
    for path in _code_files():
        if path.name == Path(__file__).name:
            continue
        for match in _REFERENCE.finditer(path.read_text("utf-8")):
            doc = ROOT / match[1]
            if not doc.is_file():
                broken.append(f"{path.relative_to(ROOT)}: {match[0]} (no such file)")
            elif match[2] and match[2] not in _anchors(doc):
                broken.append(f"{path.relative_to(ROOT)}: {match[0]} (no such heading)")
    assert not broken, "\n".join(broken)


def test_nothing_points_outside_the_repository() -> None:
    outside = [
        f"{path.relative_to(ROOT)}: {match[0]}"
        for path in _code_files()
        if path.name != Path(__file__).name and "tests/unit/test_sql_migrations.py" not in str(path)
        for match in _OUTSIDE.finditer(path.read_text("utf-8"))
    ]
    assert not outside, "\n".join(outside)
