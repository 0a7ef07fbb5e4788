"""Check wallets: claim with the activation code, refusals that write nothing, expiry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from fodi.core.db import utcnow
from fodi.core.settings import InsecureConfigurationError, Settings
from fodi.franchise import flows
from fodi.franchise.app import create_app
from fodi.franchise.auth.roles import FranchiseRole
from fodi.franchise.wallets.hd import Account
from tests.franchise.conftest import Network
from tests.franchise.helpers import ledger_size, pos, sale


async def _sold(network: Network, sale_id: str = "s-1") -> dict[str, object]:
    async with network.client(network.admin) as admin:
        node = (
            await pos(
                admin,
                "RegisterNode",
                {"owner_address": "0xo", "node_type": "FRANCHISE", "city": "Gori"},
            )
        ).json()["data"]["node_id"]
        await pos(admin, "WhitelistPos", {"pos_id": "pos_1", "node_id": node})
        minting = (await pos(admin, "RecordSale", sale(sale_id, node))).json()["data"]
    check: dict[str, object] = minting["check"]
    return check


async def test_claim_moves_the_units_into_a_derived_customer_wallet(network: Network) -> None:
    check = await _sold(network)
    async with network.client(network.admin) as admin:
        assert (await admin.get(f"/api/v1/wallets/{check['address']}")).json()["data"][
            "balance"
        ] == 49
        response = await admin.post(
            f"/api/v1/checks/{check['check_id']}/claim",
            json={"activation_code": check["activation_code"]},
        )
        assert response.status_code == 200, response.text
        claimed = response.json()["data"]
        index = claimed["ledger_index"]
        assert claimed["to_address"] == network.state.keyring.address(Account.CUSTOMER, index)
        assert claimed["derivation_path"] == f"m/44'/60'/2'/0/{index}"
        customer = (await admin.get(f"/api/v1/wallets/{claimed['to_address']}/postings")).json()[
            "data"
        ]
        assert customer == {"address": claimed["to_address"], "balance": 49, "posted_balance": 49}
        assert (await admin.get(f"/api/v1/wallets/{check['address']}")).json()["data"][
            "balance"
        ] == 0
        status = (await admin.get(f"/api/v1/checks/{check['check_id']}")).json()["data"]
        assert status["status"] == "claimed"


async def test_wrong_code_double_claim_and_unknown_check_write_nothing(network: Network) -> None:
    check = await _sold(network)
    url = f"/api/v1/checks/{check['check_id']}/claim"
    async with network.client() as client:
        size = await ledger_size(client)
        wrong = "000000" if check["activation_code"] != "000000" else "111111"
        response = await client.post(url, json={"activation_code": wrong})
        assert response.status_code == 400
        assert response.json()["error"] == "Invalid activation code"
        missing = await client.post("/api/v1/checks/nope/claim", json={"activation_code": "1"})
        assert missing.status_code == 404
        assert await ledger_size(client) == size
        ok = await client.post(
            url, json={"activation_code": check["activation_code"], "to_address": "0xme"}
        )
        assert ok.status_code == 200
        size = await ledger_size(client)
        again = await client.post(url, json={"activation_code": check["activation_code"]})
        assert again.status_code == 409
        assert again.json()["error"] == "Check already activated"
        assert await ledger_size(client) == size


async def test_too_many_wrong_codes_lock_the_check(network: Network) -> None:
    check = await _sold(network)
    url = f"/api/v1/checks/{check['check_id']}/claim"
    async with network.client() as client:
        wrong = "000000" if check["activation_code"] != "000000" else "111111"
        for _ in range(network.state.config.check_max_attempts):
            await client.post(url, json={"activation_code": wrong})
        locked = await client.post(url, json={"activation_code": check["activation_code"]})
        assert locked.status_code == 409
        assert "locked" in locked.json()["error"]


async def test_unclaimed_checks_expire_into_the_configured_wallet(network: Network) -> None:
    check = await _sold(network)
    async with network.db.session() as session:
        later = utcnow() + timedelta(days=network.state.config.check_expiry_days, seconds=1)
        assert await flows.expire_checks(network.state, session, now=utcnow()) == 0
        assert await flows.expire_checks(network.state, session, now=later) == 1
    charity = network.state.keyring.charity_address
    async with network.client(network.admin) as admin:
        assert (await admin.get(f"/api/v1/wallets/{charity}")).json()["data"]["balance"] == 49
        claim = await admin.post(
            f"/api/v1/checks/{check['check_id']}/claim",
            json={"activation_code": check["activation_code"]},
        )
        assert claim.status_code == 409
        assert "expired" in claim.json()["error"]
        assert (await admin.post("/api/v1/checks/expire")).json()["data"] == {"expired": 0}
    pos_key = await network.key(FranchiseRole.POS_OPERATOR, "pos_1")
    async with network.client(pos_key) as pos_client:
        assert (await pos_client.post("/api/v1/checks/expire")).status_code == 403


async def test_transfers_never_overdraw(network: Network) -> None:
    check = await _sold(network)
    async with network.client(network.admin) as admin:
        await admin.post(
            f"/api/v1/checks/{check['check_id']}/claim",
            json={"activation_code": check["activation_code"], "to_address": "0xalice"},
        )
        size = await ledger_size(admin)
        too_much = await admin.post(
            "/api/v1/transfers", json={"from": "0xalice", "to": "0xbob", "units": 50}
        )
        assert too_much.status_code == 409
        assert "Insufficient" in too_much.json()["error"]
        assert await ledger_size(admin) == size
        done = await admin.post(
            "/api/v1/transfers", json={"from": "0xalice", "to": "0xbob", "units": 49}
        )
        assert done.status_code == 201
        bob = (await admin.get("/api/v1/wallets/0xbob/postings")).json()["data"]
        assert bob["balance"] == bob["posted_balance"] == 49


async def test_only_the_selling_terminal_and_operators_see_a_sales_check(network: Network) -> None:
    """The check id is half of what claims the buyer's units: other readers never see it."""
    await _sold(network, "s-seen")
    auditor = await network.key(FranchiseRole.AUDITOR)
    async with network.client(auditor) as other, network.client(network.admin) as admin:
        theirs = (await other.get("/api/v1/sales/s-seen")).json()["data"]
        assert "check" not in theirs["minting"]
        assert theirs["minting"]["buyer_units"] == 49
        ours = (await admin.get("/api/v1/sales/s-seen")).json()["data"]
        assert ours["minting"]["check"]["check_id"]


async def test_a_malformed_rest_sale_is_a_400_in_the_envelope(network: Network) -> None:
    async with network.client(network.admin) as admin:
        before = await ledger_size(admin)
        response = await admin.post(
            "/api/v1/sales", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["success"] is False
        assert await ledger_size(admin) == before


def test_production_refuses_to_start_without_a_ledger_secret(tmp_path: Path) -> None:
    production = Settings(
        FODI_ENV="production",
        FODI_VAR_DIR=tmp_path,
        JWT_SECRET="j" * 40,
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
    )
    with pytest.raises(InsecureConfigurationError, match="FRANCHISE__LEDGER_SECRET"):
        create_app(production)
