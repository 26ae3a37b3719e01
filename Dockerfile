# syntax=docker/dockerfile:1
# cetr-bot: a slim, non-root image. `docker run IMAGE` runs `cetr-bot run`;
# `docker run IMAGE db upgrade` applies the migrations (the compose file's migrate service).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: the virtual environment, with the project installed into /app ----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /opt/venv
# Dependencies first: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir cetr_bot && touch cetr_bot/__init__.py \
    && /opt/venv/bin/pip install . \
    && /opt/venv/bin/pip uninstall --yes cetr-bot
COPY cetr_bot ./cetr_bot
COPY messages ./messages
COPY migrations ./migrations
COPY assets ./assets
# Editable: the code finds messages/, migrations/ and assets/ beside it, in /app (same path below).
RUN /opt/venv/bin/pip install --no-deps --editable . \
    && /opt/venv/bin/python -m compileall -q cetr_bot migrations

# ---- runtime ------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# The PDF pack (xhtml2pdf) embeds DejaVu Sans from /app/assets/fonts (copied above), so
# no system font package is needed. tzdata comes from PyPI.
RUN groupadd --system --gid 10001 cetr \
    && useradd --system --uid 10001 --gid cetr --home-dir /data --shell /usr/sbin/nologin cetr \
    && mkdir /data && chown cetr:cetr /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080 \
    DATABASE_URL=sqlite:////data/cetr.db
WORKDIR /data
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["cetr-bot"]
CMD ["run"]
