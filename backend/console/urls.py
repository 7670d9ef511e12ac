from django.urls import include, path

from backend.console import views

app_name = "console"

urlpatterns = [
    path("", views.front_door, name="front-door"),
    path("console/", views.home, name="home"),
    path("console/logout/", views.sign_out, name="logout"),
    path("console/i18n/", include("django.conf.urls.i18n")),  # set_language: the user's choice
    path("console/<str:code>/", views.board, name="board"),
    path("console/<str:code>/cards", views.cards, name="cards"),
    path("console/<str:code>/reassign", views.reassign, name="reassign"),
]

from backend.console import kpi_views  # noqa: E402  (appended: the KPI page)

urlpatterns += [path("console/<str:code>/kpis/", kpi_views.kpis, name="kpis")]
