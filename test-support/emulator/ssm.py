"""SSM Parameter Store: corrections to moto 5.2.1 where it differs from the PutParameter API reference.

What moto does natively (and is kept): Type may be omitted on an overwrite and
the type stays ("Specifying a parameter type isn't required when updating a
parameter."); Policies omitted on an overwrite are kept and "[]" removes them
("All existing policies are preserved until you send new policies or an empty
policy."); an overwrite without Tier keeps the tier; Description,
AllowedPattern and KeyId omitted on an overwrite are kept; Version goes up by
one per write; GetParameter takes the parameter's ARN ("The name or Amazon
Resource Name (ARN) of the parameter that you want to query."), a version
(name:3) or a label; DescribeParameters returns Type, KeyId, Tier,
AllowedPattern, DataType, Version, Description and LastModifiedDate (epoch
seconds). An overwrite without DataType sets "text" (moto's request default).

Corrected:

* KeyId: "If you don't specify a key ID, the system uses the default key
  associated with your Amazon Web Services account". moto keeps the previous
  (custom) key on an overwrite without KeyId; here the key becomes
  ``alias/aws/ssm``, the account's default key for SSM. A given KeyId is kept.
  A parameter whose type is no longer SecureString has no KeyId (KeyId is
  "Required for parameters that use the SecureString data type").
* AllowedPattern: "A regular expression used to validate the parameter value."
  moto never checks it. Here the value must match the pattern of the request,
  or else the one stored with the parameter, as a whole (Java's
  String.matches semantics); otherwise ParameterPatternMismatchException. An
  invalid pattern is InvalidAllowedPatternException.
* Tier: "You can change a standard parameter to an advanced parameter any time.
  But you can't revert an advanced parameter to a standard parameter." moto
  accepts Tier=Standard on an advanced parameter and downgrades it; here that is
  a ValidationException. With no Tier, "Parameter Store assigns the tier based
  on the current Parameter Store default tier configuration", and "The default
  tier when you begin using Parameter Store is the standard-parameter tier":
  the emulator's reading is that the default configuration decides the tier of
  a new parameter (Standard), and that an overwrite of an advanced parameter
  without Tier keeps it advanced, because reverting it is what the same
  reference forbids (moto keeps the tier too). "Intelligent-Tiering" is
  resolved as documented ("If the request doesn't include any options that
  require an advanced parameter, the parameter is created in the
  standard-parameter tier"; such options are a value over 4 KB or a parameter
  policy), and an advanced parameter stays advanced. moto stores the word
  "Intelligent-Tiering" as the tier.
* Policies in DescribeParameters and GetParameterHistory, ParameterInlinePolicy:
  PolicyText "The JSON text of the policy.", PolicyType "Expiration,
  ExpirationNotification, and NoChangeNotification", PolicyStatus "Pending (the
  policy hasn't been enforced or applied yet)". moto puts the policy object in
  both PolicyText and PolicyType and says "Finished".
* DescribeParameters with filters: "Request results are returned on a
  best-effort basis. If you specify MaxResults in the request, the response
  includes information up to the limit specified. The number of items
  returned, however, can be between zero and the value of MaxResults. If the
  service reaches an internal limit while processing the results, it stops the
  operation and returns the matching values up to that point and a NextToken."
  moto filters first and pages the matches, so a filter by name always answers
  on the first page. Here a page looks at MaxResults parameters of the account
  (default 10, as moto; 1-50, else ValidationException), in moto's order, and
  returns those of them that match: a page may be empty and still carry a
  NextToken (opaque; a foreign one is InvalidNextToken).
"""

from __future__ import annotations

import json
import re
from typing import Any

from common import AwsRequest, Resp, aws_error, decode_token, encode_token, epoch_ms, json_resp

DEFAULT_KEY = "alias/aws/ssm"
STANDARD_MAX_BYTES = 4096
DOWNGRADE = ("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
             "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the "
             "advanced parameter and recreate it as a standard parameter.")


def _policies_given(policies: Any) -> bool:
    if not isinstance(policies, str) or not policies.strip():
        return False
    try:
        return bool(json.loads(policies))
    except ValueError:
        return True


def inline_policies(policies: Any) -> list[dict[str, str]] | None:
    """A parameter's policies as ParameterInlinePolicy objects."""
    if not isinstance(policies, str):
        return None
    try:
        parsed = json.loads(policies)
    except ValueError:
        return None
    if not isinstance(parsed, list):
        return None
    out = []
    for policy in parsed:
        text = policy if isinstance(policy, str) else json.dumps(policy, separators=(",", ":"))
        kind = policy.get("Type") if isinstance(policy, dict) else None
        if kind is None and isinstance(policy, str):
            try:
                kind = json.loads(policy).get("Type")
            except (ValueError, AttributeError):
                kind = None
        out.append({"PolicyText": text, "PolicyType": kind or "", "PolicyStatus": "Pending"})
    return out


