"""delivery's error types (its `__all__` and each module's are checked for every package by tests/test_exports.py)."""

from __future__ import annotations

import delivery


def test_errors_are_stylebot_errors_with_retryable_as_a_type() -> None:
    from foundation import StylebotError

    assert issubclass(delivery.DeliveryError, StylebotError)
    assert issubclass(delivery.RateLimited, delivery.RetryableDeliveryError)
    assert issubclass(delivery.MissingPermissions, delivery.PermanentDeliveryError)
    expired = delivery.InteractionExpired  # neither: it only switches to the channel path
    assert not issubclass(expired, delivery.PermanentDeliveryError | delivery.RetryableDeliveryError)
    assert str(delivery.TargetGone()) == "The channel, thread or message to post in no longer exists."
