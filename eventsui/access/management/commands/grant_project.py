"""manage.py grant_project --project ID (--user NAME | --group NAME) [--revoke]"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from eventsui.access.models import ProjectGrant
from eventsui.modelarts import configured_projects


class Command(BaseCommand):
    help = "Let a user, or every member of a group, see a configured project (or stop them)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--project", required=True, help="a configured project id")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="a user name (the user must exist)")
        who.add_argument("--group", help="a group name (created if it does not exist)")
        parser.add_argument("--revoke", action="store_true", help="remove the grant instead")

    def handle(self, *args: Any, **options: Any) -> None:
        project_id: str = options["project"]
        if options["revoke"]:
            self._revoke(project_id, user=options["user"], group=options["group"])
            return
        configured = {p.project_id: p for p in configured_projects()}
        if project_id not in configured:
            raise CommandError(
                f"{project_id} is not a configured project "
                f"(configured: {', '.join(configured) or 'none'})"
            )
        if options["user"]:
            user = self._user(options["user"])
            _, created = ProjectGrant.objects.get_or_create(project_id=project_id, user=user)
            who = f"user {user.get_username()}"
        else:
            group, group_created = Group.objects.get_or_create(name=options["group"])
            if group_created:
                self.stdout.write(f"Created group {group.name}.")
            _, created = ProjectGrant.objects.get_or_create(project_id=project_id, group=group)
            who = f"group {group.name}"
        name = configured[project_id].name
        verb = "Granted" if created else "Already granted:"
        self.stdout.write(f"{verb} {name} ({project_id}) to {who}.")

    def _user(self, username: str) -> Any:
        try:
            return get_user_model()._default_manager.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                f"No user {username}. Create one (manage.py createsuperuser, or /admin/); "
                "in remote-user mode a user exists from their first visit."
            ) from None

    def _revoke(self, project_id: str, *, user: str | None, group: str | None) -> None:
        grants = ProjectGrant.objects.filter(project_id=project_id)
        if user:
            grants = grants.filter(user__username=user)
            who = f"user {user}"
        else:
            grants = grants.filter(group__name=group)
            who = f"group {group}"
        deleted, _ = grants.delete()
        if deleted:
            self.stdout.write(f"Revoked {project_id} from {who}.")
        else:
            self.stdout.write(f"{who.capitalize()} had no grant of {project_id}.")
