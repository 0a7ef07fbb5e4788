"""`fodi franchise` and `fodi ledger` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fodi.core.cli_support import console, fail, run

app = typer.Typer(help="The franchise network.", no_args_is_help=True)
ledger_app = typer.Typer(help="Verify and witness the franchise ledger.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of POS terminals and operators.", no_args_is_help=True)
app.add_typer(key_app, name="key")

DEFAULT_STATE = Path("var") / "ledger-verifier"


@app.command()
def init(
    mnemonic_words: Annotated[int, typer.Option("--words", help="12 or 24")] = 24,
) -> None:
    """Create the network: the master mnemonic (shown once), keys and the genesis entry."""

    async def main() -> None:
        from fodi.core.db import Database
        from fodi.core.errors import AppError
        from fodi.core.settings import load_settings
        from fodi.franchise import flows
        from fodi.franchise.wallets.hd import new_mnemonic

        settings = load_settings()
        database = Database.from_url(settings.effective_database_url)
        try:
            async with database.session() as session:
                done = await flows.initialise(session, settings, new_mnemonic(mnemonic_words))
        except AppError as exc:
            fail(exc.message)
        finally:
            await database.dispose()
        console.print("[bold]Master mnemonic[/] (shown once; write it down, it is not stored):")
        typer.echo(f"\n  {done.mnemonic}\n")  # plain: never wrapped or styled
        console.print(f"master wallet   {done.keyring.master_address}")
        console.print(f"charity wallet  {done.keyring.charity_address}")
        console.print(f"ledger key      {done.vkey}")

    if mnemonic_words not in (12, 24):
        fail("--words is 12 or 24", code=2)
    run(main())


@key_app.command("create")
def key_create(
    pos: Annotated[str | None, typer.Option("--pos", help="A whitelisted POS id")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="A SuperAdmin key")] = False,
    role: Annotated[str | None, typer.Option("--role", help="Any of the roles")] = None,
    node: Annotated[
        int | None, typer.Option("--node", help="The node a FranchiseOwner key acts for")
    ] = None,
    label: Annotated[str, typer.Option(help="A note for people")] = "",
) -> None:
    """Create an API key and print it once (only its digest is stored)."""
    from fodi.franchise.auth.roles import FranchiseRole

    if [pos is not None, admin, role is not None].count(True) != 1:
        fail("give exactly one of --pos POS_ID, --admin, --role ROLE", code=2)
    chosen = FranchiseRole.SUPER_ADMIN if admin else FranchiseRole.POS_OPERATOR
    if role is not None:
        try:
            chosen = FranchiseRole(role)
        except ValueError:
            fail(f"unknown role {role!r}: {', '.join(r.value for r in FranchiseRole)}", code=2)

    async def main() -> None:
        from fodi.core.db import Database
        from fodi.core.errors import AppError
        from fodi.core.settings import load_settings
        from fodi.franchise.auth.service import create_key

        settings = load_settings()
        database = Database.from_url(settings.effective_database_url)
        try:
            async with database.session() as session:
                key, token = await create_key(session, chosen, pos, label, node_id=node)
                await session.commit()
        except AppError as exc:
            fail(exc.message)
        finally:
            await database.dispose()
        bound = f", POS {pos}" if pos else f", node {node}" if node is not None else ""
        console.print(f"key {key.id} ({key.role}{bound}):")
        print(token)

    run(main())


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    """Revoke an API key by its id."""

    async def main() -> None:
        from fodi.core.db import Database
        from fodi.core.errors import AppError
        from fodi.core.settings import load_settings
        from fodi.franchise.auth.service import revoke_key

        settings = load_settings()
        database = Database.from_url(settings.effective_database_url)
        try:
            async with database.session() as session:
                await revoke_key(session, key_id)
                await session.commit()
        except AppError as exc:
            fail(exc.message)
        finally:
            await database.dispose()
        console.print(f"revoked {key_id}")

    run(main())


@app.command()
def expire() -> None:
    """Move unclaimed expired checks into the expiry wallet now."""

    async def main() -> None:
        from fodi.core.db import Database
        from fodi.core.settings import load_settings
        from fodi.franchise import flows

        settings = load_settings()
        database = Database.from_url(settings.effective_database_url)
        try:
            async with database.session() as session:
                state = await flows.load_state(session, settings)
                if state is None:
                    fail("the network is not initialised: run `fodi franchise init`")
                count = await flows.expire_checks(state, session)
        finally:
            await database.dispose()
        console.print(f"{count} check(s) expired")

    run(main())


def _state_dir(state: Path | None, url: str) -> Path:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return state or DEFAULT_STATE / f"{parts.hostname}_{parts.port or 80}"


@ledger_app.command()
def verify(
    url: Annotated[str, typer.Argument(help="The franchise service, e.g. http://127.0.0.1:8300")],
    key: Annotated[
        str | None, typer.Option(help="The network's vkey (else pinned on first use)")
    ] = None,
    state: Annotated[Path | None, typer.Option(help="Where the last checkpoint is kept")] = None,
    samples: Annotated[int, typer.Option(min=0, help="Random entries to prove")] = 16,
    full: Annotated[bool, typer.Option("--full", help="Download and recompute everything")] = False,
) -> None:
    """Check the log: signature, consistency with the last run, inclusion; --full recomputes."""

    async def main() -> None:
        import httpx
        from rich.progress import Progress

        from fodi.franchise.ledger.verify import StateDir, VerificationFailed, verify_log

        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            try:
                with Progress(console=console, transient=True) as bar:
                    task = bar.add_task("entries", total=None)
                    report = await verify_log(
                        client,
                        StateDir(_state_dir(state, url)),
                        vkey=key,
                        samples=samples,
                        full=full,
                        progress=lambda n: bar.update(task, completed=n),
                    )
            except VerificationFailed as exc:
                where = f" (first bad index: {exc.index})" if exc.index is not None else ""
                fail(f"ledger verification FAILED: {exc}{where}", code=3)
            except httpx.HTTPError as exc:
                fail(f"cannot reach {url}: {exc}")
        since = (
            f", consistent with size {report.previous_size}"
            if report.previous_size is not None
            else ""
        )
        console.print(
            f"[green]ok[/] {report.origin} size {report.size} root {report.root}{since}; "
            f"{len(report.spot_checked)} inclusion proof(s) checked"
            + ("; full tree recomputed" if report.full else "")
        )

    run(main())


@ledger_app.command()
def witness(
    url: Annotated[str, typer.Argument(help="The franchise service")],
    name: Annotated[str, typer.Option(help="This witness's key name")] = "witness.fodifood.local",
    key: Annotated[str | None, typer.Option(help="The network's vkey (else pinned)")] = None,
    state: Annotated[Path | None, typer.Option(help="Witness state directory")] = None,
) -> None:
    """Cosign the latest checkpoint once it is proven consistent (C2SP tlog-witness)."""

    async def main() -> None:
        import httpx

        from fodi.franchise.ledger.verify import StateDir, VerificationFailed, resolve_verifier
        from fodi.franchise.ledger.witness import Witness, request_body

        directory = _state_dir(state, url) / "witness"
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            try:
                verifier = await resolve_verifier(client, StateDir(directory), key)
            except VerificationFailed as exc:
                fail(str(exc), code=3)
            cosigner = Witness(name, directory, verifier)
            note = (await client.get("/api/v1/ledger/checkpoint")).json()["data"]["note"]
            latest = cosigner.latest()
            old = latest.size if latest else 0
            proof: list[str] = []
            if old:
                response = await client.get(
                    "/api/v1/ledger/proof/consistency", params={"first": old}
                )
                proof = response.json()["data"]["proof"] if response.status_code == 200 else []
        answer = cosigner.add_checkpoint(request_body(old, proof, note))
        if answer.status != 200:
            fail(f"not cosigned ({answer.status}): {answer.body.strip()}", code=3)
        console.print(f"witness key {cosigner.vkey}")
        print(note + answer.body, end="")

    run(main())
