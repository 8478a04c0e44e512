"""Local, OpenAI-compatible speech server (Whisper STT + Piper TTS) for clinics that keep all call audio
on their own machines. A separate process, so the models are loaded once and shared by every call the
agent worker runs, and its CPU use is capped in one place. See docs/agent.md ("Local speech")."""
