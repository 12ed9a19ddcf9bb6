"""The chat window: a thin Gradio layer over the Assistant API."""
