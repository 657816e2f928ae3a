"""The `argo-workflows-webhook-clients` Secret as Argo Server reads it (server/auth/webhook): one data key per
ServiceAccount in the events URL's namespace, each a YAML entry with the client type and the shared secret.

Rotation that loses nothing: Argo tries every entry in turn and accepts a delivery signed with any of them. At
`webhookSecretVersion` N the Secret accepts the secrets of versions N-1, N and N+1, one per fixed ServiceAccount
(previous, current, next), and the organization webhooks sign with version N. Bumping N to N+1 creates the password of
N+2, drops the one of N-1, shifts the three entries, and moves the hooks from N to N+1: both the old and the new
Secret accept N and N+1, so every order of those updates, and every point where `pulumi up` may stop, leaves each
hook signing with a secret the Secret in the cluster accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

WEBHOOK_CLIENTS_SECRET = "argo-workflows-webhook-clients"  # the name Argo Server reads
SERVICE_ACCOUNT_PREFIX = "github-webhook"


@dataclass(frozen=True)
class ClientSlot:
    """One entry of the Secret: a fixed ServiceAccount holding the secret of `version + offset`."""

    role: str
    offset: int

    @property
    def service_account(self) -> str:
        return f"{SERVICE_ACCOUNT_PREFIX}-{self.role}"

    @property
    def token_secret(self) -> str:
        """The token Secret Argo finds by the ServiceAccount's annotation (Kubernetes >= 1.24 creates none itself)."""
        return f"{self.service_account}.service-account-token"


SLOTS = (ClientSlot("previous", -1), ClientSlot("current", 0), ClientSlot("next", 1))
CURRENT = SLOTS[1]
# The GitHub App's own webhook (check_run / check_suite `rerequested`: Re-run from GitHub) signs with a secret of
# its own, so its deliveries act as this ServiceAccount, which may only submit the re-run (delivery/rerun.py).
APP_SERVICE_ACCOUNT = "github-app-webhook"
APP_TOKEN_SECRET = f"{APP_SERVICE_ACCOUNT}.service-account-token"


def accepted_versions(version: int) -> dict[str, int]:
    """ServiceAccount -> the secret version its entry holds, at `webhookSecretVersion` = `version`."""
    return {slot.service_account: version + slot.offset for slot in SLOTS}


def password_versions(version: int) -> tuple[int, ...]:
    """The versions whose passwords exist at `version`: a bump creates one and deletes one."""
    return tuple(sorted(accepted_versions(version).values()))


def webhook_client_entry(secret: str) -> str:
    """One entry of the webhook-clients Secret: YAML that Argo Server parses (`type` and `secret`)."""
    if not secret:
        raise ValueError("an empty secret would make Argo skip the signature check")
    return f"type: github\nsecret: {secret}\n"


def webhook_clients_data(version: int, passwords: Mapping[int, str]) -> dict[str, str]:
    """The Secret's entries at `version`, from the passwords by version."""
    return {
        service_account: webhook_client_entry(passwords[secret_version])
        for service_account, secret_version in accepted_versions(version).items()
    }
