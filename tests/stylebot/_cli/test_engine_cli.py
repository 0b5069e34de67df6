"""`stylebot engine`: bad arguments and an unusable database end in one line and exit 2."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from stylebot.cli import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lease-seconds", "0"], "must be greater than 0"),
        (["--poll-interval", "soon"], "is not a number"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["engine", *args])
    err = capsys.readouterr().err
    assert info.value.code == 2 and message in err and err.count("\n") == 1


def test_an_unusable_database_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    url = f"sqlite+aiosqlite:///{blocker / 'sub' / 'stylebot.db'}"
    assert main(["engine", "--db", url, "--burst", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "database" in err[-1]


def test_missing_weights_stop_the_engine_at_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}"
    missing = tmp_path / "no-such-vgg19.pth"
    assert main(["engine", "--db", url, "--burst", "--device", "cpu", "--weights", str(missing)]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "no-such-vgg19.pth" in last
    assert not (tmp_path / "stylebot.db").exists()  # nothing was touched


def test_a_too_short_progress_interval_stops_the_engine_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STYLEBOT_PROGRESS_INTERVAL", "0.2")
    url = f"sqlite+aiosqlite:///{tmp_path / 'stylebot.db'}"
    assert main(["engine", "--db", url, "--burst", "--device", "cpu"]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("error: STYLEBOT_PROGRESS_INTERVAL must be at least 1 s")
    assert not (tmp_path / "stylebot.db").exists()


async def test_the_delivery_service_edits_progress_at_the_configured_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    import delivery
    from stylebot._cli.engine import build_services
    from stylebot.settings import Settings

    seen: dict[str, object] = {}

    async def recording_run_delivery(store: object, **kwargs: object) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(delivery, "run_delivery", recording_run_delivery)
    settings = Settings.from_env({"STYLEBOT_PROGRESS_INTERVAL": "7.5", "DISCORD_TOKEN": "t"}, dotenv=None)
    worker = SimpleNamespace(worker_id="gpu-1")
    services = build_services(object(), settings.replace(engine_metrics_port=0), worker, metrics=object())
    await services[0]()
    assert seen["progress_interval"] == 7.5 and Settings().progress_interval == 3.0
    assert seen["worker_id"] == "gpu-1"  # edits only its own worker's running jobs


async def test_an_engine_whose_claims_keep_crashing_answers_healthz_503_with_the_reason() -> None:
    import aiohttp

    from jobqueue import Worker
    from jobqueue.testing import InMemoryJobStore
    from stylebot._cli.engine import engine_health
    from stylebot.ops import EngineMetrics, OpsServer
    from tests.jobqueue.test_worker import FAST, OPTIONS, submit

    async def lost_gpu(jobs: object, contexts: object) -> list[object]:
        raise RuntimeError("CUDA error: device-side assert triggered")

    store = InMemoryJobStore(OPTIONS)
    await submit(store, 4, batch_key="fast:64")
    worker = Worker(store, batch_handler=lost_gpu, batch_size=2, unhealthy_after=2, **FAST)  # type: ignore[arg-type]
    metrics = EngineMetrics()
    metrics.watch(worker)
    ops = OpsServer(
        role="engine", host="127.0.0.1", port=0, health=engine_health(store, worker), registry=metrics.registry
    )
    port = await ops.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
            await worker.run_until_idle()  # burst mode: returns once it stopped claiming
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                body = await resp.json()
                assert resp.status == 503 and body["status"] == "unhealthy"
                assert "crashed as a whole" in body["reason"] and "CUDA error" in body["reason"]
            async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
                assert "stylebot_engine_unhealthy 1.0" in await resp.text()
    finally:
        await ops.stop()


async def test_the_preview_lane_runs_beside_the_worker_unless_turned_off_or_its_model_is_unusable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from jobqueue import DeliveryTarget, NewJob, TargetKind
    from jobqueue.testing import InMemoryJobStore
    from stylebot._cli.engine import build_services
    from stylebot.settings import Settings

    on = Settings.from_env({"DISCORD_TOKEN": "t"}, dotenv=None).replace(engine_metrics_port=0)
    worker = SimpleNamespace(worker_id="e-1", device="cpu")
    assert len(build_services(object(), on, worker, metrics=object())) == 3  # delivery, retention, previews
    assert len(build_services(object(), on.replace(previews=False), worker, metrics=object())) == 2
    assert len(build_services(object(), on.replace(discord_token=None), worker, metrics=object())) == 2

    store = InMemoryJobStore()
    sha = await store.put_blob(b"not even a picture")
    target = DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=5)
    job = await store.enqueue(NewJob(user_id=1, content_sha=sha, style_shas=(sha,), params={}, target=target))
    broken = on.replace(instant_model_dir=str(tmp_path))  # no model files there
    lane = build_services(store, broken, worker, metrics=object())[2]
    await lane()  # returns at once, saying why
    assert "instant previews are off" in caplog.text and str(tmp_path) in caplog.text
    assert (await store.get(job.id)).preview_state is None  # nothing was settled without a lane
