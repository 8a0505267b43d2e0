from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from eventsui.modelarts import configured_projects

from .models import ProjectGrant

admin.site.site_header = "eventsui administration"
admin.site.site_title = "eventsui"


class ProjectGrantForm(forms.ModelForm):
    # A choice of the configured projects, so a grant cannot name a typo.
    project_id = forms.ChoiceField(label="Project")

    class Meta:
        model = ProjectGrant
        fields = ["project_id", "user", "group"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(p.project_id, f"{p.name} ({p.project_id})") for p in configured_projects()]
        current = self.instance.project_id
        if current and current not in {value for value, _ in choices}:
            choices.append((current, f"{current} (not configured)"))
        self.fields["project_id"].choices = [("", "---------"), *choices]  # type: ignore[attr-defined]


@admin.register(ProjectGrant)
class ProjectGrantAdmin(admin.ModelAdmin):
    form = ProjectGrantForm
    list_display = ["project_id", "project_name", "user", "group", "created"]
    list_filter = ["project_id"]
    search_fields = ["project_id", "user__username", "group__name"]

    @admin.display(description="Name")
    def project_name(self, grant: ProjectGrant) -> str:
        names = {p.project_id: p.name for p in configured_projects()}
        return names.get(grant.project_id, "(not configured)")
