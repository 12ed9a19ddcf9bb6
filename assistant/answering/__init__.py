"""Answering: evidence sentences, the answer-or-abstain decision, the answerers and their prompts."""
