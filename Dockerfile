# syntax=docker/dockerfile:1
# One image for every role: `topology` (the Streams app), `simulate`, `tail`, `replay`, `broker`, ...
# Build: docker build -t llm-metering .      Run: docker run --rm llm-metering --help
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
COPY cli/pom.xml cli/
# The JMH module is in the reactor, so its POM must be here; it is not built below, nor in the image.
COPY bench/pom.xml bench/
RUN ./mvnw -q -B -ntp dependency:go-offline
COPY contract/src contract/src
COPY topology/src topology/src
COPY producer-sim/src producer-sim/src
COPY cli/src cli/src
RUN ./mvnw -q -B -ntp -DskipTests -pl cli -am package

# --- runtime: a JRE, the classes and their jars (cli/target/classes + cli/target/lib, as bin/metering runs them) ---
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 metering \
 && useradd --system --uid 10001 --gid metering --home-dir /var/lib/metering --shell /usr/sbin/nologin metering \
 && mkdir -p /var/lib/metering/state && chown -R metering:metering /var/lib/metering
COPY --from=build /src/cli/target/lib /app/lib
COPY --from=build /src/cli/target/classes /app/classes
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
# exec: java is PID 1 and gets SIGTERM itself, so `docker stop` closes the app cleanly. The classpath is
# quoted: the java launcher, not the shell, expands lib/*.
ENTRYPOINT ["/bin/sh", "-c", "exec java $METERING_JAVA_OPTS -cp '/app/classes:/app/lib/*' dev.llmmeter.cli.Main \"$@\"", "metering"]
CMD ["--help"]
