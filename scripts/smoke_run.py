"""Proves the README's run command: starts `make run` from this checkout, waits for the login page,
then logs in with every login the command printed. Exits non-zero on any failure.

Usage: python scripts/smoke_run.py [port]
"""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_LOGINS = 8  # one per role of workflows.enums.Role
LOGIN_LINE = re.compile(r"^\s+.+?\s{2,}(\S+)\s+(\S+-demo)\s+(.+)$")


def main(port: int) -> int:
    log_path = ROOT / "var" / "smoke-run.log"
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_for(f"{base}/connexion/", server, timeout=600):
            print(log_path.read_text()[-3000:])
            print("FAIL: the login page was never served")
            return 1
        logins = [m.groups() for m in map(LOGIN_LINE.match, log_path.read_text().splitlines()) if m]
        if len(logins) != EXPECTED_LOGINS:
            print(f"FAIL: expected {EXPECTED_LOGINS} printed logins (one per role), found {logins}")
            return 1
        for username, password, _scope in logins:
            status, url, body = log_in(base, username, password)
            space = f"{base}/porteur/" if username == "porteur" else f"{base}/region/instruction/"
            if status != 200 or url != space or 'action="/deconnexion/"' not in body:
                print(f"FAIL: login {username} did not reach their space {space} (status {status}, {url})")
                return 1
            print(f"ok: {username} logged in")
        return 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def wait_for(url: str, server: subprocess.Popen, timeout: int) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(1)
    return False


def log_in(base: str, username: str, password: str) -> tuple[int, str, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/connexion/").read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    login_url = f"{base}/connexion/"
    request = urllib.request.Request(login_url, data=data.encode(), headers={"Referer": login_url})
    with opener.open(request) as response:
        return response.status, response.geturl(), response.read().decode()


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8765))
