"""Tests for tagging.py: GetResources for pipelines.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import botocore.exceptions


from testkit import REGION, EmulatorTestCase, http_json


class TaggingTest(EmulatorTestCase):
    def test_get_resources_finds_stack_owned_pipelines_with_system_tags(self) -> None:
        for n in ("owned-1", "owned-2", "free"):
            self.create(n)
        for n in ("owned-1", "owned-2"):
            status, _ = http_json(self.url + "/_emulator/codepipeline/system-tags", "POST", {
                "region": REGION, "name": n,
                "tags": [{"key": "aws:cloudformation:stack-name", "value": f"stack-{n}"}]})
            self.assertEqual(status, 200)
        tagging = self.client("resourcegroupstaggingapi")
        pages = list(tagging.get_paginator("get_resources").paginate(
            ResourceTypeFilters=["codepipeline"],
            TagFilters=[{"Key": "aws:cloudformation:stack-name"}],
            ResourcesPerPage=1))
        found = {m["ResourceARN"].split(":")[-1]: m["Tags"] for p in pages for m in p["ResourceTagMappingList"]}
        self.assertEqual(sorted(found), ["owned-1", "owned-2"])
        self.assertEqual(found["owned-1"], [{"Key": "aws:cloudformation:stack-name", "Value": "stack-owned-1"}])
        self.assertEqual(len(pages), 2)
        only = tagging.get_resources(ResourceTypeFilters=["codepipeline:pipeline"], TagFilters=[
            {"Key": "aws:cloudformation:stack-name", "Values": ["stack-owned-2"]}])
        self.assertEqual([m["ResourceARN"].split(":")[-1] for m in only["ResourceTagMappingList"]], ["owned-2"])

    def test_get_resources_returns_every_cloudformation_system_tag(self) -> None:
        self.create("stack-pipe")
        stack_id = f"arn:aws:cloudformation:{REGION}:123456789012:stack/rotation/1a2b3c4d-0000-1111-2222-333344445555"
        tags = [{"key": "aws:cloudformation:stack-name", "value": "rotation"},
                {"key": "aws:cloudformation:logical-id", "value": "Pipeline"},
                {"key": "aws:cloudformation:stack-id", "value": stack_id},
                {"key": "team", "value": "ci"}]
        self.assertEqual(http_json(self.url + "/_emulator/codepipeline/system-tags", "POST",
                                   {"region": REGION, "name": "stack-pipe", "tags": tags})[0], 200)
        found = self.client("resourcegroupstaggingapi").get_resources(
            ResourceTypeFilters=["codepipeline:pipeline"],
            TagFilters=[{"Key": "aws:cloudformation:stack-name", "Values": ["rotation"]}])["ResourceTagMappingList"]
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["Tags"], sorted(({"Key": t["key"], "Value": t["value"]} for t in tags),
                                                  key=lambda t: t["Key"]))
        # callers cannot set aws: tags themselves
        cp = self.client("codepipeline")
        arn = found[0]["ResourceARN"]
        with self.assertRaises(botocore.exceptions.ClientError):
            cp.tag_resource(resourceArn=arn, tags=[{"key": "aws:cloudformation:stack-name", "value": "x"}])
        self.assertEqual(http_json(self.url + "/_emulator/codepipeline/system-tags", "POST",
                                   {"region": REGION, "name": "missing", "tags": tags})[0], 404)
