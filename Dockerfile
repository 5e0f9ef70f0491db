# syntax=docker/dockerfile:1
# Multi-stage build: a static switchboard binary on a minimal non-root image.
#
#   docker build -t switchboard .
#   docker run -p 8080:8080 -v switchboard-data:/data \
#     -v "$PWD/mybot:/etc/switchboard/bot:ro" switchboard
#
# Paths in the image:
#   /etc/switchboard/config.yaml  the configuration (mount your own, or set SWITCHBOARD_* variables)
#   /etc/switchboard/bot          the bot's YAML files: mount your bot here (read-only is fine)
#   /data                         the database (a volume; keep it)
#
# Without a mounted bot the container refuses to start, so that a brand never
# answers its customers with the sample shop's texts. To try the sample bot:
#   docker run -p 8080:8080 -e SWITCHBOARD_BOT_SAMPLE=1 switchboard
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/switchboard . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/switchboard /usr/local/bin/switchboard
COPY --from=build /src/config.yaml /etc/switchboard/config.yaml
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
WORKDIR /data
ENV SWITCHBOARD_STORE_PATH=/data/switchboard.db \
    SWITCHBOARD_BOT_INTENTS=/etc/switchboard/bot
VOLUME /data
EXPOSE 8080
# The probe reads server.addr from the same configuration and environment
# as serve (SWITCHBOARD_SERVER_ADDR=:9000 is probed on port 9000), or
# SWITCHBOARD_HEALTH_URL when set.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["/usr/local/bin/switchboard", "healthcheck", "--config", "/etc/switchboard/config.yaml"]
ENTRYPOINT ["/usr/local/bin/switchboard"]
CMD ["serve", "--config", "/etc/switchboard/config.yaml"]
