"""``suuupra api ...`` (serve, relay, create-admin) and ``suuupra db ...`` (upgrade, current)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Learner-facing API service.", no_args_is_help=True)
db_app = typer.Typer(help="API database migrations.", no_args_is_help=True)


def _settings():
    from suuupra.settings import get_settings

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="Bind address (default: settings.api_host)."),
    port: int = typer.Option(None, help="Port (default: settings.api_port)."),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes."),
    reload: bool = typer.Option(False, help="Auto-reload on code changes (development)."),
) -> None:
    """Run the API with uvicorn (refuses to start on a database that is not migrated)."""
    import uvicorn

    from apps_api.db import make_engine
    from apps_api.migrate import MigrationStateError, assert_at_head
    from suuupra.errors import CLIError

    settings = _settings()
    engine = make_engine(settings.database_url or "")
    try:
        assert_at_head(engine)
    except MigrationStateError as exc:
        raise CLIError(str(exc)) from None
    except Exception as exc:
        raise CLIError(f"cannot reach the database {settings.masked()['database_url']}: {exc}") from None
    finally:
        engine.dispose()
    from apps_api.config import ApiConfig

    uvicorn.run("apps_api.main:create_app", factory=True, host=host or settings.api_host,
                port=port or settings.api_port, workers=workers, reload=reload, log_level="info",
                **ApiConfig().proxy_options())


@app.command("relay")
def relay(
    follow: bool = typer.Option(False, "--follow", help="Keep relaying every --interval seconds."),
    interval: float = typer.Option(1.0, min=0.05),
) -> None:
    """Publish pending outbox events to the event log (at-least-once)."""
    import time

    from apps_api.ops import relay_outbox
    from suuupra.errors import CLIError

    settings = _settings()
    while True:
        try:
            counts = relay_outbox(settings)
        except Exception as exc:
            raise CLIError(f"outbox relay failed: {exc}") from None
        typer.echo(f"published {counts['published']} events ({counts['pending']} pending)")
        if not follow:
            break
        time.sleep(interval)


@app.command("create-admin")
def create_admin(email: str = typer.Argument(...), password: str = typer.Option(..., prompt=True,
                                                                               hide_input=True)) -> None:
    """Create an admin account (admins cannot self-register)."""
    from apps_api.config import ApiConfig
    from apps_api.errors import ApiError
    from apps_api.main import build_state
    from apps_api.services.identity import create_user
    from suuupra.errors import CLIError

    if len(password) < 8:
        raise CLIError("password must have at least 8 characters")
    try:
        state = build_state(_settings(), ApiConfig())
    except Exception as exc:
        raise CLIError(str(exc)) from None
    try:
        with state.db.begin() as session:
            user = create_user(session, state, email=email, password=password, role="admin")
            typer.echo(f"created admin {user.id} <{user.email}>")
    except ApiError as exc:
        raise CLIError(exc.detail) from None
    finally:
        state.db.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the API database (settings.database_url) to the latest schema."""
    from apps_api.migrate import upgrade
    from suuupra.errors import CLIError

    settings = _settings()
    try:
        rev = upgrade(settings.database_url or "", revision)
    except Exception as exc:
        raise CLIError(f"migration failed: {exc}") from None
    typer.echo(f"database at revision {rev}")


@db_app.command("current")
def db_current() -> None:
    """Show the database revision and the code's head revision."""
    from apps_api.db import make_engine
    from apps_api.migrate import current_revision, head_revision

    engine = make_engine(_settings().database_url or "")
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    typer.echo(f"current: {current or '<empty>'}  head: {head}  {'OK' if current == head else 'NEEDS UPGRADE'}")
