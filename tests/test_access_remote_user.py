"""EVENTSUI_AUTH=remote-user: the reverse proxy names the user in a header."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from eventsui.access.models import ProjectGrant
from eventsui.modelarts.projects import Credentials, Project
from tests.html_tree import html

pytestmark = pytest.mark.django_db

VISION = Project(project_id="vision-0001", name="Vision", endpoint="", credentials=Credentials())
SPEECH = Project(project_id="speech-0002", name="Speech", endpoint="", credentials=Credentials())
HOME_LOGIN = f"{reverse('login')}?next=/"


def jobs_url(project_id: str) -> str:
    return reverse("jobs", args=[project_id])


def as_user(name: str) -> dict[str, str]:
    return {"X-Remote-User": name}


@pytest.fixture(autouse=True)
def remote_user_mode(settings: Any) -> None:
    settings.EVENTSUI_PROJECTS = (VISION, SPEECH)
    settings.EVENTSUI_AUTH = "remote-user"
    settings.EVENTSUI_REMOTE_USER_HEADER = "X-Remote-User"
    # The test client's REMOTE_ADDR: the proxy.
    settings.EVENTSUI_REMOTE_USER_PROXIES = ("127.0.0.1/32",)


def test_a_new_name_becomes_a_user_with_no_projects(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get("/", headers=as_user("alice"))

    assert response.status_code == 200
    assertContains(response, "You have no projects yet")
    assert "Signed in as alice" in html(response).find("div", class_="account").text
    alice = User.objects.get(username="alice")
    assert not alice.has_usable_password()
    assert not (alice.is_staff or alice.is_superuser)
    assert not ProjectGrant.objects.exists()
    assert client.get(jobs_url(VISION.project_id), headers=as_user("alice")).status_code == 404
    assert upstream_calls == []


def test_a_granted_user_sees_their_project(client: Client) -> None:
    alice = User.objects.create_user("alice")
    ProjectGrant.objects.create(project_id=SPEECH.project_id, user=alice)

    assert client.get(jobs_url(SPEECH.project_id), headers=as_user("alice")).status_code == 200
    assert client.get(jobs_url(VISION.project_id), headers=as_user("alice")).status_code == 404


def test_there_is_no_sign_out_control(client: Client) -> None:
    response = client.get("/", headers=as_user("alice"))

    assert not html(response).find("div", class_="account").find_all("form")
    assert client.post(reverse("logout"), headers=as_user("alice")).status_code == 404


def test_without_the_header_a_request_is_sent_to_a_page_that_explains(
    client: Client, upstream_calls: list[tuple[Any, ...]]
) -> None:
    response = client.get("/")

    assertRedirects(response, HOME_LOGIN, fetch_redirect_response=False)
    page = client.get(HOME_LOGIN)
    assert page.status_code == 403
    assert html(page).find("h1").text == "You are not signed in"
    # The page neither offers a password form nor names the header.
    assert not html(page).find_all("form")
    assert b"X-Remote-User" not in page.content
    assert not User.objects.exists()


def test_a_session_ends_when_the_header_stops_coming(client: Client) -> None:
    assert client.get("/", headers=as_user("alice")).status_code == 200

    assertRedirects(client.get("/"), HOME_LOGIN, fetch_redirect_response=False)


def test_a_different_name_replaces_the_session_user(client: Client) -> None:
    User.objects.create_superuser("root")
    assert client.get(jobs_url(VISION.project_id), headers=as_user("root")).status_code == 200

    response = client.get(jobs_url(VISION.project_id), headers=as_user("alice"))

    assert response.status_code == 404
    assert client.session["_auth_user_id"] == str(User.objects.get(username="alice").pk)


def test_the_header_name_is_configurable(client: Client, settings: Any) -> None:
    settings.EVENTSUI_REMOTE_USER_HEADER = "X-Forwarded-User"

    assertRedirects(
        client.get("/", headers=as_user("alice")), HOME_LOGIN, fetch_redirect_response=False
    )
    response = client.get("/", headers={"X-Forwarded-User": "bob"})

    assert "Signed in as bob" in html(response).find("div", class_="account").text
    assert list(User.objects.values_list("username", flat=True)) == ["bob"]


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_no_name(client: Client, name: str) -> None:
    response = client.get("/", headers=as_user(name))

    assertRedirects(response, HOME_LOGIN, fetch_redirect_response=False)
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "a b",
        "x" * 151,
        "alice\u0000",
        "<script>",
        "r\u043e\u043et",  # a Cyrillic look-alike of root
        "root\u202e",
        "_root",
        "-root",
    ],
)
def test_a_name_outside_the_pattern_is_refused_with_a_page_that_says_so(
    client: Client, name: str
) -> None:
    User.objects.create_superuser("root")

    response = client.get("/", headers=as_user(name))

    assert response.status_code == 403
    assert html(response).find("h1").text == "eventsui cannot accept this user name"
    assert list(User.objects.values_list("username", flat=True)) == ["root"]
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("name", ["ROOT", "Root", "\uff52\uff4f\uff4f\uff54", " root "])
def test_names_are_normalised_so_look_alikes_are_one_user(client: Client, name: str) -> None:
    User.objects.create_superuser("root")

    response = client.get(jobs_url(VISION.project_id), headers=as_user(name))

    assert response.status_code == 200
    assert list(User.objects.values_list("username", flat=True)) == ["root"]


def test_the_name_pattern_is_configurable(client: Client, settings: Any) -> None:
    settings.EVENTSUI_REMOTE_USER_PATTERN = r"[a-z]+@example\.com"

    assert client.get("/", headers=as_user("alice")).status_code == 403
    assert client.get("/", headers=as_user("Alice@Example.com")).status_code == 200
    assert list(User.objects.values_list("username", flat=True)) == ["alice@example.com"]


# -- the header is believed from the proxy only (EVENTSUI_REMOTE_USER_PROXIES) --------------


@pytest.mark.parametrize("address", ["10.0.0.9", "192.168.1.1", "::1", "not-an-address"])
def test_the_header_from_an_address_not_a_proxy_signs_no_one_in(
    client: Client, address: str
) -> None:
    User.objects.create_superuser("root")

    response = client.get(jobs_url(VISION.project_id), headers=as_user("root"), REMOTE_ADDR=address)

    assertRedirects(
        response,
        f"{reverse('login')}?next={jobs_url(VISION.project_id)}",
        fetch_redirect_response=False,
    )
    assert "_auth_user_id" not in client.session


def test_x_forwarded_for_does_not_make_a_client_a_proxy(client: Client) -> None:
    User.objects.create_superuser("root")

    response = client.get(
        "/admin/",
        headers={**as_user("root"), "X-Forwarded-For": "127.0.0.1"},
        REMOTE_ADDR="10.0.0.9",
    )

    assert response.status_code == 302


@pytest.mark.parametrize("address", ["10.1.2.3", "10.1.2.254", "::ffff:10.1.2.3", "fd00::5"])
def test_proxies_are_addresses_or_networks(client: Client, settings: Any, address: str) -> None:
    settings.EVENTSUI_REMOTE_USER_PROXIES = ("10.1.2.0/24", "fd00::/64")

    response = client.get("/", headers=as_user("alice"), REMOTE_ADDR=address)

    assert response.status_code == 200
    assert "Signed in as alice" in html(response).find("div", class_="account").text


# -- no password sign-in in remote-user mode ----------------------------------------------


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize("header", [{}, {"X-Remote-User": "alice"}], ids=["anonymous", "proxied"])
def test_no_password_sign_in_page_or_post(client: Client, url: str, header: dict[str, str]) -> None:
    User.objects.create_superuser("root", password="correct horse battery staple")

    page = client.get(url, headers=header)
    post = client.post(
        url,
        {"username": "root", "password": "correct horse battery staple", "next": "/admin/"},
        headers=header,
    )

    for response in (page, post):
        assert response.status_code == 403
        assert not html(response).find_all("input", type="password")
        assertContains(response, "company sign-in", status_code=403)
    assert client.session.get("_auth_user_id") != str(User.objects.get(username="root").pk)


def test_a_password_session_is_not_served_without_the_header(client: Client) -> None:
    # As if made through /admin/login/ before this mode, or in another one.
    root = User.objects.create_superuser("root", password="correct horse battery staple")
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")

    assertRedirects(
        client.get(jobs_url(SPEECH.project_id)),
        f"{reverse('login')}?next={jobs_url(SPEECH.project_id)}",
        fetch_redirect_response=False,
    )
    assert client.get("/admin/auth/user/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_password_session_gives_way_to_the_header(client: Client) -> None:
    root = User.objects.create_superuser("root", password="correct horse battery staple")
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get("/", headers=as_user("alice"))

    assert "Signed in as alice" in html(response).find("div", class_="account").text


def test_surrounding_spaces_are_not_part_of_the_name(client: Client) -> None:
    client.get("/", headers=as_user("  alice "))
    client.get("/", headers=as_user("alice"))

    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


@pytest.mark.parametrize("mode", ["none", "login"])
def test_other_modes_ignore_the_header(client: Client, settings: Any, mode: str) -> None:
    settings.EVENTSUI_AUTH = mode

    response = client.get("/", headers=as_user("root"))

    assert not User.objects.exists()
    if mode == "login":
        assertRedirects(response, HOME_LOGIN, fetch_redirect_response=False)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize(("url", "body"), [("/healthz", b"ok\n"), ("/readyz", b"ready\n")])
def test_health_checks_need_no_header(client: Client, url: str, body: bytes) -> None:
    response = client.get(url)

    assert (response.status_code, response.content) == (200, body)


def test_a_staff_user_reaches_the_admin_through_the_header(client: Client) -> None:
    User.objects.create_superuser("root")

    assert client.get("/admin/", headers=as_user("root")).status_code == 200
    assertRedirects(
        client.get("/admin/", headers=as_user("alice")),
        "/admin/login/?next=/admin/",
        fetch_redirect_response=False,
    )
