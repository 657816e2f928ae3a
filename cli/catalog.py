"""Generate the event catalogue (`delivery/github_events.json`) from the committed extracts of its two sources.

    python -m cli catalog            # rewrite delivery/github_events.json
    python -m cli catalog --check    # exit 1 if the committed catalogue is not what the inputs give
    python -m cli catalog --extract-from <package>/generated/api.github.com.json
        # first refresh the GitHub extract from an unpacked @octokit/openapi-webhooks package, then rewrite

The inputs live in `delivery/catalog_sources/`: `github-webhooks.json`, extracted by this tool from GitHub's webhooks
OpenAPI description as published in the npm package @octokit/openapi-webhooks (event names, actions, which kinds of
hook each event is sent to), and `argo-server.json`, the facts read from Argo Workflows' and go-playground/webhooks'
source (which events Argo Server passes to its GitHub parser, and which payloads that parser cannot decode). Every
event name GitHub can send lands in exactly one class: deliverable, refused by Argo, not available to an organization
webhook. Offline: the network is needed only to fetch the npm package before `--extract-from`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cli.common import BadInput, CommandParser, print_json, run
from delivery.github_events import with_article

SOURCES_DIR = Path(__file__).resolve().parents[1] / "delivery" / "catalog_sources"
GITHUB_EXTRACT = "github-webhooks.json"  # in SOURCES_DIR
ARGO_FACTS = "argo-server.json"  # in SOURCES_DIR
CATALOGUE = Path(__file__).resolve().parents[1] / "delivery" / "github_events.json"

EXIT_OK, EXIT_DIFFERS, EXIT_BAD_INPUT = 0, 1, 2
ORGANIZATION_HOOK = "organization"
ANY_ACTION = "*"  # repository_dispatch: the action is whatever `event_type` the dispatching client chose

# Who receives an event when an organization webhook cannot (values of x-github.supported-webhook-types).
HOOK_KIND_WORDS = {
    "app": "GitHub Apps",
    "business": "enterprise webhooks",
    "marketplace": "GitHub Marketplace listings",
    "repository": "repository webhooks",
    "sponsors_listing": "GitHub Sponsors listings",
}


class GenerationError(ValueError):
    """The inputs contradict each other or are not what this tool understands (exit code 2)."""


# ---------------------------------------------------------------------------------------------------------------------
# Extract: GitHub's OpenAPI description (tens of MB) -> the few facts the catalogue needs.


def _resolve(node: Any, schemas: Mapping[str, Any]) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = schemas[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _variants(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A payload schema's alternatives (pull_request review_requested is a oneOf of two shapes)."""
    members = schema.get("oneOf") or schema.get("anyOf")
    return [_resolve(member, schemas) for member in members] if members else [schema]


def _types_at(node: Any, path: Sequence[str], schemas: Mapping[str, Any]) -> set[str]:
    """The JSON types GitHub's schema allows at a payload path below `node` (empty when there is no such field)."""
    node = _resolve(node, schemas)
    if not isinstance(node, dict):
        return set()
    members = node.get("allOf") or node.get("oneOf") or node.get("anyOf")
    if members:
        return set().union(*(_types_at(member, path, schemas) for member in members))
    if not path:
        kind = node.get("type", "object" if "properties" in node else None)
        return set(kind) if isinstance(kind, list) else {kind} if kind else set()
    child = node.get("properties", {}).get(path[0])
    return _types_at(child, path[1:], schemas) if child is not None else set()


