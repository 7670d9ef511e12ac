"""Device tokens in the admin: look them up, revoke them (a lost handheld). Never created or edited here:
tokens are issued by logging in, and only the hash of the key is stored, so there is nothing to edit."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from backend.accounts.models import ApiToken, LoginAttempt
from backend.accounts.services import token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = (
        "prefix",
        "user",
        "device_id",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_reason",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("prefix", "device_id", "user__username")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # revoke instead: a revoked token keeps its history

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        live = list(queryset.filter(revoked_at=None).order_by("pk"))
        reason = f"revoked in the admin by {request.user.get_username()}"
        for token in live:
            token_revoke(token=token, reason=reason)
        skipped = queryset.count() - len(live)
        self.message_user(request, f"revoked: {len(live)}", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"already revoked, left as they were: {skipped}", messages.WARNING)


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit of logins and unlocks: read-only, it is evidence."""

    list_display = ("at", "login", "user", "ip", "outcome", "actor", "reason")
    list_filter = ("outcome", "at")
    search_fields = ("login", "ip", "user__username")
    list_select_related = ("user", "actor")
    ordering = ("-at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
