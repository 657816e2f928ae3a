"""The Pulumi-free model of a GitHub delivery: which events exist, how a pipeline's filters become Argo expressions,
how Argo evaluates them, and the command-line tools built on that model (`python -m delivery.<tool>`)."""
