"""The command line: options, prompts, rendering and exit statuses. Nothing imports it."""
