# One image for every BizOSaaS service; the command picks which one runs:
#   podman run bizosaas auth-service      (= bizosaas serve auth-service)
# Configuration comes from the environment only (see the README's configuration table).
# BASE is any Debian-like image with python3 (3.11+) and python3-venv; the default is the
# usual public Python image.
ARG BASE=docker.io/library/python:3.11-slim-bookworm

# -- build: the front-end files and the project, into a virtualenv ------------------------
FROM ${BASE} AS build
# Only for this stage: where pip and npm find their certificate authorities, when the
# network in between re-signs TLS (pass them as build arguments; unset, the defaults).
ARG PIP_CERT
ARG NPM_CONFIG_CAFILE
ARG PIP_INDEX_URL
ARG NPM_CONFIG_REGISTRY
RUN command -v npm >/dev/null \
    || (apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm \
        && rm -rf /var/lib/apt/lists/*)
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY pyproject.toml README.md ./
COPY src ./src
RUN mkdir -p src/bizosaas/web/static/vendor \
    && cp node_modules/htmx.org/dist/htmx.min.js node_modules/chart.js/dist/chart.umd.min.js \
          src/bizosaas/web/static/vendor/ \
    && python3 -m venv /opt/bizosaas \
    && /opt/bizosaas/bin/pip install --no-cache-dir --disable-pip-version-check . \
    && /opt/bizosaas/bin/pip uninstall --yes --quiet pip
# (pip compiled every module: the image is larger, but ten services start without
# compiling their imports each time.)

# -- the image: the virtualenv alone, as a user without privileges ------------------------
FROM ${BASE}
COPY --from=build /opt/bizosaas /opt/bizosaas
ENV PATH=/opt/bizosaas/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BIZOSAAS_ENVIRONMENT=production \
    BIZOSAAS_LOG_JSON=true
USER 10001:10001
EXPOSE 8002
# The gateway's check; compose gives each service its own (`bizosaas health --port N`).
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 \
    CMD ["bizosaas", "health", "--port", "8002"]
ENTRYPOINT ["bizosaas", "serve"]
CMD ["brain-gateway"]
