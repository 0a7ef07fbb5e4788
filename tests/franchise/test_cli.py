"""The commands: init, keys, expire, and `fodi ledger verify/witness` against a real server."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fodi.cli import app
from fodi.franchise.wallets.hd import valid_mnemonic

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'franchise.db'}",
        "FODI_VAR_DIR": str(tmp_path / "var"),
        "FODI_ENV": "development",
        "JWT_SECRET": "cli-test-secret-0123456789abcdef",
        "FRANCHISE__LEDGER_SECRET": "cli-test-ledger-secret-0123456789",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    return env


def _mnemonic(output: str) -> str:
    lines = [line.strip() for line in output.splitlines()]
    return next(line for line in lines if len(line.split()) in (12, 24))


def test_init_shows_the_mnemonic_once_and_never_stores_it(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["franchise", "init"])
    assert result.exit_code == 0, result.output
    mnemonic = _mnemonic(result.output)
    assert valid_mnemonic(mnemonic)
    assert len(mnemonic.split()) == 24
    assert "ledger key" in result.output
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("franchise.db*"))
    assert mnemonic.encode() not in stored
    assert mnemonic.split()[0].encode() + b" " + mnemonic.split()[1].encode() not in stored
    again = runner.invoke(app, ["franchise", "init"])
    assert again.exit_code == 1
    assert "already initialised" in again.output


def test_keys_are_printed_once_and_validated(cli_env: dict[str, str]) -> None:
    assert runner.invoke(app, ["franchise", "init"]).exit_code == 0
    admin = runner.invoke(app, ["franchise", "key", "create", "--admin"])
    assert admin.exit_code == 0
    assert admin.output.strip().splitlines()[-1].startswith("hps_")
    assert runner.invoke(app, ["franchise", "key", "create", "--pos", "nope"]).exit_code == 1
    assert runner.invoke(app, ["franchise", "key", "create"]).exit_code == 2
    assert runner.invoke(app, ["franchise", "key", "create", "--role", "Boss"]).exit_code == 2
    owner = ["franchise", "key", "create", "--role", "FranchiseOwner"]
    assert runner.invoke(app, owner).exit_code == 1  # an owner key names its node
    assert runner.invoke(app, [*owner, "--node", "7"]).exit_code == 1  # no such node
    auditor = runner.invoke(app, ["franchise", "key", "create", "--role", "Auditor"])
    key_id = auditor.output.split()[1]
    assert runner.invoke(app, ["franchise", "key", "revoke", key_id]).exit_code == 0
    assert runner.invoke(app, ["franchise", "key", "revoke", key_id]).exit_code == 1
    assert runner.invoke(app, ["franchise", "expire"]).output.strip() == "0 check(s) expired"


def _flat(output: str) -> str:
    return " ".join(output.split())  # rich wraps long lines


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _server(env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "fodi"), "serve", "franchise", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.slow
def test_verify_and_witness_a_running_service_then_catch_tampering(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert runner.invoke(app, ["franchise", "init"]).exit_code == 0
    token = (
        runner.invoke(app, ["franchise", "key", "create", "--admin"])
        .output.strip()
        .splitlines()[-1]
    )
    with _server(cli_env, _free_port()) as url:
        headers = {"X-API-Key": token}
        node = {
            "RegisterNode": {"owner_address": "0xo", "node_type": "FRANCHISE", "city": "Rustavi"}
        }
        assert httpx.post(f"{url}/api/v1/pos", json=node, headers=headers).status_code == 200
        httpx.post(f"{url}/api/v1/pos", json={"WhitelistPos": {"pos_id": "p"}}, headers=headers)
        for n in range(5):
            sale = {
                "node_id": 1,
                "sale_id": f"s{n}",
                "price_subunits": 700,
                "buyer_meta": "",
                "pos_id": "p",
                "items": [],
            }
            assert (
                httpx.post(
                    f"{url}/api/v1/pos", json={"RecordSale": sale}, headers=headers
                ).status_code
                == 200
            )
        state = str(tmp_path / "verifier")
        result = runner.invoke(app, ["ledger", "verify", url, "--state", state, "--full"])
        assert result.exit_code == 0, result.output
        assert "size 8" in _flat(result.output)
        assert "full tree recomputed" in _flat(result.output)
        witness = runner.invoke(app, ["ledger", "witness", url, "--state", state])
        assert witness.exit_code == 0, witness.output
        assert "witness.fodifood.local" in witness.output
        database = sqlite3.connect(tmp_path / "franchise.db")
        database.execute(
            "UPDATE franchise_ledger_entries SET body = replace(body, '\"price_subunits\":700', "
            "'\"price_subunits\":70') WHERE idx = 6"
        )
        database.commit()
        database.close()
        tampered = runner.invoke(app, ["ledger", "verify", url, "--state", state, "--full"])
        assert tampered.exit_code == 3
        assert "first bad index: 6" in _flat(tampered.output)