class SsmService:
    def __init__(self, emu: Any):
        self.emu = emu
        emu.handlers.update({
            ("ssm", "PutParameter"): self.put_parameter,
            ("ssm", "DescribeParameters"): self.describe_parameters,
            ("ssm", "GetParameterHistory"): self.fix_policies,
        })

    def reset(self) -> None:
        pass  # moto keeps the parameters

    @staticmethod
    def backend(account: str, region: str) -> Any:
        from moto.ssm.models import ssm_backends

        return ssm_backends[account][region]

    def current(self, account: str, region: str, name: Any) -> Any:
        """The latest version of a parameter in moto's store, or None."""
        if not isinstance(name, str) or not name or name.startswith("/aws/reference/"):
            return None
        params = self.backend(account, region)._parameters
        if name not in params:
            return None
        versions = params[name]
        return versions[-1] if versions else None

    def put_parameter(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        name, value = p.get("Name"), p.get("Value")
        if not isinstance(name, str) or not isinstance(value, str) or not value:
            return self.emu.forward(environ, req)  # moto's validation errors
        existing = self.current(req.account, req.region, name)
        overwrite = p.get("Overwrite") is True
        if existing is not None and not overwrite:
            return self.emu.forward(environ, req)  # ParameterAlreadyExists
        changes: dict[str, Any] = {}
        ptype = p.get("Type") or (existing.parameter_type if existing is not None else None)

        # AllowedPattern: "A regular expression used to validate the parameter value."
        pattern = p.get("AllowedPattern") if "AllowedPattern" in p else (
            existing.allowed_pattern if existing is not None else None)
        if pattern:
            try:
                compiled = re.compile(pattern)
            except (re.error, TypeError):
                return aws_error("InvalidAllowedPatternException",
                                 f"The request does not meet the regular expression requirement: {pattern}")
            if not compiled.fullmatch(value):
                return aws_error("ParameterPatternMismatchException",
                                 f"Parameter value, cannot be validated against allowedPattern: {pattern}")

        # KeyId: "If you don't specify a key ID, the system uses the default key associated
        # with your Amazon Web Services account" (moto keeps the previous key on overwrite).
        if existing is not None and ptype == "SecureString" and not p.get("KeyId"):
            changes["KeyId"] = DEFAULT_KEY

        # Tier: an advanced parameter can't be reverted to standard; Intelligent-Tiering
        # picks the tier the request needs.
        tier = p.get("Tier")
        was_advanced = existing is not None and existing.tier == "Advanced"
        if tier == "Intelligent-Tiering":
            policies = p["Policies"] if "Policies" in p else (existing.policies if existing is not None else None)
            needs_advanced = len(value.encode("utf-8")) > STANDARD_MAX_BYTES or _policies_given(policies)
            changes["Tier"] = "Advanced" if was_advanced or needs_advanced else "Standard"
        if was_advanced and changes.get("Tier", tier) == "Standard":
            return aws_error("ValidationException", DOWNGRADE)

        if changes:
            params = dict(p)
            params.update(changes)
            resp = self.emu.forward(environ, req, params)
        else:
            resp = self.emu.forward(environ, req)
        if resp.status == 200:
            stored = self.current(req.account, req.region, name)
            if stored is not None and stored.parameter_type != "SecureString" and stored.keyid:
                stored.keyid = None
        return resp

    def describe_parameters(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        if not (p.get("ParameterFilters") or p.get("Filters")):
            return self.fix_policies(environ, req)  # moto pages the whole list itself
        page_size = p.get("MaxResults", 10)
        if not isinstance(page_size, int) or not 1 <= page_size <= 50:
            return aws_error("ValidationException", "MaxResults must be between 1 and 50")
        start = 0
        if p.get("NextToken"):
            decoded = decode_token(p["NextToken"])
            if decoded is None or not decoded.isdigit():
                return aws_error("InvalidNextToken", "The specified token is not valid.")
            start = int(decoded)
        # moto answers the filters (and refuses invalid ones); it pages its matches by 10.
        query = {k: v for k, v in p.items() if k not in ("NextToken", "MaxResults")}
        matching: dict[str, Any] = {}
        token = None
        while True:
            resp = self.emu.forward(environ, req, {**query, **({"NextToken": token} if token else {})})
            if resp.status != 200:
                return resp
            data = resp.json()
            for param in data.get("Parameters") or []:
                matching[param.get("Name")] = param
            token = data.get("NextToken")
            if not token:
                break
        # moto keys its store by a normalised name ("p" for "/p"): the names as stored.
        stored = self.backend(req.account, req.region)._parameters.values()
        names = [versions[-1].name for versions in stored if versions]
        looked_at = names[start:start + page_size]
        page = [matching[n] for n in looked_at if n in matching]
        for param in page:
            self._fix_policy_list(param)
        out: dict[str, Any] = {"Parameters": page}
        if start + page_size < len(names):
            out["NextToken"] = encode_token(str(start + page_size))
        return json_resp(out)

    @staticmethod
    def _fix_policy_list(param: Any) -> None:
        if isinstance(param, dict) and isinstance(param.get("Policies"), list):
            # moto put each policy (as parsed from the request) in PolicyText
            source = json.dumps([p.get("PolicyText") for p in param["Policies"] if isinstance(p, dict)])
            param["Policies"] = inline_policies(source) or []

    def fix_policies(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        resp = self.emu.forward(environ, req)
        if resp.status != 200 or b'"Policies"' not in resp.body:
            return resp
        data = resp.json()
        for param in data.get("Parameters") or []:
            self._fix_policy_list(param)
        return json_resp(data, headers=resp.headers)

    # ---------------------------------------------------------------- test endpoint
    def record(self, account: str, region: str, name: str) -> dict[str, Any] | None:
        """The stored parameter, value in clear (GET /_emulator/ssm/parameter)."""
        param = self.current(account, region, name)
        if param is None:
            return None
        value = param.decrypt(param.value) if param.parameter_type == "SecureString" else param.value
        return {"name": param.name, "value": value, "type": param.parameter_type, "keyId": param.keyid,
                "tier": param.tier, "policies": param.policies, "version": param.version,
                "allowedPattern": param.allowed_pattern, "dataType": param.data_type,
                "description": param.description, "labels": list(param.labels),
                "lastModifiedDate": epoch_ms(param.last_modified_date)}
