"""The clinic API and the page staff use: uploads, progress, calls, browser test calls, LiveKit webhooks."""
