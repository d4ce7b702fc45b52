# jobrunner: the daemon and command line, built on Debian 12 and run on its slim image.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config libsqlite3-dev libsqlitecpp-dev nlohmann-json3-dev \
      libspdlog-dev libcli11-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DJOBRUNNER_BUILD_TESTS=OFF \
 && cmake --build build --target jobrunner_cli \
 && strip build/tools/jobrunner

FROM debian:bookworm-slim
# Only the shared libraries the binary links (SQLiteCpp and the header-only ones are built in).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libspdlog1.10 libfmt9 libcpp-httplib0.11 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/tools/jobrunner /usr/local/bin/jobrunner
ENV JOBRUNNER_DB=/data/jobrunner.db
VOLUME /data
EXPOSE 8080
# Exec form: jobrunner is PID 1 and receives Fly's SIGTERM itself (a shell would not pass it on).
ENTRYPOINT ["/usr/local/bin/jobrunner"]
CMD ["run", "--migrate", "--grace", "4m40s", "--http", "0.0.0.0:8080", "--log-format", "json"]
