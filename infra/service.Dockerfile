# The image of every Cloud Run service (docs/deploy.md, Service images), built by cloudbuild/plan.yaml with the
# unpacked bundle as its context (infra/bundle.py: main.py, functions/, bloom/, requirements.txt, functions.json),
# so a service runs the very files the functions deploy from. Terraform sets the command from the manifest
# (`uvicorn <module>:<app>`, terraform/cloud_run.tf); none is written here. This file is part of each service's
# closure hash (closures.json), which tags the image: changing it rebuilds every service image.
#
# The base is the Python of every build step (cloudbuild.yaml, cloudbuild/plan.yaml), slim: no compilers, no
# package manager caches (tests/unit/test_service_image.py holds the versions together).
FROM python:3.11.11-slim-bookworm

# Cloud Run sends SIGTERM and reads logs from stdout: unbuffered, so the last lines before a shutdown are not lost.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/srv/bundle

WORKDIR /srv/bundle

# The runtime dependencies only (no dev packages), before the code: a code change reuses this layer.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The code, compiled ahead (cold start is a product metric), owned by root: read-only to the user it runs as.
COPY . ./
RUN python -m compileall -q . \
    && useradd --system --no-create-home --shell /usr/sbin/nologin --uid 10001 bloom

# checkov:skip=CKV_DOCKER_2:Cloud Run ignores HEALTHCHECK; it probes the container's port (startup probe) itself.
USER 10001
