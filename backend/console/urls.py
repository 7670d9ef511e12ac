from django.urls import path

from backend.console import views

app_name = "console"

urlpatterns = [
    path("", views.front_door, name="front-door"),
    path("console/", views.home, name="home"),
    path("console/logout/", views.sign_out, name="logout"),
    path("console/<str:code>/", views.board, name="board"),
    path("console/<str:code>/cards", views.cards, name="cards"),
    path("console/<str:code>/reassign", views.reassign, name="reassign"),
]
