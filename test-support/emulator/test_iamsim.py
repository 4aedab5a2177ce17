"""Tests for iamsim.py: IAM SimulatePrincipalPolicy from a role's policies.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import json

import botocore.exceptions

from iamsim import wildcard
from testkit import ACCOUNT, EmulatorTestCase

CONN = f"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/0f3e9f4e-0000-4000-8000-000000000001"
OLD = f"arn:aws:codestar-connections:eu-west-1:{ACCOUNT}:connection/0f3e9f4e-0000-4000-8000-000000000002"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: object, resource: object = "*", **extra: object) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: object, resource: object = "*", **extra: object) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


class SimulateTest(EmulatorTestCase):
    def simulate(self, action: str, resource: str = CONN, **extra: object) -> dict:
        iam = self.client("iam")
        results = iam.simulate_principal_policy(PolicySourceArn=self.role_arn, ActionNames=[action],
                                                ResourceArns=[resource], **extra)["EvaluationResults"]
        self.assertEqual(len(results), 1)
        return results[0]

    def put(self, name: str, *statements: dict) -> None:
        self.client("iam").put_role_policy(RoleName="pipeline-role", PolicyName=name, PolicyDocument=doc(*statements))

    def test_no_policy_is_an_implicit_deny(self) -> None:
        result = self.simulate("codeconnections:UseConnection")
        self.assertEqual((result["EvalActionName"], result["EvalResourceName"], result["EvalDecision"]),
                         ("codeconnections:UseConnection", CONN, "implicitDeny"))
        self.assertEqual(result["MatchedStatements"], [])

    def test_inline_allow_with_wildcards_and_case_insensitive_actions(self) -> None:
        self.put("use", allow("CodeConnections:Use*", "arn:aws:codeconnections:*:*:connection/*"))
        result = self.simulate("codeconnections:UseConnection")
        self.assertEqual(result["EvalDecision"], "allowed")
        self.assertEqual(result["MatchedStatements"], [{"SourcePolicyId": "use", "SourcePolicyType": "role"}])
        # "the service prefix needs to match that of the resource": the old prefix is another resource
        self.assertEqual(self.simulate("codestar-connections:UseConnection", OLD)["EvalDecision"], "implicitDeny")
        self.assertEqual(self.simulate("codeconnections:UseConnection", OLD)["EvalDecision"], "implicitDeny")

    def test_attached_managed_policy_and_explicit_deny(self) -> None:
        iam = self.client("iam")
        arn = iam.create_policy(PolicyName="connections", PolicyDocument=doc(
            allow(["codestar-connections:UseConnection", "codeconnections:UseConnection"])))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="pipeline-role", PolicyArn=arn)
        result = self.simulate("codestar-connections:UseConnection", OLD)
        self.assertEqual(result["EvalDecision"], "allowed")
        self.assertEqual(result["MatchedStatements"],
                         [{"SourcePolicyId": "connections", "SourcePolicyType": "user-managed"}])
        self.put("guard", deny("codeconnections:*", CONN))
        denied = self.simulate("codeconnections:UseConnection")
        self.assertEqual(denied["EvalDecision"], "explicitDeny")
        # the deny statement is the only entry included
        self.assertEqual(denied["MatchedStatements"], [{"SourcePolicyId": "guard", "SourcePolicyType": "role"}])

    def test_not_action_not_resource_and_question_mark(self) -> None:
        self.put("most", {"Effect": "Allow", "NotAction": "iam:*", "NotResource": OLD})
        self.assertEqual(self.simulate("codeconnections:UseConnection")["EvalDecision"], "allowed")
        self.assertEqual(self.simulate("iam:PassRole")["EvalDecision"], "implicitDeny")
        self.assertEqual(self.simulate("codestar-connections:UseConnection", OLD)["EvalDecision"], "implicitDeny")
        self.assertTrue(wildcard("a?c", "abc"))
        self.assertFalse(wildcard("a?c", "abbc"))
        self.assertFalse(wildcard("arn:aws:s3:::b.c", "arn:aws:s3:::bxc"))  # '.' is not a wildcard

    def test_conditions_use_context_entries_and_list_missing_keys(self) -> None:
        self.put("cond", allow("codeconnections:UseConnection", "*",
                               Condition={"StringEquals": {"codeconnections:FullRepositoryId": "octo/repo"}}))
        missing = self.simulate("codeconnections:UseConnection")
        self.assertEqual(missing["EvalDecision"], "implicitDeny")
        self.assertEqual(missing["MissingContextValues"], ["codeconnections:FullRepositoryId"])
        entry = [{"ContextKeyName": "codeconnections:FullRepositoryId", "ContextKeyValues": ["octo/repo"],
                  "ContextKeyType": "string"}]
        self.assertEqual(self.simulate("codeconnections:UseConnection", ContextEntries=entry)["EvalDecision"],
                         "allowed")
        self.put("cond", allow("codeconnections:UseConnection", "*",
                               Condition={"StringEqualsIfExists": {"codeconnections:FullRepositoryId": "x/y"}}))
        self.assertEqual(self.simulate("codeconnections:UseConnection")["EvalDecision"], "allowed")

    def test_permissions_boundary_must_allow_too(self) -> None:
        iam = self.client("iam")
        boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
        iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=doc(), PermissionsBoundary=boundary)
        iam.put_role_policy(RoleName="bounded", PolicyName="use",
                            PolicyDocument=doc(allow("codeconnections:UseConnection")))
        result = iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/bounded", ActionNames=["codeconnections:UseConnection"],
            ResourceArns=[CONN])["EvaluationResults"][0]
        self.assertEqual(result["EvalDecision"], "implicitDeny")
        self.assertEqual(result["PermissionsBoundaryDecisionDetail"], {"AllowedByPermissionsBoundary": False})

    def test_policy_input_list_and_errors(self) -> None:
        result = self.simulate("codeconnections:UseConnection", PolicyInputList=[doc(allow("*"))])
        self.assertEqual(result["MatchedStatements"],
                         [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none"}])
        iam = self.client("iam")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/missing",
                                          ActionNames=["s3:GetObject"])
        self.assert_aws_error(ctx, "NoSuchEntity", 404)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            iam.simulate_principal_policy(PolicySourceArn="arn:aws:s3:::not-a-principal", ActionNames=["s3:GetObject"])
        self.assert_aws_error(ctx, "InvalidInput")
        # a read in the call log
        self.assertFalse(any(c["action"] == "SimulatePrincipalPolicy" for c in self.calls(write="true")))
        self.assertTrue(any(c["action"] == "SimulatePrincipalPolicy" for c in self.calls(write="false")))
