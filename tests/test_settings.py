"""Settings come from the environment; local defaults are safe; production refuses to start unsafe."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'hosts': settings.ALLOWED_HOSTS, "
    "'language': settings.LANGUAGE_CODE, 'tz': settings.TIME_ZONE, 'tasks': settings.TASKS['default']['BACKEND'], "
    "'secure_cookies': getattr(settings, 'SESSION_COOKIE_SECURE', False)}))"
)
REAL_SECRET = "k3!x9" * 12


def load_settings(**environment):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DJANGO_ENV", "DEBUG"}}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_local_defaults_are_sqlite_under_var_french_and_paris():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(ROOT / "var" / "db.sqlite3")
    assert values["language"] == "fr-fr" and values["tz"] == "Europe/Paris"
    assert values["hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    assert values["tasks"] == "django.tasks.backends.immediate.ImmediateBackend"


def test_database_url_switches_to_postgresql():
    result = load_settings(DATABASE_URL="postgres://app@db.example:5432/contrats")
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql" and values["name"] == "contrats"


@pytest.mark.parametrize(
    "secret", [None, "", "django-insecure-local-only-never-use-this-key-in-production-0123456789", "short", "a" * 60]
)
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    environment = {"DJANGO_ENV": "production", "ALLOWED_HOSTS": "contrats.example"}
    if secret is not None:
        environment["SECRET_KEY"] = secret
    result = load_settings(**environment)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug_and_missing_hosts():
    debug = load_settings(DJANGO_ENV="production", SECRET_KEY=REAL_SECRET, ALLOWED_HOSTS="x.example", DEBUG="true")
    assert debug.returncode != 0 and "DEBUG" in debug.stderr
    hosts = load_settings(DJANGO_ENV="production", SECRET_KEY=REAL_SECRET)
    assert hosts.returncode != 0 and "ALLOWED_HOSTS" in hosts.stderr


def test_production_with_a_real_secret_starts_secure_and_with_database_tasks():
    result = load_settings(DJANGO_ENV="production", SECRET_KEY=REAL_SECRET, ALLOWED_HOSTS="contrats.example")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["secure_cookies"] is True
    assert values["tasks"] == "django_tasks_db.DatabaseBackend"
