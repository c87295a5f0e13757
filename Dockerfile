# chargeback: one image for every role (meter, exporter, standalone, demo, bill, ...).
# Build:  docker build -t ghcr.io/chargeback/chargeback:0.1.0 .
# Run:    docker run --rm -p 9466:9466 ghcr.io/chargeback/chargeback:0.1.0 demo

# Java 25: the release the tests and the bench run on. From Java 24 on a virtual thread that
# blocks inside synchronized no longer pins its carrier thread (JEP 491); on 21 it would.
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q package -DskipTests

FROM eclipse-temurin:25-jre
# Nanum fonts: bills embed a TrueType font, and these carry Hangul. jemalloc: glibc's malloc keeps
# the blocks RocksDB frees resident (the meter at a month of pod churn: 309 MiB RSS with glibc,
# 244 MiB with jemalloc; see the README's bench table).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-nanum libjemalloc2 \
    && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2 \
    && rm -rf /var/lib/apt/lists/*
# Freed pages go back to the kernel within a second (a background thread purges them), not after
# jemalloc's default ten: RocksDB's compactions free tens of MiB at a time, and at a month of pod
# churn the meter's peak RSS was 260 MiB with the default decay and 232 MiB with this.
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
    MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0
COPY --from=build /src/exporter/target/chargeback.jar /opt/chargeback/chargeback.jar
# Any UID works (OpenShift assigns one in group 0); the data directory is a mounted volume.
RUN mkdir -p /var/lib/chargeback && chgrp -R 0 /var/lib/chargeback && chmod -R g=u /var/lib/chargeback
USER 10001
WORKDIR /var/lib/chargeback
EXPOSE 9466 9467
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", "--enable-native-access=ALL-UNNAMED", "-jar", "/opt/chargeback/chargeback.jar"]
CMD ["demo", "--listen", ":9466"]
