"""Apply the numbered files of sql/ to a store, once each, then the settings-driven ALTERs."""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.errors import ConfigError, RetryLater
from sinks.errors import StoreError
from sinks.sql_text import split_statements, without_comments
from sinks.store import Store

log = logging.getLogger(__name__)


def _sql_dir() -> Path:
    """sql/ of the source tree, else the copy a (non-editable) install puts under the prefix."""
    beside = Path(__file__).resolve().parents[1] / "sql"
    installed = Path(sys.prefix) / "share" / "kefu-pulse" / "sql"
    return beside if beside.is_dir() else installed


SQL_DIR = _sql_dir()
LEDGER = "schema_migrations"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{(database|text_ttl_days)\}")
# Statements that change or copy a table's storage, with the tables they do it to.
_STORAGE = (
    re.compile(r"^ALTER TABLE (\w+\.\w+)\s", re.IGNORECASE),
    re.compile(r"^EXCHANGE TABLES (\w+\.\w+) AND (\w+\.\w+)\s*$", re.IGNORECASE),
    re.compile(r"^CREATE TABLE\s.*\sAS SELECT \* FROM (\w+\.\w+)\s*$", re.IGNORECASE | re.DOTALL),
)
_TEXT_TTL = re.compile(r"`text` Nullable\(String\) TTL .*?toIntervalDay\((\d+)\)")


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered file of sql/."""

    version: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        """Of the statements only: a comment edited after release is not a schema change."""
        return hashlib.sha256(without_comments(self.text).encode()).hexdigest()

    def recorded_as(self, checksum: str) -> bool:
        """Whether a ledger entry is this file's, by today's checksum or the whole-file one."""
        whole_file = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return checksum in (self.checksum, whole_file)


def migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    """The migration files in order; a misnamed file or a repeated number is an error."""
    found: list[Migration] = []
    numbers: dict[str, str] = {}
    for path in sorted(sql_dir.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            msg = f"{path}: migration files are named NNNN_what_it_does.sql"
            raise ConfigError(msg)
        if match.group(1) in numbers:
            msg = f"{path}: number {match.group(1)} is already used by {numbers[match.group(1)]}"
            raise ConfigError(msg)
        numbers[match.group(1)] = path.name
        found.append(Migration(path.stem, path))
    return found


def render(text: str, database: str, text_ttl_days: int) -> str:
    """Fill in {database} and {text_ttl_days}; any other braces are left alone."""
    values = {"database": database, "text_ttl_days": str(text_ttl_days)}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def migrate(
    store: Store,
    database: str,
    text_ttl_days: int,
    sql_dir: Path = SQL_DIR,
) -> list[str]:
    """Bring `database` to the latest schema; returns the versions applied now.

    Applied versions are skipped (safe to run twice); each newly applied file is
    recorded in schema_migrations. Afterwards the raw-text TTL is set to
    `text_ttl_days` if it differs. A failing statement raises StoreError naming
    the file and ClickHouse's message; files before it stay applied.
    """
    if not _IDENTIFIER.match(database):
        msg = f"database name {database!r} must be a plain identifier"
        raise ConfigError(msg)
    if text_ttl_days < 1:
        msg = f"raw_text_ttl_days must be at least 1, not {text_ttl_days}"
        raise ConfigError(msg)
    done = _applied(store, database)
    applied: list[str] = []
    for migration in migrations(sql_dir):
        if migration.version in done:
            if not migration.recorded_as(done[migration.version]):
                log.warning(
                    "%s changed after it was applied; add a new file instead", migration.path
                )
            continue
        _apply(store, migration, database, text_ttl_days)
        applied.append(migration.version)
    _apply_text_ttl(store, database, text_ttl_days)
    if applied:
        log.info("database %s migrated: %s", database, ", ".join(applied))
    else:
        log.info("database %s is up to date", database)
    return applied


def _applied(store: Store, database: str) -> dict[str, str]:
    exists = store.query(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        {"db": database, "t": LEDGER},
    ).scalar()
    if not exists:
        return {}
    rows = store.query(f"SELECT version, checksum FROM {database}.{LEDGER} FINAL").rows
    return {version: checksum for version, checksum in rows}


def _apply(store: Store, migration: Migration, database: str, text_ttl_days: int) -> None:
    log.info("applying %s", migration.path.name)
    for statement in split_statements(render(migration.text, database, text_ttl_days)):
        if _changes_a_distributed_table(store, statement):
            # On a cluster the local tables carry storage changes (deploy/clickhouse/).
            log.info("%s: skipped on a Distributed table: %s", migration.path.name, statement)
            continue
        try:
            store.command(statement)
        except StoreError as exc:
            msg = f"migration {migration.path.name} failed: {exc}"
            raise StoreError(msg, exc.code) from exc
        except RetryLater as exc:
            msg = f"migration {migration.path.name} failed: {exc}"
            raise RetryLater(msg, exc.retry_after) from exc
    store.insert(
        f"{database}.{LEDGER}",
        ("version", "checksum", "applied_at"),
        [(migration.version, migration.checksum, datetime.now(UTC))],
    )


def table_definition(store: Store, database: str, table: str) -> tuple[str, str] | None:
    """(engine, CREATE statement) of a table, or None when it does not exist."""
    found = store.query(
        "SELECT engine, create_table_query FROM system.tables"
        " WHERE database = {db:String} AND name = {t:String}",
        {"db": database, "t": table},
    ).rows
    return (str(found[0][0]), str(found[0][1])) if found else None


def _changes_a_distributed_table(store: Store, statement: str) -> bool:
    """Whether the statement alters, swaps or copies the storage of a Distributed table.

    On a cluster such a statement would change the Distributed table itself (a TTL it
    cannot take), or put one server's unreplicated copy of the rows under its name."""
    code = without_comments(statement).strip()
    for pattern in _STORAGE:
        match = pattern.match(code)
        if match is not None:
            return any(_is_distributed(store, *name.split(".")) for name in match.groups())
    return False


def _is_distributed(store: Store, database: str, table: str) -> bool:
    found = table_definition(store, database, table)
    return found is not None and found[0] == "Distributed"


def _apply_text_ttl(store: Store, database: str, days: int) -> None:
    """Re-apply KefuSettings.raw_text_ttl_days to chat_messages.text when it changed."""
    found = table_definition(store, database, "chat_messages")
    # On a cluster chat_messages is a Distributed table; the TTL lives on the local tables,
    # which an operator manages with deploy/clickhouse/.
    if found is None or not found[0].endswith("MergeTree"):
        return
    match = _TEXT_TTL.search(found[1])
    if match is not None and int(match.group(1)) == days:
        return
    log.info("setting the raw text TTL of %s.chat_messages to %d days", database, days)
    store.command(
        f"ALTER TABLE {database}.chat_messages MODIFY COLUMN text Nullable(String) "
        f"TTL toDateTime(occurred_at) + toIntervalDay({days})"
    )
