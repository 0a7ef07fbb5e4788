"""The assistant: offline rules for Russian and English, live answers, optional LLM."""
