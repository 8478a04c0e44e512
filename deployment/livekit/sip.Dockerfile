# LiveKit SIP v1.8.0 as an image, from the binary `make livekit` builds (.livekit/bin/livekit-sip, cgo: it
# links Debian bookworm's libopus, libopusfile and libsoxr, installed here), for the compose `selfhosted`
# profile where livekit/sip cannot be pulled. Entry point /livekit-sip, flags as the official image
# (`--config /etc/sip.yaml`). Built by deployment/livekit/build_images.sh, tagged livekit/sip:v1.8.0.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopus0 libopusfile0 libsoxr0 \
 && rm -rf /var/lib/apt/lists/*
COPY livekit-sip /livekit-sip
# SIP signalling; RTP media uses the range in sip.yaml.
EXPOSE 5060/udp 5060/tcp
ENTRYPOINT ["/livekit-sip"]
