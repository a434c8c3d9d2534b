"""One settings module, every key overridable from the environment (django-environ).

Local defaults are safe for a developer's machine: SQLite under var/, console e-mail, tasks run
immediately. Production is switched on by DJANGO_ENV=production only, and refuses to start without a
real secret key, explicit allowed hosts and DEBUG off.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

ENVIRONMENT = env.str("DJANGO_ENV", default="local")
if ENVIRONMENT not in {"local", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'local' or 'production', not {ENVIRONMENT!r}.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
_LOCAL_SECRET_KEY = "django-insecure-local-only-never-use-this-key-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _LOCAL_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])

if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "Production needs a real SECRET_KEY (at least 50 random characters), set in the environment."
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set DEBUG=false).")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production needs ALLOWED_HOSTS (comma-separated host names).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "django_tasks_db",
    "viewflow",
    "viewflow.workflow",
    "dossiers",
    "workflows",
    "committees",
    "documents",
    "messaging",
    "payments",
    "roadmaps",
    "engineering",
    "figures",
    "portal",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "webhooks",
    "diagnostics",
    "exports",
    "opendata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "api.middleware.ApiLanguageMiddleware",  # the API follows Accept-Language (LocaleMiddleware would not)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "messaging.context_processors.unread_notifications",
                "dossiers.context_processors.spaces",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE transactions take SQLite's write lock when the transaction starts, so two services
    # changing the same dossier are serialised even though SQLite ignores SELECT ... FOR UPDATE.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Object permissions exist for territories only; anonymous visitors never hold any.
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr-fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
# Locally WhiteNoise serves the apps' static files directly; production serves what collectstatic wrote.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
if not PRODUCTION:
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Uploaded pieces are private: config/urls.py routes nothing under MEDIA_URL; files are only ever
# sent by views that check the user's access.
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Issued PDF letters and signature images: a local directory by default; any django-storages backend
    # in production (DOCUMENTS_STORAGE_BACKEND, with its options in DOCUMENTS_STORAGE_OPTIONS as JSON).
    "documents": {
        "BACKEND": env.str("DOCUMENTS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("DOCUMENTS_STORAGE_OPTIONS", default={"location": str(Path(MEDIA_ROOT) / "documents")}),
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PIECE_MAX_SIZE = env.int("PIECE_MAX_SIZE", default=20 * 1024 * 1024)
# Exports of the dossier list up to this many rows are downloaded at once; larger ones run in the background.
EXPORTS_SYNC_MAX_ROWS = env.int("EXPORTS_SYNC_MAX_ROWS", default=5000)

# E-mail: EMAIL_URL (smtp://user:password@host:587/?tls=True, consolemail://...) becomes Django 6.1's
# MAILERS["default"].
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://")
_email_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {key: value for key, value in _email_options.items() if value}
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
# The public address of the site, for the links in e-mails (sent by tasks, outside any request).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Contrats de territoire <ne-pas-repondre@localhost>")

# django.tasks: immediate locally and in tests; production runs the database backend with workers
# (`manage.py db_worker`), see README.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND",
            default="django_tasks_db.DatabaseBackend"
            if PRODUCTION
            else "django.tasks.backends.immediate.ImmediateBackend",
        )
    }
}

# The Region as the granting body, and the PDF documents (documents app): the issuer printed on every
# letter; a render is tried DOCUMENTS_RENDER_ATTEMPTS times, waiting DOCUMENTS_RETRY_DELAYS seconds
# between attempts, before its job is reported as failed.
REGION_NAME = env.str("REGION_NAME", default="Région Nouvelle-Aquitaine")
DOCUMENTS_ISSUER = {
    "name": REGION_NAME,
    "siret": env.str("REGION_SIRET", default="20005375900011"),
    "address": "14, rue François-de-Sourdis",
    "postcode_city": "33077 Bordeaux Cedex",
    "court": "tribunal administratif de Bordeaux",
    "court_address": "9, rue Tastet, CS 21490, 33063 Bordeaux Cedex",
}
DOCUMENTS_RENDER_ATTEMPTS = env.int("DOCUMENTS_RENDER_ATTEMPTS", default=3)
DOCUMENTS_RETRY_DELAYS = [1, 5]

# Webhooks (webhooks/security.py): https only in production; loopback receivers only for local development
# and tests (never private or link-local addresses, never in production); timeouts in seconds and the most
# of a receiver's answer that is read.
WEBHOOKS_HTTPS_ONLY = PRODUCTION
WEBHOOKS_ALLOW_LOOPBACK = env.bool("WEBHOOKS_ALLOW_LOOPBACK", default=False)
if PRODUCTION and WEBHOOKS_ALLOW_LOOPBACK:
    raise ImproperlyConfigured("WEBHOOKS_ALLOW_LOOPBACK is for local development and tests, never production.")
WEBHOOKS_CONNECT_TIMEOUT = env.float("WEBHOOKS_CONNECT_TIMEOUT", default=5.0)
WEBHOOKS_READ_TIMEOUT = env.float("WEBHOOKS_READ_TIMEOUT", default=10.0)
WEBHOOKS_MAX_RESPONSE_BYTES = env.int("WEBHOOKS_MAX_RESPONSE_BYTES", default=64 * 1024)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The REST API (api/): session authentication for the browser, personal API tokens for machines; every
# list paginated; OpenAPI 3 schema by drf-spectacular.
REST_FRAMEWORK = {
    # The token comes first: its `WWW-Authenticate: Bearer` makes an unauthenticated request a 401 (DRF asks
    # the first class; the session's has none, which would make it a 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # No OPTIONS metadata: it is in no schema, and building it ran each view's object lookup (a 500 where a
    # view's object is not under `pk`); OPTIONS answers 405 like any method not offered.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.WriteUserThrottle",
        "api.throttling.WriteIPThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_write_user": env.str("API_RATE_WRITE_USER", default="120/min"),
        "api_write_ip": env.str("API_RATE_WRITE_IP", default="300/min"),
        "api_auth_ip": env.str("API_RATE_AUTH_IP", default="30/min"),
    },
    # Proxies in front of the application whose X-Forwarded-For is trusted for the client's address.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contrats de territoire — API",
    "DESCRIPTION": "The API of the territorial contracts' dossiers: everything a person does in the browser, "
    "with the same permissions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The enums' components (drf-spectacular's default hook), then every operation's error answers.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_error_responses"],
    "ENUM_NAME_OVERRIDES": {
        "EpciKindEnum": "dossiers.enums.EpciType",
        "DossierKindEnum": "dossiers.enums.DossierKind",
        "StateEnum": "workflows.enums.DossierState",
        "WebhookEventTypeEnum": "webhooks.enums.EventType",
        "WebhookDeliveryStatusEnum": "webhooks.enums.DeliveryStatus",
        "PaymentKindEnum": "payments.models.PaymentKind",
        "PaymentFileKindEnum": "payments.models.PaymentFileKind",
        "PaymentRequestStateEnum": "payments.models.RequestState",
        "ConventionStatusEnum": "payments.models.ConventionStatus",
        "BankAccountStatusEnum": "payments.models.BankAccountStatus",
        "OperationStatusEnum": "roadmaps.enums.OperationStatus",
        "DecisionKindEnum": "roadmaps.enums.DecisionKind",
        "ItemResultEnum": "committees.models.ItemResult",
        "SessionStatusEnum": "committees.models.SessionStatus",
        "TaskStatusEnum": "viewflow.workflow.status.STATUS",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every rendering step at INFO; its warnings (a refused URL...) stay visible.
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
    },
}
