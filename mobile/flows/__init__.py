"""The courier's multi-step jobs as plain-Python state machines; screens only bind to them."""
