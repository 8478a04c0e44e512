# LiveKit server v1.13.5 as an image, from the binary `make livekit` builds (scripts/build_livekit.sh ->
# .livekit/bin/server), for the compose `selfhosted` profile where livekit/livekit-server cannot be pulled.
# Same entry point as the official image (/livekit-server), so compose's `command: [--config, ...]` works on
# either. Built by deployment/livekit/build_images.sh (context: .livekit/bin) and tagged like the official
# image, livekit/livekit-server:v1.13.5, so compose finds it locally instead of pulling.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
COPY server /livekit-server
# signalling (HTTP/WebSocket), ICE over TCP; WebRTC media uses the UDP range in livekit.yaml.
EXPOSE 7880 7881
ENTRYPOINT ["/livekit-server"]
