"""The `kefu` command line: argument parsing, logging set-up, one-line errors, exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from core.errors import KefuError

log = logging.getLogger("kefu")

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    from pipeline.commands import (
        alerts,
        db,
        gen,
        grafana,
        orders,
        plan,
        replay,
        run,
        score,
        scripts,
        sql,
    )

    parser = argparse.ArgumentParser(
        prog="kefu", description="Kefu Pulse: live customer-service metrics"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (run, replay, sql, gen, db, score, plan, grafana, orders, alerts, scripts):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ValidationError as exc:
        return _fail(f"invalid configuration: {_first_error(exc)}", EXIT_USAGE)
    except KefuError as exc:
        return _fail(str(exc), EXIT_ERROR)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        log.debug("unexpected error", exc_info=True)
        return _fail(
            f"unexpected {type(exc).__name__}: {exc} (run with -vv for details)", EXIT_INTERNAL
        )


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def _fail(message: str, code: int) -> int:
    print(f"kefu: {message}", file=sys.stderr)
    return code


def _configure_logging(verbosity: int) -> None:
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbosity, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if verbosity < 2:
        for noisy in ("aiokafka", "faust", "mode"):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


if __name__ == "__main__":
    sys.exit(main())
