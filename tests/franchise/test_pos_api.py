"""The POS command API and the REST routes, through HTTP, with their envelope."""

from __future__ import annotations

from fodi.franchise.auth.roles import FranchiseRole
from tests.franchise.conftest import Network
from tests.franchise.helpers import ledger_size, pos, sale


async def _setup(network: Network) -> tuple[int, int, str]:
    async with network.client(network.admin) as client:
        owner = await pos(
            client,
            "RegisterNode",
            {"owner_address": "0xowner", "node_type": "OWNER", "city": "Tbilisi"},
        )
        assert owner.status_code == 200, owner.text
        franchise = await pos(
            client,
            "RegisterNode",
            {"owner_address": "0xfranchisee", "node_type": "FRANCHISE", "city": "Batumi"},
        )
        assert (await pos(client, "WhitelistPos", {"pos_id": "pos_1"})).json()["data"] == {
            "message": "POS system whitelisted"
        }
    key = await network.key(FranchiseRole.POS_OPERATOR, "pos_1")
    return owner.json()["data"]["node_id"], franchise.json()["data"]["node_id"], key


async def test_owner_and_franchise_sales_mint_the_original_split(network: Network) -> None:
    owner_node, franchise_node, key = await _setup(network)
    async with network.client(key) as client:
        first = await pos(client, "RecordSale", sale("s-1", owner_node))
        second = await pos(client, "RecordSale", sale("s-2", franchise_node))
        body = first.json()
        assert first.status_code == 200
        assert body["success"] is True
        assert set(body) == {"success", "data", "error", "timestamp"}
        minting = body["data"]
        assert minting["sale_id"] == "s-1"
        assert (
            minting["minted_units"],
            minting["owner_units"],
            minting["buyer_units"],
            minting["royalty_units"],
        ) == (100, 51, 49, 0)
        assert minting["mint_id"].startswith(f"mint_{owner_node}_")
        franchise_mint = second.json()["data"]
        assert (
            franchise_mint["owner_units"],
            franchise_mint["buyer_units"],
            franchise_mint["royalty_units"],
        ) == (48, 49, 3)
        check = franchise_mint["check"]
        assert len(check["activation_code"]) == 6
        assert check["activation_code"].isdigit()
        assert check["qr"] == f"{check['check_id']}|{check['activation_code']}|{check['address']}"
        assert check["address"].startswith("0x")
        assert len(check["address"]) == 42

        stats = (await pos(client, "GetNetworkStats", None)).json()["data"]
        assert stats == {
            "total_nodes": 2,
            "active_nodes": 2,
            "total_sales": 2,
            "total_tokens_minted": 300,  # genesis 100 + two sales
            "master_owner_balance": 103,
        }
        balance = (await pos(client, "GetWalletBalance", "0xfranchisee")).json()["data"]
        assert balance == {"address": "0xfranchisee", "balance": 48}
        info = (await pos(client, "GetNodeInfo", franchise_node)).json()["data"]
        assert info["node_type"] == "FRANCHISE"
        assert info["pos_systems"] == ["pos_1"]
        assert info["active"] is True
        assert isinstance(info["registered_at"], int)
        # genesis, 2 nodes, 1 POS, 2 sales
        assert await ledger_size(client) == 6


async def test_replay_returns_the_first_result_and_a_changed_replay_is_refused(
    network: Network,
) -> None:
    node, _, key = await _setup(network)
    async with network.client(key) as client:
        first = (await pos(client, "RecordSale", sale("s-9", node))).json()["data"]
        size = await ledger_size(client)
        again = await pos(client, "RecordSale", sale("s-9", node))
        assert again.status_code == 200
        replayed = again.json()["data"]
        assert replayed.pop("replayed") is True
        assert replayed == first
        changed = await pos(client, "RecordSale", sale("s-9", node, price=1600))
        assert changed.status_code == 409
        assert changed.json() == {**changed.json(), "success": False, "data": None}
        assert "different content" in changed.json()["error"]
        assert await ledger_size(client) == size
        stats = (await pos(client, "GetNetworkStats", None)).json()["data"]
        assert stats["total_sales"] == 1


