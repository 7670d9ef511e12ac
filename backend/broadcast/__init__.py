"""The publishing side of live updates: envelopes and group names, publish after commit, the channel layer.

Below shipments so that services can publish; the websocket consumers that receive are in
``backend/realtime`` at the top (docs/architecture.md, layers). Imports no app.
"""
