"""`flask --app board lti …`: register a platform, list them, rotate Board's signing key."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from . import keys, registration

lti = AppGroup("lti", help="LTI 1.3: platforms (LMSs) and Board's signing keys.")


@lti.command("add-platform")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://canvas.instructure.com.")
@click.option("--client-id", required=True, help="Board's client id in the platform.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Repeat for several.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authentication (authorization) URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 access token URL.")
@click.option("--key-set-url", required=True, help="The platform's public keyset (JWKS) URL.")
@click.option("--name", default="", help="A name for people to read (default: the issuer's host).")
@click.option("--auth-audience", default="", help="The token endpoint's audience, if not its URL (Brightspace).")
@click.option(
    "--frame-origin",
    "frame_origins",
    multiple=True,
    help="The LMS's own address, if its pages are not on the issuer's host (Canvas: https://school.instructure.com).",
)
def add_platform(
    issuer, client_id, deployment_ids, auth_login_url, auth_token_url, key_set_url, name, auth_audience, frame_origins
) -> None:
    """Register a platform, or add deployment ids to one registered with the same issuer and client id."""
    try:
        platform = registration.add_platform(
            issuer=issuer,
            client_id=client_id,
            deployment_ids=list(deployment_ids),
            auth_login_url=auth_login_url,
            auth_token_url=auth_token_url,
            key_set_url=key_set_url,
            name=name,
            auth_audience=auth_audience,
            frame_origins=list(frame_origins) or None,
        )
    except registration.RegistrationError as error:
        raise click.ClickException(str(error)) from error
    keys.signing_key()  # so the JWKS URL publishes a key before the platform first asks
    deployments = ", ".join(d.deployment_id for d in platform.deployments)
    click.echo(f"Registered {platform.name} (issuer {platform.issuer}, client id {platform.client_id}).")
    click.echo(f"Deployment ids: {deployments}")


@lti.command("platforms")
def list_platforms() -> None:
    """List registered platforms."""
    for platform in registration.platforms():
        deployments = ", ".join(d.deployment_id for d in platform.deployments)
        click.echo(f"{platform.id}\t{platform.name}\t{platform.issuer}\t{platform.client_id}\t{deployments}")


@lti.command("rotate-key")
def rotate_key() -> None:
    """Make a new signing key; the old one stays published at the JWKS URL for a while (keys.KEY_OVERLAP)."""
    key, deleted = keys.rotate()
    click.echo(f"Board now signs with key {key.kid}.")
    click.echo(f"Earlier keys stay published for {keys.KEY_OVERLAP.days} days.")
    if deleted:
        click.echo("No longer published: " + ", ".join(deleted))


@lti.command("demo-platform")
@click.option("--port", type=int, default=5001, show_default=True, help="The demo LMS's port on 127.0.0.1.")
@click.option("--board-url", default="http://127.0.0.1:5000", show_default=True, help="Where Board runs (flask demo).")
def demo_platform(port: int, board_url: str) -> None:
    """Start a demo LMS (the test suite's LTI 1.3 platform), register it, and print a launch link."""
    try:
        from .demo_platform import DemoPlatform
    except ImportError as error:
        raise click.ClickException('The demo LMS needs lti1p3platform: pip install -e ".[lti-demo]"') from error
    platform = DemoPlatform(port=port)
    platform.tool_url = board_url.rstrip("/")
    registration.add_platform(**platform.registration_values())
    keys.signing_key()
    platform.start()
    click.echo(f"A demo LMS is running at {platform.url}, registered in Board (issuer {platform.issuer}).")
    click.echo(f"Board must be running at {platform.tool_url} (flask --app board demo, in another terminal).")
    click.echo(
        f"Open {platform.url}/demo and choose who opens Board; the instructor's first launch sets up the course."
    )
    try:
        platform.thread.join()
    except KeyboardInterrupt:
        platform.stop()
