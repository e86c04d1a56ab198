"""Platform adapters: each translates platform events to core commands and core messages to platform calls."""
