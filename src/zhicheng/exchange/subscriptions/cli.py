"""`zhicheng webhooks run [--once]`: send due webhook deliveries from the command line (cron or the operator)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `zhicheng webhooks ...` to the main command line."""
    group = typer.Typer(help="数据订阅回调 / subscription webhooks", no_args_is_help=True)

    @group.command("run")
    def run(once: bool = typer.Option(True, "--once/--loop", help="只处理一轮 / one pass, or keep polling")) -> None:
        """发送到期的回调 / queue new versions and send due deliveries."""
        import time

        from rich.console import Console

        from zhicheng.cli import open_instance
        from zhicheng.exchange.subscriptions import service as subscriptions
        from zhicheng.exchange.subscriptions.api import POLL_SECONDS

        settings, engine, factory = open_instance()
        console = Console()
        try:
            while True:
                with factory() as db:
                    counts = subscriptions.run_once(db, settings=settings)
                console.print(" ".join(f"{k}={v}" for k, v in counts.items()))
                if once:
                    return
                time.sleep(POLL_SECONDS)
        finally:
            engine.dispose()

    app.add_typer(group, name="webhooks")
