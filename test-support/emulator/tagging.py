"""Resource Groups Tagging API: GetResources for CodePipeline pipelines.

moto's tagging backend does not cover CodePipeline, so GetResources with a
ResourceTypeFilters entry ``codepipeline`` or ``codepipeline:pipeline`` is
answered from moto's stored pipelines, as the Resource Groups Tagging API
reference describes it:

* ResourceTypeFilters: "The format of each resource type is
  service[:resourceType]. For example, specifying a service of ec2 returns all
  Amazon EC2 resources (which includes EC2 instances). Specifying a resource
  type of ec2:instance returns only EC2 instances."
* TagFilters: "to restrict the output to only those resources that have tags
  with the specified keys and, if included, the specified values. Each
  TagFilter must contain a key with values optional." (every filter must match)
* ResourcesPerPage: "You can specify a minimum of 1 and a maximum value of 100."
  (default 100; out of range -> InvalidParameterException)
* PaginationToken: "A string that indicates that there is more data available
  than this response contains." ("" on the last page; a token the launcher did
  not issue -> PaginationTokenExpiredException)

All tags are returned, system tags included. CloudFormation template reference,
"CloudFormation resource tagging": "In addition to any tags you define,
CloudFormation automatically creates the following stack-level tags with the
aws: prefix: aws:cloudformation:logical-id, aws:cloudformation:stack-id,
aws:cloudformation:stack-name" and "The aws: prefix is reserved for AWS use."
Callers cannot set them (TagResource refuses aws: keys, in moto too), so tests
set them with POST /_emulator/codepipeline/system-tags. Other resource types go
to moto.
"""

from __future__ import annotations

from typing import Any

from common import AwsRequest, Resp, aws_error, decode_token, encode_token, json_resp


class TaggingService:
    def __init__(self, emu: Any, cp: Any):
        self.emu = emu
        self.cp = cp
        emu.handlers[("tagging", "GetResources")] = self.get_resources

    def reset(self) -> None:
        pass  # no state of its own

    def get_resources(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        types = p.get("ResourceTypeFilters") or []
        if not any(str(t).split(":")[0] == "codepipeline" for t in types):
            return self.emu.forward(environ, req)
        filters = p.get("TagFilters") or []
        try:
            per_page = int(p.get("ResourcesPerPage") or 100)
        except (TypeError, ValueError):
            per_page = 0
        if not 1 <= per_page <= 100:
            return aws_error("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
        backend = self.cp.backend(req.account, req.region)
        mappings = []
        for name in sorted(backend.pipelines):
            stored = backend.pipelines[name]
            tags = stored.tags
            if all(isinstance(f, dict) and f.get("Key") in tags
                   and (not f.get("Values") or tags[f["Key"]] in f["Values"]) for f in filters):
                mappings.append({"ResourceARN": stored._arn,
                                 "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})
        start = 0
        if p.get("PaginationToken"):
            decoded = decode_token(p["PaginationToken"])
            if decoded is None or not decoded.isdigit():
                return aws_error("PaginationTokenExpiredException", "The pagination token is invalid")
            start = int(decoded)
        page = mappings[start:start + per_page]
        more = start + per_page < len(mappings)
        return json_resp({"ResourceTagMappingList": page,
                          "PaginationToken": encode_token(str(start + per_page)) if more else ""})
