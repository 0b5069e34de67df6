"""Interaction-token routes: the callback, follow-ups, and reading/editing/deleting the original and follow-ups.

These need no bot token (the interaction token is the credential) and stop working 15 minutes (stand-in clock)
after the interaction was created: 401 `{"message": "Invalid Webhook Token", "code": 50027}`.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from standin._http import ApiError, json_reply, read_body
from standin._messages import apply_edit, new_message
from standin._records import EPHEMERAL, LOADING, Callback, Interaction, Message
from standin._state import State

__all__ = ["Webhooks"]

UNKNOWN_INTERACTION = (404, "Unknown interaction", 10062)
ALREADY_ACKED = (400, "Interaction has already been acknowledged.", 40060)
INVALID_TOKEN = (401, "Invalid Webhook Token", 50027)
UNKNOWN_WEBHOOK = (404, "Unknown Webhook", 10015)
UNKNOWN_MESSAGE = (404, "Unknown Message", 10008)
MESSAGE_TYPES = {2: 20, 3: 0}  # chat-input command response, component response


class Webhooks:
    def __init__(self, state: State, ack_deadline: float | None = None) -> None:
        self.state = state
        self.ack_deadline = ack_deadline

    def routes(self) -> list[web.RouteDef]:
        hook = "/webhooks/{app_id}/{token}"
        return [
            web.post("/interactions/{interaction_id}/{token}/callback", self.callback),
            web.post(hook, self.followup),
            web.get(hook + "/messages/{message_id}", self.get_message),
            web.patch(hook + "/messages/{message_id}", self.edit_message),
            web.delete(hook + "/messages/{message_id}", self.delete_message),
        ]

    # the initial response ------------------------------------------------------------------------------------------
    async def callback(self, request: web.Request) -> web.Response:
        inter = self._callback_target(request)
        body, uploads = await read_body(request)
        kind = int(body.get("type") or 0)
        data: dict[str, Any] = body.get("data") or {}
        limit = int(inter.payload.get("attachment_size_limit", self.state.upload_limit))
        message = self._respond(inter, kind, data, uploads, limit)
        inter.callbacks.append(Callback(kind, data, time.monotonic()))
        self.state.changed()
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_reply(self._callback_body(inter, kind, message))

    def _callback_target(self, request: web.Request) -> Interaction:
        token = request.match_info["token"]
        inter = self.state.interactions.get(int(request.match_info["interaction_id"]))
        if inter is None or inter.token != token or self.state.live_interaction(token) is None:
            raise ApiError(*UNKNOWN_INTERACTION)
        if inter.callbacks:
            raise ApiError(*ALREADY_ACKED)
        if self.ack_deadline is not None and time.monotonic() - inter.sent_at > self.ack_deadline:
            raise ApiError(*UNKNOWN_INTERACTION)  # what Discord answers once the 3 s window has passed
        return inter

    def _respond(
        self, inter: Interaction, kind: int, data: dict[str, Any], uploads: list, limit: int
    ) -> Message | None:
        state = self.state
        clicked = state.messages.get(inter.clicked_message_id or 0)
        if kind in (4, 5):
            asked = int(data.get("flags") or 0)
            flags = (asked & EPHEMERAL) | LOADING if kind == 5 else asked & ~LOADING
            msg = self._loading_message(inter, flags)
            if kind == 4:
                msg = new_message(
                    state,
                    inter.channel_id,
                    data,
                    uploads,
                    limit=limit,
                    flags=flags,
                    type=msg.type,
                    interaction_id=inter.id,
                    webhook_id=state.application_id,
                )
            inter.original = state.add_message(msg)
        elif kind in (6, 7):
            if clicked is None:
                raise ApiError(400, "Invalid Form Body (type: this response needs a component interaction)", 50035)
            inter.original = clicked
            if kind == 7:
                apply_edit(state, clicked, data, uploads, limit=limit)
        elif kind == 8:
            _check_choices(inter, data)
        elif kind == 9 and inter.type in (4, 5):
            raise ApiError(400, "Invalid Form Body (type: a modal cannot answer this interaction)", 50035)
        elif kind not in (9, 10, 12):
            raise ApiError(400, f"Invalid Form Body (type: Value must be one of 4-10, 12; got {kind})", 50035)
        return inter.original

    def _loading_message(self, inter: Interaction, flags: int) -> Message:
        state = self.state
        return Message(
            id=state.next_id(),
            channel_id=inter.channel_id,
            guild_id=inter.guild_id,
            author_id=state.bot_user_id,
            flags=flags,
            type=MESSAGE_TYPES.get(inter.type, 0),
            interaction_id=inter.id,
            webhook_id=state.application_id,
        )

    def _callback_body(self, inter: Interaction, kind: int, message: Message | None) -> dict[str, Any]:
        meta: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            meta.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = self.state.message_json(message)
        return {"interaction": meta, "resource": resource}

    # follow-ups and the original -----------------------------------------------------------------------------------
    def _webhook_target(self, request: web.Request) -> Interaction:
        if request.match_info["app_id"] != str(self.state.application_id):
            raise ApiError(*UNKNOWN_WEBHOOK)
        inter = self.state.live_interaction(request.match_info["token"])
        if inter is None:
            raise ApiError(*INVALID_TOKEN)
        if not inter.callbacks:
            raise ApiError(*UNKNOWN_WEBHOOK)  # no follow-ups or edits before the interaction is acknowledged
        return inter

    def _target_message(self, inter: Interaction, key: str) -> Message:
        if key == "@original":
            msg = inter.original
        else:
            wanted = int(key) if key.isdigit() else -1
            msg = next((m for m in inter.messages if m.id == wanted), None)
        if msg is None or msg.deleted:
            raise ApiError(*UNKNOWN_MESSAGE)
        return msg

    async def followup(self, request: web.Request) -> web.Response:
        """A follow-up. Right after a type-5 defer, Discord turns the first follow-up into an edit of the
        "thinking…" message, which keeps the defer's ephemeral flag (the follow-up's own flag is ignored)."""
        inter = self._webhook_target(request)
        payload, uploads = await read_body(request)
        limit = int(inter.payload.get("attachment_size_limit", self.state.upload_limit))
        original = inter.original
        if original is not None and original.loading and not original.deleted:
            msg = apply_edit(
                self.state, original, {k: v for k, v in payload.items() if k != "flags"}, uploads, limit=limit
            )
        else:
            flags = int(payload.get("flags") or 0) & ~LOADING
            body = {k: v for k, v in payload.items() if k != "flags"}
            msg = new_message(
                self.state,
                inter.channel_id,
                body,
                uploads,
                limit=limit,
                flags=flags,
                interaction_id=inter.id,
                webhook_id=self.state.application_id,
            )
            inter.followups.append(self.state.add_message(msg))
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        return json_reply(self.state.message_json(msg))

    async def get_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_target(request)
        return json_reply(self.state.message_json(self._target_message(inter, request.match_info["message_id"])))

    async def edit_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_target(request)
        msg = self._target_message(inter, request.match_info["message_id"])
        payload, uploads = await read_body(request)
        limit = int(inter.payload.get("attachment_size_limit", self.state.upload_limit))
        apply_edit(self.state, msg, payload, uploads, limit=limit)
        return json_reply(self.state.message_json(msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        inter = self._webhook_target(request)
        self.state.delete_message(self._target_message(inter, request.match_info["message_id"]))
        return web.Response(status=204)


def _check_choices(inter: Interaction, data: dict[str, Any]) -> None:
    """Type 8 answers only an autocomplete interaction, with at most 25 choices of 1-100 character names."""
    if inter.type != 4:
        raise ApiError(400, "Invalid Form Body (type: autocomplete results answer only autocomplete)", 50035)
    choices = data.get("choices") or []
    if len(choices) > 25 or any(not 1 <= len(str(c.get("name", ""))) <= 100 for c in choices):
        raise ApiError(400, "Invalid Form Body (choices: at most 25, names of 1-100 characters)", 50035)
