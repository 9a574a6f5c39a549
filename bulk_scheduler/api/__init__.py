"""The Partner API: the wire models (``contract``), the HTTP client and the pacing of requests."""