def extract(openapi: Mapping[str, Any], version: str, checked_fields: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One row per webhook definition: event name, action, the hook kinds it is sent to, and checked field types.

    The event name is the operationId's first part with '-' read as '_' (what @octokit/webhooks.js does: the
    OpenAPI spells three names with hyphens, e.g. `sub-issues`, while GitHub's X-GitHub-Event header is `sub_issues`).
    """
    schemas = openapi.get("components", {}).get("schemas", {})
    checked = [(row["event"], tuple(row["field"].split("."))) for row in checked_fields]
    rows = []
    for key, definition in sorted(openapi.get("webhooks", {}).items()):
        operation = definition["post"]
        event = operation["operationId"].split("/", 1)[0].replace("-", "_")
        payload = _resolve(operation["requestBody"]["content"]["application/json"]["schema"], schemas)
        actions: set[str] = set()
        for variant in _variants(payload, schemas):
            action = _resolve(variant.get("properties", {}).get("action"), schemas)
            if isinstance(action, dict):
                actions.update(action.get("enum", [ANY_ACTION]))
        row: dict[str, Any] = {
            "webhook": key,
            "event": event,
            "actions": sorted(actions),
            "supported_webhook_types": sorted(operation["x-github"]["supported-webhook-types"]),
        }
        fields = {".".join(path): sorted(_types_at(payload, path, schemas)) for name, path in checked if name == event}
        fields = {field: types for field, types in fields.items() if types}
        if fields:
            row["field_types"] = fields
        rows.append(row)
    return {
        "about": (
            "Extract of GitHub's webhooks OpenAPI description: one row per webhook definition (event name from the "
            "operationId, actions from the payload schema's `action` enum, x-github.supported-webhook-types, and the "
            "JSON types GitHub's schema gives the fields argo-server.json says the parser cannot decode). "
            "Written by `python -m cli catalog --extract-from <package>/generated/api.github.com.json`."
        ),
        "source": {
            "package": "@octokit/openapi-webhooks",
            "version": version,
            "file": "generated/api.github.com.json",
            "origin": "npm registry; the package republishes github/rest-api-description's webhooks for api.github.com",
        },
        "webhooks": rows,
    }


# ---------------------------------------------------------------------------------------------------------------------
# Generate: the two extracts -> the catalogue.


def _who_receives(hook_types: Iterable[str]) -> str:
    return ", ".join(HOOK_KIND_WORDS.get(kind, kind) for kind in sorted(hook_types))


def _refusal_reason(failure: Mapping[str, Any], parser: str) -> str:
    sends, expects = with_article(" or ".join(failure["github_sends"])), with_article(failure["parser_expects"])
    return f"{failure['field']} is {sends} in GitHub's payloads but {expects} in {parser}"


def _check_against_schema(failure: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> None:
    """A recorded failure must match GitHub's schema: the field has the type GitHub is said to send, in every
    delivery it concerns when `always` (else in at least one)."""
    action, field, sends = failure.get("action"), failure["field"], set(failure["github_sends"])
    concerned = [row for row in rows if action is None or action in row["actions"]]
    matching = [row for row in concerned if sends <= set(row.get("field_types", {}).get(field, []))]
    if not matching or (failure["always"] and len(matching) != len(concerned)):
        schema_types = sorted({kind for row in concerned for kind in row.get("field_types", {}).get(field, [])})
        raise GenerationError(
            f"parse failure for {failure['event']!r}: GitHub's schema gives {field} the types {schema_types or 'none'}"
            f"{' in every delivery' if failure['always'] else ''}, not {sorted(sends)}"
        )


def _events_from(github: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """GitHub's webhook definitions grouped by event: hook kinds, actions, and the rows (for the schema checks)."""
    events: dict[str, dict[str, Any]] = {}
    for row in github["webhooks"]:
        entry = events.setdefault(row["event"], {"hook_types": set(), "actions": set(), "rows": []})
        entry["hook_types"].update(row["supported_webhook_types"])
        entry["actions"].update(row["actions"])
        entry["rows"].append(row)
    return events


def _payload_refusals(
    argo: Mapping[str, Any], events: Mapping[str, Mapping[str, Any]], accepted: set[str]
) -> dict[str, list[dict[str, Any]]]:
    """The recorded parse failures, each checked against GitHub's schema, with its reason in words, by event."""
    parser = argo["parser"]
    parser_name = f"the parser's Go types ({parser['module']} {parser['version']})"
    refusals: dict[str, list[dict[str, Any]]] = {}
    for failure in argo["parse_failures"]:
        event, action = failure["event"], failure.get("action")
        if event not in events or event not in accepted:
            raise GenerationError(f"parse failure for {event!r}: not an event GitHub sends and Argo passes on")
        if action is not None and action not in events[event]["actions"]:
            raise GenerationError(f"parse failure for {event!r}: {action!r} is not one of its actions")
        _check_against_schema(failure, events[event]["rows"])
        refusals.setdefault(event, []).append(
            {
                "action": action,
                "field": failure["field"],
                "github_sends": failure["github_sends"],
                "always": failure["always"],
                "reason": _refusal_reason(failure, parser_name),
            }
        )
    return refusals


def _classify(
    name: str, entry: Mapping[str, Any], accepted: set[str], refusals: list[dict[str, Any]]
) -> dict[str, Any]:
    """One event's catalogue entry: its class, and why Argo refuses all or some of its deliveries."""
    hook_types = sorted(entry["hook_types"])
    whole_event = [refusal for refusal in refusals if refusal["always"] and refusal["action"] is None]
    argo_refuses: str | None = None  # both phrases follow the event's name in a message
    if name not in accepted:
        argo_refuses = "is not in Argo's list of GitHub events"
    elif whole_event:
        argo_refuses = f"payloads cannot be decoded by Argo's GitHub parser: {whole_event[0]['reason']}"
    if ORGANIZATION_HOOK not in hook_types:
        klass = "not_org_webhook"
    else:
        klass = "refused_by_argo" if argo_refuses else "deliverable"
    return {
        "class": klass,
        "actions": sorted(entry["actions"]),
        "hook_types": hook_types,
        "sent_only_to": _who_receives(hook_types) if klass == "not_org_webhook" else None,
        "argo_refuses": argo_refuses,
        "refused_payloads": [refusal for refusal in refusals if refusal not in whole_event],
    }


def generate(github: Mapping[str, Any], argo: Mapping[str, Any]) -> dict[str, Any]:
    """The catalogue: every event GitHub sends, its class, and the payloads Argo Server cannot parse."""
    accepted = set(argo["argo_workflows"]["events"]) & set(argo["parser"]["events"])
    events = _events_from(github)
    refusals = _payload_refusals(argo, events, accepted)
    catalogue = {name: _classify(name, events[name], accepted, refusals.get(name, [])) for name in sorted(events)}
    by_class = {
        klass: [name for name, entry in catalogue.items() if entry["class"] == klass]
        for klass in ("deliverable", "refused_by_argo", "not_org_webhook")
    }
    return {
        "about": (
            "Generated by `python -m cli catalog` from delivery/catalog_sources/: do not edit. "
            "Every event name GitHub can send is in exactly one class: 'deliverable' (an organization webhook can "
            "subscribe to it and Argo Server accepts it), 'refused_by_argo' (an organization webhook can send it but "
            "Argo Server answers HTTP 401: the event is not in its list, or its payloads cannot be parsed), "
            "'not_org_webhook' (GitHub sends it only to other kinds of hook). 'refused_payloads' are refusals of some "
            "deliveries of an event (an action, or a field GitHub sends only sometimes); 'not_sent_by_github' are "
            "names Argo accepts that GitHub's definitions do not have."
        ),
        "sources": {
            "github": {key: github["source"][key] for key in ("package", "version", "file")},
            "argo": {
                "argo_workflows": {key: argo["argo_workflows"][key] for key in ("version", "file")},
                "parser": {key: argo["parser"][key] for key in ("module", "version", "file")},
            },
        },
        **by_class,
        "not_sent_by_github": sorted(accepted - set(events)),
        "events": catalogue,
    }


def render(catalogue: Mapping[str, Any]) -> str:
    return json.dumps(catalogue, indent=2) + "\n"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GenerationError(f"{path} not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise GenerationError(f"{path} cannot be read as JSON: {error}") from None


def generate_from_files(sources: Path = SOURCES_DIR) -> str:
    """The catalogue text the committed inputs give."""
    return render(generate(_read_json(sources / GITHUB_EXTRACT), _read_json(sources / ARGO_FACTS)))


def _parser() -> CommandParser:
    parser = CommandParser(
        "catalog",
        "Write delivery/github_events.json from delivery/catalog_sources/ (offline).",
        exit_codes={
            EXIT_OK: "written, or (--check) the committed catalogue is what the inputs give",
            EXIT_DIFFERS: "--check: the committed catalogue differs from what the inputs give",
            EXIT_BAD_INPUT: "bad input: options, or inputs that cannot be read or do not have the expected shape",
        },
        examples=["python -m cli catalog --check"],
    )
    parser.add_argument("--check", action="store_true", help="only compare: exit 1 if the committed file differs")
    parser.add_argument(
        "--extract-from",
        metavar="API_GITHUB_COM_JSON",
        type=Path,
        help="first refresh catalog_sources/github-webhooks.json from an unpacked @octokit/openapi-webhooks package",
    )
    return parser


def _package_version(openapi_file: Path) -> str:
    """The npm package's version: its package.json sits one level above generated/."""
    package = _read_json(openapi_file.resolve().parent.parent / "package.json")
    if package.get("name") != "@octokit/openapi-webhooks":
        raise GenerationError(f"{openapi_file} is not inside an unpacked @octokit/openapi-webhooks package")
    return str(package["version"])


def main(arguments: Sequence[str] | None = None, sources: Path = SOURCES_DIR, catalogue: Path = CATALOGUE) -> int:
    def body(options: argparse.Namespace) -> int:
        try:
            if options.extract_from:
                if options.check:
                    raise GenerationError("--check and --extract-from do not go together")
                failures = _read_json(sources / ARGO_FACTS)["parse_failures"]
                extracted = extract(_read_json(options.extract_from), _package_version(options.extract_from), failures)
                (sources / GITHUB_EXTRACT).write_text(render(extracted), encoding="utf-8")
            text = generate_from_files(sources)
        except (KeyError, TypeError, AttributeError) as error:
            raise BadInput(f"the inputs in {sources} do not have the expected shape: {error!r}") from None
        except GenerationError as error:
            raise BadInput(str(error)) from None
        if options.check:
            up_to_date = catalogue.is_file() and catalogue.read_text(encoding="utf-8") == text
            if options.json:
                print_json({"catalogue": str(catalogue), "up_to_date": up_to_date})
            elif not up_to_date:
                print(f"{catalogue} is not what the inputs give: run python -m cli catalog", file=sys.stderr)
            return EXIT_OK if up_to_date else EXIT_DIFFERS
        catalogue.write_text(text, encoding="utf-8")
        if options.json:
            print_json({"catalogue": str(catalogue), "written": True})
        else:
            print(f"wrote {catalogue}")
        return EXIT_OK

    return run(_parser(), body, arguments)


if __name__ == "__main__":
    sys.exit(main())
