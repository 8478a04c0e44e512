"""The dialer: decides who is called when, paces dials, dispatches LiveKit agent jobs, retries."""
