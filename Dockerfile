# realtime-conformance: the conformance suite and the mock server, installed from the wheel.
#
#   docker build -t realtime-conformance .
#
# Run the suite (the default command; against the reference client unless told otherwise),
# keeping the reports on the host (as your user, so that you own them):
#
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD/reports:/work/reports" realtime-conformance
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD/reports:/work/reports" \
#       realtime-conformance run --case '5.*' --strict
#
# A client of your own: build an image FROM this one that adds it, then
#   ... run --client-cmd "node /app/shim.mjs"   or   ... run --connector-cmd "python bridge.py"
#
# Serve the mock (listen on every interface inside the container; the ready line prints the URL
# to give your client, e.g. OPENAI_BASE_URL / websocket_base_url = ws://127.0.0.1:8080/v1):
#
#   docker run --rm -p 8080:8080 realtime-conformance serve --host 0.0.0.0 --port 8080
#
# Every other command: `docker run --rm realtime-conformance --help`.

FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /dist/ /tmp/dist/
RUN python -m pip install --no-cache-dir /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && useradd --create-home --uid 10001 conformance \
    && install -d -o conformance /work
USER conformance
# Reports go to ./reports/<run-id>/ (mount a volume here to keep them).
WORKDIR /work
EXPOSE 8080
ENTRYPOINT ["realtime-conformance"]
CMD ["run"]
