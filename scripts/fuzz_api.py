"""Fuzzes the live REST API with schemathesis (issue 8): serves the application on a fresh SQLite
database with the demo data, creates API tokens for officers of two different territories and for the
demo sponsor, then runs `st run` against the live schema (`/api/schema/`) once per token. Every
response must be free of server errors and conform to the schema (status code, content type, body).

Usage: python scripts/fuzz_api.py [--port 8766] [--max-examples 8] [--seed 2026]

Exits non-zero when a check fails; the reports (JUnit XML, and a pytest file reproducing each failure)
are under var/fuzz/.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
SCHEMATHESIS = ROOT / ".venv" / "bin" / "st"
WORK = ROOT / "var" / "fuzz"

# The users whose tokens drive the runs: two officers of different territories, and the demo sponsor.
TOKENS_SCRIPT = """
from django.contrib.auth import get_user_model
from api.tokens import token_create
from dossiers.models import Territory

User = get_user_model()
officer = User.objects.get(username="instructeur")
codes = Territory.objects.filter(officers_group__user=officer).values_list("code", flat=True)
home = [f"instructeur-{code}" for code in codes]
other = User.objects.filter(username__startswith="instructeur-").exclude(username__in=home).order_by("username").first()
for user in (officer, other, User.objects.get(username="porteur")):
    _token, raw = token_create(user=user, name="fuzz")
    print(f"TOKEN {user.username} {raw}")
"""

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--max-examples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dossiers", type=int, default=60)
    args = parser.parse_args()

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        # The fuzzer sends thousands of writes: the rate limits (tested on their own) would answer
        # 429 to most of them and hide the endpoints behind.
        "API_RATE_WRITE_USER": "100000/min",
        "API_RATE_WRITE_IP": "100000/min",
        "API_RATE_AUTH_IP": "100000/min",
        "DEBUG": "false",
    }

    def manage(*command: str, capture: bool = False) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
        )
        return result.stdout if capture else ""

    manage("migrate", "--no-input", "-v", "0")
    manage("load_reference_data")
    manage("seed_demo", "--dossiers", str(args.dossiers))
    tokens = [
        line.split()[1:]
        for line in manage("shell", "-c", TOKENS_SCRIPT, capture=True).splitlines()
        if line.startswith("TOKEN ")
    ]
    if len(tokens) != 3 or not all(len(pair) == 2 for pair in tokens):
        print(f"FAIL: expected three tokens, got {tokens}")
        return 1

    log_path = WORK / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{args.port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{args.port}"
    failures = 0
    try:
        if not wait_for(f"{base}/connexion/", server, timeout=120):
            print(log_path.read_text()[-3000:])
            print("FAIL: the application was never served")
            return 1
        for username, raw in tokens:
            print(f"\n==> schemathesis as {username}", flush=True)
            report = WORK / username
            command = [
                SCHEMATHESIS,
                "run",
                f"{base}/api/schema/?format=json",
                "--header",
                f"Authorization: Bearer {raw}",
                "--checks",
                CHECKS,
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                str(args.max_examples),
                "--seed",
                str(args.seed),
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--max-redirects",
                "0",
                "--generation-database",
                "none",
                "--no-color",
                "--report",
                "junit,pytest",
                "--report-dir",
                str(report),
            ]
            if subprocess.run(command, cwd=ROOT, env=env).returncode != 0:
                failures += 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    errors = [line for line in log_path.read_text().splitlines() if "api error" in line]
    if errors:
        print("FAIL: the server logged unexpected errors:\n" + "\n".join(errors[:20]))
        failures += 1
    print("\nFUZZ " + ("FAILED" if failures else "PASSED"))
    return 1 if failures else 0


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


if __name__ == "__main__":
    sys.exit(main())
