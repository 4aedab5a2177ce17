"""IAM SimulatePrincipalPolicy (moto raises NotImplementedError), answered from a
role's policies as moto stores them: its inline policies, its attached managed
policies (their default version) and its permissions boundary.

What it follows (IAM API reference and IAM user guide):

* SimulatePrincipalPolicy: "Simulate how a set of IAM policies attached to an
  IAM entity works with a list of API operations and Amazon Web Services
  resources to determine the policies' effective permissions." PolicySourceArn
  and ActionNames are required; ResourceArns defaults to ``*``;
  PolicyInputList: "An optional list of additional policy documents to include
  in the simulation." An unknown role is NoSuchEntity (HTTP 404).
* EvaluationResult: EvalActionName, EvalResourceName, EvalDecision
  (``allowed | explicitDeny | implicitDeny``), MatchedStatements ("Remember that
  even if multiple statements allow the operation on the resource, if only one
  statement denies that operation, then the explicit deny overrides any allow.
  In addition, the deny statement is the only entry included in the result."),
  MissingContextValues, PermissionsBoundaryDecisionDetail ("A value of false
  means that either the requested action is not allowed (implicitly denied) or
  that the action is explicitly denied by the permissions boundary.").
  Statement: SourcePolicyId, SourcePolicyType (``user | group | role |
  aws-managed | user-managed | resource | none``).
* Policy evaluation logic (user guide): "An explicit deny in any of these
  policies overrides the allow."; "By default, all requests are implicitly
  denied"; an identity-based policy and the permissions boundary must both
  allow. Action names are case-insensitive ("Action and NotAction ... values
  are case insensitive"), resources are case-sensitive; ``*`` matches any run
  of characters and ``?`` one character, in both; NotAction and NotResource
  match everything but what they list.
* Condition blocks: StringEquals/StringNotEquals/StringEqualsIgnoreCase/
  StringNotEqualsIgnoreCase/StringLike/StringNotLike, ArnEquals/ArnLike/
  ArnNotEquals/ArnNotLike, Bool and Null, each with ``...IfExists``, against
  ContextEntries. A key the request does not provide makes its condition false
  (true for ...IfExists and for Null "true") and is listed in
  MissingContextValues. Any other operator makes the statement not apply.

Not emulated: users and groups as PolicySourceArn (InvalidInput), resource
policies, service control policies, statement positions (StartPosition /
EndPosition), ResourceSpecificResults, multi-valued condition keys
(ForAnyValue/ForAllValues).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Iterable

from common import AwsRequest, QUERY_NAMESPACES, Resp, query_error, xml_escape

ROLE_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$")
STRING_OPS = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
              "StringLike", "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Bool"}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` exactly one; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def members(params: dict[str, Any], prefix: str) -> list[str]:
    """``Prefix.member.N`` query parameters, in N order."""
    found = []
    for key, value in params.items():
        m = re.fullmatch(re.escape(prefix) + r"\.member\.(\d+)", key)
        if m:
            found.append((int(m.group(1)), value))
    return [v for _, v in sorted(found)]


def context_entries(params: dict[str, Any]) -> dict[str, list[str]]:
    entries: dict[int, dict[str, Any]] = {}
    for key, value in params.items():
        m = re.fullmatch(r"ContextEntries\.member\.(\d+)\.(ContextKeyName|ContextKeyValues\.member\.(\d+))", key)
        if not m:
            continue
        entry = entries.setdefault(int(m.group(1)), {"values": []})
        if m.group(2) == "ContextKeyName":
            entry["name"] = value
        else:
            entry["values"].append((int(m.group(3)), value))
    return {e["name"].lower(): [v for _, v in sorted(e["values"])] for e in entries.values() if "name" in e}


class Statement:
    def __init__(self, raw: dict[str, Any], policy_id: str, policy_type: str):
        self.raw = raw
        self.policy_id = policy_id
        self.policy_type = policy_type
        self.effect = raw.get("Effect")

    def applies(self, action: str, resource: str, context: dict[str, list[str]], missing: set[str]) -> bool:
        raw = self.raw
        if "Action" in raw:
            if not any(wildcard(p, action, True) for p in _list(raw["Action"]) if isinstance(p, str)):
                return False
        elif "NotAction" in raw:
            if any(wildcard(p, action, True) for p in _list(raw["NotAction"]) if isinstance(p, str)):
                return False
        else:
            return False
        if "Resource" in raw:
            if not any(wildcard(p, resource) for p in _list(raw["Resource"]) if isinstance(p, str)):
                return False
        elif "NotResource" in raw:
            if any(wildcard(p, resource) for p in _list(raw["NotResource"]) if isinstance(p, str)):
                return False
        else:
            return False
        return conditions_hold(raw.get("Condition"), context, missing)


def conditions_hold(block: Any, context: dict[str, list[str]], missing: set[str]) -> bool:
    if block is None:
        return True
    if not isinstance(block, dict):
        return False
    ok = True
    for operator, tests in block.items():
        if not isinstance(tests, dict):
            return False
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        for key, wanted in tests.items():
            actual = context.get(str(key).lower())
            wanted_values = [str(w).lower() if isinstance(w, bool) else str(w) for w in _list(wanted)]
            if base == "Null":
                holds = (actual is None) == (wanted_values[:1] == ["true"])
            elif base not in STRING_OPS:
                holds = False
            elif actual is None:
                missing.add(str(key))
                holds = if_exists
            else:
                holds = any(_compare(base, a, w) for a in actual for w in wanted_values)
                if base in ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals",
                            "ArnNotLike"):
                    holds = all(_compare(base, a, w) for a in actual for w in wanted_values)
            ok = ok and holds
    return ok


def _compare(op: str, actual: str, wanted: str) -> bool:
    if op in ("StringEquals", "ArnEquals"):
        return actual == wanted
    if op == "StringEqualsIgnoreCase":
        return actual.lower() == wanted.lower()
    if op in ("StringLike", "ArnLike"):
        return wildcard(wanted, actual)
    if op in ("StringNotEquals", "ArnNotEquals"):
        return actual != wanted
    if op == "StringNotEqualsIgnoreCase":
        return actual.lower() != wanted.lower()
    if op in ("StringNotLike", "ArnNotLike"):
        return not wildcard(wanted, actual)
    if op == "Bool":
        return actual.lower() == wanted.lower()
    return False


def statements_of(document: str, policy_id: str, policy_type: str) -> list[Statement]:
    try:
        parsed = json.loads(document)
    except (TypeError, ValueError):
        return []
    if not isinstance(parsed, dict):
        return []
    return [Statement(s, policy_id, policy_type) for s in _list(parsed.get("Statement")) if isinstance(s, dict)]


def decide(stmts: Iterable[Statement], action: str, resource: str, context: dict[str, list[str]],
           missing: set[str]) -> tuple[str, list[Statement]]:
    allows, denies = [], []
    for s in stmts:
        if s.applies(action, resource, context, missing):
            (denies if s.effect == "Deny" else allows if s.effect == "Allow" else []).append(s)
    if denies:
        return "explicitDeny", denies
    if allows:
        return "allowed", allows
    return "implicitDeny", []


class PolicySimulator:
    def __init__(self, emu: Any):
        self.emu = emu
        emu.handlers[("iam", "SimulatePrincipalPolicy")] = self.simulate_principal_policy

    def reset(self) -> None:
        pass  # no state of its own: moto's IAM holds the policies

    @staticmethod
    def role_policies(role: Any, backend: Any) -> tuple[list[Statement], list[Statement] | None]:
        stmts: list[Statement] = []
        for name, document in role.policies.items():
            stmts += statements_of(document, name, "role")
        for arn, policy in role.managed_policies.items():
            kind = "aws-managed" if ":aws:policy/" in arn else "user-managed"
            stmts += statements_of(_default_document(policy), policy.name, kind)
        boundary = None
        if role.permissions_boundary_arn:
            try:
                policy = backend.get_policy(role.permissions_boundary_arn)
                boundary = statements_of(_default_document(policy), policy.name, "none")
            except Exception:
                boundary = []
        return stmts, boundary

    def simulate_principal_policy(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        source = p.get("PolicySourceArn")
        actions = members(p, "ActionNames")
        if not isinstance(source, str) or not actions:
            return query_error("ValidationError", "PolicySourceArn and ActionNames are required", 400, "iam")
        m = ROLE_ARN_RE.match(source)
        if m is None:
            if re.match(r"^arn:aws[a-z-]*:iam::\d{12}:(user|group)/", source):
                return query_error("InvalidInput", "The emulator simulates roles only", 400, "iam")
            return query_error("InvalidInput", f"Invalid ARN: {source}", 400, "iam")
        partition, account, name = m.groups()
        from moto.iam.models import iam_backends

        backend = iam_backends[req.account][partition]
        role = _role(backend, name) if account == req.account else None
        if role is None:
            return query_error("NoSuchEntity", f"The role with name {name} cannot be found.", 404, "iam")
        identity, boundary = self.role_policies(role, backend)
        for i, document in enumerate(members(p, "PolicyInputList"), start=1):
            identity += statements_of(document, f"PolicyInputList.{i}", "none")
        resources = members(p, "ResourceArns") or ["*"]
        context = context_entries(p)
        results = []
        for action in actions:
            for resource in resources:
                missing: set[str] = set()
                decision, matched = decide(identity, action, resource, context, missing)
                detail = None
                if boundary is not None:
                    b_decision, b_matched = decide(boundary, action, resource, context, missing)
                    detail = b_decision == "allowed"
                    if decision != "explicitDeny" and b_decision == "explicitDeny":
                        decision, matched = "explicitDeny", b_matched
                    elif decision == "allowed" and b_decision != "allowed":
                        decision, matched = "implicitDeny", []
                results.append(_result_xml(action, resource, decision, matched, sorted(missing), detail))
        return _response(results)


def _role(backend: Any, name: str) -> Any:
    from moto.iam.exceptions import NotFoundException

    try:
        return backend.get_role(name)
    except NotFoundException:
        return None


def _default_document(policy: Any) -> str:
    for version in getattr(policy, "versions", []):
        if version.is_default:
            return version.document
    return getattr(policy, "document", "") or ""


def _result_xml(action: str, resource: str, decision: str, matched: list[Statement], missing: list[str],
                boundary: bool | None) -> str:
    stmts = "".join(f"<member><SourcePolicyId>{xml_escape(s.policy_id)}</SourcePolicyId>"
                    f"<SourcePolicyType>{s.policy_type}</SourcePolicyType></member>" for s in matched)
    keys = "".join(f"<member>{xml_escape(k)}</member>" for k in missing)
    out = (f"<member><EvalActionName>{xml_escape(action)}</EvalActionName>"
           f"<EvalResourceName>{xml_escape(resource)}</EvalResourceName>"
           f"<EvalDecision>{decision}</EvalDecision>"
           f"<MatchedStatements>{stmts}</MatchedStatements>"
           f"<MissingContextValues>{keys}</MissingContextValues>")
    if boundary is not None:
        out += (f"<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>{str(boundary).lower()}"
                f"</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>")
    return out + "</member>"


def _response(results: list[str]) -> Resp:
    request_id = str(uuid.uuid4())
    body = (f'<SimulatePrincipalPolicyResponse xmlns="{QUERY_NAMESPACES["iam"]}">'
            f"<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>"
            f"<EvaluationResults>{''.join(results)}</EvaluationResults></SimulatePrincipalPolicyResult>"
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</SimulatePrincipalPolicyResponse>")
    return Resp(200, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode("utf-8"))
