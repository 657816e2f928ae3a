"""Workflow names that run each pipeline at most once per delivery: `<pipeline>-<X-GitHub-Delivery GUID>`.

GitHub keeps a delivery's GUID when it (or anyone) redelivers it, so the second submission of the same pipeline for
the same delivery asks Kubernetes for a name that already exists: the API server refuses it (AlreadyExists) and no
second run starts. The GUID has a fixed length, so the name is `pipeline + "-" + 36 characters`: two pipelines or two
deliveries never produce the same name, and the pipeline name may be at most 63 - 37 = 26 characters (Argo refuses
Workflow names over 63, workflow/validate: maxCharsInObjectName).

The header is not covered by GitHub's signature (only the body is), so it is untrusted: anything but a lower-case
GUID as GitHub sends it gives the empty name, and Argo's dispatch (server/event/dispatch, v4.0.6) then names the run
`<template>-<5 random characters>` from the generateName it sets itself: a valid name nobody chose, without the
protection against a second run.
"""

from __future__ import annotations

import re

from delivery.expr import quote

DELIVERY_GUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
GUID_LENGTH = 36
MAX_WORKFLOW_NAME_LENGTH = 63
MAX_PIPELINE_NAME_LENGTH = MAX_WORKFLOW_NAME_LENGTH - 1 - GUID_LENGTH  # 26
RANDOM_SUFFIX_LENGTH = 5  # Argo's util.RandSuffix, appended to the generateName "<template>-"

_GUID = re.compile(DELIVERY_GUID)


def workflow_name_expression(pipeline_name: str, delivery_header: str) -> str:
    """The Argo expression for `submit.metadata.name`: the name, or "" (Argo's random name) for a header not a GUID."""
    return f'({delivery_header} matches {quote(DELIVERY_GUID)} ? {quote(pipeline_name + "-")} + {delivery_header} : "")'


def workflow_name(pipeline_name: str, delivery: str) -> str | None:
    """The name the expression gives, for documentation and tests; None where Argo picks a random one."""
    return f"{pipeline_name}-{delivery}" if _GUID.fullmatch(delivery) else None
