"""Device tokens in the admin: look them up, revoke them (a lost handheld). Never created or edited here:
tokens are issued by logging in, and only the hash of the key is stored, so there is nothing to edit.

Users keep Django's own admin, with one addition: a change of who may sign in or be an admin
(``is_active``, ``is_superuser``) or a deleted user reaches the person's open sockets, which re-read
their access after the save commits (docs/realtime.md, "Access withdrawn").
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from backend.accounts.models import ApiToken, LoginAttempt
from backend.accounts.services import token_revoke, user_access_changed, user_set_active

# The user's fields that ``roles.principal_of`` reads (with ``is_active``, which signing in reads).
ACCESS_FIELDS = frozenset({"is_active", "is_superuser"})


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


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    actions = ("deactivate",)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and ACCESS_FIELDS & set(form.changed_data):
            user_access_changed(user_ids=[obj.pk])

    # Rung after the delete: on commit inside the admin's transaction, at once outside one (Django's
    # bulk "delete selected" action runs in autocommit), and either way after the rows are gone.
    def delete_model(self, request: HttpRequest, obj: User) -> None:
        pk = obj.pk
        super().delete_model(request, obj)
        user_access_changed(user_ids=[pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        user_access_changed(user_ids=ids)

    @admin.action(description="Deactivate selected users (they can no longer sign in)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        done = sum(user_set_active(user_id=pk, active=False) for pk in ids)
        self.message_user(request, f"deactivated: {done}", messages.SUCCESS)
