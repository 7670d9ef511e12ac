from django.urls import path

from backend.sync.api import views

urlpatterns = [
    path("sync/push", views.PushApi.as_view(), name="sync-push"),
    path("sync/pull", views.PullApi.as_view(), name="sync-pull"),
    path("sync/attachments", views.AttachmentBeginApi.as_view(), name="sync-attachments"),
    path("sync/attachments/<str:sha256>", views.AttachmentApi.as_view(), name="sync-attachment"),
    path(
        "sync/attachments/<str:sha256>/chunks",
        views.AttachmentChunkApi.as_view(),
        name="sync-attachment-chunks",
    ),
]