async def test_keys_are_required_and_roles_enforced(network: Network) -> None:
    node, _, key = await _setup(network)
    async with network.client() as anonymous:
        response = await pos(anonymous, "GetNetworkStats", None)
        assert response.status_code == 401
        assert response.json()["success"] is False
    async with network.client("hps_wrong") as wrong:
        assert (await pos(wrong, "RecordSale", sale("x", node))).status_code == 401
    async with network.client(key) as pos_client:
        denied = await pos(
            pos_client, "RegisterNode", {"owner_address": "a", "node_type": "OWNER", "city": "c"}
        )
        assert denied.status_code == 403
        assert "ManageNodes" in denied.json()["error"]
        other = await pos(pos_client, "RecordSale", sale("x", node, pos_id="pos_2"))
        assert other.status_code == 403
    customer = await network.key(FranchiseRole.CUSTOMER)
    async with network.client(customer) as customer_client:
        assert (await pos(customer_client, "GetNetworkStats", None)).status_code == 403
        assert (await pos(customer_client, "RecordSale", sale("y", node))).status_code == 403
    async with network.client(network.admin) as admin:
        created = await admin.post("/api/v1/keys", json={"role": "Auditor"})
        token, key_id = created.json()["data"]["token"], created.json()["data"]["id"]
        async with network.client(token) as auditor:
            assert (await auditor.get("/api/v1/network/stats")).status_code == 200
            assert (await admin.delete(f"/api/v1/keys/{key_id}")).status_code == 200
            assert (await auditor.get("/api/v1/network/stats")).status_code == 401


async def test_an_owner_key_sells_only_at_its_own_node(network: Network) -> None:
    owner_node, franchise_node, _ = await _setup(network)
    async with network.client(network.admin) as admin:
        unbound = await admin.post("/api/v1/keys", json={"role": "FranchiseOwner"})
        assert unbound.status_code == 400
        assert "names its node" in unbound.json()["error"]
        missing = await admin.post("/api/v1/keys", json={"role": "FranchiseOwner", "node_id": 99})
        assert missing.status_code == 404
        stray = await admin.post("/api/v1/keys", json={"role": "Auditor", "node_id": owner_node})
        assert stray.status_code == 400
        created = await admin.post(
            "/api/v1/keys", json={"role": "FranchiseOwner", "node_id": franchise_node}
        )
        assert created.status_code == 201, created.text
        assert created.json()["data"]["node_id"] == franchise_node
        token = created.json()["data"]["token"]
    async with network.client(token) as franchisee:
        size = await ledger_size(franchisee)
        elsewhere = await pos(franchisee, "RecordSale", sale("o-1", owner_node))
        assert elsewhere.status_code == 403
        assert f"node {franchise_node}" in elsewhere.json()["error"]
        assert await ledger_size(franchisee) == size  # refused: nothing written
        own = await pos(franchisee, "RecordSale", sale("o-2", franchise_node))
        assert own.status_code == 200, own.text
        assert own.json()["data"]["owner_units"] == 48


async def test_bad_input_is_refused_and_writes_nothing(network: Network) -> None:
    node, franchise_node, _key = await _setup(network)
    async with network.client(network.admin) as admin:
        await admin.patch(f"/api/v1/nodes/{franchise_node}", json={"active": False})
        size = await ledger_size(admin)
        stats = (await admin.get("/api/v1/network/stats")).json()["data"]
        cases = [
            (sale("a", 999), 404, "Node not found"),
            (sale("b", franchise_node), 409, "Node is not active"),
            (sale("c", node, pos_id="pos_unknown"), 403, "POS system not whitelisted"),
            (sale("d", node, price=-5), 400, "price_subunits"),
            (sale("e", node, price=10**15), 400, "price_subunits"),
            (
                sale(
                    "f",
                    node,
                    price=100,
                    items=[{"item_id": "x", "quantity": 1, "price_subunits": 90}],
                ),
                400,
                "add up",
            ),
            ({**sale("g", node), "price_subunits": "12"}, 400, "integer"),
            ({"node_id": node}, 400, "missing"),
        ]
        for payload, status, message in cases:
            response = await pos(admin, "RecordSale", payload)
            assert response.status_code == status, (payload, response.text)
            assert message in response.json()["error"]
        for raw in (b"not json", b"[]", b'{"RecordSale": {}, "GetNodeInfo": 1}', b'{"Nope": 1}'):
            response = await admin.post("/api/v1/pos", content=raw)
            assert response.status_code == 400
            assert response.json()["error"].startswith("Invalid")
        bad_type = await pos(
            admin, "RegisterNode", {"owner_address": "a", "node_type": "SHOP", "city": "c"}
        )
        assert bad_type.json()["error"] == "Invalid node type. Use 'OWNER' or 'FRANCHISE'"
        missing = await pos(admin, "GetNodeInfo", 12345)
        assert missing.status_code == 404
        assert missing.json()["error"] == "Node not found"
        assert await ledger_size(admin) == size
        assert (await admin.get("/api/v1/network/stats")).json()["data"] == stats


async def test_rest_errors_use_the_envelope(network: Network) -> None:
    async with network.client(network.admin) as admin:
        response = await admin.post("/api/v1/nodes", json={"owner_address": ""})
        assert response.status_code == 400
        assert response.json()["success"] is False
        assert "timestamp" in response.json()
        assert (await admin.get("/api/v1/nodes/77")).json()["error"] == "Node not found"
        health = await admin.get("/health")
        assert health.status_code == 200
