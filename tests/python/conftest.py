"""Starts the real wangge binary on the demo data for the outside checkers."""
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
DEMO_UNITS = ROOT / "geodata" / "siming.geojson"
# The demo admin `wangge demo` creates on first start gets this password (else a random one).
DEMO_PASSWORD = "checker-demo-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, base, proc, database):
        self.base = base
        self.proc = proc
        self.database = database
        # Signed in as the demo admin: batch work needs an account.
        self.session = requests.Session()
        r = self.session.post(base + "/api/v1/auth/login", timeout=60,
                              json={"username": "admin", "password": DEMO_PASSWORD})
        r.raise_for_status()

    def get(self, path, **kw):
        return requests.get(self.base + path, timeout=60, **kw)

    def post(self, path, **kw):
        return self.session.post(self.base + path, timeout=300, **kw)


def start(database_url, extra_env=None):
    port = free_port()
    env = dict(os.environ, RUST_LOG="warn", WANGGE_DEMO_PASSWORD=DEMO_PASSWORD, **(extra_env or {}))
    binary = os.environ.get("WANGGE_BIN", str(ROOT / "target" / "debug" / "wangge"))
    proc = subprocess.Popen(
        [binary, "demo", "--units", str(DEMO_UNITS), "--database", database_url,
         "--listen", f"127.0.0.1:{port}", "--web-dir", str(ROOT / "web")],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"wangge exited with {proc.returncode}")
        try:
            if requests.get(base + "/readyz", timeout=2).status_code == 200:
                return Service(base, proc, database_url)
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("wangge did not become ready")


@pytest.fixture(scope="session")
def service():
    with tempfile.TemporaryDirectory() as d:
        svc = start(str(Path(d) / "demo.gpkg"))
        yield svc
        svc.proc.terminate()
        svc.proc.wait(timeout=30)
