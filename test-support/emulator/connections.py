"""CodeConnections (formerly CodeStar Connections; moto has neither): GetConnection
and CreateConnection, on both endpoints, ``codeconnections`` (target prefix
``com.amazonaws.codeconnections.CodeConnections_20231201``) and
``codestar-connections`` (``com.amazonaws.codestar.connections.CodeStar_connections_20191201``).
Both are AWS JSON 1.0 services (``application/x-amz-json-1.0``).

What it follows:

* Connection (API reference): ConnectionName, ConnectionArn, ProviderType
  (``Bitbucket | GitHub | GitHubEnterpriseServer | GitLab | GitLabSelfManaged |
  AzureDevOps``), OwnerAccountId, ConnectionStatus (``PENDING | AVAILABLE |
  ERROR``), HostArn. "A connection created through AWS CloudFormation, the CLI,
  or the SDK is in PENDING status by default. You can make its status AVAILABLE
  by updating the connection in the console." CreateConnection therefore always
  creates a PENDING connection; the test endpoint sets AVAILABLE or ERROR (the
  console's handshake, or a revoked installation).
* "Connections are global resources, meaning that the resource is replicated
  across all AWS Regions. Although the connection ARN format reflects the Region
  name where it was created, the resource is not constrained to any Region."
  (Developer Tools console user guide): a connection is found from any region
  of its partition.
* The rename: "The service name AWS CodeStar Connections has been renamed.
  Resources created with the previous namespace codestar-connections will still
  be supported." CreateConnection makes an ARN with the prefix of the endpoint
  it was called on; GetConnection on either endpoint answers for either prefix
  (our reading: one service under two names).
* Connections belong to the account that created them; GetConnection from
  another account is ResourceNotFoundException ("Resource not found. Verify the
  connection resource ARN and try again.") unless the connection is shared with
  that account: "You can use resource sharing with AWS RAM to share an existing
  connection with another AWS account" and "Connection sharing is not supported
  for codestar-connections resources. This is only supported for codeconnections
  resources." (the test endpoint shares; AWS RAM is not emulated).
* CreateConnection: ConnectionName 1-32 characters; a host ARN names a host,
  which this emulator has none of: ResourceUnavailableException ("Resource not
  found. Verify the ARN for the host resource and try again."). The installed
  provider types (GitHubEnterpriseServer, GitLabSelfManaged) need a host, so
  without HostArn they are a ValidationException (the test endpoint creates
  such connections).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from common import AwsRequest, Resp, aws_error, json_resp, partition_of

SERVICES = ("codeconnections", "codestar-connections")
PROVIDERS = ("Bitbucket", "GitHub", "GitHubEnterpriseServer", "GitLab", "GitLabSelfManaged", "AzureDevOps")
INSTALLED = ("GitHubEnterpriseServer", "GitLabSelfManaged")
STATUSES = ("PENDING", "AVAILABLE", "ERROR")
# ConnectionArn pattern (API reference), and the connection resource it names.
ARN_RE = re.compile(r"^arn:aws(-[\w]+)*:.+:.+:[0-9]{12}:.+$")
CONNECTION_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>codeconnections|codestar-connections):"
    r"(?P<region>[a-z0-9-]+):(?P<account>\d{12}):connection/(?P<id>[A-Za-z0-9-]+)$")
HOST_ARN_RE = re.compile(r"^arn:aws(-[\w]+)*:(codestar-connections|codeconnections):.+:[0-9]{12}:host\/.+$")
NOT_FOUND = "Resource not found. Verify the connection resource ARN and try again."


class ConnectionService:
    def __init__(self, emu: Any):
        self.emu = emu
        self.reset()
        for service in SERVICES:
            emu.handlers[(service, "GetConnection")] = self.get_connection
            emu.handlers[(service, "CreateConnection")] = self.create_connection

    def reset(self) -> None:
        # ARN -> record (global: every region of the partition sees it)
        self.connections: dict[str, dict[str, Any]] = {}

    @staticmethod
    def public(record: dict[str, Any]) -> dict[str, Any]:
        keys = ("ConnectionName", "ConnectionArn", "ProviderType", "OwnerAccountId", "ConnectionStatus",
                "HostArn")
        return {k: record[k] for k in keys if record.get(k) is not None}

    def visible(self, record: dict[str, Any], account: str, region: str) -> bool:
        parsed = CONNECTION_ARN_RE.match(record["ConnectionArn"])
        if parsed is None or parsed["partition"] != partition_of(region):
            return False
        return record["OwnerAccountId"] == account or account in record["sharedWith"]

    def add(self, service: str, account: str, region: str, name: str, provider: str,
            status: str = "PENDING", host_arn: str | None = None, tags: list[Any] | None = None) -> dict[str, Any]:
        arn = f"arn:{partition_of(region)}:{service}:{region}:{account}:connection/{uuid.uuid4()}"
        record = {"ConnectionName": name, "ConnectionArn": arn, "ProviderType": provider,
                  "OwnerAccountId": account, "ConnectionStatus": status, "HostArn": host_arn,
                  "tags": tags or [], "sharedWith": []}
        self.connections[arn] = record
        return record

    # ---------------------------------------------------------------- handlers
    def get_connection(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        arn = req.params.get("ConnectionArn")
        if not isinstance(arn, str) or len(arn) > 256 or not ARN_RE.match(arn):
            return aws_error("ValidationException",
                             f"1 validation error detected: Value '{arn}' at 'connectionArn' failed to satisfy "
                             f"constraint: Member must satisfy regular expression pattern: "
                             f"arn:aws(-[\\w]+)*:.+:.+:[0-9]{{12}}:.+")
        record = self.connections.get(arn)
        if record is None or not self.visible(record, req.account, req.region):
            return aws_error("ResourceNotFoundException", NOT_FOUND)
        return json_resp({"Connection": self.public(record)})

    def create_connection(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        name, provider, host = p.get("ConnectionName"), p.get("ProviderType"), p.get("HostArn")
        errors = []
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            errors.append(f"Value '{name}' at 'connectionName' failed to satisfy constraint: Member must have "
                          f"length between 1 and 32")
        if provider is not None and provider not in PROVIDERS:
            errors.append(f"Value '{provider}' at 'providerType' failed to satisfy constraint: Member must "
                          f"satisfy enum value set: [{', '.join(PROVIDERS)}]")
        if host is not None and (not isinstance(host, str) or not HOST_ARN_RE.match(host)):
            errors.append(f"Value '{host}' at 'hostArn' failed to satisfy constraint: Member must satisfy "
                          f"regular expression pattern: arn:aws(-[\\w]+)*:(codestar-connections|codeconnections):"
                          f".+:[0-9]{{12}}:host\\/.+")
        if errors:
            return aws_error("ValidationException", f"{len(errors)} validation error"
                             f"{'s' if len(errors) > 1 else ''} detected: " + "; ".join(errors))
        if host is not None:
            # No host exists here (CreateHost is not emulated).
            return aws_error("ResourceUnavailableException",
                             "Resource not found. Verify the ARN for the host resource and try again.")
        if provider is None:
            return aws_error("ValidationException", "Either ProviderType or HostArn must be specified")
        if provider in INSTALLED:
            return aws_error("ValidationException",
                             f"A connection to {provider} needs a host: specify HostArn")
        tags = p.get("Tags") or []
        record = self.add(req.service, req.account, req.region, name, provider, tags=tags)
        out: dict[str, Any] = {"ConnectionArn": record["ConnectionArn"]}
        if tags:
            out["Tags"] = tags
        return json_resp(out)

    # ---------------------------------------------------------------- test endpoints
    def routes(self) -> dict[tuple[str, str], Any]:
        return {
            ("GET", "/_emulator/connections/connection"): self.control_get,
            ("POST", "/_emulator/connections/connection"): self.control_set,
        }

    def control_get(self, ctx: Any) -> Resp:
        from common import plain_json
        from control import NotFound

        arn = ctx.query.get("arn")
        with self.emu.lock:
            record = self.connections.get(arn or "")
            if record is None:
                raise NotFound(f"connection {arn!r} not found")
            return plain_json({**self.public(record), "sharedWith": list(record["sharedWith"])})

    def control_set(self, ctx: Any) -> Resp:
        """Creates a connection in any provider type and status, or changes one (``arn``)."""
        from common import plain_json
        from control import BadRequest, NotFound

        b = ctx.body()
        status, provider, host = b.get("status"), b.get("providerType"), b.get("hostArn")
        shared = b.get("sharedWith")
        if status is not None and status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
        if provider is not None and provider not in PROVIDERS:
            raise BadRequest(f"providerType must be one of {', '.join(PROVIDERS)}")
        if host is not None and (not isinstance(host, str) or not HOST_ARN_RE.match(host)):
            raise BadRequest("hostArn must be a host ARN")
        if shared is not None and (not isinstance(shared, list)
                                   or not all(isinstance(a, str) and re.fullmatch(r"\d{12}", a) for a in shared)):
            raise BadRequest("sharedWith must be a list of 12-digit account ids")
        with self.emu.lock:
            if b.get("arn") is not None:
                record = self.connections.get(b["arn"])
                if record is None:
                    raise NotFound(f"connection {b['arn']!r} not found")
            else:
                service = b.get("service", "codeconnections")
                if service not in SERVICES:
                    raise BadRequest(f"service must be one of {', '.join(SERVICES)}")
                name = b.get("name", "example")
                if not isinstance(name, str) or not 1 <= len(name) <= 32:
                    raise BadRequest("name must be 1-32 characters")
                account, region = ctx.b_where()
                record = self.add(service, account, region, name, provider or "GitHub")
            if shared and ":codestar-connections:" in record["ConnectionArn"]:
                raise BadRequest("Connection sharing is not supported for codestar-connections resources. "
                                 "This is only supported for codeconnections resources.")
            if status is not None:
                record["ConnectionStatus"] = status
            if provider is not None:
                record["ProviderType"] = provider
            if host is not None:
                record["HostArn"] = host
            if shared is not None:
                record["sharedWith"] = list(shared)
            return plain_json({**self.public(record), "sharedWith": list(record["sharedWith"])})
