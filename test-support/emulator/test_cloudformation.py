"""Tests for cloudformation.py: templates kept byte for byte, TemplateStage, NoEcho, Capabilities.

Tests marked "moto:" check a correction: plain moto 5.2.1 fails them.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import botocore.exceptions

from testkit import ACCOUNT, REGION, EmulatorTestCase, auth_header, http_json

NS = "{http://cloudformation.amazonaws.com/doc/2010-05-15/}"

YAML_TEMPLATE = (
    "AWSTemplateFormatVersion: '2010-09-09'\r\n"
    "Description: rotation <test> & \"quotes\" \u00e9\r\n"
    "Parameters:\n"
    "  Token:\n"
    "    Type: String\n"
    "    NoEcho: true\n"
    "  Branch:\n"
    "    Type: String\n"
    "    Default: main\n"
    "Resources:\n"
    "  Pipe:\n"
    "    Type: AWS::CodePipeline::Pipeline\n"
    "    Properties:\n"
    "      Name: !Sub '${AWS::StackName}-pipe'\n"
    "      RoleArn: !GetAtt Role.Arn\n"
    "      Stages:\n"
    "        - Name: Source\n"
    "          Actions:\n"
    "            - Name: GitHub\n"
    "              ActionTypeId: {Category: Source, Owner: ThirdParty, Provider: GitHub, Version: '1'}\n"
    "              Configuration:\n"
    "                Owner: octo\n"
    "                Repo: repo\n"
    "                Branch: !Ref Branch\n"
    "                OAuthToken: '{{resolve:secretsmanager:gh-token:SecretString:token}}'\n"
    "                Other: '{{resolve:ssm:/gh/token}}'\n"
    "  # a comment, trailing spaces   \n"
    "  Role:\n"
    "    Type: AWS::IAM::Role\n"
    "    Properties:\n"
    "      AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: []}\n"
)
JSON_TEMPLATE = json.dumps({"Resources": {"Pipe": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {
    "Name": "json-pipe", "Stages": [{"Name": "Source", "Actions": [{"Name": "GitHub", "Configuration": {
        "OAuthToken": "{{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:gh-AbCdEf:"
                      "SecretString:token::}}"}}]}]}}}}, indent=4) + "\n"


class CloudFormationTest(EmulatorTestCase):
    def get_template_raw(self, stack: str, stage: str | None = None) -> tuple[int, bytes]:
        form = {"Action": "GetTemplate", "Version": "2010-05-15", "StackName": stack}
        if stage:
            form["TemplateStage"] = stage
        req = urllib.request.Request(self.url + "/", data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "Authorization": auth_header(REGION, "cloudformation")})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def template_of(self, stack: str, stage: str | None = None) -> tuple[str, list[str]]:
        status, raw = self.get_template_raw(stack, stage)
        self.assertEqual(status, 200, raw)
        root = ET.fromstring(raw)
        result = root.find(f"{NS}GetTemplateResult")
        stages = [m.text for m in result.find(f"{NS}StagesAvailable")]
        return result.find(f"{NS}TemplateBody").text, stages

    def test_templates_are_kept_byte_for_byte(self) -> None:
        cf = self.client("cloudformation")
        cf.create_stack(StackName="yaml-stack", TemplateBody=YAML_TEMPLATE, Capabilities=["CAPABILITY_IAM"],
                        Parameters=[{"ParameterKey": "Token", "ParameterValue": "s3cr3t"}])
        cf.create_stack(StackName="json-stack", TemplateBody=JSON_TEMPLATE)
        for stack, template in (("yaml-stack", YAML_TEMPLATE), ("json-stack", JSON_TEMPLATE)):
            for stage in (None, "Original", "Processed"):
                body, stages = self.template_of(stack, stage)
                self.assertEqual(body, template, (stack, stage))
                self.assertEqual(stages, ["Original", "Processed"])
        self.assertEqual(cf.get_template(StackName="yaml-stack")["TemplateBody"], YAML_TEMPLATE)
        self.assertEqual(cf.describe_stacks(StackName="yaml-stack")["Stacks"][0]["StackStatus"], "CREATE_COMPLETE")
        # moto does not model AWS::CodePipeline::Pipeline: the template creates no pipeline
        self.assertEqual(self.client("codepipeline").list_pipelines()["pipelines"], [])

    def test_processed_template(self) -> None:
        # moto: ignores TemplateStage
        cf = self.client("cloudformation")
        stack_id = cf.create_stack(StackName="s", TemplateBody=YAML_TEMPLATE,
                                   Parameters=[{"ParameterKey": "Token", "ParameterValue": "x"}])["StackId"]
        processed = json.dumps({"Resources": {"Pipe": {"Type": "AWS::CodePipeline::Pipeline"}}})
        self.control("/_emulator/cloudformation/processed-template",
                     {"region": REGION, "stackName": "s", "body": processed})
        self.assertEqual(self.template_of("s", "Processed")[0], processed)
        self.assertEqual(self.template_of("s")[0], processed)  # "By default, CloudFormation specifies Processed."
        self.assertEqual(self.template_of("s", "Original")[0], YAML_TEMPLATE)
        self.assertEqual(self.template_of(stack_id, "Processed")[0], processed)
        self.assertEqual(http_json(self.url + "/_emulator/cloudformation/processed-template", "POST",
                                   {"region": REGION, "stackName": "nope", "body": "{}"})[0], 404)
        status, raw = self.get_template_raw("s", "Final")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>ValidationError</Code>", raw)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cf.get_template(StackName="missing")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "ValidationError")
        self.assertEqual(http_json(self.url + "/_emulator/reset", "POST")[0], 200)

    def test_describe_stacks_masks_no_echo_and_keeps_capabilities(self) -> None:
        # moto: shows NoEcho values in clear and drops Capabilities
        cf = self.client("cloudformation")
        cf.create_stack(StackName="s", TemplateBody=YAML_TEMPLATE, Capabilities=["CAPABILITY_IAM"],
                        Parameters=[{"ParameterKey": "Token", "ParameterValue": "s3cr3t"}])
        stack = cf.describe_stacks(StackName="s")["Stacks"][0]
        params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        self.assertEqual(params, {"Token": "****", "Branch": "main"})
        self.assertEqual(stack["Capabilities"], ["CAPABILITY_IAM"])
        cf.update_stack(StackName="s", TemplateBody=YAML_TEMPLATE,
                        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
                        Parameters=[{"ParameterKey": "Token", "ParameterValue": "n3w"},
                                    {"ParameterKey": "Branch", "ParameterValue": "dev"}])
        stack = cf.describe_stacks(StackName="s")["Stacks"][0]
        self.assertEqual(stack["Capabilities"], ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
        self.assertEqual({p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]},
                         {"Token": "****", "Branch": "dev"})
        cf.create_stack(StackName="plain", TemplateBody=JSON_TEMPLATE)
        self.assertNotIn("Capabilities", cf.describe_stacks(StackName="plain")["Stacks"][0])

    def test_injected_access_denied_looks_like_aws(self) -> None:
        cf = self.client("cloudformation")
        cf.create_stack(StackName="s", TemplateBody=JSON_TEMPLATE)
        self.set_config({"faults": [{"action": "GetTemplate", "kind": "status", "status": 403,
                                     "errorType": "AccessDenied"}]})
        status, raw = self.get_template_raw("s")
        self.assertEqual(status, 403)
        root = ET.fromstring(raw)
        self.assertEqual(root.tag, f"{NS}ErrorResponse")
        error = root.find(f"{NS}Error")
        self.assertEqual((error.find(f"{NS}Type").text, error.find(f"{NS}Code").text), ("Sender", "AccessDenied"))
        self.assertEqual(error.find(f"{NS}Message").text,
                         f"User: arn:aws:iam::{ACCOUNT}:user/emulator is not authorized to perform: "
                         f"cloudformation:GetTemplate because no identity-based policy allows the "
                         f"cloudformation:GetTemplate action")
        self.assertTrue(root.find(f"{NS}RequestId").text)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cf.get_template(StackName="s")
        self.assert_aws_error(ctx, "AccessDenied", 403)
        self.assertEqual([(c["status"], c["errorType"], c["fault"]) for c in self.calls(action="GetTemplate")],
                         [(403, "AccessDenied", "status")] * 2)
