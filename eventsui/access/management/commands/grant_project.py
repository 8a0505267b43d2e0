"""manage.py grant_project --project ID (--user NAME | --group NAME) [--revoke]"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

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
                _("%(project)s is not a configured project (configured: %(configured)s)")
                % {"project": project_id, "configured": ", ".join(configured) or _("none")}
            )
        if options["user"]:
            user = self._user(options["user"])
            _grant, created = ProjectGrant.objects.get_or_create(project_id=project_id, user=user)
            who = _("user %(name)s") % {"name": user.get_username()}
        else:
            group, group_created = Group.objects.get_or_create(name=options["group"])
            if group_created:
                self.stdout.write(_("Created group %(name)s.") % {"name": group.name})
            _grant, created = ProjectGrant.objects.get_or_create(project_id=project_id, group=group)
            who = _("group %(name)s") % {"name": group.name}
        if created:
            done = _("Granted %(name)s (%(project)s) to %(who)s.")
        else:
            done = _("Already granted: %(name)s (%(project)s) to %(who)s.")
        name = configured[project_id].name
        self.stdout.write(done % {"name": name, "project": project_id, "who": who})

    def _user(self, username: str) -> Any:
        try:
            return get_user_model()._default_manager.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                _(
                    "No user %(name)s. Create one (manage.py createsuperuser, or /admin/); "
                    "in remote-user mode a user exists from their first visit."
                )
                % {"name": username}
            ) from None

    def _revoke(self, project_id: str, *, user: str | None, group: str | None) -> None:
        grants = ProjectGrant.objects.filter(project_id=project_id)
        if user:
            grants = grants.filter(user__username=user)
            who = _("user %(name)s") % {"name": user}
            none = _("User %(name)s had no grant of %(project)s.")
        else:
            grants = grants.filter(group__name=group)
            who = _("group %(name)s") % {"name": group}
            none = _("Group %(name)s had no grant of %(project)s.")
        deleted, _deleted_by_model = grants.delete()
        if deleted:
            self.stdout.write(
                _("Revoked %(project)s from %(who)s.") % {"project": project_id, "who": who}
            )
        else:
            self.stdout.write(none % {"name": user or group, "project": project_id})
