"""The `argo-workflows-webhook-clients` Secret as Argo Server reads it (server/auth/webhook): one data key per
ServiceAccount in the events URL's namespace, each a YAML entry with the client type and the shared secret."""

WEBHOOK_CLIENTS_SECRET = "argo-workflows-webhook-clients"  # the name Argo Server reads


def webhook_client_entry(secret: str) -> str:
    """One entry of the webhook-clients Secret: YAML that Argo Server parses (`type` and `secret`)."""
    return f"type: github\nsecret: {secret}\n"
