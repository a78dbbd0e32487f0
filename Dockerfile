# syntax=docker/dockerfile:1
# medqr in a container, for the sharded research runs on Kubernetes
# (deploy/k8s/, docs/scale.md):
#   docker build -t medqr:latest .
#   docker run --rm medqr:latest eval --quick -o /tmp/eval
# Stage 1 builds a static binary (CGO_ENABLED=0: the DICOM JPEG 2000 and
# JPEG-LS decoders refuse cleanly in such a build; the codec weights are
# embedded with go:embed). The .git folder is part of the build context so
# that the binary carries its VCS revision, the code version that every
# shard records and "medqr merge" compares.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/medqr ./cmd/medqr \
 && /out/medqr --version

# Stage 2: only the binary, the experiment configs and the shipped sample
# data (the attack suite's default images), on a distroless static base
# that runs as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /medqr
COPY --from=build /out/medqr /usr/local/bin/medqr
COPY --from=build /src/experiments /medqr/experiments
COPY --from=build /src/data/samples /medqr/data/samples
ENV MEDQR_CACHE_DIR=/tmp/medqr-cache
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/medqr"]
CMD ["help"]
