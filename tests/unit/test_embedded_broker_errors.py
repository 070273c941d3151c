"""A broker that cannot start fails fast with one clear ServiceUnavailable sentence."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from core.errors import ServiceUnavailable
from pipeline.embedded_broker import HOST, TansuBroker


def test_missing_binary_is_service_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-tansu"
    broker = TansuBroker(log_dir=tmp_path, binary=missing)
    with pytest.raises(ServiceUnavailable, match=r"binary .*no-such-tansu does not exist"):
        broker.start()
    assert not broker.running


def test_taken_port_is_service_unavailable(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        executable = tmp_path / "tansu"
        executable.write_text("#!/bin/sh\nexit 1\n")
        executable.chmod(0o755)
        broker = TansuBroker(log_dir=tmp_path, port=port, binary=executable)
        with pytest.raises(ServiceUnavailable, match=f"port {port} .* already taken"):
            broker.start()
    assert not broker.running


def test_bootstrap_before_start_is_service_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable, match="not running"):
        _ = TansuBroker(log_dir=tmp_path).bootstrap
