"""argo-github-webhooks: Argo Workflows started by GitHub organization webhooks, as one Pulumi stack."""
