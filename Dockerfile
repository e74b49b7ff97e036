# Builds redraft and runs it as a drop-in redis-server on port 6379.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin redraft

FROM debian:bookworm-slim
COPY --from=build /src/target/release/redraft /usr/local/bin/redraft
RUN mkdir -p /data
WORKDIR /data
EXPOSE 6379
# In a container clients arrive from outside the loopback: bind all interfaces and
# require a password (set REDRAFT_PASSWORD) or pass --protected-mode no explicitly.
ENTRYPOINT ["/bin/sh", "-c", "exec redraft --bind '0.0.0.0 ::' --dir /data ${REDRAFT_PASSWORD:+--requirepass \"$REDRAFT_PASSWORD\"} \"$@\"", "redraft"]
