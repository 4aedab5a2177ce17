"""CodeBuild source credentials, which moto 5.2.1 does not have.

Follows the CodeBuild API reference; state is kept per (account, region), one
credential per server type. All other CodeBuild calls go to moto.

* ImportSourceCredentials {serverType, authType, token, username?,
  shouldOverwrite?} -> {arn}. shouldOverwrite: "Set to false to prevent
  overwriting the repository source credentials. Set to true to overwrite the
  repository source credentials. The default value is true." (false with an
  existing credential -> ResourceAlreadyExistsException).
  authType OAUTH: "An OAUTH connection is not supported by the API and must be
  created using the CodeBuild console." username: "The Bitbucket username when
  the authType is BASIC_AUTH." token: "For the authType CODECONNECTIONS, this
  is the connectionArn. For the authType SECRETS_MANAGER, this is the
  secretArn." Invalid input -> InvalidInputException.
* ListSourceCredentials -> {sourceCredentialsInfos: [SourceCredentialsInfo
  {arn, serverType, authType, resource}]}; the token is never returned, and
  resource ("The connection ARN if your authType is CODECONNECTIONS or
  SECRETS_MANAGER") only for those two types.
* DeleteSourceCredentials {arn} -> {arn}; an unknown ARN ->
  ResourceNotFoundException ("The specified Amazon Web Services resource cannot
  be found.").
"""

from __future__ import annotations

from typing import Any

from common import AwsRequest, Resp, aws_error, json_resp, partition_of

SERVER_TYPES = ("GITHUB", "BITBUCKET", "GITHUB_ENTERPRISE", "GITLAB", "GITLAB_SELF_MANAGED")
AUTH_TYPES = ("OAUTH", "BASIC_AUTH", "PERSONAL_ACCESS_TOKEN", "CODECONNECTIONS", "SECRETS_MANAGER")
RESOURCE_AUTH_TYPES = ("CODECONNECTIONS", "SECRETS_MANAGER")


def credential_arn(account: str, region: str, server_type: str) -> str:
    return f"arn:{partition_of(region)}:codebuild:{region}:{account}:token/{server_type.lower()}"


class CodeBuildService:
    def __init__(self, emu: Any):
        self.emu = emu
        self.reset()
        emu.handlers.update({
            ("codebuild", "ImportSourceCredentials"): self.import_source_credentials,
            ("codebuild", "ListSourceCredentials"): self.list_source_credentials,
            ("codebuild", "DeleteSourceCredentials"): self.delete_source_credentials,
        })

    def reset(self) -> None:
        # (account, region) -> {serverType: credential}
        self.credentials: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def store(self, account: str, region: str, server_type: str, auth_type: str, token: Any,
              username: Any = None, resource: Any = None) -> dict[str, Any]:
        if resource is None and auth_type in RESOURCE_AUTH_TYPES:
            resource = token
        cred = {"arn": credential_arn(account, region, server_type), "serverType": server_type,
                "authType": auth_type, "token": token, "username": username, "resource": resource,
                "account": account, "region": region}
        self.credentials.setdefault((account, region), {})[server_type] = cred
        return cred

    def listing(self, account: str, region: str) -> list[dict[str, Any]]:
        """Every stored credential of the account+region, tokens included (test endpoint)."""
        creds = self.credentials.get((account, region), {})
        return [dict(creds[k]) for k in sorted(creds)]

    def import_source_credentials(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        token, server_type, auth_type = p.get("token"), p.get("serverType"), p.get("authType")
        username, overwrite = p.get("username"), p.get("shouldOverwrite", True)
        if not isinstance(token, str) or not token:
            return aws_error("InvalidInputException", "token must not be empty")
        if server_type not in SERVER_TYPES:
            return aws_error("InvalidInputException",
                             f"Invalid server type: {server_type}. Valid values: {', '.join(SERVER_TYPES)}")
        if auth_type not in AUTH_TYPES:
            return aws_error("InvalidInputException",
                             f"Invalid auth type: {auth_type}. Valid values: {', '.join(AUTH_TYPES)}")
        if auth_type == "OAUTH":
            return aws_error("InvalidInputException",
                             "OAUTH is not supported by the API; OAuth connections must be created using "
                             "the CodeBuild console")
        if auth_type == "BASIC_AUTH" and (not isinstance(username, str) or not username):
            return aws_error("InvalidInputException", "username is required when authType is BASIC_AUTH")
        if username is not None and not isinstance(username, str):
            return aws_error("InvalidInputException", "username must be a string")
        if not isinstance(overwrite, bool):
            return aws_error("InvalidInputException", "shouldOverwrite must be a boolean")
        if auth_type in RESOURCE_AUTH_TYPES and not token.startswith("arn:"):
            return aws_error("InvalidInputException", f"token must be an ARN when authType is {auth_type}")
        existing = self.credentials.get((req.account, req.region), {}).get(server_type)
        if existing is not None and overwrite is False:
            return aws_error("ResourceAlreadyExistsException",
                             f"Source credentials for server type {server_type} already exist; set "
                             f"shouldOverwrite to true to replace them")
        cred = self.store(req.account, req.region, server_type, auth_type, token, username)
        return json_resp({"arn": cred["arn"]})

    def list_source_credentials(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        infos = []
        creds = self.credentials.get((req.account, req.region), {})
        for server_type in sorted(creds):
            cred = creds[server_type]
            info = {"arn": cred["arn"], "serverType": cred["serverType"], "authType": cred["authType"]}
            if cred["authType"] in RESOURCE_AUTH_TYPES and cred.get("resource"):
                info["resource"] = cred["resource"]
            infos.append(info)
        return json_resp({"sourceCredentialsInfos": infos})

    def delete_source_credentials(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        arn = req.params.get("arn")
        if not isinstance(arn, str) or not arn:
            return aws_error("InvalidInputException", "arn must not be empty")
        creds = self.credentials.get((req.account, req.region), {})
        for server_type, cred in list(creds.items()):
            if cred["arn"] == arn:
                del creds[server_type]
                return json_resp({"arn": arn})
        return aws_error("ResourceNotFoundException", f"Could not find source credentials with ARN {arn}")
