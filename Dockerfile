# syntax=docker/dockerfile:1
#
# keysweep's container image: the static musl binary on distroless "static"
# (no shell, no package manager), run as an unprivileged user in /src.
#
#   docker build -t keysweep .                      # compiles this tree
#   docker build --build-arg BINARY=dist -t keysweep .
#                          # packs dist/linux-<arch>/keysweep, as the release does
#   docker build --target debug -t keysweep:debug . # the same plus a busybox
#                          # shell, for CI systems that run scripts inside the
#                          # image (GitLab CI)
#   docker run --rm -v "$PWD:/src:ro" keysweep scan .
#
# Both architectures (linux/amd64, linux/arm64) build on one machine without
# emulation: the compiler stage runs on the build platform and cross-links
# with rust-lld. Without a C cross compiler it builds with the system
# allocator (no mimalloc); the release image (BINARY=dist) packs the release
# binaries, which have it on x86_64.

# `source` compiles keysweep; `dist` takes a release binary from dist/.
ARG BINARY=source

FROM --platform=$BUILDPLATFORM rust:1.88-slim-bookworm AS source
ARG BUILDARCH
ARG TARGETARCH
WORKDIR /build
COPY Cargo.toml Cargo.lock build.rs ./
COPY src/ src/
COPY rules/ rules/
RUN set -eu; \
    case "$TARGETARCH" in \
        amd64) target=x86_64-unknown-linux-musl ;; \
        arm64) target=aarch64-unknown-linux-musl ;; \
        *) echo "no keysweep build for $TARGETARCH" >&2; exit 1 ;; \
    esac; \
    rustup target add "$target"; \
    if [ "$BUILDARCH" != "$TARGETARCH" ]; then \
        export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld; \
        export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld; \
    fi; \
    cargo build --release --locked --no-default-features --target "$target"; \
    cp "target/$target/release/keysweep" /keysweep

FROM scratch AS dist
ARG TARGETARCH
COPY dist/linux-${TARGETARCH}/keysweep /keysweep

FROM ${BINARY} AS binary

# GitLab CI and similar need a shell in the job image: use with an empty
# entrypoint (`entrypoint: [""]`).
FROM gcr.io/distroless/static-debian12:debug-nonroot AS debug
COPY --from=binary --chmod=0755 /keysweep /usr/local/bin/keysweep
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["keysweep"]
CMD ["scan", "."]

FROM gcr.io/distroless/static-debian12:nonroot AS image
COPY --from=binary --chmod=0755 /keysweep /usr/local/bin/keysweep
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["keysweep"]
CMD ["scan", "."]
