"""CloudFormation: what the stack reads need, corrected where moto 5.2.1 differs.

What moto does natively (and is kept): CreateStack takes any template, JSON or
YAML with short-form tags (!Ref, !Sub, ...), and keeps its text; strings such as
``{{resolve:secretsmanager:...}}`` or ``{{resolve:ssm:...}}`` are neither
resolved nor checked. moto has no model for AWS::CodePipeline::Pipeline: it
skips such a resource (it logs "No Moto CloudFormation support for
AWS::CodePipeline::Pipeline", silenced here unless --verbose), creates no
pipeline and still reports the stack CREATE_COMPLETE; ListStackResources shows
the skipped resource as an empty entry. So a template never gets in the way of
the pipelines tests create themselves (CreatePipeline, then the stack's system
tags through POST /_emulator/codepipeline/system-tags).

Corrected:

* GetTemplate, TemplateStage: "To get the user-submitted template, specify
  Original. To get the template after CloudFormation has processed all
  transforms, specify Processed. If the template doesn't include transforms,
  Original and Processed return the same template. By default, CloudFormation
  specifies Processed." and StagesAvailable: "For stacks, the Original and
  Processed templates are always available." moto ignores TemplateStage and
  sends no StagesAvailable. Here Original is the text CreateStack/UpdateStack
  received, byte for byte (TemplateBody: "CloudFormation returns the same
  template that was used when the stack was created."), Processed is the text
  set with POST /_emulator/cloudformation/processed-template or else the
  original, and StagesAvailable is [Original, Processed]. With ChangeSetName the
  call goes to moto.
* DescribeStacks Parameters, NoEcho (template anatomy, Parameters): "Whether to
  mask the parameter value whenever anyone makes a call that describes the
  stack. If you set the value to true, the parameter value is masked with
  asterisks (*****)." moto compares the parameter's value, not its key, with
  the NoEcho keys, so it shows NoEcho values in clear; here they are "****",
  as DescribeStacks answers.
* DescribeStacks Capabilities, Stack.Capabilities: "The capabilities allowed in
  the stack." moto drops the Capabilities of CreateStack/UpdateStack; here the
  stack keeps those of its last CreateStack/UpdateStack.

Errors are query-protocol XML in the CloudFormation namespace (app.query_error),
faults included (e.g. an injected AccessDenied for GetTemplate).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from common import QUERY_NAMESPACES, AwsRequest, Resp, query_error, xml_escape

NAMESPACE = QUERY_NAMESPACES["cloudformation"]
STAGES = ("Original", "Processed")
_installed = False


def install_model_fixes() -> None:
    """NoEcho masking at the model moto serialises DescribeStacks from."""
    global _installed
    if _installed:
        return
    from moto.cloudformation.models import Stack

    def parameter_list(self: Any) -> list[dict[str, Any]]:
        no_echo = set(self.resource_map.no_echo_parameter_keys)
        return [{"ParameterKey": k, "ParameterValue": "****" if k in no_echo else v}
                for k, v in self.resource_map.resolved_parameters.items()]

    Stack.parameter_list = property(parameter_list)  # type: ignore[assignment]
    _installed = True


def form_list(params: dict[str, Any], name: str) -> list[str] | None:
    """A query-protocol list member (Name.member.1, Name.member.2, ...), or None if absent."""
    prefix = name + ".member."
    items = [(int(k[len(prefix):]), v) for k, v in params.items()
             if k.startswith(prefix) and k[len(prefix):].isdigit()]
    if not items:
        return [] if name in params else None
    return [v for _, v in sorted(items)]


class CloudFormationService:
    def __init__(self, emu: Any):
        self.emu = emu
        install_model_fixes()
        self.reset()
        emu.handlers.update({
            ("cloudformation", "GetTemplate"): self.get_template,
            ("cloudformation", "CreateStack"): self.keep_capabilities,
            ("cloudformation", "UpdateStack"): self.keep_capabilities,
        })

    def reset(self) -> None:
        # (account, region, stack id) -> processed template text
        self.processed: dict[tuple[str, str, str], str] = {}

    @staticmethod
    def backend(account: str, region: str) -> Any:
        from moto.cloudformation.models import cloudformation_backends

        return cloudformation_backends[account][region]

    def stack(self, account: str, region: str, name_or_id: Any) -> Any:
        if not isinstance(name_or_id, str) or not name_or_id:
            return None
        try:
            return self.backend(account, region).get_stack(name_or_id)
        except Exception:
            return None

    def set_processed(self, account: str, region: str, stack_name: str, body: str) -> bool:
        stack = self.stack(account, region, stack_name)
        if stack is None:
            return False
        self.processed[(account, region, stack.stack_id)] = body
        return True

    def keep_capabilities(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        resp = self.emu.forward(environ, req)
        if resp.status == 200:
            stack = self.stack(req.account, req.region, req.params.get("StackName"))
            if stack is not None:
                caps = form_list(req.params, "Capabilities")
                if caps:
                    stack.capabilities = caps
                elif hasattr(stack, "capabilities"):
                    del stack.capabilities  # none: the member is left out, as AWS does
        return resp

    def get_template(self, environ: dict[str, Any], req: AwsRequest) -> Resp:
        p = req.params
        if p.get("ChangeSetName"):
            return self.emu.forward(environ, req)
        stage = p.get("TemplateStage") or "Processed"
        if stage not in STAGES:
            return query_error("ValidationError",
                               f"1 validation error detected: Value '{stage}' at 'templateStage' failed to "
                               f"satisfy constraint: Member must satisfy enum value set: [Original, Processed]",
                               service="cloudformation")
        stack = self.stack(req.account, req.region, p.get("StackName"))
        if stack is None:
            return self.emu.forward(environ, req)  # moto's ValidationError "Stack with id ... does not exist"
        body = stack.template if isinstance(stack.template, str) else json.dumps(stack.template)
        if stage == "Processed":
            body = self.processed.get((req.account, req.region, stack.stack_id), body)
        request_id = str(uuid.uuid4())
        xml = (f'<GetTemplateResponse xmlns="{NAMESPACE}"><GetTemplateResult>'
               f"<TemplateBody>{xml_escape(body)}</TemplateBody>"
               f"<StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>"
               f"</GetTemplateResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
               f"</GetTemplateResponse>")
        return Resp(200, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], xml.encode("utf-8"))
