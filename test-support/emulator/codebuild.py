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

Build projects: moto keeps them; these corrections follow the CodeBuild API
reference:

* ListProjects {sortBy?, sortOrder?, nextToken?} -> {projects, nextToken?}:
  "if there are more than 100 items in the list, only the first 100 items are
  returned, along with a unique string called a nextToken" (moto returns every
  name at once). sortBy "NAME | CREATED_TIME | LAST_MODIFIED_TIME", sortOrder
  "ASCENDING | DESCENDING"; an unknown nextToken -> InvalidInputException.
* BatchGetProjects {names} -> {projects, projectsNotFound}: names "Array
  Members: Minimum number of 1 item. Maximum number of 100 items." (moto takes
  any number); projectsNotFound: "The names of build projects for which
  information could not be found." (moto leaves it out).
* CreateProject keeps secondarySources ("An array of ProjectSource objects"),
  which moto drops.
* CreateWebhook {projectName, ...} -> {webhook} (moto has none): the project's
  `webhook` ("Information about a webhook that connects repository events to a
  build project in CodeBuild") is then returned by BatchGetProjects.
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
            ("codebuild", "ListProjects"): self.list_projects,
            ("codebuild", "BatchGetProjects"): self.batch_get_projects,
            ("codebuild", "CreateProject"): self.create_project,
            ("codebuild", "CreateWebhook"): self.create_webhook,
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

    # ---------------------------------------------------------------- build projects
    PAGE = 100
    BATCH_MAX = 100

    @staticmethod
    def projects(account: str, region: str) -> dict[str, Any]:
        from moto.codebuild.models import codebuild_backends
        return codebuild_backends[account][region].codebuild_projects

    def list_projects(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        sort_by, sort_order = p.get("sortBy", "NAME"), p.get("sortOrder", "ASCENDING")
        if sort_by not in ("NAME", "CREATED_TIME", "LAST_MODIFIED_TIME"):
            return aws_error("InvalidInputException", f"Invalid sortBy: {sort_by}")
        if sort_order not in ("ASCENDING", "DESCENDING"):
            return aws_error("InvalidInputException", f"Invalid sortOrder: {sort_order}")
        projects = list(self.projects(req.account, req.region).values())
        key = {"NAME": lambda pr: pr.project_metadata["name"],
               "CREATED_TIME": lambda pr: (pr.project_metadata["created"], pr.project_metadata["name"]),
               "LAST_MODIFIED_TIME": lambda pr: (pr.project_metadata["lastModifiedDate"],
                                                 pr.project_metadata["name"])}[sort_by]
        names = [pr.project_metadata["name"] for pr in sorted(projects, key=key,
                                                               reverse=sort_order == "DESCENDING")]
        start = 0
        token = p.get("nextToken")
        if token is not None:
            if not isinstance(token, str) or not token.startswith("page-") or not token[5:].isdigit():
                return aws_error("InvalidInputException", "Invalid nextToken")
            start = int(token[5:])
        page = names[start:start + self.PAGE]
        out: dict[str, Any] = {"projects": page}
        if start + self.PAGE < len(names):
            out["nextToken"] = f"page-{start + self.PAGE}"
        return json_resp(out)

    def batch_get_projects(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        names = req.params.get("names")
        if not isinstance(names, list) or not names:
            return aws_error("InvalidInputException", "names must contain at least 1 item")
        if len(names) > self.BATCH_MAX:
            return aws_error("InvalidInputException",
                             f"1 validation error detected: Value at 'names' failed to satisfy constraint: "
                             f"Member must have length less than or equal to {self.BATCH_MAX}")
        projects = self.projects(req.account, req.region)
        found, missing = [], []
        for name in names:
            project = projects.get(name) or next((pr for pr in projects.values() if pr.arn == name), None)
            if project is None:
                missing.append(name)
            else:
                found.append(project.project_metadata)
        return json_resp({"projects": found, "projectsNotFound": missing})

    def create_project(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        resp = self.emu.forward(environ, req)
        secondary = req.params.get("secondarySources")
        if resp.status == 200 and isinstance(secondary, list):
            project = self.projects(req.account, req.region).get(req.params.get("name"))
            if project is not None:
                project.project_metadata["secondarySources"] = secondary
                return json_resp({"project": project.project_metadata})
        return resp

    def create_webhook(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        name = req.params.get("projectName")
        project = self.projects(req.account, req.region).get(name)
        if project is None:
            return aws_error("ResourceNotFoundException", f"Project not found: {name}")
        if project.project_metadata.get("webhook"):
            return aws_error("ResourceAlreadyExistsException", f"Webhook already exists for project {name}")
        webhook = {"url": f"https://codebuild.{req.region}.amazonaws.com/webhooks?t=example",
                   "payloadUrl": f"https://codebuild.{req.region}.amazonaws.com/webhooks",
                   "buildType": req.params.get("buildType", "BUILD"),
                   "filterGroups": req.params.get("filterGroups", [])}
        project.project_metadata["webhook"] = webhook
        return json_resp({"webhook": webhook})
