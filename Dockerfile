# syntax=docker/dockerfile:1
# One image for every role: `topology` (the Streams app), `simulate`, `tail`, `replay`, ...
# Build: docker build -t llm-metering .      Run: docker run --rm llm-metering --help

FROM maven:3.9.11-eclipse-temurin-17 AS build
WORKDIR /src
# Dependencies first, so source edits reuse the cached layer.
COPY pom.xml ./
COPY contract/pom.xml contract/
COPY topology/pom.xml topology/
COPY producer-sim/pom.xml producer-sim/
COPY cli/pom.xml cli/
RUN mvn -B -q -ntp dependency:go-offline -DexcludeGroupIds=dev.llmmeter || true
COPY contract/src contract/src
COPY topology/src topology/src
COPY producer-sim/src producer-sim/src
COPY cli/src cli/src
# The same packaging bin/metering runs: cli/target/classes + cli/target/lib.
RUN mvn -B -q -ntp -DskipTests package

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 metering \
 && useradd --system --uid 10001 --gid metering --home-dir /var/lib/metering --shell /usr/sbin/nologin metering \
 && mkdir -p /var/lib/metering/state && chown -R metering:metering /var/lib/metering
COPY --from=build /src/cli/target/lib /app/lib
COPY --from=build /src/cli/target/classes /app/classes
USER metering
WORKDIR /var/lib/metering
# Kafka Streams state (RocksDB) lives here; keep it on a volume so a restart need not restore from changelogs.
VOLUME ["/var/lib/metering/state"]
ENV METERING_STATE_DIR=/var/lib/metering/state \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC"
ENTRYPOINT ["java", "-cp", "/app/classes:/app/lib/*", "dev.llmmeter.cli.Main"]
CMD ["--help"]
