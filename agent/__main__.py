"""`python -m agent dev|start|console`: the LiveKit worker's own CLI."""

from clinic.settings import refuse_to_start_if_insecure

refuse_to_start_if_insecure()  # APP_ENV=production with the published LiveKit secret: exit before registering

from agent.worker import main  # noqa: E402  (after the check: nothing registers with LiveKit before it)

main()
