# eventsui's production image: scripts/serve-production (gunicorn with
# threaded workers) as the entrypoint, the same script `make serve-production`
# and the cluster test (tests/cluster/) run on the host. docs/deploy.md.
#
#   docker build -t eventsui .
#   docker build --build-arg 'EXTRAS=[aksk]' -t eventsui .   # AK/SK-signed projects

FROM python:3.11-slim-bookworm AS builder

ARG EXTRAS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# /app here too, so the compiled files name the paths the runtime has.
WORKDIR /app
COPY pyproject.toml README.md ./
COPY eventsui/ eventsui/
# Non-editable: the venv holds the dependencies (and a copy of the package,
# which the app folder below shadows, since settings find templates/ and
# static/ next to eventsui/: BASE_DIR is the folder that holds it).
RUN pip install --no-cache-dir "./${EXTRAS}"

COPY manage.py ./
COPY templates/ templates/
COPY static/ static/
# collectstatic imports the settings, which refuse to start without a secret
# key with debug off: a dummy for this one command, not kept in the image.
# Bytecode is compiled now because the root filesystem is read-only at run time.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret DJANGO_DEBUG=false \
        python manage.py collectstatic --noinput -v 0 \
    && python -m compileall -q eventsui manage.py


FROM python:3.11-slim-bookworm AS runtime

# A fixed numeric UID, so Kubernetes' runAsNonRoot can check it without
# reading /etc/passwd (deploy/kubernetes/deployment.yaml runs as 10001 too).
RUN groupadd --system --gid 10001 eventsui \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin eventsui

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY --from=builder /app/manage.py ./
COPY --from=builder /app/eventsui/ eventsui/
COPY --from=builder /app/templates/ templates/
COPY --from=builder /app/static/ static/
COPY --from=builder /app/staticfiles/ staticfiles/
COPY deploy/gunicorn.conf.py deploy/
COPY scripts/serve-production scripts/

# PYTHONPATH: the app folder comes first for every process (manage.py and
# gunicorn put it first anyway), so settings' BASE_DIR is /app, never the
# venv's copy of the package. TMPDIR holds gunicorn's heartbeat files and the
# metrics folder; in Kubernetes it is an emptyDir, the rest is read-only.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TMPDIR=/tmp

USER 10001:10001
EXPOSE 8000

# Liveness only (/healthz touches neither ModelArts nor the database); there
# is no curl in the slim image. Django answers 400 to a Host header outside
# DJANGO_ALLOWED_HOSTS, so the check sends the first allowed name.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; \
h = os.environ.get('DJANGO_ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.'); \
h = 'localhost' if h in ('', '*') else h; \
u.urlopen(u.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), \
headers={'Host': h}), timeout=4)"]

ENTRYPOINT ["scripts/serve-production"]
