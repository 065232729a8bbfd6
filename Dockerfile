# The executables in a Debian 12 image, built by the same scripts as CI (scripts/setup.sh, scripts/build.sh).
#   docker build -t ssd-trainer .
#   docker run --rm -p 8080:8080 -v "$PWD/runs:/runs:ro" ssd-trainer \
#       ssd-serve --checkpoint /runs/shapes --host 0.0.0.0 --port 8080
# docker compose: deploy/compose.yaml (with a health check on ssd-serve's /health). Every tool is in the image
# (ssd-train, ssd-eval, ssd-detect, ssd-serve, ssd-runs, ...).

# Stage 1: the build, exactly as a fresh Debian machine makes it (the tests are built and run by CI, not here).
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN bash scripts/setup.sh \
 && bash scripts/build.sh -DSSD_BUILD_TESTS=OFF \
 && mkdir -p /out/bin \
 && cp build/ssd-train build/ssd-eval build/ssd-detect build/ssd-serve build/ssd-export build/ssd-tune build/ssd-shapes \
       build/ssd-data build/ssd-runs /out/bin/ \
 && bash scripts/runtime_packages.sh /out/bin/* > /out/runtime-packages.txt

# Stage 2: the executables and the Debian packages of the shared libraries they load, nothing else (no compiler, no
# headers, no Python).
FROM debian:12-slim
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /out/bin/ /usr/local/bin/
COPY configs /opt/ssd/configs
WORKDIR /work
RUN useradd --system --home /work ssd && chown ssd /work
USER ssd
EXPOSE 8080
# docker stop sends SIGTERM: ssd-serve answers the requests in flight, then exits 0.
STOPSIGNAL SIGTERM
# No Python here: ssd-export --format onnx (torch.onnx.export) runs where python3-torch is, such as the build stage.
CMD ["ssd-serve", "--help"]
