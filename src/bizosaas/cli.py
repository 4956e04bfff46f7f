"""The ``bizosaas`` command line: run the platform, one service, migrations and admin tasks."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from bizosaas.core.logging import configure_logging
from bizosaas.core.settings import Settings, unset
from bizosaas.migrations.runner import DATABASES, upgrade_all
from bizosaas.platform import DEFAULT_DATA_DIR, platform_settings, provision_from_urls
from bizosaas.services import SERVICES

app = typer.Typer(
    help="BizOSaaS: multi-tenant platform core (auth, Brain Gateway, gamification).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
keys_app = typer.Typer(help="Token signing keys (kept in Vault).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
gamification_app = typer.Typer(help="Gamification maintenance.", no_args_is_help=True)
app.add_typer(gamification_app, name="gamification")
agents_app = typer.Typer(help="The gamification agents and their models.", no_args_is_help=True)
app.add_typer(agents_app, name="agents")
console = Console(stderr=True)

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        help="Where the local stack keeps its data (ignored when DATABASE_URL, REDIS_URL and "
        "VAULT_ADDR name existing servers).",
        envvar="BIZOSAAS_DATA_DIR",
    ),
]
Host = Annotated[str, typer.Option(help="Interface to listen on.")]


def _status(message: str) -> None:
    console.print(f"[dim]•[/dim] {message}")


def migrate_all(settings: Settings) -> None:
    with console.status("Running database migrations…"):
        upgrade_all(settings)


@app.command()
def up(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="Seed the demo tenants.")] = True,
    host: Host = "127.0.0.1",
    public_port: Annotated[int, typer.Option(help="The single browser origin.")] = 8002,
    auth_port: Annotated[int, typer.Option()] = SERVICES["auth-service"].port,
    login_port: Annotated[int, typer.Option()] = SERVICES["unified-auth-ui"].port,
    portal_port: Annotated[int, typer.Option()] = SERVICES["client-portal"].port,
    admin_port: Annotated[int, typer.Option()] = SERVICES["admin-dashboard"].port,
    sqladmin_port: Annotated[int, typer.Option()] = SERVICES["sqladmin"].port,
    gamification_port: Annotated[int, typer.Option()] = SERVICES["gamification-service"].port,
    temporal_worker_port: Annotated[int, typer.Option()] = SERVICES["temporal-worker"].port,
    wizard_port: Annotated[int, typer.Option()] = SERVICES["wizard-service"].port,
) -> None:
    """Start the whole platform: local PostgreSQL, Valkey, OpenBao and Temporal (unless the
    environment names servers), migrations, the demo tenants and every service. Ctrl-C stops
    everything this command started; a second run keeps all data."""
    from bizosaas.launch import listener_ports, run_platform
    from bizosaas.runner import bind

    ports = {
        "auth-service": auth_port,
        "unified-auth-ui": login_port,
        "client-portal": portal_port,
        "admin-dashboard": admin_port,
        "sqladmin": sqladmin_port,
        "gamification-service": gamification_port,
        "temporal-worker": temporal_worker_port,
        "wizard-service": wizard_port,
    }
    # Started in the background by a script, SIGINT arrives ignored: Ctrl-C must still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if demo and os.environ.get("BIZOSAAS_ENVIRONMENT", "").lower() == "production":
        raise SystemExit(
            "--demo is refused in production: its logins are published. Use --no-demo."
        )
    # Every port first: a taken one fails here, before anything has started.
    sockets = bind(listener_ports(public_port, ports), host)
    try:
        with platform_settings(
            data_dir,
            progress=_status,
            public_url=f"http://localhost:{public_port}",
            gateway_url=f"http://127.0.0.1:{public_port}",
        ) as (settings, stack):
            configure_logging(settings.log_level, settings.log_json)
            run_platform(
                settings,
                host=host,
                public_port=public_port,
                ports=ports,
                sockets=sockets,
                demo=demo,
                console=console,
                stack=stack,
            )
    finally:
        for sock in sockets:
            sock.close()


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}.")],
    host: Host = "0.0.0.0",  # noqa: S104 - a container's service listens on its interface
    port: Annotated[int | None, typer.Option(help="Default: the service's own port.")] = None,
) -> None:
    """Run one service alone (for a container), configured from the environment."""
    from bizosaas.runner import Listener
    from bizosaas.runner import serve as serve_listeners

    spec = SERVICES.get(service)
    if spec is None:
        raise typer.BadParameter(f"unknown service {service!r}; choose from {', '.join(SERVICES)}")
    settings = service_settings(service, spec.needs)
    configure_logging(settings.log_level, settings.log_json)
    listener = Listener(spec.name, spec.create_app(settings), port or spec.port)
    asyncio.run(serve_listeners([listener], host=host))


def service_settings(service: str, needs: tuple[str, ...]) -> Settings:
    """A container's settings, from its environment alone: a variable it needs and was not
    given, or a value production refuses, stops it at once with one line saying which."""
    missing = unset(needs, os.environ)
    if missing:
        raise SystemExit(
            f"{service}: set {', '.join(missing)} (a service run alone takes its settings "
            "from the environment only)"
        )
    try:
        return Settings()
    except ValidationError as refused:
        problem = refused.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        raise SystemExit(f"{service}: {where + ': ' if where else ''}{message}") from None


@app.command()
def migrate(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    provision: Annotated[
        bool,
        typer.Option(
            help="First create each database and its owner and app roles (with the names and "
            "passwords of the migration and application URLs), as the superuser that "
            "BIZOSAAS_DATABASE_ADMIN_URL names. Idempotent."
        ),
    ] = False,
) -> None:
    """Bring every service database to the newest schema (safe while the platform runs)."""
    with platform_settings(data_dir, progress=_status) as (settings, stack):
        if stack is not None:
            asyncio.run(stack.provision(list(DATABASES)))
        elif provision:
            admin_url = os.environ.get("BIZOSAAS_DATABASE_ADMIN_URL")
            if not admin_url:
                raise SystemExit("migrate --provision: set BIZOSAAS_DATABASE_ADMIN_URL")
            asyncio.run(provision_from_urls(admin_url, settings))
        migrate_all(settings)
    console.print("[green]Databases are up to date.[/green]")


@app.command()
def health(
    port: Annotated[int, typer.Option(help="The service's port.")] = SERVICES["brain-gateway"].port,
) -> None:
    """Exit 0 when the service on this machine's PORT answers /health (a container's check)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as answer:
            healthy = answer.status == 200
    except OSError as exc:
        raise SystemExit(f"unhealthy: {exc}") from None
    if not healthy:
        raise SystemExit("unhealthy")


