# syntax=docker/dockerfile:1
#
# hnp-gitops image: a static binary on distroless, running as the "nonroot"
# user 65532 that the Helm chart's securityContext expects.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse --short HEAD) -t hnp-gitops .

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
WORKDIR /src
# Modules first, so that source changes do not invalidate the module cache.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath \
      -ldflags "-s -w -X github.com/githedgehog/hnp-gitops/internal/cli.Version=${VERSION} -X github.com/githedgehog/hnp-gitops/internal/cli.Commit=${COMMIT}" \
      -o /out/hnp-gitops ./cmd/hnp-gitops

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="hnp-gitops" \
      org.opencontainers.image.description="Lays out, ingests and pushes the GitOps directories of Hedgehog NetBox Plugin fabrics" \
      org.opencontainers.image.source="https://github.com/githedgehog/hnp-gitops" \
      org.opencontainers.image.url="https://github.com/githedgehog/hnp-gitops" \
      org.opencontainers.image.vendor="Hedgehog" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=build /out/hnp-gitops /hnp-gitops
USER 65532:65532
# 8080: webhooks, /api/v1, /healthz, /readyz. 9090: /metrics.
EXPOSE 8080 9090
ENTRYPOINT ["/hnp-gitops"]
CMD ["serve"]
