"""What the emulator's modules share: the AWS protocols' answers and errors,
the parsed request, pagination tokens and small helpers. app.py (the
middleware) and every service module import this module, and it imports
none of them, so the emulator's imports have no cycle (app.py imports the
service modules to register them; they never import app.py back).

The AWS behaviour these follow is described in app.py's docstring.
"""

from __future__ import annotations

import base64
import calendar
import datetime
import gzip
import http
import json
import os
import re
import uuid
from typing import Any, Callable

JSON_CT = "application/x-amz-json-1.1"
JSON_10_CT = "application/x-amz-json-1.0"

# X-Amz-Target prefixes (AWS JSON protocol) -> service signing name, for
# requests without a credential scope.
TARGET_PREFIXES = {
    "CodePipeline_20150709": "codepipeline",
    "CodeBuild_20161006": "codebuild",
    "secretsmanager": "secretsmanager",
    "ResourceGroupsTaggingAPI_20170126": "tagging",
    "AmazonSSM": "ssm",
    "com.amazonaws.codeconnections.CodeConnections_20231201": "codeconnections",
    "com.amazonaws.codestar.connections.CodeStar_connections_20191201": "codestar-connections",
    # The JS SDK sends these without the com.amazonaws.… part (botocore with it).
    "CodeConnections_20231201": "codeconnections",
    "CodeStar_connections_20191201": "codestar-connections",
}

# Services of the AWS JSON 1.0 protocol: their answers are application/x-amz-json-1.0.
JSON_10_SERVICES = {"codeconnections", "codestar-connections"}

# Query-protocol actions that are sent unsigned (same table as moto's server).
UNSIGNED_QUERY_ACTIONS = {"AssumeRoleWithWebIdentity": "sts", "AssumeRoleWithSAML": "sts"}

# XML namespace of each query-protocol service's documents (the services' API versions).
QUERY_NAMESPACES = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "cloudformation": "http://cloudformation.amazonaws.com/doc/2010-05-15/",
}

# Actions counted as reads in the call log ("write": false).
READ_PREFIXES = ("Get", "List", "Describe", "BatchGet", "Search", "Lookup", "AssumeRole", "Decode",
                 "Simulate")

CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
USER_AGENT_REGION_RE = re.compile(r"region/(?P<region>[a-z]{2}-[a-z]+-\d{1})")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
XML_CODE_RE = re.compile(rb"<Code>([^<]*)</Code>")

_REASONS = {s.value: s.phrase for s in http.HTTPStatus}


def default_account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# --------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------
class Resp:
    """A buffered HTTP response."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[str, str]] | None = None, body: bytes = b""):
        self.status = status
        self.headers = headers if headers is not None else []
        self.body = body

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else {}


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def json_resp(obj: Any, status: int = 200, content_type: str = JSON_CT,
              headers: list[tuple[str, str]] | None = None) -> Resp:
    hs = [(k, v) for k, v in (headers or []) if k.lower() not in ("content-type", "content-length")]
    hs.append(("Content-Type", content_type))
    if not any(k.lower() == "x-amzn-requestid" for k, _ in hs):
        hs.append(("x-amzn-RequestId", str(uuid.uuid4())))
    return Resp(status, hs, dumps(obj))


def aws_error(err_type: str, message: str, status: int = 400) -> Resp:
    """AWS JSON protocol error: HTTP status, x-amzn-ErrorType header, {"__type","message"} body."""
    resp = json_resp({"__type": err_type, "message": message}, status)
    resp.headers.append(("x-amzn-ErrorType", err_type))
    return resp


def xml_escape(text: str) -> str:
    """Escapes text for an XML element; CR is kept as a character reference so that
    an XML parser returns the bytes unchanged (XML 1.0 section 2.11 would turn a raw
    CR LF into LF)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def query_error(err_type: str, message: str, status: int = 400, service: str = "sts") -> Resp:
    """AWS query protocol error: an XML ErrorResponse in the service's namespace."""
    kind = "Receiver" if status >= 500 else "Sender"
    ns = QUERY_NAMESPACES.get(service, QUERY_NAMESPACES["sts"])
    request_id = str(uuid.uuid4())
    body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
            f"<Code>{xml_escape(err_type)}</Code><Message>{xml_escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode("utf-8")
    return Resp(status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body)


def error_for(req: "AwsRequest", err_type: str, message: str, status: int = 400) -> Resp:
    """An error in the protocol of the service called."""
    if req.protocol == "query":
        return query_error(err_type, message, status, req.service)
    return aws_error(err_type, message, status)


def plain_json(obj: Any, status: int = 200) -> Resp:
    return Resp(status, [("Content-Type", "application/json")], dumps(obj))


def to_epoch(value: Any) -> Any:
    """ISO-8601 string -> epoch seconds (float). Anything else is returned unchanged."""
    if not isinstance(value, str) or not ISO_RE.match(value):
        return value
    dt = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


def epoch_ms(dt: datetime.datetime) -> float:
    """A datetime (naive = UTC, as moto keeps them) -> epoch seconds with the
    millisecond precision of moto's ISO strings."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return calendar.timegm(dt.timetuple()) + (dt.microsecond // 1000) / 1000


def encode_token(after: str) -> str:
    """An opaque pagination token: base64url of {"v":1,"after":...}."""
    raw = dumps({"v": 1, "after": after})
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: Any) -> str | None:
    if not isinstance(token, str) or not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("v") != 1 or not isinstance(data.get("after"), str):
        return None
    return data["after"]


class EmulatorError(Exception):
    """Raised by a handler to answer with `resp`."""

    def __init__(self, resp: Resp):
        super().__init__(resp.body.decode("utf-8", "replace"))
        self.resp = resp


class AwsRequest:
    __slots__ = ("service", "action", "region", "account", "protocol", "params", "body")

    def __init__(self) -> None:
        self.service = "unknown"
        self.action = ""
        self.region = "us-east-1"
        self.account = ""
        self.protocol = "other"  # json | query | other
        self.params: dict[str, Any] = {}
        self.body = b""


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, read by Content-Length, gunzipped if Content-Encoding is gzip."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    if body and environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        body = gzip.decompress(body)
        environ.pop("HTTP_CONTENT_ENCODING", None)
    return body


Handler = Callable[[dict, AwsRequest], Resp]
