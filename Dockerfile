# The Hub gate (`ailiance-audit serve`, docs/hub-gate.md) as a container: any container host, or a
# Hugging Face Docker Space (which runs the image as user 1000 and routes to port 7860).
#
#   docker build -t ailiance-gate .
#   docker run -p 7860:7860 -v gate-data:/data -e HF_TOKEN=hf_... -e WEBHOOK_SECRET=... ailiance-gate
#
# Extra arguments go to `ailiance-audit serve` (e.g. --policy strict --fail-on warning
# --config /data/gate.yaml). The job table and the Hub caches live in /data: mount a volume
# (or enable persistent storage on a Space) so queued jobs survive a restart.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HOME=/data/hf-home \
    HF_HUB_DISABLE_TELEMETRY=1

RUN useradd --create-home --uid 1000 gate \
    && mkdir -p /data \
    && chown gate:gate /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY auditor ./auditor
RUN pip install --no-cache-dir . \
    && ailiance-audit --version

USER gate
VOLUME ["/data"]
EXPOSE 7860

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:7860/healthz', timeout=4).status != 200)"

ENTRYPOINT ["ailiance-audit", "serve", "--host", "0.0.0.0", "--port", "7860", "--db", "/data/gate.sqlite3"]
CMD []
