"""`python -m agent dev|start|console`: the LiveKit worker's own CLI.

`python -m agent converse FILE [--first-name NAME] [--brain scripted|llm] --json` runs one text-mode call
against a throwaway appointment (sim/converse.py; imported only for that subcommand)."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "converse":
    from sim.converse import main as converse_main

    sys.exit(converse_main(sys.argv[2:]))

from agent.worker import main

main()
