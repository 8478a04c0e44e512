//go:build tools

// Package sipbuild pins LiveKit SIP for `make livekit`. `go install github.com/livekit/sip/cmd/livekit-sip@v1.8.0`
// cannot be used here: the Go module proxy this project builds from serves the v1.8.0 module but refuses
// its version list, which `go install pkg@version` asks for. A module that requires exactly v1.8.0 (and
// nothing else) resolves the same dependency versions as LiveKit SIP's own go.mod, which has no `replace`.
package sipbuild

import _ "github.com/livekit/sip/cmd/livekit-sip"
