"""Command-line tools: flask --app board create-user | set-password | demo (and the seeding commands)."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask_migrate import upgrade

from .auth import services as accounts


def register_commands(app: Flask) -> None:
    """Add Board's commands to `flask --app board`."""
    app.cli.add_command(create_user)
    app.cli.add_command(set_password)
    app.cli.add_command(demo)


@click.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt="Display name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make a site admin.")
def create_user(email: str, display_name: str, password: str, admin: bool) -> None:
    """Create an account (use --admin for a site admin)."""
    try:
        user = accounts.create_user(email, display_name, password, is_admin=admin)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {'admin ' if admin else ''}{user.email}.")


@click.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(email: str, password: str) -> None:
    """Set an account's password (also how imported accounts get their first one)."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the email {email}.")
    try:
        accounts.set_password(user, password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Password set for {user.email}.")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")), show_default="PORT or 5000")
def demo(host: str, port: int) -> None:
    """Apply migrations, seed the demo course, print the URL and demo logins, and serve the app."""
    from .seeding import DEMO_PASSWORD, seed_demo

    upgrade()
    summary = seed_demo(echo=click.echo)
    app = current_app._get_current_object()
    # The development server speaks plain HTTP, so cookies cannot be Secure here (they are in production).
    app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    url = f"http://{host}:{port}/"
    click.echo("")
    click.echo(f"Board is running at {url}")
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, role in summary.logins:
        click.echo(f"  {email:<28} {role}")
    click.echo("")
    app.run(host=host, port=port, debug=False, use_reloader=False)
