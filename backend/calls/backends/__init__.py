"""The virtual-number gateway's backends: one module per provider kind (backend/calls/gateway.py)."""
