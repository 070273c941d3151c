"""Splitting SQL scripts into statements, aware of quotes and comments."""

from __future__ import annotations

import re

_QUOTES = "'\"`"
_TRAILING_FORMAT = re.compile(
    r"\bFORMAT\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:SETTINGS\b[^;]*)?;?\s*$", re.IGNORECASE
)


def sql_string(value: str) -> str:
    """A ClickHouse string literal."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def split_statements(script: str) -> list[str]:
    """The `;`-separated statements of `script`, comments kept, blanks dropped.

    A `;` inside a quoted string or identifier ('...', "...", `...`, with
    backslash escapes or doubled quotes), a `-- ...` / `# ...` line comment or a
    `/* ... */` block comment does not end a statement.
    """
    statements: list[str] = []
    start = i = 0
    n = len(script)
    while i < n:
        ch = script[i]
        if ch in _QUOTES:
            i = _skip_quoted(script, i)
        elif script.startswith("--", i) or ch == "#":
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
        elif script.startswith("/*", i):
            end = script.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == ";":
            statements.append(script[start:i])
            i += 1
            start = i
        else:
            i += 1
    statements.append(script[start:])
    return [s.strip() for s in statements if _has_code(s)]


def trailing_format(sql: str) -> str | None:
    """The statement's own output format (`... FORMAT JSON`), if it names one."""
    match = _TRAILING_FORMAT.search(mask(sql))
    return match.group(1) if match else None


# Table functions and engines that read or write files, other hosts or programs. A store
# served over HTTP must not hand its process's file system or network to a client.
_REACHES_OUT = re.compile(
    r"(?:[`\"]?\b(?P<function>file|fileCluster|url|urlCluster|s3|s3Cluster|gcs|oss|cosn"
    r"|azureBlobStorage\w*|hdfs\w*|remote|remoteSecure|cluster|clusterAllReplicas|mysql"
    r"|postgresql|jdbc|odbc|mongodb|redis|sqlite|executable|iceberg\w*|deltaLake\w*|hudi\w*)"
    r"\b[`\"]?\s*\("
    r"|ENGINE\s*=\s*(?P<engine>File|URL|S3\w*|HDFS|MySQL|PostgreSQL|MaterializedPostgreSQL"
    r"|ODBC|JDBC|MongoDB|Redis|SQLite|Executable\w*|Kafka|RabbitMQ|NATS|AzureBlobStorage)\b"
    r"|(?P<io>INTO\s+OUTFILE|FROM\s+INFILE))",
    re.IGNORECASE,
)


def reaches_outside(sql: str) -> str | None:
    """What in `sql` would touch files, the network or programs, if anything."""
    # String literals and comments are blanked; quoted identifiers are not: `file`(...) runs.
    match = _REACHES_OUT.search(_blank(sql, quoted=True, quotes="'"))
    if match is None:
        return None
    found = match["function"] or match["engine"] or " ".join(match["io"].split())
    return found


def mask(sql: str) -> str:
    """`sql` with quoted text and comments blanked out (same length), for keyword searches."""
    return _blank(sql, quoted=True)


def without_comments(sql: str) -> str:
    """`sql` with comments dropped and runs of whitespace folded: what the server executes."""
    return " ".join(_blank(sql, quoted=False).split())


def _blank(sql: str, *, quoted: bool, quotes: str = _QUOTES) -> str:
    out = list(sql)
    i = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        if ch in _QUOTES:
            end = _skip_quoted(sql, i)
            if not quoted or ch not in quotes:
                i = end
                continue
        elif sql.startswith("--", i) or ch == "#":
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        else:
            i += 1
            continue
        out[i:end] = " " * (end - i)
        i = end
    return "".join(out)


def _skip_quoted(script: str, i: int) -> int:
    quote = script[i]
    i += 1
    n = len(script)
    while i < n:
        ch = script[i]
        if ch == "\\":
            i += 2
        elif ch == quote:
            if i + 1 < n and script[i + 1] == quote:
                i += 2
            else:
                return i + 1
        else:
            i += 1
    return n


def _has_code(statement: str) -> bool:
    """Whether anything but comments and whitespace is left."""
    i = 0
    n = len(statement)
    while i < n:
        ch = statement[i]
        if ch.isspace():
            i += 1
        elif statement.startswith("--", i) or ch == "#":
            end = statement.find("\n", i)
            i = n if end < 0 else end + 1
        elif statement.startswith("/*", i):
            end = statement.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            return True
    return False
