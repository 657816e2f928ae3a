"""The Pulumi-free model of a GitHub delivery: which events exist, how a pipeline's filters become Argo expressions,
and how Argo evaluates them. The command-line tools built on it live in `cli/`."""
