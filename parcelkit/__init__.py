"""What the handheld (``mobile``) and the server (``backend``) share: pure rules, the waybill label,
UUIDv7 op ids and the sync ops' payloads. Imports neither side (an import-linter contract)."""
