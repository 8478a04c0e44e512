"""Local stand-ins for what cannot run on one laptop: the LiveKit server API and the phone network."""
