"""Tests for ssm.py: Parameter Store as the PutParameter API reference describes it.

Tests marked "moto:" check a correction: plain moto 5.2.1 fails them.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import botocore.exceptions

from testkit import ACCOUNT, REGION, EmulatorTestCase, http_json, raw_call

EXPIRATION = {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2030-12-02T21:34:33.000Z"}}


class SsmTest(EmulatorTestCase):
    def record(self, name: str) -> dict[str, Any]:
        q = urllib.parse.urlencode({"region": REGION, "name": name})
        return self.control(f"/_emulator/ssm/parameter?{q}")

    def describe(self, name: str) -> dict[str, Any]:
        # Every page: a page may be empty and still say there is more (see describe_parameters).
        pages = self.client("ssm").get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}])
        return [p for page in pages for p in page["Parameters"]][0]

    def test_overwrite_without_key_id_uses_the_default_key(self) -> None:
        # moto: keeps the previous custom key
        ssm = self.client("ssm")
        ssm.put_parameter(Name="/gh/token", Value="v1", Type="SecureString", KeyId="alias/custom")
        self.assertEqual(self.record("/gh/token")["keyId"], "alias/custom")
        ssm.put_parameter(Name="/gh/token", Value="v2", Overwrite=True)
        rec = self.record("/gh/token")
        self.assertEqual((rec["keyId"], rec["value"], rec["type"], rec["version"]),
                         ("alias/aws/ssm", "v2", "SecureString", 2))
        self.assertEqual(self.describe("/gh/token")["KeyId"], "alias/aws/ssm")
        self.assertEqual(ssm.get_parameter(Name="/gh/token", WithDecryption=True)["Parameter"]["Value"], "v2")
        # with KeyId, that key is kept
        ssm.put_parameter(Name="/gh/token", Value="v3", Overwrite=True, KeyId="alias/other")
        self.assertEqual((self.record("/gh/token")["keyId"], self.record("/gh/token")["value"]), ("alias/other", "v3"))

    def test_only_the_value_changes_on_a_plain_overwrite(self) -> None:
        ssm = self.client("ssm")
        ssm.put_parameter(Name="/app/token", Value="old", Type="SecureString", KeyId="alias/aws/ssm",
                          Tier="Advanced", Policies=json.dumps([EXPIRATION]), Description="the token",
                          AllowedPattern="^[a-z]+$")
        before = self.record("/app/token")
        # "Specifying a parameter type isn't required when updating a parameter."
        # "All existing policies are preserved until you send new policies or an empty policy."
        out = ssm.put_parameter(Name="/app/token", Value="new", Overwrite=True)
        self.assertEqual((out["Version"], out["Tier"]), (2, "Advanced"))
        after = self.record("/app/token")
        changed = {k for k in before if before[k] != after[k]}
        self.assertEqual(changed, {"value", "version", "lastModifiedDate"})
        self.assertEqual((after["value"], after["version"]), ("new", 2))
        self.assertEqual(json.loads(after["policies"]), [EXPIRATION])
        ssm.put_parameter(Name="/app/token", Value="newer", Overwrite=True, Policies="[]")
        self.assertEqual(self.describe("/app/token")["Policies"], [])

    def test_policies_are_inline_policy_objects(self) -> None:
        # moto: PolicyText and PolicyType are the policy object, PolicyStatus "Finished"
        ssm = self.client("ssm")
        ssm.put_parameter(Name="/p", Value="v", Type="String", Tier="Advanced", Policies=json.dumps([EXPIRATION]))
        policies = self.describe("/p")["Policies"]
        self.assertEqual(len(policies), 1)
        self.assertEqual(json.loads(policies[0]["PolicyText"]), EXPIRATION)
        self.assertEqual((policies[0]["PolicyType"], policies[0]["PolicyStatus"]), ("Expiration", "Pending"))
        history = ssm.get_parameter_history(Name="/p")["Parameters"]
        self.assertEqual(history[0]["Policies"][0]["PolicyType"], "Expiration")

    def test_advanced_cannot_revert_to_standard(self) -> None:
        # moto: accepts Tier=Standard and downgrades the parameter
        ssm = self.client("ssm")
        ssm.put_parameter(Name="/adv", Value="v1", Type="String", Tier="Advanced")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            ssm.put_parameter(Name="/adv", Value="v2", Overwrite=True, Tier="Standard")
        self.assert_aws_error(ctx, "ValidationException")
        self.assertIn("can't downgrade", ctx.exception.response["Error"]["Message"])
        self.assertEqual((self.record("/adv")["tier"], self.record("/adv")["value"]), ("Advanced", "v1"))
        # no Tier: the default tier configuration (Standard) can't revert it either -> stays Advanced
        self.assertEqual(ssm.put_parameter(Name="/adv", Value="v3", Overwrite=True)["Tier"], "Advanced")
        # standard -> advanced any time
        ssm.put_parameter(Name="/std", Value="v1", Type="String")
        self.assertEqual(self.record("/std")["tier"], "Standard")
        self.assertEqual(ssm.put_parameter(Name="/std", Value="v2", Overwrite=True)["Tier"], "Standard")
        self.assertEqual(ssm.put_parameter(Name="/std", Value="v3", Overwrite=True, Tier="Advanced")["Tier"], "Advanced")

    def test_intelligent_tiering_picks_the_tier(self) -> None:
        # moto: stores "Intelligent-Tiering" as the tier
        ssm = self.client("ssm")
        self.assertEqual(ssm.put_parameter(Name="/it", Value="small", Type="String",
                                           Tier="Intelligent-Tiering")["Tier"], "Standard")
        self.assertEqual(ssm.put_parameter(Name="/it", Value="x" * 5000, Type="String", Overwrite=True,
                                           Tier="Intelligent-Tiering")["Tier"], "Advanced")
        self.assertEqual(ssm.put_parameter(Name="/it", Value="small again", Overwrite=True,
                                           Tier="Intelligent-Tiering")["Tier"], "Advanced")
        self.assertEqual(self.describe("/it")["Tier"], "Advanced")

    def test_allowed_pattern_is_enforced(self) -> None:
        # moto: never checks AllowedPattern
        ssm = self.client("ssm")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            ssm.put_parameter(Name="/n", Value="abc", Type="String", AllowedPattern=r"^\d+$")
        self.assert_aws_error(ctx, "ParameterPatternMismatchException")
        ssm.put_parameter(Name="/n", Value="123", Type="String", AllowedPattern=r"^\d+$")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            ssm.put_parameter(Name="/n", Value="12a", Overwrite=True)  # the stored pattern applies
        self.assert_aws_error(ctx, "ParameterPatternMismatchException")
        self.assertEqual(self.record("/n")["value"], "123")
        ssm.put_parameter(Name="/n", Value="abc", Overwrite=True, AllowedPattern="[a-z]+")  # a new pattern
        self.assertEqual((self.record("/n")["value"], self.record("/n")["allowedPattern"]), ("abc", "[a-z]+"))
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            ssm.put_parameter(Name="/n", Value="abc", Overwrite=True, AllowedPattern="([")
        self.assert_aws_error(ctx, "InvalidAllowedPatternException")

    def test_a_string_parameter_has_no_key_id(self) -> None:
        # moto: a SecureString overwritten as String keeps its KeyId
        ssm = self.client("ssm")
        ssm.put_parameter(Name="/s", Value="secret", Type="SecureString", KeyId="alias/custom")
        ssm.put_parameter(Name="/s", Value="plain", Type="String", Overwrite=True)
        self.assertNotIn("KeyId", self.describe("/s"))
        self.assertEqual((self.record("/s")["keyId"], self.record("/s")["value"]), (None, "plain"))

    def test_what_moto_already_does(self) -> None:
        ssm = self.client("ssm")
        ssm.put_parameter(Name="/arn/p", Value="v1", Type="String", Description="d", DataType="text")
        ssm.put_parameter(Name="top", Value="t1", Type="String")
        for name, value in (("/arn/p", "v1"), ("top", "t1")):
            arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"
            self.assertEqual(ssm.get_parameter(Name=arn)["Parameter"]["Value"], value)
        self.assertEqual(ssm.put_parameter(Name="/arn/p", Value="v2", Overwrite=True)["Version"], 2)
        self.assertEqual(ssm.put_parameter(Name="/arn/p", Value="v3", Overwrite=True)["Version"], 3)
        d = self.describe("/arn/p")
        self.assertEqual((d["Type"], d["Tier"], d["DataType"], d["Version"], d["Description"]),
                         ("String", "Standard", "text", 3, "d"))
        status, _, body = raw_call(self.url, "ssm", "DescribeParameters", {
            "ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": ["/arn/p"]}]})
        self.assertIsInstance(body["Parameters"][0]["LastModifiedDate"], (int, float))
        self.assertEqual(ssm.get_parameter(Name="/arn/p:2")["Parameter"]["Value"], "v2")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            ssm.put_parameter(Name="/arn/p", Value="v4")
        self.assert_aws_error(ctx, "ParameterAlreadyExists")
        # the test endpoint
        q = urllib.parse.urlencode({"region": REGION, "name": "/missing"})
        self.assertEqual(http_json(f"{self.url}/_emulator/ssm/parameter?{q}")[0], 404)
        rec = self.record("/arn/p")
        self.assertEqual(sorted(rec), sorted(["name", "value", "type", "keyId", "tier", "policies", "version",
                                              "allowedPattern", "dataType", "description", "labels",
                                              "lastModifiedDate"]))

    def test_describe_parameters_with_a_filter_pages_over_every_parameter(self) -> None:
        # moto: filters first, so a filter by name answers on the first page
        ssm = self.client("ssm")
        for i in range(12):
            ssm.put_parameter(Name=f"/filler/{i:02}", Value="v", Type="String")
        ssm.put_parameter(Name="/ci/token", Value="v", Type="SecureString",
                          Policies=json.dumps([EXPIRATION]))
        name_filter = [{"Key": "Name", "Option": "Equals", "Values": ["/ci/token"]}]
        first = ssm.describe_parameters(ParameterFilters=name_filter)
        # "The number of items returned, however, can be between zero and the value of MaxResults."
        self.assertEqual(first["Parameters"], [])
        self.assertIn("NextToken", first)
        pages = [first]
        while "NextToken" in pages[-1]:
            pages.append(ssm.describe_parameters(ParameterFilters=name_filter, NextToken=pages[-1]["NextToken"]))
        self.assertEqual(len(pages), 2)
        found = [p for page in pages for p in page["Parameters"]]
        self.assertEqual([p["Name"] for p in found], ["/ci/token"])
        self.assertEqual(found[0]["Policies"][0]["PolicyType"], "Expiration")
        # MaxResults bounds what a page looks at: 1-50.
        paged = ssm.describe_parameters(ParameterFilters=name_filter, MaxResults=50)
        self.assertEqual(([p["Name"] for p in paged["Parameters"]], "NextToken" in paged), (["/ci/token"], False))
        for bad in ({"MaxResults": 51}, {"NextToken": "not-ours"}):
            status, _, body = raw_call(self.url, "ssm", "DescribeParameters",
                                       {"ParameterFilters": name_filter, **bad})
            self.assertEqual(status, 400, bad)
        # Without a filter, moto's own paging is kept.
        self.assertEqual(len(ssm.describe_parameters()["Parameters"]), 10)
