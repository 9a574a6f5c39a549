"""A local simulation of the Genviral Partner API (``bulk-scheduler sandbox``).

Modules: ``seed`` (the workspace's fixed accounts), ``config`` (fault knobs),
``schema`` (the vendor's zod schema in Python), ``checks`` (the server-side rules),
``state``, ``app`` (the ASGI app) and ``server`` (running it). Nothing here imports the
client side of the project: the sandbox stands in for someone else's server.
"""
