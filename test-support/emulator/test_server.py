"""Tests for server.py: keep-alive HTTP/1.1, Connection: close, request bodies, the reset fault.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import gzip
import json
import socket
import time
import urllib.parse

from testkit import REGION, TRUST, EmulatorTestCase, auth_header

TARGET = "CodePipeline_20150709."


class ServerTest(EmulatorTestCase):
    def json_headers(self, action: str, service: str = "codepipeline") -> dict[str, str]:
        return {"X-Amz-Target": TARGET + action, "Content-Type": "application/x-amz-json-1.1",
                "Authorization": auth_header(REGION, service)}

    def raw(self, data: bytes, timeout: float = 5) -> tuple[socket.socket, bytes]:
        sock = socket.create_connection((self.emu.host, self.emu.port), timeout=timeout)
        sock.sendall(data)
        return sock, self.read_response(sock)

    _pending: dict[int, bytes] = {}

    def read_response(self, sock: socket.socket) -> bytes:
        """One answer from the socket; bytes of a next (pipelined) answer are kept for the next call."""
        data = self._pending.pop(sock.fileno(), b"")
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += sock.recv(65536)
        if rest[length:]:
            self._pending[sock.fileno()] = rest[length:]
        return head + b"\r\n\r\n" + rest[:length]

    def test_connections_are_kept_alive(self) -> None:
        self.create()
        conn = self.connection()
        conn.request("GET", "/_emulator/health")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.getheader("Connection")), (200, None))
        resp.read()
        sock = conn.sock
        # a launcher-served call, then moto's own (query protocol) on the same connection
        conn.request("POST", "/", body=json.dumps({"name": "p1"}), headers=self.json_headers("GetPipeline"))
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(json.loads(resp.read())["pipeline"]["name"], "p1")
        form = urllib.parse.urlencode({"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "other",
                                       "AssumeRolePolicyDocument": TRUST})
        conn.request("POST", "/", body=form, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                      "Authorization": auth_header("us-east-1", "iam")})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertIn(b"<RoleName>other</RoleName>", resp.read())
        self.assertIs(conn.sock, sock)  # still the same TCP connection
        conn.close()

    def test_connection_close_and_http_1_0(self) -> None:
        sock, answer = self.raw(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertIn(b"\r\nConnection: close\r\n", answer)
        self.assertTrue(answer.endswith(b'{"status":"ok"}'))
        self.assertEqual(sock.recv(10), b"")  # closed by the server
        sock.close()
        sock, answer = self.raw(b"GET /_emulator/health HTTP/1.0\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.0 200 OK\r\n"))
        self.assertEqual(sock.recv(10), b"")
        sock.close()
        sock, answer = self.raw(b"GET /_emulator/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        self.assertIn(b"\r\nConnection: keep-alive\r\n", answer)
        sock.sendall(b"GET /_emulator/health HTTP/1.0\r\n\r\n")
        self.assertTrue(self.read_response(sock).endswith(b'{"status":"ok"}'))
        sock.close()

    def test_request_bodies_gzip_chunked_expect_and_pipelined(self) -> None:
        bad = json.dumps({"maxResults": 1001}).encode()  # ValidationException proves the body was read
        conn = self.connection()
        conn.request("POST", "/", body=gzip.compress(bad),
                     headers={**self.json_headers("ListPipelines"), "Content-Encoding": "gzip"})
        resp = conn.getresponse()
        self.assertEqual((resp.status, json.loads(resp.read())["__type"]), (400, "ValidationException"))
        # gzip to moto too
        conn.request("POST", "/", body=gzip.compress(json.dumps({"Name": "s", "SecretString": "v"}).encode()),
                     headers={"X-Amz-Target": "secretsmanager.CreateSecret", "Content-Encoding": "gzip",
                              "Content-Type": "application/x-amz-json-1.1",
                              "Authorization": auth_header(REGION, "secretsmanager")})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200, resp.read())
        resp.read()
        conn.close()
        head = "".join(f"{k}: {v}\r\n" for k, v in self.json_headers("ListPipelines").items())
        chunked = (f"POST / HTTP/1.1\r\nHost: x\r\n{head}Transfer-Encoding: chunked\r\n\r\n"
                   f"{len(bad[:5]):x}\r\n").encode() + bad[:5] + f"\r\n{len(bad[5:]):x}\r\n".encode() + bad[5:] + \
            b"\r\n0\r\n\r\n"
        sock, answer = self.raw(chunked)
        self.assertIn(b"ValidationException", answer)
        # Expect: 100-continue gets the interim answer first
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\n{head}Expect: 100-continue\r\nContent-Length: {len(bad)}"
                     f"\r\n\r\n".encode())
        interim = b""
        while len(interim) < 25:
            interim += sock.recv(25 - len(interim))
        self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(bad)
        self.assertIn(b"ValidationException", self.read_response(sock))
        # two requests in one write: two answers, in order
        sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\nGET /_emulator/nope HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(self.read_response(sock).startswith(b"HTTP/1.1 200 OK"))
        self.assertTrue(self.read_response(sock).startswith(b"HTTP/1.1 404 Not Found"))
        sock.close()

    def test_reset_on_a_kept_alive_connection(self) -> None:
        self.create()
        self.set_config({"faults": [{"action": "GetPipeline", "kind": "reset", "count": 1}]})
        conn = self.connection()
        conn.request("GET", "/_emulator/health")
        conn.getresponse().read()
        conn.request("POST", "/", body=json.dumps({"name": "p1"}), headers=self.json_headers("GetPipeline"))
        with self.assertRaises(ConnectionResetError):  # RST, no answer
            conn.getresponse()
        conn.close()
        conn = self.connection()
        conn.request("POST", "/", body=json.dumps({"name": "p1"}), headers=self.json_headers("GetPipeline"))
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()

    def test_header_values_never_break_lines(self) -> None:
        self.create()
        self.set_config({"faults": [{"action": "GetPipeline", "kind": "status", "status": 400,
                                     "errorType": "Bad\r\nInjected: yes", "message": "line one\nline two"}]})
        sock, answer = self.raw(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: CodePipeline_20150709.GetPipeline\r\n"
                                b"Content-Length: 2\r\n\r\n{}")
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertNotIn(b"\r\nInjected: yes", head)
        self.assertEqual(json.loads(body)["message"], "line one\nline two")
        sock.close()

    def test_many_sequential_requests_are_cheap(self) -> None:
        self.create()
        conn = self.connection()
        body = json.dumps({"name": "p1"})
        started = time.perf_counter()
        for _ in range(200):
            conn.request("POST", "/", body=body, headers=self.json_headers("GetPipeline"))
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200)
        per_request = (time.perf_counter() - started) / 200
        conn.close()
        self.assertLess(per_request, 0.02)  # well under werkzeug's connect-per-request cost
