"""`delivery.__all__` and the modules' `__all__` match what they define (the public surface the bot relies on)."""

from __future__ import annotations

import importlib

import pytest

import delivery

MODULES = [
    "delivery._discord",
    "delivery._files",
    "delivery._loop",
    "delivery._poster",
    "delivery._render",
    "delivery._service",
    "delivery._text",
    "delivery.custom_ids",
    "delivery.errors",
    "delivery.testing",
]


def test_package_exports_resolve_and_are_unique() -> None:
    assert len(set(delivery.__all__)) == len(delivery.__all__)
    for name in delivery.__all__:
        assert getattr(delivery, name) is not None, name


@pytest.mark.parametrize("module", MODULES)
def test_module_all_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_errors_are_stylebot_errors_with_retryable_as_a_type() -> None:
    from stylebot.errors import StylebotError

    assert issubclass(delivery.DeliveryError, StylebotError)
    assert issubclass(delivery.RateLimited, delivery.RetryableDeliveryError)
    assert issubclass(delivery.MissingPermissions, delivery.PermanentDeliveryError)
    expired = delivery.InteractionExpired  # neither: it only switches to the channel path
    assert not issubclass(expired, delivery.PermanentDeliveryError | delivery.RetryableDeliveryError)
    assert str(delivery.TargetGone()) == "The channel, thread or message to post in no longer exists."
