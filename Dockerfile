# syntax=docker/dockerfile:1
# stylebot: one image for both roles. `docker run IMAGE bot`, `docker run IMAGE engine` (or `run` for both).
# Stages: `build` installs stylebot into a venv, `weights` bakes VGG19 into the torch hub cache, and the final
# stage copies only those two trees onto a slim Python base (no compilers, no pip cache) and runs as a non-root user.
# CUDA: the torch wheels from PyPI bundle the CUDA runtime; the host needs only the NVIDIA driver and the NVIDIA
# container toolkit. For a CPU-only image pass --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX_URL=https://pypi.org/simple
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch first, in its own layer: it is by far the largest download and changes least often (pins as in pyproject.toml)
RUN pip install --index-url "${TORCH_INDEX_URL}" --extra-index-url https://pypi.org/simple \
        torch==2.14.1 torchvision==0.29.1
WORKDIR /src
# .dockerignore is an allow-list: this copies pyproject.toml, README.md and the Python packages, nothing else
COPY . ./
RUN pip install . \
    && stylebot --help > /dev/null

FROM build AS weights
# Fetched once at build time (hash-checked by torch.hub) so containers start without network access.
ENV TORCH_HOME=/opt/torch
RUN stylebot weights download \
    && test -s /opt/torch/hub/checkpoints/vgg19-dcbb9e9d.pth

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="stylebot" \
      org.opencontainers.image.description="Self-hosted Discord bot for neural style transfer (VGG19) with a durable job queue"
RUN groupadd --system --gid 10001 stylebot \
    && useradd --system --uid 10001 --gid stylebot --home-dir /home/stylebot --create-home stylebot \
    && mkdir -p /data \
    && chown stylebot:stylebot /data
COPY --from=build /opt/venv /opt/venv
COPY --from=weights /opt/torch /opt/torch
COPY docker/healthcheck.py /opt/stylebot/healthcheck.py
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TORCH_HOME=/opt/torch \
    STYLEBOT_WEIGHTS=imagenet \
    STYLEBOT_DATA_DIR=/data \
    STYLEBOT_METRICS_HOST=0.0.0.0 \
    STYLEBOT_BOT_METRICS_PORT=9101 \
    STYLEBOT_ENGINE_METRICS_PORT=9102
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9101 9102
# Passes when every metrics port that answers says 200 on /healthz and at least one answers (the bot, the engine,
# or both under `run`); `python healthcheck.py bot|engine` checks one role. Python's urllib, so no curl is needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "/opt/stylebot/healthcheck.py"]
ENTRYPOINT ["stylebot"]
CMD ["run"]
