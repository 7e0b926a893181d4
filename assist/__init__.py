"""agent-assist-kit: listen-only LiveKit tokens and AI handoff briefs for a voice-AI contact center."""

import os

# LiteLLM (imported by DSPy) otherwise fetches its model cost map from the internet at import time.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
