"""The stack's Pulumi component resources, one per module, each with its typed `*Args`."""
