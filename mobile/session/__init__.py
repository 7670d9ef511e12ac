"""The courier's session: online and offline login, token refresh, log out."""
