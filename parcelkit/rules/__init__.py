"""Pure business rules shared by the handheld and the backend (the backend imports these modules)."""
