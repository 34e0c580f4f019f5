"""The dialogue manager: state tracking, policy, grounded prompts, post-checked streaming replies."""
