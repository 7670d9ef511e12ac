"""Offline first: the local store, the outbox of ops, the sync engine and loop, the HTTP transport."""
