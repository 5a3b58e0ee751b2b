"""The reference client: a Python mirror of the VoxEngine `OpenAI` module and its media bridge."""
