"""Signing in (EVENTSUI_AUTH=login) and who may see which project.

Personas: an anonymous visitor, an outsider (signed in, no project), a member
granted Vision directly, a member of a group granted Vision, and a superuser.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from eventsui.access.config import (
    DEFAULT_REMOTE_USER_PATTERN,
    auth_mode,
    meta_key,
    remote_user_header,
    remote_user_pattern,
    remote_user_proxies,
)
from eventsui.access.models import ProjectGrant
from eventsui.modelarts.projects import Credentials, Project
from eventsui.sandbox.data import FAILED_JOB_ID
from tests.html_tree import html

pytestmark = pytest.mark.django_db

# endpoint "" is the sandbox, which answers for any project id.
VISION = Project(project_id="vision-0001", name="Vision", endpoint="", credentials=Credentials())
SPEECH = Project(project_id="speech-0002", name="Speech", endpoint="", credentials=Credentials())
UNCONFIGURED = "unconfigured-0003"
PASSWORD = "correct horse battery staple"


def urls_naming_a_project() -> list[tuple[str, bool]]:
    """Every URL with a project id in it, as (url name, needs a job id): new ones included."""
    found = []
    for pattern in get_resolver().url_patterns:
        converters = getattr(pattern.pattern, "converters", {})
        if isinstance(pattern, URLPattern) and "project_id" in converters and pattern.name:
            found.append((pattern.name, "job_id" in converters))
    return found


PROJECT_URLS = urls_naming_a_project()


# Values for the other parts of a project's URLs (a task's log names its task).
OTHER_ARGS = {"task_id": "worker-0"}


def project_url(name: str, with_job: bool, project_id: str) -> str:
    args = [project_id, FAILED_JOB_ID] if with_job else [project_id]
    pattern = next(p for p in get_resolver().url_patterns if getattr(p, "name", None) == name)
    extra = [OTHER_ARGS[c] for c in pattern.pattern.converters if c not in ("project_id", "job_id")]
    return reverse(name, args=[*args, *extra])


def events_url(project_id: str) -> str:
    return reverse("events", args=[project_id, FAILED_JOB_ID])


def jobs_url(project_id: str) -> str:
    return reverse("jobs", args=[project_id])


def login_url(next_url: str) -> str:
    return f"{reverse('login')}?{urlencode({'next': next_url}, safe='/')}"


@pytest.fixture
def projects(settings: Any) -> None:
    settings.EVENTSUI_PROJECTS = (VISION, SPEECH)


@pytest.fixture
def login_mode(settings: Any, projects: None) -> None:
    settings.EVENTSUI_AUTH = "login"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def outsider() -> User:
    return User.objects.create_user("olga", password=PASSWORD)


@pytest.fixture
def member() -> User:
    user = User.objects.create_user("mia", password=PASSWORD)
    ProjectGrant.objects.create(project_id=VISION.project_id, user=user)
    return user


@pytest.fixture
def group_member() -> User:
    user = User.objects.create_user("gus", password=PASSWORD)
    vision = Group.objects.create(name="vision")
    user.groups.add(vision)
    ProjectGrant.objects.create(project_id=VISION.project_id, group=vision)
    return user


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", password=PASSWORD)


def without_csrf_tokens(content: bytes) -> str:
    # The sign-out form's token is masked afresh on every render.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


def test_the_access_tests_cover_every_project_url() -> None:
    names = {name for name, _ in PROJECT_URLS}

    assert {"jobs", "events", "events_export", "events_histogram", "job_failure"} <= names


# -- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        ("", "none"),
        ("none", "none"),
        ("login", "login"),
        (" Login ", "login"),
        ("remote-user", "remote-user"),
        ("REMOTE-USER", "remote-user"),
    ],
)
def test_it_reads_the_sign_in_mode(raw: str, mode: str) -> None:
    assert auth_mode(raw) == mode


@pytest.mark.parametrize("raw", ["yes", "true", "remote_user", "ldap", "login,none"])
def test_it_refuses_an_unknown_sign_in_mode(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="EVENTSUI_AUTH must be none, login or"):
        auth_mode(raw)


@pytest.mark.parametrize(
    ("raw", "header", "key"),
    [
        ("", "X-Remote-User", "HTTP_X_REMOTE_USER"),
        ("X-Forwarded-User", "X-Forwarded-User", "HTTP_X_FORWARDED_USER"),
        (" x-auth-request-user ", "x-auth-request-user", "HTTP_X_AUTH_REQUEST_USER"),
    ],
)
def test_it_reads_the_remote_user_header(raw: str, header: str, key: str) -> None:
    assert remote_user_header(raw) == header
    assert meta_key(remote_user_header(raw)) == key


@pytest.mark.parametrize("raw", ["X_Remote_User", "REMOTE_USER", "X-Remote-User:", "X--User", "-X"])
def test_it_refuses_a_header_name_a_proxy_might_not_strip(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="EVENTSUI_REMOTE_USER_HEADER"):
        remote_user_header(raw)


def test_the_settings_refuse_to_start_with_an_unknown_mode() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eventsui.settings", "DJANGO_DEBUG": "1"}
    env["EVENTSUI_AUTH"] = "sometimes"
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.EVENTSUI_AUTH"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: EVENTSUI_AUTH must be none, login or remote-user" in result.stderr


@pytest.mark.parametrize(
    ("raw", "proxies"),
    [
        ("127.0.0.1", ("127.0.0.1/32",)),
        (" 10.0.0.0/24 , ::1 ", ("10.0.0.0/24", "::1/128")),
        ("10.0.0.7/24", ("10.0.0.0/24",)),
        ("", ()),
    ],
)
def test_it_reads_the_remote_user_proxies(raw: str, proxies: tuple[str, ...]) -> None:
    assert remote_user_proxies(raw, "none") == proxies


@pytest.mark.parametrize(("raw", "mode"), [("", "remote-user"), (" , ", "remote-user")])
def test_remote_user_mode_needs_its_proxies(raw: str, mode: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="needs EVENTSUI_REMOTE_USER_PROXIES"):
        remote_user_proxies(raw, mode)


@pytest.mark.parametrize("raw", ["localhost", "10.0.0.0/33", "*", "127.0.0.1;10.0.0.1"])
def test_it_refuses_a_proxy_that_is_not_an_address(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="is not an IP address or network"):
        remote_user_proxies(raw, "remote-user")


def test_it_reads_the_remote_user_pattern() -> None:
    assert remote_user_pattern("") == DEFAULT_REMOTE_USER_PATTERN
    assert remote_user_pattern(r" [a-z]+ ") == "[a-z]+"
    with pytest.raises(ImproperlyConfigured, match="EVENTSUI_REMOTE_USER_PATTERN"):
        remote_user_pattern("[a-z")


def test_the_settings_refuse_remote_user_mode_without_proxies() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eventsui.settings", "DJANGO_DEBUG": "1"}
    env["EVENTSUI_AUTH"] = "remote-user"
    env.pop("EVENTSUI_REMOTE_USER_PROXIES", None)
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.EVENTSUI_AUTH"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: EVENTSUI_AUTH=remote-user needs EVENTSUI_REMOTE_USER_PROXIES" in (
        result.stderr
    )


# -- EVENTSUI_AUTH=none (the default) -------------------------------------------------------


def test_without_sign_in_every_configured_project_is_visible(
    client: Client, projects: None
) -> None:
    for project in (VISION, SPEECH):
        assert client.get(jobs_url(project.project_id)).status_code == 200
    assert client.get(events_url(UNCONFIGURED)).status_code == 404


def test_without_sign_in_there_is_no_sign_in_page_and_no_sign_out(
    client: Client, projects: None
) -> None:
    assert client.get(reverse("login")).status_code == 404
    assert client.post(reverse("logout")).status_code == 404
    assertNotContains(client.get("/"), "Sign out")


def test_without_sign_in_grants_do_not_matter(client: Client, projects: None) -> None:
    user = User.objects.create_user("olga", password=PASSWORD)
    client.force_login(user)

    assert client.get(jobs_url(SPEECH.project_id)).status_code == 200


def test_the_switcher_lists_the_projects_by_name_linking_to_their_jobs(
    client: Client, projects: None
) -> None:
    response = client.get(reverse("jobs", args=[SPEECH.project_id]))

    switcher = html(response).find("details", class_="project-switcher")
    assert switcher.find("summary").text == "Project: Speech"
    links = switcher.find_all("a")
    assert [(a.text, a.attrs["href"]) for a in links] == [
        ("Vision", reverse("jobs", args=[VISION.project_id])),
        ("Speech", reverse("jobs", args=[SPEECH.project_id])),
    ]
    assert [a.attrs.get("aria-current") for a in links] == [None, "true"]


def test_with_one_project_there_is_no_switcher(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert not html(response).find_all("details", class_="project-switcher")


# -- anonymous, EVENTSUI_AUTH=login ---------------------------------------------------------


@pytest.mark.parametrize(("name", "with_job"), PROJECT_URLS)
@pytest.mark.parametrize("project_id", [VISION.project_id, UNCONFIGURED])
def test_an_anonymous_visitor_is_sent_to_sign_in_from_every_project_page(
    client: Client,
    login_mode: None,
    upstream_calls: list[tuple[Any, ...]],
    name: str,
    with_job: bool,
    project_id: str,
) -> None:
    url = project_url(name, with_job, project_id)

    response = client.get(url)

    assertRedirects(response, login_url(url), fetch_redirect_response=False)
    assert upstream_calls == []


def test_an_anonymous_visitor_is_sent_to_sign_in_from_home(
    client: Client, login_mode: None, upstream_calls: list[tuple[Any, ...]]
) -> None:
    assertRedirects(client.get("/"), login_url("/"), fetch_redirect_response=False)


@pytest.mark.parametrize("url", ["/admin/", "/admin/access/projectgrant/", "/admin/login/"])
def test_the_admin_sends_an_anonymous_visitor_to_the_one_sign_in_page(
    client: Client, login_mode: None, url: str
) -> None:
    response = client.get(url, follow=True)

    next_url = "/admin/" if url == "/admin/login/" else url
    assert response.redirect_chain[-1][0] == login_url(next_url)
    assert html(response).find("h1").text == "Sign in to eventsui"


def test_an_anonymous_htmx_request_is_redirected_whole_back_to_its_page(
    client: Client, login_mode: None, upstream_calls: list[tuple[Any, ...]]
) -> None:
    page = events_url(VISION.project_id) + "?level=Error"
    fragment = reverse("events_histogram", args=[VISION.project_id, FAILED_JOB_ID])

    response = client.get(
        fragment, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"}
    )

    # Not a 302, which the XHR would follow and swap the sign-in page into the fragment.
    assert response.status_code == 200
    assert response["HX-Redirect"] == login_url(page)
    assert "Location" not in response
    assert response.content == b""
    assert "HX-Request" in response["Vary"]


def test_an_anonymous_htmx_request_from_elsewhere_comes_back_to_itself(
    client: Client, login_mode: None
) -> None:
    url = events_url(VISION.project_id)

    response = client.get(
        url, headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/"}
    )

    assert response["HX-Redirect"] == login_url(url)


def test_an_anonymous_history_restore_gets_a_plain_redirect(
    client: Client, login_mode: None
) -> None:
    url = events_url(VISION.project_id)

    response = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assertRedirects(response, login_url(url), fetch_redirect_response=False)


@pytest.mark.parametrize("mode", ["login", "remote-user"])
@pytest.mark.parametrize(("url", "body"), [("/healthz", b"ok\n"), ("/readyz", b"ready\n")])
def test_health_checks_answer_anonymously(
    client: Client, settings: Any, projects: None, mode: str, url: str, body: bytes
) -> None:
    settings.EVENTSUI_AUTH = mode

    response = client.get(url)

    assert response.status_code == 200
    assert response.content == body


def test_static_files_and_unknown_addresses_need_no_sign_in(
    client: Client, login_mode: None
) -> None:
    assert client.get("/static/eventsui/eventsui.css").status_code == 200
    assert client.get("/no-such-page").status_code == 404


# -- the sign-in page -------------------------------------------------------------------------


def test_the_sign_in_page_has_labelled_fields_and_a_csrf_token(
    client: Client, login_mode: None
) -> None:
    response = client.get(login_url("/"))

    assert response.status_code == 200
    form = html(response).find("form", action=reverse("login"))
    assert form.attrs["method"] == "post"
    labels = {label.attrs["for"]: label.text for label in form.find_all("label")}
    assert labels == {"id_username": "Username", "id_password": "Password"}
    assert form.find("input", name="username").attrs["autocomplete"] == "username"
    assert form.find("input", name="password").attrs["type"] == "password"
    assert form.find("input", name="csrfmiddlewaretoken").attrs["value"]
    assert form.find("input", name="next").attrs["value"] == "/"
    assert not html(response).find_all("script", src=None)


def test_signing_in_goes_back_to_the_page_asked_for(
    client: Client, login_mode: None, member: User
) -> None:
    url = jobs_url(VISION.project_id) + "?phase=Failed"

    response = client.post(reverse("login"), {"username": "mia", "password": PASSWORD, "next": url})

    assertRedirects(response, url, fetch_redirect_response=False)
    assert client.get(url).status_code == 200


def test_signing_in_without_next_goes_home(client: Client, login_mode: None, member: User) -> None:
    response = client.post(reverse("login"), {"username": "mia", "password": PASSWORD})

    assertRedirects(response, "/", fetch_redirect_response=False)


def test_signing_in_never_goes_to_another_site(
    client: Client, login_mode: None, member: User
) -> None:
    response = client.post(
        reverse("login"),
        {"username": "mia", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assertRedirects(response, "/", fetch_redirect_response=False)


def test_a_wrong_password_is_refused_with_a_message(
    client: Client, login_mode: None, member: User
) -> None:
    response = client.post(reverse("login"), {"username": "mia", "password": "wrong"})

    assert response.status_code == 200
    assertContains(response, "Please enter a correct username and password")
    assert "_auth_user_id" not in client.session
    assertRedirects(client.get("/"), login_url("/"), fetch_redirect_response=False)


def test_signing_in_needs_the_csrf_token(login_mode: None, member: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "mia", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_signed_in_user_sees_who_they_are_and_a_sign_out_form(
    login_mode: None, member: User
) -> None:
    response = signed_in(member).get("/")

    account = html(response).find("div", class_="account")
    assert "Signed in as mia" in account.text
    form = account.find("form")
    assert (form.attrs["method"], form.attrs["action"]) == ("post", reverse("logout"))
    assert form.find("input", name="csrfmiddlewaretoken").attrs["value"]
    assert form.find("button").text == "Sign out"


def test_signing_out_takes_a_post_and_ends_the_session(login_mode: None, member: User) -> None:
    client = signed_in(member)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assertRedirects(response, reverse("login"), fetch_redirect_response=False)
    assertRedirects(client.get("/"), login_url("/"), fetch_redirect_response=False)


# -- signed in: who sees what -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "with_job"), PROJECT_URLS)
@pytest.mark.parametrize("project_id", [VISION.project_id, UNCONFIGURED])
def test_an_outsider_gets_404_without_an_upstream_call(
    login_mode: None,
    outsider: User,
    upstream_calls: list[tuple[Any, ...]],
    name: str,
    with_job: bool,
    project_id: str,
) -> None:
    response = signed_in(outsider).get(project_url(name, with_job, project_id))

    assert response.status_code == 404
    assert upstream_calls == []


def test_a_forbidden_project_looks_exactly_like_an_unconfigured_one(
    login_mode: None, member: User, upstream_calls: list[tuple[Any, ...]]
) -> None:
    client = signed_in(member)

    forbidden = client.get(events_url(SPEECH.project_id))
    unconfigured = client.get(events_url(UNCONFIGURED))

    assert forbidden.status_code == unconfigured.status_code == 404
    assert without_csrf_tokens(forbidden.content) == without_csrf_tokens(unconfigured.content)
    assert forbidden.headers.get("Content-Length") == unconfigured.headers.get("Content-Length")
    assert upstream_calls == []


def test_an_outsider_is_told_they_have_no_projects_and_whom_to_ask(
    settings: Any, login_mode: None, outsider: User, upstream_calls: list[tuple[Any, ...]]
) -> None:
    settings.EVENTSUI_ACCESS_CONTACT = "the ML platform team (#ml-platform)"

    response = signed_in(outsider).get("/")

    assert response.status_code == 200
    page = html(response)
    assert page.find("h1").text == "You have no projects yet"
    assertContains(response, "Ask the ML platform team (#ml-platform) to grant you")
    assertContains(response, "manage.py grant_project --user olga --project")
    assert not page.find_all("details", class_="project-switcher")
    assert upstream_calls == []


def test_without_a_contact_the_outsider_is_told_to_ask_an_administrator(
    login_mode: None, outsider: User
) -> None:
    assertContains(signed_in(outsider).get("/"), "Ask an eventsui administrator to grant you")


@pytest.mark.parametrize("persona", ["member", "group_member"])
def test_a_member_sees_their_project_and_only_it(
    request: pytest.FixtureRequest, login_mode: None, persona: str
) -> None:
    client = signed_in(request.getfixturevalue(persona))

    home = client.get("/")
    assert home.status_code == 200
    assert VISION.project_id in html(home).find("h1").text
    for name, with_job in PROJECT_URLS:
        assert client.get(project_url(name, with_job, SPEECH.project_id)).status_code == 404
    assert client.get(jobs_url(VISION.project_id)).status_code == 200
    # One project: nothing to switch to.
    assert not html(home).find_all("details", class_="project-switcher")


def test_home_shows_the_first_project_the_user_may_see(login_mode: None, outsider: User) -> None:
    ProjectGrant.objects.create(project_id=SPEECH.project_id, user=outsider)

    home = signed_in(outsider).get("/")

    assert SPEECH.project_id in html(home).find("h1").text


def test_a_grant_of_a_project_no_longer_configured_shows_nothing(
    login_mode: None, outsider: User, upstream_calls: list[tuple[Any, ...]]
) -> None:
    ProjectGrant.objects.create(project_id=UNCONFIGURED, user=outsider)
    client = signed_in(outsider)

    assert client.get(events_url(UNCONFIGURED)).status_code == 404
    assertContains(client.get("/"), "You have no projects yet")


def test_a_superuser_gets_404_for_an_unconfigured_project_without_an_upstream_call(
    login_mode: None, superuser: User, upstream_calls: list[tuple[Any, ...]]
) -> None:
    assert signed_in(superuser).get(events_url(UNCONFIGURED)).status_code == 404
    assert upstream_calls == []


def test_a_superuser_opens_both_projects(login_mode: None, superuser: User) -> None:
    client = signed_in(superuser)

    for project in (VISION, SPEECH):
        assert client.get(jobs_url(project.project_id)).status_code == 200
    home = client.get("/")
    switcher = html(home).find("details", class_="project-switcher")
    assert [a.text for a in switcher.find_all("a")] == ["Vision", "Speech"]
    assert switcher.find("summary").text == "Project: Vision"


def test_an_inactive_user_sees_nothing(login_mode: None, member: User) -> None:
    client = signed_in(member)
    member.is_active = False
    member.save()

    assertRedirects(client.get("/"), login_url("/"), fetch_redirect_response=False)


def test_the_sandbox_badge_does_not_reveal_a_forbidden_project(
    settings: Any, login_mode: None, member: User
) -> None:
    # Vision is real (its jobs are never fetched here), Speech a sandbox.
    real = Project(project_id=VISION.project_id, name="Vision", endpoint="https://ma.invalid")
    settings.EVENTSUI_PROJECTS = (real, SPEECH)
    client = signed_in(member)

    forbidden = client.get(events_url(SPEECH.project_id))
    unconfigured = client.get(events_url(UNCONFIGURED))

    assert without_csrf_tokens(forbidden.content) == without_csrf_tokens(unconfigured.content)
    assertNotContains(forbidden, "Sandbox data", status_code=404)


# -- grant_project ----------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("grant_project", *args, stdout=out)
    return out.getvalue()


def test_the_command_grants_a_project_to_a_user(
    login_mode: None, outsider: User, upstream_calls: list[tuple[Any, ...]]
) -> None:
    out = run("--user", "olga", "--project", SPEECH.project_id)

    assert out == f"Granted Speech ({SPEECH.project_id}) to user olga.\n"
    grant = ProjectGrant.objects.get()
    assert (grant.project_id, grant.user, grant.group) == (SPEECH.project_id, outsider, None)
    assert "Already granted:" in run("--user", "olga", "--project", SPEECH.project_id)
    assert ProjectGrant.objects.count() == 1


def test_the_command_grants_a_project_to_a_group_creating_it(
    login_mode: None, outsider: User
) -> None:
    out = run("--group", "speech-team", "--project", SPEECH.project_id)

    assert out.splitlines() == [
        "Created group speech-team.",
        f"Granted Speech ({SPEECH.project_id}) to group speech-team.",
    ]
    outsider.groups.add(Group.objects.get(name="speech-team"))
    assert signed_in(outsider).get(jobs_url(SPEECH.project_id)).status_code == 200


def test_the_command_revokes_a_grant(login_mode: None, member: User, group_member: User) -> None:
    assert run("--revoke", "--user", "mia", "--project", VISION.project_id) == (
        f"Revoked {VISION.project_id} from user mia.\n"
    )
    assert run("--revoke", "--group", "vision", "--project", VISION.project_id) == (
        f"Revoked {VISION.project_id} from group vision.\n"
    )
    assert run("--revoke", "--user", "mia", "--project", VISION.project_id) == (
        f"User mia had no grant of {VISION.project_id}.\n"
    )
    assert not ProjectGrant.objects.exists()
    for user in (member, group_member):
        assert signed_in(user).get(events_url(VISION.project_id)).status_code == 404


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "olga", "--project", UNCONFIGURED], "is not a configured project"),
        (["--user", "nobody", "--project", VISION.project_id], "No user nobody"),
        (["--project", VISION.project_id], "one of the arguments --user --group is required"),
        (
            ["--user", "olga", "--group", "g", "--project", VISION.project_id],
            "not allowed with argument",
        ),
        (["--user", "olga"], "the following arguments are required: --project"),
    ],
)
def test_the_command_refuses_what_it_cannot_do(
    login_mode: None, outsider: User, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ProjectGrant.objects.exists()


# -- the admin --------------------------------------------------------------------------------


def test_a_superuser_grants_a_project_in_the_admin(
    login_mode: None, superuser: User, outsider: User
) -> None:
    client = signed_in(superuser)
    add = reverse("admin:access_projectgrant_add")

    form = client.get(add)
    options = html(form).find("select", name="project_id").find_all("option")
    assert [(o.attrs["value"], o.text) for o in options] == [
        ("", "---------"),
        (VISION.project_id, f"Vision ({VISION.project_id})"),
        (SPEECH.project_id, f"Speech ({SPEECH.project_id})"),
    ]
    response = client.post(add, {"project_id": SPEECH.project_id, "user": outsider.pk})

    assert response.status_code == 302, response.content
    assert signed_in(outsider).get(jobs_url(SPEECH.project_id)).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"project_id": UNCONFIGURED}, "Select a valid choice"),
        ({"project_id": VISION.project_id}, "Grant to a user or to a group, not both."),
        ({"project_id": VISION.project_id, "both": True}, "Grant to a user or to a group"),
        ({"project_id": VISION.project_id, "again": True}, "This user already has this project."),
    ],
)
def test_the_admin_refuses_a_bad_grant(
    login_mode: None, superuser: User, member: User, data: dict[str, Any], message: str
) -> None:
    post: dict[str, Any] = {"project_id": data["project_id"]}
    if data.get("both"):
        post.update(user=member.pk, group=Group.objects.create(name="g").pk)
    if data.get("again"):
        post.update(user=member.pk)

    response = signed_in(superuser).post(reverse("admin:access_projectgrant_add"), post)

    assertContains(response, message)
    assert ProjectGrant.objects.count() == 1  # the member's own


def test_the_admin_is_for_staff_only(login_mode: None, member: User) -> None:
    response = signed_in(member).get("/admin/")

    assertRedirects(response, "/admin/login/?next=/admin/", fetch_redirect_response=False)
