from django.urls import path

from backend.accounts.api import schema, views

# The OpenAPI extension registers itself on import; the URLconf is always loaded before the schema.
__all__ = ["schema", "urlpatterns"]

urlpatterns = [
    path("auth/login", views.LoginApi.as_view(), name="auth-login"),
    path("auth/logout", views.LogoutApi.as_view(), name="auth-logout"),
    path("auth/me", views.MeApi.as_view(), name="auth-me"),
    path("auth/tokens", views.TokenListApi.as_view(), name="auth-tokens"),
    path("auth/tokens/<int:token_id>/revoke", views.TokenRevokeApi.as_view(), name="auth-token-revoke"),
]
