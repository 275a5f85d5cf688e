# syntax=docker/dockerfile:1
# Two images from one build:
#   the service (the default target): `topology` (the Kafka Streams app) and `tail`, with the app module's
#     runtime dependencies only: no broker, no Scala, no TopologyTestDriver.
#       docker build -t llm-metering .      docker run --rm llm-metering --help
#   the tools (--target tools): everything bin/metering offers (simulate, replay, bench, broker, run, ...).
#       docker build --target tools -t llm-metering-tools .
# Settings come from METERING_* environment variables (docs/operations.md, "Configuration"), e.g.
#   docker run --rm -e METERING_BOOTSTRAP_SERVERS=kafka1:9092 llm-metering topology

# --- build: the packaging bin/metering runs (./mvnw -q -B -DskipTests -pl cli -am package), with the repo's own Maven ---
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
# The wrapper and the POMs first: the dependency layer is reused until one of them changes.
COPY mvnw ./
COPY .mvn .mvn
COPY pom.xml ./
COPY contract/pom.xml contract/
COPY topology/pom.xml topology/
COPY producer-sim/pom.xml producer-sim/
COPY serve/pom.xml serve/
COPY devkit/pom.xml devkit/
COPY app/pom.xml app/
COPY replay/pom.xml replay/
COPY bench/pom.xml bench/
COPY cli/pom.xml cli/
RUN ./mvnw -q -B -ntp dependency:go-offline
COPY contract/src contract/src
COPY topology/src topology/src
COPY producer-sim/src producer-sim/src
COPY serve/src serve/src
COPY devkit/src devkit/src
COPY app/src app/src
COPY replay/src replay/src
COPY bench/src bench/src
COPY cli/src cli/src
RUN ./mvnw -q -B -ntp -DskipTests -pl cli -am package

# --- runtime: what both images share, a JRE, a user and the state volume ---
FROM eclipse-temurin:17-jre AS runtime
RUN groupadd --system --gid 10001 metering \
 && useradd --system --uid 10001 --gid metering --home-dir /var/lib/metering --shell /usr/sbin/nologin metering \
 && mkdir -p /var/lib/metering/state && chown -R metering:metering /var/lib/metering
# Numeric, so that a runtime can check it is not root (runAsNonRoot).
USER 10001:10001
WORKDIR /var/lib/metering
# Kafka Streams state (RocksDB) lives here. Keep it on a volume, one per instance (never shared between
# instances): a restarted instance then resumes from it instead of restoring its stores from the changelogs.
VOLUME ["/var/lib/metering/state"]
# The heap is a share of the container's memory limit (the JVM reads the cgroup limit); RocksDB and the
# network buffers live outside the heap, hence 60% rather than more. Out of memory: exit and be restarted.
ENV METERING_STATE_DIR=/var/lib/metering/state \
    METERING_JAVA_OPTS="-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"

# --- tools: bin/metering's command line (cli/target/classes + cli/target/lib, as bin/metering runs them) ---
FROM runtime AS tools
COPY --from=build /src/cli/target/lib /app/lib
COPY --from=build /src/cli/target/classes /app/classes
ENTRYPOINT ["/bin/sh", "-c", "exec java $METERING_JAVA_OPTS -cp '/app/classes:/app/lib/*' dev.llmmeter.cli.Main \"$@\"", "metering"]
CMD ["--help"]

# --- service (the default target): the app module and its runtime dependencies, nothing else ---
FROM runtime AS service
COPY --from=build /src/app/target/lib /app/lib
COPY --from=build /src/app/target/classes /app/classes
# exec: java is PID 1 and gets SIGTERM itself, so `docker stop` closes the app cleanly. The classpath is
# quoted: the java launcher, not the shell, expands lib/*.
ENTRYPOINT ["/bin/sh", "-c", "exec java $METERING_JAVA_OPTS -cp '/app/classes:/app/lib/*' dev.llmmeter.app.ServiceMain \"$@\"", "metering"]
CMD ["--help"]
