"""Engine benchmark (not a test): loop overhead, memory, fast-vs-seed wall time, and on GPU the bf16 FLOP-peak fraction.

    PYTHONPATH=. python3 bench/bench_engine.py                     # everything, default sizes (CPU: several minutes)
    PYTHONPATH=. python3 bench/bench_engine.py --quick             # small sizes, short runs, no 2048 px step
    PYTHONPATH=. python3 bench/bench_engine.py --device cuda --batch 8

Needs only torch, torchvision and Pillow. Prints markdown tables on stdout (copy them into bench/RESULTS.md).
Sections:
  1. ms per iteration of the engine's whole loop (fast = per-sample L-BFGS, seed = Adam) beside a bare VGG19
     forward+backward (to the input, up to relu5_1) at each size, and the loop overhead over the bare pass;
  2. peak memory per size (CPU: peak RSS of a fresh process per size, incl. one step at 2048 px; GPU: peak allocated);
  3. fast / seed: seed preset for --seed-steps at --ratio-size, then fast; the time fast needs to reach the seed's
     final objective, divided by the seed's wall time;
  4. GPU only: achieved bf16 TFLOP/s and fraction of the peak at 512 px, single and batched.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
import torch.nn.functional as F

import engine
from engine._device import ALL_LAYERS, SHALLOW_LAYERS, get_model, use_bf16
from engine._presets import FAST, SEED, Scale
from engine._run import Job, optimise
from engine._vgg import VGGFeatures, vgg19_layer_spec
from engine._weights import load_weights

PEAK_TFLOPS = {"H100 PCIe": 756.0, "H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "4090": 165.0}


def models(weights: str, device: str) -> Callable[[bool], VGGFeatures]:
    loaded, bf16 = load_weights(weights), use_bf16(device)
    return lambda shallow: get_model(loaded, "max", device, bf16, SHALLOW_LAYERS if shallow else ALL_LAYERS)


def image(h: int, w: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    base = torch.rand(1, 3, max(2, h // 8), max(2, w // 8), generator=gen)
    return F.interpolate(base, size=(h, w), mode="bilinear", align_corners=False).clamp(0, 1)


def vgg_flops(h: int, w: int) -> float:
    """FLOPs of one iteration up to relu5_1: conv forward + input-gradient backward, plus the Gram matrices (x3)."""
    total, hh, ww = 0.0, h, w
    for kind, cin, cout in vgg19_layer_spec(29):
        if kind == "pool":
            hh, ww = hh // 2, ww // 2
        elif kind == "conv":
            total += 2 * 2 * cin * cout * 9 * hh * ww
    grams = [(64, 1), (128, 2), (256, 4), (512, 8), (512, 16)]
    total += sum(3 * 2 * d * d * (h // s) * (w // s) for d, s in grams)
    return total


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def job(hw: tuple[int, int], steps: int, seed: int = 0, preset: str = "fast") -> Job:
    params = engine.StyleParams(preset=preset, seed=seed)  # type: ignore[arg-type]
    return Job(seed, image(*hw, seed=seed + 1), [image(*hw, seed=seed + 100)], params, (1.0,), [Scale(hw, steps)])


def loop_ms(hw: tuple[int, int], iters: int, device: str, weights: str, preset: str = "fast", batch: int = 1) -> float:
    """ms per step of the engine's loop (timed between progress reports, so set-up is excluded)."""
    marks: list[float] = []

    def on_step(j: Job, p: engine.Progress) -> None:
        if j.index == 0:
            sync(device)
            marks.append(time.perf_counter())

    jobs = [job(hw, iters + 2, seed=i, preset=preset) for i in range(batch)]
    optimise(models(weights, device), jobs, FAST if preset == "fast" else SEED, device, use_bf16(device), on_step)
    steps = sorted(b - a for a, b in itertools.pairwise(marks[1:]))
    return 1000 * steps[len(steps) // 2]  # the median step: robust to other work on a shared machine


def bare_ms(hw: tuple[int, int], iters: int, device: str, weights: str, batch: int = 1) -> float:
    bf16 = use_bf16(device)
    model = get_model(load_weights(weights), "max", device, channels_last=bf16)
    x = torch.rand(batch, 3, *hw, device=device)
    if bf16:
        x = x.contiguous(memory_format=torch.channels_last)
    times = []
    for _ in range(iters + 1):
        sync(device)
        start = time.perf_counter()
        xg = x.detach().requires_grad_(True)
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            loss = sum(f.float().mean() for f in model(xg))
        torch.autograd.grad(loss, xg)
        sync(device)
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times[1:])[len(times[1:]) // 2]


def shape_for(short: int) -> tuple[int, int]:
    return short, short * 4 // 3


def probe(short: int, steps: int, device: str, weights: str) -> dict[str, float]:
    """Run in a fresh process: one L-BFGS scale of `steps` at `short` px; peak memory in MiB."""
    hw = shape_for(short)
    model = models(weights, device)
    model(False)
    j = job(hw, steps)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    optimise(model, [j], FAST, device, use_bf16(device), lambda _j, _p: None)
    sync(device)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else 0.0
    return {"short": short, "w": hw[1], "h": hw[0], "steps": steps, "seconds": seconds, "base_rss_mib": base,
            "peak_rss_mib": peak, "peak_gpu_mib": gpu}  # fmt: skip


def memory_table(sizes: list[int], big: int | None, device: str, weights: str) -> list[str]:
    rows = ["| size (h x w) | steps | s/step | peak RSS MiB (process) | RSS before loop MiB | peak GPU MiB |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    plan = [(s, 3) for s in sizes] + ([(big, 1)] if big else [])
    for short, steps in plan:
        cmd = [sys.executable, __file__, "--_probe", str(short), "--_probe-steps", str(steps), "--device", device,
               "--weights", weights, "--threads", str(torch.get_num_threads())]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
        if out.returncode != 0:
            rows.append(f"| {short} | {steps} | failed: {out.stderr.strip().splitlines()[-1:]} | | | |")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(f"| {r['h']} x {r['w']} | {steps} | {r['seconds'] / steps:.2f} | {r['peak_rss_mib']:.0f} | "
                    f"{r['base_rss_mib']:.0f} | {r['peak_gpu_mib']:.0f} |")  # fmt: skip
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def speed_table(sizes: list[int], iters: int, device: str, weights: str) -> list[str]:
    rows = ["| size (h x w) | bare VGG19 fwd+bwd ms | fast loop ms/iter | overhead | seed loop ms/iter | overhead |"
            " bare GFLOP/s |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for short in sizes:
        hw = shape_for(short)
        bare = bare_ms(hw, iters, device, weights)
        fast = loop_ms(hw, iters, device, weights, "fast")
        seed = loop_ms(hw, iters, device, weights, "seed")
        gflops = vgg_flops(*hw) / bare / 1e6
        rows.append(f"| {hw[0]} x {hw[1]} | {bare:.1f} | {fast:.1f} | {100 * (fast / bare - 1):+.1f} % | {seed:.1f} | "
                    f"{100 * (seed / bare - 1):+.1f} % | {gflops:.0f} |")  # fmt: skip
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def ratio_table(short: int, seed_steps: int, device: str, weights: str) -> list[str]:
    """The seed preset for `seed_steps`, then fast with the same images; time for fast to reach seed's objective."""
    hw = (short, short * 4 // 3)
    content, style = image(*hw, seed=1), image(*hw, seed=2)
    seed_params = engine.StyleParams(preset="seed", size=short, steps=seed_steps, device=device)
    seed_res = engine.stylize(content, [style], seed_params, weights=weights)
    seed_obj = engine.seed_objective(seed_res.image, content, [style], weights=weights, device=device)
    rows = ["| preset | steps | wall s | seed objective of output | time to seed's objective s | ratio to seed |",
            "|---|---|---|---|---|---|",
            f"| seed (Adam lr 0.003) | {seed_res.steps} | {seed_res.seconds:.2f} | {seed_obj:.4g} | "
            f"{seed_res.seconds:.2f} | 1 |"]  # fmt: skip
    for steps in (None, 40, 80, 120):
        marks: list[tuple[float, float, int, bool]] = []
        params = engine.StyleParams(preset="fast", size=short, steps=steps, device=device)

        def note(p: engine.Progress, m: list[tuple[float, float, int, bool]] = marks) -> None:
            m.append((p.elapsed, p.loss, p.scale, p.warmup))

        res = engine.stylize(content, [style], params, weights=weights, on_progress=note)
        obj = engine.seed_objective(res.image, content, [style], weights=weights, device=device)
        last_scale = marks[-1][2]
        reach = next((t for t, loss, s, w in marks if s == last_scale and not w and loss <= seed_obj), None)
        reach_s = res.seconds if obj <= seed_obj and reach is None else reach
        cell = f"{reach_s:.3f}" if reach_s is not None else "not reached"
        ratio = f"1/{seed_res.seconds / reach_s:.0f}" if reach_s else "-"
        name = f"fast ({'default ' if steps is None else ''}{res.steps} steps)"
        rows.append(f"| {name} | {res.steps} | {res.seconds:.3f} | {obj:.4g} | {cell} | {ratio} |")
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def gpu_table(device: str, batch: int, iters: int, weights: str, peak: float | None) -> list[str]:
    name = torch.cuda.get_device_name(device)
    if peak is None:
        peak = next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    hw = (512, 512)
    rows = [f"GPU: {name}; bf16 dense peak {peak} TFLOP/s; {vgg_flops(*hw) / 1e9:.0f} GFLOP per 512x512 iteration",
            "", "| mode | batch | ms/iter | TFLOP/s | fraction of bf16 peak |", "|---|---|---|---|---|"]  # fmt: skip
    for label, b in (("single", 1), ("batched", batch)):
        for what, ms in (("bare fwd+bwd", bare_ms(hw, iters, device, weights, b)),
                         ("engine loop", loop_ms(hw, iters, device, weights, "fast", b))):  # fmt: skip
            tflops = vgg_flops(*hw) * b / ms / 1e9
            frac = f"{100 * tflops / peak:.0f} %" if peak else "?"
            rows.append(f"| {label} {what} | {b} | {ms:.1f} | {tflops:.0f} | {frac} |")
            print(rows[-1], file=sys.stderr, flush=True)
    return rows


def bf16_check(device: str, weights: str) -> str:
    """bf16 autocast must still make the loss fall (it changes the numerics of the VGG pass)."""
    losses: list[float] = []
    params = engine.StyleParams(size=256, steps=20, device=device)
    engine.stylize(image(256, 320, 1), [image(256, 256, 2)], params, weights=weights,
                   on_progress=lambda p: losses.append(p.loss))  # fmt: skip
    return f"bf16 autocast on {device}: loss {losses[0]:.4g} -> {losses[-1]:.4g} over {len(losses)} steps"


def machine(device: str) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = f", GPU {torch.cuda.get_device_name(device)}" if device.startswith("cuda") else ""
    return (f"{cpu} ({os.cpu_count()} cores, torch {torch.get_num_threads()} threads){gpu}; python "
            f"{platform.python_version()}, torch {torch.__version__}")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps (default auto)")
    p.add_argument("--weights", default="random", help="random (default; speed does not depend on the values), "
                   "imagenet or a vgg19 state-dict path; the fast/seed ratio is weight-dependent")  # fmt: skip
    p.add_argument("--sizes", default="128,256,512", help="short sides for the speed and memory tables")
    p.add_argument("--iters", type=int, default=10, help="timed iterations per measurement (default 10)")
    p.add_argument("--big", type=int, default=2048, help="one extra memory probe at this short side (0 = skip)")
    p.add_argument("--ratio-size", type=int, default=96, help="short side for fast/seed (default 96: 128x96)")
    p.add_argument("--seed-steps", type=int, default=2400, help="seed preset steps for the ratio (default 2400)")
    p.add_argument("--batch", type=int, default=8, help="GPU batched measurement batch size (default 8)")
    p.add_argument("--peak-tflops", type=float, default=None, help="bf16 dense peak of the GPU (else from its name)")
    p.add_argument("--skip", default="", help="comma list of sections to skip: speed,memory,ratio,gpu")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--quick", action="store_true", help="sizes 64,128; 3 iters; no big probe; 240 seed steps")
    p.add_argument("--_probe", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_probe-steps", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.iters, args.big, args.seed_steps = "64,128", 3, 0, 240
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = engine.resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args._probe is not None:
        print(json.dumps(probe(args._probe, args._probe_steps, device, args.weights)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    skip = {s.strip() for s in args.skip.split(",")}
    out = [f"## Engine benchmark on {device}", "", f"Machine: {machine(device)}; weights: {args.weights}", ""]
    if "speed" not in skip:
        out += ["### ms per iteration: whole loop vs bare VGG19 forward+backward", "",
                *speed_table(sizes, args.iters, device, args.weights), ""]  # fmt: skip
    if "memory" not in skip:
        big = args.big or None
        out += ["### Peak memory per size (fresh process per size; L-BFGS history adds at most 2 GiB)", "",
                *memory_table(sizes, big, device, args.weights), ""]  # fmt: skip
    if "ratio" not in skip:
        out += [f"### fast vs seed at {args.ratio_size * 4 // 3}x{args.ratio_size} ({args.seed_steps} seed steps)",
                "", *ratio_table(args.ratio_size, args.seed_steps, device, args.weights), ""]  # fmt: skip
    if device.startswith("cuda") and "gpu" not in skip:
        out += ["### bf16 FLOP-peak fraction at 512x512", "",
                *gpu_table(device, args.batch, args.iters, args.weights, args.peak_tflops), "",
                bf16_check(device, args.weights), ""]  # fmt: skip
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
