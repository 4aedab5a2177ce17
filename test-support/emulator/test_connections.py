"""Tests for connections.py: CodeConnections / CodeStar connections GetConnection.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import urllib.parse

import botocore.exceptions

from testkit import ACCOUNT, REGION, EmulatorTestCase, http_json

OTHER = "210987654321"


class ConnectionTest(EmulatorTestCase):
    def set_connection(self, body: dict) -> tuple[int, dict]:
        return http_json(self.url + "/_emulator/connections/connection", "POST", body)

    def test_create_is_pending_on_both_endpoints_with_their_arn_prefix(self) -> None:
        for service in ("codeconnections", "codestar-connections"):
            with self.subTest(service=service):
                client = self.client(service)
                arn = client.create_connection(ProviderType="GitHub", ConnectionName="gh")["ConnectionArn"]
                self.assertRegex(arn, rf"^arn:aws:{service}:{REGION}:{ACCOUNT}:connection/[0-9a-f-]{{36}}$")
                got = client.get_connection(ConnectionArn=arn)["Connection"]
                self.assertEqual(got, {"ConnectionName": "gh", "ConnectionArn": arn, "ProviderType": "GitHub",
                                       "OwnerAccountId": ACCOUNT, "ConnectionStatus": "PENDING"})

    def test_json_1_0_answers_and_a_global_resource(self) -> None:
        arn = self.client("codeconnections").create_connection(
            ProviderType="GitHub", ConnectionName="gh")["ConnectionArn"]
        status, headers, body = raw_call_10(self.url, "codeconnections", "GetConnection", {"ConnectionArn": arn})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("Content-Type"), "application/x-amz-json-1.0")
        # another region of the partition sees it; the other endpoint too
        got = self.client("codestar-connections", region="us-east-1").get_connection(ConnectionArn=arn)
        self.assertEqual(got["Connection"]["ConnectionArn"], arn)

    def test_status_and_provider_are_set_by_the_test_endpoint(self) -> None:
        client = self.client("codeconnections")
        arn = client.create_connection(ProviderType="GitHub", ConnectionName="gh")["ConnectionArn"]
        for status in ("AVAILABLE", "ERROR"):
            self.assertEqual(self.set_connection({"arn": arn, "status": status})[0], 200)
            self.assertEqual(client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"], status)
        code, ghes = self.set_connection({"name": "ghes", "providerType": "GitHubEnterpriseServer",
                                          "status": "AVAILABLE", "service": "codestar-connections",
                                          "hostArn": f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:host/h-1"})
        self.assertEqual(code, 200, ghes)
        got = client.get_connection(ConnectionArn=ghes["ConnectionArn"])["Connection"]
        self.assertEqual((got["ProviderType"], got["HostArn"]), ("GitHubEnterpriseServer", ghes["HostArn"]))
        self.assertEqual(self.set_connection({"arn": arn, "status": "READY"})[0], 400)
        self.assertEqual(self.set_connection({"arn": arn + "x", "status": "ERROR"})[0], 404)
        status, view = http_json(self.url + "/_emulator/connections/connection?" + urllib.parse.urlencode({"arn": arn}))
        self.assertEqual((status, view["ConnectionStatus"]), (200, "ERROR"))

    def test_another_account_sees_a_connection_only_once_shared(self) -> None:
        code, conn = self.set_connection({"name": "shared", "status": "AVAILABLE"})
        self.assertEqual(code, 200)
        arn = conn["ConnectionArn"]
        # moto maps unknown access keys to the default account: a header picks the other one.
        status, _, body = raw_call_10(self.url, "codeconnections", "GetConnection", {"ConnectionArn": arn},
                                      account=OTHER)
        self.assertEqual((status, body["__type"]), (400, "ResourceNotFoundException"))
        self.assertEqual(self.set_connection({"arn": arn, "sharedWith": [OTHER]})[0], 200)
        status, _, body = raw_call_10(self.url, "codeconnections", "GetConnection", {"ConnectionArn": arn},
                                      account=OTHER)
        self.assertEqual((status, body["Connection"]["OwnerAccountId"]), (200, ACCOUNT))
        code, old = self.set_connection({"name": "old", "service": "codestar-connections"})
        refused = self.set_connection({"arn": old["ConnectionArn"], "sharedWith": [OTHER]})
        self.assertEqual(refused[0], 400)
        self.assertIn("not supported for codestar-connections resources", refused[1]["message"])

    def test_unsigned_calls_find_the_service_from_either_target_form(self) -> None:
        import json

        for target in ("CodeStar_connections_20191201", "com.amazonaws.codestar.connections.CodeStar_connections_20191201",
                       "CodeConnections_20231201", "com.amazonaws.codeconnections.CodeConnections_20231201"):
            with self.subTest(target=target):
                conn = self.connection()
                conn.request("POST", "/", json.dumps({"ConnectionArn": f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:"
                                                                       f"connection/none"}),
                             {"X-Amz-Target": f"{target}.GetConnection",
                              "Content-Type": "application/x-amz-json-1.0"})
                answer = conn.getresponse()
                body = json.loads(answer.read())
                conn.close()
                self.assertEqual((answer.status, body["__type"]), (400, "ResourceNotFoundException"))

    def test_errors(self) -> None:
        client = self.client("codeconnections")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            client.get_connection(ConnectionArn=f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/gone")
        self.assert_aws_error(ctx, "ResourceNotFoundException")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            client.get_connection(ConnectionArn="not-an-arn")
        self.assert_aws_error(ctx, "ValidationException")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            client.create_connection(ProviderType="GitHubEnterpriseServer", ConnectionName="ghes")
        self.assert_aws_error(ctx, "ValidationException")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            client.create_connection(ConnectionName="h",
                                     HostArn=f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:host/none")
        self.assert_aws_error(ctx, "ResourceUnavailableException")
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            client.create_connection(ProviderType="GitHub", ConnectionName="x" * 33)
        self.assert_aws_error(ctx, "ValidationException")


def raw_call_10(url: str, service: str, action: str, params: dict, account: str | None = None):
    """A JSON 1.0 call with our own headers (the other account through x-moto-account-id)."""
    import json
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    target = {"codeconnections": "com.amazonaws.codeconnections.CodeConnections_20231201",
              "codestar-connections": "com.amazonaws.codestar.connections.CodeStar_connections_20191201"}[service]
    headers = {"X-Amz-Target": f"{target}.{action}", "Content-Type": "application/x-amz-json-1.0"}
    if account:
        headers["x-moto-account-id"] = account
    req = AWSRequest(method="POST", url=url + "/", data=json.dumps(params).encode(), headers=headers)
    SigV4Auth(Credentials("testing", "testing"), service, REGION).add_auth(req)
    prepared = req.prepare()
    ureq = urllib.request.Request(prepared.url, data=prepared.body, method="POST",
                                  headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(ureq, timeout=10) as resp:
            return resp.status, dict(resp.headers.items()), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), json.loads(err.read() or b"null")
