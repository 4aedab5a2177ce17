"""Tests for codebuild.py: CodeBuild source credentials.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import json

import botocore.exceptions

from testkit import ACCOUNT, REGION, EmulatorTestCase, http_json, raw_call


class CodeBuildTest(EmulatorTestCase):
    def test_codebuild_source_credentials(self) -> None:
        cb = self.client("codebuild")
        arn = cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN",
                                           token="ghp_one")["arn"]
        self.assertEqual(arn, f"arn:aws:codebuild:{REGION}:{ACCOUNT}:token/github")
        infos = cb.list_source_credentials()["sourceCredentialsInfos"]
        self.assertEqual(infos, [{"arn": arn, "serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN"}])
        seen = http_json(f"{self.url}/_emulator/codebuild/credentials?region={REGION}")[1]["credentials"]
        self.assertEqual([(c["serverType"], c["token"]) for c in seen], [("GITHUB", "ghp_one")])

        # same server type replaces (token, authType, username)
        arn2 = cb.import_source_credentials(serverType="GITHUB", authType="BASIC_AUTH", token="pw",
                                            username="bot")["arn"]
        self.assertEqual(arn2, arn)
        seen = http_json(f"{self.url}/_emulator/codebuild/credentials?region={REGION}")[1]["credentials"]
        self.assertEqual([(c["authType"], c["token"], c["username"]) for c in seen], [("BASIC_AUTH", "pw", "bot")])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN", token="ghp_two",
                                         shouldOverwrite=False)
        self.assert_aws_error(ctx, "ResourceAlreadyExistsException")
        cb.import_source_credentials(serverType="GITHUB", authType="PERSONAL_ACCESS_TOKEN", token="ghp_three",
                                     shouldOverwrite=True)
        seen = http_json(f"{self.url}/_emulator/codebuild/credentials?region={REGION}")[1]["credentials"]
        self.assertEqual(seen[0]["token"], "ghp_three")

        # validation
        for kwargs in ({"serverType": "BITBUCKET", "authType": "BASIC_AUTH", "token": "x"},
                       {"serverType": "GITHUB", "authType": "OAUTH", "token": "x"}):
            with self.assertRaises(botocore.exceptions.ClientError) as ctx:
                cb.import_source_credentials(**kwargs)
            self.assert_aws_error(ctx, "InvalidInputException")
        for body in ({"serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN", "token": ""},
                     {"serverType": "GITHUB", "authType": "PERSONAL_ACCESS_TOKEN"},
                     {"serverType": "SVN", "authType": "PERSONAL_ACCESS_TOKEN", "token": "x"},
                     {"serverType": "GITHUB", "authType": "MAGIC", "token": "x"}):
            status, headers, err = raw_call(self.url, "codebuild", "ImportSourceCredentials", body)
            self.assertEqual((status, err["__type"], headers["x-amzn-ErrorType"]),
                             (400, "InvalidInputException", "InvalidInputException"), body)
            self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.1")

        # connection / secret ARNs are reported as `resource`
        conn = "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc"
        cb.import_source_credentials(serverType="GITLAB", authType="CODECONNECTIONS", token=conn)
        secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bb-AbCdEf"
        cb.import_source_credentials(serverType="BITBUCKET", authType="SECRETS_MANAGER", token=secret)
        infos = {i["serverType"]: i for i in cb.list_source_credentials()["sourceCredentialsInfos"]}
        self.assertEqual(infos["GITLAB"]["resource"], conn)
        self.assertEqual(infos["BITBUCKET"]["resource"], secret)
        self.assertNotIn("resource", infos["GITHUB"])
        listed = cb.list_source_credentials()["sourceCredentialsInfos"]
        self.assertNotIn("ghp_three", json.dumps(listed))
        self.assertTrue(all("token" not in i for i in listed))

        # per region
        self.assertEqual(self.client("codebuild", "us-east-1").list_source_credentials()["sourceCredentialsInfos"], [])

        # delete
        self.assertEqual(cb.delete_source_credentials(arn=arn)["arn"], arn)
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cb.delete_source_credentials(arn=arn)
        self.assert_aws_error(ctx, "ResourceNotFoundException")
        self.assertEqual(sorted(infos), ["BITBUCKET", "GITHUB", "GITLAB"])
        self.assertEqual(sorted(i["serverType"] for i in cb.list_source_credentials()["sourceCredentialsInfos"]),
                         ["BITBUCKET", "GITLAB"])

        # seeding a console-only OAUTH credential
        status, body = http_json(self.url + "/_emulator/codebuild/credentials", "POST",
                                 {"region": REGION, "serverType": "GITHUB", "authType": "OAUTH"})
        self.assertEqual(status, 200)
        infos = {i["serverType"]: i for i in cb.list_source_credentials()["sourceCredentialsInfos"]}
        self.assertEqual(infos["GITHUB"], {"arn": body["arn"], "serverType": "GITHUB", "authType": "OAUTH"})


class CodeBuildProjectsTest(EmulatorTestCase):
    """ListProjects pages of 100, BatchGetProjects at most 100 names, secondary sources, webhooks."""

    def create(self, cb, name: str, **extra) -> None:
        cb.create_project(name=name, source={"type": "GITHUB", "location": f"https://github.com/o/{name}.git"},
                          artifacts={"type": "NO_ARTIFACTS"},
                          environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                       "computeType": "BUILD_GENERAL1_SMALL"},
                          serviceRole=f"arn:aws:iam::{ACCOUNT}:role/codebuild", **extra)

    def test_list_projects_pages_and_batch_get_limits(self) -> None:
        cb = self.client("codebuild")
        for i in range(205):
            self.create(cb, f"p{i:03d}")
        first = cb.list_projects(sortBy="NAME")
        self.assertEqual(len(first["projects"]), 100)
        self.assertEqual(first["projects"][0], "p000")
        names = list(first["projects"])
        token = first.get("nextToken")
        while token:
            page = cb.list_projects(sortBy="NAME", nextToken=token)
            names += page["projects"]
            token = page.get("nextToken")
        self.assertEqual(names, [f"p{i:03d}" for i in range(205)])
        desc = cb.list_projects(sortBy="NAME", sortOrder="DESCENDING")["projects"]
        self.assertEqual(desc[0], "p204")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cb.list_projects(nextToken="bogus")
        self.assert_aws_error(ctx, "InvalidInputException")

        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cb.batch_get_projects(names=names[:101])
        self.assert_aws_error(ctx, "InvalidInputException")
        got = cb.batch_get_projects(names=["p001", "nope", f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p002"])
        self.assertEqual([p["name"] for p in got["projects"]], ["p001", "p002"])
        self.assertEqual(got["projectsNotFound"], ["nope"])

    def test_secondary_sources_and_webhook(self) -> None:
        cb = self.client("codebuild")
        secondary = [{"type": "BITBUCKET", "location": "https://bitbucket.org/ws/lib.git", "sourceIdentifier": "lib"}]
        self.create(cb, "app", secondarySources=secondary)
        project = cb.batch_get_projects(names=["app"])["projects"][0]
        self.assertEqual(project["secondarySources"], secondary)
        self.assertNotIn("webhook", project)
        cb.create_webhook(projectName="app")
        self.assertIn("payloadUrl", cb.batch_get_projects(names=["app"])["projects"][0]["webhook"])
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            cb.create_webhook(projectName="missing")
        self.assert_aws_error(ctx, "ResourceNotFoundException")
