"""Pages of the email alerts: subscribe, confirm, unsubscribe, one's subscriptions."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from search import alerts
from search.feeds import describe
from search.forms import SearchForm
from search.links import search_url
from search.models import AlertSubscription


class AlertForm(forms.Form):
    email = forms.EmailField(label="Your email address", max_length=254)
    frequency = forms.ChoiceField(
        label="How often",
        choices=AlertSubscription.Frequency.choices,
        initial=AlertSubscription.Frequency.WEEKLY,
        widget=forms.RadioSelect,
    )


def _message(request, title: str, text: str, status: int = 200, **extra) -> HttpResponse:
    context = {"title": title, "text": text, **extra}
    return render(request, "search/alerts/message.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def alert_new(request: HttpRequest) -> HttpResponse:
    """Subscribe the search in the query string; the form posts back to the same URL."""
    search_form = SearchForm(request.GET)
    query = search_form.to_query()
    form = AlertForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        sub, mailed = alerts.subscribe(
            form.cleaned_data["email"], query, form.cleaned_data["frequency"]
        )
        if mailed:
            text = (
                f"We sent a confirmation link to {sub.email}. Open it within "
                f"{alerts.CONFIRM_MAX_AGE.days} days to start the {sub.frequency} alert; "
                "nothing else is sent until then."
            )
            return _message(request, "Check your email", text)
        if sub.confirmed_at is not None:
            text = f"{sub.email} already gets this alert ({sub.frequency})."
            return _message(request, "Already subscribed", text)
        text = (
            f"A confirmation link went to {sub.email} less than an hour ago; open it to start "
            "the alert, or ask again later for a new one."
        )
        return _message(request, "Check your email", text)
    context = {
        "form": form,
        "query": query,
        "search": describe(query),
        "search_url": search_url(query),
        "errors": [str(e) for errs in search_form.errors.values() for e in errs],
    }
    return render(request, "search/alerts/new.html", context, status=400 if form.errors else 200)


def alert_confirm(request: HttpRequest, token: str) -> HttpResponse:
    sub = alerts.subscription_for(token, alerts.CONFIRM_SALT, alerts.CONFIRM_MAX_AGE)
    if sub is None:
        return _message(
            request,
            "This link does not work",
            "The confirmation link is damaged or more than "
            f"{alerts.CONFIRM_MAX_AGE.days} days old. Subscribe again to get a new one.",
            status=400,
        )
    alerts.confirm(sub)
    links = alerts.links(sub)
    return _message(
        request,
        "Alert confirmed",
        f"{sub.email} will get a {sub.frequency} digest of new articles matching "
        f"{describe(alerts.query_of(sub))}.",
        manage_url=links["manage_url"],
    )


@csrf_exempt  # RFC 8058 one-click unsubscribe: mail clients POST without a CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def alert_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click, no form: the signed link itself is the proof of the address."""
    value = alerts.read_token(token, alerts.UNSUBSCRIBE_SALT)
    if not isinstance(value, dict):
        return _message(request, "This link does not work", "The link is damaged.", status=400)
    deleted = False
    if request.method != "HEAD":
        deleted, _ = AlertSubscription.objects.filter(
            pk=value.get("id"), email=value.get("email")
        ).delete()
    manage_url = alerts.absolute_manage_url(value.get("email", ""))
    text = "You will get no more mail for this alert." if deleted else "This alert was already off."
    return _message(request, "Unsubscribed", text, manage_url=manage_url)


def alert_manage(request: HttpRequest, token: str) -> HttpResponse:
    email = alerts.read_token(token, alerts.MANAGE_SALT)
    if not isinstance(email, str):
        return _message(request, "This link does not work", "The link is damaged.", status=400)
    subs = [
        {
            "sub": sub,
            "search": describe(alerts.query_of(sub)),
            "search_url": search_url(alerts.query_of(sub)),
            "unsubscribe_url": alerts.links(sub)["unsubscribe_url"],
        }
        for sub in AlertSubscription.objects.filter(email=email)
    ]
    return render(request, "search/alerts/manage.html", {"email": email, "subs": subs})
