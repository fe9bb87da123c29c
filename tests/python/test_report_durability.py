"""Every acknowledged report survives `kill -9` of the service under intake load: reports are
committed before they are acknowledged. Load comes from this separate process."""
import tempfile
import threading
import time
from pathlib import Path

import requests

from conftest import start

LON, LAT = 118.0894, 24.4798
NO_LIMITS = {"WANGGE_RATE_LIMIT_TOKEN_PER_MINUTE": "1000000",
             "WANGGE_RATE_LIMIT_TOKEN_BURST": "100000"}


def test_no_acknowledged_report_is_lost_to_kill_9():
    with tempfile.TemporaryDirectory() as d:
        database = str(Path(d) / "durability.gpkg")
        svc = start(database, NO_LIMITS)
        try:
            r = svc.post("/api/v1/tokens", json={"name": "load", "expires_in_days": 1})
            assert r.status_code == 201, r.text
            token = r.json()["token"]
            acknowledged, lock, stop = [], threading.Lock(), threading.Event()

            def load(worker):
                session = requests.Session()
                session.headers["authorization"] = f"Bearer {token}"
                n = 0
                while not stop.is_set():
                    n += 1
                    body = {"category": "noise", "description": f"load {worker}-{n}",
                            "location": {"lon": LON, "lat": LAT}, "channel": "hotline"}
                    try:
                        res = session.post(svc.base + "/api/v1/reports", json=body, timeout=10)
                    except requests.RequestException:
                        return
                    if res.status_code == 201:
                        with lock:
                            acknowledged.append(res.json()["id"])

            threads = [threading.Thread(target=load, args=(w,)) for w in range(8)]
            for t in threads:
                t.start()
            deadline = time.time() + 30
            while time.time() < deadline:
                with lock:
                    if len(acknowledged) >= 200:
                        break
                time.sleep(0.05)
            svc.proc.kill()
            svc.proc.wait(timeout=30)
            stop.set()
            for t in threads:
                t.join(timeout=30)
        finally:
            if svc.proc.poll() is None:
                svc.proc.kill()
        assert len(acknowledged) >= 50, f"only {len(acknowledged)} reports acknowledged"

        again = start(database, NO_LIMITS)
        try:
            missing = [rid for rid in acknowledged
                       if again.session.get(again.base + f"/api/v1/reports/{rid}",
                                            timeout=60).status_code != 200]
            assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged reports lost"
        finally:
            again.proc.terminate()
            again.proc.wait(timeout=30)
