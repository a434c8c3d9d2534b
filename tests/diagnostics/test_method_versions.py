from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from diagnostics.enums import VulnerabilityClass
from diagnostics.models import Classification, ClassificationMethod
from diagnostics.services import current_method, method_publish, vintage_classify
from tests.diagnostics.helpers import FAVOURABLE, MIDDLE, VULNERABLE, make_diagnostic

pytestmark = pytest.mark.django_db


def test_changing_the_method_publishes_a_new_version_and_keeps_the_old_results(admin):
    vulnerable = make_diagnostic(admin, VULNERABLE, name="A")
    make_diagnostic(admin, MIDDLE, name="B")
    make_diagnostic(admin, FAVOURABLE, name="C")
    first = current_method()
    old = vintage_classify(actor=admin, vintage=2022)
    old_rows = sorted(Classification.objects.values_list("pk", "method_id", "score", "vulnerability_class"))
    assert vulnerable.classifications.get().vulnerability_class == VulnerabilityClass.STRONG

    second = method_publish(actor=admin, note="Seuil fort relevé", strong_threshold=Decimal("2"))
    assert second.version == first.version + 1
    assert (second.published_by, second.note) == (admin, "Seuil fort relevé")
    first.refresh_from_db()
    assert first.strong_threshold == Decimal("0.5")
    new = vintage_classify(actor=admin, vintage=2022)

    assert (
        sorted(
            Classification.objects.filter(pk__in=[c.pk for c in old]).values_list(
                "pk", "method_id", "score", "vulnerability_class"
            )
        )
        == old_rows
    )
    assert {c.method_id for c in old} == {first.pk}
    assert {c.method_id for c in new} == {second.pk}
    assert Classification.objects.count() == 6
    latest = vulnerable.classifications.order_by("-pk").first()
    assert (latest.method, latest.vulnerability_class) == (second, VulnerabilityClass.RELATIVE)


def test_a_published_method_and_a_classification_cannot_be_changed(admin):
    method = current_method()
    method.strong_threshold = Decimal("3")
    with pytest.raises(ValidationError):
        method.save()
    with pytest.raises(ValidationError):
        ClassificationMethod.objects.filter(pk=method.pk).update(strong_threshold=Decimal("3"))
    make_diagnostic(admin, VULNERABLE, name="A")
    make_diagnostic(admin, FAVOURABLE, name="B")
    classification = vintage_classify(actor=admin, vintage=2022)[0]
    classification = Classification.objects.get(pk=classification.pk)
    classification.vulnerability_class = VulnerabilityClass.NOT_VULNERABLE
    with pytest.raises(ValidationError):
        classification.save()


def test_a_method_whose_strong_threshold_is_not_above_the_relative_one_is_refused(admin):
    before = ClassificationMethod.objects.count()
    with pytest.raises(ValidationError):
        method_publish(actor=admin, note="x", strong_threshold=Decimal("0"), relative_threshold=Decimal("0"))
    assert ClassificationMethod.objects.count() == before


def test_the_administrator_publishes_a_version_from_the_page_prefilled_with_the_current_one(admin, client):
    client.force_login(admin)
    url = reverse("diagnostics:method_publish")
    form = client.get(url).context["form"]
    assert form.initial["strong_threshold"] == current_method().strong_threshold
    data = {name: form.initial[name] for name in form.initial}
    data.update(weight_education="2,5", note="L'éducation compte plus", relative_contract_type="attractivite")
    response = client.post(url, data)
    assert response.status_code == 302
    method = current_method()
    assert (method.version, method.weight_education, method.relative_contract_type) == (
        2,
        Decimal("2.5"),
        "attractivite",
    )
    assert client.post(url, {**data, "note": ""}).status_code == 200
    assert current_method().version == 2
