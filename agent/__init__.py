"""The LiveKit voice agent that holds the confirmation call."""
