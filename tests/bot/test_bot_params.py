"""Request options → engine parameters under a server's policy; the buttons' derived parameters."""

from __future__ import annotations

import pytest

from bot import BotConfig
from bot._params import Options, build_params, derive_params
from bot._policy import Policy
from bot.errors import PresetNotAllowed
from engine.budget import PRESET_STEPS, default_total_steps
from jobqueue import GuildSettings


def _policy(**guild: object) -> Policy:
    return Policy.build(BotConfig(max_size=512), GuildSettings(guild_id=1, **guild))  # type: ignore[arg-type]


def test_size_is_clamped_to_the_stricter_of_the_bot_and_server_caps_with_a_note() -> None:
    params, notes = build_params(Options(size=900), default_size=256, policy=_policy(max_size=300))
    assert params["size"] == 300 and notes == ["Size 900 px is above the limit here; using 300 px."]
    params, notes = build_params(Options(size=900), default_size=256, policy=_policy())
    assert params["size"] == 512 and notes


def test_default_size_and_step_cap_and_random_seed() -> None:
    params, notes = build_params(Options(), default_size=256, policy=_policy(max_steps=8))
    assert params["size"] == 256 and params["steps"] == 8 and notes == []
    seeds = {build_params(Options(), default_size=256, policy=_policy())[0]["seed"] for _ in range(5)}
    assert len(seeds) > 1
    assert build_params(Options(seed=9), default_size=256, policy=_policy())[0]["seed"] == 9


def test_a_step_cap_only_ever_lowers_the_steps() -> None:
    """A cap above the preset's own total (fast at 256 px: 130 steps) leaves it alone; it never raises it."""
    fast = default_total_steps("fast", 256)
    assert fast is not None and fast > 40
    assert build_params(Options(), default_size=256, policy=_policy(max_steps=fast + 100))[0]["steps"] is None
    assert build_params(Options(), default_size=256, policy=_policy(max_steps=fast))[0]["steps"] is None
    assert build_params(Options(), default_size=256, policy=_policy())[0]["steps"] is None
    assert build_params(Options(), default_size=256, policy=_policy(max_steps=fast - 1))[0]["steps"] == fast - 1
    seed = build_params(Options(preset="seed"), default_size=256, policy=_policy(max_steps=500))[0]
    assert seed["steps"] == 500  # seed runs 2400 by default
    small = build_params(Options(size=64), default_size=256, policy=_policy(max_steps=100))[0]
    assert small["steps"] is None  # fast at 64 px runs one scale (60 steps): a cap of 100 is no reason to run more
    parent = {"preset": "fast", "size": 256, "strength": 1.0, "seed": 5, "steps": 12}
    assert derive_params(parent, "reroll", _policy(max_steps=40))["steps"] == 12  # the parent's, not raised
    assert derive_params(parent, "reroll", _policy(max_steps=6))["steps"] == 6  # today's cap lowers it
    assert derive_params({**parent, "steps": None}, "weaker", _policy(max_steps=10_000))["steps"] is None
    assert derive_params({**parent, "steps": None}, "weaker", _policy(max_steps=50))["steps"] == 50


@pytest.mark.parametrize("side", [32, 64, 95, 96, 150, 191, 192, 256, 383, 384, 512, 768, 1024, 2048])
@pytest.mark.parametrize("preset", ["fast", "seed"])
def test_the_torch_free_preset_steps_match_the_engines_schedule(preset: str, side: int) -> None:
    from engine import StyleParams
    from engine._presets import PRESETS, schedule

    assert set(PRESETS) == set(PRESET_STEPS)
    scales = schedule(StyleParams(preset=preset, size=side), (side, side + side // 3))  # type: ignore[arg-type]
    assert default_total_steps(preset, side) == sum(s.steps + s.warmup for s in scales)


def test_a_preset_the_server_turned_off_is_refused() -> None:
    with pytest.raises(PresetNotAllowed) as info:
        build_params(Options(preset="seed"), default_size=256, policy=_policy(allowed_presets=("fast",)))
    assert info.value.allowed == ("fast",)


def test_stronger_weaker_and_reroll_derive_from_the_parent() -> None:
    parent = {"preset": "fast", "size": 256, "strength": 1.0, "seed": 5, "notes": ["old note"]}
    policy = _policy()
    assert derive_params(parent, "stronger", policy)["strength"] == 1.5
    assert derive_params(parent, "weaker", policy)["strength"] == pytest.approx(1 / 1.5)
    reroll = derive_params(parent, "reroll", policy)
    assert reroll["strength"] == 1.0 and "notes" not in reroll
    assert any(derive_params(parent, "reroll", policy)["seed"] != 5 for _ in range(3))
    assert derive_params({**parent, "strength": 9.0}, "stronger", policy)["strength"] == 10.0  # capped
    assert derive_params(parent, "reroll", _policy(max_size=128))["size"] == 128  # today's cap applies


def test_instant_is_offered_the_server_may_turn_it_off_and_no_step_cap_applies() -> None:
    params, _ = build_params(Options(preset="instant"), default_size=256, policy=_policy(max_steps=5))
    assert (params["preset"], params["steps"]) == ("instant", None)
    with pytest.raises(PresetNotAllowed):
        build_params(Options(preset="instant"), default_size=256, policy=_policy(allowed_presets=("fast", "seed")))


def test_the_default_preset_is_used_unless_the_server_turned_it_off() -> None:
    def preset(policy: Policy) -> str:
        return build_params(Options(), default_size=256, policy=policy, default_preset="instant")[0]["preset"]

    assert preset(_policy()) == "instant"
    assert preset(_policy(allowed_presets=("fast",))) == "fast"
