"""What every console page with a form does: draw the page with or without a refusal, and run a post.

A post validates its form, makes one service call, and then either goes back to the page with a
flash message (a redirect, so that reloading the page does not post twice) or redraws the page with
the refusal in the reader's language and the refusal's status (400 for a bad form, the service's own
4xx otherwise). The pages differ only in what they show and which service they call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from backend.common.errors import DomainError
from backend.console.refusals import refusal_text

#: Draws the page again with a refusal: (status, error) -> the response.
Redraw = Callable[[int, DomainError], HttpResponse]


def page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    error: DomainError | None = None,
    said: Callable[[DomainError], str] = refusal_text,
) -> HttpResponse:
    """The page, with the refusal (if any) and its text in the reader's language (``said``: the
    page's own words for a code, where the console's shared ones would mislead)."""
    full = {**context, "error": error, "error_text": said(error) if error else ""}
    return render(request, template, full, status=status)


def form_refusal(form: forms.Form, code: str = "invalid") -> DomainError:
    return DomainError(code, form.errors.as_text())


def post(
    request: HttpRequest,
    act: Callable[[], str],
    *,
    redraw: Redraw,
    done: str,
    form: forms.Form | None = None,
    form_code: str = "invalid",
) -> HttpResponse:
    """Validate ``form`` (if any), run ``act`` (one service call; it returns the flash message), and
    go to ``done``; a bad form or a refused call redraws the page instead."""
    if form is not None and not form.is_valid():
        return redraw(400, form_refusal(form, form_code))
    try:
        message = act()
    except DomainError as exc:
        return redraw(exc.status, exc)
    messages.success(request, message)
    return redirect(done)
