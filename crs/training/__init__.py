"""Training entry points (thin scripts over YAML configs; run under `accelerate launch -m ...`)."""
