"""The French catalogue: complete, consistent with its msgids, compiled, and in step with the code.

French is the default language (LANGUAGE_CODE fr-fr) and the msgids are English, so an entry left
empty or fuzzy shows English to French users. No database is needed.
"""

import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

from workflows.enums import DossierState, Role

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale" / "fr" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
# The command of the README's translation workflow; the test runs it on a copy of the tree.
MAKEMESSAGES = ["makemessages", "-l", "fr", "--no-location", "--ignore=.venv", "--ignore=var", "--ignore=tests"]
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
# %(name)s in Python code, and what {% blocktranslate %} turns {{ name }} into; {{ name }} itself is
# checked too, in case a msgid ever carries one literally.
_PYTHON_PLACEHOLDER = re.compile(r"%\((?P<name>[^)]+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_TEMPLATE_PLACEHOLDER = re.compile(r"\{\{\s*(?P<name>[\w.|:\"' -]+?)\s*\}\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def is_fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def is_translated(self) -> bool:
        forms = self.msgstr.values()
        return bool(forms) and all(forms)

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def __str__(self) -> str:
        context = f" [context {self.msgctxt!r}]" if self.msgctxt is not None else ""
        return f"line {self.line}: {self.msgid!r}{context}"


def _unquote(text: str, path: Path, number: int) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"{path}:{number}: expected a quoted string, got {text!r}")

    def unescape(match: re.Match) -> str:
        if match.group(1) not in _ESCAPES:
            raise ValueError(f"{path}:{number}: unknown escape \\{match.group(1)}")
        return _ESCAPES[match.group(1)]

    return re.sub(r"\\(.)", unescape, text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header included (first), obsolete (#~) entries left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int | None] | None = None  # the field that continuation lines extend

    def start(number: int) -> Entry:
        nonlocal entry, flags
        entry = Entry(flags=flags, line=number)
        entries.append(entry)
        flags = set()
        return entry

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~") or line.startswith("#|"):
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if entry is None or target is None:
                raise ValueError(f"{path}:{number}: continuation line outside an entry")
            name, index = target
            text = _unquote(line, path, number)
            if name == "msgstr":
                entry.msgstr[index] += text
            else:
                setattr(entry, name, getattr(entry, name) + text)
            continue
        keyword, _, value = line.partition(" ")
        text = _unquote(value, path, number)
        if keyword == "msgctxt":
            entry = start(number)
            entry.msgctxt, target = text, ("msgctxt", None)
        elif keyword == "msgid":
            if entry is None or entry.msgctxt is None or entry.msgid or entry.msgstr:
                entry = start(number)
            entry.msgid, target = text, ("msgid", None)
        elif keyword == "msgid_plural":
            entry.msgid_plural, target = text, ("msgid_plural", None)
        elif match := re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword):
            index = int(match.group(1) or 0)
            entry.msgstr[index], target = text, ("msgstr", index)
        else:
            raise ValueError(f"{path}:{number}: unexpected line {raw!r}")
    return entries


def messages(path: Path = PO_PATH) -> list[Entry]:
    return [entry for entry in parse_po(path) if not entry.is_header]


def placeholders(text: str) -> set[str]:
    python = {f"%({m.group('name')})" for m in _PYTHON_PLACEHOLDER.finditer(text)}
    template = {"{{ " + m.group("name").strip() + " }}" for m in _TEMPLATE_PLACEHOLDER.finditer(text)}
    return python | template


def test_the_catalogue_and_its_compiled_form_exist():
    assert PO_PATH.is_file(), "run: manage.py " + " ".join(MAKEMESSAGES)
    assert MO_PATH.is_file(), "run: manage.py compilemessages --ignore=.venv"
    assert len(messages()) > 0


def test_the_header_is_final_and_declares_french_plurals():
    header = parse_po(PO_PATH)[0]
    assert header.is_header
    assert not header.is_fuzzy, "a fuzzy header is dropped by msgfmt, and the plural forms with it"
    assert "Language: fr\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=" in header.msgstr[0]


def test_every_entry_is_translated_and_not_fuzzy():
    problems = [f"untranslated {entry}" for entry in messages() if not entry.is_translated]
    problems += [f"fuzzy {entry}" for entry in messages() if entry.is_fuzzy]
    assert not problems, "\n".join(problems)


def test_translations_keep_the_placeholders_of_their_msgid():
    problems = []
    for entry in messages():
        for index, msgstr in entry.msgstr.items():
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if msgstr and placeholders(msgstr) != placeholders(source):
                problems.append(
                    f"{entry} msgstr[{index}]: {sorted(placeholders(msgstr))} != {sorted(placeholders(source))}"
                )
    assert not problems, "\n".join(problems)


def test_placeholder_detection():
    assert placeholders("Page %(number)s of %(count)s") == {"%(number)", "%(count)"}
    assert placeholders("Page {{ number }} sur {{count}}") == {"{{ number }}", "{{ count }}"}
    assert placeholders("100 % des dépenses, 20 %") == set()


class _Missing(gettext.NullTranslations):
    """Fallback that makes a message absent from the .mo visible, even when msgstr equals msgid."""

    MARK = "\x00missing from the .mo\x00"

    def gettext(self, message):
        return self.MARK

    def ngettext(self, msgid1, msgid2, n):
        return self.MARK

    def pgettext(self, context, message):
        return self.MARK

    def npgettext(self, context, msgid1, msgid2, n):
        return self.MARK


def test_the_compiled_catalogue_is_up_to_date_with_the_po():
    with MO_PATH.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    compiled.add_fallback(_Missing())
    problems = []
    for entry in messages():
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = compiled.gettext(entry.msgid)
            else:
                got = compiled.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr.get(0):
                problems.append(f"{entry}: .mo has {got!r}, .po has {entry.msgstr.get(0)!r}")
            continue
        for n in (1, 2):
            if entry.msgctxt is None:
                got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            expected = entry.msgstr.get(compiled.plural(n))
            if got != expected:
                problems.append(f"{entry} (n={n}): .mo has {got!r}, .po has {expected!r}")
    assert not problems, "recompile with `manage.py compilemessages --ignore=.venv`:\n" + "\n".join(problems)


STATE_LABELS = {
    DossierState.DRAFT: "Brouillon",
    DossierState.SUBMITTED: "Déposé",
    DossierState.INCOMPLETE: "Incomplet",
    DossierState.ADMISSIBLE: "Recevable",
    DossierState.INADMISSIBLE: "Irrecevable",
    DossierState.UNDER_REVIEW: "En instruction",
    DossierState.REVIEWED: "Instruit",
    DossierState.SCHEDULED: "Inscrit à l'ordre du jour",
    DossierState.APPROVED: "Attribué (voté)",
    DossierState.REJECTED: "Refusé",
    DossierState.NOTIFIED: "Notifié",
    DossierState.AGREEMENT_SIGNED: "Convention signée",
    DossierState.IN_PAYMENT: "En paiement",
    DossierState.PAID: "Soldé",
    DossierState.CLOSED: "Clôturé",
    DossierState.WITHDRAWN: "Retiré",
    DossierState.LAPSED: "Caduc",
}
ROLE_LABELS = {
    Role.SPONSOR: "Porteur de projet",
    Role.OFFICER: "Chargé de mission territorial",
    Role.COMMITTEE_SECRETARY: "Gestionnaire des séances",
    Role.COMMITTEE_MEMBER: "Élu de la Commission permanente",
    Role.FINANCE: "Service des finances",
    Role.ADVISER: "Service consulté (avis)",
    Role.REPRESENTATIVE: "Élu du territoire",
    Role.ADMINISTRATOR: "Administrateur",
}


def test_french_is_served_from_the_catalogue():
    with translation.override("fr"):
        assert translation.gettext("Draft") == "Brouillon"
    with translation.override("en"):
        assert translation.gettext("Draft") == "Draft"


@pytest.mark.parametrize("choices", [DossierState, Role], ids=["states", "roles"])
def test_every_state_and_role_label_is_translated(choices):
    with translation.override("en"):
        english = {member: str(member.label) for member in choices}
    with translation.override("fr"):
        french = {member: str(member.label) for member in choices}
    untranslated = [english[member] for member in choices if french[member] == english[member]]
    assert not untranslated, f"labels still in English under French: {untranslated}"


def test_state_and_role_labels_use_the_region_s_vocabulary():
    assert set(STATE_LABELS) == set(DossierState), "a state was added or removed: give it its French label here"
    assert set(ROLE_LABELS) == set(Role), "a role was added or removed: give it its French label here"
    with translation.override("fr"):
        assert {state: str(state.label) for state in DossierState} == STATE_LABELS
        assert {role: str(role.label) for role in Role} == ROLE_LABELS


@pytest.fixture(scope="module")
def regenerated_catalogue(tmp_path_factory) -> list[Entry]:
    """What makemessages produces from the current code, run on a copy of the tree so that the
    committed catalogue is left untouched; the copy's catalogue starts as the committed one."""
    copy = tmp_path_factory.mktemp("i18n") / "project"
    shutil.copytree(
        BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "var", "tests", "__pycache__", "*.pyc", ".ruff_cache", ".pytest_cache", "test-results"
        ),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    return messages(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po")


_NO_GETTEXT = any(shutil.which(tool) is None for tool in GETTEXT_TOOLS)
needs_gettext = pytest.mark.skipif(_NO_GETTEXT, reason="makemessages needs GNU gettext (xgettext, msgmerge...)")


@needs_gettext
def test_every_string_of_the_code_is_in_the_catalogue(regenerated_catalogue):
    committed = {entry.key for entry in messages()}
    missing = [str(entry) for entry in regenerated_catalogue if entry.key not in committed]
    assert not missing, (
        "strings of the code missing from locale/fr/LC_MESSAGES/django.po; run `manage.py "
        + " ".join(MAKEMESSAGES)
        + "`, translate them, then compilemessages:\n"
        + "\n".join(missing)
    )


@needs_gettext
def test_the_catalogue_has_no_string_the_code_no_longer_uses(regenerated_catalogue):
    used = {entry.key for entry in regenerated_catalogue}
    stale = [str(entry) for entry in messages() if entry.key not in used]
    assert not stale, (
        "entries of locale/fr/LC_MESSAGES/django.po no longer used by the code; run `manage.py "
        + " ".join(MAKEMESSAGES)
        + "` then compilemessages:\n"
        + "\n".join(stale)
    )
