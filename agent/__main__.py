"""`python -m agent dev|start|console`: the LiveKit worker's own CLI.

`python -m agent converse FILE [--first-name NAME] [--brain scripted|llm] --json` runs one text-mode call
against a throwaway appointment (sim/converse.py; imported only for that subcommand)."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "converse":
    from sim.converse import main as converse_main

    sys.exit(converse_main(sys.argv[2:]))

from clinic.settings import refuse_to_start_if_insecure

refuse_to_start_if_insecure()  # APP_ENV=production with the published LiveKit secret: exit before registering

from agent.worker import main  # noqa: E402  (after the check: nothing registers with LiveKit before it)

main()
