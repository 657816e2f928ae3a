"""The stack's settings: Pulumi config and stack files parsed once into typed, immutable objects, every check here."""
