"""Scanning: the keyboard-wedge buffer, scan modes and verdicts, camera decoding, the scan desk."""
