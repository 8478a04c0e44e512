"""`python -m agent dev|start|console`: the LiveKit worker's own CLI."""

from agent.worker import main

main()
