from __future__ import annotations

from django.urls import path

from . import views

# The names django.contrib.auth.urls uses; password change and reset are not
# offered (accounts are managed at /admin/ or with manage.py changepassword).
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
]
