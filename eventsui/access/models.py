from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from eventsui.modelarts.ids import PROJECT_ID_RE


class ProjectGrant(models.Model):
    """One user's or one group's access to one configured project.

    Only projects listed in the configuration can be seen at all; a grant for
    a project that is not (or no longer) configured does nothing.
    """

    project_id = models.CharField(
        "project id",
        max_length=64,
        validators=[RegexValidator(f"^{PROJECT_ID_RE.pattern}$", "1-64 letters, digits or '-'")],
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="project_grants",
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="project_grants"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True)
                | Q(user__isnull=True, group__isnull=False),
                name="access_grant_user_or_group",
                violation_error_message="Grant to a user or to a group, not both.",
            ),
            models.UniqueConstraint(
                fields=["project_id", "user"],
                condition=Q(user__isnull=False),
                name="access_grant_unique_user",
                violation_error_message="This user already has this project.",
            ),
            models.UniqueConstraint(
                fields=["project_id", "group"],
                condition=Q(group__isnull=False),
                name="access_grant_unique_group",
                violation_error_message="This group already has this project.",
            ),
        ]

    def __str__(self) -> str:
        who = f"user {self.user}" if self.user_id else f"group {self.group}"
        return f"{self.project_id} to {who}"
