"""Statement splitting and masking see through quotes and comments."""

from __future__ import annotations

from sinks.sql_text import mask, reaches_outside, split_statements


def test_semicolons_in_quotes_and_comments_do_not_split() -> None:
    script = """
    -- header; with a semicolon
    CREATE TABLE t (a String DEFAULT ';', `b;c` UInt8) ENGINE = Memory;
    /* block; comment */
    INSERT INTO t VALUES ('it''s; fine', 1), ('back\\'slash;', 2);
    SELECT "x;y" FROM t  # trailing; comment
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[0].startswith("-- header; with a semicolon\n    CREATE TABLE t")
    assert statements[1].endswith("('back\\'slash;', 2)")
    assert statements[2].startswith('SELECT "x;y"')


def test_comment_only_and_empty_pieces_are_dropped() -> None:
    assert split_statements("-- nothing here;\n;;  /* nor; here */ ;") == []
    assert split_statements("SELECT 1;") == ["SELECT 1"]


def test_mask_keeps_length_and_blanks_quoted_text() -> None:
    sql = "SELECT 'FORMAT x' -- FORMAT y\nFROM t FORMAT JSON"
    masked = mask(sql)
    assert len(masked) == len(sql)
    assert "FORMAT x" not in masked and "FORMAT y" not in masked
    assert masked.endswith("FROM t FORMAT JSON")


def test_what_reaches_outside_is_named_and_quoted_text_is_not() -> None:
    assert reaches_outside("SELECT * FROM file('a.csv')") == "file"
    assert reaches_outside("select * from S3('https://x/y')") == "S3"
    assert reaches_outside("SELECT * FROM remoteSecure('h', db.t)") == "remoteSecure"
    assert reaches_outside("CREATE TABLE t (a Int8) ENGINE = URL('http://x', CSV)") == "URL"
    assert reaches_outside("SELECT 1 INTO  OUTFILE 'x'") == "INTO OUTFILE"
    # A quoted identifier is still the function: chDB runs `file`('/etc/hostname').
    assert reaches_outside("SELECT * FROM `file`('/etc/hostname')") == "file"
    assert reaches_outside("SELECT * FROM \"url\"('http://x', CSV)") == "url"
    assert reaches_outside("SELECT * FROM cluster('c', db.t)") == "cluster"
    assert reaches_outside("SELECT 'file(x)', url FROM t -- url('y')") is None
    assert reaches_outside("SELECT count() FROM kefu.inquiries FINAL") is None
