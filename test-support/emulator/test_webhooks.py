"""Tests for webhooks.py: CodePipeline's GitHub (version 1) webhooks.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import urllib.parse

import botocore.exceptions

from testkit import CONNECTION, REGION, EmulatorTestCase, http_json, raw_call

SECRET = "webhook-secret-not-a-real-one"


def definition(name: str = "p1-hook", pipeline: str = "p1", action: str = "GitHubSource",
               **extra: object) -> dict:
    d = {"name": name, "targetPipeline": pipeline, "targetAction": action,
         "filters": [{"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"}],
         "authentication": "GITHUB_HMAC", "authenticationConfiguration": {"SecretToken": SECRET}}
    d.update(extra)
    return d


class WebhookTest(EmulatorTestCase):
    def view(self, region: str = REGION) -> dict:
        status, body = http_json(self.url + "/_emulator/codepipeline/webhooks?"
                                 + urllib.parse.urlencode({"region": region}))
        self.assertEqual(status, 200, body)
        return body

    def test_put_and_list_redact_the_secret_token_and_keep_the_url(self) -> None:
        self.create("p1")
        cp = self.client("codepipeline")
        put = cp.put_webhook(webhook=definition(), tags=[{"key": "team", "value": "ci"}])["webhook"]
        self.assertEqual(put["definition"]["authenticationConfiguration"], {"SecretToken": "****"})
        self.assertEqual(put["arn"], f"arn:aws:codepipeline:{REGION}:123456789012:webhook:p1-hook")
        self.assertTrue(put["url"].startswith(f"https://{REGION}.webhooks.aws/trigger?t="))
        self.assertEqual(put["tags"], [{"key": "team", "value": "ci"}])
        listed = cp.list_webhooks()["webhooks"]
        self.assertEqual([w["definition"]["name"] for w in listed], ["p1-hook"])
        self.assertNotIn(SECRET, str(listed))
        # the same name again replaces the definition, keeps the URL
        again = cp.put_webhook(webhook=definition(filters=[]))["webhook"]
        self.assertEqual(again["url"], put["url"])
        self.assertEqual(again["definition"]["filters"], [])
        # deleted, then re-created: a new URL
        cp.delete_webhook(name="p1-hook")
        self.assertEqual(cp.list_webhooks()["webhooks"], [])
        self.assertNotEqual(cp.put_webhook(webhook=definition())["webhook"]["url"], put["url"])

    def test_list_pages_by_max_results(self) -> None:
        self.create("p1")
        cp = self.client("codepipeline")
        for i in range(5):
            cp.put_webhook(webhook=definition(name=f"hook-{i}"))
        pages = list(cp.get_paginator("list_webhooks").paginate(PaginationConfig={"PageSize": 2}))
        self.assertEqual([len(p["webhooks"]) for p in pages], [2, 2, 1])
        self.assertEqual([w["definition"]["name"] for p in pages for w in p["webhooks"]],
                         [f"hook-{i}" for i in range(5)])
        # botocore checks the range itself: a raw call gets the launcher's answer
        for bad in (0, 101):
            status, _, body = raw_call(self.url, "codepipeline", "ListWebhooks", {"MaxResults": bad})
            self.assertEqual((status, body["__type"]), (400, "ValidationException"))
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.list_webhooks(NextToken="not-ours")
        self.assert_aws_error(ctx, "InvalidNextTokenException")

    def test_put_validates_as_the_api_reference_says(self) -> None:
        self.create("p1")
        cp = self.client("codepipeline")
        cases = [
            (definition(pipeline="missing"), "PipelineNotFoundException"),
            (definition(authentication="IP"), "InvalidWebhookAuthenticationParametersException"),
            (definition(authentication="IP", authenticationConfiguration={"AllowedIPRange": "not-a-cidr"}),
             "InvalidWebhookAuthenticationParametersException"),
            (definition(authentication="UNAUTHENTICATED"), "InvalidWebhookAuthenticationParametersException"),
            (definition(authenticationConfiguration={}), "InvalidWebhookAuthenticationParametersException"),
            (definition(filters=[{"jsonPath": "ref"}]), "InvalidWebhookFilterPatternException"),
            (definition(filters=[{"jsonPath": "$.ref"}] * 6), "ValidationException"),
            (definition(name="bad name"), "ValidationException"),
        ]
        for webhook, code in cases:
            with self.subTest(code=code, webhook=webhook):
                with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                    cp.put_webhook(webhook=webhook)
                self.assert_aws_error(ctx, code)
        ok = cp.put_webhook(webhook=definition(
            name="ip", authentication="IP", authenticationConfiguration={"AllowedIPRange": "10.0.0.0/8"}))
        self.assertEqual(ok["webhook"]["definition"]["authenticationConfiguration"], {"AllowedIPRange": "10.0.0.0/8"})
        cp.put_webhook(webhook=definition(name="open", authentication="UNAUTHENTICATED",
                                          authenticationConfiguration={}))

    def test_register_and_deregister_while_the_target_is_a_github_v1_action(self) -> None:
        self.create("p1")
        cp = self.client("codepipeline")
        cp.put_webhook(webhook=definition())
        self.assertFalse(self.view()["webhooks"][0]["registered"])
        cp.register_webhook_with_third_party(webhookName="p1-hook")
        self.assertTrue(self.view()["webhooks"][0]["registered"])
        cp.deregister_webhook_with_third_party(webhookName="p1-hook")
        self.assertFalse(self.view()["webhooks"][0]["registered"])
        for call in (cp.register_webhook_with_third_party, cp.deregister_webhook_with_third_party):
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                call(webhookName="nope")
            self.assert_aws_error(ctx, "WebhookNotFoundException")

    def test_deregistration_is_refused_once_the_action_is_not_github(self) -> None:
        self.create("p1")
        cp = self.client("codepipeline")
        cp.put_webhook(webhook=definition())
        cp.register_webhook_with_third_party(webhookName="p1-hook")
        declaration = cp.get_pipeline(name="p1")["pipeline"]
        action = declaration["stages"][0]["actions"][0]
        action["actionTypeId"] = dict(CONNECTION)
        action["configuration"] = {"ConnectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/x",
                                   "FullRepositoryId": "octo/repo", "BranchName": "main"}
        cp.update_pipeline(pipeline=declaration)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.deregister_webhook_with_third_party(webhookName="p1-hook")
        self.assert_aws_error(ctx, "ValidationException")
        message = ctx.exception.response["Error"]["Message"]
        self.assertIn("currently supported only for webhooks that target an action type of GitHub", message)
        self.assertIn("Source/AWS/CodeStarSourceConnection/1", message)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cp.register_webhook_with_third_party(webhookName="p1-hook")
        self.assert_aws_error(ctx, "ValidationException")
        # Deleting it now leaves GitHub's hook behind: the harm the order of calls avoids.
        cp.delete_webhook(name="p1-hook")
        view = self.view()
        self.assertEqual(view["webhooks"], [])
        self.assertEqual([o["name"] for o in view["orphanedRegistrations"]], ["p1-hook"])

    def test_delete_of_a_missing_webhook_succeeds_and_webhooks_are_per_region(self) -> None:
        self.create("p1")
        cp = self.client("codepipeline")
        cp.delete_webhook(name="never-there")
        cp.put_webhook(webhook=definition())
        self.assertEqual(self.client("codepipeline", region="us-east-1").list_webhooks()["webhooks"], [])
        deregistered = self.view()
        cp.delete_webhook(name="p1-hook")
        self.assertEqual(self.view()["orphanedRegistrations"], [])  # it was never registered
        self.assertEqual(len(deregistered["webhooks"]), 1)
        writes = [c["action"] for c in self.calls(write="true")]
        self.assertIn("PutWebhook", writes)
        self.assertNotIn("ListWebhooks", writes)
