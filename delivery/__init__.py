"""Posts progress and results to Discord through discord.py's REST pieces (torch-free, no SQL).

    from delivery import render_job, to_embed, to_view       # the bot's first status message
    from delivery import custom_ids                           # the one button custom-id scheme
    loop = DeliveryLoop(store, DiscordPoster(client), worker_id=worker.worker_id)   # inside `stylebot engine`
    await run_delivery(store, token=…, api_base=…)            # what the engine entry point calls

`delivery.testing.RecordingPoster` stands in for `DiscordPoster` in tests.
"""

from delivery import custom_ids
from delivery._discord import to_embed, to_files, to_view
from delivery._editors import EDITOR_LEASE, EditorRule, EditorStore
from delivery._files import DEFAULT_ATTACHMENT_LIMIT, attachment_limit, fit_attachment
from delivery._loop import DeliveryLoop, DeliveryStore
from delivery._poster import INTERACTION_TOKEN_LIFETIME, DiscordPoster, Poster, delivery_nonce
from delivery._render import (
    RANDOM_WEIGHTS_NOTE,
    Button,
    FilePayload,
    RenderedMessage,
    random_weights_used,
    render_job,
    result_filename,
)
from delivery._service import DEFAULT_API_BASE, configure_api_base, login_client, run_delivery
from delivery.custom_ids import JobAction, ParsedId
from delivery.errors import (
    DeliveryError,
    InteractionExpired,
    MissingPermissions,
    NoTarget,
    PayloadTooLarge,
    PermanentDeliveryError,
    RateLimited,
    RetryableDeliveryError,
    TargetGone,
)

__all__ = [
    "DEFAULT_API_BASE",
    "DEFAULT_ATTACHMENT_LIMIT",
    "EDITOR_LEASE",
    "INTERACTION_TOKEN_LIFETIME",
    "RANDOM_WEIGHTS_NOTE",
    "Button",
    "DeliveryError",
    "DeliveryLoop",
    "DeliveryStore",
    "DiscordPoster",
    "EditorRule",
    "EditorStore",
    "FilePayload",
    "InteractionExpired",
    "JobAction",
    "MissingPermissions",
    "NoTarget",
    "ParsedId",
    "PayloadTooLarge",
    "PermanentDeliveryError",
    "Poster",
    "RateLimited",
    "RenderedMessage",
    "RetryableDeliveryError",
    "TargetGone",
    "attachment_limit",
    "configure_api_base",
    "custom_ids",
    "delivery_nonce",
    "fit_attachment",
    "login_client",
    "random_weights_used",
    "render_job",
    "result_filename",
    "run_delivery",
    "to_embed",
    "to_files",
    "to_view",
]
