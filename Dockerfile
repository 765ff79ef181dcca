# One image for the whole project: the chat service, the fake LLM providers and the
# embedded Toxiproxy-compatible proxy. docker-compose.yml picks what runs by command:
#
#   python -m service                                   chat API (CHAT_* environment)
#   chaoslab fake openai --host 0.0.0.0 --port 9001     fake OpenAI (anthropic: 9002)
#   chaoslab toxiproxy --host 0.0.0.0 --config FILE     embedded Toxiproxy-compatible proxy
#
# Dependencies come from uv.lock only (`uv sync --frozen`); uv itself is the version pinned
# in scripts/requirements-bootstrap.txt, installed from PyPI with pip. Runs as a non-root user.
#
#   docker build -t llm-chaos-lab .
#   docker run --rm -p 127.0.0.1:8000:8000 -e CHAT_HOST=0.0.0.0 llm-chaos-lab

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# uv, at the version the rest of the project uses.
COPY scripts/requirements-bootstrap.txt /tmp/requirements-bootstrap.txt
RUN pip install --no-cache-dir "$(grep -E '^uv==' /tmp/requirements-bootstrap.txt)" \
    && rm /tmp/requirements-bootstrap.txt

# Third-party dependencies first, in their own layer: code edits do not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

# The project itself.
COPY service ./service
COPY fakes ./fakes
COPY rundir ./rundir
COPY lab ./lab
COPY scenarios ./scenarios
COPY loadtests ./loadtests
COPY reports ./reports
COPY chaoslab ./chaoslab
RUN uv sync --frozen --no-dev

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home chaoslab
USER chaoslab

ENV PATH="/app/.venv/bin:${PATH}" \
    CHAT_HOST=0.0.0.0 \
    CHAT_PORT=8000

EXPOSE 8000
STOPSIGNAL SIGTERM
# No HEALTHCHECK here: the same image runs three different servers; docker-compose.yml
# gives each its own probe.

CMD ["python", "-m", "service"]