@app.command("create-superadmin")
def create_superadmin(
    email: Annotated[str, typer.Option(help="Sign-in email of the new super admin.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="12+ characters, not a common password.",
        ),
    ],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create a super admin (platform operator, belongs to no tenant)."""
    from bizosaas.launch import create_super_admin

    with platform_settings(data_dir, progress=_status) as (settings, _stack):
        created = asyncio.run(create_super_admin(settings, email, password))
    if created:
        console.print(f"[green]Super admin {email} created.[/green]")
    else:
        console.print(f"[yellow]{email} already exists; nothing changed.[/yellow]")


@keys_app.command("rotate")
def rotate_keys(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Make a new signing key; the old one keeps verifying until its tokens have expired."""
    from bizosaas.launch import rotate_signing_key

    with platform_settings(data_dir, progress=_status) as (settings, _stack):
        ring = asyncio.run(rotate_signing_key(settings))
    table = Table("kid", "status")
    for kid in ring.keys:
        table.add_row(kid, "signing" if kid == ring.signing_kid else "verifying until expiry")
    console.print(table)


@gamification_app.command("replay")
def replay(
    tenant: Annotated[str, typer.Option(help="The tenant's id or slug.")],
    since: Annotated[
        datetime | None,
        typer.Option(
            help="Keep leaderboard periods that ended before this instant (UTC unless an "
            "offset is given); achievement progress is always rebuilt in full.",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"],
        ),
    ] = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Rebuild achievement progress and leaderboards from the event log (after a rule
    change, or to check that nothing drifted: with unchanged rules it changes nothing)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from bizosaas.launch import replay_gamification

    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    with (
        platform_settings(data_dir, progress=_status) as (settings, _stack),
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar,
    ):
        task = bar.add_task("Replaying events", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = asyncio.run(replay_gamification(settings, tenant, since, advance))
    console.print(
        f"[green]Replayed {report.events} events for tenant {report.tenant_id}"
        + (
            f"; {report.failed_recovered} failed events now processed"
            if report.failed_recovered
            else ""
        )
        + ".[/green]"
    )


@app.command()
def down(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Stop the local stack's servers for this data dir (data is kept)."""
    from bizosaas.stack import LocalStack

    LocalStack(data_dir.resolve()).stop_all()
    console.print("[green]Local stack stopped.[/green]")


@agents_app.command("train-fraud")
def train_fraud(
    seed: Annotated[int, typer.Option(help="Seed of the generated traffic.")] = 20261203,
    tenants: Annotated[int, typer.Option(min=1, max=100)] = 8,
    episodes: Annotated[int, typer.Option(min=10, max=10_000, help="Per tenant.")] = 400,
    left_out: Annotated[
        str, typer.Option(help="An abuse pattern to check on a model that never saw it.")
    ] = "ring",
    out: Annotated[
        Path | None, typer.Option(help="Where to write the model; default: the shipped one.")
    ] = None,
    reviewed_by: Annotated[
        str | None,
        typer.Option(
            help="A tenant (id or slug) whose reviewed conversions to learn from as well."
        ),
    ] = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Train the referral-fraud model on generated labelled traffic (and a tenant's
    reviewed conversions) and print its precision, recall and accuracy on a held-out set,
    on the reviewed conversions kept out of training, and on a pattern left out."""
    import numpy as np
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from bizosaas.gamification.referrals.fraud_model.model import SHIPPED
    from bizosaas.gamification.referrals.fraud_model.training import train_from_traffic

    reviewed = None
    if reviewed_by is not None:
        from bizosaas.launch import reviewed_conversions

        with platform_settings(data_dir, progress=_status) as (settings, _stack):
            tenant_id, rows = asyncio.run(reviewed_conversions(settings, reviewed_by))
        if len(rows) < 4:
            console.print(
                f"[red]Tenant {tenant_id} has {len(rows)} reviewed conversions scored by "
                "this model's features; at least 4 are needed.[/red]"
            )
            raise typer.Exit(2)
        reviewed = (
            np.asarray([r for r, _ in rows], dtype=np.float64),
            np.asarray([fraud for _, fraud in rows], dtype=bool),
        )
        typer.echo(f"{len(rows)} reviewed conversions of tenant {tenant_id}")

    tasks: dict[str, object] = {}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:

        def step(what: str, done: int, total: int) -> None:
            task = tasks.get(what)
            if task is None:
                task = tasks[what] = bar.add_task(what, total=total)
            bar.update(task, completed=done)  # type: ignore[arg-type]

        try:
            report = train_from_traffic(
                seed,
                tenants=tenants,
                episodes=episodes,
                left_out=left_out,
                step=step,
                reviewed=reviewed,
            )
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    target = out or SHIPPED
    report.model.save(target)
    for line in report.lines():
        typer.echo(line)
    typer.echo(f"saved to {target}")


if __name__ == "__main__":
    app()


def main() -> None:
    """The ``bizosaas`` command. A command that used Temporal ends without the interpreter's
    finalisation, which can abort after its client (:mod:`bizosaas.core.temporal`)."""
    from bizosaas.core.temporal import exit_cleanly, temporal_used

    try:
        app()
        code = 0
    except SystemExit as stop:
        if not temporal_used():
            raise
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        if isinstance(stop.code, str):
            console.print(stop.code)
    exit_cleanly(code)
