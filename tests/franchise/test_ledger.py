"""The ledger through HTTP: checkpoints, entries, proofs; verify and witness; tampering."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from fodi.franchise.ledger.canonical import parse_entry
from fodi.franchise.ledger.models import FranchiseLedgerEntry
from fodi.franchise.ledger.notes import Checkpoint, Verifier, verify_cosignature, verify_note
from fodi.franchise.ledger.verify import StateDir, VerificationFailed, verify_log
from fodi.franchise.ledger.witness import Witness, request_body
from fodi.franchise.merkle import leaf_hash, verify_consistency, verify_inclusion
from tests.franchise.conftest import Network
from tests.franchise.helpers import pos, sale


async def _activity(network: Network, sales: int = 6) -> int:
    async with network.client(network.admin) as admin:
        node = (
            await pos(
                admin,
                "RegisterNode",
                {"owner_address": "0xo", "node_type": "OWNER", "city": "Tbilisi"},
            )
        ).json()["data"]["node_id"]
        await pos(admin, "WhitelistPos", {"pos_id": "pos_1"})
        for n in range(sales):
            assert (await pos(admin, "RecordSale", sale(f"s-{n}", node))).status_code == 200
    return int(node)


async def test_checkpoint_is_a_signed_note_over_the_entries(network: Network) -> None:
    await _activity(network)
    async with network.client() as client:
        data = (await client.get("/api/v1/ledger/checkpoint")).json()["data"]
        vkey = (await client.get("/api/v1/ledger/key")).json()["data"]["vkey"]
        assert vkey == network.vkey
        text = verify_note(data["note"], Verifier.parse(vkey))
        checkpoint = Checkpoint.parse_text(text)
        assert text.startswith(network.state.config.origin + "\n")
        assert checkpoint.size == data["size"] == 9
        entries = (
            await client.get("/api/v1/ledger/entries", params={"start": 0, "end": 9})
        ).json()["data"]
        kinds = [e["kind"] for e in entries]
        assert kinds[:3] == ["genesis", "node_registered", "pos_whitelisted"]
        bodies = [base64.b64decode(e["body"]) for e in entries]
        sale_entry = parse_entry(bodies[3])
        assert sale_entry["sale_id"] == "s-0"
        assert sum(a for _, a in sale_entry["postings"]) == 0
        leaves = [leaf_hash(b) for b in bodies]
        for index in range(9):
            proof = (
                await client.get(
                    "/api/v1/ledger/proof/inclusion", params={"index": index, "tree_size": 9}
                )
            ).json()["data"]["proof"]
            assert verify_inclusion(
                index, 9, leaves[index], [base64.b64decode(p) for p in proof], checkpoint.root
            )
        by_hash = (
            await client.get(
                "/api/v1/ledger/proof/inclusion", params={"leaf_hash": leaves[4].hex()}
            )
        ).json()["data"]
        assert by_hash["index"] == 4
        history = (await client.get("/api/v1/ledger/checkpoints")).json()["data"]
        old = Checkpoint.parse_text(verify_note(history[2]["note"], Verifier.parse(vkey)))
        consistency = (
            await client.get(
                "/api/v1/ledger/proof/consistency", params={"first": old.size, "second": 9}
            )
        ).json()["data"]["proof"]
        assert verify_consistency(
            old.size, 9, old.root, checkpoint.root, [base64.b64decode(p) for p in consistency]
        )
        bad = await client.get(
            "/api/v1/ledger/proof/inclusion", params={"index": 9, "tree_size": 9}
        )
        assert bad.status_code == 400
        assert bad.json()["success"] is False
        assert (
            await client.get("/api/v1/ledger/proof/consistency", params={"first": 10})
        ).status_code == 400


async def test_on_demand_checkpoint_needs_a_key(network: Network) -> None:
    async with network.client() as client:
        assert (await client.post("/api/v1/ledger/checkpoint")).status_code == 401
    async with network.client(network.admin) as admin:
        response = await admin.post("/api/v1/ledger/checkpoint")
        assert response.status_code == 200
        assert response.json()["data"]["size"] == 1


async def test_verify_then_grow_then_verify_consistency(network: Network, tmp_path: Path) -> None:
    await _activity(network, 3)
    state = StateDir(tmp_path / "verifier")
    async with network.client() as client:
        first = await verify_log(client, state, vkey=network.vkey, full=True)
        assert first.size == 6
        assert first.full
        assert first.previous_size is None
    node = await _activity(network, 0)
    async with network.client(network.admin) as admin:
        await pos(admin, "RecordSale", sale("late", node))
    async with network.client() as client:
        second = await verify_log(client, state, samples=3, rng=random.Random(1))
        assert second.previous_size == 6
        assert second.size == 8
        assert len(second.spot_checked) == 3


@pytest.mark.parametrize("attack", ["edit_body", "edit_body_and_leaf", "delete"])
async def test_tampering_is_detected_with_the_first_bad_index(
    network: Network, tmp_path: Path, attack: str
) -> None:
    await _activity(network, 6)
    async with network.db.session() as session:
        row = await session.get(FranchiseLedgerEntry, 5)
        assert row is not None
        forged = row.body.replace(b'"owner_units":51', b'"owner_units":52').replace(
            b'"buyer_units":49', b'"buyer_units":48'
        )
        assert forged != row.body
        if attack == "delete":
            await session.execute(delete(FranchiseLedgerEntry).where(FranchiseLedgerEntry.idx == 5))
        else:
            values: dict[str, object] = {"body": forged}
            if attack == "edit_body_and_leaf":
                values["leaf_hash"] = leaf_hash(forged)
            await session.execute(
                update(FranchiseLedgerEntry).where(FranchiseLedgerEntry.idx == 5).values(**values)
            )
        await session.commit()
    async with network.client() as client:
        with pytest.raises(VerificationFailed) as failure:
            await verify_log(client, StateDir(tmp_path), vkey=network.vkey, samples=0, full=True)
    assert failure.value.index == 5


async def test_a_forged_checkpoint_or_a_wrong_key_is_refused(
    network: Network, tmp_path: Path
) -> None:
    await _activity(network, 1)
    other = "example.com/franchise-ledger+84e07446+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
    async with network.client() as client:
        with pytest.raises(VerificationFailed, match="signature"):
            await verify_log(client, StateDir(tmp_path / "a"), vkey=other)


async def test_witness_cosigns_only_consistent_checkpoints(
    network: Network, tmp_path: Path
) -> None:
    node = await _activity(network, 2)
    log_key = Verifier.parse(network.vkey)
    witness = Witness("witness.example/w1", tmp_path / "w", log_key)
    async with network.client() as client:
        first_note = (await client.get("/api/v1/ledger/checkpoint")).json()["data"]["note"]
        answer = witness.add_checkpoint(request_body(0, [], first_note), now=1_700_000_000)
        assert answer.status == 200
        cosigned = first_note + answer.body
        assert verify_cosignature(cosigned, Verifier.parse(witness.vkey)) == 1_700_000_000
        assert witness.add_checkpoint(request_body(0, [], first_note)).status == 409
        first = Checkpoint.parse_text(verify_note(first_note, log_key))
        async with network.client(network.admin) as admin:
            await pos(admin, "RecordSale", sale("more", node))
        second_note = (await client.get("/api/v1/ledger/checkpoint")).json()["data"]["note"]
        proof = (
            await client.get("/api/v1/ledger/proof/consistency", params={"first": first.size})
        ).json()["data"]["proof"]
        wrong = [base64.b64encode(b"\x00" * 32).decode()] * len(proof)
        assert witness.add_checkpoint(request_body(first.size, wrong, second_note)).status == 422
        forged = second_note.replace(second_note.split("\n")[1], "999", 1)
        assert witness.add_checkpoint(request_body(first.size, proof, forged)).status == 403
        assert witness.add_checkpoint(request_body(first.size, proof, second_note)).status == 200
